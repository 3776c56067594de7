//! Everything `pinlock pin` changes in a project, from a lockfile: the rewritten playbooks, the
//! per-host variables file (several targets) and the host enforcement task files. `pinlock pin`
//! and `pinlock update` both use it, so an update is the same change a `pin` would make.

use std::path::{Path, PathBuf};

use super::enforce::{enforce_tasks, hold_tasks, ENFORCE_FILE, HOLD_FILE};
use super::{pin_paths, FileChange, PinError, PinOptions, PinReport, Pins};
use crate::lockfile::Lockfile;

/// Where a project's generated files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectLayout {
    /// The per-host variables file written with several targets.
    pub vars_file: PathBuf,
    /// The directory of the host enforcement files.
    pub enforce_dir: PathBuf,
    /// The lockfile's file name, as the generated files name it in messages.
    pub lock_name: String,
    /// The manifest's `project:`: names the apt preferences file on the hosts.
    pub project: String,
    /// The manifest's `exclude:`, relative to its directory: paths the walk skips.
    pub exclude: super::Exclude,
}

impl ProjectLayout {
    /// The defaults next to a manifest in `dir`: `group_vars/all/pinlock.yml`, `pinlock/`,
    /// `pinlock.lock` and the project `project`.
    pub fn beside_manifest(dir: &Path, project: &str) -> ProjectLayout {
        ProjectLayout {
            vars_file: dir.join("group_vars").join("all").join("pinlock.yml"),
            enforce_dir: dir.join("pinlock"),
            lock_name: "pinlock.lock".into(),
            project: project.to_string(),
            exclude: super::Exclude {
                base: dir.to_path_buf(),
                globs: Vec::new(),
            },
        }
    }
}

/// The result of [`pin_project`]: the rewrite report and every file that changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectPin {
    /// The rewrite of the playbooks (its `changes` are the playbooks only).
    pub report: PinReport,
    /// Every file that changes: the playbooks, then the generated files, each once.
    pub changes: Vec<FileChange>,
}

/// Plans `pinlock pin` for `paths` (files or directories) against `lock`; writes nothing.
/// `target` forces literal versions of one target. Generated files are compared with what is on
/// disk, so an up-to-date project has no changes.
pub fn pin_project(
    paths: &[PathBuf],
    lock: &Lockfile,
    target: Option<String>,
    layout: &ProjectLayout,
) -> Result<ProjectPin, PinError> {
    let report = pin_paths(
        paths,
        &Pins::from(lock),
        &PinOptions {
            target,
            enforce_dir: Some(layout.enforce_dir.clone()),
            exclude: layout.exclude.clone(),
        },
    )?;
    let mut changes = report.changes.clone();
    let mut generated = vec![
        (
            layout.enforce_dir.join(ENFORCE_FILE),
            enforce_tasks(lock, &layout.lock_name, &layout.project),
        ),
        (layout.enforce_dir.join(HOLD_FILE), hold_tasks()),
    ];
    if let Some(vars) = &report.multi_target_vars {
        generated.push((layout.vars_file.clone(), vars.clone()));
    }
    for (path, text) in generated {
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if old != text {
            changes.push(FileChange {
                path,
                old_text: old,
                new_text: text,
            });
        }
    }
    Ok(ProjectPin { report, changes })
}

/// Writes every change of `plan` atomically, creating directories as needed.
pub fn apply(plan: &ProjectPin) -> Result<(), PinError> {
    for c in &plan.changes {
        if let Some(dir) = c.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| PinError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        super::write_atomic(&c.path, c.new_text.as_bytes())?;
    }
    Ok(())
}
