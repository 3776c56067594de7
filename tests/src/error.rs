//! The harness's error type.

use std::path::PathBuf;

/// What went wrong while building, serving or querying a test repository or test host.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// Reading or writing a file failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done (`read`, `write`, `create directory`, ...).
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A fixture directory is malformed (no indexes, bad Release.in line, bad date, ...).
    #[error("bad fixture {path}: {reason}")]
    Fixture {
        /// The fixture file or directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An external tool (gpg, apt-get, apt-cache) could not be run or failed.
    #[error("{tool} failed: {detail}\nhint: run scripts/install-test-deps (as root) to install the test tools")]
    Tool {
        /// The program name.
        tool: String,
        /// Exit status and stderr, or the spawn error.
        detail: String,
    },
    /// An apt command ran but failed (e.g. `apt-get install --simulate` could not resolve).
    #[error("{command} failed with {status}:\n{output}")]
    AptCommand {
        /// The command line, e.g. `apt-get install --simulate docker-ce=1`.
        command: String,
        /// The exit status.
        status: std::process::ExitStatus,
        /// apt's stdout and stderr.
        output: String,
    },
    /// A command run inside a test host ([`crate::Host`]) failed.
    #[error("`{command}` in the test host failed with {status}:\n{output}")]
    HostCommand {
        /// The command line as run inside the chroot.
        command: String,
        /// The exit status.
        status: std::process::ExitStatus,
        /// Its stdout and stderr.
        output: String,
    },
    /// apt rejected the repository: `apt-get update --error-on=any` failed.
    #[error("apt rejected the repository:\n{}", lines.join("\n"))]
    AptRejected {
        /// apt's `E:`, `W:` and `Err:` lines (with their indented continuation lines).
        lines: Vec<String>,
        /// The complete output of `apt-get update`.
        log: String,
    },
    /// This machine cannot run the test at all (not root, no mirror reachable, no debootstrap):
    /// the test should be skipped with this reason, or fail when `CI=true` (see
    /// [`crate::skip_or_fail`]).
    #[error("unavailable here: {reason}")]
    Unavailable {
        /// Why, in one line, with what to do about it.
        reason: String,
    },
}

impl HarnessError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        HarnessError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Returns apt's E:/W:/Err: lines when this is [`HarnessError::AptRejected`], else an empty slice.
    pub fn apt_lines(&self) -> &[String] {
        match self {
            HarnessError::AptRejected { lines, .. } => lines,
            _ => &[],
        }
    }
}

/// Result alias used throughout the harness.
pub type Result<T, E = HarnessError> = std::result::Result<T, E>;
