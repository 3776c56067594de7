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
    /// `Valid-Until` is not a date apt reads.
    #[error("{file}:{line}: invalid {field} {value:?}: not a date apt reads; apt refuses the Release (\"Invalid '{field}' entry\")\nhint: apt reads `Thu, 24 Aug 2023 14:10:41 UTC`: a weekday, and the zone UTC, GMT, Z or +0000 (RFC 850 and asctime dates too); or turn the check off with [check-valid-until=no]")]
    InvalidDate {
        /// File or URL.
        file: String,
        /// Line of the field.
        line: usize,
        /// Field name.
        field: String,
        /// The value.
        value: String,
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
    /// `Date` in seconds since the Unix epoch, read as apt reads it ([`parse_apt_date`]).
    /// `Some(0)` when the Release has no `Date` or one apt cannot read: apt warns and sets its
    /// Date to 0 (`debReleaseIndex::Load`), so such a Release is never "not valid yet" and is
    /// older than any dated one (apt keeps the Release it had; pinlock's lockfile reports a
    /// rollback). See [`Release::date_warning`].
    pub date_unix: Option<i64>,
    /// `Valid-Until` in seconds since the Unix epoch, `None` when missing or unreadable (apt
    /// refuses an unreadable one, but only when it checks it: see
    /// [`Release::checked_valid_until`]).
    pub valid_until_unix: Option<i64>,
    /// `Valid-Until`, as written.
    pub valid_until: Option<String>,
    /// Line of the `Date` field (of the paragraph when there is none), for messages.
    pub date_line: usize,
    /// Line of the `Valid-Until` field, for messages.
    pub valid_until_line: usize,
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
        let date_field = |n: &str| p.get(n).and_then(|v| parse_apt_date(v.trim()));
        let mut rel = Release {
            origin: s("Origin"),
            label: s("Label"),
            suite: s("Suite"),
            codename: s("Codename"),
            version: s("Version"),
            date: s("Date"),
            date_unix: Some(date_field("Date").unwrap_or(0)),
            valid_until: s("Valid-Until"),
            valid_until_unix: date_field("Valid-Until"),
            date_line: p.line_of("Date"),
            valid_until_line: p.line_of("Valid-Until"),
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

impl Release {
    /// apt's warning for a missing or unreadable `Date` (`Invalid 'Date' entry in Release
    /// file`): apt uses such a Release all the same, and so does pinlock, with this warning.
    /// `file` names the Release.
    pub fn date_warning(&self, file: &str) -> Option<String> {
        if self.date_unix != Some(0) || self.date.as_deref().and_then(parse_apt_date) == Some(0) {
            return None;
        }
        Some(match &self.date {
            None => format!(
                "{file}: the Release file has no Date field; apt warns and uses the Release, and so does pinlock, as if it were dated 1970 (a locked source reports a rollback)"
            ),
            Some(d) => format!(
                "{file}:{}: invalid Date {d:?}, not a date apt reads (RFC 1123 in UTC, RFC 850 or asctime); apt warns and uses the Release, and so does pinlock, as if it were dated 1970 (a locked source reports a rollback)",
                self.date_line
            ),
        })
    }

    /// `Valid-Until` as apt checks it: `Ok(None)` when there is none, an error when it is not a
    /// date apt reads (apt refuses the Release: `Invalid 'Valid-Until' entry`). apt looks at
    /// it only when it checks dates (`check-date` and `check-valid-until`, both on by default).
    pub fn checked_valid_until(&self, file: &str) -> Result<Option<i64>, ReleaseError> {
        match (&self.valid_until, self.valid_until_unix) {
            (Some(v), None) if !v.is_empty() => Err(ReleaseError::InvalidDate {
                file: file.to_string(),
                line: self.valid_until_line,
                field: "Valid-Until".into(),
                value: v.clone(),
            }),
            (_, t) => Ok(t),
        }
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

/// Reads a date leniently: every form apt reads ([`parse_apt_date`]) and RFC 2822 dates apt
/// refuses (weekday missing, zone `+hhmm`/`-hhmm` or `UT`, or none). For dates pinlock wrote
/// itself (a lockfile's copy of a Release `Date`, older pinlock versions took these); a Release
/// is read with [`parse_apt_date`]. Returns seconds since the epoch.
pub fn parse_rfc2822(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(t) = parse_apt_date(s) {
        return Some(t);
    }
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

/// Reads a date as apt 2.6 does (`RFC1123StrToTime`, apt-pkg/contrib/strutl.cc), for the
/// Release `Date` and `Valid-Until` fields. Three forms, told apart by the weekday's length:
///
/// * RFC 1123: `Sun, 06 Nov 1994 08:49:37 GMT`
/// * RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT` (the year is 1900 + the two digits, as apt)
/// * asctime: `Sun Nov  6 08:49:37 1994` (UTC)
///
/// The weekday is required (only its first three letters are checked, never against the date)
/// and the zone must be UTC: `GMT`, `UTC`, `Z` or a numeric zone that is zero (`+0000`); any
/// other zone, or none, is refused, as apt refuses it. apt's quirks are kept: an unknown month
/// is January, a day past the month's end rolls over (`timegm`), seconds up to 61 are read.
/// Returns seconds since the epoch.
pub fn parse_apt_date(s: &str) -> Option<i64> {
    let mut ss = IStream {
        s: s.as_bytes(),
        pos: 0,
        fail: false,
    };
    let weekday = ss.word().to_ascii_lowercase();
    let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    if !days.iter().any(|d| weekday.starts_with(d.as_bytes())) {
        return None;
    }
    let (year, month, day, timespec, zone);
    match weekday.len() {
        4 => {
            // RFC 1123
            if !weekday.ends_with(b",") {
                return None;
            }
            day = ss.uint();
            month = month_conv(ss.word());
            year = ss.int();
            timespec = ss.word();
            zone = ss.word();
        }
        3 => {
            // asctime
            month = month_conv(ss.word());
            day = ss.uint();
            timespec = ss.word();
            year = ss.int();
            zone = b"UTC";
        }
        0..=2 => return None,
        _ => {
            // RFC 850
            if !weekday.ends_with(b",") {
                return None;
            }
            let datespec = ss.word();
            timespec = ss.word();
            zone = ss.word();
            let parts: Vec<&[u8]> = datespec.split(|&b| b == b'-').collect();
            let [d, m, y] = parts[..] else { return None };
            day = stoi(d);
            year = stoi(y).map(|y| 1900 + y);
            month = month_conv(m);
        }
    }
    // apt: `ss.fail() || ss.bad() || !ss.eof()`: every field read, nothing after the last
    if ss.fail || ss.pos != ss.s.len() {
        return None;
    }
    let zero_zone = matches!(zone, b"GMT" | b"UTC" | b"Z")
        || matches!(zone, [b'+' | b'-', rest @ ..] | rest
            if !rest.is_empty() && rest.iter().all(|&b| b == b'0'));
    if !zero_zone {
        return None;
    }
    let (year, day) = (year?, day?);
    // apt prints `%.4d-%.2d-%.2d` and reads it back with strptime `%Y-%m-%d %H:%M:%S`
    if !(0..=9999).contains(&year) || !(1..=31).contains(&day) {
        return None;
    }
    let mut t = timespec;
    let h = strptime_number(&mut t, 0, 23, 2)?;
    let m = literal(&mut t, b':').and_then(|()| strptime_number(&mut t, 0, 59, 2))?;
    let sec = literal(&mut t, b':').and_then(|()| strptime_number(&mut t, 0, 61, 2))?;
    // strptime stops after `%S`: apt ignores what follows
    Some(days_from_civil(year, month, day) * 86400 + h * 3600 + m * 60 + sec)
}

/// The parts of a C++ `std::istringstream` that `RFC1123StrToTime` uses (C locale).
struct IStream<'a> {
    s: &'a [u8],
    pos: usize,
    fail: bool,
}

impl<'a> IStream<'a> {
    fn skip_ws(&mut self) {
        while self
            .s
            .get(self.pos)
            .is_some_and(|b| b" \t\n\x0b\x0c\r".contains(b))
        {
            self.pos += 1;
        }
    }

    /// `>> std::string`
    fn word(&mut self) -> &'a [u8] {
        if self.fail {
            return b"";
        }
        self.skip_ws();
        let start = self.pos;
        while self
            .s
            .get(self.pos)
            .is_some_and(|b| !b" \t\n\x0b\x0c\r".contains(b))
        {
            self.pos += 1;
        }
        if start == self.pos {
            self.fail = true;
        }
        &self.s[start..self.pos]
    }

    /// `>> int` (sign, then digits; stops at the first non-digit)
    fn int(&mut self) -> Option<i64> {
        if self.fail {
            return None;
        }
        self.skip_ws();
        let neg = match self.s.get(self.pos) {
            Some(b'-') => {
                self.pos += 1;
                true
            }
            Some(b'+') => {
                self.pos += 1;
                false
            }
            _ => false,
        };
        let start = self.pos;
        let mut n: i64 = 0;
        while let Some(b) = self.s.get(self.pos).filter(|b| b.is_ascii_digit()) {
            n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
            self.pos += 1;
        }
        if start == self.pos || n > i64::from(i32::MAX) {
            self.fail = true;
            return None;
        }
        Some(if neg { -n } else { n })
    }

    /// `>> unsigned short`; a negative number is refused (apt would read a huge day).
    fn uint(&mut self) -> Option<i64> {
        let v = self.int()?;
        if !(0..=i64::from(u16::MAX)).contains(&v) {
            self.fail = true;
            return None;
        }
        Some(v)
    }
}

/// `std::stoi` that must read the whole text.
fn stoi(t: &[u8]) -> Option<i64> {
    let digits = t
        .strip_prefix(b"+")
        .or_else(|| t.strip_prefix(b"-"))
        .unwrap_or(t);
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: i64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    let n = if t.first() == Some(&b'-') { -n } else { n };
    i32::try_from(n).ok().map(i64::from)
}

/// apt's `MonthConv` (1-12): decided by the first letters; anything unknown is January.
fn month_conv(m: &[u8]) -> i64 {
    let c = |i: usize| m.get(i).map_or(0, u8::to_ascii_lowercase);
    1 + match c(0) {
        b'a' if c(1) == b'p' => 3,
        b'a' => 7,
        b'd' => 11,
        b'f' => 1,
        b'j' if c(1) == b'a' => 0,
        b'j' if c(2) == b'n' => 5,
        b'j' => 6,
        b'm' if c(2) == b'r' => 2,
        b'm' => 4,
        b'n' => 10,
        b'o' => 9,
        b's' => 8,
        _ => 0,
    }
}

/// glibc strptime's `get_number`: leading spaces, then up to `n` digits while the value can
/// still grow within `to`.
fn strptime_number(t: &mut &[u8], from: i64, to: i64, n: usize) -> Option<i64> {
    while t.first().is_some_and(|b| b" \t\n\x0b\x0c\r".contains(b)) {
        *t = &t[1..];
    }
    let mut val = 0;
    let mut read = 0;
    loop {
        let b = *t.first().filter(|b| b.is_ascii_digit())?;
        val = val * 10 + i64::from(b - b'0');
        *t = &t[1..];
        read += 1;
        if read >= n || val * 10 > to || !t.first().is_some_and(u8::is_ascii_digit) {
            break;
        }
    }
    (from..=to).contains(&val).then_some(val)
}

fn literal(t: &mut &[u8], c: u8) -> Option<()> {
    let rest = t.strip_prefix(&[c])?;
    *t = rest;
    Some(())
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
        let text = "Suite: x\nValid-Until: someday\n";
        let r = Release::parse(text, "R").unwrap();
        insta::assert_snapshot!(r.checked_valid_until("R").unwrap_err().to_string());
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
    fn unreadable_or_missing_date_is_a_warning_and_date_zero() {
        // apt: `Invalid 'Date' entry in Release file`, a warning; Date = 0
        let r = Release::parse("Suite: x\nDate: someday\n", "R").unwrap();
        assert_eq!(r.date_unix, Some(0));
        insta::assert_snapshot!("unreadable_date", r.date_warning("R").unwrap());
        let r = Release::parse("Suite: x\n", "R").unwrap();
        assert_eq!(r.date_unix, Some(0));
        insta::assert_snapshot!("missing_date", r.date_warning("R").unwrap());
        // a numeric zone other than zero: apt refuses it, in Date as in Valid-Until
        let text = "Suite: x\nDate: Thu, 24 Aug 2023 14:10:41 +0200\nValid-Until: Thu, 24 Aug 2023 14:10:41\n";
        let r = Release::parse(text, "R").unwrap();
        assert_eq!(r.date_unix, Some(0));
        assert!(r
            .date_warning("R")
            .unwrap()
            .starts_with("R:2: invalid Date"));
        assert!(r.checked_valid_until("R").is_err());
        let r = Release::parse(DOCKER, "R").unwrap();
        assert_eq!(r.date_warning("R"), None);
        assert_eq!(r.checked_valid_until("R"), Ok(None));
    }

    #[test]
    fn apt_date_forms() {
        let t = Some(784111777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_apt_date("Sun, 06 Nov 1994 08:49:37 GMT"), t);
        assert_eq!(parse_apt_date("Sunday, 06-Nov-94 08:49:37 GMT"), t);
        assert_eq!(parse_apt_date("Sun Nov  6 08:49:37 1994"), t);
        assert_eq!(parse_apt_date("Sun, 06 Nov 1994 08:49:37 +0000"), t);
        assert_eq!(parse_apt_date("Sun, 06 Nov 1994 08:49:37 -0000"), t);
        assert_eq!(parse_apt_date("Sun, 06 Nov 1994 08:49:37 UTC"), t);
        assert_eq!(parse_apt_date("Sun, 06 Nov 1994 08:49:37 Z"), t);
        // the weekday is not checked against the date, only that it is one
        assert_eq!(parse_apt_date("Mon, 06 Nov 1994 08:49:37 GMT"), t);
        for bad in [
            "06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Nov 1994 08:49:37 +0100",
            "Sun, 06 Nov 1994 08:49:37 UT",
            "Sun, 06 Nov 1994 08:49:37 gmt",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
            "Sun 06 Nov 1994 08:49:37 GMT",
            "Son, 06 Nov 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "",
        ] {
            assert_eq!(parse_apt_date(bad), None, "{bad}");
        }
        // apt's quirks: an unknown month is January, a day past the month's end rolls over
        assert_eq!(
            parse_apt_date("Sun, 06 Xyz 1994 08:49:37 GMT"),
            parse_apt_date("Sun, 06 Jan 1994 08:49:37 GMT")
        );
        assert_eq!(
            parse_apt_date("Sun, 31 Feb 2023 00:00:00 GMT"),
            parse_apt_date("Sun, 03 Mar 2023 00:00:00 GMT")
        );
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
