//! Test vectors taken from apt's and dpkg's own test suites, checked in under
//! `testdata/parity/` (each file names its origin: repository, path and tag).

use std::cmp::Ordering;
use std::collections::BTreeSet;

use pinlock_core::deb822::{paragraphs, strip_field_comments};
use pinlock_core::relation::{
    debarch_is, parse_relations, valid_name, valid_relation_name, Op, Relation,
};
use pinlock_core::release::parse_apt_date;
// OpenPGP verification is part of the `online` feature.
#[cfg(feature = "online")]
use pinlock_core::signature::{verify_inrelease, Keyring};
use pinlock_core::source::{parse_deb822, parse_one_line};
use pinlock_core::version::{compare, Version};
use pinlock_core::SourceSpec;

/// The data lines of a vector file: not empty, not `#` comments; split on tabs.
fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(i, l)| (i + 1, l.split('\t').collect()))
}

/// Undoes the escapes of the files that need them: `\t` is a tab, `\n` a newline, `\\` a
/// backslash.
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
            Some('n') => out.push('\n'),
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

/// Asserts that exactly the cases marked known differ from upstream: `agrees` gives why a case
/// differs, shown in the failure.
fn assert_only_known_cases_differ<C>(
    cases: &[C],
    name: impl Fn(&C) -> &str,
    known: impl Fn(&C) -> bool,
    agrees: impl Fn(&C) -> Result<(), String>,
) {
    let mut differ = Vec::new();
    let mut report = String::new();
    for case in cases {
        if let Err(e) = agrees(case) {
            differ.push(name(case));
            report += &format!("{}: {e}\n", name(case));
        }
    }
    let known: Vec<&str> = cases.iter().filter(|c| known(c)).map(&name).collect();
    assert_eq!(
        differ, known,
        "cases where pinlock differs from apt:\n{report}"
    );
}

/// The rows of a vector file whose last column says pinlock differs ("known difference: ...").
fn known_differences(text: &str) -> Vec<usize> {
    rows(text)
        .filter(|(_, cols)| cols.last().unwrap().starts_with("known difference: "))
        .map(|(line, _)| line)
        .collect()
}

#[test]
fn apt_parsedepends() {
    let text = include_str!("../../testdata/parity/apt-parsedepends.tsv");
    let mut rows = rows(text);
    let (_, depends) = rows.next().unwrap();
    let ["depends", depends] = depends[..] else {
        panic!("apt-parsedepends.tsv: the first row is the depends string")
    };
    let parsed = parse_relations(depends);
    // apt's flat list of ParseDepends results: each relation and whether an alternative follows
    let flat: Vec<(&Relation, bool)> = parsed
        .as_ref()
        .map(|all| {
            all.iter()
                .flat_map(|alts| {
                    alts.iter()
                        .enumerate()
                        .map(|(i, r)| (r, i + 1 < alts.len()))
                })
                .collect()
        })
        .unwrap_or_default();
    let (mut differ, mut n) = (Vec::new(), 0);
    for (line, cols) in rows {
        let agrees = match cols[..] {
            ["binary-field", "refused", _] => parsed.is_err(),
            [_, stripped, full, op, version, or, lists, _] => {
                let (r, has_alt) = flat[n];
                n += 1;
                let qualified = match &r.arch_qualifier {
                    Some(q) => format!("{}:{q}", r.name),
                    None => r.name.clone(),
                };
                let stripped_ok = match r.arch_qualifier.as_deref() {
                    None | Some("any" | "native" | "amd64") => r.name == stripped,
                    Some(_) => qualified == stripped,
                };
                // apt has one operator per relation; pinlock reads `<` and `>` as `<=`, `>=`
                let apt_op = |o: Op| match o {
                    Op::Lt => "<<",
                    Op::Gt => ">>",
                    o => o.as_str(),
                };
                let (got_op, got_version) = match &r.version {
                    Some((o, v)) => (apt_op(*o), v.as_str()),
                    None => ("", ""),
                };
                let kept = match lists {
                    "-" | "arch-kept" | "profile-kept" => true,
                    "arch-dropped" | "profile-dropped" => false,
                    other => panic!("apt-parsedepends.tsv:{line}: bad LISTS {other:?}"),
                };
                stripped_ok
                    && qualified == full
                    && got_op == op
                    && got_version == version
                    && has_alt == (or == "|")
                    && r.applies_to("amd64") == kept
            }
            _ => panic!("apt-parsedepends.tsv:{line}: bad row {cols:?}"),
        };
        if !agrees {
            differ.push(line);
        }
    }
    assert_eq!(n, flat.len(), "every relation pinlock read has a row");
    assert_eq!(n, 23);
    assert_eq!(
        differ,
        known_differences(text),
        "rows where pinlock differs from apt"
    );
}

#[test]
fn apt_cachefilter_arch() {
    let text = include_str!("../../testdata/parity/apt-cachefilter-arch.tsv");
    let (mut differ, mut n) = (Vec::new(), 0);
    for (line, cols) in rows(text) {
        let [spec, arch, want, note] = cols[..] else {
            panic!("apt-cachefilter-arch.tsv:{line}: expected 4 columns")
        };
        n += 1;
        if note.starts_with("skip: ") {
            continue;
        }
        if debarch_is(arch, spec).to_string() != want {
            differ.push(line);
        }
    }
    assert_eq!(n, 61);
    assert_eq!(
        differ,
        known_differences(text),
        "rows where pinlock differs from apt"
    );
}

/// One section apt reads: its Count(), the fields FindS returns, the fields that do not exist.
type TagSection = (usize, Vec<(String, String)>, Vec<String>);

/// One case of `apt-tagfile.txt`: an input and the sections apt reads from it.
#[derive(Default)]
struct TagCase {
    name: String,
    input: String,
    sections: Vec<TagSection>,
    known: bool,
    /// Read with apt's `pkgTagFile::SUPPORT_COMMENTS` (as apt reads `.sources` files).
    support_comments: bool,
}

fn tag_cases(text: &str) -> Vec<TagCase> {
    let mut cases: Vec<TagCase> = Vec::new();
    for (line, cols) in rows(text) {
        let cols: Vec<String> = cols.iter().map(|c| unescape(c)).collect();
        let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
        if let ["case", name, _] = cols[..] {
            cases.push(TagCase {
                name: name.to_string(),
                ..TagCase::default()
            });
            continue;
        }
        let case = cases.last_mut().expect("a case first");
        let gen = |n: &str, t: &str| -> Vec<String> {
            (0..n.parse::<usize>().unwrap())
                .map(|i| {
                    t.replace("{i}", &i.to_string())
                        .replace("{2000+i}", &(2000 + i).to_string())
                })
                .collect()
        };
        match cols[..] {
            ["input", t] => case.input.push_str(t),
            ["repeat", n, t] => case.input.extend(gen(n, t)),
            ["section", count] => case.sections.push((count.parse().unwrap(), vec![], vec![])),
            ["field", name, value] => {
                let s = case.sections.last_mut().unwrap();
                s.1.push((name.to_string(), value.to_string()));
            }
            ["fields", n, name, value] => {
                let s = case.sections.last_mut().unwrap();
                s.1.extend(gen(n, name).into_iter().zip(gen(n, value)));
            }
            ["absent", name] => case.sections.last_mut().unwrap().2.push(name.to_string()),
            ["end"] => {}
            ["known", _] => case.known = true,
            ["support-comments"] => case.support_comments = true,
            _ => panic!("apt-tagfile.txt:{line}: bad row {cols:?}"),
        }
    }
    cases
}

/// How pinlock's deb822 reader reads `case`, compared with what apt reads.
fn tag_case_agrees(case: &TagCase) -> Result<(), String> {
    let input = match case.support_comments {
        true => strip_field_comments(&case.input),
        false => case.input.as_str().into(),
    };
    let paras = paragraphs(&input, &case.name).map_err(|e| e.to_string())?;
    if paras.len() != case.sections.len() {
        return Err(format!(
            "{} sections, apt reads {}",
            paras.len(),
            case.sections.len()
        ));
    }
    for (i, (p, (count, fields, absent))) in paras.iter().zip(&case.sections).enumerate() {
        if p.fields.len() != *count {
            return Err(format!(
                "section {i}: {} fields, apt {count}",
                p.fields.len()
            ));
        }
        for (name, value) in fields {
            if p.get(name) != Some(value) {
                return Err(format!(
                    "section {i}: {name:?} is {:?}, apt {value:?}",
                    p.get(name)
                ));
            }
        }
        if let Some(name) = absent.iter().find(|n| p.get(n).is_some()) {
            return Err(format!("section {i}: {name:?} exists"));
        }
    }
    Ok(())
}

#[test]
fn apt_tagfile() {
    let cases = tag_cases(include_str!("../../testdata/parity/apt-tagfile.txt"));
    assert_eq!(cases.len(), 9);
    assert_only_known_cases_differ(&cases, |c| c.name.as_str(), |c| c.known, tag_case_agrees);
}

/// One case of `apt-sourcelist.txt`.
#[derive(Default)]
struct SourceCase {
    name: String,
    machine: Vec<String>,
    one_line: Vec<String>,
    deb822: String,
    /// What apt reads: `(uri, suite, component, arch)` (binary-all left out), the flat
    /// repositories, the number of entries, whether it refuses the file.
    indexes: BTreeSet<(String, String, String, String)>,
    flat: Vec<String>,
    entries: Option<usize>,
    error: bool,
    /// A `langs` row: apt reads the line (and its Packages indexes, by default).
    langs: bool,
    /// A `targets` row: whether its targets include Packages.
    targets: Option<bool>,
    known: bool,
}

fn source_cases(text: &str) -> Vec<SourceCase> {
    let mut cases: Vec<SourceCase> = Vec::new();
    let mut machine: Vec<String> = Vec::new();
    for (line, cols) in rows(text) {
        let cols: Vec<String> = cols.iter().map(|c| unescape(c)).collect();
        let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
        match cols[..] {
            ["machine", archs] => {
                machine = archs.split(' ').map(str::to_string).collect();
                continue;
            }
            ["case", name, _] => {
                cases.push(SourceCase {
                    name: name.to_string(),
                    machine: machine.clone(),
                    ..SourceCase::default()
                });
                continue;
            }
            _ => {}
        }
        let case = cases.last_mut().expect("a case first");
        match cols[..] {
            ["one-line", t] => case.one_line.push(t.to_string()),
            ["config", _] => {}
            ["langs", _] => case.langs = true,
            ["targets", t] => case.targets = Some(t.split(' ').any(|t| t == "Packages")),
            ["deb822", t] => case.deb822.push_str(t),
            ["index", uri, suite, component, archs] => {
                for arch in archs.split(' ').filter(|a| *a != "all") {
                    let uri = uri.trim_end_matches('/').to_string();
                    let key = (uri, suite.into(), component.into(), arch.into());
                    case.indexes.insert(key);
                }
            }
            ["flat", uri, path] => case.flat.push(format!("{uri}{path}")),
            ["none"] => {}
            ["entries", n] => case.entries = Some(n.parse().unwrap()),
            ["error", _] => case.error = true,
            ["known", _] => case.known = true,
            _ => panic!("apt-sourcelist.txt:{line}: bad row {cols:?}"),
        }
    }
    cases
}

/// How pinlock reads `case`, compared with what apt reads.
fn source_case_agrees(case: &SourceCase) -> Result<(), String> {
    let specs: Result<Vec<SourceSpec>, String> = match case.one_line.is_empty() {
        false => case
            .one_line
            .iter()
            .map(|line| parse_one_line(line).map_err(|e| e.to_string()))
            .collect::<Result<Vec<Option<SourceSpec>>, String>>()
            .map(|s| s.into_iter().flatten().collect()),
        true => parse_deb822(&case.deb822, "test.sources").map_err(|e| e.to_string()),
    };
    let specs = match (specs, case.error) {
        (Err(_), true) => return Ok(()),
        (Ok(s), true) => return Err(format!("read {s:?}, apt refuses it")),
        (Err(e), false) => return Err(format!("refused ({e}), apt reads it")),
        (Ok(s), false) => s,
    };
    if let Some(packages) = case.targets {
        return match specs.is_empty() != packages {
            true => Ok(()),
            false => Err(format!("reads {specs:?}; apt reads Packages: {packages}")),
        };
    }
    if case.langs && case.indexes.is_empty() {
        return match specs.is_empty() {
            false => Ok(()),
            true => Err("reads no source, apt reads it".into()),
        };
    }
    if !case.flat.is_empty() {
        return Err(format!(
            "read {specs:?}, apt reads the flat {:?}",
            case.flat
        ));
    }
    if let Some(n) = case.entries {
        let got: usize = specs.iter().map(|s| s.suites.len()).sum();
        return match got == n {
            true => Ok(()),
            false => Err(format!("{got} entries, apt {n}")),
        };
    }
    let mut got = BTreeSet::new();
    for s in &specs {
        let archs = match s.architectures.is_empty() {
            true => &case.machine,
            false => &s.architectures,
        };
        for suite in &s.suites {
            for component in &s.components {
                for arch in archs.iter().filter(|a| *a != "all") {
                    let uri = s.uri.trim_end_matches('/').to_string();
                    got.insert((uri, suite.clone(), component.clone(), arch.clone()));
                }
            }
        }
    }
    match got == case.indexes {
        true => Ok(()),
        false => Err(format!("reads {got:?}, apt {:?}", case.indexes)),
    }
}

#[test]
fn apt_sourcelist() {
    let cases = source_cases(include_str!("../../testdata/parity/apt-sourcelist.txt"));
    assert_eq!(cases.len(), 103);
    assert_only_known_cases_differ(&cases, |c| c.name.as_str(), |c| c.known, source_case_agrees);
}

#[test]
fn dpkg_perl_version() {
    let text = include_str!("../../testdata/parity/dpkg-Dpkg_Version.tsv");
    let mut n = 0;
    for (line, cols) in rows(text) {
        let at = format!("dpkg-Dpkg_Version.tsv:{line}: {cols:?}");
        match cols[..] {
            ["cmp", a, b, result] => {
                let want = ordering(result);
                if let Err(e) = check_pair(a, b, want) {
                    panic!("{at}: {e}");
                }
                // upstream's $truth table: the operators that hold for each result
                let holds: &[&str] = match result {
                    "-1" => &["<<", "<=", "<"],
                    "0" => &["<=", "<", "=", ">=", ">"],
                    _ => &[">=", ">", ">>"],
                };
                let got = compare(a, b).unwrap();
                for op in ["<<", "<=", "<", "=", ">=", ">", ">>"] {
                    let want = holds.contains(&op);
                    assert_eq!(Op::parse(op).unwrap().matches(got), want, "{at}: {op}");
                }
            }
            ["valid", t, want] => {
                assert_eq!(Version::parse_strict(t).is_ok().to_string(), want, "{at}")
            }
            ["native", t, want] => {
                let v = Version::parse(t).unwrap();
                assert_eq!(v.revision().is_none().to_string(), want, "{at}");
            }
            _ => panic!("{at}: unknown row"),
        }
        n += 1;
    }
    assert_eq!(n, 57);
}

/// dpkg's `get_valid_wildcards` (scripts/t/Dpkg_Arch.t) for one architecture's tuple.
fn dpkg_valid_wildcards(t: [&str; 4]) -> Vec<String> {
    let [t0, t1, t2, t3] = t;
    let mut w: Vec<String> = ["any", "any-any", "any-any-any", "any-any-any-any"]
        .map(String::from)
        .to_vec();
    w.extend([
        format!("{t2}-any"),
        format!("any-{t3}"),
        format!("{t1}-{t2}-any"),
        format!("{t1}-any-{t3}"),
        format!("{t1}-any-any"),
        format!("any-{t2}-{t3}"),
        format!("any-{t2}-any"),
        format!("any-any-{t3}"),
        format!("{t0}-{t1}-{t2}-any"),
        format!("{t0}-{t1}-any-{t3}"),
        format!("{t0}-{t1}-any-any"),
        format!("{t0}-any-{t2}-{t3}"),
        format!("{t0}-any-{t2}-any"),
        format!("{t0}-any-any-{t3}"),
        format!("{t0}-any-any-any"),
        format!("any-{t1}-{t2}-{t3}"),
        format!("any-{t1}-{t2}-any"),
        format!("any-{t1}-any-{t3}"),
        format!("any-{t1}-any-any"),
        format!("any-any-{t2}-{t3}"),
        format!("any-any-{t2}-any"),
        format!("any-any-any-{t3}"),
    ]);
    w
}

#[test]
fn dpkg_perl_arch() {
    let text = include_str!("../../testdata/parity/dpkg-Dpkg_Arch.tsv");
    let (mut explicit, mut arches, mut checks) = (0, 0, 0);
    let mut wrong = Vec::new();
    for (line, cols) in rows(text) {
        match cols[..] {
            ["is", real, alias, want] => {
                let at = format!("dpkg-Dpkg_Arch.tsv:{line}: debarch_is({real}, {alias})");
                assert_eq!(debarch_is(real, alias).to_string(), want, "{at}");
                explicit += 1;
            }
            ["arch", name, tuple] => {
                let t: Vec<&str> = tuple.split('-').collect();
                let t: [&str; 4] = t.try_into().expect("a 4-part tuple");
                for wildcard in dpkg_valid_wildcards(t) {
                    if !debarch_is(name, &wildcard) {
                        wrong.push(format!("{line}: {wildcard} does not match {name}"));
                    }
                    checks += 1;
                }
                arches += 1;
            }
            _ => panic!("dpkg-Dpkg_Arch.tsv:{line}: bad row {cols:?}"),
        }
    }
    assert_eq!((explicit, arches, checks), (8, 569, 569 * 26));
    assert!(
        wrong.is_empty(),
        "{} misses, first: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(20)]
    );
}

/// Relations printed as dpkg's output() prints them: `, ` between items, ` | ` between
/// alternatives.
fn print_relations(items: &[Vec<Relation>]) -> Vec<String> {
    items
        .iter()
        .map(|alts| {
            let alts: Vec<String> = alts.iter().map(Relation::to_string).collect();
            alts.join(" | ")
        })
        .collect()
}

#[test]
fn dpkg_perl_deps() {
    let text = include_str!("../../testdata/parity/dpkg-Dpkg_Deps.tsv");
    let (mut differ, mut n) = (Vec::new(), 0);
    for (line, cols) in rows(text) {
        let field = unescape(cols[1]);
        let parsed = parse_relations(&field);
        let agrees = match cols[..] {
            ["parse", _, output, _] => parsed.map(|r| print_relations(&r).join(", ") == output),
            ["sorted", _, output, _] => parsed.map(|r| {
                let mut got = print_relations(&r);
                let mut want: Vec<&str> = output.split(", ").collect();
                got.sort();
                want.sort_unstable();
                got == want
            }),
            ["invalid", _, _] => Ok(parsed.is_err()),
            ["reduce-arch", _, host, output, _] => parsed.map(|r| {
                let kept: Vec<Vec<Relation>> = r
                    .into_iter()
                    .map(|alts| {
                        // reduce_arch keeps the relations for HOST and drops their lists
                        let kept = alts.into_iter().filter(|a| a.applies_to(host));
                        kept.map(|a| Relation {
                            arch_restrictions: Vec::new(),
                            ..a
                        })
                        .collect()
                    })
                    .filter(|alts: &Vec<Relation>| !alts.is_empty())
                    .collect();
                print_relations(&kept).join(", ") == output
            }),
            ["iterate", _, arches, pkgs, _] => parsed.map(|r| {
                let all = r.iter().flatten();
                let quals: BTreeSet<&str> = all
                    .clone()
                    .filter_map(|a| a.arch_qualifier.as_deref())
                    .collect();
                let names: BTreeSet<&str> = all.map(|a| a.name.as_str()).collect();
                quals.into_iter().collect::<Vec<_>>().join(" ") == arches
                    && names.into_iter().collect::<Vec<_>>().join(" ") == pkgs
            }),
            _ => panic!("dpkg-Dpkg_Deps.tsv:{line}: bad row {cols:?}"),
        };
        if agrees != Ok(true) {
            differ.push(line);
        }
        n += 1;
    }
    assert_eq!(n, 15);
    assert_eq!(
        differ,
        known_differences(text),
        "rows where pinlock differs from dpkg"
    );
}

#[cfg(feature = "online")]
#[test]
fn apt_clearsigned() {
    let text = include_str!("../../testdata/parity/apt-clearsigned.txt");
    let mut keys = include_bytes!("../../testdata/parity/apt-keys/joesixpack.pub").to_vec();
    keys.extend_from_slice(include_bytes!(
        "../../testdata/parity/apt-keys/marvinparanoid.pub"
    ));
    let keyring = Keyring::from_bytes(&keys).unwrap();
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_483_228_800);
    // (name, input, expected: Some(content) when apt reads it, None when apt refuses it; known)
    let mut cases: Vec<(String, String, Option<String>, bool)> = Vec::new();
    for (line, cols) in rows(text) {
        let cols: Vec<String> = cols.iter().map(|c| unescape(c)).collect();
        let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
        match cols[..] {
            ["case", name] => cases.push((name.into(), String::new(), None, false)),
            ["input", t] => cases.last_mut().unwrap().1.push_str(t),
            ["expect", "content", t] => cases.last_mut().unwrap().2 = Some(t.into()),
            ["expect", "refused", _] => {}
            // apt opens the file as it is, unsigned: its whole text is the content
            ["expect", "unsigned"] => {
                let case = cases.last_mut().unwrap();
                case.2 = Some(case.1.clone());
            }
            ["known", _] => cases.last_mut().unwrap().3 = true,
            _ => panic!("apt-clearsigned.txt:{line}: bad row {cols:?}"),
        }
    }
    assert_eq!(cases.len(), 15);
    assert_only_known_cases_differ(
        &cases,
        |c| c.0.as_str(),
        |c| c.3,
        |(_, input, want, _)| {
            let got = verify_inrelease(&keyring, input.as_bytes(), now);
            match (&got, want) {
                (Ok(v), Some(want)) if v.content == want.as_bytes() => Ok(()),
                (Err(_), None) => Ok(()),
                _ => Err(format!(
                    "{:?}",
                    got.map(|v| String::from_utf8_lossy(&v.content).into_owned())
                )),
            }
        },
    );
}

#[test]
fn dpkg_perl_package_names() {
    let text = include_str!("../../testdata/parity/dpkg-Dpkg_Package.tsv");
    let (mut differ, mut n) = (Vec::new(), 0);
    for (line, cols) in rows(text) {
        let [name, valid, _] = cols[..] else {
            panic!("dpkg-Dpkg_Package.tsv:{line}: expected 3 columns")
        };
        let want = valid == "true";
        if valid_name(name) != want || valid_relation_name(name) != want {
            differ.push(line);
        }
        n += 1;
    }
    assert_eq!(n, 5);
    assert_eq!(
        differ,
        known_differences(text),
        "rows where pinlock differs from dpkg"
    );
}
