//! [`run_measured`]: run a child process to completion and read its peak resident memory from
//! the kernel (`wait4(2)`'s `rusage`), with no external `time` tool.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// What [`run_measured`] saw.
#[derive(Debug)]
pub struct Measured {
    /// How the child ended.
    pub status: ExitStatus,
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// Its standard error.
    pub stderr: Vec<u8>,
    /// Peak resident set size in KiB (`ru_maxrss`; the child alone, not its own children).
    pub max_rss_kb: u64,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
}

impl Measured {
    /// Peak resident set size in MiB.
    pub fn max_rss_mb(&self) -> u64 {
        self.max_rss_kb / 1024
    }
}

/// Runs `cmd` (stdin null, stdout and stderr captured) and reaps it with `wait4`, which
/// returns the child's own resource usage. Returns an I/O error when it cannot be spawned or
/// waited for.
pub fn run_measured(cmd: &mut Command) -> std::io::Result<Measured> {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct, and wait4 only writes
    // into the two out-pointers, which point at live locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = loop {
        // SAFETY: see above; `pid` is our own unreaped child (std never waits on it: `child`
        // is not waited for or killed after this).
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    let elapsed = start.elapsed();
    if reaped != pid {
        return Err(std::io::Error::last_os_error());
    }
    drop(child);
    Ok(Measured {
        status: ExitStatus::from_raw(status),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        max_rss_kb: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        elapsed,
    })
}
