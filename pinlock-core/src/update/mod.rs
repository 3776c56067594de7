//! Upgrade proposals: `pinlock outdated` and `pinlock update`.
//!
//! - [`outdated()`] lists, per target and package of the closure, the locked version, what
//!   [`propose()`] would lock instead (its [`State`]: gone, proposed, rebuilt, held, up to
//!   date), the newest version the manifest and its [`UpdatePolicy`] allow, and the newest
//!   overall, with the kind of upstream bump and when pinlock first saw the newest. It runs
//!   [`propose()`] itself, so it agrees with `pinlock update` by construction.
//! - [`propose()`] moves named packages (all requested ones when none are named) to the newest
//!   allowed versions, together with their co-versioned siblings and the part of the dependency
//!   closure only they pulled in; everything else keeps its locked version. It returns the new
//!   lockfile, the changes and review [`Finding`]s computed from the old and new stanzas.
//! - [`prbody::render`] turns a proposal into a Markdown pull-request description;
//!   [`git::commit_to_branch`] records it on a branch with git plumbing, without touching the
//!   working tree; [`playbooks::repin`] re-pins the manifest's playbooks with the `pinlock pin`
//!   engine.
//!
//! Time never comes from the wall clock here: callers pass `now` (unix seconds).

pub mod git;
mod outdated;
mod plan;
pub mod playbooks;
pub mod policy;
pub mod prbody;
mod review;
pub mod seen;
mod view;

use serde::Serialize;

use crate::lock::LockError;
use crate::version::Version;

pub use outdated::{outdated, Outdated, OutdatedRow, State};
pub use plan::{propose, Change, HeldVersion, Proposal, UpdateOptions};
pub use policy::{Allow, Held, Policy, UpdatePolicy};
pub use review::Finding;

/// The kind of change between two versions, judged on the upstream version read as semver
/// ([`Version::upstream_semver`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// Same version.
    None,
    /// Same major and minor (also a change of the Debian revision only).
    Patch,
    /// Same major.
    Minor,
    /// Different major.
    Major,
    /// An upstream version is not semver-like.
    Other,
}

impl Bump {
    /// The bump from `old` to `new`.
    pub fn between(old: &Version, new: &Version) -> Bump {
        if old == new {
            return Bump::None;
        }
        match (old.upstream_semver(), new.upstream_semver()) {
            (Some(a), Some(b)) if a.major != b.major => Bump::Major,
            (Some(a), Some(b)) if a.minor != b.minor => Bump::Minor,
            (Some(_), Some(_)) => Bump::Patch,
            _ => Bump::Other,
        }
    }

    /// The bump between two version strings; `Other` when one does not parse.
    pub fn between_str(old: &str, new: &str) -> Bump {
        match (Version::parse(old), Version::parse(new)) {
            (Ok(a), Ok(b)) => Bump::between(&a, &b),
            _ => Bump::Other,
        }
    }

    /// `none`, `patch`, `minor`, `major` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
            Bump::Other => "other",
        }
    }
}

impl std::fmt::Display for Bump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An update could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// A policy in the manifest is invalid.
    #[error("invalid update policy: {message}")]
    Policy {
        /// What is wrong (with a hint where there is one).
        message: String,
    },
    /// A named package is neither requested nor locked.
    #[error("package {package:?} is neither in the manifest nor in the lockfile\nhint: name a package listed under `packages:` in the manifest, or one in pinlock.lock")]
    UnknownPackage {
        /// The name.
        package: String,
    },
    /// `--precise` with other than one package.
    #[error("--precise takes exactly one package, got {count}\nhint: run `pinlock update PKG --precise VERSION`")]
    PreciseNeedsOne {
        /// Packages named.
        count: usize,
    },
    /// `--precise` names a version that no target can take.
    #[error("{target}: {package} {version} is not available or not allowed by the manifest constraint {constraint:?}; available, newest first: {}\nhint: pass one of them in full, or its upstream version (`20.10.22` for `5:20.10.22~3-0~debian-buster`) when only one version has it", .available.join(", "))]
    PreciseUnavailable {
        /// Target.
        target: String,
        /// Package.
        package: String,
        /// Requested version.
        version: String,
        /// Manifest constraint.
        constraint: String,
        /// Versions served (at most 10).
        available: Vec<String>,
    },
    /// `--precise` names an upstream version several available versions share.
    #[error("{target}: {package} {version} matches several available versions: {}\nhint: name one in full, e.g. `pinlock update {package} --precise '{}'`", .matching.join(", "), .matching.first().map(String::as_str).unwrap_or_default())]
    PreciseAmbiguous {
        /// Target.
        target: String,
        /// Package.
        package: String,
        /// Requested version.
        version: String,
        /// The full versions it matches.
        matching: Vec<String>,
    },
    /// A constraint in the manifest is invalid or resolution failed.
    #[error(transparent)]
    Lock(Box<LockError>),
}

impl From<LockError> for UpdateError {
    fn from(e: LockError) -> Self {
        UpdateError::Lock(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps() {
        let b = Bump::between_str;
        assert_eq!(
            b(
                "5:20.10.23~3-0~debian-buster",
                "5:24.0.2-1~debian.10~buster"
            ),
            Bump::Major
        );
        assert_eq!(b("1.6.18-1", "1.6.21-1"), Bump::Patch);
        assert_eq!(b("1.6.18-1", "1.7.0-1"), Bump::Minor);
        assert_eq!(b("1.6.18-1", "1.6.18-2"), Bump::Patch);
        assert_eq!(b("1.6.18-1", "1.6.18-1"), Bump::None);
        assert_eq!(b("1.0a-1", "1.0b-1"), Bump::Other);
    }
}
