//! `pinlock init`: a starter manifest from existing playbooks.
//!
//! `--json` prints `{"version": 1, "manifest", "targets", "sources", "packages",
//! "distribution_packages", "keys", "placeholders", "templates", "notes", "needs_targets",
//! "todo"}` on stdout (docs/json.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use pinlock_core::init::{render_manifest, scan, InitOptions, Target};

use crate::cli::InitArgs;
use crate::report::Reporter;

pub fn run(args: InitArgs, out: &Reporter) -> anyhow::Result<ExitCode> {
    if args.manifest.exists() && !args.force {
        anyhow::bail!(
            "{} already exists\nhint: pass --force to overwrite it, or -m to write elsewhere",
            args.manifest.display()
        );
    }
    let mut targets = Vec::new();
    for t in &args.targets {
        targets.push(Target::parse(t).map_err(anyhow::Error::msg)?);
    }
    targets.sort();
    targets.dedup();
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let found = scan(
        &paths,
        &InitOptions {
            targets: targets.clone(),
            // files under the current directory are shown relative to it
            base: std::env::current_dir().ok(),
        },
    )?;
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
            "{} ({} sources, {} packages, {} placeholders to fill in)",
            args.manifest.display(),
            found.sources.len(),
            found.packages.len(),
            found.placeholders.len() + found.templates.len().min(1)
        ),
    );
    let todo = found.todo();
    if !todo.is_empty() {
        out.status("To do", "before `pinlock lock`:");
        for t in &todo {
            out.warn(t);
        }
    }
    if args.json {
        let doc = serde_json::json!({
            "version": 1,
            "manifest": args.manifest.display().to_string(),
            "targets": targets.iter().map(Target::to_string).collect::<Vec<_>>(),
            "sources": found.sources,
            "packages": found.packages,
            "distribution_packages": found.other_packages,
            "keys": found.keys.iter().map(|k| serde_json::json!({
                "path": k.path,
                "url": k.url,
                "fingerprint": k.fingerprint,
                "command": k.command(),
            })).collect::<Vec<_>>(),
            "placeholders": found.placeholders.iter().map(|p| serde_json::json!({
                "section": p.section.as_str(),
                "file": p.file,
                "line": p.line,
                "text": p.text,
                "reason": p.reason,
                "targets": p.targets,
                "fill": p.fill,
            })).collect::<Vec<_>>(),
            "templates": found.templates,
            "notes": found.notes,
            "needs_targets": found.needs_targets,
            "todo": todo,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(ExitCode::SUCCESS)
}
