//! One module per command; each is a thin wrapper over pinlock-core.

mod generate;
mod init;
mod lock;
mod outdated;
mod pin;
mod update;
mod versions;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pinlock_core::repository::FetchOptions;

use pinlock_core::auth::AuthConf;
use pinlock_core::cache::Cache;
use pinlock_core::repository::{Progress, ReadOptions};

use crate::cli::{Cli, Command, Global};
use crate::report::Reporter;

/// Runs the parsed command line. Returns the exit code for success and "check failed".
pub fn run(cli: Cli, out: &Reporter) -> anyhow::Result<ExitCode> {
    // `pinlock` alone: the help on stdout and exit 0, as `cargo` alone does
    let Some(mut command) = cli.command else {
        use clap::CommandFactory;
        Cli::command().print_help()?;
        return Ok(ExitCode::SUCCESS);
    };
    // the manifest is found before any work, as cargo finds Cargo.toml (`pin` runs without one)
    match &mut command {
        Command::Lock(a) => a.project.resolve(true)?,
        Command::Outdated(a) => a.project.resolve(true)?,
        Command::Update(a) => a.project.resolve(true)?,
        Command::Pin(a) => a.project.resolve(false)?,
        _ => {}
    }
    match command {
        Command::Versions(args) => versions::run(&cli.global, args, out),
        Command::Lock(args) => lock::run(&cli.global, args, out),
        Command::Outdated(args) => outdated::run(&cli.global, args, out),
        Command::Update(args) => update::run(&cli.global, args, out),
        Command::Pin(args) => pin::run(&cli.global, args, out),
        Command::Init(args) => init::run(args, out),
        Command::Completions(args) => generate::completions(args),
        Command::Man(args) => generate::man(args, out),
    }
}

/// A path as printed in messages and `--json`: no `./` prefix
/// ([`pinlock_core::manifest::display_path`]).
pub fn show(path: &std::path::Path) -> String {
    pinlock_core::manifest::display_path(path)
}

/// Reader options from the global flags. Progress events become `-v` lines and warnings, and
/// drive the progress bar when stderr is a terminal (call [`Reporter::progress_finish`] once the
/// repositories are read).
pub fn read_options(
    g: &Global,
    base_dir: &std::path::Path,
    out: &Reporter,
) -> anyhow::Result<ReadOptions> {
    let mut auth = AuthConf::default();
    for f in &g.auth_conf {
        auth.extend(AuthConf::from_file(f)?);
    }
    let cache = if g.no_cache {
        None
    } else {
        g.cache_dir
            .clone()
            .or_else(Cache::default_root)
            .map(Cache::new)
    };
    if g.offline && cache.is_none() {
        anyhow::bail!("--offline needs a cache\nhint: drop --no-cache, or set --cache-dir");
    }
    let verbose = out.verbosity();
    let quiet = out.is_quiet();
    out.progress_start();
    let bar = out.progress_bar();
    // Lines go above the bar when one is drawn.
    let line = {
        let bar = bar.clone();
        move |text: String| match &bar {
            Some(pb) => pb.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    };
    let progress = Arc::new(move |p: &Progress| {
        match p {
            Progress::Warning { message } => line(format!("warning: {message}")),
            Progress::Fetched { url, bytes } if verbose >= 1 && !quiet => {
                line(format!("{:>12} {url} ({bytes} bytes)", "Downloaded"))
            }
            Progress::NotModified { url } if verbose >= 1 && !quiet => {
                line(format!("{:>12} {url}", "Unchanged"))
            }
            Progress::FromCache { url } if verbose >= 1 && !quiet => {
                line(format!("{:>12} {url}", "Cached"))
            }
            Progress::Parsed { url, packages } if verbose >= 2 && !quiet => {
                line(format!("{:>12} {url} ({packages} packages)", "Parsed"))
            }
            _ => {}
        }
        if let Some(pb) = &bar {
            match p {
                Progress::Fetching { url } => {
                    pb.inc_length(1);
                    pb.set_prefix("Downloading");
                    pb.set_message(url.clone());
                }
                Progress::Fetched { url, .. } | Progress::NotModified { url } => {
                    pb.inc(1);
                    pb.set_message(url.clone());
                }
                Progress::FromCache { url } => {
                    pb.set_prefix("Cached");
                    pb.set_message(url.clone());
                }
                Progress::Parsed { url, packages } => {
                    pb.set_prefix("Parsed");
                    pb.set_message(format!("{url} ({packages} packages)"));
                }
                Progress::Warning { .. } => {}
            }
        }
    });
    Ok(ReadOptions {
        cache,
        offline: g.offline,
        now: SystemTime::now(),
        fetch: FetchOptions {
            connect_timeout: Duration::from_secs(g.connect_timeout),
            read_timeout: Duration::from_secs(g.read_timeout),
            retries: g.retries,
            ..FetchOptions::default()
        },
        auth,
        base_dir: base_dir.to_path_buf(),
        progress: Some(progress),
    })
}
