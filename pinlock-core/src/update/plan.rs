//! `pinlock update`: the proposal.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::lock::{lock, LockOptions};
use crate::lockfile::{LockedPackage, Lockfile};
use crate::manifest::Manifest;
use crate::repository::SuiteSnapshot;

use super::policy::{Held, Policy};
use super::review::{review, Finding};
use super::seen::FirstSeen;
use super::view::{choose, record_first_seen, views};
use super::{Bump, UpdateError};

/// What to update.
#[derive(Debug, Clone, Default)]
pub struct UpdateOptions {
    /// Packages to move; empty means every requested package.
    pub packages: Vec<String>,
    /// Move the one named package to exactly this version, in every target that serves it
    /// (others keep their lock; an error when no target serves it).
    pub precise: Option<String>,
    /// Current time, unix seconds (for `min-age`).
    pub now: i64,
    /// Accept a source whose Release Date is older than the locked one.
    pub allow_rollback: bool,
}

/// One package whose lock entry changes, in one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Target.
    pub target: String,
    /// Package.
    pub package: String,
    /// Locked version before (`None`: added to the closure).
    pub old: Option<String>,
    /// Locked version after (`None`: removed from the closure).
    pub new: Option<String>,
    /// Upstream bump, when both versions exist.
    pub bump: Option<Bump>,
    /// True for packages the manifest requests.
    pub requested: bool,
    /// True when no source of the target serves `old` any more: the change replaces a
    /// vanished version (`pinlock lock --locked` fails until it is merged).
    pub gone: bool,
    /// True when `new` is served by a security source of the target (a `-security` suite or
    /// a source marked `security: true`): a security fix.
    pub security: bool,
}

/// A newer version a policy keeps back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldVersion {
    /// Target.
    pub target: String,
    /// Package.
    pub package: String,
    /// The version not proposed.
    pub version: String,
    /// Why.
    pub reason: Held,
}

/// The result of [`propose`].
#[derive(Debug, Clone)]
pub struct Proposal {
    /// The packages asked for, groups expanded, sorted.
    pub packages: Vec<String>,
    /// The lock before.
    pub old: Lockfile,
    /// The lock after. It carries no first-seen records: those are in [`Proposal::first_seen`]
    /// (written to the seen file, [`super::seen`]).
    pub lockfile: Lockfile,
    /// First-seen records after this run: the previous ones (`previous.first_seen`, which the
    /// caller fills from the seen file) plus versions served now for the first time, minus
    /// versions older than every locked version.
    pub first_seen: FirstSeen,
    /// Changed lock entries, sorted by target and package.
    pub changes: Vec<Change>,
    /// Review findings from the old and new package metadata, sorted.
    pub findings: Vec<Finding>,
    /// Newer versions held back by policies.
    pub held: Vec<HeldVersion>,
    /// Release-notes links (`update.changelog`) of the proposed versions of requested
    /// packages: (package, version, URL), sorted, each once.
    pub release_notes: Vec<(String, String, String)>,
}

impl Proposal {
    /// True when a locked package changes version, joins or leaves the lock, or is re-served
    /// with another SHA256 (a proposal to review); false when only bookkeeping (first-seen
    /// records, constraint texts) changed or nothing did.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
            || self
                .findings
                .iter()
                .any(|f| matches!(f, Finding::Rebuilt { .. }))
    }
}

/// Computes the update of `previous` on the snapshots `suites` of `manifest`'s sources.
///
/// Named requested packages go to the newest version their constraint and the policies allow
/// (or `opts.precise`); their co-versioned siblings follow; lock entries pulled in only by
/// moved packages are re-resolved; every other entry keeps its version if it still fits.
pub fn propose(
    manifest: &Manifest,
    suites: &[SuiteSnapshot],
    previous: &Lockfile,
    opts: &UpdateOptions,
) -> Result<Proposal, UpdateError> {
    let policy = Policy::new(&manifest.update)?;
    let constraints = crate::lock::constraints(manifest)?;
    if opts.precise.is_some() && opts.packages.len() != 1 {
        return Err(UpdateError::PreciseNeedsOne {
            count: opts.packages.len(),
        });
    }
    for p in &opts.packages {
        let locked = previous
            .targets
            .values()
            .any(|t| t.packages.contains_key(p));
        if !constraints.contains_key(p) && !locked {
            return Err(UpdateError::UnknownPackage { package: p.clone() });
        }
    }
    let named = if opts.packages.is_empty() {
        constraints.keys().cloned().collect()
    } else {
        policy.expand_groups(&opts.packages)
    };
    let mut interest: BTreeSet<String> = constraints.keys().cloned().collect();
    interest.extend(named.iter().cloned());
    for t in previous.targets.values() {
        interest.extend(t.packages.keys().cloned());
    }
    let views = views(manifest, suites, &interest);

    let mut seed = previous.clone();
    let mut held = Vec::new();
    let mut precise_found = false;
    let mut precise_missing = None;
    for view in &views {
        let Some(t) = seed.targets.get_mut(&view.name) else {
            continue;
        };
        let mut moved: BTreeSet<String> = BTreeSet::new();
        for name in &named {
            let locked = t.packages.get(name).map(|p| p.version.clone());
            let Some(constraint) = constraints.get(name) else {
                // A dependency: forget its version so it is chosen afresh.
                if t.packages.remove(name).is_some() {
                    moved.insert(name.clone());
                }
                continue;
            };
            let cand = match &opts.precise {
                Some(want) => {
                    let cands = view.universe.candidates(name);
                    let mut c = cands
                        .iter()
                        .find(|c| c.pkg.version() == want && constraint.matches(&c.version));
                    if c.is_none() {
                        // An upstream version (`20.10.22`) names the one version with it.
                        let same: Vec<_> = cands
                            .iter()
                            .filter(|c| {
                                constraint.matches(&c.version) && upstream_is(&c.version, want)
                            })
                            .collect();
                        match same.as_slice() {
                            [one] => c = Some(*one),
                            [] => {}
                            many => {
                                return Err(UpdateError::PreciseAmbiguous {
                                    target: view.name.clone(),
                                    package: name.clone(),
                                    version: want.clone(),
                                    matching: many
                                        .iter()
                                        .map(|c| c.pkg.version().to_string())
                                        .collect(),
                                })
                            }
                        }
                    }
                    match c {
                        Some(c) => {
                            precise_found = true;
                            c
                        }
                        None => {
                            // Versions carry the release (`~debian.10~buster`): a target
                            // without this version keeps its lock.
                            if precise_missing.is_none() {
                                precise_missing = Some(UpdateError::PreciseUnavailable {
                                    target: view.name.clone(),
                                    package: name.clone(),
                                    version: want.clone(),
                                    constraint: constraint.to_string(),
                                    available: view
                                        .universe
                                        .candidates(name)
                                        .iter()
                                        .map(|c| c.pkg.version().to_string())
                                        .take(10)
                                        .collect(),
                                });
                            }
                            continue;
                        }
                    }
                }
                None => {
                    let choice = choose(
                        view,
                        previous,
                        name,
                        constraint,
                        locked.as_deref(),
                        &policy,
                        opts.now,
                    );
                    for (c, why) in &choice.held {
                        held.push(HeldVersion {
                            target: view.name.clone(),
                            package: name.clone(),
                            version: c.pkg.version().to_string(),
                            reason: why.clone(),
                        });
                    }
                    match choice.allowed {
                        Some(c) => c,
                        None => continue,
                    }
                }
            };
            if locked.as_deref() == Some(cand.pkg.version()) {
                continue;
            }
            set_version(t, name, cand.pkg.version());
            moved.insert(name.clone());
            // Co-versioned siblings follow to the same source version.
            let (src, src_ver) = cand.source;
            if src_ver == cand.pkg.version() {
                let siblings: Vec<String> = t
                    .packages
                    .iter()
                    .filter(|(n, p)| *n != name && p.source == src)
                    .map(|(n, _)| n.clone())
                    .collect();
                for s in siblings {
                    let sib = view
                        .universe
                        .candidates(&s)
                        .iter()
                        .find(|c| c.source == (src, src_ver) && c.source.1 == c.pkg.version());
                    match sib {
                        Some(c) => set_version(t, &s, c.pkg.version()),
                        None => {
                            t.packages.remove(&s);
                        }
                    }
                    moved.insert(s);
                }
            }
        }
        // Release what only moved packages pulled in, transitively.
        loop {
            let free: Vec<String> = t
                .packages
                .iter()
                .filter(|(n, p)| {
                    p.requested.is_none()
                        && !moved.contains(*n)
                        && !p.required_by.is_empty()
                        && p.required_by.iter().all(|r| moved.contains(r))
                })
                .map(|(n, _)| n.clone())
                .collect();
            if free.is_empty() {
                break;
            }
            for n in free {
                t.packages.remove(&n);
                moved.insert(n);
            }
        }
    }

    if let (false, Some(e)) = (precise_found, precise_missing) {
        return Err(e);
    }
    let mut new = lock(
        manifest,
        suites,
        Some(&seed),
        LockOptions {
            allow_rollback: opts.allow_rollback,
            allow_rebuilt: true,
        },
    )?;
    if new.targets == previous.targets {
        new.sources = previous.sources.clone();
    }
    new.first_seen = previous.first_seen.clone();
    record_first_seen(&mut new, &views, &manifest.packages);
    let first_seen = std::mem::take(&mut new.first_seen);

    let mut changes = Vec::new();
    let all_targets: BTreeSet<&String> =
        previous.targets.keys().chain(new.targets.keys()).collect();
    for tname in all_targets {
        let (o, n) = (previous.targets.get(tname), new.targets.get(tname));
        let pkgs: BTreeSet<&String> = o
            .iter()
            .flat_map(|x| x.packages.keys())
            .chain(n.iter().flat_map(|x| x.packages.keys()))
            .collect();
        for p in pkgs {
            let ov = o.and_then(|x| x.packages.get(p));
            let nv = n.and_then(|x| x.packages.get(p));
            if ov.map(|x| &x.version) == nv.map(|x| &x.version) {
                continue;
            }
            changes.push(Change {
                target: tname.clone(),
                package: p.clone(),
                old: ov.map(|x| x.version.clone()),
                new: nv.map(|x| x.version.clone()),
                bump: match (ov, nv) {
                    (Some(a), Some(b)) => Some(Bump::between_str(&a.version, &b.version)),
                    _ => None,
                },
                requested: constraints.contains_key(p),
                security: nv.is_some_and(|n| {
                    views
                        .iter()
                        .any(|v| v.name == *tname && v.is_security(p, &n.version))
                }),
                gone: ov.is_some_and(|o| {
                    views.iter().find(|v| v.name == *tname).is_some_and(|v| {
                        !v.universe
                            .candidates(p)
                            .iter()
                            .any(|c| c.pkg.version() == o.version)
                    })
                }),
            });
        }
    }
    let mut release_notes: Vec<(String, String, String)> = changes
        .iter()
        .filter(|c| c.requested)
        .filter_map(|c| {
            let v = crate::version::Version::parse(c.new.as_deref()?).ok()?;
            let url = policy.changelog(&c.package, &v)?;
            Some((c.package.clone(), v.to_string(), url))
        })
        .collect();
    release_notes.sort();
    release_notes.dedup();
    let findings = review(&views, previous, &new);
    held.sort_by(|a, b| {
        (&a.target, &a.package, &a.version).cmp(&(&b.target, &b.package, &b.version))
    });
    Ok(Proposal {
        packages: named,
        old: previous.clone(),
        lockfile: new,
        first_seen,
        changes,
        findings,
        held,
        release_notes,
    })
}

/// Whether `want` is the upstream version of `v`: exactly (`20.10.22~3`) or read as semver
/// (`20.10.22`), never a full version with epoch or revision.
fn upstream_is(v: &crate::version::Version, want: &str) -> bool {
    if want.contains(':') || want.contains('-') {
        return false;
    }
    v.upstream() == want || v.upstream_semver().is_some_and(|s| s.to_string() == want)
}

fn set_version(t: &mut crate::lockfile::LockedTarget, name: &str, version: &str) {
    match t.packages.get_mut(name) {
        Some(p) => p.version = version.to_string(),
        None => {
            t.packages.insert(
                name.to_string(),
                LockedPackage {
                    version: version.to_string(),
                    architecture: String::new(),
                    source: String::new(),
                    filename: String::new(),
                    size: 0,
                    sha256: String::new(),
                    requested: None,
                    required_by: Vec::new(),
                    enforce: true,
                },
            );
        }
    }
}
