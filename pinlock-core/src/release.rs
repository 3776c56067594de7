//! Release files (the signed content of `InRelease`, or `Release`): metadata and the list of
//! index files with their sizes and digests.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::deb822::{paragraphs, Deb822Error};

/// A Release file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseError {
    /// deb822 syntax error.
    #[error(transparent)]
    Syntax(#[from] Deb822Error),
    /// The file has no paragraph.
    #[error("{file}: empty Release file")]
    Empty {
        /// File or URL.
        file: String,
    },
    /// A field has a value pinlock cannot read.
    #[error("{file}:{line}: invalid {field} {value:?}: {reason}")]
    InvalidField {
        /// File or URL.
        file: String,
        /// Line of the field.
        line: usize,
        /// Field name.
        field: String,
        /// The value.
        value: String,
        /// What is wrong.
        reason: String,
    },
}

/// Size and digests of one file listed in a Release.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileEntry {
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA256, when listed.
    pub sha256: Option<String>,
    /// Lowercase hex SHA512, when listed.
    pub sha512: Option<String>,
    /// True if MD5 or SHA1 digests were listed (weak; never enough on their own).
    pub weak_only_listed: bool,
}

impl FileEntry {
    /// True if the entry has a digest apt accepts as strong (SHA256 or SHA512).
    pub fn has_strong_hash(&self) -> bool {
        self.sha256.is_some() || self.sha512.is_some()
    }
}

/// A parsed Release file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Release {
    /// `Origin`
    pub origin: Option<String>,
    /// `Label`
    pub label: Option<String>,
    /// `Suite`
    pub suite: Option<String>,
    /// `Codename` (Docker's repositories have none)
    pub codename: Option<String>,
    /// `Version`
    pub version: Option<String>,
    /// `Date`, as written.
    pub date: Option<String>,
    /// `Date` in seconds since the Unix epoch.
    pub date_unix: Option<i64>,
    /// `Valid-Until` in seconds since the Unix epoch.
    pub valid_until_unix: Option<i64>,
    /// `Valid-Until`, as written.
    pub valid_until: Option<String>,
    /// `Acquire-By-Hash: yes`
    pub acquire_by_hash: bool,
    /// `Architectures`
    pub architectures: Vec<String>,
    /// `Components`
    pub components: Vec<String>,
    /// `No-Support-for-Architecture-all`: the index kinds (`Packages`) whose `binary-all`
    /// indexes apt does not fetch, because the arch-all packages are in every `binary-<arch>`
    /// index too (Debian's archives say `Packages`).
    pub no_support_for_architecture_all: Vec<String>,
    /// `NotAutomatic: yes`
    pub not_automatic: bool,
    /// `ButAutomaticUpgrades: yes`
    pub but_automatic_upgrades: bool,
    /// Files listed in the digest sections, by path relative to `dists/SUITE/`.
    pub files: BTreeMap<String, FileEntry>,
}

/// Reads a Release size as apt does (`strtoull`): optional sign, then the leading digits;
/// no digits is 0, overflow saturates, a minus sign negates modulo 2^64.
fn apt_size(text: &str) -> u64 {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut n: u64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
        {
            Some(v) => n = v,
            None => return u64::MAX,
        }
    }
    if negative {
        n.wrapping_neg()
    } else {
        n
    }
}

fn yes(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"))
}

impl Release {
    /// Parses Release text. `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Release, ReleaseError> {
        let paras = paragraphs(text, file)?;
        let p = paras
            .into_iter()
            .next()
            .ok_or_else(|| ReleaseError::Empty {
                file: file.to_string(),
            })?;
        let s = |n: &str| p.get(n).map(|v| v.trim().to_string());
        let list = |n: &str| {
            p.get(n)
                .map(|v| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default()
        };
        let date_field = |n: &str| -> Result<Option<i64>, ReleaseError> {
            match p.get(n) {
                None => Ok(None),
                Some(v) => parse_rfc2822(v)
                    .map(Some)
                    .ok_or_else(|| ReleaseError::InvalidField {
                        file: file.to_string(),
                        line: p.line_of(n),
                        field: n.to_string(),
                        value: v.to_string(),
                        reason: "not an RFC 2822 date".into(),
                    }),
            }
        };
        let mut rel = Release {
            origin: s("Origin"),
            label: s("Label"),
            suite: s("Suite"),
            codename: s("Codename"),
            version: s("Version"),
            date: s("Date"),
            date_unix: date_field("Date")?,
            valid_until: s("Valid-Until"),
            valid_until_unix: date_field("Valid-Until")?,
            acquire_by_hash: yes(p.get("Acquire-By-Hash")),
            architectures: list("Architectures"),
            components: list("Components"),
            no_support_for_architecture_all: list("No-Support-for-Architecture-all"),
            not_automatic: yes(p.get("NotAutomatic")),
            but_automatic_upgrades: yes(p.get("ButAutomaticUpgrades")),
            files: BTreeMap::new(),
        };
        // apt's order (HashString::SupportedHashes): an entry's size comes from the first
        // section that lists it, and for each digest the first line naming the file wins
        // (HashStringList::push_back keeps the first of a type), as in debReleaseIndex::Load.
        for (section, kind) in [("SHA512", 2), ("SHA256", 1), ("SHA1", 0), ("MD5Sum", 0)] {
            let Some(v) = p.get(section) else { continue };
            // the value starts on the line after `SECTION:` (its empty first line is trimmed)
            let base = p.line_of(section) + 1;
            for (i, line) in v.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let mut it = line.split_whitespace();
                let (Some(hash), Some(size), Some(path), None) =
                    (it.next(), it.next(), it.next(), it.next())
                else {
                    return Err(ReleaseError::InvalidField {
                        file: file.to_string(),
                        line: base + i,
                        field: section.to_string(),
                        value: line.to_string(),
                        reason: "expected `digest size path`".into(),
                    });
                };
                // A digest that is not hex of the right length, or a size that is not a number,
                // is kept as apt keeps it (the size read like strtoull): harmless for a file
                // nobody fetches, a refusal (size or hash mismatch) for one that is fetched.
                let e = rel
                    .files
                    .entry(path.to_string())
                    .or_insert_with(|| FileEntry {
                        size: apt_size(size),
                        ..FileEntry::default()
                    });
                let hash = hash.to_ascii_lowercase();
                match kind {
                    1 => {
                        e.sha256.get_or_insert(hash);
                    }
                    2 => {
                        e.sha512.get_or_insert(hash);
                    }
                    _ => e.weak_only_listed = true,
                }
            }
        }
        Ok(rel)
    }

    /// True if at least one listed file has a strong digest. apt refuses a Release that has
    /// only MD5/SHA1 ("no strong hash", "weak security information").
    pub fn has_strong_hashes(&self) -> bool {
        self.files.values().any(FileEntry::has_strong_hash)
    }
}

/// apt's default `Acquire::Max-FutureTime` (apt-pkg/deb/debmetaindex.cc): how far a Release
/// `Date` may lie after the local clock before apt refuses the Release as "not valid yet".
/// Measured with real apt 2.6.1 (`tests/tests/parity_dates.rs`): a Date 30 s ahead is refused
/// ("invalid for another 20s"), one a few seconds ahead is accepted.
pub const APT_MAX_FUTURE_TIME: Duration = Duration::from_secs(10);

impl Release {
    /// True when apt (at its default `Acquire::Max-FutureTime`) refuses this Release as not
    /// valid yet: its `Date` lies more than [`APT_MAX_FUTURE_TIME`] after `now` (seconds since
    /// the epoch). False when there is no `Date`.
    pub fn not_yet_valid(&self, now: i64) -> bool {
        self.date_unix
            .is_some_and(|d| d > now.saturating_add(APT_MAX_FUTURE_TIME.as_secs() as i64))
    }
}

/// Parses an RFC 2822 date as found in Release files (`Thu, 24 Aug 2023 14:10:41 UTC`, zone
/// `UTC`, `GMT`, `Z` or `+hhmm`/`-hhmm`, weekday optional). Returns seconds since the epoch.
pub fn parse_rfc2822(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = match s.split_once(',') {
        Some((_, rest)) => rest.trim(),
        None => s,
    };
    let mut it = s.split_whitespace();
    let day: i64 = it.next()?.parse().ok()?;
    let mon = it.next()?;
    let months = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let month = months.iter().position(|m| mon.eq_ignore_ascii_case(m))? as i64 + 1;
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let m: i64 = hms.next()?.parse().ok()?;
    let sec: i64 = hms.next().unwrap_or("0").parse().ok()?;
    let zone = it.next().unwrap_or("UTC");
    if it.next().is_some()
        || !(1..=31).contains(&day)
        || h > 23
        || m > 59
        || sec > 60
        || !(1970..=9999).contains(&year)
    {
        return None;
    }
    let offset = match zone {
        "UTC" | "GMT" | "Z" | "UT" => 0,
        z if (z.starts_with('+') || z.starts_with('-')) && z.len() == 5 => {
            let n: i64 = z[1..].parse().ok()?;
            let secs = (n / 100) * 3600 + (n % 100) * 60;
            if z.starts_with('-') {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    Some(days_from_civil(year, month, day) * 86400 + h * 3600 + m * 60 + sec - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Formats seconds since the epoch as an RFC 2822 UTC date (`Thu, 24 Aug 2023 14:10:41 UTC`).
pub fn format_rfc2822(t: i64) -> String {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(m - 1) as usize];
    format!(
        "{wd}, {d:02} {mon} {y} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The date part (`YYYY-MM-DD`) of seconds since the epoch.
pub fn format_date(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86400));
    format!("{y:04}-{m:02}-{d:02}")
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKER: &str = "Origin: Docker
Label: Docker CE
Suite: buster
Architectures: amd64 arm64 armhf
Components: stable edge test nightly
Date: Thu, 24 Aug 2023 14:10:41 +0000
MD5Sum:
 21aa519ad508ce13ee1854f1131c7f1d            10225 Release
 2bf1fde7ef66d1712828981f788ac437            27148 stable/binary-amd64/Packages
SHA256:
 e436133f2f60aa51f0b15ab63677bb93bf8091316d7c2dba7d2f7abd4d7a9664            27148 stable/binary-amd64/Packages
";

    #[test]
    fn parses_docker_release_without_codename() {
        let r = Release::parse(DOCKER, "InRelease").unwrap();
        assert_eq!(r.origin.as_deref(), Some("Docker"));
        assert_eq!(r.label.as_deref(), Some("Docker CE"));
        assert_eq!(r.codename, None);
        assert_eq!(r.components, ["stable", "edge", "test", "nightly"]);
        assert_eq!(r.date_unix, Some(1692886241));
        let p = &r.files["stable/binary-amd64/Packages"];
        assert_eq!(p.size, 27148);
        assert!(p.has_strong_hash());
        assert!(!r.files["Release"].has_strong_hash());
        assert!(r.has_strong_hashes());
    }

    #[test]
    fn weak_only_release_is_detected() {
        let text = "Suite: x\nMD5Sum:\n 2bf1fde7ef66d1712828981f788ac437 1 a/Packages\n";
        assert!(!Release::parse(text, "R").unwrap().has_strong_hashes());
    }

    #[test]
    fn bad_lines_name_the_line() {
        let text = "Suite: x\nDate: someday\n";
        let e = Release::parse(text, "R").unwrap_err();
        assert_eq!(
            e.to_string(),
            "R:2: invalid Date \"someday\": not an RFC 2822 date"
        );
        let text = "Suite: x\nSHA256:\n abc 1\n";
        let e = Release::parse(text, "R").unwrap_err();
        assert!(e.to_string().starts_with("R:3: invalid SHA256"), "{e}");
    }

    #[test]
    fn hash_lines_are_read_as_apt_reads_them() {
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let text = format!(
            "Suite: x\nSHA256:\n {a} 10 p/Packages\n {b} 11 p/Packages\n XYZ 12x q/Packages\n {a} -1 r\nSHA512:\n {} 9 p/Packages\n",
            "c".repeat(128)
        );
        let r = Release::parse(&text, "R").unwrap();
        // the first line of each digest wins; the size comes from SHA512, apt's first section
        let p = &r.files["p/Packages"];
        assert_eq!(p.sha256.as_deref(), Some(a.as_str()));
        assert_eq!(p.size, 9);
        // unusable digests and sizes are kept (they can only fail verification), as in apt
        assert_eq!(r.files["q/Packages"].sha256.as_deref(), Some("xyz"));
        assert_eq!(r.files["q/Packages"].size, 12);
        assert_eq!(r.files["r"].size, u64::MAX);
        assert_eq!(apt_size("x1"), 0);
        assert_eq!(apt_size("99999999999999999999999"), u64::MAX);
    }

    #[test]
    fn not_yet_valid_allows_apts_ten_seconds() {
        let r = |date: i64| Release {
            date_unix: Some(date),
            ..Release::default()
        };
        let now = 1_700_000_000;
        assert!(!r(now - 86_400).not_yet_valid(now));
        assert!(!r(now + 10).not_yet_valid(now));
        assert!(r(now + 11).not_yet_valid(now));
        assert!(!Release::default().not_yet_valid(now));
    }

    #[test]
    fn dates_round_trip() {
        for s in [
            "Sat, 01 Jan 2000 00:00:00 UTC",
            "Thu, 24 Aug 2023 14:10:41 UTC",
            "Fri, 10 Jul 2026 12:27:21 UTC",
        ] {
            let t = parse_rfc2822(s).unwrap();
            assert_eq!(format_rfc2822(t), s);
        }
        assert_eq!(
            parse_rfc2822("10 Jul 2026 14:27:21 +0200"),
            parse_rfc2822("Fri, 10 Jul 2026 12:27:21 GMT")
        );
        assert_eq!(format_date(1692886241), "2023-08-24");
        assert_eq!(parse_rfc2822("Thu, 32 Aug 2023 14:10:41 UTC"), None);
    }
}
