//! `pinlock init`: a starter manifest from existing playbooks.
//!
//! `--json` prints `{"version": 1, "manifest", "sources", "packages", "notes"}` on stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use pinlock_core::init::{render_manifest, scan};

use crate::cli::InitArgs;
use crate::report::Reporter;

pub fn run(args: InitArgs, out: &Reporter) -> anyhow::Result<ExitCode> {
    if args.manifest.exists() && !args.force {
        anyhow::bail!(
            "{} already exists\nhint: pass --force to overwrite it, or -m to write elsewhere",
            args.manifest.display()
        );
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let found = scan(&paths)?;
    if found.sources.is_empty() {
        anyhow::bail!(
            "no apt_repository or deb822_repository task found in {}\nhint: write pinlock.yml by hand (see the README), or point init at the playbooks that add the repository",
            paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    let base = args
        .manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from);
    let playbooks: Vec<String> = paths
        .iter()
        .map(|p| {
            let rel = base
                .as_ref()
                .and_then(|b| p.strip_prefix(b).ok())
                .unwrap_or(p);
            rel.display().to_string()
        })
        .collect();
    let text = render_manifest(&found, &playbooks);
    pinlock_core::write_atomic(&args.manifest, text.as_bytes())
        .with_context(|| format!("cannot write {}", args.manifest.display()))?;
    out.status(
        "Wrote",
        format!(
            "{} ({} sources, {} packages)",
            args.manifest.display(),
            found.sources.len(),
            found.packages.len()
        ),
    );
    for n in &found.notes {
        out.warn(n);
    }
    if args.json {
        let doc = serde_json::json!({
            "version": 1,
            "manifest": args.manifest.display().to_string(),
            "sources": found.sources,
            "packages": found.packages,
            "notes": found.notes,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(ExitCode::SUCCESS)
}
