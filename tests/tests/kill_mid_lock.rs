//! SIGKILL in the middle of `pinlock lock` (reading a served repository, resolving, writing the
//! lockfile, filling the cache) and of `pinlock update --commit` (hashing objects into git,
//! writing a commit and moving a branch), at seeded pseudo-random delays over a whole run:
//!
//! - `lock`: the lockfile is always the old or the new one, never half-written; the only other
//!   thing a kill may leave next to it is an unread `.pinlock.lock.XXXX.tmp`; a rerun with the
//!   same (possibly interrupted) cache completes and writes exactly the new lockfile.
//! - `update --commit`: HEAD, the checked-out branch, the index and the working tree are
//!   untouched; the proposal branch is absent or points at the complete proposal; `git fsck`
//!   finds the repository intact; a rerun completes with the same proposal.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pinlock_tests::{
    fixture, git, git_init_commit, pinlock_bin, require_tool, RepoBuilder, Server,
};

/// xorshift: a seeded, reproducible delay sequence.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn pinlock(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(pinlock_bin());
    c.arg("--cache-dir")
        .arg(dir.join(".cache"))
        .args(["-q", "--color", "never"])
        .args(args)
        .current_dir(dir)
        .env_remove("PINLOCK_CACHE_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn run_ok(dir: &Path, args: &[&str], code: i32) {
    let out = pinlock(dir, args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "pinlock {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Spawns, sleeps up to `full_ms` (seeded), SIGKILLs if still running; true if it was killed.
fn kill_somewhere(mut cmd: Command, seed: &mut u64, full_ms: u64) -> bool {
    let mut child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(next(seed) % full_ms));
    let killed = child.try_wait().unwrap().is_none();
    if killed {
        child.kill().unwrap(); // SIGKILL
    }
    child.wait().unwrap();
    killed
}

fn manifest(url: &str, key: &Path, packages: &str) -> String {
    format!(
        "sources:\n  - \"deb [arch=amd64 signed-by={}] {url} buster stable\"\npackages:\n{packages}",
        key.display()
    )
}

#[test]
fn sigkill_during_lock_leaves_the_old_or_the_new_lockfile() {
    if !(require_tool("gpg") && require_tool("gpgconf")) {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(repo.path());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lockfile = d.join("pinlock.lock");
    let write_manifest = |packages: &str| {
        std::fs::write(
            d.join("pinlock.yml"),
            manifest(&srv.url(), &repo.key_asc, packages),
        )
        .unwrap()
    };
    // old: containerd.io only; new: with docker-ce and its siblings
    write_manifest("  containerd.io: \"*\"\n");
    run_ok(d, &["lock"], 0);
    let old = std::fs::read(&lockfile).unwrap();
    write_manifest("  containerd.io: \"*\"\n  docker-ce: \"*\"\n  docker-ce-cli: \"*\"\n");
    let t0 = Instant::now();
    run_ok(d, &["lock"], 0);
    let full_ms = (t0.elapsed().as_millis() as u64).max(2);
    let new = std::fs::read(&lockfile).unwrap();
    assert_ne!(old, new);
    assert!(String::from_utf8_lossy(&new).contains("docker-ce-cli"));

    let mut seed = 0x10c4_u64;
    let (mut killed, mut left_old, mut left_new) = (0, 0, 0);
    for round in 0..25 {
        std::fs::write(&lockfile, &old).unwrap();
        // a fresh cache every fifth round, so kills also land in the downloads
        if round % 5 == 0 {
            let _ = std::fs::remove_dir_all(d.join(".cache"));
        }
        if kill_somewhere(pinlock(d, &["lock"]), &mut seed, full_ms * 3 / 2) {
            killed += 1;
        }
        let got = std::fs::read(&lockfile).unwrap();
        if got == old {
            left_old += 1;
        } else if got == new {
            left_new += 1;
        } else {
            panic!(
                "round {round}: pinlock.lock is half-written:\n{}",
                String::from_utf8_lossy(&got)
            );
        }
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(
                matches!(name.as_str(), "pinlock.yml" | "pinlock.lock" | ".cache")
                    || (name.starts_with(".pinlock.lock.") && name.ends_with(".tmp")),
                "round {round}: unexpected {name} next to the lockfile"
            );
        }
        // a rerun with whatever the kill left in the cache completes
        run_ok(d, &["lock"], 0);
        assert_eq!(
            std::fs::read(&lockfile).unwrap(),
            new,
            "round {round}: lockfile after rerun"
        );
    }
    eprintln!(
        "25 rounds (full run {full_ms} ms): {killed} killed while running; old left {left_old}, new {left_new}"
    );
    assert!(
        killed > 0,
        "no run was interrupted: the delays are too long"
    );
}

fn branch_tip(dir: &Path, branch: &str) -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--verify", "--quiet"])
        .arg(format!("refs/heads/{branch}"))
        .current_dir(dir)
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn sigkill_during_update_commit_leaves_the_branch_absent_or_complete() {
    if !(require_tool("gpg") && require_tool("gpgconf") && require_tool("git")) {
        return;
    }
    // locked against the March snapshot; the June one is then served: docker-ce can move
    let old = RepoBuilder::new(fixture("docker-debian-2023-03"))
        .build()
        .unwrap();
    let new = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(old.path());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("pinlock.yml"),
        manifest(&srv.url(), &old.key_asc, "  docker-ce: \"*\"\n"),
    )
    .unwrap();
    std::fs::write(
        d.join("site.yml"),
        "- hosts: all\n  tasks:\n    - apt:\n        name: docker-ce\n        state: latest\n",
    )
    .unwrap();
    run_ok(d, &["lock"], 0);
    run_ok(d, &["pin", "--offline", "site.yml"], 0);
    std::fs::write(d.join(".gitignore"), ".cache/\n").unwrap();
    git_init_commit(d);
    srv.set_root(new.path());
    let head = git(d, &["rev-parse", "HEAD"]);
    let branch = "pinlock/update-docker-ce";
    let args = ["update", "docker-ce", "--commit"];

    // the complete proposal, from one uninterrupted run
    let t0 = Instant::now();
    run_ok(d, &args, 10);
    let full_ms = (t0.elapsed().as_millis() as u64).max(2);
    let tip = branch_tip(d, branch).expect("branch made");
    let want_tree = git(d, &["rev-parse", &format!("{tip}^{{tree}}")]);
    assert_eq!(git(d, &["rev-parse", &format!("{tip}^")]), head);

    let mut seed = 0xc0_771_u64;
    let (mut killed, mut absent) = (0, 0);
    for round in 0..20 {
        git(d, &["update-ref", "-d", &format!("refs/heads/{branch}")]);
        if kill_somewhere(pinlock(d, &args), &mut seed, full_ms * 3 / 2) {
            killed += 1;
        }
        // git children of a killed pinlock may still be finishing their step
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(git(d, &["rev-parse", "HEAD"]), head, "round {round}: HEAD");
        assert_eq!(git(d, &["symbolic-ref", "--short", "HEAD"]), "main");
        assert_eq!(git(d, &["status", "--porcelain"]), "", "round {round}");
        match branch_tip(d, branch) {
            None => absent += 1,
            Some(t) => {
                assert_eq!(
                    git(d, &["rev-parse", &format!("{t}^{{tree}}")]),
                    want_tree,
                    "round {round}: the branch points at an incomplete proposal"
                );
                assert_eq!(git(d, &["rev-parse", &format!("{t}^")]), head);
            }
        }
        git(d, &["fsck", "--no-dangling", "--no-progress"]);
        // a rerun completes with the same proposal
        run_ok(d, &args, 10);
        let t = branch_tip(d, branch).expect("rerun made the branch");
        assert_eq!(git(d, &["rev-parse", &format!("{t}^{{tree}}")]), want_tree);
    }
    eprintln!(
        "20 rounds (full run {full_ms} ms): {killed} killed while running, branch absent after {absent}"
    );
    assert!(
        killed > 0,
        "no run was interrupted: the delays are too long"
    );
}
