//! `pinlock outdated`: what could move, per target.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::constraint::Constraint;
use crate::lock::LockError;
use crate::lockfile::Lockfile;
use crate::manifest::Manifest;
use crate::release::format_date;
use crate::repository::SuiteSnapshot;

use super::policy::{Held, Policy};
use super::view::{choose, first_seen, views};
use super::{Bump, UpdateError};

/// One requested package in one target. Serialised as the stable `--json` shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutdatedRow {
    /// Target (`buster/amd64`).
    pub target: String,
    /// Package.
    pub package: String,
    /// The manifest constraint.
    pub constraint: String,
    /// Locked version (`None` when the lock does not hold the package in this target).
    pub locked: Option<String>,
    /// Newest version the constraint and the update policies allow.
    pub allowed: Option<String>,
    /// Newest version served (apt's candidate).
    pub latest: Option<String>,
    /// Bump from locked to `latest`.
    pub bump: Bump,
    /// Bump from locked to `allowed`.
    pub allowed_bump: Bump,
    /// Why newer versions than `allowed` are not proposed (`ignored`, `not-allowed`, `too-young`), for `latest`.
    pub latest_held: Option<Held>,
    /// `YYYY-MM-DD` on which pinlock first saw `latest` (Release Date of that snapshot).
    pub latest_first_seen: Option<String>,
    /// Whole days from `latest_first_seen` to `now`.
    pub latest_age_days: Option<i64>,
    /// True when `latest` is newer than the locked version.
    pub outdated: bool,
}

/// Lists every requested package of every target in `lock`, sorted by target then package.
/// `now` (unix seconds) dates ages and the `min-age` policy.
pub fn outdated(
    manifest: &Manifest,
    suites: &[SuiteSnapshot],
    lock: &Lockfile,
    now: i64,
) -> Result<Vec<OutdatedRow>, UpdateError> {
    let policy = Policy::new(&manifest.update)?;
    let names: BTreeSet<String> = manifest.packages.keys().cloned().collect();
    let mut rows = Vec::new();
    for view in views(manifest, suites, &names) {
        let Some(t) = lock.targets.get(&view.name) else {
            continue;
        };
        for (package, text) in &manifest.packages {
            let constraint = Constraint::parse(text).map_err(|source| LockError::Constraint {
                package: package.clone(),
                source,
            })?;
            let locked = t.packages.get(package).map(|p| p.version.clone());
            let choice = choose(
                &view,
                lock,
                package,
                &constraint,
                locked.as_deref(),
                &policy,
                now,
            );
            let latest = choice.latest.map(|c| c.pkg.version().to_string());
            let allowed = choice.allowed.map(|c| c.pkg.version().to_string());
            let bump_to = |v: &Option<String>| match (&locked, v) {
                (Some(l), Some(n)) => Bump::between_str(l, n),
                _ => Bump::Other,
            };
            let seen = latest
                .as_deref()
                .and_then(|v| first_seen(lock, &view, package, v));
            let outdated = match (&locked, choice.latest) {
                (Some(l), Some(c)) => {
                    crate::version::Version::parse(l).is_ok_and(|l| c.version > l)
                }
                (None, Some(_)) => true,
                _ => false,
            };
            let latest_held = choice
                .latest
                .and_then(|c| {
                    choice
                        .held
                        .iter()
                        .find(|(h, _)| h.pkg.version() == c.pkg.version())
                })
                .map(|(_, h)| h.clone())
                .or_else(|| {
                    (outdated
                        && choice
                            .latest
                            .is_some_and(|c| !constraint.matches(&c.version)))
                    .then_some(Held::Constraint)
                });
            rows.push(OutdatedRow {
                target: view.name.clone(),
                package: package.clone(),
                constraint: constraint.to_string(),
                bump: bump_to(&latest),
                allowed_bump: bump_to(&allowed),
                locked,
                allowed,
                latest,
                latest_held,
                latest_first_seen: seen.map(format_date),
                latest_age_days: seen.map(|s| (now - s).div_euclid(86400)),
                outdated,
            });
        }
    }
    Ok(rows)
}
