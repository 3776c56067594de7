//! dpkg-exact Debian version parsing and ordering.
//!
//! A Debian version is `[epoch:]upstream[-revision]`. This module parses and orders versions
//! exactly as dpkg 1.21 does (`parseversion` in `lib/dpkg/parsehelp.c`, `verrevcmp` in
//! `lib/dpkg/version.c`), and the differential tests in `pinlock-tests` check that against the
//! real `dpkg --compare-versions`.
//!
//! # Validation: what dpkg rejects, what it only warns about
//!
//! `dpkg --compare-versions` (dpkg 1.21.22, checked by hand and by the differential tests)
//! fails with exit code 2 and `error: version 'X' has bad syntax: REASON` for these, and so does
//! [`Version::parse`]:
//!
//! | input | reason |
//! | --- | --- |
//! | `""`, `" "` | version string is empty |
//! | `"1 0"` | version string has embedded spaces |
//! | `":1"`, `"a:1"` | epoch in version is empty |
//! | `"1a:1"`, `"1-2:3"` | epoch in version is not number |
//! | `"-1:1"` | epoch in version is negative |
//! | `"2147483648:1"` | epoch in version is too big |
//! | `"1:"` | nothing after colon in version number |
//! | `"1.0-"`, `"-"` | revision number is empty |
//! | `"-1"`, `"1:-1"`, `"1: "` | version number is empty |
//!
//! It only *warns* (and still compares, exit code 0 or 1) for an upstream version that does
//! not start with a digit (`abc`, `1:a`, `~`), for characters other than ASCII letters, digits
//! and `.+~-:` in the upstream version (`1.0_a`, `1é`), and for characters other than ASCII
//! letters, digits and `.+~` in the revision (`1-a_b`). Repositories in the wild do contain such
//! versions and apt installs them, so [`Version::parse`] accepts them too; [`Version::parse_strict`]
//! rejects them as well (dpkg's strict check, used when it builds packages), and
//! [`Version::dpkg_warning`] reports which warning dpkg would print.
//!
//! Other dpkg details mirrored here: leading and trailing blanks (space, tab) are ignored; the
//! epoch is read with C `strtol`, so `+1:2`, `-0:2`, `01:2` and a leading `\n`, `\v`, `\f`, `\r`
//! before the epoch digits are accepted; the epoch ends at the *first* `:` and the revision
//! starts after the *last* `-`, so the upstream version may contain both (`1:2:3-4-5` is epoch 1,
//! upstream `2:3-4`, revision `5`).
//!
//! Two differences that cannot be observed through `dpkg --compare-versions`: a NUL byte is
//! rejected (a C string cannot contain one), and the empty string is rejected (the dpkg command
//! line, and only it, treats `""` and `<unknown>` as "no version" rather than parsing them).
//!
//! # Equality
//!
//! [`PartialEq`], [`Eq`], [`Hash`] and [`Ord`] all follow dpkg's ordering, not the text: `1.0`,
//! `0:1.0`, `1.0-0`, `1.00-00` are all equal (dpkg `eq` says so), while `1` and `1.0` are not.
//! [`Version::as_str`] keeps the text as written, so equal versions may print differently.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// Why a version string is not a valid Debian version.
///
/// The messages are dpkg's own wording, so they can be compared with dpkg's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VersionErrorKind {
    /// Nothing but blanks (dpkg error).
    Empty,
    /// A blank inside the version (dpkg error).
    EmbeddedSpaces,
    /// A NUL byte: not representable for dpkg at all.
    NulByte,
    /// Nothing that `strtol` reads as a number before the first `:` (dpkg error).
    EpochEmpty,
    /// Something other than digits between the number and the first `:` (dpkg error).
    EpochNotNumber,
    /// A negative epoch (dpkg error).
    EpochNegative,
    /// An epoch above `i32::MAX` (dpkg error).
    EpochTooBig,
    /// Nothing after the epoch's `:` (dpkg error).
    NothingAfterColon,
    /// Nothing after the last `-` (dpkg error).
    RevisionEmpty,
    /// Nothing between the epoch and the revision (dpkg error).
    UpstreamEmpty,
    /// The upstream version does not start with a digit (dpkg warning; strict parse only).
    NoLeadingDigit,
    /// The upstream version has a character other than ASCII alphanumerics and `.+~-:`
    /// (dpkg warning; strict parse only).
    InvalidUpstreamChar,
    /// The revision has a character other than ASCII alphanumerics and `.+~`
    /// (dpkg warning; strict parse only).
    InvalidRevisionChar,
}

impl VersionErrorKind {
    /// Returns dpkg's message for this problem (without any hint).
    pub fn message(self) -> &'static str {
        match self {
            Self::Empty => "version string is empty",
            Self::EmbeddedSpaces => "version string has embedded spaces",
            Self::NulByte => "version string contains a nul byte",
            Self::EpochEmpty => "epoch in version is empty",
            Self::EpochNotNumber => "epoch in version is not number",
            Self::EpochNegative => "epoch in version is negative",
            Self::EpochTooBig => "epoch in version is too big",
            Self::NothingAfterColon => "nothing after colon in version number",
            Self::RevisionEmpty => "revision number is empty",
            Self::UpstreamEmpty => "version number is empty",
            Self::NoLeadingDigit => "version number does not start with digit",
            Self::InvalidUpstreamChar => "invalid character in version number",
            Self::InvalidRevisionChar => "invalid character in revision number",
        }
    }

    /// Returns `true` when dpkg only warns about this problem (so [`Version::parse`] accepts it
    /// and only [`Version::parse_strict`] rejects it).
    pub fn is_dpkg_warning(self) -> bool {
        matches!(
            self,
            Self::NoLeadingDigit | Self::InvalidUpstreamChar | Self::InvalidRevisionChar
        )
    }

    /// Returns a suggested fix, when there is an obvious one.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            Self::EpochEmpty | Self::EpochNotNumber => Some(
                "the first ':' ends the epoch, which must be a number (e.g. '5:20.10.24~3-0~debian-buster')",
            ),
            Self::NothingAfterColon => Some("write the upstream version after the epoch's ':'"),
            Self::RevisionEmpty => {
                Some("remove the trailing '-' or write the Debian revision after it")
            }
            Self::UpstreamEmpty => Some("write the upstream version before the last '-'"),
            Self::NoLeadingDigit => Some("the upstream version should start with a digit"),
            _ => None,
        }
    }
}

impl fmt::Display for VersionErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// A version string that is not a valid Debian version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Debian version {version:?}: {kind}{}", hint_suffix(.kind))]
pub struct VersionError {
    /// The offending string, as given.
    pub version: String,
    /// Why it is invalid.
    pub kind: VersionErrorKind,
}

fn hint_suffix(kind: &VersionErrorKind) -> String {
    kind.hint()
        .map(|h| format!("\nhint: {h}"))
        .unwrap_or_default()
}

impl VersionError {
    fn new(version: &str, kind: VersionErrorKind) -> Self {
        Self {
            version: version.to_owned(),
            kind,
        }
    }
}

/// A parsed Debian version: `[epoch:]upstream[-revision]`.
///
/// Holds the version text (without surrounding blanks) and the positions of its parts, so the
/// accessors are free. Comparison, equality and hashing follow dpkg (see the module docs).
#[derive(Clone)]
pub struct Version {
    text: Box<str>,
    epoch: u32,
    upstream_start: usize,
    upstream_end: usize,
}

/// The borrowed parts of a version, found without allocating.
#[derive(Debug, Clone, Copy)]
struct Parts<'a> {
    text: &'a str,
    epoch: u32,
    upstream_start: usize,
    upstream_end: usize,
}

impl<'a> Parts<'a> {
    fn upstream(&self) -> &'a str {
        &self.text[self.upstream_start..self.upstream_end]
    }

    /// The revision, or `""` when there is none (dpkg compares a missing revision as `""`).
    fn revision(&self) -> &'a str {
        self.text.get(self.upstream_end + 1..).unwrap_or("")
    }

    fn cmp(&self, other: &Parts<'_>) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream().as_bytes(), other.upstream().as_bytes()))
            .then_with(|| verrevcmp(self.revision().as_bytes(), other.revision().as_bytes()))
    }
}

/// dpkg's `isblank` in the C locale.
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// C `isspace` in the C locale (what `strtol` skips).
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Reads the epoch in `s` (the text before the first `:`) as dpkg does with `strtol`.
fn parse_epoch(s: &[u8]) -> Result<u32, VersionErrorKind> {
    let mut i = s.iter().take_while(|&&b| is_c_space(b)).count();
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits_start {
        return Err(VersionErrorKind::EpochEmpty);
    }
    if i != s.len() {
        return Err(VersionErrorKind::EpochNotNumber);
    }
    let digits = &s[digits_start..];
    let significant = &digits[digits.iter().take_while(|&&b| b == b'0').count()..];
    if significant.is_empty() {
        return Ok(0); // "0", "-0", "+000": all zero, none negative
    }
    if negative {
        return Err(VersionErrorKind::EpochNegative);
    }
    // i32::MAX has 10 digits; anything longer is too big (strtol's ERANGE or > INT_MAX).
    if significant.len() > 10 {
        return Err(VersionErrorKind::EpochTooBig);
    }
    let value = significant
        .iter()
        .fold(0u64, |acc, &b| acc * 10 + u64::from(b - b'0'));
    if value > i32::MAX as u64 {
        return Err(VersionErrorKind::EpochTooBig);
    }
    Ok(value as u32)
}

/// Splits `s` into its parts with dpkg's hard-error checks (no allocation).
fn split(s: &str) -> Result<Parts<'_>, VersionErrorKind> {
    let bytes = s.as_bytes();
    // One pass for the NUL check, the first `:` and the last `-` (versions are short: a byte
    // loop beats three searches; the repository reader checks every stanza's version).
    let (mut nul, mut first_colon, mut last_hyphen) = (false, usize::MAX, usize::MAX);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            0 => nul = true,
            b':' if first_colon == usize::MAX => first_colon = i,
            b'-' => last_hyphen = i,
            _ => {}
        }
    }
    if nul {
        return Err(VersionErrorKind::NulByte);
    }
    let start = bytes.iter().take_while(|&&b| is_blank(b)).count();
    if start == bytes.len() {
        return Err(VersionErrorKind::Empty);
    }
    let end = start + bytes[start..].iter().take_while(|&&b| !is_blank(b)).count();
    if !bytes[end..].iter().all(|&b| is_blank(b)) {
        return Err(VersionErrorKind::EmbeddedSpaces);
    }
    // Blanks are ASCII, so these are char boundaries.
    let text = &s[start..end];
    let t = text.as_bytes();
    // only blanks lie outside `start..end`, so these are inside the text
    let (epoch, upstream_start) = match first_colon.checked_sub(start) {
        Some(colon) if first_colon != usize::MAX => {
            let epoch = parse_epoch(&t[..colon])?;
            // dpkg looks at the byte after the colon in the untrimmed input: only a colon that
            // ends the input is "nothing after colon"; `1: ` falls through to an empty upstream.
            if start + colon + 1 == bytes.len() {
                return Err(VersionErrorKind::NothingAfterColon);
            }
            (epoch, colon + 1)
        }
        _ => (0, 0),
    };
    // the last `-` counts only after the epoch's `:` (as a search of the rest would find it)
    let hyphen = last_hyphen.wrapping_sub(start);
    let upstream_end =
        match (last_hyphen != usize::MAX && hyphen >= upstream_start).then_some(hyphen) {
            Some(hyphen) => {
                if hyphen + 1 == t.len() {
                    return Err(VersionErrorKind::RevisionEmpty);
                }
                hyphen
            }
            None => t.len(),
        };
    if upstream_end == upstream_start {
        return Err(VersionErrorKind::UpstreamEmpty);
    }
    Ok(Parts {
        text,
        epoch,
        upstream_start,
        upstream_end,
    })
}

/// dpkg's strict checks (which it only warns about); `None` when the version passes them.
fn strict_problem(upstream: &str, revision: &str) -> Option<VersionErrorKind> {
    let up = upstream.as_bytes();
    if !up.first().is_some_and(u8::is_ascii_digit) {
        return Some(VersionErrorKind::NoLeadingDigit);
    }
    if !up[1..]
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b".-+~:".contains(&b))
    {
        return Some(VersionErrorKind::InvalidUpstreamChar);
    }
    if !revision
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".+~".contains(&b))
    {
        return Some(VersionErrorKind::InvalidRevisionChar);
    }
    None
}

/// dpkg's character weight in [`verrevcmp`]: `~` < end of string (and digits) < letters <
/// everything else. Bytes above 0x7f weigh what they weigh in dpkg built with a signed `char`
/// (amd64, i386): their unsigned value, between the letters and ASCII punctuation.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b) if b.is_ascii_digit() => 0,
        Some(b) if b.is_ascii_alphabetic() => i32::from(b),
        Some(b'~') => -1,
        Some(b) if b >= 0x80 => i32::from(b),
        Some(b) => i32::from(b) + 256,
    }
}

/// dpkg's `verrevcmp`: compares two upstream versions or two revisions.
///
/// Alternates between non-digit runs, compared character by character with [`order`], and digit
/// runs, compared numerically (an empty run counts as 0) without any overflow: leading zeros are
/// skipped, then the longer run is bigger, then the first differing digit decides.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        loop {
            let ca = a.get(i).copied();
            let cb = b.get(j).copied();
            let a_nondigit = ca.is_some_and(|c| !c.is_ascii_digit());
            let b_nondigit = cb.is_some_and(|c| !c.is_ascii_digit());
            if !a_nondigit && !b_nondigit {
                break;
            }
            let (oa, ob) = (order(ca), order(cb));
            if oa != ob {
                return oa.cmp(&ob);
            }
            // Equal weights here mean both are the same non-digit byte.
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let (sa, sb) = (i, j);
        while a.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        let (da, db) = (&a[sa..i], &b[sb..j]);
        let by_number = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
        if by_number != Ordering::Equal {
            return by_number;
        }
    }
    Ordering::Equal
}

/// Feeds `s` to `state` so that strings equal under [`verrevcmp`] hash alike: the sequence of
/// (non-digit run, digit run without leading zeros) pairs, minus a lone all-empty pair (which is
/// what `""`, `"0"`, `"00"` produce and is equal to nothing at all).
fn hash_verrev<H: Hasher>(s: &[u8], state: &mut H) {
    let mut i = 0;
    let mut pairs = 0usize;
    while i < s.len() {
        let nd_start = i;
        while i < s.len() && !s[i].is_ascii_digit() {
            i += 1;
        }
        let nondigits = &s[nd_start..i];
        while i < s.len() && s[i] == b'0' {
            i += 1;
        }
        let d_start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &s[d_start..i];
        if nondigits.is_empty() && digits.is_empty() && i == s.len() {
            break; // trailing all-zero run: equal to nothing
        }
        // 0xff never occurs in UTF-8, so it separates the runs unambiguously.
        state.write(nondigits);
        state.write_u8(0xff);
        state.write(digits);
        state.write_u8(0xff);
        pairs += 1;
    }
    state.write_usize(pairs);
}

/// Compares two version strings as `dpkg --compare-versions` does, without allocating.
///
/// Returns the ordering of `a` relative to `b`, or an error naming the first of the two that is
/// invalid (same checks as [`Version::parse`]).
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let pa = split(a).map_err(|k| VersionError::new(a, k))?;
    let pb = split(b).map_err(|k| VersionError::new(b, k))?;
    Ok(pa.cmp(&pb))
}

impl Version {
    /// Parses `s` with dpkg's rules, rejecting exactly what `dpkg --compare-versions` rejects
    /// with an error (see the module docs); versions dpkg only warns about are accepted.
    ///
    /// Surrounding blanks are dropped from the stored text. Returns the version, or a
    /// [`VersionError`] carrying `s` and the reason.
    pub fn parse(s: &str) -> Result<Version, VersionError> {
        let p = split(s).map_err(|k| VersionError::new(s, k))?;
        Ok(Version {
            text: p.text.into(),
            epoch: p.epoch,
            upstream_start: p.upstream_start,
            upstream_end: p.upstream_end,
        })
    }

    /// Parses `s` like [`Version::parse`] but also rejects what dpkg only warns about: an
    /// upstream version not starting with a digit, and characters outside dpkg's allowed sets.
    pub fn parse_strict(s: &str) -> Result<Version, VersionError> {
        let v = Self::parse(s)?;
        match v.dpkg_warning() {
            Some(kind) => Err(VersionError::new(s, kind)),
            None => Ok(v),
        }
    }

    /// Returns the warning dpkg prints for this version (`version number does not start with
    /// digit`, `invalid character in ...`), or `None` when dpkg accepts it silently.
    pub fn dpkg_warning(&self) -> Option<VersionErrorKind> {
        strict_problem(self.upstream(), self.revision().unwrap_or(""))
    }

    fn parts(&self) -> Parts<'_> {
        Parts {
            text: &self.text,
            epoch: self.epoch,
            upstream_start: self.upstream_start,
            upstream_end: self.upstream_end,
        }
    }

    /// Returns the version text as written (without surrounding blanks).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Returns the epoch, 0 when there is none.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// Returns `true` when the text has an explicit epoch (`0:1.0` has one, `1.0` has not).
    pub fn has_epoch(&self) -> bool {
        self.upstream_start > 0
    }

    /// Returns the upstream version: between the first `:` and the last `-`.
    pub fn upstream(&self) -> &str {
        &self.text[self.upstream_start..self.upstream_end]
    }

    /// Returns the Debian revision (after the last `-`), or `None` when there is no `-`.
    pub fn revision(&self) -> Option<&str> {
        self.text.get(self.upstream_end + 1..)
    }

    /// Returns the upstream version read leniently as semver, for semver-range constraints.
    ///
    /// Drops the epoch and the revision, and everything from the first `~` on (so
    /// `5:20.10.23~3-0~debian-buster` gives 20.10.23, and a pre-release such as `23.0.0~rc1`
    /// gives 23.0.0). What remains must be one to three dot-separated runs of digits (missing
    /// ones are 0, leading zeros are ignored: `2.2` gives 2.2.0, `20.10.09` gives 20.10.9),
    /// optionally followed by `+` and valid semver build metadata (`1.2.3+dfsg` gives
    /// 1.2.3+dfsg). Returns `None` for anything else (`1.0a`, `1.2.3.4`, `abc`) or for a number
    /// that does not fit in a `u64`.
    pub fn upstream_semver(&self) -> Option<semver::Version> {
        let up = self.upstream();
        let up = up.split('~').next().unwrap_or(up);
        let (core, build) = match up.split_once('+') {
            Some((_, "")) => return None,
            Some((core, build)) => (core, semver::BuildMetadata::new(build).ok()?),
            None => (up, semver::BuildMetadata::EMPTY),
        };
        let mut numbers = [0u64; 3];
        for (i, part) in core.split('.').enumerate() {
            if i == 3 || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let significant = part.trim_start_matches('0');
            numbers[i] = if significant.is_empty() {
                0
            } else {
                significant.parse().ok()?
            };
        }
        let mut v = semver::Version::new(numbers[0], numbers[1], numbers[2]);
        v.build = build;
        Some(v)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    /// Orders as dpkg does: epochs numerically, then upstream versions, then revisions (a
    /// missing revision compares like `""`, hence like `0`), each with dpkg's `verrevcmp`.
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts().cmp(&other.parts())
    }
}

impl Hash for Version {
    /// Hashes the epoch and the dpkg-normalised upstream version and revision, so versions that
    /// compare equal (`1.0`, `0:1.0`, `1.0-0`) hash alike.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u32(self.epoch);
        hash_verrev(self.upstream().as_bytes(), state);
        hash_verrev(self.revision().unwrap_or("").as_bytes(), state);
    }
}

impl FromStr for Version {
    type Err = VersionError;

    /// Same as [`Version::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Version {
    /// Writes the version text as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Version").field(&&*self.text).finish()
    }
}

impl serde::Serialize for Version {
    /// Serialises as the version text.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Version {
    /// Deserialises from a string with [`Version::parse`].
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Version;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Debian version string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Version, E> {
                Version::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    fn hash_of(v: &Version) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    /// Asserts that each version is strictly less than the next, both ways round.
    fn assert_ascending(list: &[&str]) {
        for w in list.windows(2) {
            assert_eq!(
                compare(w[0], w[1]).unwrap(),
                Ordering::Less,
                "{} < {}",
                w[0],
                w[1]
            );
            assert_eq!(
                compare(w[1], w[0]).unwrap(),
                Ordering::Greater,
                "{} > {}",
                w[1],
                w[0]
            );
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
            assert_ne!(v(w[0]), v(w[1]));
        }
    }

    fn assert_equal(a: &str, b: &str) {
        assert_eq!(compare(a, b).unwrap(), Ordering::Equal, "{a} == {b}");
        assert_eq!(v(a), v(b), "{a} == {b}");
        assert_eq!(hash_of(&v(a)), hash_of(&v(b)), "hash({a}) == hash({b})");
    }

    #[test]
    fn parts_follow_first_colon_and_last_hyphen() {
        let x = v("5:20.10.24~3-0~debian-buster");
        assert_eq!(
            (x.epoch(), x.upstream(), x.revision()),
            (5, "20.10.24~3-0~debian", Some("buster"))
        );
        assert!(x.has_epoch());
        let x = v("1:2:3-4-5");
        assert_eq!(
            (x.epoch(), x.upstream(), x.revision()),
            (1, "2:3-4", Some("5"))
        );
        let x = v("1.6.18-1");
        assert_eq!(
            (x.epoch(), x.upstream(), x.revision()),
            (0, "1.6.18", Some("1"))
        );
        assert!(!x.has_epoch());
        let x = v("2.2");
        assert_eq!((x.epoch(), x.upstream(), x.revision()), (0, "2.2", None));
        let x = v("0:2.2");
        assert_eq!((x.epoch(), x.upstream(), x.revision()), (0, "2.2", None));
        assert!(x.has_epoch());
    }

    #[test]
    fn surrounding_blanks_are_dropped() {
        let x = v(" \t1.0-1 \t");
        assert_eq!(x.as_str(), "1.0-1");
        assert_eq!(x.to_string(), "1.0-1");
        assert_eq!((x.upstream(), x.revision()), ("1.0", Some("1")));
    }

    #[test]
    fn epoch_is_read_like_strtol() {
        assert_eq!(v("+1:2").epoch(), 1);
        assert_eq!(v("-0:2").epoch(), 0);
        assert_eq!(v("01:2").epoch(), 1);
        assert_eq!(v("000000000000000000000000007:2").epoch(), 7);
        assert_eq!(v("\n\x0b\x0c\r3:2").epoch(), 3);
        assert_eq!(v("2147483647:1").epoch(), 2147483647);
    }

    #[test]
    fn hard_errors_match_dpkg() {
        use VersionErrorKind as K;
        let cases = [
            ("", K::Empty),
            (" \t ", K::Empty),
            ("1 0", K::EmbeddedSpaces),
            (" 1.0 x", K::EmbeddedSpaces),
            ("1\x000", K::NulByte),
            (":1", K::EpochEmpty),
            ("a:1", K::EpochEmpty),
            ("+:1", K::EpochEmpty),
            ("a:", K::EpochEmpty),
            ("1a:1", K::EpochNotNumber),
            ("1-2:3", K::EpochNotNumber),
            ("0x1:1", K::EpochNotNumber),
            ("-1:1", K::EpochNegative),
            ("-99999999999999999999999:1", K::EpochNegative),
            ("2147483648:1", K::EpochTooBig),
            ("99999999999:1", K::EpochTooBig),
            ("99999999999999999999999:1", K::EpochTooBig),
            ("1:", K::NothingAfterColon),
            (" 1:", K::NothingAfterColon),
            ("1: ", K::UpstreamEmpty),
            ("10:\t", K::UpstreamEmpty),
            ("1.0-", K::RevisionEmpty),
            ("1.0-1-", K::RevisionEmpty),
            ("-", K::RevisionEmpty),
            ("1:-", K::RevisionEmpty),
            ("-1", K::UpstreamEmpty),
            ("1:-1", K::UpstreamEmpty),
        ];
        for (s, kind) in cases {
            let e = Version::parse(s).expect_err(s);
            assert_eq!((e.version.as_str(), e.kind), (s, kind), "{s:?}");
            assert!(!kind.is_dpkg_warning());
            assert_eq!(compare(s, "1").unwrap_err().kind, kind);
            assert_eq!(compare("1", s).unwrap_err().kind, kind);
        }
    }

    #[test]
    fn dpkg_warnings_are_accepted_but_strict_rejects_them() {
        use VersionErrorKind as K;
        let cases = [
            ("abc", K::NoLeadingDigit),
            ("1:a", K::NoLeadingDigit),
            ("~", K::NoLeadingDigit),
            ("+1", K::NoLeadingDigit),
            ("é", K::NoLeadingDigit),
            ("1.0_a", K::InvalidUpstreamChar),
            ("1é", K::InvalidUpstreamChar),
            ("1.0\n", K::InvalidUpstreamChar),
            ("1.0-a_b", K::InvalidRevisionChar),
            ("1:1.0-1:2", K::InvalidRevisionChar),
            ("1.0-é", K::InvalidRevisionChar),
        ];
        for (s, kind) in cases {
            let parsed = v(s);
            assert_eq!(parsed.dpkg_warning(), Some(kind), "{s:?}");
            let e = Version::parse_strict(s).expect_err(s);
            assert_eq!(e.kind, kind);
            assert!(kind.is_dpkg_warning());
        }
        for s in ["1.0", "1:2:3-4-5", "1.0~rc1+dfsg-1~bpo12+1", "0", "9A.z-Z"] {
            assert_eq!(v(s).dpkg_warning(), None, "{s}");
            assert!(Version::parse_strict(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn error_message_is_lowercase_names_the_version_and_hints() {
        let e = Version::parse("1.0-").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid Debian version \"1.0-\": revision number is empty\n\
             hint: remove the trailing '-' or write the Debian revision after it"
        );
        let e = Version::parse("1 0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid Debian version \"1 0\": version string has embedded spaces"
        );
    }

    #[test]
    fn known_wrong_orders_in_other_crates() {
        assert_ascending(&["1.2.3-1~bpo12+1", "1.2.3-1+deb12u1"]);
        assert_ascending(&["1.0~", "1.0a"]);
        assert_ascending(&["0.9+ds0-3", "0.9+ds-4"]);
    }

    #[test]
    fn docker_versions_order_like_dpkg() {
        assert_ascending(&[
            "5:20.10.24~3-0~debian-buster",
            "5:23.0.1-1~debian.10~buster",
        ]);
        assert_ascending(&["18.06.3~ce~3-0~debian", "5:18.09.0~3-0~debian-stretch"]);
        assert_ascending(&[
            "1.7.28-0~debian.12~bookworm",
            "1.7.28-1~debian.12~bookworm",
            "1.7.28-1",
            "1.7.28-2~debian.12~bookworm",
        ]);
        assert_ascending(&[
            "18.09.1~3-0~debian-stretch",
            "5:18.09.0~3-0~debian-stretch",
            "5:18.09.1~3-0~debian-stretch",
            "5:19.03.0~3-0~debian-buster",
            "5:20.10.9~3-0~debian-buster",
            "5:20.10.10~3-0~debian-buster",
            "5:20.10.24~3-0~debian-buster",
            "5:23.0.0-1~debian.10~buster",
            "5:23.0.1-1~debian.10~buster",
        ]);
    }

    #[test]
    fn tilde_sorts_before_everything_even_the_end() {
        assert_ascending(&[
            "1.0~~", "1.0~~a", "1.0~", "1.0~a", "1.0", "1.0-0.1", "1.0-1~", "1.0-1",
        ]);
        assert_ascending(&["1~", "1", "1A", "1Z", "1a", "1a1"]);
    }

    #[test]
    fn letters_sort_before_non_letters_and_non_ascii_between() {
        assert_ascending(&[
            "1:1.0A", "1:1.0Z", "1:1.0a", "1:1.0z", "1:1.0é", "1:1.0+", "1:1.0.", "1:1.0:",
        ]);
        assert_ascending(&["0:1+", "0:1.", "0:1:"]);
    }

    #[test]
    fn digit_runs_compare_numerically_without_overflow() {
        assert_ascending(&[
            "1.9",
            "1.10",
            "1.000000000000000000000000000000099",
            "1.123456789012345678901234567890",
            "1.123456789012345678901234567891",
            "1.1234567890123456789012345678900",
        ]);
        assert_equal("1.00000000000000000000000000000000000001", "1.1");
        assert_ascending(&["99999999999999999999", "1:0", "2147483647:0"]);
    }

    #[test]
    fn empty_digit_runs_equal_zero() {
        assert_equal("1a", "1a0");
        assert_equal("0.9+ds", "0.9+ds0");
        assert_equal("1.0-a", "1.0-a000");
        assert_ascending(&["1a", "1a1"]);
        // but a zero is not nothing in front of a letter
        assert_ascending(&["1.0a", "1.0.a"]);
        assert_ne!(v("1:a"), v("1:0a"));
    }

    #[test]
    fn equality_follows_dpkg_not_text() {
        for (a, b) in [
            ("1.0", "0:1.0"),
            ("1.0", "1.0-0"),
            ("1.0-0", "0:1.0-00"),
            ("1.00", "1.0"),
            ("1.0-1", "1.000-01"),
            ("0", "0:0-0"),
            ("+0001:2", "1:2"),
        ] {
            assert_equal(a, b);
        }
        assert_ne!(v("1"), v("1.0"));
        assert_ne!(v("1.0"), v("1.0~"));
        assert_ne!(v("1.0"), v("1:1.0"));
        let set: std::collections::HashSet<Version> = ["1.0", "0:1.0", "1.0-0", "1.0-1"]
            .iter()
            .map(|s| v(s))
            .collect();
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn epochs_compare_numerically() {
        assert_ascending(&["9.9", "1:0", "2:0", "10:0", "2147483647:0"]);
    }

    /// Ord must be a total order and Hash must agree with Eq on a pile of tricky versions.
    #[test]
    fn ord_is_consistent_and_hash_agrees_with_eq() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"~~+.-:0009aAzZ";
        let mut versions = Vec::new();
        while versions.len() < 400 {
            let len = 1 + (next() % 6) as usize;
            let mut s = String::from(["1", "0", "1:1", "00", "2:0"][(next() % 5) as usize]);
            for _ in 0..len {
                s.push(alphabet[(next() % alphabet.len() as u64) as usize] as char);
            }
            if let Ok(parsed) = Version::parse(&s) {
                versions.push(parsed);
            }
        }
        for a in &versions {
            for b in &versions {
                let ab = a.cmp(b);
                assert_eq!(ab, b.cmp(a).reverse(), "{a} vs {b}");
                if ab == Ordering::Equal {
                    assert_eq!(hash_of(a), hash_of(b), "{a} == {b} must hash alike");
                }
            }
        }
        let mut sorted = versions.clone();
        sorted.sort();
        for w in sorted.windows(3) {
            assert!(w[0] <= w[1] && w[1] <= w[2] && w[0] <= w[2], "{w:?}");
        }
    }

    #[test]
    fn display_from_str_and_debug() {
        let x: Version = "1:2.0-3".parse().unwrap();
        assert_eq!(x.to_string(), "1:2.0-3");
        assert_eq!(format!("{x:?}"), "Version(\"1:2.0-3\")");
        assert!("1:".parse::<Version>().is_err());
    }

    #[test]
    fn serde_round_trips_as_a_string() {
        let x = v("5:20.10.24~3-0~debian-buster");
        let yaml = serde_yaml::to_string(&x).unwrap();
        assert_eq!(yaml.trim(), "5:20.10.24~3-0~debian-buster");
        let back: Version = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(back.as_str(), x.as_str());
        let err = serde_yaml::from_str::<Version>("'1.0-'").unwrap_err();
        assert!(
            err.to_string().contains("revision number is empty"),
            "{err}"
        );
    }

    #[test]
    fn upstream_semver_is_lenient_but_not_sloppy() {
        let sv = |s: &str| v(s).upstream_semver().map(|x| x.to_string());
        assert_eq!(
            sv("5:20.10.23~3-0~debian-buster").as_deref(),
            Some("20.10.23")
        );
        assert_eq!(sv("5:23.0.1-1~debian.10~buster").as_deref(), Some("23.0.1"));
        assert_eq!(sv("18.06.3~ce~3-0~debian").as_deref(), Some("18.6.3"));
        assert_eq!(sv("1.6.18-1").as_deref(), Some("1.6.18"));
        assert_eq!(sv("2.2").as_deref(), Some("2.2.0"));
        assert_eq!(sv("7").as_deref(), Some("7.0.0"));
        assert_eq!(sv("20.10.09").as_deref(), Some("20.10.9"));
        assert_eq!(sv("0.000.0").as_deref(), Some("0.0.0"));
        assert_eq!(sv("23.0.0~rc1-1").as_deref(), Some("23.0.0"));
        assert_eq!(sv("1.2.3+dfsg-1").as_deref(), Some("1.2.3+dfsg"));
        assert_eq!(sv("1.0a"), None);
        assert_eq!(sv("1.2.3.4"), None);
        assert_eq!(sv("1..2"), None);
        assert_eq!(sv("1.2."), None);
        assert_eq!(sv("abc"), None);
        assert_eq!(sv("1.2.3+"), None);
        assert_eq!(sv("1:2:3"), None);
        assert_eq!(sv("99999999999999999999999.0"), None);
        let req = semver::VersionReq::parse(">=20.10, <23").unwrap();
        let ok = |s: &str| req.matches(&v(s).upstream_semver().unwrap());
        assert!(ok("5:20.10.24~3-0~debian-buster"));
        assert!(!ok("5:23.0.1-1~debian.10~buster"));
    }
}
