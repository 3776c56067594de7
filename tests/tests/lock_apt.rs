//! `pinlock lock` agrees with apt: the locked versions are apt's candidates (or what
//! `apt-get install --simulate NAME=VER` installs for constrained packages), siblings of one
//! source move together, missing dependencies are listed under `unresolved`, and a re-run is
//! byte-identical and leaves the file untouched (`--locked` exits 0).

use std::path::Path;

use pinlock_core::lockfile::{LockedTarget, Lockfile};
use pinlock_tests::{
    deb_line, fixture, redact, require_apt_tools, require_repo_tools, AptSandbox, BuiltRepo,
    Pinlock, Project, RepoBuilder, Server,
};

const PKGS: [&str; 3] = ["docker-ce", "docker-ce-cli", "containerd.io"];

fn target<'a>(lock: &'a Lockfile, name: &str) -> &'a LockedTarget {
    lock.targets
        .get(name)
        .unwrap_or_else(|| panic!("no target {name} in {:?}", lock.targets.keys()))
}

fn updated(sources: &[String], arch: &str) -> AptSandbox {
    let apt = AptSandbox::new(sources, &[arch]).unwrap();
    apt.update().unwrap();
    apt
}

fn mtime(p: &Path) -> std::time::SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

#[test]
fn done_when_docker_buster_amd64() {
    if !require_apt_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(repo.path());
    let src = [deb_line(&repo, &srv.url(), "amd64", "buster", "stable")];
    let proj = Project::new(&src, &PKGS.map(|p| (p, "*")));
    let pl = Pinlock::new();
    let run = proj.lock(&pl, &[]);
    run.success();
    assert!(run.stderr.contains("apparmor"), "reported: {}", run.stderr);

    let lock = proj.parsed();
    let t = target(&lock, "buster/amd64");
    let apt = updated(&src, "amd64");
    for p in PKGS {
        let cand = apt.candidate(p).unwrap().expect("apt has a candidate");
        assert_eq!(t.packages[p].version, cand, "{p}: pinlock vs apt candidate");
        assert_eq!(t.packages[p].requested.as_deref(), Some("*"));
    }
    assert_eq!(
        t.packages["docker-ce-cli"].version,
        t.packages["docker-ce"].version
    );
    let apparmor = t
        .unresolved
        .get("apparmor")
        .expect("apparmor under unresolved");
    assert_eq!(apparmor.kind, "recommends");
    assert!(apparmor.required_by.contains(&"docker-ce".to_string()));
    // with only Docker's repository, iptables (a Depends) cannot be locked either: listed
    assert_eq!(t.unresolved["iptables"].kind, "depends");

    // second run: byte-identical and not rewritten
    let before = std::fs::read(proj.lockfile()).unwrap();
    let t0 = mtime(&proj.lockfile());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    proj.lock(&pl, &[]).success();
    assert_eq!(std::fs::read(proj.lockfile()).unwrap(), before);
    assert_eq!(mtime(&proj.lockfile()), t0, "lockfile rewritten");
    // a fresh cache gives the same bytes
    proj.lock(&Pinlock::new(), &[]).success();
    assert_eq!(std::fs::read(proj.lockfile()).unwrap(), before);
    proj.lock(&pl, &["--locked"]).success();

    let text = String::from_utf8(before).unwrap();
    insta::assert_snapshot!(
        "docker_buster_amd64_lockfile",
        redact(&text, &[(&srv.url(), "http://[SERVER]")])
    );
}

#[test]
fn locked_detects_a_changed_manifest() {
    if !require_repo_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(repo.path());
    let src = [deb_line(&repo, &srv.url(), "amd64", "buster", "stable")];
    let proj = Project::new(&src, &PKGS.map(|p| (p, "*")));
    let pl = Pinlock::new();
    proj.lock(&pl, &[]).success();
    let before = std::fs::read(proj.lockfile()).unwrap();
    // ask for an older docker-ce: --locked says what would change and writes nothing
    let text = std::fs::read_to_string(proj.manifest())
        .unwrap()
        .replace("docker-ce: \"*\"", "docker-ce: \"^23.0\"");
    std::fs::write(proj.manifest(), text).unwrap();
    let run = proj.lock(&pl, &["--locked"]);
    run.expect_code(1);
    assert!(run.stderr.contains("docker-ce"), "{}", run.stderr);
    assert!(run.stderr.contains("pinlock lock"), "{}", run.stderr);
    assert_eq!(std::fs::read(proj.lockfile()).unwrap(), before);
    // and a real lock applies it
    proj.lock(&pl, &[]).success();
    let t = proj.parsed();
    let t = target(&t, "buster/amd64");
    assert_eq!(
        t.packages["docker-ce"].version,
        "5:23.0.6-1~debian.10~buster"
    );
    assert_eq!(
        t.packages["docker-ce-cli"].version,
        "5:23.0.6-1~debian.10~buster"
    );
}

/// Docker + Debian sources for one suite/arch.
fn with_debian(
    docker: &BuiltRepo,
    dsrv: &Server,
    debian: &BuiltRepo,
    bsrv: &Server,
    suite: &str,
    arch: &str,
) -> Vec<String> {
    vec![
        deb_line(docker, &dsrv.url(), arch, suite, "stable"),
        deb_line(debian, &bsrv.url(), arch, suite, "main"),
    ]
}

/// Locks `packages` and checks the locked versions against `apt-get install --simulate
/// NAME=VER...` (requested packages and their siblings): apt accepts them, and every other
/// package apt installs is locked at the version apt picks.
fn check_constraints(sources: &[String], arch: &str, packages: &[(&str, &str)]) -> Lockfile {
    let proj = Project::new(sources, packages);
    proj.lock(&Pinlock::new(), &[]).success();
    let lock = proj.parsed();
    let suite = sources[0].split_whitespace().nth(4).unwrap().to_string();
    let t = target(&lock, &format!("{suite}/{arch}")).clone();
    let apt = updated(sources, arch);
    // requested packages and their locked siblings (same source: pinlock moves them together
    // on purpose, where apt would take the newest docker-ce-rootless-extras as a Recommends)
    let sources_of: Vec<&str> = packages
        .iter()
        .map(|(n, _)| t.packages[*n].source.as_str())
        .collect();
    let specs: Vec<String> = t
        .packages
        .iter()
        .filter(|(n, p)| {
            packages.iter().any(|(r, _)| r == n) || sources_of.contains(&p.source.as_str())
        })
        .map(|(n, p)| format!("{n}={}", p.version))
        .collect();
    let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
    let plan = apt
        .simulate(&specs)
        .unwrap_or_else(|e| panic!("apt cannot install the locked versions {specs:?}: {e}"));
    for (name, ver) in &plan {
        let name = name.split(':').next().unwrap();
        let locked = t
            .packages
            .get(name)
            .unwrap_or_else(|| panic!("apt installs {name} {ver}, which the lock lacks"));
        assert_eq!(&locked.version, ver, "{name}: pinlock vs apt --simulate");
    }
    lock
}

#[test]
fn constraints_match_apt_simulate() {
    if !require_apt_tools() {
        return;
    }
    let docker = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let debian = RepoBuilder::new(fixture("debian-main")).build().unwrap();
    let (dsrv, bsrv) = (Server::serve(docker.path()), Server::serve(debian.path()));
    let src = with_debian(&docker, &dsrv, &debian, &bsrv, "buster", "amd64");
    let apt = updated(&src, "amd64");

    // ^20.10: the newest 20.10.x apt knows; the CLI follows
    let lock = check_constraints(
        &src,
        "amd64",
        &[
            ("docker-ce", "^20.10"),
            ("docker-ce-cli", "*"),
            ("containerd.io", ">= 1.6.18"),
        ],
    );
    let t = target(&lock, "buster/amd64");
    let newest_20_10 = apt
        .versions("docker-ce")
        .unwrap()
        .into_iter()
        .find(|v| v.starts_with("5:20.10."))
        .unwrap();
    assert_eq!(t.packages["docker-ce"].version, newest_20_10);
    assert_eq!(t.packages["docker-ce-cli"].version, newest_20_10);
    assert_eq!(
        Some(t.packages["containerd.io"].version.clone()),
        apt.candidate("containerd.io").unwrap()
    );

    // an exact Debian relation: the incident's version
    let lock = check_constraints(
        &src,
        "amd64",
        &[
            ("docker-ce", "= 5:23.0.1-1~debian.10~buster"),
            ("docker-ce-cli", "*"),
            ("containerd.io", "*"),
        ],
    );
    let t = target(&lock, "buster/amd64");
    assert_eq!(
        t.packages["docker-ce"].version,
        "5:23.0.1-1~debian.10~buster"
    );
    assert_eq!(
        t.packages["docker-ce-cli"].version,
        "5:23.0.1-1~debian.10~buster"
    );
    assert_eq!(
        t.packages["docker-ce-rootless-extras"].version,
        "5:23.0.1-1~debian.10~buster"
    );

    // an upper bound in Debian syntax, on arm64
    let src = with_debian(&docker, &dsrv, &debian, &bsrv, "buster", "arm64");
    let lock = check_constraints(
        &src,
        "arm64",
        &[
            ("docker-ce", "<< 5:23"),
            ("containerd.io", ">= 1.6.18, << 1.6.21"),
        ],
    );
    let t = target(&lock, "buster/arm64");
    assert_eq!(
        t.packages["docker-ce"].version,
        "5:20.10.24~3-0~debian-buster"
    );
    assert_eq!(t.packages["containerd.io"].version, "1.6.20-1");
}

#[test]
fn with_debian_main_the_closure_resolves_like_apt() {
    if !require_apt_tools() {
        return;
    }
    let docker = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let debian = RepoBuilder::new(fixture("debian-main")).build().unwrap();
    let (dsrv, bsrv) = (Server::serve(docker.path()), Server::serve(debian.path()));
    for (suite, arch) in [("buster", "amd64"), ("bookworm", "arm64")] {
        let src = with_debian(&docker, &dsrv, &debian, &bsrv, suite, arch);
        let proj = Project::new(&src, &PKGS.map(|p| (p, "*")));
        proj.lock(&Pinlock::new(), &[]).success();
        let lock = proj.parsed();
        let t = target(&lock, &format!("{suite}/{arch}"));
        for p in ["apparmor", "iptables", "libc6"] {
            assert!(t.packages.contains_key(p), "{suite}/{arch}: {p} not locked");
        }
        for (name, u) in &t.unresolved {
            assert_ne!(
                u.kind, "depends",
                "{suite}/{arch}: {name} unresolved: {u:?}"
            );
            assert_ne!(u.kind, "pre-depends", "{suite}/{arch}: {name}: {u:?}");
        }
        let apt = updated(&src, arch);
        let plan = apt.simulate(&PKGS).unwrap();
        assert!(plan.len() > 10, "{plan:?}");
        for (name, ver) in &plan {
            let name = name.split(':').next().unwrap();
            let locked = t.packages.get(name).unwrap_or_else(|| {
                panic!("{suite}/{arch}: apt installs {name} {ver}, the lock lacks it")
            });
            assert_eq!(&locked.version, ver, "{suite}/{arch} {name}");
        }
        for p in PKGS {
            assert_eq!(
                Some(t.packages[p].version.clone()),
                apt.candidate(p).unwrap(),
                "{p}"
            );
        }
    }
}
