//! `pinlock outdated`: what could move and what `pinlock update` would propose, per target.
//!
//! One model with `update`: [`outdated`] runs [`propose`] for every requested package (exactly
//! what a bare `pinlock update` computes) and reports, for every package of the closure, the
//! version that proposal would lock. [`Outdated::proposes`] is true exactly when `update` would
//! make a proposal ([`super::Proposal::has_changes`]), so `outdated --exit-code` and the exit
//! code of `update` agree: siblings that move together, constraints that hold one of them back
//! and policies are applied once, in `propose`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::constraint::Constraint;
use crate::lock::LockError;
use crate::lockfile::Lockfile;
use crate::manifest::Manifest;
use crate::release::format_date;
use crate::repository::SuiteSnapshot;

use super::plan::{propose, Proposal, UpdateOptions};
use super::policy::{Held, Policy};
use super::review::Finding;
use super::view::{choose, first_seen, views};
use super::{Bump, UpdateError};

/// Where a locked package stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// The locked version is no longer served by any source of the target: `pinlock lock
    /// --locked` fails and `pinlock update` proposes a replacement.
    Gone,
    /// `pinlock update` would change this entry (new version, added or removed).
    Proposed,
    /// The locked version is served again with another SHA256: `update` proposes it for review.
    Rebuilt,
    /// A newer version is served but `update` would not propose it (constraint, policy, or a
    /// co-versioned sibling held back).
    Held,
    /// Nothing newer is served.
    UpToDate,
}

impl State {
    /// `gone`, `proposed`, `rebuilt`, `held` or `up-to-date`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Gone => "gone",
            State::Proposed => "proposed",
            State::Rebuilt => "rebuilt",
            State::Held => "held",
            State::UpToDate => "up-to-date",
        }
    }
}

/// One package of the closure in one target. Serialised as the stable `--json` shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutdatedRow {
    /// Target (`buster/amd64`).
    pub target: String,
    /// Package.
    pub package: String,
    /// True for packages the manifest requests; false for the rest of the closure.
    pub requested: bool,
    /// The manifest constraint (empty for a package the manifest does not request).
    pub constraint: String,
    /// What `pinlock update` would do with it.
    pub state: State,
    /// Locked version (`None` when the lock does not hold the package in this target).
    pub locked: Option<String>,
    /// The version `pinlock update` would lock, when it differs from `locked` (`None`: no
    /// change, or the package would leave the closure — see `state`).
    pub proposed: Option<String>,
    /// Bump from locked to `proposed`.
    pub proposed_bump: Option<Bump>,
    /// Newest version the constraint and the update policies allow (requested packages).
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
    /// True when the version this row moves to (`proposed`, else a newer `latest`) is served
    /// by a security source: a `-security` or `/updates` suite, or a source the manifest marks
    /// `security: true`.
    pub security: bool,
}

/// The result of [`outdated`].
#[derive(Debug, Clone)]
pub struct Outdated {
    /// Every requested package and every locked package, per target, sorted by target then
    /// package.
    pub rows: Vec<OutdatedRow>,
    /// True exactly when `pinlock update` (all packages) would make a proposal, or when it
    /// cannot be computed while a locked version is gone.
    pub proposes: bool,
    /// Why the proposal could not be computed (then `proposes` is true when something is gone).
    pub error: Option<String>,
}

/// Lists every package of every target in `lock`, with what `pinlock update` would do.
/// `now` (unix seconds) dates ages and the `min-age` policy.
pub fn outdated(
    manifest: &Manifest,
    suites: &[SuiteSnapshot],
    lock: &Lockfile,
    now: i64,
) -> Result<Outdated, UpdateError> {
    let policy = Policy::new(&manifest.update)?;
    let mut constraints = BTreeMap::new();
    for (package, text) in &manifest.packages {
        let c = Constraint::parse(text).map_err(|source| LockError::Constraint {
            package: package.clone(),
            source,
        })?;
        constraints.insert(package.clone(), c);
    }
    let (proposal, error) = match propose(
        manifest,
        suites,
        lock,
        &UpdateOptions {
            now,
            ..Default::default()
        },
    ) {
        Ok(p) => (Some(p), None),
        Err(UpdateError::Policy { message }) => return Err(UpdateError::Policy { message }),
        Err(e) => (None, Some(e.to_string())),
    };
    let mut names: BTreeSet<String> = manifest.packages.keys().cloned().collect();
    for t in lock.targets.values() {
        names.extend(t.packages.keys().cloned());
    }
    if let Some(p) = &proposal {
        for t in p.lockfile.targets.values() {
            names.extend(t.packages.keys().cloned());
        }
    }
    let mut rows = Vec::new();
    for view in views(manifest, suites, &names) {
        let Some(t) = lock.targets.get(&view.name) else {
            continue;
        };
        let new_t = proposal
            .as_ref()
            .and_then(|p| p.lockfile.targets.get(&view.name));
        let mut pkgs: BTreeSet<&String> = manifest.packages.keys().collect();
        pkgs.extend(t.packages.keys());
        pkgs.extend(new_t.iter().flat_map(|n| n.packages.keys()));
        for package in pkgs {
            let locked = t.packages.get(package).map(|p| p.version.clone());
            let after = new_t.and_then(|n| n.packages.get(package).map(|p| p.version.clone()));
            let constraint = constraints.get(package);
            let cands = view.universe.candidates(package);
            let (latest_c, allowed, held) = match constraint {
                Some(c) => {
                    let choice = choose(&view, lock, package, c, locked.as_deref(), &policy, now);
                    (
                        choice.latest,
                        choice.allowed.map(|c| c.pkg.version().to_string()),
                        choice.held,
                    )
                }
                None => (cands.first(), None, Vec::new()),
            };
            let latest = latest_c.map(|c| c.pkg.version().to_string());
            let bump_to = |v: &Option<String>| match (&locked, v) {
                (Some(l), Some(n)) => Bump::between_str(l, n),
                _ => Bump::Other,
            };
            let seen = latest
                .as_deref()
                .and_then(|v| first_seen(lock, &view, package, v));
            let outdated = match (&locked, latest_c) {
                (Some(l), Some(c)) => {
                    crate::version::Version::parse(l).is_ok_and(|l| c.version > l)
                }
                (None, Some(_)) => constraint.is_some(),
                _ => false,
            };
            let latest_held = latest_c
                .and_then(|c| held.iter().find(|(h, _)| h.pkg.version() == c.pkg.version()))
                .map(|(_, h)| h.clone())
                .or_else(|| {
                    (outdated
                        && matches!((constraint, latest_c), (Some(k), Some(c)) if !k.matches(&c.version)))
                    .then_some(Held::Constraint)
                });
            let gone = locked
                .as_deref()
                .is_some_and(|l| !cands.iter().any(|c| c.pkg.version() == l));
            let changes = proposal.is_some() && after != locked;
            let rebuilt = proposal.as_ref().is_some_and(|p| {
                p.findings.iter().any(|f| {
                    matches!(f, Finding::Rebuilt { target, package: n, .. }
                        if *target == view.name && n == package)
                })
            });
            // Newer, allowed by constraint and policies, and still not proposed.
            let latest_held = if latest_held.is_none() && outdated && !changes && !gone {
                Some(Held::Siblings)
            } else {
                latest_held
            };
            let state = if gone {
                State::Gone
            } else if changes {
                State::Proposed
            } else if rebuilt {
                State::Rebuilt
            } else if outdated {
                State::Held
            } else {
                State::UpToDate
            };
            if locked.is_none() && after.is_none() && constraint.is_none() {
                continue;
            }
            let proposed = if changes { after.clone() } else { None };
            let security = match (&proposed, &latest) {
                (Some(v), _) => view.is_security(package, v),
                (None, Some(v)) if outdated => view.is_security(package, v),
                _ => false,
            };
            rows.push(OutdatedRow {
                security,
                target: view.name.clone(),
                package: package.clone(),
                requested: constraint.is_some(),
                constraint: constraint.map(|c| c.to_string()).unwrap_or_default(),
                state,
                proposed_bump: match (&locked, &proposed) {
                    (Some(l), Some(n)) => Some(Bump::between_str(l, n)),
                    _ => None,
                },
                proposed,
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
    let gone = rows.iter().any(|r| r.state == State::Gone);
    let proposes = proposal.as_ref().map_or(gone, Proposal::has_changes) || gone;
    Ok(Outdated {
        rows,
        proposes,
        error,
    })
}
