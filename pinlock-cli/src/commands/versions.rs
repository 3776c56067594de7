//! `pinlock versions`: every available version of packages, newest first.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use pinlock_core::manifest::{discover, Manifest, ManifestError};
use pinlock_core::query;
use pinlock_core::repository::read_sources_blocking;
use pinlock_core::source::parse_one_line;

use crate::cli::{Global, VersionsArgs};
use crate::report::Reporter;

pub fn run(g: &Global, args: VersionsArgs, out: &Reporter) -> anyhow::Result<ExitCode> {
    // -m, else (without --source) PINLOCK_MANIFEST or pinlock.yml here or in a parent
    let manifest = match (&args.manifest, args.sources.is_empty()) {
        (Some(m), _) => Some(discover(Some(m), Path::new("."))?),
        (None, true) => {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            let env = std::env::var_os("PINLOCK_MANIFEST").map(PathBuf::from);
            match discover(env.as_deref(), &cwd) {
                Ok(m) => Some(m),
                Err(ManifestError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            }
        }
        (None, false) => None,
    };
    let (specs, base) = if let Some(m) = manifest {
        let m = Manifest::load(&m)?;
        (m.specs(), m.dir)
    } else {
        if args.sources.is_empty() {
            anyhow::bail!("no source given\nhint: pass --source \"deb [signed-by=KEY] URL SUITE COMPONENT\" or -m pinlock.yml (found in the current or a parent directory by default)");
        }
        let mut specs = Vec::new();
        for s in &args.sources {
            specs.extend(parse_one_line(s)?);
        }
        (specs, PathBuf::from("."))
    };
    let opts = super::read_options(g, &base, out)?;
    let suites = read_sources_blocking(&specs, &opts).context("cannot read the repositories")?;
    out.progress_finish();
    let found = query::versions(&suites, &args.packages);
    let mut stdout = std::io::stdout().lock();
    use std::io::Write;
    if args.json {
        serde_json::to_writer_pretty(
            &mut stdout,
            &serde_json::json!({ "version": 1, "packages": found }),
        )?;
        writeln!(stdout)?;
    } else {
        for (name, list) in &found {
            for a in list {
                writeln!(
                    stdout,
                    "{name:>10} | {:>10} | {} {}/{} {} Packages",
                    a.version, a.uri, a.suite, a.component, a.index_architecture
                )?;
            }
        }
    }
    let missing: Vec<&str> = found
        .iter()
        .filter(|(_, l)| l.is_empty())
        .map(|(n, _)| n.as_str())
        .collect();
    if !missing.is_empty() {
        out.warn(format!("no versions found for {}", missing.join(", ")));
    }
    Ok(ExitCode::SUCCESS)
}
