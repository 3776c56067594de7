//! Reading a repository the way apt does: InRelease (or Release + Release.gpg), signature
//! verification against the source's `signed-by` keyring, Release checks (strong hashes,
//! Valid-Until, Date), then each Packages index: the best variant the Release lists and the
//! server has, streamed through size and SHA256 checks against the signed Release, a decoder
//! thread and a parser thread (see `download_index`); nothing parsed is used unless both the
//! compressed and the decompressed bytes verify.
//!
//! Suites and indexes are fetched concurrently; decompression and parsing run on blocking
//! threads, overlapping each other. Nothing is printed: progress goes to the optional
//! [`ProgressFn`].
//!
//! Modules: `suite` fetches and verifies a suite's InRelease and checks its Release, `index`
//! downloads, verifies, decompresses and parses one Packages index, `error` holds
//! [`RepoError`]; this module holds the options, snapshots and entry points.

mod error;
mod index;
mod suite;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256, Sha512};

use crate::auth::AuthConf;
use crate::cache::{Cache, CachedRelease};
use crate::compress::Compression;
use crate::deb822::Deb822Error;
use crate::fetch::{BodyChunk, Fetched, Fetcher};
pub use crate::fetch::{FetchError, FetchOptions};
use crate::index_plan::plan_indexes;
pub use crate::index_plan::PlanError;
use crate::packages::{IndexBuilder, PackageIndex, PackageRef};
use crate::release::{format_rfc2822, FileEntry, Release, ReleaseError};
use crate::signature::{self, Keyring, SignatureError, MAX_RELEASE_SIZE};
use crate::source::{SignedBy, SourceSpec};
use crate::version::VersionError;

pub use error::RepoError;
use suite::{read_suite, verify_suite};

/// How far a Release `Date` may lie in the future: apt 2.6's `Acquire::Max-FutureTime`
/// default, [`crate::release::APT_MAX_FUTURE_TIME`] (10 s, measured against real apt), so that
/// pinlock refuses exactly the repositories apt refuses as "not valid yet".
pub(crate) const DATE_SKEW: Duration = crate::release::APT_MAX_FUTURE_TIME;

/// Something that happened while reading, for progress displays and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A download started.
    Fetching {
        /// URL (no credentials).
        url: String,
    },
    /// A download finished.
    Fetched {
        /// URL (no credentials).
        url: String,
        /// Bytes received.
        bytes: u64,
    },
    /// The server said the cached InRelease is current (HTTP 304).
    NotModified {
        /// URL (no credentials).
        url: String,
    },
    /// An index was taken from the cache instead of downloaded.
    FromCache {
        /// URL of the index (no credentials).
        url: String,
    },
    /// An index was parsed.
    Parsed {
        /// URL of the index (no credentials).
        url: String,
        /// Stanzas in it.
        packages: usize,
    },
    /// Something apt would warn about.
    Warning {
        /// The message.
        message: String,
    },
}

/// A progress callback.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How to read repositories.
#[derive(Clone)]
pub struct ReadOptions {
    /// Cache location; `None` disables the cache.
    pub cache: Option<Cache>,
    /// Read only the cache; never touch the network.
    pub offline: bool,
    /// The time to check `Date`, `Valid-Until` and key expiry against.
    pub now: SystemTime,
    /// Network timeouts and retries.
    pub fetch: FetchOptions,
    /// Credentials.
    pub auth: AuthConf,
    /// Directory that relative `signed-by` paths and relative repository paths are relative to.
    pub base_dir: PathBuf,
    /// Progress callback.
    pub progress: Option<ProgressFn>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            cache: Cache::default_root().map(Cache::new),
            offline: false,
            now: SystemTime::now(),
            fetch: FetchOptions::default(),
            auth: AuthConf::default(),
            base_dir: PathBuf::from("."),
            progress: None,
        }
    }
}

impl std::fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("cache", &self.cache)
            .field("offline", &self.offline)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// One Packages index of a suite.
#[derive(Debug, Clone)]
pub struct IndexSnapshot {
    /// Component (`stable`, `main`).
    pub component: String,
    /// Architecture (`amd64`, or `all`).
    pub architecture: String,
    /// URL of the index file (uncompressed name; no credentials).
    pub url: String,
    /// SHA256 of the uncompressed index, from the signed Release.
    pub sha256: String,
    /// The parsed index.
    pub packages: PackageIndex,
}

/// A verified suite: Release metadata and its indexes.
#[derive(Debug, Clone)]
pub struct SuiteSnapshot {
    /// Repository root URL as configured (a local path stays as written, relative to the
    /// manifest), without credentials.
    pub uri: String,
    /// The suite as configured.
    pub suite: String,
    /// The verified Release.
    pub release: Release,
    /// SHA256 of the InRelease (or Release) file.
    pub release_sha256: String,
    /// Fingerprint of the primary key that signed it.
    pub signer: String,
    /// The indexes read, sorted by component and architecture.
    pub indexes: Vec<IndexSnapshot>,
}

fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

/// Lowercase hex SHA256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

struct Ctx {
    fetcher: Fetcher,
    opts: ReadOptions,
}

impl Ctx {
    fn progress(&self, p: Progress) {
        if let Some(f) = &self.opts.progress {
            f(&p);
        }
    }
}

/// Resolves a repository URI from a source: local relative paths are relative to `base`.
fn root_url(uri: &str, base: &Path) -> String {
    let u = uri.trim_end_matches('/');
    if u.contains("://") || Path::new(u).is_absolute() {
        u.to_string()
    } else {
        base.join(u).display().to_string()
    }
}

/// Loads the keyring of a source.
pub(crate) fn load_keyring(spec: &SourceSpec, base: &Path) -> Result<Keyring, RepoError> {
    let uri = spec.display_uri();
    let wrap = |source| RepoError::Keyring {
        uri: uri.clone(),
        source,
    };
    match &spec.signed_by {
        None => Err(RepoError::NoKey { uri: uri.clone() }),
        Some(SignedBy::Inline(text)) => Keyring::from_bytes(text.as_bytes()).map_err(wrap),
        Some(SignedBy::Files(files)) => {
            let mut ring: Option<Keyring> = None;
            for f in files {
                let path = if f.is_absolute() {
                    f.clone()
                } else {
                    base.join(f)
                };
                let k = Keyring::from_file(&path).map_err(wrap)?;
                match &mut ring {
                    Some(r) => r.extend(k),
                    None => ring = Some(k),
                }
            }
            ring.ok_or(RepoError::NoKey { uri: uri.clone() })
        }
    }
}

/// Reads every suite of every source, concurrently. Returns the suites in source order, then
/// suite order. Fails on the first refusal: nothing partial is returned.
pub async fn read_sources(
    specs: &[SourceSpec],
    opts: &ReadOptions,
) -> Result<Vec<SuiteSnapshot>, RepoError> {
    let jobs = per_suite(specs, opts, read_suite)?;
    futures_util::future::try_join_all(jobs).await
}

/// Builds one future per (source, suite) with `job`, all sharing one fetcher (one connection
/// pool). Fails before any network access when a keyring cannot be loaded.
fn per_suite<Fut>(
    specs: &[SourceSpec],
    opts: &ReadOptions,
    job: impl Fn(Arc<Ctx>, SourceSpec, String, Arc<Keyring>) -> Fut,
) -> Result<Vec<Fut>, RepoError> {
    let fetcher = Fetcher::new(opts.fetch.clone(), opts.auth.clone())?;
    let ctx = Arc::new(Ctx {
        fetcher,
        opts: opts.clone(),
    });
    let mut jobs = Vec::new();
    for spec in specs {
        let keyring = Arc::new(load_keyring(spec, &opts.base_dir)?);
        for suite in &spec.suites {
            jobs.push(job(
                ctx.clone(),
                spec.clone(),
                suite.clone(),
                keyring.clone(),
            ));
        }
    }
    Ok(jobs)
}

/// Runs the future `make` returns on a runtime of its own; inside a caller's tokio runtime
/// (where blocking on another runtime would panic) it does so on a separate thread.
fn block_on<F, Fut, T>(make: F) -> T
where
    F: FnOnce() -> Fut + Send,
    Fut: std::future::Future<Output = T>,
    T: Send,
{
    let run = || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("cannot start the async runtime");
        rt.block_on(make())
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| s.spawn(run).join().expect("reader thread panicked"))
    } else {
        run()
    }
}

/// [`read_sources`] for callers without an async runtime. Works inside a tokio runtime too
/// (it then runs on a separate thread).
pub fn read_sources_blocking(
    specs: &[SourceSpec],
    opts: &ReadOptions,
) -> Result<Vec<SuiteSnapshot>, RepoError> {
    block_on(|| read_sources(specs, opts))
}

/// A verified suite without its indexes: what [`read_releases`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseSnapshot {
    /// Repository root URL as configured, without credentials (as in [`SuiteSnapshot::uri`]).
    pub uri: String,
    /// The suite as configured.
    pub suite: String,
    /// SHA256 of the InRelease (or Release) file.
    pub release_sha256: String,
    /// Fingerprint of the primary key that signed it.
    pub signer: String,
}

impl From<&SuiteSnapshot> for ReleaseSnapshot {
    fn from(s: &SuiteSnapshot) -> Self {
        ReleaseSnapshot {
            uri: s.uri.clone(),
            suite: s.suite.clone(),
            release_sha256: s.release_sha256.clone(),
            signer: s.signer.clone(),
        }
    }
}

/// Like [`read_sources`], but stops after each suite's InRelease: fetched (a conditional
/// request when it is cached), signature verified and Release checked exactly as
/// [`read_sources`] does (same errors and warnings), no index read. Returns the suites in the
/// same order as [`read_sources`]. Nothing is written to the cache. When the InRelease is
/// unchanged this costs one 304 round trip per suite, which lets a caller skip reading the
/// indexes altogether (see [`crate::lock::memo_key`]).
pub async fn read_releases(
    specs: &[SourceSpec],
    opts: &ReadOptions,
) -> Result<Vec<ReleaseSnapshot>, RepoError> {
    let jobs = per_suite(specs, opts, |ctx, spec, suite, keyring| async move {
        let v = verify_suite(&ctx, &spec, &suite, &keyring).await?;
        Ok::<_, RepoError>(ReleaseSnapshot {
            uri: spec.display_uri().trim_end_matches('/').to_string(),
            suite,
            release_sha256: v.release_sha256,
            signer: v.signer,
        })
    })?;
    futures_util::future::try_join_all(jobs).await
}

/// [`read_releases`] for callers without an async runtime (see [`read_sources_blocking`]).
pub fn read_releases_blocking(
    specs: &[SourceSpec],
    opts: &ReadOptions,
) -> Result<Vec<ReleaseSnapshot>, RepoError> {
    block_on(|| read_releases(specs, opts))
}
