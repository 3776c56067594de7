//! `pinlock update`: propose upgrades.
//!
//! Without `--commit` it writes pinlock.lock (atomically, only when it changes) and the re-pinned
//! playbooks. With `--commit` it leaves the working tree alone and records the same files as one
//! commit on top of HEAD on a branch (`pinlock/update-<packages>` by default); the same proposal
//! again leaves the branch as it is. `--pr-body FILE` writes the Markdown description when
//! there is a proposal. `--json` prints `{"version": 1, "changed", "title", "commit_message",
//! "packages", "changes", "findings", "held", "files", "branch", "commit"}` on stdout.
//!
//! Exit codes: 0 nothing to update; 10 a proposal was made; 2 an error.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use pinlock_core::manifest::Manifest;
use pinlock_core::repository::read_sources_blocking;
use pinlock_core::update::git::{commit_to_branch, CommitOutcome};
use pinlock_core::update::{playbooks, prbody, propose, UpdateOptions};

use crate::cli::{Global, UpdateArgs};
use crate::report::Reporter;

/// Exit code when a proposal was made.
pub const PROPOSAL: u8 = 10;

pub fn run(g: &Global, args: UpdateArgs, out: &Reporter) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(&args.project.manifest)?;
    let path = args.project.lockfile_path(&manifest.dir);
    let previous = super::outdated::load_lock(&path)?;
    let opts = super::read_options(g, &manifest.dir, out)?;
    let suites =
        read_sources_blocking(&manifest.specs(), &opts).context("cannot read the repositories")?;
    out.progress_finish();
    let proposal = propose(
        &manifest,
        &suites,
        &previous,
        &UpdateOptions {
            packages: args.packages.clone(),
            precise: args.precise.clone(),
            now: super::outdated::now(args.now),
            allow_rollback: args.allow_rollback,
        },
    )?;
    for h in &proposal.held {
        out.verbose(
            1,
            format!(
                "{}: {} {} held back ({:?})",
                h.target, h.package, h.version, h.reason
            ),
        );
    }
    // The playbooks are re-pinned to the new lock with the `pinlock pin` engine and written or
    // committed together with the lockfile.
    let repinned = playbooks::repin(
        &proposal.lockfile,
        &manifest.dir,
        &manifest.playbooks,
        &manifest.project,
    )
    .context("cannot re-pin the playbooks")?;
    for w in &repinned.warnings {
        out.warn(w);
    }
    let rewritten = repinned.files;
    let changed = proposal.has_changes();
    for c in &proposal.changes {
        out.status(
            "Updating",
            format!(
                "{}: {} {} → {}",
                c.target,
                c.package,
                c.old.as_deref().unwrap_or("(none)"),
                c.new.as_deref().unwrap_or("(removed)")
            ),
        );
    }
    let shown = |f: &std::path::Path| -> String {
        f.strip_prefix(&manifest.dir)
            .unwrap_or(f)
            .display()
            .to_string()
    };
    let mut files_changed: Vec<String> = vec![shown(&path)];
    files_changed.extend(rewritten.iter().map(|f| shown(&f.path)));
    let mut branch = None;
    let mut commit = None;
    if args.commit {
        if changed {
            let mut files: Vec<(PathBuf, Vec<u8>)> =
                vec![(path.clone(), proposal.lockfile.render().into_bytes())];
            for f in &rewritten {
                files.push((f.path.clone(), f.content.clone()));
            }
            let name = args.branch.clone().unwrap_or_else(|| {
                prbody::branch_name(&proposal.packages, args.packages.is_empty())
            });
            let dir = if manifest.dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                manifest.dir.clone()
            };
            match commit_to_branch(&dir, &files, &name, &prbody::commit_message(&proposal))? {
                CommitOutcome::Committed { commit: c } => {
                    out.status("Committed", format!("{c} on branch {name}"));
                    commit = Some(c);
                }
                CommitOutcome::Unchanged { commit: c } => {
                    out.status(
                        "Unchanged",
                        format!("branch {name} already holds this proposal"),
                    );
                    commit = Some(c);
                }
                CommitOutcome::NothingToCommit => {
                    out.status("Unchanged", "the proposal equals HEAD");
                }
            }
            branch = Some(name);
        }
    } else {
        let wrote = proposal
            .lockfile
            .write(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        if wrote {
            out.status("Wrote", path.display());
        }
        for f in &rewritten {
            if pinlock_core::write_atomic(&f.path, &f.content)
                .with_context(|| format!("cannot write {}", f.path.display()))?
            {
                out.status("Wrote", f.path.display());
            }
        }
    }
    if changed {
        if let Some(file) = &args.pr_body {
            pinlock_core::write_atomic(file, prbody::render(&proposal, &files_changed).as_bytes())
                .with_context(|| format!("cannot write {}", file.display()))?;
            out.status("Wrote", file.display());
        }
    } else {
        out.status("Unchanged", "nothing to update");
    }
    if args.json {
        let doc = serde_json::json!({
            "version": 1,
            "changed": changed,
            "title": changed.then(|| prbody::title(&proposal)),
            "commit_message": changed.then(|| prbody::commit_message(&proposal)),
            "packages": proposal.packages,
            "changes": proposal.changes,
            "findings": proposal.findings,
            "held": proposal.held,
            "files": if changed { files_changed.clone() } else { Vec::new() },
            "branch": branch,
            "commit": commit,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(if changed {
        ExitCode::from(PROPOSAL)
    } else {
        ExitCode::SUCCESS
    })
}
