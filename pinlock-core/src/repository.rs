//! Reading a repository the way apt does: InRelease (or Release + Release.gpg), signature
//! verification against the source's `signed-by` keyring, Release checks (strong hashes,
//! Valid-Until, Date), then each Packages index: the best variant the Release lists and the
//! server has, size and SHA256 checked against the signed Release, decompressed, parsed.
//!
//! Suites and indexes are fetched concurrently; decompression and parsing run on blocking
//! threads so several indexes use several cores. Nothing is printed: progress goes to the
//! optional [`ProgressFn`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256, Sha512};

use crate::auth::AuthConf;
use crate::cache::{Cache, CachedRelease};
use crate::compress::Compression;
use crate::deb822::Deb822Error;
use crate::fetch::{FetchError, FetchOptions, Fetched, Fetcher};
use crate::packages::PackageIndex;
use crate::release::{format_rfc2822, FileEntry, Release, ReleaseError};
use crate::signature::{self, Keyring, SignatureError};
use crate::source::{SignedBy, SourceSpec};
use crate::version::VersionError;

/// How far a Release `Date` may lie in the future (clock skew between mirror and client).
/// apt itself allows none by default; pinlock allows a few minutes so that a freshly published
/// repository does not fail on a machine whose clock is slightly behind.
pub const DATE_SKEW: Duration = Duration::from_secs(5 * 60);

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
    /// Neither InRelease nor Release.gpg exists.
    #[error("{url}: the repository is not signed (no InRelease, and Release has no Release.gpg)\nhint: pinlock, like apt, only reads signed repositories")]
    Unsigned {
        /// The suite's URL.
        url: String,
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
    /// The Release file has no `Date`.
    #[error("{url}: the Release file has no Date field")]
    NoDate {
        /// URL.
        url: String,
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
pub fn sha256_hex(bytes: &[u8]) -> String {
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
pub fn load_keyring(spec: &SourceSpec, base: &Path) -> Result<Keyring, RepoError> {
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
    /// (component, architecture, uncompressed index entry) of every index to read.
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
    let release_sha256 = sha256_hex(&signed.release);

    let mut archs: Vec<String> = if spec.architectures.is_empty() {
        release
            .architectures
            .iter()
            .filter(|a| *a != "all")
            .cloned()
            .collect()
    } else {
        spec.architectures.clone()
    };
    if release.architectures.iter().any(|a| a == "all") {
        archs.push("all".to_string());
    }
    let mut planned = Vec::new();
    for comp in &spec.components {
        if !release.components.is_empty() && !release.components.contains(comp) {
            ctx.progress(Progress::Warning {
                message: format!(
                    "{shown_dist}: skipping component {comp}: the Release does not list it (it has {})",
                    release.components.join(", ")
                ),
            });
            continue;
        }
        for arch in &archs {
            let base = format!("{comp}/binary-{arch}/Packages");
            let Some(plain) = release.files.get(&base) else {
                if arch != "all" {
                    ctx.progress(Progress::Warning {
                        message: format!(
                            "{shown_dist}: the Release lists no {base}; no packages for {comp}/{arch}"
                        ),
                    });
                }
                continue;
            };
            planned.push((comp.clone(), arch.clone(), plain.clone()));
        }
    }
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
    match ctx.fetcher.get(&inrelease, cond, Some(16 << 20)).await {
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
                (Err(e), _) | (_, Err(e)) => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

async fn fetch_all(ctx: &Ctx, url: &str) -> Result<Vec<u8>, FetchError> {
    match ctx.fetcher.get(url, None, Some(16 << 20)).await? {
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
    if spec.check_valid_until {
        if let Some(vu) = release.valid_until_unix {
            if vu < now {
                return Err(RepoError::Expired {
                    url: url.to_string(),
                    valid_until: format_rfc2822(vu),
                });
            }
        }
    }
    match release.date_unix {
        None => {
            return Err(RepoError::NoDate {
                url: url.to_string(),
            })
        }
        Some(d) if spec.check_date && d > now + DATE_SKEW.as_secs() as i64 => {
            return Err(RepoError::NotYetValid {
                url: url.to_string(),
                date: format_rfc2822(d),
            })
        }
        _ => {}
    }
    Ok(())
}

/// Checks `bytes` against a Release entry: size first, then SHA256 (or SHA512).
fn check_entry(url: &str, entry: &FileEntry, bytes: &[u8]) -> Result<(), RepoError> {
    if bytes.len() as u64 != entry.size {
        return Err(RepoError::IndexSize {
            url: url.to_string(),
            expected: entry.size,
            got: bytes.len() as u64,
        });
    }
    if let Some(want) = &entry.sha256 {
        let got = sha256_hex(bytes);
        if &got != want {
            return Err(RepoError::IndexHash {
                url: url.to_string(),
                algo: "SHA256",
                expected: want.clone(),
                got,
            });
        }
    } else if let Some(want) = &entry.sha512 {
        let got = hex(&Sha512::digest(bytes));
        if &got != want {
            return Err(RepoError::IndexHash {
                url: url.to_string(),
                algo: "SHA512",
                expected: want.clone(),
                got,
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
    let cached = ctx
        .opts
        .cache
        .as_ref()
        .filter(|_| plain.sha256.is_some())
        .and_then(|c| c.load_index(&key, plain.size));
    let text = if let Some(bytes) = cached {
        ctx.progress(Progress::FromCache {
            url: shown_url.clone(),
        });
        bytes
    } else if ctx.opts.offline {
        return Err(RepoError::NotCached { url: shown_url });
    } else {
        let bytes = download_index(&ctx, &release, &dist, &shown_dist, &base, &plain).await?;
        if let Some(cache) = ctx.opts.cache.as_ref().filter(|_| plain.sha256.is_some()) {
            cache
                .store_index(&key, &bytes)
                .map_err(|source| RepoError::CacheWrite {
                    path: cache.root().to_path_buf(),
                    source,
                })?;
        }
        bytes
    };
    let url = shown_url.clone();
    let packages = tokio::task::spawn_blocking(move || parse_index(text, &url))
        .await
        .expect("index parser panicked")?;
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

/// Parses a decompressed index and checks every version.
fn parse_index(text: Vec<u8>, url: &str) -> Result<PackageIndex, RepoError> {
    let text = String::from_utf8(text)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    let index = PackageIndex::parse(text, url)?;
    for p in index.iter() {
        // `compare` runs the same checks as `Version::parse` without allocating
        if let Err(source) = crate::version::compare(p.version(), p.version()) {
            return Err(RepoError::InvalidVersion {
                url: url.to_string(),
                line: p.line(),
                package: p.name().to_string(),
                source,
            });
        }
    }
    Ok(index)
}

/// Downloads the best listed variant of an index that the server has, verifies it and returns
/// the decompressed bytes (verified against the uncompressed entry too).
async fn download_index(
    ctx: &Ctx,
    release: &Release,
    dist: &str,
    shown_dist: &str,
    base: &str,
    plain: &FileEntry,
) -> Result<Vec<u8>, RepoError> {
    let mut last_err = None;
    for comp in Compression::PREFERENCE {
        let name = format!("{base}{}", comp.extension());
        let Some(entry) = release.files.get(&name) else {
            continue;
        };
        if !entry.has_strong_hash() {
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
        let mut got = None;
        for url in &urls {
            ctx.progress(Progress::Fetching { url: shown.clone() });
            match ctx.fetcher.get(url, None, Some(entry.size)).await {
                Ok(Fetched::Body { bytes, .. }) => {
                    ctx.progress(Progress::Fetched {
                        url: shown.clone(),
                        bytes: bytes.len() as u64,
                    });
                    got = Some(bytes);
                    break;
                }
                Ok(Fetched::NotModified) => unreachable!("unconditional request answered 304"),
                // like apt: a missing variant, or one the server keeps failing on, is skipped
                // for the next compression (a variant that fails verification is not)
                Err(e)
                    if e.is_not_found()
                        || matches!(e, FetchError::Status { status, .. } if status >= 500) =>
                {
                    last_err = Some(e)
                }
                Err(e) => return Err(e.into()),
            }
        }
        let Some(bytes) = got else { continue };
        check_entry(&shown, entry, &bytes)?;
        let size_hint = Some(plain.size);
        let out = tokio::task::spawn_blocking(move || comp.decompress(&bytes, size_hint))
            .await
            .expect("decompressor panicked")
            .map_err(|source| RepoError::Decompress {
                url: shown.clone(),
                source,
            })?;
        check_entry(&format!("{shown_dist}/{base}"), plain, &out)?;
        return Ok(out);
    }
    Err(match last_err {
        Some(e) => e.into(),
        None => RepoError::Fetch(FetchError::NotFound {
            url: format!("{shown_dist}/{base}"),
        }),
    })
}
