//! Test vectors taken from apt's and dpkg's own test suites, checked in under
//! `testdata/parity/` (each file names its origin: repository, path and tag).

use pinlock_core::release::parse_apt_date;

/// The data lines of a vector file: not empty, not `#` comments; split on tabs.
fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(i, l)| (i + 1, l.split('\t').collect()))
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
