//! `pinlock lock`: resolve the manifest into the lockfile.
//!
//! `--json` prints `{"version": 1, "lockfile", "up_to_date", "written", "targets",
//! "changes", "unresolved", "waived"}` on stdout (docs/json.md), also with `--locked`.

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::Context;
use pinlock_core::lock::{diff, lock_with_memo, waiver_warnings, LockInputs, LockOptions};
use pinlock_core::lockfile::Lockfile;
use pinlock_core::manifest::Manifest;

use crate::cli::{Global, LockArgs};
use crate::report::Reporter;

/// Identifies this build of pinlock for the lock memo ([`LockInputs::build_id`]): version plus
/// the executable's size and modification time (a rebuilt binary may resolve differently, so
/// its memos must not match). `None` (no memo) when the executable cannot be found.
fn build_id() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let m = std::fs::metadata(exe).ok()?;
    let mtime = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some(format!("{} {} {mtime}", env!("CARGO_PKG_VERSION"), m.len()))
}

pub fn run(g: &Global, args: LockArgs, out: &Reporter) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(&args.project.manifest)?;
    let path = args.project.lockfile_path(&manifest.dir);
    let previous = Lockfile::load(&path)?;
    let opts = super::read_options(g, &manifest.dir, out)?;
    let lock_opts = LockOptions {
        allow_rollback: args.allow_rollback,
        allow_rebuilt: args.allow_rebuilt,
    };
    // The warm path lives in the core: with the cache, the same manifest bytes, previous
    // lockfile and InRelease files as an earlier run, no index is read.
    let manifest_bytes = std::fs::read(&args.project.manifest).ok();
    let build = build_id();
    let inputs = LockInputs {
        manifest: &manifest,
        manifest_bytes: manifest_bytes.as_deref(),
        previous: previous.as_ref(),
        options: lock_opts,
        build_id: build.as_deref(),
    };
    let new = lock_with_memo(&inputs, &opts)?;
    out.progress_finish();
    for (target, t) in &new.targets {
        out.status(
            "Locked",
            format!("{} packages for {target}", t.packages.len()),
        );
        let (waived, open): (Vec<_>, Vec<_>) = t.unresolved.iter().partition(|(_, u)| u.waived);
        if !open.is_empty() {
            let names: Vec<&str> = open.iter().map(|(n, _)| n.as_str()).collect();
            let recommends = open.iter().any(|(_, u)| u.kind == "recommends");
            out.warn(format!(
                "{target}: {} dependencies are in no configured source and are listed under `unresolved`: {}\nhint: add the distribution's own repository as a source to lock them too{}",
                names.len(),
                names.join(", "),
                if recommends {
                    "\nhint: list a Recommends the hosts may lack under `waive:` in the manifest (the host preflight then does not require it)"
                } else {
                    ""
                }
            ));
        }
        if !waived.is_empty() {
            let names: Vec<&str> = waived.iter().map(|(n, _)| n.as_str()).collect();
            out.status(
                "Waived",
                format!(
                    "{target}: {} (Recommends in no configured source; the hosts may lack them)",
                    names.join(", ")
                ),
            );
        }
        for (name, u) in &t.unresolved {
            out.verbose(
                1,
                format!(
                    "{target}: {name}: {} ({}{}) needed by {}",
                    u.relation,
                    u.kind,
                    if u.waived { ", waived" } else { "" },
                    u.required_by.join(", ")
                ),
            );
        }
    }
    for w in waiver_warnings(&manifest, &new) {
        out.warn(w);
    }
    let changes = diff(previous.as_ref(), &new);
    let json_doc = |written: bool, up_to_date: bool| {
        serde_json::json!({
            "version": 1,
            "lockfile": super::show(&path),
            "up_to_date": up_to_date,
            "written": written,
            "targets": json_targets(&new),
            "changes": json_changes(previous.as_ref(), &new),
            "unresolved": json_unresolved(&new, false),
            "waived": json_unresolved(&new, true),
        })
    };
    let same_text = previous
        .as_ref()
        .is_some_and(|p| p.render() == new.render())
        && std::fs::read_to_string(&path).is_ok_and(|t| t == new.render());
    if args.locked {
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json_doc(false, same_text))?
            );
        }
        if same_text {
            return Ok(ExitCode::SUCCESS);
        }
        let mut msg = format!(
            "{} is not up to date with {}",
            super::show(&path),
            super::show(&args.project.manifest)
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
        out.status("Wrote", super::show(&path));
    } else {
        out.verbose(1, format!("{} is up to date", super::show(&path)));
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json_doc(wrote, !wrote))?
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `{"buster/amd64": {"docker-ce": "5:20.10.23~3-0~debian-buster", ...}}`.
fn json_targets(lock: &Lockfile) -> serde_json::Value {
    lock.targets
        .iter()
        .map(|(t, lt)| {
            let pkgs: serde_json::Map<String, serde_json::Value> = lt
                .packages
                .iter()
                .map(|(n, p)| (n.clone(), p.version.clone().into()))
                .collect();
            (t.clone(), serde_json::Value::Object(pkgs))
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Per-package changes against the previous lockfile, sorted by target then package:
/// `{"target", "package", "change": "add|remove|upgrade|downgrade|metadata", "old", "new"}`.
fn json_changes(old: Option<&Lockfile>, new: &Lockfile) -> Vec<serde_json::Value> {
    let empty = Lockfile::new();
    let old = old.unwrap_or(&empty);
    let targets: BTreeSet<&String> = old.targets.keys().chain(new.targets.keys()).collect();
    let mut out = Vec::new();
    for t in targets {
        let (o, n) = (old.targets.get(t), new.targets.get(t));
        let names: BTreeSet<&String> = o
            .iter()
            .flat_map(|x| x.packages.keys())
            .chain(n.iter().flat_map(|x| x.packages.keys()))
            .collect();
        for name in names {
            let ov = o.and_then(|x| x.packages.get(name));
            let nv = n.and_then(|x| x.packages.get(name));
            let change = match (ov, nv) {
                (None, Some(_)) => "add",
                (Some(_), None) => "remove",
                (Some(a), Some(b)) if a.version != b.version => {
                    match pinlock_core::version::compare(&a.version, &b.version) {
                        Ok(std::cmp::Ordering::Greater) => "downgrade",
                        _ => "upgrade",
                    }
                }
                (Some(a), Some(b)) if a != b => "metadata",
                _ => continue,
            };
            out.push(serde_json::json!({
                "target": t,
                "package": name,
                "change": change,
                "old": ov.map(|p| p.version.clone()),
                "new": nv.map(|p| p.version.clone()),
            }));
        }
    }
    out
}

/// Dependencies in no configured source, the waived ones (`waived`) or the others:
/// `{"target", "package", "relation", "kind", "required_by"}`, sorted by target then package.
pub(crate) fn json_unresolved(lock: &Lockfile, waived: bool) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for (t, lt) in &lock.targets {
        for (name, u) in lt.unresolved.iter().filter(|(_, u)| u.waived == waived) {
            out.push(serde_json::json!({
                "target": t,
                "package": name,
                "relation": u.relation,
                "kind": u.kind,
                "required_by": u.required_by,
            }));
        }
    }
    out
}
