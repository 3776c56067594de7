//! The manifest's `update:` section, as written: policies for `pinlock update`.
//!
//! ```yaml
//! update:
//!   groups: [[docker-ce, containerd.io]]   # always proposed together
//!   min-age: 7d                            # s, m, h, d or w; first-seen from pinlock.seen.yml
//!   security-min-age: 0d                   # min-age of security fixes (default: min-age)
//!   ignore:                                # versions or ranges never proposed
//!     docker-ce: ["= 5:24.0.0-1~debian.10~buster", "^25"]
//!   allow:                                 # largest upstream bump proposed: patch|minor|major
//!     containerd.io: patch
//!   changelog:                             # release-notes link in the PR body
//!     docker-ce: "https://docs.example.org/engine/release-notes/{major}.{minor}/#{upstream}"
//! ```
//!
//! This is data only, so the manifest depends on nothing of `update` or `lock`; the texts
//! (durations, constraints) are parsed and applied by
//! [`update::Policy`](crate::update::Policy).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The largest upstream bump `allow` permits for a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Allow {
    /// Same major and minor.
    Patch,
    /// Same major.
    Minor,
    /// Anything.
    Major,
}

/// The manifest's `update:` section. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct UpdatePolicy {
    /// Packages always proposed together: naming one updates all of its group.
    #[serde(default)]
    pub groups: Vec<Vec<String>>,
    /// Minimum time since pinlock first saw a version before it is proposed (`7d`, `12h`).
    #[serde(default)]
    pub min_age: Option<String>,
    /// `min-age` for versions served by a security source (a `-security` suite or a source
    /// marked `security: true`); `0d` lets security fixes bypass `min-age`. Default: `min-age`.
    #[serde(default)]
    pub security_min_age: Option<String>,
    /// Package → constraints (exact versions or ranges) whose versions are never proposed.
    #[serde(default)]
    pub ignore: BTreeMap<String, Vec<String>>,
    /// Package → the largest upstream bump proposed.
    #[serde(default)]
    pub allow: BTreeMap<String, Allow>,
    /// Package → URL template of its changelog or release notes, linked in the pull-request
    /// body for each proposed version: `{package}`, `{version}` (full), `{upstream}` (as
    /// semver where it reads as one: `24.0.2`), `{major}`, `{minor}`.
    #[serde(default)]
    pub changelog: BTreeMap<String, String>,
}
