//! Version constraints in the manifest.
//!
//! A constraint is `*`, or parts joined by `,` that must all hold. Each part is either
//! - a **Debian relation** on the whole version, compared as dpkg does: `<< 5:24`, `>> 1.0`,
//!   `= 5:23.0.1-1~debian.10~buster`, or any `<=`/`>=`/`=` whose version has an epoch, a
//!   revision, a `~` or letters (`>= 5:23.0`); a bare Debian version means `=`;
//! - a **semver range** on the upstream version (epoch, revision and `~`-suffixes stripped, so
//!   `5:20.10.23~3-0~debian-buster` is 20.10.23), read with the `semver` crate: `^23.0`,
//!   `~23.0.1`, `23.0.*`, `>=20.10`, `<24`, or a bare `23.0` (which, as in Cargo, means `^23.0`).
//!
//! The split matters for packages with an epoch: as a Debian relation `< 24` is false for
//! `5:23.0.1-…` (epoch 5 beats 0); as a semver range on the upstream it holds. A plain numeric
//! bound is therefore read as semver. An upstream that is not semver-like (`1.0a`) matches
//! only Debian relations.

use std::cmp::Ordering;
use std::fmt;

use crate::relation::Op;
use crate::version::Version;

/// A parsed constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    text: String,
    debian: Vec<(Op, Version)>,
    semver: Option<semver::VersionReq>,
}

/// A constraint could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid constraint {text:?} at `{part}`: {reason}\nhint: use `*`, a Debian relation like `>= 5:23.0` or `<< 5:24`, or a semver range like `^23.0` or `>=20.10, <24`")]
pub struct ConstraintError {
    /// The whole constraint.
    pub text: String,
    /// The part that failed.
    pub part: String,
    /// Why.
    pub reason: String,
}

fn debian_looking(v: &str) -> bool {
    v.bytes()
        .any(|b| matches!(b, b':' | b'-' | b'~' | b'+') || b.is_ascii_alphabetic())
}

impl Constraint {
    /// The constraint that admits every version.
    pub fn any() -> Constraint {
        Constraint {
            text: "*".into(),
            debian: Vec::new(),
            semver: None,
        }
    }

    /// Parses a constraint.
    pub fn parse(text: &str) -> Result<Constraint, ConstraintError> {
        let t = text.trim();
        if t.is_empty() || t == "*" {
            return Ok(Constraint {
                text: "*".into(),
                ..Constraint::any()
            });
        }
        let err = |part: &str, reason: String| ConstraintError {
            text: t.to_string(),
            part: part.trim().to_string(),
            reason,
        };
        let mut debian = Vec::new();
        let mut semver_parts = Vec::new();
        for part in t.split(',') {
            let p = part.trim();
            if p.is_empty() {
                return Err(err(part, "empty part".into()));
            }
            if p.starts_with('^') || p.starts_with('~') {
                semver_parts.push(p.to_string());
                continue;
            }
            let op_len = p
                .find(|c: char| !matches!(c, '<' | '>' | '='))
                .unwrap_or(p.len());
            let (op, ver) = (&p[..op_len], p[op_len..].trim());
            if ver.is_empty() {
                return Err(err(p, "missing version after the operator".into()));
            }
            let is_debian = match op {
                "<<" | ">>" => true,
                "" | "=" | ">=" | "<=" | "<" | ">" => debian_looking(ver) && !ver.contains('*'),
                _ => return Err(err(p, format!("unknown operator {op:?}"))),
            };
            if is_debian {
                let dop = match op {
                    "" | "=" => Op::Eq,
                    "<<" => Op::Lt,
                    ">>" => Op::Gt,
                    "<=" => Op::Le,
                    ">=" => Op::Ge,
                    _ => {
                        return Err(err(
                            p,
                            format!("`{op}` is ambiguous for a Debian version; write `{op}{op}` (strict) or `{op}=`"),
                        ))
                    }
                };
                let v = Version::parse(ver).map_err(|e| err(p, e.to_string()))?;
                debian.push((dop, v));
            } else {
                semver_parts.push(p.to_string());
            }
        }
        let semver = if semver_parts.is_empty() {
            None
        } else {
            // Docker's 19.03 has a leading zero, which semver forbids; upstream versions are
            // read the same way (`19.03.9` is 19.3.9), so strip it here too.
            let joined = strip_leading_zeros(&semver_parts.join(", "));
            Some(semver::VersionReq::parse(&joined).map_err(|e| err(&joined, e.to_string()))?)
        };
        Ok(Constraint {
            text: t.to_string(),
            debian,
            semver,
        })
    }

    /// True when every version matches (`*`).
    pub fn is_any(&self) -> bool {
        self.debian.is_empty() && self.semver.is_none()
    }

    /// True when the constraint has a semver part (so versions that are not semver-like never
    /// match).
    pub fn has_semver(&self) -> bool {
        self.semver.is_some()
    }

    /// True if `v` satisfies every part.
    pub fn matches(&self, v: &Version) -> bool {
        let debian_ok = self.debian.iter().all(|(op, want)| op.matches(v.cmp(want)));
        debian_ok
            && match &self.semver {
                None => true,
                Some(req) => v
                    .upstream_semver()
                    .is_some_and(|s| req.matches(&strip_pre(s))),
            }
    }

    /// The text as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Removes leading zeros from every digit run (`^19.03` → `^19.3`, `007` → `7`, `0` stays).
fn strip_leading_zeros(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut in_digits = false;
    while let Some(c) = chars.next() {
        if c == '0' && !in_digits && chars.peek().is_some_and(char::is_ascii_digit) {
            continue;
        }
        in_digits = c.is_ascii_digit();
        out.push(c);
    }
    out
}

/// semver ranges never match pre-releases unless asked; Debian upstreams carry none after
/// stripping `~` suffixes, but build metadata is dropped so `1.2.3+dfsg` compares as 1.2.3.
fn strip_pre(mut v: semver::Version) -> semver::Version {
    v.build = semver::BuildMetadata::EMPTY;
    v
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Compares two version strings that are already known to be valid (for sorting).
pub fn cmp_versions(a: &str, b: &str) -> Ordering {
    crate::version::compare(a, b).unwrap_or_else(|_| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(c: &str, v: &str) -> bool {
        Constraint::parse(c)
            .unwrap()
            .matches(&Version::parse(v).unwrap())
    }

    #[test]
    fn semver_ranges_on_upstream() {
        assert!(m("^23.0", "5:23.0.1-1~debian.10~buster"));
        assert!(!m("^23.0", "5:24.0.2-1~debian.10~buster"));
        assert!(m("~20.10.23", "5:20.10.23~3-0~debian-buster"));
        assert!(m("~20.10.23", "5:20.10.24~3-0~debian-buster"));
        assert!(!m("~20.10.23", "5:20.11.0~3-0~debian-buster"));
        assert!(m("~23.0.1", "5:23.0.2-1~debian.10~buster"));
        assert!(m("23.0.*", "5:23.0.6-1~debian.10~buster"));
        assert!(m(">=20.10, <24", "5:23.0.1-1~debian.10~buster"));
        assert!(!m(">=20.10, <24", "5:24.0.0-1~debian.10~buster"));
        assert!(m(">= 1.6.18", "1.6.18-1"));
        assert!(!m(">= 1.6.18", "1.6.16-1"));
        assert!(
            !m("^1.0", "1.0a-1"),
            "a non-semver upstream never matches a semver range"
        );
        assert!(m("*", "1.0a-1"));
    }

    #[test]
    fn leading_zeros_as_in_docker_19_03() {
        assert!(m("^19.03", "5:19.03.9~3-0~debian-buster"));
        assert!(m("~19.03.9", "5:19.03.15~3-0~debian-buster"));
        assert!(!m("^19.03", "5:20.10.0~3-0~debian-buster"));
        assert_eq!(strip_leading_zeros(">=0.9, <10.010"), ">=0.9, <10.10");
    }

    #[test]
    fn debian_relations_on_whole_version() {
        assert!(m(">= 5:23.0", "5:23.0.1-1~debian.10~buster"));
        assert!(m("<< 5:24", "5:23.0.6-1~debian.10~buster"));
        assert!(!m("<< 5:24", "5:24.0.0-1~debian.10~buster"));
        assert!(m(
            "= 5:23.0.1-1~debian.10~buster",
            "5:23.0.1-1~debian.10~buster"
        ));
        assert!(m(
            "5:23.0.1-1~debian.10~buster",
            "5:23.0.1-1~debian.10~buster"
        ));
        assert!(!m(
            "= 5:23.0.1-1~debian.10~buster",
            "5:23.0.1-1~debian.10~buster+1"
        ));
        assert!(m(">= 5:23.0, << 5:24", "5:23.0.0-1~debian.10~buster"));
        assert!(m(">= 1.0a", "1.0a-1"));
    }

    #[test]
    fn errors_point_at_the_part() {
        let e = Constraint::parse(">= 5:23.0, ~> 2").unwrap_err();
        assert_eq!(e.part, "~> 2");
        let e = Constraint::parse("> 5:23").unwrap_err();
        assert!(e.reason.contains("ambiguous"), "{e}");
        let e = Constraint::parse(">=").unwrap_err();
        assert!(e.reason.contains("missing version"), "{e}");
        assert!(Constraint::parse("= 1.0-").is_err());
        assert!(e.to_string().contains("\nhint: "));
    }
}
