//! Re-pinning the manifest's `playbooks:` to a new lockfile, with the `pinlock pin` engine
//! ([`crate::ansible`]), so an update is one consistent change of lockfile and playbooks.

use std::path::PathBuf;

use crate::ansible::project::{pin_project, ProjectLayout};
use crate::ansible::{PinError, PinWarning};
use crate::lockfile::Lockfile;
use crate::manifest::Manifest;

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

/// Re-pins the manifest's `playbooks:` (files and directories relative to its directory) to
/// `lock`, as `pinlock pin` does with its defaults ([`crate::ansible::project::pin_project`]):
/// the per-host versions file `group_vars/all/pinlock.yml` (several targets) and the host
/// enforcement files under `pinlock/` next to the manifest are part of the result, and the
/// manifest's `exclude:` globs are skipped as `pin` skips them. Nothing is written. Returns no
/// files when `playbooks:` is empty. The manifest's `project:` names the apt preferences file
/// on the hosts.
pub fn repin(lock: &Lockfile, manifest: &Manifest) -> Result<Repinned, PinError> {
    if manifest.playbooks.is_empty() {
        return Ok(Repinned::default());
    }
    let dir = &manifest.dir;
    let paths: Vec<PathBuf> = manifest.playbooks.iter().map(|p| dir.join(p)).collect();
    let mut layout = ProjectLayout::beside_manifest(dir, &manifest.project);
    layout.exclude.globs = manifest.exclude.clone();
    let plan = pin_project(&paths, lock, None, &layout)?;
    let mut files: Vec<RewrittenFile> = plan
        .changes
        .into_iter()
        .map(|c| RewrittenFile {
            path: c.path,
            content: c.new_text.into_bytes(),
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Repinned {
        files,
        warnings: plan.report.warnings,
    })
}
