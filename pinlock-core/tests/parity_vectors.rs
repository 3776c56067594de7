//! Test vectors taken from apt's and dpkg's own test suites, checked in under
//! `testdata/parity/` (each file names its origin: repository, path and tag).

use std::cmp::Ordering;

use pinlock_core::relation::Op;
use pinlock_core::release::parse_apt_date;
use pinlock_core::version::{compare, Version};

/// The data lines of a vector file: not empty, not `#` comments; split on tabs.
fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(i, l)| (i + 1, l.split('\t').collect()))
}

/// Undoes the escapes of the files that need them: `\t` is a tab, `\\` a backslash.
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            other => panic!("bad escape \\{other:?} in {field:?}"),
        }
    }
    out
}

fn ordering(result: &str) -> Ordering {
    match result {
        "-1" => Ordering::Less,
        "0" => Ordering::Equal,
        "1" => Ordering::Greater,
        other => panic!("bad result {other:?}"),
    }
}

/// Compares `a` with `b` both ways, as apt's EXPECT_VERSION does, with [`compare`] and with
/// [`Version`]'s `Ord`; returns what pinlock says when it differs from `want`.
fn check_pair(a: &str, b: &str, want: Ordering) -> Result<(), String> {
    let (va, vb) = (Version::parse(a), Version::parse(b));
    let (Ok(va), Ok(vb)) = (va, vb) else {
        return Err(format!("{a:?} or {b:?} does not parse"));
    };
    let got = [
        compare(a, b).unwrap(),
        compare(b, a).unwrap().reverse(),
        va.cmp(&vb),
        vb.cmp(&va).reverse(),
    ];
    if got.iter().all(|&g| g == want) {
        Ok(())
    } else {
        Err(format!("{a:?} vs {b:?}: want {want:?}, got {got:?}"))
    }
}

#[test]
fn apt_rfc1123_dates() {
    let text = include_str!("../../testdata/parity/apt-rfc1123-dates.tsv");
    let mut n = 0;
    for (line, cols) in rows(text) {
        let [want, date] = cols[..] else {
            panic!("apt-rfc1123-dates.tsv:{line}: expected 2 columns")
        };
        let want = match want {
            "invalid" => None,
            t => Some(t.parse::<i64>().unwrap()),
        };
        assert_eq!(
            parse_apt_date(date),
            want,
            "apt-rfc1123-dates.tsv:{line}: {date:?}"
        );
        n += 1;
    }
    assert_eq!(n, 28);
}

#[test]
fn apt_compareversion() {
    let text = include_str!("../../testdata/parity/apt-compareversion.tsv");
    let mut n = 0;
    for (line, cols) in rows(text) {
        let [a, result, b] = cols[..] else {
            panic!("apt-compareversion.tsv:{line}: expected 3 columns")
        };
        if let Err(e) = check_pair(a, b, ordering(result)) {
            panic!("apt-compareversion.tsv:{line}: {e}");
        }
        n += 1;
    }
    assert_eq!(n, 64);
}

#[test]
fn dpkg_t_version() {
    let text = include_str!("../../testdata/parity/dpkg-t-version.tsv");
    let mut n = 0;
    for (line, cols) in rows(text) {
        let cols: Vec<String> = cols.iter().map(|c| unescape(c)).collect();
        let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
        let at = format!("dpkg-t-version.tsv:{line}: {cols:?}");
        match cols[..] {
            ["compare", a, b, "!=0"] => {
                assert_ne!(compare(a, b).unwrap(), Ordering::Equal, "{at}");
                assert_ne!(
                    Version::parse(a).unwrap(),
                    Version::parse(b).unwrap(),
                    "{at}"
                );
            }
            ["compare", a, b, result] => {
                if let Err(e) = check_pair(a, b, ordering(result)) {
                    panic!("{at}: {e}");
                }
            }
            ["relate", a, op, b, want] => {
                let op = Op::parse(op).unwrap();
                assert_eq!(op.matches(compare(a, b).unwrap()).to_string(), want, "{at}");
            }
            ["parse", text, "ok", epoch, version, revision] => {
                let v = Version::parse_strict(text).unwrap_or_else(|e| panic!("{at}: {e}"));
                assert_eq!(v.epoch().to_string(), epoch, "{at}");
                assert_eq!(v.upstream(), version, "{at}");
                assert_eq!(v.revision().unwrap_or(""), revision, "{at}");
            }
            ["parse", text, "error"] => {
                assert!(Version::parse(text).is_err(), "{at}");
                assert!(compare(text, "0").is_err(), "{at}");
            }
            ["parse", text, "warn"] => {
                let v = Version::parse(text).unwrap_or_else(|e| panic!("{at}: {e}"));
                assert!(v.dpkg_warning().is_some(), "{at}");
                assert!(Version::parse_strict(text).is_err(), "{at}");
            }
            _ => panic!("{at}: unknown row"),
        }
        n += 1;
    }
    assert_eq!(n, 106);
}
