//! Status and error output on stderr. Data goes to stdout, everything else here.
//!
//! While repositories are read, a progress bar (indicatif) is drawn on stderr, only when stderr
//! is a terminal and `-q` is not given; every line printed meanwhile goes above it. Detail
//! lines come with `-v`/`-vv`, or with `RUST_LOG=debug`/`RUST_LOG=trace` (see [`log_level`]).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{ColorChoice, Global};

/// Prints status lines, warnings and errors to stderr.
pub struct Reporter {
    quiet: bool,
    verbose: u8,
    color: bool,
    /// Whether progress bars may be drawn (stderr is a terminal, not `-q`).
    progress_enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
}

/// The detail level asked for by `RUST_LOG`: 2 for `trace`, 1 for `debug`, else 0. A
/// directive counts when it has no target (`debug`) or targets pinlock (`pinlock=debug`,
/// `pinlock_core=trace`). pinlock has no log framework: this raises the `-v` level.
pub fn log_level(rust_log: Option<&str>) -> u8 {
    let Some(spec) = rust_log else { return 0 };
    spec.split(',')
        .filter_map(|d| {
            let d = d.trim();
            match d.split_once('=') {
                Some((target, level)) if target.starts_with("pinlock") => Some(level),
                Some(_) => None,
                None => Some(d),
            }
        })
        .map(|level| match level.to_ascii_lowercase().as_str() {
            "trace" => 2,
            "debug" => 1,
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

impl Reporter {
    pub fn new(g: &Global) -> Reporter {
        let color = match g.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stderr().is_terminal()
            }
        };
        let verbose = g
            .verbose
            .max(log_level(std::env::var("RUST_LOG").ok().as_deref()));
        Reporter {
            quiet: g.quiet,
            verbose,
            color,
            progress_enabled: !g.quiet && std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
        }
    }

    /// The detail level: `-v` count, raised by `RUST_LOG`.
    pub fn verbosity(&self) -> u8 {
        self.verbose
    }

    /// Whether `-q` was given.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Starts (or keeps) the progress bar for reading repositories; a no-op unless stderr is a
    /// terminal and not `-q`.
    pub fn progress_start(&self) {
        if !self.progress_enabled {
            return;
        }
        let mut bar = self.bar.lock().unwrap();
        if bar.is_some() {
            return;
        }
        let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template(if self.color {
                "{spinner:.green} {prefix:>11.cyan.bold} [{bar:25.cyan/blue}] {pos}/{len} {wide_msg}"
            } else {
                "{spinner} {prefix:>11} [{bar:25}] {pos}/{len} {wide_msg}"
            })
            .expect("valid progress template")
            .progress_chars("=> "),
        );
        pb.set_prefix("Reading");
        pb.enable_steady_tick(Duration::from_millis(100));
        *bar = Some(pb);
    }

    /// The progress bar being drawn, if any (a cheap handle to the same bar).
    pub fn progress_bar(&self) -> Option<ProgressBar> {
        self.bar.lock().unwrap().clone()
    }

    /// Removes the progress bar (before the results are printed).
    pub fn progress_finish(&self) {
        if let Some(pb) = self.bar.lock().unwrap().take() {
            pb.finish_and_clear();
        }
    }

    /// Writes `text` to stderr above the progress bar (if one is drawn).
    fn emit(&self, text: &str) {
        let bar = self.bar.lock().unwrap();
        match bar.as_ref() {
            Some(pb) => pb.suspend(|| {
                let _ = std::io::stderr().write_all(text.as_bytes());
            }),
            None => {
                let _ = std::io::stderr().write_all(text.as_bytes());
            }
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// A cargo-like status line: a right-aligned verb and a message.
    pub fn status(&self, verb: &str, msg: impl std::fmt::Display) {
        if !self.quiet {
            self.emit(&format!(
                "{} {msg}\n",
                self.paint("1;32", &format!("{verb:>12}"))
            ));
        }
    }

    /// Detail shown with -v.
    pub fn verbose(&self, level: u8, msg: impl std::fmt::Display) {
        if self.verbose >= level && !self.quiet {
            self.emit(&format!(
                "{} {msg}\n",
                self.paint("2", &format!("{:>12}", ""))
            ));
        }
    }

    /// A warning.
    pub fn warn(&self, msg: impl std::fmt::Display) {
        if self.quiet {
            return;
        }
        let msg = msg.to_string();
        let mut text = String::new();
        for (i, line) in msg.lines().enumerate() {
            if let Some(h) = line.strip_prefix("hint: ") {
                text.push_str(&format!("{}: {h}\n", self.paint("1;36", "hint")));
            } else if i == 0 {
                text.push_str(&format!("{}: {line}\n", self.paint("1;33", "warning")));
            } else {
                text.push_str(&format!("  {line}\n"));
            }
        }
        self.emit(&text);
    }

    /// An error with its causes, then its hints after a blank line. A cause whose text the
    /// previous message already contains is not repeated.
    pub fn error(&self, err: &anyhow::Error) {
        self.progress_finish();
        let mut out = String::new();
        let mut hints: Vec<String> = Vec::new();
        let mut shown: Vec<String> = Vec::new();
        for (i, cause) in err.chain().enumerate() {
            let text = cause.to_string();
            let mut body = Vec::new();
            for line in text.lines() {
                match line.strip_prefix("hint: ") {
                    Some(h) if !hints.iter().any(|x| x == h) => hints.push(h.to_string()),
                    Some(_) => {}
                    None => body.push(line),
                }
            }
            let Some(first) = body.first() else { continue };
            if shown.iter().any(|s| s.contains(first)) {
                continue;
            }
            if i == 0 {
                out.push_str(&format!("{}: {first}\n", self.paint("1;31", "error")));
            } else {
                out.push_str(&format!("  caused by: {first}\n"));
            }
            for l in &body[1..] {
                out.push_str(&format!("  {l}\n"));
            }
            shown.push(text);
        }
        if !hints.is_empty() {
            out.push('\n');
            for h in hints {
                out.push_str(&format!("{}: {h}\n", self.paint("1;36", "hint")));
            }
        }
        self.emit(&out);
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.progress_finish();
    }
}
