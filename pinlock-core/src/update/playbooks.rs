//! Re-pinning the manifest's `playbooks:` to a new lockfile, with the `pinlock pin` engine
//! ([`crate::ansible`]), so an update is one consistent change of lockfile and playbooks.

use std::path::{Path, PathBuf};

use crate::ansible::{pin_paths, PinError, PinOptions, PinWarning, Pins};
use crate::lockfile::Lockfile;

/// A file the update rewrites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewrittenFile {
    /// The file (the manifest directory joined with the playbook path).
    pub path: PathBuf,
    /// New content.
    pub content: Vec<u8>,
}

/// The result of [`repin`].
#[derive(Debug, Clone, Default)]
pub struct Repinned {
    /// Files whose content changes, sorted by path.
    pub files: Vec<RewrittenFile>,
    /// What the rewriter left alone and why.
    pub warnings: Vec<PinWarning>,
}

/// Re-pins the files and directories `playbooks` (relative to `manifest_dir`) to `lock`, as
/// `pinlock pin` does with its defaults: with several targets the per-host versions file
/// `group_vars/all/pinlock.yml` next to the manifest is part of the result. Nothing is written.
/// Returns no files when `playbooks` is empty.
pub fn repin(
    lock: &Lockfile,
    manifest_dir: &Path,
    playbooks: &[PathBuf],
) -> Result<Repinned, PinError> {
    if playbooks.is_empty() {
        return Ok(Repinned::default());
    }
    let paths: Vec<PathBuf> = playbooks.iter().map(|p| manifest_dir.join(p)).collect();
    let report = pin_paths(&paths, &Pins::from(lock), &PinOptions::default())?;
    let mut files: Vec<RewrittenFile> = report
        .changes
        .into_iter()
        .map(|c| RewrittenFile {
            path: c.path,
            content: c.new_text.into_bytes(),
        })
        .collect();
    if let Some(vars) = report.multi_target_vars {
        let path = manifest_dir
            .join("group_vars")
            .join("all")
            .join("pinlock.yml");
        if std::fs::read(&path).ok().as_deref() != Some(vars.as_bytes()) {
            files.push(RewrittenFile {
                path,
                content: vars.into_bytes(),
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Repinned {
        files,
        warnings: report.warnings,
    })
}
