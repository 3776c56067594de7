//! Lockfile safety against repositories that move: minimal churn when a newer snapshot appears
//! at the same URL, refusal of a rollback (older Release Date) and of a locked version rebuilt
//! in place (another SHA256), each unless explicitly allowed. Refusals write nothing.

use std::path::Path;

use pinlock_tests::{
    copy_dir, deb_line, fixture, require_repo_tools, BuiltRepo, Pinlock, Project, RepoBuilder,
    Server,
};

const PKGS: [&str; 3] = ["docker-ce", "docker-ce-cli", "containerd.io"];

/// A project locking [`PKGS`] from `repo` served by `srv` (buster/amd64).
fn project(repo: &BuiltRepo, srv: &Server) -> Project {
    let src = [deb_line(repo, &srv.url(), "amd64", "buster", "stable")];
    Project::new(&src, &PKGS.map(|p| (p, "*")))
}

/// The locked buster/amd64 version of `pkg`.
fn version(proj: &Project, pkg: &str) -> String {
    proj.parsed().targets["buster/amd64"].packages[pkg]
        .version
        .clone()
}

fn build(name: &str) -> BuiltRepo {
    RepoBuilder::new(fixture(name)).build().unwrap()
}

#[test]
fn newer_snapshot_keeps_locked_versions() {
    if !require_repo_tools() {
        return;
    }
    let (old, new) = (build("docker-debian-2023-03"), build("docker-debian"));
    let srv = Server::serve(old.path());
    let proj = project(&old, &srv);
    let pl = Pinlock::new();
    proj.lock(&pl, &[]).success();
    assert_eq!(version(&proj, "docker-ce"), "5:23.0.1-1~debian.10~buster");
    assert_eq!(version(&proj, "containerd.io"), "1.6.18-1");

    let before = proj.bytes();

    srv.set_root(new.path());
    srv.clear_log();
    proj.lock(&pl, &[]).success();
    // the newer snapshot was really read ...
    assert_eq!(srv.requests()[0].status, 200, "{:?}", srv.requests());
    // ... and nothing moved: the pins, and with them the snapshot they were resolved from
    assert_eq!(version(&proj, "docker-ce"), "5:23.0.1-1~debian.10~buster");
    assert_eq!(
        version(&proj, "docker-ce-cli"),
        "5:23.0.1-1~debian.10~buster"
    );
    assert_eq!(version(&proj, "containerd.io"), "1.6.18-1");
    assert_eq!(proj.bytes(), before);
    proj.lock(&pl, &["--locked"]).success();

    // without a previous lockfile the same manifest takes the newest
    std::fs::remove_file(proj.lockfile()).unwrap();
    proj.lock(&pl, &[]).success();
    assert_eq!(version(&proj, "docker-ce"), "5:24.0.2-1~debian.10~buster");
}

#[test]
fn rollback_is_refused_unless_allowed() {
    if !require_repo_tools() {
        return;
    }
    let (old, new) = (build("docker-debian-2023-03"), build("docker-debian"));
    let srv = Server::serve(new.path());
    let proj = project(&new, &srv);
    let pl = Pinlock::new();
    proj.lock(&pl, &[]).success();
    assert_eq!(version(&proj, "docker-ce"), "5:24.0.2-1~debian.10~buster");
    let before = proj.bytes();

    srv.set_root(old.path());
    let run = proj.lock(&pl, &[]);
    run.expect_code(2);
    assert!(run.stderr.contains("--allow-rollback"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&srv.url()),
        "names the source: {}",
        run.stderr
    );
    assert_eq!(proj.bytes(), before, "nothing written");
    proj.lock(&pl, &["--locked"]).expect_code(2);
    assert_eq!(proj.bytes(), before);

    proj.lock(&pl, &["--allow-rollback"]).success();
    // 24.0.2 is gone from the older snapshot: the newest it has
    assert_eq!(version(&proj, "docker-ce"), "5:23.0.1-1~debian.10~buster");
    let text = String::from_utf8(proj.bytes()).unwrap();
    assert!(text.contains("date: Fri, 10 Mar 2023"), "{text}");
}

/// Replaces the SHA256 of the `pkg` `version` stanza in a Packages file; returns the new value.
fn change_sha256(packages: &Path, pkg: &str, version: &str) -> String {
    let text = std::fs::read_to_string(packages).unwrap();
    let mut out = Vec::new();
    let mut new_sum = None;
    for stanza in text.split("\n\n") {
        let hit = stanza.lines().any(|l| l == format!("Package: {pkg}"))
            && stanza.lines().any(|l| l == format!("Version: {version}"));
        if !hit {
            out.push(stanza.to_string());
            continue;
        }
        let lines: Vec<String> = stanza
            .lines()
            .map(|l| match l.strip_prefix("SHA256: ") {
                Some(sum) => {
                    let rebuilt: String = sum.chars().rev().collect();
                    assert_ne!(rebuilt, sum);
                    new_sum = Some(rebuilt.clone());
                    format!("SHA256: {rebuilt}")
                }
                None => l.to_string(),
            })
            .collect();
        out.push(lines.join("\n"));
    }
    std::fs::write(packages, out.join("\n\n")).unwrap();
    new_sum.unwrap_or_else(|| panic!("no {pkg} {version} stanza in {}", packages.display()))
}

#[test]
fn rebuilt_version_is_refused_unless_allowed() {
    if !require_repo_tools() {
        return;
    }
    let repo = build("docker-debian");
    let srv = Server::serve(repo.path());
    let proj = project(&repo, &srv);
    let pl = Pinlock::new();
    proj.lock(&pl, &[]).success();
    let locked = version(&proj, "docker-ce");
    assert_eq!(locked, "5:24.0.2-1~debian.10~buster");
    let before = proj.bytes();

    // Docker rebuilt a version in place: same version, same Release Date, another .deb
    let fx = tempfile::tempdir().unwrap();
    copy_dir(&fixture("docker-debian"), fx.path());
    let new_sum = change_sha256(
        &fx.path().join("buster/stable/amd64.Packages"),
        "docker-ce",
        &locked,
    );
    let rebuilt = RepoBuilder::new(fx.path()).build().unwrap();
    assert_eq!(
        rebuilt
            .release("buster")
            .unwrap()
            .lines()
            .find(|l| l.starts_with("Date:")),
        repo.release("buster")
            .unwrap()
            .lines()
            .find(|l| l.starts_with("Date:"))
    );
    srv.set_root(rebuilt.path());
    // a fresh cache: the harness server answers If-Modified-Since (same Date, so same mtime)
    // with 304 even when If-None-Match differs
    let pl = Pinlock::new();

    let run = proj.lock(&pl, &[]);
    run.expect_code(2);
    assert!(run.stderr.contains("--allow-rebuilt"), "{}", run.stderr);
    assert!(run.stderr.contains("docker-ce"), "{}", run.stderr);
    assert_eq!(proj.bytes(), before, "nothing written");

    proj.lock(&pl, &["--allow-rebuilt"]).success();
    assert_eq!(version(&proj, "docker-ce"), locked);
    let text = String::from_utf8(proj.bytes()).unwrap();
    assert!(text.contains(&format!("sha256: {new_sum}")), "{text}");
}

#[test]
fn offline_lock_from_the_cache_is_identical() {
    if !require_repo_tools() {
        return;
    }
    let repo = build("docker-debian");
    let srv = Server::serve(repo.path());
    let proj = project(&repo, &srv);
    let pl = Pinlock::new();
    proj.lock(&pl, &[]).success();
    let online = proj.bytes();
    drop(srv);
    std::fs::remove_file(proj.lockfile()).unwrap();
    let run = proj.lock(&pl, &["--offline"]);
    run.success();
    assert_eq!(proj.bytes(), online);
    proj.lock(&pl, &["--offline", "--locked"]).success();
    // a fresh cache cannot lock offline, and says how to fix it
    std::fs::remove_file(proj.lockfile()).unwrap();
    let run = proj.lock(&Pinlock::new(), &["--offline"]);
    run.expect_code(2);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    assert!(!proj.lockfile().exists());
}
