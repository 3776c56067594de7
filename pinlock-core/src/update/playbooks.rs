//! Integration point: re-pinning the manifest's `playbooks:` to a new lockfile.
//!
//! `pinlock pin` (module `crate::ansible`) is being built separately. When it lands, [`repin`]
//! must call its engine and return the rewritten files; `pinlock update` already writes them and
//! includes them in `--commit`, so nothing else changes.

use std::path::{Path, PathBuf};

use crate::lockfile::Lockfile;

/// A file the update rewrites: its path (relative to the manifest directory's repository
/// root is decided by the caller) and new content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewrittenFile {
    /// Path as given by the manifest (relative to `manifest_dir`).
    pub path: PathBuf,
    /// New content.
    pub content: Vec<u8>,
}

/// Re-pins the playbooks under `playbooks` (relative to `manifest_dir`) to `lock`.
/// Returns the files whose content changes.
///
/// INTEGRATION POINT: currently returns no files, because the playbook rewriter is not merged
/// yet; replace the body with a call to the `pinlock pin` engine.
pub fn repin(
    lock: &Lockfile,
    manifest_dir: &Path,
    playbooks: &[PathBuf],
) -> std::io::Result<Vec<RewrittenFile>> {
    let _ = (lock, manifest_dir, playbooks);
    Ok(Vec::new())
}
