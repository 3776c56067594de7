//! `pinlock pin`: rewrite Ansible apt tasks to the lockfile and wire every play that installs
//! packages to the host enforcement (`pinlock/enforce.yml`, `pinlock/hold.yml`).
//!
//! `--json` prints `{"version": 1, "lockfile", "check", "up_to_date", "files", "edits",
//! "warnings", "uncovered", "enforced_plays"}` on stdout (docs/json.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use pinlock_core::ansible::enforce::{enforce_tasks, ENFORCE_FILE, HOLD_FILE, HOLD_TASKS};
use pinlock_core::ansible::{pin_paths, unified_diff, FileChange, PinOptions, Pins};
use pinlock_core::lockfile::Lockfile;
use pinlock_core::manifest::Manifest;

use crate::cli::{Global, PinArgs};
use crate::report::Reporter;

pub fn run(_g: &Global, args: PinArgs, out: &Reporter) -> anyhow::Result<ExitCode> {
    if args.json && args.diff {
        anyhow::bail!("--json and --diff both print on stdout\nhint: pass only one of them");
    }
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
    let enforce_dir = args
        .enforce_dir
        .clone()
        .unwrap_or_else(|| base.join("pinlock"));
    let report = pin_paths(
        &paths,
        &Pins::from(&lock),
        &PinOptions {
            target: args.target.clone(),
            enforce_dir: Some(enforce_dir.clone()),
        },
    )?;
    let lock_name = lock_path.file_name().map_or_else(
        || "pinlock.lock".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut changes: Vec<FileChange> = report.changes.clone();
    for (name, text) in [
        (ENFORCE_FILE, enforce_tasks(&lock, &lock_name)),
        (HOLD_FILE, HOLD_TASKS.to_string()),
    ] {
        let path = enforce_dir.join(name);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if old != text {
            changes.push(FileChange {
                path,
                old_text: old,
                new_text: text,
            });
        }
    }
    // a passing check has nothing to warn about: what pinlock could not rewrite is either
    // enforced on the host anyway or reported as uncovered below
    let failing = !changes.is_empty() || !report.uncovered.is_empty();
    if !args.check || failing {
        for w in &report.warnings {
            out.warn(w);
        }
    }
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
            "uncovered": report.uncovered.iter().map(|w| serde_json::json!({
                "path": display(&w.path),
                "line": w.line,
                "message": w.message,
            })).collect::<Vec<_>>(),
            "enforced_plays": report.enforced_plays,
        })
    };
    if args.check {
        if args.json {
            println!("{}", serde_json::to_string_pretty(&json_doc(false))?);
        }
        if !failing {
            out.status(
                "Checked",
                format!(
                    "{} play(s) enforce {} on their hosts; every file is pinned",
                    report.enforced_plays,
                    lock_path.display()
                ),
            );
            return Ok(ExitCode::SUCCESS);
        }
        let mut problems: Vec<String> = changes
            .iter()
            .map(|c| format!("{}: out of date", display(&c.path)))
            .collect();
        problems.extend(report.uncovered.iter().map(|w| {
            format!(
                "{}:{}: {}",
                display(&w.path),
                w.line,
                w.message.split('\n').next().unwrap_or_default()
            )
        }));
        let hint = if changes.is_empty() {
            "hint: see the warnings above; fix those plays or files and run `pinlock pin`"
        } else {
            "hint: run `pinlock pin` and commit the result"
        };
        out.error(&anyhow::anyhow!(
            "{} problem(s) with {}:\n{}\n{hint}",
            problems.len(),
            lock_path.display(),
            problems.join("\n")
        ));
        return Ok(ExitCode::from(1));
    }
    for w in &report.uncovered {
        out.warn(w);
    }
    for c in &changes {
        if let Some(dir) = c.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        pinlock_core::fsutil::write_atomic(&c.path, c.new_text.as_bytes())
            .with_context(|| format!("cannot write {}", c.path.display()))?;
        out.status("Pinned", display(&c.path));
    }
    if changes.is_empty() {
        out.status(
            "Checked",
            format!(
                "{} play(s) enforce {}; nothing to change",
                report.enforced_plays,
                lock_path.display()
            ),
        );
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json_doc(true))?);
    }
    Ok(ExitCode::SUCCESS)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
