//! From a manifest and the repositories it names to a lockfile: targets, resolution per
//! target, and the safety checks against the previous lock (rollback, rebuilt versions).

use std::collections::BTreeMap;

use crate::constraint::{Constraint, ConstraintError};
use crate::lockfile::{LockedSource, Lockfile};
use crate::manifest::{release_of_suite, Manifest};
use crate::release::parse_rfc2822;
use crate::repository::{ReleaseSnapshot, SuiteSnapshot};
use crate::resolve::{resolve, Request, ResolveError, Universe};

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
pub fn suite_priority(s: &SuiteSnapshot) -> i32 {
    match (s.release.not_automatic, s.release.but_automatic_upgrades) {
        (true, true) => 100,
        (true, false) => 1,
        _ => 500,
    }
}

/// The target names (`release/arch`) each suite feeds, in manifest order.
pub fn targets(manifest: &Manifest, suites: &[SuiteSnapshot]) -> BTreeMap<String, Vec<usize>> {
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

/// The packages one target (`release/arch`) sees: the indexes of `suite_ids` (from
/// [`targets`]) for `arch` and `all`, at each suite's apt priority, sorted.
pub fn target_universe<'a>(
    suites: &'a [SuiteSnapshot],
    suite_ids: &[usize],
    arch: &str,
) -> Universe<'a> {
    let mut universe = Universe::default();
    for &i in suite_ids {
        let s = &suites[i];
        let prio = suite_priority(s);
        for idx in s
            .indexes
            .iter()
            .filter(|x| x.architecture == arch || x.architecture == "all")
        {
            universe.add_index(idx.packages.iter(), prio);
        }
    }
    universe.finish();
    universe
}

/// The key under which a lock result is remembered in the cache
/// ([`Cache::load_lock_memo`](crate::cache::Cache::load_lock_memo)): a SHA256 over everything
/// [`lock`] depends on. `build` identifies the pinlock binary (a different build may resolve
/// differently), `manifest_bytes` and `manifest_dir` the manifest (relative paths in it are
/// relative to its directory), `previous` the previous lockfile (its canonical rendering, or
/// `None`), `releases` the verified InRelease of every suite (the indexes are pinned by the
/// SHA256 sums in those signed files), `opts` the waived checks.
///
/// Returns 64 lowercase hex digits. Identical inputs give the identical key.
pub fn memo_key(
    build: &str,
    manifest_bytes: &[u8],
    manifest_dir: &std::path::Path,
    previous: Option<&Lockfile>,
    releases: &[ReleaseSnapshot],
    opts: LockOptions,
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut field = |b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    field(b"pinlock lock memo 1");
    field(build.as_bytes());
    field(manifest_bytes);
    field(manifest_dir.as_os_str().as_encoded_bytes());
    match previous {
        Some(p) => field(p.render().as_bytes()),
        None => field(b"\0no previous lockfile"),
    }
    for r in releases {
        for f in [&r.uri, &r.suite, &r.release_sha256, &r.signer] {
            field(f.as_bytes());
        }
    }
    field(&[u8::from(opts.allow_rollback), u8::from(opts.allow_rebuilt)]);
    h.finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

/// The manifest's package constraints, parsed; the first invalid one is an error naming its
/// package.
pub fn constraints(manifest: &Manifest) -> Result<BTreeMap<String, Constraint>, LockError> {
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
pub fn lock_and_next(
    manifest: &Manifest,
    suites: &[SuiteSnapshot],
    previous: Option<&Lockfile>,
    opts: LockOptions,
    next: bool,
) -> Result<(Lockfile, Option<Lockfile>), LockError> {
    let constraints = constraints(manifest)?;
    let targets = targets(manifest, suites);
    let mut universes = Vec::with_capacity(targets.len());
    for (target, suite_ids) in targets {
        let arch = target.rsplit('/').next().unwrap_or_default().to_string();
        let universe = target_universe(suites, &suite_ids, &arch);
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
                                served: date,
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
                (Some(o), Some(n)) if o != n => {
                    out.push(format!("{t}: {p} {} (metadata changed)", n.version))
                }
                _ => {}
            }
        }
        let (ou, nu) = (o.map(|x| &x.unresolved), n.map(|x| &x.unresolved));
        if ou != nu {
            out.push(format!("{t}: unresolved dependencies changed"));
        }
    }
    if old.sources != new.sources && out.is_empty() {
        out.push("sources: repository snapshots changed".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::Cache;
    use std::path::Path;

    fn rel(sha: &str) -> Vec<ReleaseSnapshot> {
        vec![ReleaseSnapshot {
            uri: "http://127.0.0.1:1".into(),
            suite: "bookworm".into(),
            release_sha256: sha.into(),
            signer: "ABCD".into(),
        }]
    }

    #[test]
    fn memo_key_covers_every_input() {
        let dir = Path::new("/p");
        let prev = Lockfile::new();
        let opts = LockOptions::default();
        let k = memo_key("b1", b"m", dir, Some(&prev), &rel("aa"), opts);
        assert_eq!(k.len(), 64);
        assert_eq!(k, memo_key("b1", b"m", dir, Some(&prev), &rel("aa"), opts));
        let others = [
            memo_key("b2", b"m", dir, Some(&prev), &rel("aa"), opts),
            memo_key("b1", b"m2", dir, Some(&prev), &rel("aa"), opts),
            memo_key("b1", b"m", Path::new("/q"), Some(&prev), &rel("aa"), opts),
            memo_key("b1", b"m", dir, None, &rel("aa"), opts),
            memo_key("b1", b"m", dir, Some(&prev), &rel("ab"), opts),
            memo_key("b1", b"m", dir, Some(&prev), &[], opts),
            memo_key(
                "b1",
                b"m",
                dir,
                Some(&prev),
                &rel("aa"),
                LockOptions {
                    allow_rollback: true,
                    allow_rebuilt: false,
                },
            ),
            memo_key(
                "b1",
                b"m",
                dir,
                Some(&prev),
                &rel("aa"),
                LockOptions {
                    allow_rollback: false,
                    allow_rebuilt: true,
                },
            ),
        ];
        for (i, o) in others.iter().enumerate() {
            assert_ne!(&k, o, "input {i} is not part of the key");
        }
    }

    #[test]
    fn memo_round_trips_through_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let key = memo_key(
            "b",
            b"m",
            dir.path(),
            None,
            &rel("aa"),
            LockOptions::default(),
        );
        assert_eq!(cache.load_lock_memo(&key), None);
        cache.store_lock_memo(&key, "version: 1\n").unwrap();
        assert_eq!(cache.load_lock_memo(&key).as_deref(), Some("version: 1\n"));
        // keys that are not a SHA256 are neither stored nor read (no path tricks)
        cache.store_lock_memo("../x", "y").unwrap();
        assert_eq!(cache.load_lock_memo("../x"), None);
        assert!(!dir.path().join("x").exists());
    }
}
