//! One suite: its InRelease fetched (or revalidated from the cache), the signature verified
//! against the source's keyring, the Release checked; then its planned indexes read.

use super::index::read_index;
use super::*;

/// A suite's InRelease fetched (or taken from the cache after a 304), its signature verified
/// and its Release checked; the first half of reading a suite.
pub(super) struct VerifiedSuite {
    pub(super) signed: CachedRelease,
    pub(super) release: Release,
    pub(super) release_sha256: String,
    pub(super) signer: String,
    pub(super) shown_root: String,
    pub(super) dist: String,
    pub(super) shown_dist: String,
    /// (component, architecture, uncompressed index entry) of every index to read, as
    /// [`plan_indexes`] decided.
    pub(super) planned: Vec<(String, String, FileEntry)>,
}

pub(super) async fn verify_suite(
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

pub(super) async fn read_suite(
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
pub(super) fn suite_hint(suite: &str) -> String {
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
