//! From a manifest and the repositories it names to a lockfile: targets, resolution per
//! target, and the safety checks against the previous lock (rollback, rebuilt versions).
//!
//! [`lock()`] resolves suites already read; [`lock_with_memo`] also reads them, and skips the
//! indexes when the cache remembers the result for the same inputs ([`memo`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::constraint::{Constraint, ConstraintError};
use crate::lockfile::{LockedSource, LockedTarget, Lockfile};
use crate::manifest::{release_of_suite, Manifest};
use crate::release::parse_rfc2822;
use crate::repository::SuiteSnapshot;
use crate::resolve::{resolve, Request, ResolveError, Universe};

pub mod memo;

pub use memo::{lock_with_memo, memo_key, LockInputs, LockRunError, DEFAULT_BUILD_ID};

/// Checks that may be waived.
#[derive(Debug, Clone, Copy, Default)]
pub struct LockOptions {
    /// Accept a source whose Release Date is older than the locked one.
    pub allow_rollback: bool,
    /// Accept a locked version now served with another SHA256.
    pub allow_rebuilt: bool,
}

/// Locking failed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// A constraint in the manifest is invalid.
    #[error("package {package}: {source}")]
    Constraint {
        /// Package.
        package: String,
        /// Why.
        #[source]
        source: ConstraintError,
    },
    /// Resolution failed.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// A source went back in time.
    #[error("{url} {suite}: the repository went backwards: its Release Date is {served}, older than the {locked} in the lockfile\nhint: a stale mirror or a replayed InRelease; if this is intended, pass --allow-rollback")]
    Rollback {
        /// Repository.
        url: String,
        /// Suite.
        suite: String,
        /// Date in the lockfile.
        locked: String,
        /// Date served now.
        served: String,
    },
    /// A locked version is served with different bytes.
    #[error("{target}: {package} {version} is now served with SHA256 {served}, but the lockfile has {locked}: the package was rebuilt in place\nhint: review the new build; if it is expected, pass --allow-rebuilt")]
    Rebuilt {
        /// Target.
        target: String,
        /// Package.
        package: String,
        /// Version.
        version: String,
        /// SHA256 in the lockfile.
        locked: String,
        /// SHA256 served now.
        served: String,
    },
    /// The manifest requests packages but no source yields any target.
    #[error("no target: the sources list no architectures\nhint: add `arch=amd64` (or the architectures you run) to the source")]
    NoTargets,
}

/// apt's default pin priority of a suite.
pub(crate) fn suite_priority(s: &SuiteSnapshot) -> i32 {
    match (s.release.not_automatic, s.release.but_automatic_upgrades) {
        (true, true) => 100,
        (true, false) => 1,
        _ => 500,
    }
}

/// The target names (`release/arch`) each suite feeds, in manifest order.
pub(crate) fn targets(
    manifest: &Manifest,
    suites: &[SuiteSnapshot],
) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut i = 0;
    for src in &manifest.sources {
        for suite in &src.spec.suites {
            let Some(snap) = suites.get(i) else { break };
            debug_assert_eq!(&snap.suite, suite);
            let release = src
                .release
                .clone()
                .unwrap_or_else(|| release_of_suite(suite).to_string());
            let archs: Vec<String> = if src.spec.architectures.is_empty() {
                snap.release
                    .architectures
                    .iter()
                    .filter(|a| *a != "all")
                    .cloned()
                    .collect()
            } else {
                src.spec.architectures.clone()
            };
            for a in archs {
                out.entry(format!("{release}/{a}")).or_default().push(i);
            }
            i += 1;
        }
    }
    out
}

/// Whether each suite (in the order of `suites`, as [`targets`] numbers them) belongs to a
/// source the host enforcement pins: false for the suites of a source with `enforce: false`.
pub(crate) fn enforced_suites(manifest: &Manifest, suites: &[SuiteSnapshot]) -> Vec<bool> {
    let mut out: Vec<bool> = manifest
        .sources
        .iter()
        .flat_map(|src| src.spec.suites.iter().map(|_| src.enforce))
        .take(suites.len())
        .collect();
    out.resize(suites.len(), true);
    out
}

/// The packages one target (`release/arch`) sees: the indexes of `suite_ids` (from
/// [`targets`]) for `arch` and `all`, at each suite's apt priority, sorted. `enforced` (from
/// [`enforced_suites`]; missing entries count as enforced) marks the suites whose packages the
/// hosts pin.
pub(crate) fn target_universe<'a>(
    suites: &'a [SuiteSnapshot],
    suite_ids: &[usize],
    arch: &str,
    enforced: &[bool],
) -> Universe<'a> {
    let mut universe = Universe::default();
    for &i in suite_ids {
        let s = &suites[i];
        let prio = suite_priority(s);
        let enforce = enforced.get(i).copied().unwrap_or(true);
        for idx in s
            .indexes
            .iter()
            .filter(|x| x.architecture == arch || x.architecture == "all")
        {
            universe.add_index_enforced(idx.packages.iter(), prio, enforce);
        }
    }
    universe.finish();
    universe
}

/// The manifest's package constraints, parsed; the first invalid one is an error naming its
/// package.
pub(crate) fn constraints(manifest: &Manifest) -> Result<BTreeMap<String, Constraint>, LockError> {
    let mut out = BTreeMap::new();
    for (name, text) in &manifest.packages {
        let c = Constraint::parse(text).map_err(|source| LockError::Constraint {
            package: name.clone(),
            source,
        })?;
        out.insert(name.clone(), c);
    }
    Ok(out)
}

/// Resolves `manifest` against `suites` (as returned by
/// [`read_sources`](crate::repository::read_sources) for `manifest.specs()`), keeping what
/// `previous` locked where it still fits.
pub fn lock(
    manifest: &Manifest,
    suites: &[SuiteSnapshot],
    previous: Option<&Lockfile>,
    opts: LockOptions,
) -> Result<Lockfile, LockError> {
    lock_and_next(manifest, suites, previous, opts, false).map(|(l, _)| l)
}

/// [`lock`], and when `next` is true also what the next [`lock`] would return with the result
/// as `previous` (same suites), from the same in-memory package universes: building those is
/// most of the cost, so the second resolution is nearly free. The second result is `None` when
/// `next` is false or that resolution fails.
pub(crate) fn lock_and_next(
    manifest: &Manifest,
    suites: &[SuiteSnapshot],
    previous: Option<&Lockfile>,
    opts: LockOptions,
    next: bool,
) -> Result<(Lockfile, Option<Lockfile>), LockError> {
    let constraints = constraints(manifest)?;
    let targets = targets(manifest, suites);
    let enforced = enforced_suites(manifest, suites);
    let mut universes = Vec::with_capacity(targets.len());
    for (target, suite_ids) in targets {
        let arch = target.rsplit('/').next().unwrap_or_default().to_string();
        let universe = target_universe(suites, &suite_ids, &arch, &enforced);
        universes.push((target, arch, universe));
    }
    let pass = |previous: Option<&Lockfile>| -> Result<Lockfile, LockError> {
        let mut lock = Lockfile::new();
        lock.first_seen = previous.map(|p| p.first_seen.clone()).unwrap_or_default();
        for s in suites {
            let date = s.release.date.clone().unwrap_or_default();
            if let Some(prev) = previous.and_then(|p| {
                p.sources
                    .iter()
                    .find(|l| l.url == s.uri && l.suite == s.suite)
            }) {
                if !opts.allow_rollback {
                    if let (Some(old), Some(new)) = (parse_rfc2822(&prev.date), s.release.date_unix)
                    {
                        if new < old {
                            return Err(LockError::Rollback {
                                url: s.uri.clone(),
                                suite: s.suite.clone(),
                                locked: prev.date.clone(),
                                served: if date.trim().is_empty() {
                                    "missing or unreadable (read as 1970, as apt does)".into()
                                } else {
                                    date.clone()
                                },
                            });
                        }
                    }
                }
            }
            lock.sources.push(LockedSource {
                url: s.uri.clone(),
                suite: s.suite.clone(),
                components: {
                    let mut c: Vec<String> =
                        s.indexes.iter().map(|i| i.component.clone()).collect();
                    c.dedup();
                    c
                },
                date,
                inrelease_sha256: s.release_sha256.clone(),
                signed_by: s.signer.clone(),
            });
        }
        if universes.is_empty() && !constraints.is_empty() {
            return Err(LockError::NoTargets);
        }
        for (target, arch, universe) in &universes {
            let prev_target = previous.and_then(|p| p.targets.get(target));
            let resolved = resolve(
                universe,
                &Request {
                    target,
                    arch,
                    packages: &constraints,
                    recommends: manifest.recommends,
                    previous: prev_target,
                },
            )?;
            let mut resolved = resolved;
            waive(&mut resolved, manifest);
            if let (Some(prev), false) = (prev_target, opts.allow_rebuilt) {
                for (name, p) in &resolved.packages {
                    if let Some(old) = prev.packages.get(name) {
                        if old.version == p.version && old.sha256 != p.sha256 {
                            return Err(LockError::Rebuilt {
                                target: target.clone(),
                                package: name.clone(),
                                version: p.version.clone(),
                                locked: old.sha256.clone(),
                                served: p.sha256.clone(),
                            });
                        }
                    }
                }
            }
            lock.targets.insert(target.clone(), resolved);
        }
        // Minimal churn: when the pins did not change, keep the snapshots they were resolved
        // from, so a repository publishing unrelated packages does not rewrite the lockfile.
        if let Some(prev) = previous {
            let same_sources = prev.sources.len() == lock.sources.len()
                && lock.sources.iter().all(|s| {
                    prev.sources
                        .iter()
                        .any(|p| p.url == s.url && p.suite == s.suite)
                });
            if same_sources && prev.targets == lock.targets {
                lock.sources = prev.sources.clone();
            }
        }
        Ok(lock)
    };
    let first = pass(previous)?;
    let second = if next { pass(Some(&first)).ok() } else { None };
    Ok((first, second))
}

/// Marks the unresolved Recommends of `target` that the manifest waives (`waive:`). A waived
/// Depends or Pre-Depends stays required ([`waiver_warnings`] names it).
pub fn waive(target: &mut LockedTarget, manifest: &Manifest) {
    for (name, u) in &mut target.unresolved {
        u.waived = u.kind == "recommends" && manifest.waive.contains(name);
    }
}

/// A `waive:` entry of the manifest that has no effect on `lock`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaiverWarning {
    /// The name is an unresolved Depends or Pre-Depends: the hosts need it, it cannot be waived.
    Required {
        /// The waived name.
        package: String,
        /// `depends` or `pre-depends`.
        kind: String,
        /// The locked packages that need it (in any target), sorted.
        required_by: Vec<String>,
        /// The targets where it is required, sorted.
        targets: Vec<String>,
    },
    /// The name is not an unresolved Recommends of any target.
    Unused {
        /// The waived name.
        package: String,
    },
}

impl std::fmt::Display for WaiverWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaiverWarning::Required {
                package,
                kind,
                required_by,
                targets,
            } => write!(
                f,
                "waive: {package} is a {} of {} (targets: {}): a Depends cannot be waived, the hosts need it\nhint: add a source that has {package} to `sources`, or install it on the hosts and remove it from `waive`",
                if kind == "pre-depends" { "Pre-Depends" } else { "Depends" },
                required_by.join(", "),
                targets.join(", ")
            ),
            WaiverWarning::Unused { package } => write!(
                f,
                "waive: {package} is not an unresolved Recommends of any target; remove it"
            ),
        }
    }
}

/// The `waive:` entries of `manifest` that do not waive anything in `lock` (the result of
/// [`lock`] for it), sorted by package: a Depends (which cannot be waived) or a name no
/// target lists as an unresolved Recommends.
pub fn waiver_warnings(manifest: &Manifest, lock: &Lockfile) -> Vec<WaiverWarning> {
    let mut out = Vec::new();
    for package in &manifest.waive {
        let mut used = false;
        let mut required: Option<(String, BTreeSet<String>, Vec<String>)> = None;
        for (t, lt) in &lock.targets {
            let Some(u) = lt.unresolved.get(package) else {
                continue;
            };
            if u.kind == "recommends" {
                used |= u.waived;
                continue;
            }
            let r = required.get_or_insert_with(|| (u.kind.clone(), BTreeSet::new(), Vec::new()));
            if u.kind == "pre-depends" {
                r.0 = u.kind.clone();
            }
            r.1.extend(u.required_by.iter().cloned());
            r.2.push(t.clone());
        }
        match required {
            Some((kind, required_by, targets)) => out.push(WaiverWarning::Required {
                package: package.clone(),
                kind,
                required_by: required_by.into_iter().collect(),
                targets,
            }),
            None if !used => out.push(WaiverWarning::Unused {
                package: package.clone(),
            }),
            None => {}
        }
    }
    out
}

/// Human-readable differences between two lockfiles, one line each, sorted
/// (`buster/amd64: docker-ce 5:23.0.0-1… → 5:23.0.1-1…`).
pub fn diff(old: Option<&Lockfile>, new: &Lockfile) -> Vec<String> {
    let empty = Lockfile::new();
    let old = old.unwrap_or(&empty);
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<&String> =
        old.targets.keys().chain(new.targets.keys()).collect();
    for t in names {
        let (o, n) = (old.targets.get(t), new.targets.get(t));
        let pkgs: std::collections::BTreeSet<&String> = o
            .iter()
            .flat_map(|x| x.packages.keys())
            .chain(n.iter().flat_map(|x| x.packages.keys()))
            .collect();
        for p in pkgs {
            let ov = o.and_then(|x| x.packages.get(p));
            let nv = n.and_then(|x| x.packages.get(p));
            match (ov, nv) {
                (None, Some(n)) => out.push(format!("{t}: add {p} {}", n.version)),
                (Some(o), None) => out.push(format!("{t}: remove {p} {}", o.version)),
                (Some(o), Some(n)) if o.version != n.version => {
                    out.push(format!("{t}: {p} {} → {}", o.version, n.version))
                }
                (Some(o), Some(n))
                    if o.enforce != n.enforce && o == &with_enforce(n, o.enforce) =>
                {
                    out.push(format!(
                        "{t}: {p} {} enforce: {} → {}",
                        n.version, o.enforce, n.enforce
                    ))
                }
                (Some(o), Some(n)) if o != n => {
                    out.push(format!("{t}: {p} {} (metadata changed)", n.version))
                }
                _ => {}
            }
        }
        let empty = BTreeMap::new();
        let ou = o.map_or(&empty, |x| &x.unresolved);
        let nu = n.map_or(&empty, |x| &x.unresolved);
        if ou != nu {
            // Only waivers changed: say which.
            let only_waived = ou.len() == nu.len()
                && ou.iter().all(|(name, a)| {
                    nu.get(name).is_some_and(|b| {
                        let mut b = b.clone();
                        b.waived = a.waived;
                        *a == b
                    })
                });
            if only_waived {
                for (name, b) in nu {
                    if ou[name].waived != b.waived {
                        out.push(format!(
                            "{t}: {name} ({}) {}",
                            b.kind,
                            if b.waived {
                                "waived"
                            } else {
                                "no longer waived"
                            }
                        ));
                    }
                }
            } else {
                out.push(format!("{t}: unresolved dependencies changed"));
            }
        }
    }
    if old.sources != new.sources && out.is_empty() {
        out.push("sources: repository snapshots changed".to_string());
    }
    out
}

/// `p` with `enforce` set to `e`.
fn with_enforce(p: &crate::lockfile::LockedPackage, e: bool) -> crate::lockfile::LockedPackage {
    let mut p = p.clone();
    p.enforce = e;
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn unresolved(kind: &str, by: &str) -> crate::lockfile::Unresolved {
        crate::lockfile::Unresolved {
            relation: String::new(),
            kind: kind.into(),
            required_by: vec![by.into()],
            waived: false,
        }
    }

    fn manifest(waive: &str) -> Manifest {
        Manifest::parse(
            &format!("sources: [\"deb [arch=amd64] http://x.example/debian buster stable\"]\nwaive: [{waive}]\n"),
            Path::new("pinlock.yml"),
        )
        .unwrap()
    }

    #[test]
    fn waivers_apply_to_recommends_only_and_the_rest_is_reported() {
        let m = manifest("apparmor, iptables, pigz, nosuch");
        let mut lock = Lockfile::new();
        for (t, pigz) in [("buster/amd64", true), ("buster/arm64", false)] {
            let mut lt = LockedTarget::default();
            lt.unresolved
                .insert("apparmor".into(), unresolved("recommends", "docker-ce"));
            lt.unresolved
                .insert("iptables".into(), unresolved("depends", "docker-ce"));
            lt.unresolved
                .insert("git".into(), unresolved("recommends", "docker-ce"));
            if pigz {
                lt.unresolved
                    .insert("pigz".into(), unresolved("recommends", "docker-ce"));
            }
            waive(&mut lt, &m);
            lock.targets.insert(t.into(), lt);
        }
        let t = &lock.targets["buster/amd64"];
        assert!(t.unresolved["apparmor"].waived);
        assert!(t.unresolved["pigz"].waived);
        assert!(!t.unresolved["git"].waived, "not in waive:");
        assert!(!t.unresolved["iptables"].waived, "a Depends stays required");
        let w = waiver_warnings(&m, &lock);
        assert_eq!(
            w,
            [
                WaiverWarning::Required {
                    package: "iptables".into(),
                    kind: "depends".into(),
                    required_by: vec!["docker-ce".into()],
                    targets: vec!["buster/amd64".into(), "buster/arm64".into()],
                },
                WaiverWarning::Unused {
                    package: "nosuch".into()
                },
            ]
        );
        insta::assert_snapshot!(
            "waiver_warnings",
            w.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
        // waiving changes the lock, and `--locked` names the difference
        let before = {
            let mut l = lock.clone();
            for t in l.targets.values_mut() {
                waive(t, &manifest(""));
            }
            l
        };
        assert_ne!(before.render(), lock.render());
        assert_eq!(
            diff(Some(&before), &lock),
            [
                "buster/amd64: apparmor (recommends) waived",
                "buster/amd64: pigz (recommends) waived",
                "buster/arm64: apparmor (recommends) waived",
            ]
        );
    }

    #[test]
    fn enforced_suites_follow_the_manifest_sources() {
        let m = Manifest::parse(
            "sources:\n  - \"deb [arch=amd64] http://x.example/debian buster stable\"\n  - url: http://y.example/debian\n    suites: [buster, buster-security]\n    components: main\n    enforce: false\n",
            Path::new("pinlock.yml"),
        )
        .unwrap();
        let suites: Vec<SuiteSnapshot> = Vec::new();
        assert!(enforced_suites(&m, &suites).is_empty());
        let mut lock = Lockfile::new();
        let mut lt = LockedTarget::default();
        lt.packages.insert(
            "libc6".into(),
            crate::lockfile::LockedPackage {
                version: "2.28-10".into(),
                architecture: "amd64".into(),
                source: "glibc".into(),
                filename: "pool/l/libc6.deb".into(),
                size: 1,
                sha256: "ab".into(),
                requested: None,
                required_by: vec![],
                enforce: true,
            },
        );
        lock.targets.insert("buster/amd64".into(), lt);
        let mut after = lock.clone();
        after
            .targets
            .get_mut("buster/amd64")
            .unwrap()
            .packages
            .get_mut("libc6")
            .unwrap()
            .enforce = false;
        assert!(after.render().contains("enforce: false"));
        assert!(!lock.render().contains("enforce"));
        assert_eq!(
            diff(Some(&lock), &after),
            ["buster/amd64: libc6 2.28-10 enforce: true → false"]
        );
    }
}
