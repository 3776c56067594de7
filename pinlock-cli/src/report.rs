//! Status and error output on stderr. Data goes to stdout, everything else here.

use std::io::{IsTerminal, Write};

use crate::cli::{ColorChoice, Global};

/// Prints status lines, warnings and errors to stderr.
pub struct Reporter {
    quiet: bool,
    verbose: u8,
    color: bool,
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
        Reporter {
            quiet: g.quiet,
            verbose: g.verbose,
            color,
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
            let _ = writeln!(
                std::io::stderr(),
                "{} {msg}",
                self.paint("1;32", &format!("{verb:>12}"))
            );
        }
    }

    /// Detail shown with -v.
    pub fn verbose(&self, level: u8, msg: impl std::fmt::Display) {
        if self.verbose >= level && !self.quiet {
            let _ = writeln!(
                std::io::stderr(),
                "{} {msg}",
                self.paint("2", &format!("{:>12}", ""))
            );
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
        let _ = std::io::stderr().write_all(text.as_bytes());
    }

    /// An error with its causes, then its hints after a blank line. A cause whose text the
    /// previous message already contains is not repeated.
    pub fn error(&self, err: &anyhow::Error) {
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
        let _ = std::io::stderr().write_all(out.as_bytes());
    }
}
