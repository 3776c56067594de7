//! [`Pinlock`]: runs the built `pinlock` binary as a user would, with its own cache directory,
//! and captures what it printed ([`PinlockRun`]).
//!
//! The binary is built with `cargo build -p pinlock-cli` (same profile as the test executable;
//! once per test process, a no-op when up to date) and found next to the test executable
//! (`target/<profile>/pinlock`, the test executable being `target/<profile>/deps/<name>-<hash>`),
//! unless `$PINLOCK_BIN` names one. Right after the build it is hard-linked (copied if that
//! fails) to `target/<profile>/pinlock-e2e/<pid>`, and that private copy is what runs: a target
//! directory shared by several checkouts may get another checkout's `pinlock` at any time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Environment variables that would change what the child does (proxies for the loopback
/// server, a user cache dir, colours): removed from every run.
const SCRUBBED_ENV: &[&str] = &[
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "PINLOCK_CACHE_DIR",
    "PINLOCK_MANIFEST",
    "CLICOLOR_FORCE",
];

/// Path of the `pinlock` binary to run (see the module docs). Panics with cargo's output when
/// it cannot be built.
pub fn pinlock_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("PINLOCK_BIN") {
            return PathBuf::from(p);
        }
        let exe = std::env::current_exe().expect("path of the test executable");
        // target/<profile>/deps/<test> -> target/<profile>
        let profile_dir = exe
            .parent()
            .and_then(|d| {
                if d.ends_with("deps") {
                    d.parent()
                } else {
                    Some(d)
                }
            })
            .expect("test executable has a parent directory")
            .to_path_buf();
        build(&profile_dir);
        let bin = profile_dir.join("pinlock");
        assert!(
            bin.is_file(),
            "`cargo build -p pinlock-cli` did not produce {}",
            bin.display()
        );
        private_copy(&bin, &profile_dir.join("pinlock-e2e"))
    })
}

/// Hard-links (or copies) `bin` to `dir/<pid>`, removing the copies of processes that ended.
fn private_copy(bin: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("create the private binary directory");
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !Path::new("/proc").join(&name).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let own = dir.join(std::process::id().to_string());
    let _ = std::fs::remove_file(&own);
    if std::fs::hard_link(bin, &own).is_err() {
        std::fs::copy(bin, &own).expect("copy the pinlock binary");
    }
    own
}

fn build(profile_dir: &Path) {
    let root = crate::testdata_dir().parent().unwrap().to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = profile_dir.parent().expect("target directory");
    let profile = profile_dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let mut cmd = Command::new(cargo);
    // `cargo test` gives the test process CARGO_PKG_*, CARGO_MANIFEST_DIR, OUT_DIR, ... which
    // build scripts of dependencies watch: passed on, they would make this build and the next
    // `cargo build` rebuild half the dependency tree each time (~40 s)
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        let cargo_set = (k.starts_with("CARGO_") && k != "CARGO_HOME")
            || k.starts_with("__CARGO")
            || k == "OUT_DIR"
            || k == "LD_LIBRARY_PATH";
        if cargo_set {
            cmd.env_remove(&key);
        }
    }
    cmd.current_dir(&root)
        .args(["build", "-q", "-p", "pinlock-cli"])
        .env("CARGO_TARGET_DIR", target_dir);
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    let out = cmd.output().expect("run cargo build -p pinlock-cli");
    assert!(
        out.status.success(),
        "cargo build -p pinlock-cli failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What one run of `pinlock` printed and returned.
#[derive(Debug, Clone)]
pub struct PinlockRun {
    /// The arguments after the injected `--cache-dir DIR` (for messages).
    pub args: Vec<String>,
    /// Standard output (lossy UTF-8).
    pub stdout: String,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
    /// The exit code; -1 when killed by a signal.
    pub code: i32,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl PinlockRun {
    /// Panics (showing both streams) unless the exit code is `code`; returns `self`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "pinlock {:?} exited with {} (expected {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.args, self.code, self.stdout, self.stderr
        );
        self
    }

    /// Panics unless the run succeeded (exit 0); returns `self`.
    #[track_caller]
    pub fn success(&self) -> &Self {
        self.expect_code(0)
    }

    /// Parses stdout as JSON (panics with the text when it is not).
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Runs `pinlock` with an isolated cache directory (a temp dir, removed on drop, unless given
/// with [`Pinlock::with_cache_dir`]) and a scrubbed environment (no proxies, no
/// `PINLOCK_CACHE_DIR`, `HOME`/`XDG_CACHE_HOME` pointing into the temp dir, `NO_COLOR=1`).
#[derive(Debug)]
pub struct Pinlock {
    home: tempfile::TempDir,
    cache_dir: PathBuf,
    cwd: Option<PathBuf>,
    env: Vec<(String, String)>,
}

impl Default for Pinlock {
    fn default() -> Self {
        Self::new()
    }
}

impl Pinlock {
    /// A runner with a fresh, empty cache directory.
    pub fn new() -> Pinlock {
        let home = tempfile::Builder::new()
            .prefix("pinlock-run-")
            .tempdir()
            .expect("temp dir for pinlock's cache");
        let cache_dir = home.path().join("cache");
        Pinlock {
            home,
            cache_dir,
            cwd: None,
            env: Vec::new(),
        }
    }

    /// A runner using `dir` as its cache directory (e.g. shared between two runners).
    pub fn with_cache_dir(dir: impl Into<PathBuf>) -> Pinlock {
        let mut p = Pinlock::new();
        p.cache_dir = dir.into();
        p
    }

    /// Runs in `dir` instead of the test's current directory.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Pinlock {
        self.cwd = Some(dir.into());
        self
    }

    /// Sets `key=value` in the environment of every run (after the scrubbing).
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Pinlock {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// The cache directory passed as `--cache-dir`.
    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    /// The temp dir used as `HOME` (the cache dir is `cache/` inside it by default).
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Runs `pinlock --cache-dir <cache> ARGS...` to completion and captures its output.
    /// Panics only when the binary cannot be started.
    pub fn run<S: AsRef<str>>(&self, args: &[S]) -> PinlockRun {
        let args: Vec<String> = args.iter().map(|a| a.as_ref().to_string()).collect();
        let mut cmd = Command::new(pinlock_bin());
        cmd.arg("--cache-dir").arg(&self.cache_dir).args(&args);
        for k in SCRUBBED_ENV {
            cmd.env_remove(k);
        }
        cmd.env("HOME", self.home.path())
            .env("XDG_CACHE_HOME", self.home.path().join("xdg-cache"))
            .env("NO_COLOR", "1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(d) = &self.cwd {
            cmd.current_dir(d);
        }
        let start = Instant::now();
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", pinlock_bin().display()));
        PinlockRun {
            args,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
            elapsed: start.elapsed(),
        }
    }
}

/// Every command `pinlock --help` lists, `help` aside (read from the help itself, so a test
/// over them covers a new command too).
pub fn commands(p: &Pinlock) -> Vec<String> {
    let top = p.run(&["--help"]);
    top.success();
    let mut names = Vec::new();
    let mut in_commands = false;
    for line in top.stdout.lines() {
        if line == "Commands:" {
            in_commands = true;
            continue;
        }
        if in_commands {
            if !line.starts_with("  ") {
                break;
            }
            // Continuation lines of a wrapped description are indented further.
            if line.starts_with("   ") {
                continue;
            }
            let name = line.split_whitespace().next().unwrap().to_string();
            if name != "help" {
                names.push(name);
            }
        }
    }
    names
}

/// The `--long` option words of `text` (letters, digits and dashes after `--`, starting with a
/// letter): what a help text, a README usage line or a completion script offers.
pub fn long_options(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("--") {
        let word: String = rest[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if word.len() > 1 && word.chars().next().unwrap().is_ascii_alphabetic() {
            out.push(format!("--{word}"));
        }
        rest = &rest[i + 2..];
    }
    out
}

/// Replaces each `(from, to)` in `text`, longest `from` first (so a temp dir is replaced before
/// a prefix of it): makes outputs with ports and temp paths snapshot-stable.
pub fn redact(text: &str, pairs: &[(&str, &str)]) -> String {
    let mut pairs: Vec<&(&str, &str)> = pairs.iter().filter(|(f, _)| !f.is_empty()).collect();
    pairs.sort_by_key(|(f, _)| std::cmp::Reverse(f.len()));
    let mut out = text.to_string();
    for (from, to) in pairs {
        out = out.replace(from, to);
    }
    out
}
