//! Progress bars: drawn on stderr when it is a terminal (run under util-linux `script`, which
//! gives the child a pseudo-terminal), never in a pipe and never with `-q`.

use std::path::Path;
use std::process::Command;

use pinlock_tests::{pinlock_bin, require_tool, Server};

fn example() -> std::path::PathBuf {
    pinlock_tests::example_dir("docker-buster")
}

/// A project directory whose manifest reads the bundled example repository over HTTP.
fn project(dir: &Path, url: &str) {
    std::fs::copy(example().join("keys/test-repo.asc"), dir.join("key.asc")).unwrap();
    std::fs::write(
        dir.join("pinlock.yml"),
        format!(
            "sources:\n  - \"deb [arch=amd64 signed-by=key.asc] {url} buster stable\"\npackages:\n  docker-ce: \"^20.10\"\n"
        ),
    )
    .unwrap();
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Runs `pinlock ARGS` in `dir` inside a pseudo-terminal; returns what the terminal showed.
fn in_pty(dir: &Path, args: &str) -> String {
    let cmd = format!(
        "cd {} && {} --cache-dir cache {args}",
        shell_quote(dir.to_str().unwrap()),
        shell_quote(pinlock_bin().to_str().unwrap())
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env("COLUMNS", "120")
        .output()
        .expect("run script");
    assert!(
        out.status.success(),
        "`script -qec {cmd}` failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn has_bar(text: &str) -> bool {
    text.contains('\r') && text.contains("Downloading") && text.contains("] ")
}

#[test]
fn progress_is_drawn_in_a_terminal_only() {
    if !require_tool("script") || !require_tool("sh") {
        return;
    }
    let srv = Server::serve(example().join("repo"));
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), &srv.url());

    // In a pseudo-terminal: the bar is drawn (carriage returns, the template) and cleared
    // before the status lines.
    let tty = in_pty(dir.path(), "lock");
    assert!(has_bar(&tty), "no progress drawing in a terminal:\n{tty:?}");
    assert!(tty.contains("Locked"), "{tty:?}");
    assert!(
        tty.contains("\x1b[2K"),
        "the bar is never cleared:\n{tty:?}"
    );

    // -q in a terminal: no bar.
    std::fs::remove_dir_all(dir.path().join("cache")).unwrap();
    let quiet = in_pty(dir.path(), "-q lock");
    assert!(!quiet.contains('\r') || !has_bar(&quiet), "{quiet:?}");
    assert!(
        !quiet.contains("Downloading"),
        "-q drew progress:\n{quiet:?}"
    );

    // The same command in a pipe: nothing of the sort.
    std::fs::remove_dir_all(dir.path().join("cache")).unwrap();
    let out = Command::new(pinlock_bin())
        .current_dir(dir.path())
        .args(["--cache-dir", "cache", "lock"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Locked"), "{stderr}");
    assert!(
        !stderr.contains('\r') && !stderr.contains("Downloading") && !stderr.contains('\x1b'),
        "progress drawing in a pipe:\n{stderr:?}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn rust_log_debug_shows_the_downloads_like_v() {
    let srv = Server::serve(example().join("repo"));
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), &srv.url());
    let run = |env: Option<&str>, args: &[&str]| {
        let mut c = Command::new(pinlock_bin());
        c.current_dir(dir.path()).env_remove("RUST_LOG");
        if let Some(v) = env {
            c.env("RUST_LOG", v);
        }
        let out = c.args(["--no-cache"]).args(args).output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let plain = run(None, &["lock"]);
    assert!(!plain.contains("Downloaded"), "{plain}");
    let v = run(None, &["-v", "lock"]);
    assert!(v.contains("Downloaded") && v.contains("InRelease"), "{v}");
    let log = run(Some("debug"), &["lock"]);
    assert!(
        log.contains("Downloaded") && !log.contains("Parsed"),
        "{log}"
    );
    let trace = run(Some("pinlock=trace"), &["lock"]);
    assert!(trace.contains("Parsed"), "{trace}");
    let other = run(Some("hyper=trace"), &["lock"]);
    assert!(!other.contains("Downloaded"), "{other}");
}
