//! The on-disk cache (XDG cache dir): verified InRelease files with their HTTP validators, and
//! parsed indexes (compact form) stored by the SHA256 the signed Release lists for their text.
//!
//! Layout under the root (default `$XDG_CACHE_HOME/pinlock`, else `~/.cache/pinlock`):
//! - `releases/<key>/InRelease` (or `Release` + `Release.gpg`) and `validators` (ETag and
//!   Last-Modified lines), `<key>` derived from the repository URL without credentials;
//! - `indexes/<sha256>.v1`: a Packages index whose text has that SHA256, verified and parsed,
//!   in pinlock's compact form (only the fields pinlock uses; see
//!   [`PackageIndex::write_compact`]), so a re-run whose Release lists the same hash reads it
//!   instead of downloading and parsing. It is written only after the index was verified.
//!
//! Everything is written to a temporary file and renamed into place. Like apt's lists
//! directory, the cache is trusted: do not share it with untrusted users. Index files are not
//! fsync'd (they are large and can always be fetched again); a file torn by a crash fails its
//! checksum and is ignored.

use std::path::{Path, PathBuf};

use crate::fetch::Validators;
use crate::fsutil::write_atomic;
use crate::packages::PackageIndex;

/// The cache root.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// The files of a cached, verified release.
#[derive(Debug, Clone, Default)]
pub(crate) struct CachedRelease {
    /// `InRelease` bytes, or `Release` bytes when the repository has no InRelease.
    pub release: Vec<u8>,
    /// `Release.gpg`, when the release came as Release + Release.gpg.
    pub detached_signature: Option<Vec<u8>>,
    /// Validators for a conditional request.
    pub validators: Validators,
}

impl Cache {
    /// A cache at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    /// The default location: `$XDG_CACHE_HOME/pinlock`, else `$HOME/.cache/pinlock`. Returns
    /// `None` when neither variable is set.
    pub fn default_root() -> Option<PathBuf> {
        let xdg = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty());
        if let Some(x) = xdg {
            return Some(PathBuf::from(x).join("pinlock"));
        }
        std::env::var_os("HOME")
            .filter(|v| !v.is_empty())
            .map(|h| PathBuf::from(h).join(".cache").join("pinlock"))
    }

    /// The cache root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn release_dir(&self, display_uri: &str, suite: &str) -> PathBuf {
        let key: String = format!("{}/dists/{suite}", display_uri.trim_end_matches('/'))
            .split_once("://")
            .map_or_else(|| display_uri.to_string(), |(_, r)| r.to_string())
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '~' | '+') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.root.join("releases").join(key)
    }

    /// The cached release of `suite` at `display_uri`, if any.
    pub(crate) fn load_release(&self, display_uri: &str, suite: &str) -> Option<CachedRelease> {
        let dir = self.release_dir(display_uri, suite);
        let release = std::fs::read(dir.join("Release")).ok()?;
        let detached_signature = std::fs::read(dir.join("Release.gpg")).ok();
        let mut validators = Validators::default();
        if let Ok(text) = std::fs::read_to_string(dir.join("validators")) {
            for line in text.lines() {
                if let Some(v) = line.strip_prefix("etag ") {
                    validators.etag = Some(v.to_string());
                } else if let Some(v) = line.strip_prefix("last-modified ") {
                    validators.last_modified = Some(v.to_string());
                }
            }
        }
        Some(CachedRelease {
            release,
            detached_signature,
            validators,
        })
    }

    /// Stores a verified release.
    pub(crate) fn store_release(
        &self,
        display_uri: &str,
        suite: &str,
        rel: &CachedRelease,
    ) -> std::io::Result<()> {
        let dir = self.release_dir(display_uri, suite);
        std::fs::create_dir_all(&dir)?;
        write_atomic(&dir.join("Release"), &rel.release)?;
        match &rel.detached_signature {
            Some(sig) => {
                write_atomic(&dir.join("Release.gpg"), sig)?;
            }
            None => {
                let _ = std::fs::remove_file(dir.join("Release.gpg"));
            }
        }
        let mut v = String::new();
        if let Some(e) = &rel.validators.etag {
            v.push_str(&format!("etag {e}\n"));
        }
        if let Some(m) = &rel.validators.last_modified {
            v.push_str(&format!("last-modified {m}\n"));
        }
        write_atomic(&dir.join("validators"), v.as_bytes())?;
        Ok(())
    }

    fn index_path(&self, sha256: &str) -> Option<PathBuf> {
        (sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit())).then(|| {
            self.root
                .join("indexes")
                .join(format!("{}.v1", sha256.to_ascii_lowercase()))
        })
    }

    /// The parsed index whose text has SHA256 `sha256` and size `size`, if cached. A file that
    /// is damaged, of another format version or of another size counts as absent.
    pub(crate) fn load_index(&self, sha256: &str, size: u64) -> Option<PackageIndex> {
        let file = std::fs::File::open(self.index_path(sha256)?).ok()?;
        let (index, text_size) = PackageIndex::read_compact(file).ok()?;
        (text_size == size).then_some(index)
    }

    /// Stores a verified, parsed index under the SHA256 of its text (`size` bytes). Streams it
    /// to a temporary file that is renamed into place; nothing is written when it is cached
    /// already.
    pub(crate) fn store_index(
        &self,
        sha256: &str,
        size: u64,
        index: &PackageIndex,
    ) -> std::io::Result<()> {
        let Some(path) = self.index_path(sha256) else {
            return Ok(());
        };
        if path.exists() {
            return Ok(());
        }
        let dir = path.parent().expect("index path has a parent");
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".index.")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        index.write_compact(size, tmp.as_file_mut())?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }

    fn memo_path(&self, key: &str) -> Option<PathBuf> {
        (key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| self.root.join("locks").join(key.to_ascii_lowercase()))
    }

    /// The lockfile text remembered under `key` (see [`crate::lock::memo_key`]), if any.
    pub(crate) fn load_lock_memo(&self, key: &str) -> Option<String> {
        std::fs::read_to_string(self.memo_path(key)?).ok()
    }

    /// Remembers the lockfile text that locking produced for the inputs hashed into `key`.
    pub(crate) fn store_lock_memo(&self, key: &str, lockfile_text: &str) -> std::io::Result<()> {
        match self.memo_path(key) {
            Some(path) => write_atomic(&path, lockfile_text.as_bytes()).map(|_| ()),
            None => Ok(()),
        }
    }
}
