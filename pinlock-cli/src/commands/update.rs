//! `pinlock update`: propose upgrades.
//!
//! When it proposes something, it writes pinlock.lock and the re-pinned playbooks (atomically,
//! only files that change). When it proposes nothing, it writes neither: the one file such a run
//! may write is the seen file `pinlock.seen.yml` (first-seen dates, `update::seen`), only when
//! a version was seen for the first time, and only in projects that use it (an `update.min-age`
//! policy, or the file exists). With `--commit` it leaves the working tree alone
//! and records the same files as one commit on top of HEAD on a branch
//! (`pinlock/update-<packages>` by default); the same proposal again leaves the branch as it
//! is. New first-seen dates get their own commit on top of HEAD, on `pinlock/first-seen`, with
//! or without a proposal, so a job can fast-forward the default branch to it. `--pr-body FILE` writes the
//! Markdown description when there is a proposal. `--json` prints `{"version": 1, "changed",
//! "title", "commit_message", "fingerprint", "packages", "changes", "findings", "held", "files", "seen_file",
//! "dry_run", "branch", "commit", "seen_branch", "seen_commit"}` on stdout.
//!
//! `--commit` refuses to run when the manifest, the lockfile, the seen file, the playbooks or a
//! file the proposal rewrites has uncommitted changes (or is untracked): the branch is built on
//! HEAD, and a proposal computed from edited inputs would be committed next to their old
//! content. `--dry-run` computes and prints the proposal (`--json` too) and writes nothing.
//!
//! Exit codes: 0 nothing to update; 10 a proposal was made (or would be, with `--dry-run`);
//! 2 an error.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use pinlock_core::manifest::Manifest;
use pinlock_core::repository::read_sources_blocking;
use pinlock_core::update::git::{commit_to_branch, uncommitted, CommitOutcome, GitError};
use pinlock_core::update::seen::SeenFile;
use pinlock_core::update::{playbooks, prbody, propose, UpdateOptions};

use crate::cli::{Global, UpdateArgs};
use crate::report::Reporter;

/// Exit code when a proposal was made.
pub const PROPOSAL: u8 = 10;

/// Branch for `--commit` of new first-seen records (HEAD + one commit changing only the seen
/// file), apart from the proposal's branch.
pub const SEEN_BRANCH: &str = "pinlock/first-seen";

pub fn run(g: &Global, args: UpdateArgs, out: &Reporter) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(&args.project.manifest)?;
    let path = args.project.lockfile_path(&manifest.dir);
    let seen_path = SeenFile::path_beside(&path);
    let seen_before = std::fs::read(&seen_path).ok();
    let previous = super::outdated::load_lock_with_seen(&path)?;
    let git_dir = if manifest.dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        manifest.dir.clone()
    };
    if args.commit {
        // The branch is built on HEAD: refuse inputs edited in the working tree.
        let mut inputs = vec![
            args.project.manifest.clone(),
            path.clone(),
            seen_path.clone(),
        ];
        inputs.extend(manifest.playbooks.iter().map(|p| manifest.dir.join(p)));
        refuse_uncommitted(&git_dir, &inputs)?;
    }
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
    let changed = proposal.has_changes();
    // The playbooks are re-pinned to the new lock with the `pinlock pin` engine and written or
    // committed together with the lockfile, only when there is a proposal: a run that proposes
    // nothing leaves the lockfile and the playbooks alone.
    let rewritten = if changed {
        let repinned = playbooks::repin(&proposal.lockfile, &manifest)
            .context("cannot re-pin the playbooks")?;
        for w in &repinned.warnings {
            out.warn(w);
        }
        repinned.files
    } else {
        Vec::new()
    };
    // First-seen records live in the seen file (update::seen); it is the one file a run without
    // a proposal writes, and only when a record was added or dropped.
    let seen = SeenFile::new(proposal.first_seen.clone());
    let seen_text = seen.render();
    // Kept when a `min-age` policy needs it (or the project already has the file).
    let seen_changed = match &seen_before {
        Some(b) => *b != seen_text.as_bytes(),
        None => manifest.update.min_age.is_some() && !seen.first_seen.is_empty(),
    };
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
    let mut files_changed: Vec<String> = Vec::new();
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    if changed {
        files_changed.push(shown(&path));
        files.push((path.clone(), proposal.lockfile.render().into_bytes()));
        for f in &rewritten {
            files_changed.push(shown(&f.path));
            files.push((f.path.clone(), f.content.clone()));
        }
    }
    // Without --commit the seen file is written with the rest; with --commit it gets its own
    // commit on SEEN_BRANCH, so the dates can reach the default branch whether or not the
    // proposal is merged.
    if seen_changed && !args.commit {
        files_changed.push(shown(&seen_path));
        files.push((seen_path.clone(), seen_text.clone().into_bytes()));
    }
    let mut branch = None;
    let mut commit = None;
    let mut seen_branch = None;
    let mut seen_commit = None;
    if args.dry_run {
        if changed {
            out.status("Would write", files_changed.join(", "));
        }
        if seen_changed {
            out.status(
                "Would record",
                format!("first-seen dates in {}", shown(&seen_path)),
            );
        }
    } else if args.commit {
        if changed {
            // And the files it rewrites (generated variables, enforcement files).
            let outputs: Vec<PathBuf> = files.iter().map(|f| f.0.clone()).collect();
            refuse_uncommitted(&git_dir, &outputs)?;
            let name = args.branch.clone().unwrap_or_else(|| {
                prbody::branch_name(&proposal.packages, args.packages.is_empty())
            });
            commit = commit_reporting(
                &git_dir,
                &files,
                &name,
                &prbody::commit_message(&proposal),
                out,
            )?;
            branch = Some(name);
        }
        if seen_changed {
            let message = format!(
                "chore(deps): record first-seen dates in {}\n\n{} keeps when pinlock first saw each version, for `min-age` policies.\n",
                shown(&seen_path),
                shown(&seen_path)
            );
            seen_commit = commit_reporting(
                &git_dir,
                &[(seen_path.clone(), seen_text.clone().into_bytes())],
                SEEN_BRANCH,
                &message,
                out,
            )?;
            seen_branch = Some(SEEN_BRANCH.to_string());
        }
    } else {
        for (f, content) in &files {
            if pinlock_core::write_atomic(f, content)
                .with_context(|| format!("cannot write {}", f.display()))?
            {
                out.status("Wrote", f.display());
            }
        }
    }
    if args.dry_run {
        // Nothing written: the files are what a real run would write.
    } else if changed {
        if let Some(file) = &args.pr_body {
            pinlock_core::write_atomic(file, prbody::render(&proposal, &files_changed).as_bytes())
                .with_context(|| format!("cannot write {}", file.display()))?;
            out.status("Wrote", file.display());
        }
    }
    if !changed {
        out.status("Unchanged", "nothing to update");
    }
    if args.json {
        let doc = serde_json::json!({
            "version": 1,
            "changed": changed,
            "title": changed.then(|| prbody::title(&proposal)),
            "commit_message": changed.then(|| prbody::commit_message(&proposal)),
            "fingerprint": changed.then(|| prbody::fingerprint(&proposal)),
            "packages": proposal.packages,
            "changes": proposal.changes,
            "findings": proposal.findings,
            "held": proposal.held,
            "files": files_changed,
            "seen_file": seen_changed.then(|| shown(&seen_path)),
            "dry_run": args.dry_run,
            "branch": branch,
            "commit": commit,
            "seen_branch": seen_branch,
            "seen_commit": seen_commit,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(if changed {
        ExitCode::from(PROPOSAL)
    } else {
        ExitCode::SUCCESS
    })
}

/// Commits `files` on `branch` and reports it; the commit, unless the files equal HEAD's.
/// `files` are relative to the current directory (or absolute): they are made absolute here,
/// since `commit_to_branch` reads relative paths against `dir` (the manifest's directory).
fn commit_reporting(
    dir: &std::path::Path,
    files: &[(PathBuf, Vec<u8>)],
    branch: &str,
    message: &str,
    out: &Reporter,
) -> anyhow::Result<Option<String>> {
    let files: Vec<(PathBuf, Vec<u8>)> = files
        .iter()
        .map(|(p, c)| {
            (
                std::path::absolute(p).unwrap_or_else(|_| p.clone()),
                c.clone(),
            )
        })
        .collect();
    Ok(match commit_to_branch(dir, &files, branch, message)? {
        CommitOutcome::Committed { commit } => {
            out.status("Committed", format!("{commit} on branch {branch}"));
            Some(commit)
        }
        CommitOutcome::Unchanged { commit } => {
            out.status(
                "Unchanged",
                format!("branch {branch} already holds this proposal"),
            );
            Some(commit)
        }
        CommitOutcome::NothingToCommit => {
            out.status("Unchanged", format!("{branch}: the files equal HEAD"));
            None
        }
    })
}

/// Fails when a file among `paths` has uncommitted changes (`--commit` builds on HEAD).
fn refuse_uncommitted(dir: &std::path::Path, paths: &[PathBuf]) -> anyhow::Result<()> {
    let abs: Vec<PathBuf> = paths
        .iter()
        .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
        .collect();
    let dirty = uncommitted(dir, &abs)?;
    if !dirty.is_empty() {
        return Err(GitError::Dirty { files: dirty }.into());
    }
    Ok(())
}
