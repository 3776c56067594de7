//! The manifest's `waive:` and a source's `enforce: false` end to end: real signed repositories
//! over loopback HTTP and the real `pinlock` binary.
//!
//! - Docker's repository alone: docker-ce Recommends apparmor, which no configured source has.
//!   The lockfile lists it under `unresolved`, with `waived: true` only while the manifest
//!   waives it; a waived Depends stays required and is warned about, as is a waiver that
//!   matches nothing. Changing `waive:` changes the lockfile (also through the warm path), and
//!   `lock --locked` names the difference.
//! - Docker's repository plus Debian's with `enforce: false`: Debian's packages carry
//!   `enforce: false`, Docker's do not; a version also served by an enforced source stays
//!   enforced; without the option the lockfile is byte-identical to one never using it.

use pinlock_core::lockfile::Lockfile;
use pinlock_tests::{
    fixture, redact, require_repo_tools, BuiltRepo, Pinlock, Project, RepoBuilder, Server,
};

fn build(name: &str) -> BuiltRepo {
    RepoBuilder::new(fixture(name)).build().unwrap()
}

/// A map-form source for `repo` served at `url` (buster, amd64), with `extra` lines.
fn map_source(repo: &BuiltRepo, url: &str, component: &str, extra: &str) -> String {
    format!(
        "  - url: {url}\n    suites: [buster]\n    components: [{component}]\n    architectures: [amd64]\n    signed-by: {}\n{extra}",
        repo.key_asc.display()
    )
}

fn docker_manifest(repo: &BuiltRepo, srv: &Server, waive: &str) -> String {
    format!(
        "sources:\n{}packages:\n  docker-ce: \"*\"\n{waive}",
        map_source(repo, &srv.url(), "stable", "")
    )
}

fn write(proj: &Project, text: &str) {
    std::fs::write(proj.dir.path().join("pinlock.yml"), text).unwrap();
}

#[test]
fn waive_marks_unresolved_recommends_only() {
    if !require_repo_tools() {
        return;
    }
    let docker = build("docker-debian-2023-03");
    let srv = Server::serve(docker.path());
    let proj = Project::with_manifest(&docker_manifest(&docker, &srv, ""));
    let pl = Pinlock::new();

    // No waiver: apparmor is unresolved and required.
    let run = proj.lock(&pl, &["--json"]);
    run.success();
    let plain = proj.bytes();
    let t = &proj.parsed().targets["buster/amd64"];
    assert_eq!(t.unresolved["apparmor"].kind, "recommends");
    assert!(!t.unresolved["apparmor"].waived);
    assert!(!String::from_utf8_lossy(&plain).contains("waived"));
    let j = run.json();
    assert!(j["waived"].as_array().unwrap().is_empty(), "{j}");
    assert!(j["unresolved"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["package"] == "apparmor"));
    assert!(run.stderr.contains("under `waive:`"), "{}", run.stderr);

    // Waive apparmor and pigz (Recommends), iptables (a Depends) and a name nothing needs.
    write(
        &proj,
        &docker_manifest(
            &docker,
            &srv,
            "waive:              # Recommends the hosts may lack\n  - apparmor\n  - pigz\n  - iptables\n  - nosuch\n",
        ),
    );
    let run = proj.lock(&pl, &["--locked"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("buster/amd64: apparmor (recommends) waived"),
        "{}",
        run.stderr
    );
    assert_eq!(proj.bytes(), plain, "--locked writes nothing");

    let run = proj.lock(&pl, &["--json"]);
    run.success();
    let lock = proj.parsed();
    let t = &lock.targets["buster/amd64"];
    assert!(t.unresolved["apparmor"].waived);
    assert!(t.unresolved["pigz"].waived);
    assert!(!t.unresolved["git"].waived, "not waived");
    assert_eq!(t.unresolved["iptables"].kind, "depends");
    assert!(
        !t.unresolved["iptables"].waived,
        "a Depends cannot be waived"
    );
    let text = String::from_utf8(proj.bytes()).unwrap();
    assert!(
        text.contains("      apparmor:\n        relation: apparmor\n        kind: recommends\n        required-by:\n        - docker-ce\n        waived: true\n"),
        "{text}"
    );
    let j = run.json();
    let names = |key: &str| -> Vec<String> {
        j[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["package"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("waived"), ["apparmor", "pigz"]);
    assert!(!names("unresolved").contains(&"apparmor".to_string()));
    assert!(names("unresolved").contains(&"iptables".to_string()));
    let stderr = redact(&run.stderr, &[(&srv.url(), "http://[SERVER]")]);
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("waive") || l.contains("Waived") || l.starts_with("hint"))
        .collect();
    insta::assert_snapshot!("waive_messages", ours.join("\n"));

    // `outdated` lists them apart, in its table and its JSON.
    let m = proj.manifest();
    let out = pl.run(&["outdated", "-m", &m]);
    out.success();
    assert!(
        out.stdout
            .contains("\n  waived recommends (buster/amd64): apparmor, pigz\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("  depends (buster/amd64): "),
        "{}",
        out.stdout
    );
    let j = pl.run(&["outdated", "-m", &m, "--json"]).json();
    assert_eq!(j["waived"].as_array().unwrap().len(), 2, "{j}");
    assert!(j["unresolved"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["package"] != "apparmor"));

    // The warm path (memo) gives the same result and the same warnings.
    let warm = proj.lock(&pl, &["--locked"]);
    warm.success();
    assert!(warm
        .stderr
        .contains("nosuch is not an unresolved Recommends"));

    // Removing the waiver brings the plain lockfile back, warm or cold.
    write(&proj, &docker_manifest(&docker, &srv, ""));
    proj.lock(&pl, &["--locked"]).expect_code(1);
    proj.lock(&pl, &[]).success();
    assert_eq!(proj.bytes(), plain);
}

#[test]
fn enforce_false_marks_the_packages_of_its_source() {
    if !require_repo_tools() {
        return;
    }
    let docker = build("docker-debian-2023-03");
    let debian = build("debian-main");
    let (dsrv, srv) = (Server::serve(docker.path()), Server::serve(debian.path()));
    let manifest = |enforce: &str| {
        format!(
            "sources:\n{}{}packages:\n  docker-ce: \"*\"\n",
            map_source(&docker, &dsrv.url(), "stable", ""),
            map_source(&debian, &srv.url(), "main", enforce),
        )
    };
    let pl = Pinlock::new();

    let proj = Project::with_manifest(&manifest(""));
    proj.lock(&pl, &[]).success();
    let enforced = proj.bytes();
    assert!(!String::from_utf8_lossy(&enforced).contains("enforce"));

    write(
        &proj,
        &manifest("    enforce: false   # Debian takes security updates\n"),
    );
    let run = proj.lock(&pl, &["--locked"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("buster/amd64: iptables ")
            && run.stderr.contains("enforce: true → false"),
        "{}",
        run.stderr
    );
    proj.lock(&pl, &[]).success();
    let lock = proj.parsed();
    let t = &lock.targets["buster/amd64"];
    for (name, p) in &t.packages {
        let from_docker = p.filename.starts_with("dists/buster/pool/stable/");
        assert_eq!(p.enforce, from_docker, "{name} {p:?}");
    }
    assert!(t.packages["docker-ce"].enforce);
    assert!(!t.packages["iptables"].enforce);
    assert!(!t.packages["apparmor"].enforce);
    // only the flag differs from the enforced lock
    let mut back = lock.clone();
    for p in back
        .targets
        .values_mut()
        .flat_map(|t| t.packages.values_mut())
    {
        p.enforce = true;
    }
    assert_eq!(back.render().as_bytes(), enforced.as_slice());

    // The same Debian repository also served by an enforced source: its versions are enforced.
    let srv2 = Server::serve(debian.path());
    let twice = manifest("    enforce: false\n").replace(
        "packages:\n",
        &format!(
            "{}packages:\n",
            map_source(&debian, &srv2.url(), "main", "")
        ),
    );
    write(&proj, &twice);
    proj.lock(&pl, &[]).success();
    let both: Lockfile = proj.parsed();
    assert!(both.targets["buster/amd64"]
        .packages
        .values()
        .all(|p| p.enforce));
}
