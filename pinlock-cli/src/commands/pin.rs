//! `pinlock pin`: rewrite Ansible apt tasks to the lockfile and wire every play that installs
//! packages to the host enforcement (`pinlock/enforce.yml`, `pinlock/hold.yml`).
//!
//! `--json` prints `{"version": 1, "lockfile", "check", "up_to_date", "files", "edits",
//! "warnings", "uncovered", "enforced_plays"}` on stdout (docs/json.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use pinlock_core::ansible::project::{self, pin_project, ProjectLayout};
use pinlock_core::ansible::unified_diff;
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
    let lock = Lockfile::load(&lock_path)?.with_context(|| match &manifest {
        Some(_) => format!(
            "no lockfile at {}\nhint: run `pinlock lock` first",
            display(&lock_path)
        ),
        None => {
            let cwd = std::env::current_dir().unwrap_or_default();
            pinlock_core::manifest::ManifestError::NotFound { start: cwd }.to_string()
        }
    })?;
    if let Some(t) = &args.target {
        if !lock.targets.contains_key(t) {
            anyhow::bail!(
                "target {t} is not in {}; it has {}\nhint: pass one of those to --target",
                display(&lock_path),
                lock.targets.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let paths: Vec<PathBuf> = if !args.paths.is_empty() {
        args.paths.clone()
    } else if let Some(m) = manifest.as_ref().filter(|m| !m.playbooks.is_empty()) {
        // `./site.yml` would print as such in the core's warnings: one convention, no `./`
        m.playbooks
            .iter()
            .map(|p| PathBuf::from(display(&m.dir.join(p))))
            .collect()
    } else {
        // the project is the manifest's directory, also when it was found in a parent
        vec![base.clone()]
    };
    let project = manifest
        .as_ref()
        .map_or(pinlock_core::manifest::DEFAULT_PROJECT, |m| {
            m.project.as_str()
        });
    let mut layout = ProjectLayout::beside_manifest(&base, project);
    if let Some(f) = &args.vars_file {
        layout.vars_file = f.clone();
    }
    if let Some(m) = &manifest {
        layout.exclude.globs = m.exclude.clone();
    }
    if let Some(d) = &args.enforce_dir {
        layout.enforce_dir = d.clone();
    }
    if let Some(n) = lock_path.file_name() {
        layout.lock_name = n.to_string_lossy().into_owned();
    }
    let plan = pin_project(&paths, &lock, args.target.clone(), &layout)?;
    let (report, changes) = (&plan.report, &plan.changes);
    // a passing check has nothing to warn about: what pinlock could not rewrite is either
    // enforced on the host anyway or reported as uncovered below
    let failing = !changes.is_empty() || !report.uncovered.is_empty();
    if !args.check || failing {
        for w in &report.warnings {
            out.warn(w);
        }
    }
    if args.diff {
        let mut stdout = std::io::stdout().lock();
        use std::io::Write;
        for c in changes {
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
                    display(&lock_path)
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
            display(&lock_path),
            problems.join("\n")
        ));
        return Ok(ExitCode::from(1));
    }
    for w in &report.uncovered {
        out.warn(w);
    }
    project::apply(&plan).context("cannot write the pinned files")?;
    for c in changes {
        out.status("Pinned", display(&c.path));
    }
    if changes.is_empty() {
        out.status(
            "Checked",
            format!(
                "{} play(s) enforce {}; nothing to change",
                report.enforced_plays,
                display(&lock_path)
            ),
        );
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json_doc(true))?);
    }
    Ok(ExitCode::SUCCESS)
}

fn display(p: &Path) -> String {
    super::show(p)
}
