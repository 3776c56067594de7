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

/// A repository could not be read or was refused. Every variant names the URL or file.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The source has no `signed-by`.
    #[error("{uri}: no signed-by key for this source\nhint: add `signed-by=PATH` with the repository's public key (e.g. `deb [signed-by=keys/docker.asc] {uri} ...`)")]
    NoKey {
        /// Repository URL.
        uri: String,
    },
    /// The keyring could not be loaded.
    #[error("{uri}: {source}")]
    Keyring {
        /// Repository URL.
        uri: String,
        /// Why.
        #[source]
        source: SignatureError,
    },
    /// A download failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// Neither InRelease nor Release exists: the suite is not in the repository (misspelt, or
    /// removed from the mirror).
    #[error(
        "{url}: no InRelease or Release: suite `{suite}` is not in this repository\nhint: {}",
        suite_hint(suite)
    )]
    SuiteNotFound {
        /// The suite's URL.
        url: String,
        /// The suite as configured.
        suite: String,
    },
    /// Neither InRelease nor Release.gpg exists.
    #[error("{url}: the repository is not signed (no InRelease, and Release has no Release.gpg)\nhint: pinlock, like apt, only reads signed repositories")]
    Unsigned {
        /// The suite's URL.
        url: String,
    },
    /// The InRelease, Release or Release.gpg is larger than apt accepts; pinlock stopped
    /// downloading it at that size.
    #[error("{url}: signed Release file is larger than the {max} bytes apt accepts (Acquire::MaxReleaseFileSize)")]
    ReleaseTooLarge {
        /// URL of the file (credentials redacted).
        url: String,
        /// The limit, in bytes.
        max: u64,
    },
    /// The signature did not verify.
    #[error("{url}: {source}")]
    Signature {
        /// URL of the InRelease or Release.gpg.
        url: String,
        /// Why.
        #[source]
        source: SignatureError,
    },
    /// The Release file is malformed.
    #[error("{url}: {source}")]
    Release {
        /// URL.
        url: String,
        /// Why.
        #[source]
        source: ReleaseError,
    },
    /// Only MD5/SHA1 digests.
    #[error("{url}: the Release file has no strong digests (only MD5/SHA1); apt refuses it as weak security information")]
    WeakHashes {
        /// URL.
        url: String,
    },
    /// The Release lists this index only with MD5/SHA1 digests.
    #[error("{url}: the Release lists this index only with MD5/SHA1 digests; apt skips it (\"provides only weak security information\") and pinlock does not read it either\nhint: the repository must list SHA256 or SHA512 digests; ask its maintainer, or remove the component or architecture from the source")]
    WeakIndexHashes {
        /// URL of the index (uncompressed name, credentials redacted).
        url: String,
    },
    /// `Valid-Until` is in the past.
    #[error("{url}: the Release file expired on {valid_until} (Valid-Until)\nhint: the mirror is stale or replayed; use an up-to-date mirror")]
    Expired {
        /// URL.
        url: String,
        /// The Valid-Until value.
        valid_until: String,
    },
    /// `Date` is in the future.
    #[error("{url}: the Release file is not valid yet (Date {date} is in the future)\nhint: check this machine's clock")]
    NotYetValid {
        /// URL.
        url: String,
        /// The Date value.
        date: String,
    },
    /// An index does not have the size the Release lists.
    #[error("{url}: file has unexpected size ({got} bytes, the signed Release says {expected})\nhint: the mirror may be mid-sync; try again later")]
    IndexSize {
        /// URL of the index.
        url: String,
        /// Size from the Release.
        expected: u64,
        /// Size received.
        got: u64,
    },
    /// An index does not have the hash the Release lists.
    #[error("{url}: hash sum mismatch ({algo} {got}, the signed Release says {expected})\nhint: the mirror may be mid-sync; try again later")]
    IndexHash {
        /// URL of the index.
        url: String,
        /// Algorithm.
        algo: &'static str,
        /// Expected digest.
        expected: String,
        /// Received digest.
        got: String,
    },
    /// A compressed index could not be decompressed (truncated or corrupt).
    #[error("{url}: cannot decompress: {source}")]
    Decompress {
        /// URL of the index.
        url: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A Packages index is malformed.
    #[error(transparent)]
    Index(#[from] Deb822Error),
    /// A stanza has an invalid version.
    #[error("{url}:{line}: package {package}: {source}")]
    InvalidVersion {
        /// URL of the index.
        url: String,
        /// Line of the stanza.
        line: usize,
        /// Package name.
        package: String,
        /// Why.
        #[source]
        source: VersionError,
    },
    /// `--offline` and the cache lacks something.
    #[error("{url}: not in the cache, and --offline forbids downloading it\nhint: run once without --offline to fill the cache")]
    NotCached {
        /// URL.
        url: String,
    },
    /// A configured component or architecture yields no index.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Writing the cache failed.
    #[error("cannot write the cache at {path}: {source}")]
    CacheWrite {
        /// Cache root.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
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

/// A suite's InRelease fetched (or taken from the cache after a 304), its signature verified
/// and its Release checked; the first half of reading a suite.
struct VerifiedSuite {
    signed: CachedRelease,
    release: Release,
    release_sha256: String,
    signer: String,
    shown_root: String,
    dist: String,
    shown_dist: String,
    /// (component, architecture, uncompressed index entry) of every index to read, as
    /// [`plan_indexes`] decided.
    planned: Vec<(String, String, FileEntry)>,
}

async fn verify_suite(
    ctx: &Ctx,
    spec: &SourceSpec,
    suite: &str,
    keyring: &Keyring,
) -> Result<VerifiedSuite, RepoError> {
    let root = root_url(&spec.uri, &ctx.opts.base_dir);
    let shown_root = crate::source::redact_uri(&root);
    let dist = format!("{root}/dists/{suite}");
    let shown_dist = format!("{shown_root}/dists/{suite}");
    let (signed, verified_url) = fetch_release(ctx, &dist, &shown_dist, &shown_root, suite).await?;
    let now = ctx.opts.now;
    let verified = match &signed.detached_signature {
        None => signature::verify_inrelease(keyring, &signed.release, now),
        Some(sig) => signature::verify_detached(keyring, &signed.release, sig, now),
    }
    .map_err(|source| RepoError::Signature {
        url: verified_url.clone(),
        source,
    })?;
    let text = String::from_utf8_lossy(&verified.content);
    let release = Release::parse(&text, &verified_url).map_err(|source| RepoError::Release {
        url: verified_url.clone(),
        source,
    })?;
    check_release(&release, spec, &verified_url, now)?;
    if let Some(message) = release.date_warning(&verified_url) {
        ctx.progress(Progress::Warning { message });
    }
    let release_sha256 = sha256_hex(&signed.release);

    let plan = plan_indexes(&release, &spec.components, &spec.architectures, &shown_dist)?;
    for message in plan.warnings {
        ctx.progress(Progress::Warning { message });
    }
    let planned = plan
        .indexes
        .into_iter()
        .map(|i| (i.component, i.architecture, i.entry))
        .collect();
    Ok(VerifiedSuite {
        signed,
        release,
        release_sha256,
        signer: verified.signer_fingerprint,
        shown_root,
        dist,
        shown_dist,
        planned,
    })
}

async fn read_suite(
    ctx: Arc<Ctx>,
    spec: SourceSpec,
    suite: String,
    keyring: Arc<Keyring>,
) -> Result<SuiteSnapshot, RepoError> {
    let v = verify_suite(&ctx, &spec, &suite, &keyring).await?;
    let mut jobs = Vec::new();
    for (comp, arch, plain) in v.planned {
        jobs.push(read_index(
            ctx.clone(),
            v.release.clone(),
            v.dist.clone(),
            v.shown_dist.clone(),
            comp,
            arch,
            plain,
        ));
    }
    let mut indexes = futures_util::future::try_join_all(jobs).await?;
    indexes.sort_by(|a, b| (&a.component, &a.architecture).cmp(&(&b.component, &b.architecture)));

    if let (Some(cache), false) = (&ctx.opts.cache, ctx.opts.offline) {
        cache
            .store_release(&v.shown_root, &suite, &v.signed)
            .map_err(|source| RepoError::CacheWrite {
                path: cache.root().to_path_buf(),
                source,
            })?;
    }
    Ok(SuiteSnapshot {
        uri: spec.display_uri().trim_end_matches('/').to_string(),
        suite,
        release: v.release,
        release_sha256: v.release_sha256,
        signer: v.signer,
        indexes,
    })
}

/// Fetches InRelease, or Release + Release.gpg when InRelease does not exist. Returns the files
/// and the URL to name in signature errors.
async fn fetch_release(
    ctx: &Ctx,
    dist: &str,
    shown_dist: &str,
    shown_root: &str,
    suite: &str,
) -> Result<(CachedRelease, String), RepoError> {
    let cached = ctx
        .opts
        .cache
        .as_ref()
        .and_then(|c| c.load_release(shown_root, suite));
    let label = |c: &CachedRelease| {
        if c.detached_signature.is_some() {
            format!("{shown_dist}/Release.gpg")
        } else {
            format!("{shown_dist}/InRelease")
        }
    };
    if ctx.opts.offline {
        return match cached {
            Some(c) => {
                let l = label(&c);
                Ok((c, l))
            }
            None => Err(RepoError::NotCached {
                url: format!("{shown_dist}/InRelease"),
            }),
        };
    }
    let inrelease = format!("{dist}/InRelease");
    let shown_in = format!("{shown_dist}/InRelease");
    ctx.progress(Progress::Fetching {
        url: shown_in.clone(),
    });
    let cond = cached
        .as_ref()
        .filter(|c| c.detached_signature.is_none())
        .map(|c| &c.validators);
    match ctx.fetcher.get(&inrelease, cond, Some(RELEASE_LIMIT)).await {
        Ok(Fetched::NotModified) => {
            ctx.progress(Progress::NotModified {
                url: shown_in.clone(),
            });
            let c = cached.expect("conditional request without a cached copy");
            Ok((c, shown_in))
        }
        Ok(Fetched::Body { bytes, validators }) => {
            ctx.progress(Progress::Fetched {
                url: shown_in.clone(),
                bytes: bytes.len() as u64,
            });
            Ok((
                CachedRelease {
                    release: bytes,
                    detached_signature: None,
                    validators,
                },
                shown_in,
            ))
        }
        Err(e) if e.is_not_found() => {
            let rel = fetch_all(ctx, &format!("{dist}/Release")).await;
            let sig = fetch_all(ctx, &format!("{dist}/Release.gpg")).await;
            match (rel, sig) {
                (Ok(release), Ok(sig)) => Ok((
                    CachedRelease {
                        release,
                        detached_signature: Some(sig),
                        validators: Default::default(),
                    },
                    format!("{shown_dist}/Release.gpg"),
                )),
                (Ok(_), Err(e)) if e.is_not_found() => Err(RepoError::Unsigned {
                    url: shown_dist.to_string(),
                }),
                (Err(e), _) if e.is_not_found() => Err(RepoError::SuiteNotFound {
                    url: shown_dist.to_string(),
                    suite: suite.to_string(),
                }),
                (Err(e), _) | (_, Err(e)) => Err(release_fetch_error(e)),
            }
        }
        Err(e) => Err(release_fetch_error(e)),
    }
}

/// Debian and Ubuntu release names and Debian's aliases, for "did you mean" on a suite that a
/// repository does not have (a repository cannot be asked for its list of suites).
const KNOWN_SUITES: &[&str] = &[
    "stable",
    "testing",
    "unstable",
    "oldstable",
    "oldoldstable",
    "experimental",
    "sid",
    "jessie",
    "stretch",
    "buster",
    "bullseye",
    "bookworm",
    "trixie",
    "forky",
    "duke",
    "xenial",
    "bionic",
    "focal",
    "jammy",
    "noble",
    "oracular",
    "plucky",
];

/// The hint of [`RepoError::SuiteNotFound`]: the closest known release name, checked also
/// without a `-updates`/`-security`/`-backports` suffix.
fn suite_hint(suite: &str) -> String {
    let mut release = crate::manifest::release_of_suite(suite);
    let mut tail = suite[release.len()..].to_string();
    // a misspelt suffix (`buster-updatse`): the closest of the four
    if tail.is_empty() {
        if let Some((r, t)) = suite.split_once('-') {
            let near = crate::resolve::suggestions(
                t,
                ["updates", "security", "backports", "proposed"].into_iter(),
            );
            if let Some(n) = near.first() {
                release = r;
                tail = format!("-{n}");
            }
        }
    }
    let near_release = crate::resolve::suggestions(release, KNOWN_SUITES.iter().copied())
        .into_iter()
        .next()
        .filter(|n| format!("{n}{tail}") != suite);
    let near = near_release.or_else(|| {
        (KNOWN_SUITES.contains(&release) && format!("{release}{tail}") != suite)
            .then(|| release.to_string())
    });
    match near {
        Some(n) => format!("did you mean `{n}{tail}`? check the suite in the source line (the repository's dists/ directory names the suites it has)"),
        None => "check the suite in the source line (the repository's dists/ directory names the suites it has)".into(),
    }
}

#[cfg(test)]
mod suite_hint_tests {
    #[test]
    fn suggests_the_release_and_the_suffix() {
        assert!(super::suite_hint("bustre").starts_with("did you mean `buster`?"));
        assert!(
            super::suite_hint("bookwrom-security").starts_with("did you mean `bookworm-security`?")
        );
        assert!(super::suite_hint("buster-updatse").starts_with("did you mean `buster-updates`?"));
        assert!(super::suite_hint("zzzzzz").starts_with("check the suite"));
        // a real name the repository lacks: no suggestion of itself
        assert!(super::suite_hint("buster").starts_with("check the suite"));
    }
}

/// Largest InRelease/Release/Release.gpg body read: apt's limit for signed Release files
/// ([`MAX_RELEASE_SIZE`]). The download stops there (at once when the server announces a larger
/// Content-Length), so a hostile server cannot make pinlock read more.
const RELEASE_LIMIT: u64 = MAX_RELEASE_SIZE as u64;

/// A failed Release fetch as a [`RepoError`]: a body over [`RELEASE_LIMIT`] is refused as apt
/// refuses it (its size limit, not "larger than the Release lists": there is no Release yet).
fn release_fetch_error(e: FetchError) -> RepoError {
    match e {
        FetchError::TooLarge { url, limit } => RepoError::ReleaseTooLarge { url, max: limit },
        e => e.into(),
    }
}

async fn fetch_all(ctx: &Ctx, url: &str) -> Result<Vec<u8>, FetchError> {
    match ctx.fetcher.get(url, None, Some(RELEASE_LIMIT)).await? {
        Fetched::Body { bytes, .. } => Ok(bytes),
        Fetched::NotModified => unreachable!("unconditional request answered 304"),
    }
}

fn check_release(
    release: &Release,
    spec: &SourceSpec,
    url: &str,
    now: SystemTime,
) -> Result<(), RepoError> {
    if !release.has_strong_hashes() {
        return Err(RepoError::WeakHashes {
            url: url.to_string(),
        });
    }
    let now = unix(now);
    // apt (debReleaseIndex::Load) reads Valid-Until only when it checks dates at all
    if spec.check_date && spec.check_valid_until {
        let valid_until =
            release
                .checked_valid_until(url)
                .map_err(|source| RepoError::Release {
                    url: url.to_string(),
                    source,
                })?;
        if let Some(vu) = valid_until {
            if vu < now {
                return Err(RepoError::Expired {
                    url: url.to_string(),
                    valid_until: format_rfc2822(vu),
                });
            }
        }
    }
    // a missing or unreadable Date is a warning in apt (Date = 0), see `Release::date_warning`
    if let Some(d) = release.date_unix {
        if spec.check_date && d > now + DATE_SKEW.as_secs() as i64 {
            return Err(RepoError::NotYetValid {
                url: url.to_string(),
                date: format_rfc2822(d),
            });
        }
    }
    Ok(())
}

async fn read_index(
    ctx: Arc<Ctx>,
    release: Release,
    dist: String,
    shown_dist: String,
    component: String,
    architecture: String,
    plain: FileEntry,
) -> Result<IndexSnapshot, RepoError> {
    let base = format!("{component}/binary-{architecture}/Packages");
    let shown_url = format!("{shown_dist}/{base}");
    let key = plain
        .sha256
        .clone()
        .unwrap_or_else(|| plain.sha512.clone().unwrap_or_default());
    let cache = ctx.opts.cache.clone().filter(|_| plain.sha256.is_some());
    let cached = match &cache {
        Some(c) => {
            let (c, k, size) = (c.clone(), key.clone(), plain.size);
            tokio::task::spawn_blocking(move || c.load_index(&k, size))
                .await
                .expect("cache reader panicked")
        }
        None => None,
    };
    let packages = if let Some(index) = cached {
        ctx.progress(Progress::FromCache {
            url: shown_url.clone(),
        });
        // stored only after these checks passed; run them again so that a cache written by
        // another pinlock never lets an invalid version through
        if let Some(e) = check_versions(index.iter(), &shown_url) {
            return Err(e);
        }
        index
    } else if ctx.opts.offline {
        return Err(RepoError::NotCached { url: shown_url });
    } else {
        let index = download_index(&ctx, &release, &dist, &shown_dist, &base, &plain).await?;
        match cache {
            Some(cache) => {
                let (k, size) = (key.clone(), plain.size);
                let (index, stored) = tokio::task::spawn_blocking(move || {
                    let r = cache.store_index(&k, size, &index);
                    (index, r.map_err(|e| (cache.root().to_path_buf(), e)))
                })
                .await
                .expect("cache writer panicked");
                stored.map_err(|(path, source)| RepoError::CacheWrite { path, source })?;
                index
            }
            None => index,
        }
    };
    ctx.progress(Progress::Parsed {
        url: shown_url.clone(),
        packages: packages.len(),
    });
    Ok(IndexSnapshot {
        component,
        architecture,
        url: shown_url,
        sha256: key,
        packages,
    })
}

/// The first stanza whose version is invalid, as an error.
fn check_versions<'a>(
    mut stanzas: impl Iterator<Item = PackageRef<'a>>,
    url: &str,
) -> Option<RepoError> {
    stanzas.find_map(|p| {
        // `compare` runs the same checks as `Version::parse` without allocating
        let source = crate::version::compare(p.version(), "0").err()?;
        Some(RepoError::InvalidVersion {
            url: url.to_string(),
            line: p.line(),
            package: p.name().to_string(),
            source,
        })
    })
}

/// The strong digests of a stream that a Release entry lists: SHA256 and/or SHA512 (apt checks
/// every one it knows, so a right SHA256 next to a wrong SHA512 is refused).
#[derive(Default)]
struct EntryDigest {
    sha256: Option<Sha256>,
    sha512: Option<Sha512>,
}

/// The finished digests of a stream (lowercase hex), for the algorithms the entry lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Digests {
    sha256: Option<String>,
    sha512: Option<String>,
}

impl EntryDigest {
    fn new(entry: &FileEntry) -> EntryDigest {
        EntryDigest {
            sha256: entry.sha256.as_ref().map(|_| Sha256::new()),
            sha512: entry.sha512.as_ref().map(|_| Sha512::new()),
        }
    }

    fn update(&mut self, b: &[u8]) {
        if let Some(h) = &mut self.sha256 {
            h.update(b);
        }
        if let Some(h) = &mut self.sha512 {
            h.update(b);
        }
    }

    fn finish(self) -> Digests {
        Digests {
            sha256: self.sha256.map(|h| hex(&h.finalize())),
            sha512: self.sha512.map(|h| hex(&h.finalize())),
        }
    }
}

/// Checks the size, then every strong digest (SHA256, then SHA512), of a stream against a
/// Release entry.
fn check_streamed(
    url: &str,
    entry: &FileEntry,
    got: u64,
    digest: Digests,
) -> Result<(), RepoError> {
    if got != entry.size {
        return Err(RepoError::IndexSize {
            url: url.to_string(),
            expected: entry.size,
            got,
        });
    }
    let pairs = [
        ("SHA256", &entry.sha256, digest.sha256),
        ("SHA512", &entry.sha512, digest.sha512),
    ];
    for (algo, want, got) in pairs {
        if let (Some(want), Some(got)) = (want, got) {
            if &got != want {
                return Err(RepoError::IndexHash {
                    url: url.to_string(),
                    algo,
                    expected: want.clone(),
                    got,
                });
            }
        }
    }
    Ok(())
}

/// Decompressed text handed from the decoder thread to the parser thread.
enum Plain {
    /// The download restarted: drop everything.
    Restart,
    /// The next decompressed bytes.
    Data(Vec<u8>),
}

/// What the decoder thread found: size and digest of the compressed bytes, the decoding
/// error if any, and the size of the decompressed text.
struct Decoded {
    size: u64,
    digest: Digests,
    error: Option<std::io::Error>,
    plain_size: u64,
}

/// What the parser thread found: digest of the decompressed text and the index (or the first
/// syntax error, else the first invalid version).
struct Parsed {
    digest: Digests,
    index: Result<PackageIndex, RepoError>,
}

/// Bytes of decompressed text per hand-over between the decoder and the parser thread.
const PLAIN_CHUNK: usize = 64 << 10;

/// The compressed stream as a reader for the decoder, hashing and counting what passes. A
/// new [`BodyChunk::Start`] (a retried download) makes reads fail with `restart` set.
struct BodyReader {
    rx: tokio::sync::mpsc::Receiver<BodyChunk>,
    cur: Vec<u8>,
    pos: usize,
    digest: EntryDigest,
    size: u64,
    started: bool,
    restart: bool,
}

impl BodyReader {
    fn reset(&mut self, entry: &FileEntry) {
        self.cur.clear();
        self.pos = 0;
        self.digest = EntryDigest::new(entry);
        self.size = 0;
        self.restart = false;
    }
}

impl std::io::Read for BodyReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.cur.len() {
            if self.restart {
                return Err(std::io::Error::other("download restarted"));
            }
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(BodyChunk::Start) if !self.started => self.started = true,
                Some(BodyChunk::Start) => self.restart = true,
                Some(BodyChunk::Data(d)) => {
                    self.digest.update(&d);
                    self.size += d.len() as u64;
                    self.cur = d;
                    self.pos = 0;
                }
            }
        }
        let n = out.len().min(self.cur.len() - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The decoder thread: decompresses the body as it arrives and hands the text to the parser
/// thread. It stops decoding at the first error or past the size the Release lists for the
/// text (a decompression bomb), but reads the body to its end to hash all of it.
fn decode_body(
    rx: tokio::sync::mpsc::Receiver<BodyChunk>,
    comp: Compression,
    entry: &FileEntry,
    plain_limit: u64,
    out: std::sync::mpsc::SyncSender<Plain>,
) -> Decoded {
    use std::io::Read;
    let mut body = BodyReader {
        rx,
        cur: Vec::new(),
        pos: 0,
        digest: EntryDigest::new(entry),
        size: 0,
        started: false,
        restart: false,
    };
    'attempt: loop {
        let mut error = None;
        let mut plain_size = 0u64;
        {
            let mut dec = comp.reader(&mut body);
            loop {
                let mut buf = vec![0u8; PLAIN_CHUNK];
                let mut n = 0;
                let r = loop {
                    match dec.read(&mut buf[n..]) {
                        Ok(0) => break Ok(()),
                        Ok(k) => {
                            n += k;
                            if n == buf.len() {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                if n > 0 {
                    plain_size += n as u64;
                    if plain_size > plain_limit {
                        break;
                    }
                    buf.truncate(n);
                    // a parser that is gone failed: its result is not used
                    let _ = out.send(Plain::Data(buf));
                }
                match r {
                    Ok(()) if n == 0 => break,
                    Ok(()) => {}
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
        }
        // hash the rest of the body (after an error, or data after the end of the stream)
        let mut sink = [0u8; 1 << 16];
        loop {
            match body.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        if body.restart {
            body.reset(entry);
            let _ = out.send(Plain::Restart);
            continue 'attempt;
        }
        return Decoded {
            size: body.size,
            digest: std::mem::take(&mut body.digest).finish(),
            error,
            plain_size,
        };
    }
}

/// The parser thread: hashes the decompressed text and parses it stanza by stanza into the
/// compact index, checking versions as stanzas complete. After a syntax error it only hashes.
fn parse_body(rx: std::sync::mpsc::Receiver<Plain>, url: &str, plain: &FileEntry) -> Parsed {
    let mut digest = EntryDigest::new(plain);
    let mut builder = Some(IndexBuilder::new(url, Some(plain.size)));
    let mut syntax: Option<Deb822Error> = None;
    let mut bad_version: Option<RepoError> = None;
    let mut checked = 0;
    let check = |b: &IndexBuilder, checked: &mut usize, bad: &mut Option<RepoError>| {
        let parsed = b.parsed();
        if bad.is_none() {
            *bad = check_versions(parsed.iter_from(*checked), url);
        }
        *checked = parsed.len();
    };
    for msg in rx {
        match msg {
            Plain::Restart => {
                digest = EntryDigest::new(plain);
                builder = Some(IndexBuilder::new(url, Some(plain.size)));
                (syntax, bad_version, checked) = (None, None, 0);
            }
            Plain::Data(d) => {
                digest.update(&d);
                if let Some(b) = builder.as_mut() {
                    match b.push(&d) {
                        Ok(()) => check(b, &mut checked, &mut bad_version),
                        Err(e) => {
                            syntax = Some(e);
                            builder = None;
                        }
                    }
                }
            }
        }
    }
    let index = match (builder, syntax) {
        (_, Some(e)) => Err(e.into()),
        (None, None) => unreachable!("the builder is only dropped on an error"),
        (Some(b), None) => match b.finish() {
            Err(e) => Err(e.into()),
            Ok(index) => {
                match bad_version.or_else(|| check_versions(index.iter_from(checked), url)) {
                    Some(e) => Err(e),
                    None => Ok(index),
                }
            }
        },
    };
    Parsed {
        digest: digest.finish(),
        index,
    }
}

/// Downloads the best listed variant of an index that the server has and returns it parsed.
///
/// The body is streamed: the network task hands it to a decoder thread (size and digest of the
/// compressed bytes, decompression), which hands the text to a parser thread (size and digest
/// of the text, parse into the compact index), so decoding and parsing overlap on two cores
/// and neither the download nor the whole text is ever held. The index is returned only when
/// both sizes and digests match the signed Release; the errors, and which comes first, are
/// those of checking a complete download: compressed size and digest, decompression, text
/// size and digest, syntax, versions.
async fn download_index(
    ctx: &Ctx,
    release: &Release,
    dist: &str,
    shown_dist: &str,
    base: &str,
    plain: &FileEntry,
) -> Result<PackageIndex, RepoError> {
    // apt judges the uncompressed entry (its "meta key"): weak-only there, the index is skipped
    let weak = || RepoError::WeakIndexHashes {
        url: format!("{shown_dist}/{base}"),
    };
    if !plain.has_strong_hash() {
        return Err(weak());
    }
    let mut last_err = None;
    let mut weak_variant = false;
    for comp in Compression::PREFERENCE {
        let name = format!("{base}{}", comp.extension());
        let Some(entry) = release.files.get(&name) else {
            continue;
        };
        if !entry.has_strong_hash() {
            weak_variant = true;
            continue;
        }
        let shown = format!("{shown_dist}/{name}");
        let mut urls = Vec::new();
        if release.acquire_by_hash {
            if let Some(h) = &entry.sha256 {
                let dir = base.rsplit_once('/').map_or("", |(d, _)| d);
                urls.push(format!("{dist}/{dir}/by-hash/SHA256/{h}"));
            }
        }
        urls.push(format!("{dist}/{name}"));
        for url in &urls {
            ctx.progress(Progress::Fetching { url: shown.clone() });
            let (tx, rx) = tokio::sync::mpsc::channel(16);
            let (ptx, prx) = std::sync::mpsc::sync_channel(8);
            let (e, limit) = (entry.clone(), plain.size);
            let decoder =
                tokio::task::spawn_blocking(move || decode_body(rx, comp, &e, limit, ptx));
            let (p, u) = (plain.clone(), format!("{shown_dist}/{base}"));
            let parser = tokio::task::spawn_blocking(move || parse_body(prx, &u, &p));
            let fetched = ctx.fetcher.stream(url, Some(entry.size), &tx).await;
            drop(tx);
            let decoded = decoder.await.expect("decoder panicked");
            let parsed = parser.await.expect("index parser panicked");
            match fetched {
                Ok(true) => {}
                Ok(false) => unreachable!("the decoder reads the body to its end"),
                // like apt: a missing variant, or one the server keeps failing on, is skipped
                // for the next compression (a variant that fails verification is not)
                Err(e)
                    if e.is_not_found()
                        || matches!(e, FetchError::Status { status, .. } if status >= 500) =>
                {
                    last_err = Some(e);
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            ctx.progress(Progress::Fetched {
                url: shown.clone(),
                bytes: decoded.size,
            });
            check_streamed(&shown, entry, decoded.size, decoded.digest)?;
            if let Some(source) = decoded.error {
                return Err(RepoError::Decompress { url: shown, source });
            }
            let plain_url = format!("{shown_dist}/{base}");
            check_streamed(&plain_url, plain, decoded.plain_size, parsed.digest)?;
            return parsed.index;
        }
    }
    Err(match last_err {
        Some(e) => e.into(),
        None if weak_variant => weak(),
        None => RepoError::Fetch(FetchError::NotFound {
            url: format!("{shown_dist}/{base}"),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn entry(data: &[u8]) -> FileEntry {
        FileEntry {
            size: data.len() as u64,
            sha256: Some(sha256_hex(data)),
            sha512: None,
            weak_only_listed: false,
        }
    }

    fn text(n: usize) -> String {
        (0..n)
            .map(|i| format!("Package: p{i}\nVersion: 1.{i}\nArchitecture: all\nDescription: package number {i}\n\n"))
            .collect()
    }

    /// Runs the decoder and parser threads over `messages` as the network task would send
    /// them.
    fn pipeline(
        messages: Vec<BodyChunk>,
        comp: Compression,
        plain: &FileEntry,
        compressed: &FileEntry,
    ) -> (Decoded, Parsed) {
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        let (ptx, prx) = std::sync::mpsc::sync_channel(2);
        std::thread::scope(|s| {
            let limit = plain.size;
            let d = s.spawn(move || decode_body(rx, comp, compressed, limit, ptx));
            let p = s.spawn(move || parse_body(prx, "u/Packages", plain));
            for m in messages {
                tx.blocking_send(m).unwrap();
            }
            drop(tx);
            (d.join().unwrap(), p.join().unwrap())
        })
    }

    fn chunks(data: &[u8], size: usize) -> Vec<BodyChunk> {
        data.chunks(size)
            .map(|c| BodyChunk::Data(c.to_vec()))
            .collect()
    }

    #[test]
    fn streamed_index_matches_parsing_the_whole_text_even_after_a_restart() {
        let t = text(3000);
        let z = gz(t.as_bytes());
        let (plain, comp) = (entry(t.as_bytes()), entry(&z));
        // a first attempt broken off mid-body, then the retry from the start
        let mut msgs = vec![BodyChunk::Start];
        msgs.extend(chunks(&z[..z.len() / 2], 1000));
        msgs.push(BodyChunk::Start);
        msgs.extend(chunks(&z, 777));
        let (d, p) = pipeline(msgs, Compression::Gz, &plain, &comp);
        assert_eq!(
            (d.size, d.digest.sha256.as_ref()),
            (comp.size, comp.sha256.as_ref())
        );
        assert!(d.error.is_none());
        assert_eq!(d.plain_size, plain.size);
        assert_eq!(p.digest.sha256, plain.sha256);
        let got = p.index.unwrap();
        let want = PackageIndex::parse(t.clone(), "x").unwrap();
        assert_eq!(got.len(), 3000);
        for (a, b) in got.iter().zip(want.iter()) {
            assert_eq!(
                (a.name(), a.version(), a.line()),
                (b.name(), b.version(), b.line())
            );
        }
    }

    #[test]
    fn truncated_or_oversized_streams_are_reported_with_what_was_received() {
        let t = text(10_000);
        assert!(t.len() > 2 * PLAIN_CHUNK);
        let z = gz(t.as_bytes());
        let (plain, comp) = (entry(t.as_bytes()), entry(&z));
        let cut = &z[..z.len() - 10];
        let mut msgs = vec![BodyChunk::Start];
        msgs.extend(chunks(cut, 4096));
        let (d, _) = pipeline(msgs, Compression::Gz, &plain, &comp);
        assert_eq!(d.size, cut.len() as u64);
        assert_eq!(d.digest.sha256, Some(sha256_hex(cut)));
        assert!(d.error.is_some(), "truncated gzip decoded without error");
        // the Release says the text is smaller than it is: decoding stops past that size
        let small = FileEntry {
            size: 1000,
            ..plain.clone()
        };
        let mut msgs = vec![BodyChunk::Start];
        msgs.extend(chunks(&z, 4096));
        let (d, _) = pipeline(msgs, Compression::Gz, &small, &comp);
        assert!(
            d.plain_size > 1000 && d.plain_size < plain.size,
            "{}",
            d.plain_size
        );
        assert_eq!(
            d.digest.sha256, comp.sha256,
            "the whole body is still hashed"
        );
    }

    #[test]
    fn syntax_errors_come_before_version_errors_and_name_the_line() {
        let mut t = text(500);
        t.push_str("Package: bad\nVersion: 1:2:a b!\nArchitecture: all\n\n");
        let with_version = t.clone();
        t.push_str(&text(500));
        t.push_str("no colon\n");
        for (t, syntax, want) in [(&with_version, false, 2501), (&t, true, 5005)] {
            let plain = entry(t.as_bytes());
            let mut msgs = vec![BodyChunk::Start];
            msgs.extend(chunks(t.as_bytes(), 3000));
            let (_, p) = pipeline(msgs, Compression::None, &plain, &plain);
            assert_eq!(p.digest.sha256, plain.sha256);
            match p.index.unwrap_err() {
                RepoError::InvalidVersion { line, package, .. } if !syntax => {
                    assert_eq!((line, package.as_str()), (want, "bad"));
                }
                RepoError::Index(e) if syntax => assert_eq!(e.line, want),
                e => panic!("unexpected {e}"),
            }
        }
    }
}
