//! Update policies from the manifest's `update:` section ([`UpdatePolicy`], defined in
//! [`crate::manifest`]): parsed into a [`Policy`] and applied to candidate versions.
//!
//! ```yaml
//! update:
//!   groups: [[docker-ce, containerd.io]]   # always proposed together
//!   min-age: 7d                            # s, m, h, d or w; first-seen from pinlock.seen.yml
//!   security-min-age: 0d                   # for security fixes (default: min-age)
//!   ignore:                                # versions or ranges never proposed
//!     docker-ce: ["= 5:24.0.0-1~debian.10~buster", "^25"]
//!   allow:                                 # largest upstream bump proposed: patch|minor|major
//!     containerd.io: patch
//! ```

use std::collections::BTreeMap;

use serde::Serialize;

use crate::constraint::Constraint;
use crate::version::Version;

// The manifest's `update:` section is data of the manifest (which depends on nothing in
// `update` or `lock`); re-exported at its old paths, `update::{Allow, UpdatePolicy}`.
pub use crate::manifest::{Allow, UpdatePolicy};

use super::{Bump, UpdateError};

/// Why a version is not proposed although the manifest constraint admits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Held {
    /// Matches an `ignore` entry.
    Ignored,
    /// A bigger bump than `allow` permits.
    NotAllowed,
    /// First seen less than `min-age` ago.
    TooYoung,
    /// The manifest constraint excludes it.
    Constraint,
    /// Its co-versioned siblings (binaries of the same source package, which move together) or
    /// the rest of the closure keep it back: `pinlock update` would not lock it.
    Siblings,
}

/// [`UpdatePolicy`] with its texts parsed.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    groups: Vec<Vec<String>>,
    min_age_secs: Option<i64>,
    security_min_age_secs: Option<i64>,
    ignore: BTreeMap<String, Vec<Constraint>>,
    allow: BTreeMap<String, Allow>,
    changelog: BTreeMap<String, String>,
}

/// Parses `7d`, `12h`, `30m`, `90s`, `2w` into seconds; `None` when malformed.
pub fn parse_duration(text: &str) -> Option<i64> {
    let t = text.trim();
    let unit = t.chars().last()?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86400,
        'w' => 7 * 86400,
        _ => return None,
    };
    let n: i64 = t[..t.len() - 1].trim().parse().ok()?;
    (n >= 0).then_some(n * mult)
}

impl Policy {
    /// Parses the texts of `p`. Errors name the policy entry.
    pub fn new(p: &UpdatePolicy) -> Result<Policy, UpdateError> {
        let min_age_secs = match &p.min_age {
            None => None,
            Some(t) => Some(parse_duration(t).ok_or_else(|| UpdateError::Policy {
                message: format!("update.min-age: invalid duration {t:?}\nhint: write a number and a unit: `7d`, `12h`, `2w`"),
            })?),
        };
        let security_min_age_secs = match &p.security_min_age {
            None => min_age_secs,
            Some(t) => Some(parse_duration(t).ok_or_else(|| UpdateError::Policy {
                message: format!("update.security-min-age: invalid duration {t:?}\nhint: write a number and a unit: `0d`, `12h`, `2w`"),
            })?),
        };
        let mut ignore = BTreeMap::new();
        for (pkg, list) in &p.ignore {
            let mut cs = Vec::new();
            for text in list {
                cs.push(Constraint::parse(text).map_err(|e| UpdateError::Policy {
                    message: format!("update.ignore.{pkg}: {e}"),
                })?);
            }
            ignore.insert(pkg.clone(), cs);
        }
        for (pkg, url) in &p.changelog {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(UpdateError::Policy {
                    message: format!("update.changelog.{pkg}: {url:?} is not an http(s) URL\nhint: write a URL template such as `https://…/release-notes/{{upstream}}`"),
                });
            }
        }
        Ok(Policy {
            changelog: p.changelog.clone(),
            groups: p.groups.clone(),
            min_age_secs,
            security_min_age_secs,
            ignore,
            allow: p.allow.clone(),
        })
    }

    /// The release-notes link of `package` `version`, from `update.changelog`.
    pub fn changelog(&self, package: &str, version: &Version) -> Option<String> {
        let t = self.changelog.get(package)?;
        let semver = version.upstream_semver();
        let upstream = semver
            .as_ref()
            .map_or_else(|| version.upstream().to_string(), |s| s.to_string());
        let (major, minor) = semver.as_ref().map_or((String::new(), String::new()), |s| {
            (s.major.to_string(), s.minor.to_string())
        });
        Some(
            t.replace("{package}", package)
                .replace("{version}", version.as_str())
                .replace("{upstream}", &upstream)
                .replace("{major}", &major)
                .replace("{minor}", &minor),
        )
    }

    /// `names` plus every member of a group that contains one of them, sorted.
    pub fn expand_groups(&self, names: &[String]) -> Vec<String> {
        let mut out: Vec<String> = names.to_vec();
        for g in &self.groups {
            if g.iter().any(|m| names.contains(m)) {
                out.extend(g.iter().cloned());
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Whether `candidate` of `package` may be proposed over `locked`; `first_seen` is its
    /// first-seen time (unix seconds) and `now` the current time. Returns why not.
    pub fn check(
        &self,
        package: &str,
        locked: Option<&Version>,
        candidate: &Version,
        first_seen: Option<i64>,
        now: i64,
    ) -> Result<(), Held> {
        self.check_security(package, locked, candidate, first_seen, now, false)
    }

    /// [`Policy::check`] for a candidate that is (`security`) or is not a security fix: a
    /// security fix waits `security-min-age` instead of `min-age`.
    pub fn check_security(
        &self,
        package: &str,
        locked: Option<&Version>,
        candidate: &Version,
        first_seen: Option<i64>,
        now: i64,
        security: bool,
    ) -> Result<(), Held> {
        if self
            .ignore
            .get(package)
            .is_some_and(|cs| cs.iter().any(|c| c.matches(candidate)))
        {
            return Err(Held::Ignored);
        }
        if let (Some(allow), Some(locked)) = (self.allow.get(package), locked) {
            let ok = match Bump::between(locked, candidate) {
                Bump::None | Bump::Patch => true,
                Bump::Minor => *allow >= Allow::Minor,
                Bump::Major | Bump::Other => *allow >= Allow::Major,
            };
            if !ok {
                return Err(Held::NotAllowed);
            }
        }
        let min_age = if security {
            self.security_min_age_secs
        } else {
            self.min_age_secs
        };
        if let Some(min) = min_age {
            // A version with no record was first seen now.
            let seen = first_seen.unwrap_or(now);
            if now - seen < min {
                return Err(Held::TooYoung);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d"), Some(7 * 86400));
        assert_eq!(parse_duration("12h"), Some(12 * 3600));
        assert_eq!(parse_duration("2w"), Some(14 * 86400));
        assert_eq!(parse_duration("7"), None);
        assert_eq!(parse_duration("d"), None);
    }

    #[test]
    fn policies_hold_versions() {
        let p = Policy::new(&UpdatePolicy {
            groups: vec![vec!["a".into(), "b".into()]],
            min_age: Some("7d".into()),
            security_min_age: None,
            changelog: [(
                "docker-ce".to_string(),
                "https://notes.example.org/{major}.{minor}/#{upstream}?v={version}".to_string(),
            )]
            .into(),
            ignore: [("docker-ce".to_string(), vec!["^24".to_string()])].into(),
            allow: [("containerd.io".to_string(), Allow::Patch)].into(),
        })
        .unwrap();
        assert_eq!(p.expand_groups(&["b".into()]), ["a", "b"]);
        assert_eq!(
            p.changelog("docker-ce", &v("5:24.0.2-1~debian.10~buster"))
                .as_deref(),
            Some("https://notes.example.org/24.0/#24.0.2?v=5:24.0.2-1~debian.10~buster")
        );
        assert_eq!(p.changelog("containerd.io", &v("1.6.21-1")), None);
        assert!(Policy::new(&UpdatePolicy {
            changelog: [("x".to_string(), "notes/{version}".to_string())].into(),
            ..Default::default()
        })
        .is_err());
        let old = v("5:20.10.23~3-0~debian-buster");
        let new = v("5:24.0.2-1~debian.10~buster");
        assert_eq!(
            p.check("docker-ce", Some(&old), &new, Some(0), 30 * 86400),
            Err(Held::Ignored)
        );
        let c_old = v("1.6.18-1");
        assert_eq!(
            p.check(
                "containerd.io",
                Some(&c_old),
                &v("1.7.0-1"),
                Some(0),
                30 * 86400
            ),
            Err(Held::NotAllowed)
        );
        assert_eq!(
            p.check(
                "containerd.io",
                Some(&c_old),
                &v("1.6.21-1"),
                Some(0),
                30 * 86400
            ),
            Ok(())
        );
        assert_eq!(
            p.check(
                "containerd.io",
                Some(&c_old),
                &v("1.6.21-1"),
                Some(29 * 86400),
                30 * 86400
            ),
            Err(Held::TooYoung)
        );
        assert_eq!(
            p.check(
                "containerd.io",
                Some(&c_old),
                &v("1.6.21-1"),
                None,
                30 * 86400
            ),
            Err(Held::TooYoung)
        );
        let sec = Policy::new(&UpdatePolicy {
            min_age: Some("7d".into()),
            security_min_age: Some("0d".into()),
            ..Default::default()
        })
        .unwrap();
        let fix = v("1.6.18-1+deb10u1");
        assert_eq!(
            sec.check_security("c", Some(&c_old), &fix, None, 30 * 86400, true),
            Ok(())
        );
        assert_eq!(
            sec.check_security("c", Some(&c_old), &fix, None, 30 * 86400, false),
            Err(Held::TooYoung)
        );
        assert!(Policy::new(&UpdatePolicy {
            min_age: Some("soon".into()),
            ..Default::default()
        })
        .is_err());
    }
}
