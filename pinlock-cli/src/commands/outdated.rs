//! `pinlock outdated`: locked packages with newer versions, and what `pinlock update` would
//! propose (the same computation: `update::outdated` runs `update::propose`).
//!
//! `--check` (alias `--exit-code`) exits 1 exactly when `pinlock update` would make a proposal
//! (`proposes`), which includes replacing a locked version no source serves any more (state
//! `gone`), and 2 when that cannot be computed (e.g. a rollback `update` would refuse): a check
//! that was not made never passes.
//!
//! `--json` prints `{"version": 1, "outdated": bool, "proposes": bool, "update_error",
//! "packages": [OutdatedRow...]}` where each row (every package of the closure, per target) has
//! `target`, `package`, `requested`, `constraint`, `state`
//! (`gone|proposed|rebuilt|held|up-to-date`), `security`, `locked`, `proposed`,
//! `proposed_bump`, `allowed`,
//! `latest`, `bump`,
//! `allowed_bump` (`none|patch|minor|major|other`), `latest_held`
//! (`ignored|not-allowed|too-young|constraint` or null), `latest_first_seen` (`YYYY-MM-DD`),
//! `latest_age_days` and `outdated`; `unresolved` and `waived` list the lockfile's dependencies
//! in no configured source as `pinlock lock --json` does. Fields are only ever added.
//!
//! The table is followed by those dependencies, one line per kind (waived ones apart).

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use anyhow::Context;
use pinlock_core::lockfile::Lockfile;
use pinlock_core::manifest::Manifest;
use pinlock_core::repository::read_sources_blocking;
use pinlock_core::update::seen::{self, SeenFile};
use pinlock_core::update::{outdated, OutdatedRow, State};

use crate::cli::{Global, OutdatedArgs};
use crate::report::Reporter;

/// Seconds since the epoch: `--now`/`PINLOCK_NOW`, else the clock.
pub fn now(arg: Option<i64>) -> i64 {
    arg.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    })
}

/// The lockfile, or an error telling to run `pinlock lock` first.
pub fn load_lock(path: &std::path::Path) -> anyhow::Result<Lockfile> {
    Lockfile::load(path)?.ok_or_else(|| {
        anyhow::anyhow!(
            "no lockfile at {}\nhint: run `pinlock lock` first",
            super::show(path)
        )
    })
}

/// The lockfile with its first-seen records taken from the seen file beside it
/// (`pinlock.seen.yml`), completed by the lockfile's own legacy `first-seen:`.
pub fn load_lock_with_seen(path: &std::path::Path) -> anyhow::Result<Lockfile> {
    let mut lock = load_lock(path)?;
    let seen = SeenFile::load(&SeenFile::path_beside(path))?;
    lock.first_seen = seen::merged(seen.as_ref(), &lock);
    Ok(lock)
}

pub fn run(g: &Global, args: OutdatedArgs, out: &Reporter) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(&args.project.manifest)?;
    let path = args.project.lockfile_path(&manifest.dir);
    let lock = load_lock_with_seen(&path)?;
    let opts = super::read_options(g, &manifest.dir, out)?;
    let suites =
        read_sources_blocking(&manifest.specs(), &opts).context("cannot read the repositories")?;
    out.progress_finish();
    let report = outdated(&manifest, &suites, &lock, now(args.now))?;
    let rows = &report.rows;
    let any = rows.iter().any(|r| r.outdated);
    // With --check, a proposal that cannot be computed is the check's failure (below): the
    // check was not made, so it must not pass. Without it, the table is still useful.
    if let (Some(e), false) = (&report.error, args.exit_code) {
        out.warn(format!(
            "cannot compute what `pinlock update` would propose: {e}"
        ));
    }
    if args.json {
        let doc = serde_json::json!({
            "version": 1,
            "outdated": any,
            "proposes": report.proposes,
            "update_error": report.error,
            "packages": rows,
            "unresolved": super::lock::json_unresolved(&lock, false),
            "waived": super::lock::json_unresolved(&lock, true),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!(
            "{}{}{}",
            table(rows),
            summary(rows, report.proposes),
            unresolved(&lock)
        );
    }
    if let (Some(e), true) = (&report.error, args.exit_code) {
        anyhow::bail!(
            "cannot check: what `pinlock update` would propose cannot be computed: {e}\nhint: `pinlock update --dry-run` shows the same error; fix it before relying on `outdated --check`"
        );
    }
    Ok(if args.exit_code && report.proposes {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What the table means for `pinlock update`, and how many dependencies it does not show.
fn summary(rows: &[OutdatedRow], proposes: bool) -> String {
    let hidden = rows
        .iter()
        .filter(|r| !r.requested && r.state == State::UpToDate)
        .count();
    let held = rows
        .iter()
        .filter(|r| !r.requested && r.state == State::Held)
        .count();
    let mut s = String::from(
        "
",
    );
    let gone: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.state == State::Gone)
        .map(|r| r.package.as_str())
        .collect();
    if !gone.is_empty() {
        s.push_str(&format!(
            "Gone: no source serves the locked version of {} any more; `pinlock update` proposes a replacement\n",
            gone.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    s.push_str(if proposes {
        "`pinlock update` would propose the PROPOSED versions\n"
    } else {
        "`pinlock update` would propose nothing\n"
    });
    if hidden + held > 0 {
        s.push_str(&format!(
            "dependencies not shown (--json lists them): {hidden} up to date, {held} with a newer version the resolver keeps back\n"
        ));
    }
    s
}

/// The lockfile's dependencies in no configured source, one line per kind and set of targets:
/// `  recommends (buster/amd64): apparmor, git`, waived Recommends on their own lines. Empty
/// when there are none.
fn unresolved(lock: &Lockfile) -> String {
    let mut per: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for (t, lt) in &lock.targets {
        for (name, u) in &lt.unresolved {
            let kind = if u.waived {
                "waived recommends"
            } else {
                u.kind.as_str()
            };
            per.entry((kind, name)).or_default().push(t);
        }
    }
    if per.is_empty() {
        return String::new();
    }
    let mut lines: BTreeMap<(&str, String), Vec<&str>> = BTreeMap::new();
    for ((kind, name), targets) in per {
        lines
            .entry((kind, targets.join(", ")))
            .or_default()
            .push(name);
    }
    let mut s = String::from(
        "\nUnresolved: in no configured source; the host preflight requires them unless waived\n",
    );
    for ((kind, targets), names) in lines {
        s.push_str(&format!("  {kind} ({targets}): {}\n", names.join(", ")));
    }
    s
}

fn table(rows: &[OutdatedRow]) -> String {
    let head = [
        "TARGET",
        "PACKAGE",
        "STATE",
        "LOCKED",
        "PROPOSED",
        "LATEST",
        "BUMP",
        "FIRST SEEN",
        "AGE",
    ];
    let dash = || "-".to_string();
    let mut cells: Vec<Vec<String>> = vec![head.iter().map(|s| s.to_string()).collect()];
    for r in rows {
        // The rest of the closure is shown when `update` would touch it.
        if !r.requested && matches!(r.state, State::UpToDate | State::Held) {
            continue;
        }
        let bump = match (&r.latest_held, r.outdated) {
            (_, false) => "-".to_string(),
            (Some(h), true) => format!(
                "{} (held: {})",
                r.bump,
                serde_json::to_value(h)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
            (None, true) => r.bump.to_string(),
        };
        let proposed = match (r.state, &r.proposed) {
            (_, Some(v)) => v.clone(),
            (State::Proposed | State::Gone, None) if r.locked.is_some() => "(removed)".into(),
            _ => dash(),
        };
        let package = if r.requested {
            r.package.clone()
        } else {
            format!("{} (dep)", r.package)
        };
        cells.push(vec![
            r.target.clone(),
            package,
            if r.security {
                format!("{} (security)", r.state.as_str())
            } else {
                r.state.as_str().to_string()
            },
            r.locked.clone().unwrap_or_else(dash),
            proposed,
            r.latest.clone().unwrap_or_else(dash),
            bump,
            r.latest_first_seen.clone().unwrap_or_else(dash),
            r.latest_age_days.map_or_else(dash, |d| format!("{d}d")),
        ]);
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    for c in cells {
        let line: Vec<String> = c
            .iter()
            .zip(&widths)
            .map(|(x, w)| format!("{x:<w$}"))
            .collect();
        s.push_str(line.join("  ").trim_end());
        s.push('\n');
    }
    s
}
