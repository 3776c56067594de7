//! [`RepoError`]: why a repository could not be read or was refused.

use super::suite::suite_hint;
use super::*;

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
