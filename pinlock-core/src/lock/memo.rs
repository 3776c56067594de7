//! The warm path of locking: a memo in the cache.
//!
//! Locking is deterministic in its inputs: the code that resolves, the manifest, the previous
//! lockfile, the verified InRelease of every suite (the indexes are pinned by the SHA256 sums
//! in those signed files) and the [`LockOptions`]. [`lock_with_memo`] hashes these into a key
//! ([`memo_key`]) and remembers the resulting lockfile text in the cache
//! (the [`Cache`](crate::cache::Cache)'s lock memos). When the same inputs
//! come again, the result is taken from the cache after one (conditional) InRelease request per
//! suite, without reading or parsing any index.
//!
//! After a full run it remembers two results: the one it returns, under the key of this run,
//! and the one the *next* run computes (the same inputs with the new lockfile as the previous
//! one, from the same resolution), so that locking again right after a change is a cache hit too.
//!
//! The memo is used only when all of these hold: [`ReadOptions::cache`] is set, the caller
//! gave the manifest's bytes ([`LockInputs::manifest_bytes`]) and a build identity
//! ([`LockInputs::build_id`]), and there is a previous lockfile (the first lock of a project
//! always reads the indexes). It is written only when not [`ReadOptions::offline`]. Failing to
//! write it is ignored: it is only a cache.

use std::path::Path;

use crate::lockfile::Lockfile;
use crate::manifest::Manifest;
use crate::repository::{
    read_releases_blocking, read_sources_blocking, ReadOptions, ReleaseSnapshot, RepoError,
    SuiteSnapshot,
};

use super::{lock_and_next, LockError, LockOptions};

/// The build identity [`LockInputs::new`] uses: `pinlock-core <crate version>`.
///
/// It changes with each release of this crate, so memos of one version are never taken by
/// another. A caller that may run different code under the same version (a development build,
/// a patched copy) should pass an identity of its own that changes with the code, as the
/// `pinlock` command does (its version plus its executable's size and modification time).
pub const DEFAULT_BUILD_ID: &str = concat!("pinlock-core ", env!("CARGO_PKG_VERSION"));

/// What [`lock_with_memo`] locks: the inputs of [`lock`](super::lock) plus what keys the memo.
///
/// Start from [`LockInputs::new`] and set the other fields:
///
/// ```no_run
/// # use pinlock_core::lock::{lock_with_memo, LockInputs};
/// # use pinlock_core::{Lockfile, Manifest, ReadOptions};
/// # fn f(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
/// let bytes = std::fs::read(path)?;
/// let manifest = Manifest::load(path)?;
/// let lockfile = manifest.dir.join("pinlock.lock");
/// let previous = Lockfile::load(&lockfile)?;
/// let inputs = LockInputs {
///     previous: previous.as_ref(),
///     ..LockInputs::new(&manifest, &bytes)
/// };
/// let opts = ReadOptions { base_dir: manifest.dir.clone(), ..ReadOptions::default() };
/// lock_with_memo(&inputs, &opts)?.write(&lockfile)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LockInputs<'a> {
    /// The manifest.
    pub manifest: &'a Manifest,
    /// The bytes `manifest` was parsed from (e.g. `std::fs::read(&manifest.path)`). The memo is
    /// keyed on them, together with `manifest.dir` (relative paths in the manifest are relative
    /// to it). `None` disables the memo.
    pub manifest_bytes: Option<&'a [u8]>,
    /// The previous lockfile, whose pins are kept where they still fit.
    pub previous: Option<&'a Lockfile>,
    /// The waived checks.
    pub options: LockOptions,
    /// Identifies the code that resolves (see [`DEFAULT_BUILD_ID`]): a memo stored under one
    /// identity is never taken under another. `None` disables the memo.
    pub build_id: Option<&'a str>,
}

impl<'a> LockInputs<'a> {
    /// `manifest`, parsed from `manifest_bytes`, with no previous lockfile, the default
    /// options and [`DEFAULT_BUILD_ID`].
    pub fn new(manifest: &'a Manifest, manifest_bytes: &'a [u8]) -> LockInputs<'a> {
        LockInputs {
            manifest,
            manifest_bytes: Some(manifest_bytes),
            previous: None,
            options: LockOptions::default(),
            build_id: Some(DEFAULT_BUILD_ID),
        }
    }
}

/// [`lock_with_memo`] failed.
#[derive(Debug, thiserror::Error)]
pub enum LockRunError {
    /// A repository could not be read or was refused.
    #[error("cannot read the repositories")]
    Read(#[source] RepoError),
    /// Locking failed.
    #[error(transparent)]
    Lock(#[from] LockError),
}

/// Reads the repositories `inputs.manifest` names and locks it, as
/// [`read_sources_blocking`] then [`lock`](super::lock) do, taking the result from the memo in
/// [`ReadOptions::cache`] when these exact inputs were locked before, and remembering it after
/// a full run (see the [module docs](self) for when the memo applies).
///
/// The result is the one a full run computes; only the work differs: a memo hit verifies each
/// suite's InRelease (a conditional request when it is cached, with the same checks, errors
/// and warnings as a full run) and reads no index.
pub fn lock_with_memo(
    inputs: &LockInputs<'_>,
    read: &ReadOptions,
) -> Result<Lockfile, LockRunError> {
    let LockInputs {
        manifest,
        previous,
        options,
        ..
    } = *inputs;
    let memo = match (&read.cache, inputs.manifest_bytes, inputs.build_id) {
        (Some(cache), Some(manifest_bytes), Some(build)) => Some(Memo {
            cache,
            build,
            manifest_bytes,
            manifest_dir: &manifest.dir,
            options,
        }),
        _ => None,
    };
    let specs = manifest.specs();
    if let (Some(memo), Some(_)) = (&memo, previous) {
        let releases = read_releases_blocking(&specs, read).map_err(LockRunError::Read)?;
        if let Some(l) = memo.load(previous, &releases, &manifest.path) {
            return Ok(l);
        }
    }
    let suites = read_sources_blocking(&specs, read).map_err(LockRunError::Read)?;
    let memo = memo.filter(|_| !read.offline);
    let (new, next) = lock_and_next(manifest, &suites, previous, options, memo.is_some())?;
    if let Some(memo) = memo {
        memo.store(previous, &suites, &new, next.as_ref());
    }
    Ok(new)
}

/// The memo's inputs that do not change between the two results a full run remembers.
struct Memo<'a> {
    cache: &'a crate::cache::Cache,
    build: &'a str,
    manifest_bytes: &'a [u8],
    manifest_dir: &'a Path,
    options: LockOptions,
}

impl Memo<'_> {
    fn key(&self, previous: Option<&Lockfile>, releases: &[ReleaseSnapshot]) -> String {
        memo_key(
            self.build,
            self.manifest_bytes,
            self.manifest_dir,
            previous,
            releases,
            self.options,
        )
    }

    /// The remembered result for `previous` and `releases`; `None` when there is none or it
    /// does not parse (`path` names it in the discarded error).
    fn load(
        &self,
        previous: Option<&Lockfile>,
        releases: &[ReleaseSnapshot],
        path: &Path,
    ) -> Option<Lockfile> {
        let text = self.cache.load_lock_memo(&self.key(previous, releases))?;
        Lockfile::parse(&text, path).ok()
    }

    /// Remembers `new`, the result for `previous` (when there is one: a project's first lock
    /// is never looked up), and `next`, the result for `new` as the previous lockfile.
    fn store(
        &self,
        previous: Option<&Lockfile>,
        suites: &[SuiteSnapshot],
        new: &Lockfile,
        next: Option<&Lockfile>,
    ) {
        let releases: Vec<ReleaseSnapshot> = suites.iter().map(ReleaseSnapshot::from).collect();
        if previous.is_some() {
            let _ = self
                .cache
                .store_lock_memo(&self.key(previous, &releases), &new.render());
        }
        if let Some(next) = next {
            let _ = self
                .cache
                .store_lock_memo(&self.key(Some(new), &releases), &next.render());
        }
    }
}

/// The key under which a lock result is remembered in the cache
/// (the [`Cache`](crate::cache::Cache)'s lock memos): a SHA256 over everything
/// [`lock`](super::lock) depends on. `build` identifies the code that resolves (a different
/// build may resolve differently; see [`DEFAULT_BUILD_ID`]), `manifest_bytes` and
/// `manifest_dir` the manifest (relative paths in it are relative to its directory), `previous`
/// the previous lockfile (its canonical rendering, or `None`), `releases` the verified
/// InRelease of every suite (the indexes are pinned by the SHA256 sums in those signed files),
/// `opts` the waived checks.
///
/// Returns 64 lowercase hex digits. Identical inputs give the identical key.
pub fn memo_key(
    build: &str,
    manifest_bytes: &[u8],
    manifest_dir: &Path,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::Cache;

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

    #[test]
    fn default_build_id_names_the_crate_version() {
        assert_eq!(
            DEFAULT_BUILD_ID,
            format!("pinlock-core {}", env!("CARGO_PKG_VERSION"))
        );
    }
}
