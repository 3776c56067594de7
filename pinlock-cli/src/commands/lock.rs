//! `pinlock lock`: resolve the manifest into the lockfile.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use pinlock_core::lock::{diff, lock, LockOptions};
use pinlock_core::lockfile::Lockfile;
use pinlock_core::manifest::Manifest;
use pinlock_core::repository::read_sources_blocking;

use crate::cli::{Global, LockArgs};
use crate::report::Reporter;

/// The lockfile path: `--lockfile`, else `pinlock.lock` next to the manifest.
pub fn lockfile_path(manifest: &Manifest, arg: Option<&PathBuf>) -> PathBuf {
    arg.cloned()
        .unwrap_or_else(|| manifest.dir.join("pinlock.lock"))
}

pub fn run(g: &Global, args: LockArgs, out: &Reporter) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(&args.manifest)?;
    let path = lockfile_path(&manifest, args.lockfile.as_ref());
    let previous = Lockfile::load(&path)?;
    let opts = super::read_options(g, &manifest.dir, out)?;
    let suites =
        read_sources_blocking(&manifest.specs(), &opts).context("cannot read the repositories")?;
    out.progress_finish();
    let new = lock(
        &manifest,
        &suites,
        previous.as_ref(),
        LockOptions {
            allow_rollback: args.allow_rollback,
            allow_rebuilt: args.allow_rebuilt,
        },
    )?;
    for (target, t) in &new.targets {
        out.status(
            "Locked",
            format!("{} packages for {target}", t.packages.len()),
        );
        if !t.unresolved.is_empty() {
            let names: Vec<&str> = t.unresolved.keys().map(String::as_str).collect();
            out.warn(format!(
                "{target}: {} dependencies are in no configured source and are listed under `unresolved`: {}\nhint: add the distribution's own repository as a source to lock them too",
                names.len(),
                names.join(", ")
            ));
            for (name, u) in &t.unresolved {
                out.verbose(
                    1,
                    format!(
                        "{target}: {name}: {} ({}) needed by {}",
                        u.relation,
                        u.kind,
                        u.required_by.join(", ")
                    ),
                );
            }
        }
    }
    let changes = diff(previous.as_ref(), &new);
    let same_text = previous
        .as_ref()
        .is_some_and(|p| p.render() == new.render())
        && std::fs::read_to_string(&path).is_ok_and(|t| t == new.render());
    if args.locked {
        if same_text {
            return Ok(ExitCode::SUCCESS);
        }
        let mut msg = format!(
            "{} is not up to date with {}",
            path.display(),
            args.manifest.display()
        );
        for c in &changes {
            msg.push_str(&format!("\n  {c}"));
        }
        msg.push_str("\nhint: run `pinlock lock` and commit the lockfile");
        out.error(&anyhow::anyhow!(msg));
        return Ok(ExitCode::from(1));
    }
    for c in &changes {
        out.status("Updating", c);
    }
    let wrote = new
        .write(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    if wrote {
        out.status("Wrote", path.display());
    } else {
        out.verbose(1, format!("{} is up to date", path.display()));
    }
    Ok(ExitCode::SUCCESS)
}
