//! Command-line definition.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Pin apt packages for Ansible fleets: resolve exact versions from signed apt repositories
/// into a lockfile, rewrite Ansible apt tasks to those versions and hold them, and propose
/// upgrades on purpose.
#[derive(Debug, Parser)]
#[command(
    name = "pinlock",
    bin_name = "pinlock",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = TOP_AFTER_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// `None`: `pinlock` alone prints the help and exits 0, as `cargo` alone does.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Shown after `pinlock --help`: the workflow, exit codes and environment.
const TOP_AFTER_HELP: &str = "\
Examples:
  pinlock init site.yml roles/      # write a starter pinlock.yml from your playbooks
  pinlock lock                      # resolve pinlock.yml into pinlock.lock
  pinlock pin                       # pin the apt tasks to pinlock.lock and hold them
  pinlock outdated                  # what could be upgraded
  pinlock update docker-ce          # propose an upgrade on purpose
  pinlock help lock                 # more about one command

Check modes (CI, pre-commit): --check on every command that checks (lock --check is
lock --locked, outdated --check is outdated --exit-code): change nothing, exit 1 on a
difference. -q hides status lines and warnings, never errors: a failed check still prints its
`error:` summary, as cargo does.

Exit codes:
  0  success (and `pinlock` alone, which prints this help, as cargo does)
  1  a check found a difference (pin --check, lock --check/--locked, outdated --check/--exit-code)
  2  an error (the message ends with `hint:` lines on how to fix it)
  10 update made a proposal

Environment:
  PINLOCK_MANIFEST   the manifest (same as -m) [default: pinlock.yml here or in a parent directory]
  PINLOCK_CACHE_DIR  cache directory (same as --cache-dir)
  NO_COLOR           set to anything to turn colour off (unless --color always)
  RUST_LOG           RUST_LOG=debug is -v, RUST_LOG=trace is -vv (detail lines on stderr)";

/// Options every command takes.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Print less: no status lines, no warnings (errors are always printed).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more: -v shows each download, -vv each parsed index (also RUST_LOG=debug/trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Read only the cache, never the network.
    #[arg(long, global = true)]
    pub offline: bool,
    /// Cache directory [default: $XDG_CACHE_HOME/pinlock or ~/.cache/pinlock].
    #[arg(long, global = true, env = "PINLOCK_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not use the cache at all.
    #[arg(long, global = true)]
    pub no_cache: bool,
    /// Credentials for private repositories, in apt's auth.conf format (repeatable).
    #[arg(long, global = true, value_name = "FILE")]
    pub auth_conf: Vec<PathBuf>,
    /// Seconds to wait for a connection.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 10)]
    pub connect_timeout: u64,
    /// Seconds a download may stall before it is retried or fails.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 30)]
    pub read_timeout: u64,
    /// Retries after a 5xx, a reset or a timeout (with exponential backoff).
    #[arg(long, global = true, value_name = "N", default_value_t = 3)]
    pub retries: u32,
    /// When to use colour.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
}

/// `PINLOCK_NOW`: seconds since the epoch standing for the current time (tests, reproducible
/// reports); `None` when unset or not a number.
fn pinlock_now() -> Option<i64> {
    std::env::var("PINLOCK_NOW").ok()?.trim().parse().ok()
}

/// `--color` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every available version of packages, newest first (like `apt-cache madison`).
    #[command(
        after_help = "Examples:\n  pinlock versions docker-ce containerd.io       # sources from ./pinlock.yml\n  pinlock versions docker-ce -m pinlock.yml --json\n  pinlock versions docker-ce \\\n    -s 'deb [arch=amd64 signed-by=docker.asc] https://example.org/debian buster stable'"
    )]
    Versions(VersionsArgs),
    /// Resolve the manifest (pinlock.yml) into the lockfile (pinlock.lock).
    #[command(
        after_help = "Examples:\n  pinlock lock                 # write pinlock.lock from pinlock.yml\n  pinlock lock --check         # CI: fail if pinlock.lock is out of date (same as --locked)\n  pinlock lock --offline       # resolve from the cache only\n  pinlock lock --json          # what was locked, changed and left unresolved"
    )]
    Lock(LockArgs),
    /// Enforce the lockfile on every host the plays reach (generated pinlock/enforce.yml and
    /// hold.yml, imported by each play: apt preferences, holds, preflight), and rewrite apt
    /// tasks to the locked versions with hold tasks.
    #[command(
        after_help = "Examples:\n  pinlock pin                       # the manifest's `playbooks:` (or the current directory)\n  pinlock pin site.yml roles/docker --diff\n  pinlock pin --check               # CI/pre-commit: exit 1 if a file is out of date or a play is not enforced\n  pinlock pin --target buster/amd64 # literal versions of one target\n  pinlock pin --check --json        # files, edits and warnings as JSON"
    )]
    Pin(PinArgs),
    /// Write a starter pinlock.yml from existing playbooks (apt_repository / deb822_repository
    /// tasks and the apt tasks next to them).
    #[command(
        after_help = "Examples:\n  pinlock init site.yml roles/ --target bookworm/amd64 --target jammy/arm64\n  pinlock init --force          # overwrite an existing pinlock.yml\n  pinlock init roles/ --json    # sources, packages, keys and placeholders as JSON"
    )]
    Init(InitArgs),
    /// Show locked packages with newer versions: allowed by the manifest, and overall.
    #[command(
        after_help = "Exit codes: 0 listed (also when outdated); with --check (or --exit-code), 1 when `pinlock update` would propose something, 2 when that cannot be computed (the check was not made) or on error.\n\nExamples:\n  pinlock outdated\n  pinlock outdated --json --check   # exit 1 when something is outdated (same as --exit-code)"
    )]
    Outdated(OutdatedArgs),
    /// Propose upgrades: move packages to the newest allowed versions, write the lockfile or a
    /// commit on a branch, and a pull-request description.
    #[command(
        after_help = "Exit codes: 0 nothing to update; 10 a proposal was made (lockfile written or branch committed); 2 error.\n\nExamples:\n  pinlock update                          # every requested package\n  pinlock update docker-ce --pr-body pr.md\n  pinlock update containerd.io --precise 1.6.20-1\n  pinlock update --commit --pr-body pr.md  # CI: branch pinlock/update-all, working tree untouched"
    )]
    Update(UpdateArgs),
    /// Print a shell completion script (bash, zsh or fish) on stdout.
    #[command(
        after_help = "Examples:\n  source <(pinlock completions bash)                       # try it in this shell\n  pinlock completions bash > ~/.local/share/bash-completion/completions/pinlock\n  pinlock completions zsh > \"${fpath[1]}/_pinlock\"\n  pinlock completions fish > ~/.config/fish/completions/pinlock.fish"
    )]
    Completions(CompletionsArgs),
    /// Write man pages: pinlock.1 on stdout, or with --dir one page per command.
    #[command(
        after_help = "Examples:\n  pinlock man | man -l -\n  pinlock man --dir ~/.local/share/man/man1   # pinlock.1, pinlock-lock.1, ..."
    )]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    pub shell: Shell,
}

/// Shells `pinlock completions` writes scripts for.
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write pinlock.1 and pinlock-COMMAND.1 into this directory (created if missing) instead of
    /// printing pinlock.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VersionsArgs {
    /// Package names.
    #[arg(required = true, value_name = "PKG")]
    pub packages: Vec<String>,
    /// A source in apt's one-line form: "deb [arch=.. signed-by=..] URL SUITE COMPONENT..." (repeatable).
    #[arg(
        long = "source",
        short = 's',
        value_name = "LINE",
        conflicts_with = "manifest"
    )]
    pub sources: Vec<String>,
    /// Take the sources from this manifest [default without --source: $PINLOCK_MANIFEST, else
    /// pinlock.yml in the current directory or the nearest parent, when there is one].
    #[arg(long, short = 'm', value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Print JSON on stdout (shape: docs/json.md).
    #[arg(long)]
    pub json: bool,
}

/// `-m/--manifest` and `--lockfile`, shared by the commands that read both.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// The manifest (sources, packages, targets, `playbooks:`) [default: pinlock.yml in the
    /// current directory or the nearest parent].
    #[arg(
        id = "manifest",
        long = "manifest",
        short = 'm',
        env = "PINLOCK_MANIFEST",
        value_name = "FILE"
    )]
    pub manifest_arg: Option<PathBuf>,
    /// The manifest found ([`ProjectArgs::resolve`]): `-m`, `PINLOCK_MANIFEST`, else the search
    /// upward from the current directory.
    #[arg(skip)]
    pub manifest: PathBuf,
    /// The lockfile [default: pinlock.lock next to the manifest].
    #[arg(long, value_name = "FILE")]
    pub lockfile: Option<PathBuf>,
}

impl ProjectArgs {
    /// Finds the manifest ([`pinlock_core::manifest::discover`]) into `self.manifest`. When
    /// none is found and `required` is false, `self.manifest` is `pinlock.yml` (which does not
    /// exist) and `Ok` is returned.
    pub fn resolve(&mut self, required: bool) -> Result<(), pinlock_core::manifest::ManifestError> {
        use pinlock_core::manifest::{discover, ManifestError, MANIFEST_NAME};
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        match discover(self.manifest_arg.as_deref(), &cwd) {
            Ok(p) => self.manifest = p,
            Err(ManifestError::NotFound { .. }) if !required => {
                self.manifest = PathBuf::from(MANIFEST_NAME)
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// The lockfile path: `--lockfile`, else `pinlock.lock` in `manifest_dir`.
    pub fn lockfile_path(&self, manifest_dir: &std::path::Path) -> PathBuf {
        self.lockfile.clone().unwrap_or_else(|| {
            // `pinlock.lock`, not `./pinlock.lock`: one path convention in messages and JSON
            PathBuf::from(pinlock_core::manifest::display_path(
                &manifest_dir.join("pinlock.lock"),
            ))
        })
    }
}

#[derive(Debug, Args)]
pub struct LockArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Change nothing; exit 1 when the lockfile would change.
    #[arg(long, visible_alias = "check")]
    pub locked: bool,
    /// Accept a source whose Release Date is older than the lockfile's.
    #[arg(long)]
    pub allow_rollback: bool,
    /// Accept a locked version now served with another SHA256.
    #[arg(long)]
    pub allow_rebuilt: bool,
    /// Print what was done as JSON on stdout (shape: docs/json.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    /// Playbooks, task files, role directories, group_vars/host_vars (directories are walked)
    /// [default: the manifest's `playbooks:`, else the manifest's directory].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Change nothing; exit 1 if anything would change or an install is not enforced.
    #[arg(long)]
    pub check: bool,
    /// Print a unified diff of the changes (not with --json: both print on stdout).
    #[arg(long, conflicts_with = "json")]
    pub diff: bool,
    /// Write literal versions of this target (RELEASE/ARCH) even when the lockfile has several.
    #[arg(long, value_name = "RELEASE/ARCH")]
    pub target: Option<String>,
    /// With several targets: where to write the per-host versions file
    /// [default: group_vars/all/pinlock.yml next to the manifest].
    #[arg(long, value_name = "FILE")]
    pub vars_file: Option<PathBuf>,
    /// Where to write the host enforcement task files (enforce.yml, hold.yml) that every play
    /// installing packages imports [default: pinlock/ next to the manifest].
    #[arg(long, value_name = "DIR")]
    pub enforce_dir: Option<PathBuf>,
    /// Print what was done as JSON on stdout (shape: docs/json.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Playbooks, task files and role directories to read [default: the current directory].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Where to write the manifest [env: PINLOCK_MANIFEST, as for the other commands].
    #[arg(
        long,
        short = 'm',
        env = "PINLOCK_MANIFEST",
        hide_env = true,
        default_value = "pinlock.yml",
        value_name = "FILE"
    )]
    pub manifest: PathBuf,
    /// Overwrite an existing manifest.
    #[arg(long)]
    pub force: bool,
    /// A release and architecture the hosts run (repeatable): facts such as
    /// ansible_distribution_release are expanded for them, one source per release.
    #[arg(long = "target", value_name = "RELEASE/ARCH")]
    pub targets: Vec<String>,
    /// Print what was done as JSON on stdout (shape: docs/json.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct OutdatedArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Print JSON on stdout (shape: docs/json.md).
    #[arg(long)]
    pub json: bool,
    /// Exit 1 when something is outdated.
    #[arg(long, visible_alias = "check")]
    pub exit_code: bool,
    /// The current time in seconds since the epoch, from `PINLOCK_NOW` (for tests and
    /// reproducible reports). Not an option: completions and man pages show only what `--help`
    /// shows, and clap's bash completions would list a hidden option.
    #[arg(skip = pinlock_now())]
    pub now: Option<i64>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Packages to update (default: every package in the manifest).
    #[arg(value_name = "PKG")]
    pub packages: Vec<String>,
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Move the one named package to exactly this version.
    #[arg(long, value_name = "VERSION")]
    pub precise: Option<String>,
    /// Write a Markdown pull-request description to FILE.
    #[arg(long, value_name = "FILE")]
    pub pr_body: Option<PathBuf>,
    /// Print the proposal as JSON on stdout (shape: docs/json.md).
    #[arg(long)]
    pub json: bool,
    /// Commit the changes on a branch (HEAD, index and working tree stay untouched).
    #[arg(long)]
    pub commit: bool,
    /// Branch for --commit [default: pinlock/update-<packages>].
    #[arg(long, value_name = "NAME", requires = "commit")]
    pub branch: Option<String>,
    /// Print what would be proposed and write nothing (no lockfile, playbook, seen file, PR
    /// body or commit).
    #[arg(long, conflicts_with_all = ["commit", "pr_body"])]
    pub dry_run: bool,
    /// Accept a source whose Release Date is older than the lockfile's.
    #[arg(long)]
    pub allow_rollback: bool,
    /// The current time in seconds since the epoch, from `PINLOCK_NOW` (for tests and
    /// reproducible reports). Not an option: completions and man pages show only what `--help`
    /// shows, and clap's bash completions would list a hidden option.
    #[arg(skip = pinlock_now())]
    pub now: Option<i64>,
}
