//! `pinlock pin`: rewrite Ansible apt tasks to the lockfile.
//!
//! `--json` prints `{"version": 1, "lockfile", "check", "up_to_date", "files", "edits",
//! "warnings"}` on stdout (docs/json.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use pinlock_core::ansible::{pin_paths, unified_diff, FileChange, PinOptions, Pins};
use pinlock_core::lockfile::Lockfile;
use pinlock_core::manifest::Manifest;

use crate::cli::{Global, PinArgs};
use crate::report::Reporter;

pub fn run(_g: &Global, args: PinArgs, out: &Reporter) -> anyhow::Result<ExitCode> {
    let manifest = if args.project.manifest.exists() {
        Some(Manifest::load(&args.project.manifest)?)
    } else {
        None
    };
    let base = manifest
        .as_ref()
        .map_or_else(|| PathBuf::from("."), |m| m.dir.clone());
    let lock_path = args.project.lockfile_path(&base);
    let lock = Lockfile::load(&lock_path)?.with_context(|| {
        format!(
            "no lockfile at {}\nhint: run `pinlock lock` first",
            lock_path.display()
        )
    })?;
    if let Some(t) = &args.target {
        if !lock.targets.contains_key(t) {
            anyhow::bail!(
                "target {t} is not in {}; it has {}\nhint: pass one of those to --target",
                lock_path.display(),
                lock.targets.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let paths: Vec<PathBuf> = if !args.paths.is_empty() {
        args.paths.clone()
    } else if let Some(m) = manifest.as_ref().filter(|m| !m.playbooks.is_empty()) {
        m.playbooks.iter().map(|p| m.dir.join(p)).collect()
    } else {
        vec![PathBuf::from(".")]
    };
    let report = pin_paths(
        &paths,
        &Pins::from(&lock),
        &PinOptions {
            target: args.target.clone(),
        },
    )?;
    for w in &report.warnings {
        out.warn(w);
    }
    let mut changes: Vec<FileChange> = report.changes.clone();
    if let Some(vars) = &report.multi_target_vars {
        let path = args
            .vars_file
            .clone()
            .unwrap_or_else(|| base.join("group_vars").join("all").join("pinlock.yml"));
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if &old != vars {
            changes.push(FileChange {
                path,
                old_text: old,
                new_text: vars.clone(),
            });
        }
    }
    if args.diff {
        let mut stdout = std::io::stdout().lock();
        use std::io::Write;
        for c in &changes {
            write!(
                stdout,
                "{}",
                unified_diff(&c.path, &c.old_text, &c.new_text)
            )?;
        }
    }
    for e in &report.edits {
        out.verbose(1, e);
    }
    let json_doc = |written: bool| {
        serde_json::json!({
            "version": 1,
            "lockfile": display(&lock_path),
            "check": args.check,
            "up_to_date": changes.is_empty(),
            "files": changes.iter().map(|c| serde_json::json!({
                "path": display(&c.path),
                "written": written,
            })).collect::<Vec<_>>(),
            "edits": report.edits.iter().map(|e| serde_json::json!({
                "path": display(&e.path),
                "line": e.line,
                "description": e.description,
            })).collect::<Vec<_>>(),
            "warnings": report.warnings.iter().map(|w| serde_json::json!({
                "path": display(&w.path),
                "line": w.line,
                "message": w.message,
            })).collect::<Vec<_>>(),
        })
    };
    if args.json && args.diff {
        anyhow::bail!("--json and --diff both print on stdout\nhint: pass only one of them");
    }
    if args.check {
        if args.json {
            println!("{}", serde_json::to_string_pretty(&json_doc(false))?);
        }
        if changes.is_empty() {
            out.status("Checked", "every apt task is pinned to the lockfile");
            return Ok(ExitCode::SUCCESS);
        }
        let list: Vec<String> = changes.iter().map(|c| display(&c.path)).collect();
        out.error(&anyhow::anyhow!(
            "{} file(s) are not pinned to {}:\n{}\nhint: run `pinlock pin` and commit the result",
            changes.len(),
            lock_path.display(),
            list.join("\n")
        ));
        return Ok(ExitCode::from(1));
    }
    for c in &changes {
        pinlock_core::fsutil::write_atomic(&c.path, c.new_text.as_bytes())
            .with_context(|| format!("cannot write {}", c.path.display()))?;
        out.status("Pinned", display(&c.path));
    }
    if changes.is_empty() {
        out.status("Checked", "every apt task is already pinned");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json_doc(true))?);
    }
    Ok(ExitCode::SUCCESS)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
