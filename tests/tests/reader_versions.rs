//! `pinlock versions --json` against real signed repositories served over loopback lists exactly
//! the versions the real apt lists (`apt-cache madison`), in the same order (newest first), for
//! every fixture suite and architecture, and for the repository layouts apt accepts: Docker's
//! quirks, by-hash, xz-only with the plain index only listed, and a detached signature only.

use pinlock_tests::{
    fixture, require_apt_tools, AptSandbox, BuiltRepo, Compression::*, Pinlock, RepoBuilder,
    Server, SignMode,
};

const DOCKER_PKGS: &[&str] = &[
    "docker-ce",
    "docker-ce-cli",
    "docker-ce-rootless-extras",
    "containerd.io",
    "docker-buildx-plugin",
    "docker-compose-plugin",
    "docker-scan-plugin",
    "no-such-package",
];

const DEBIAN_PKGS: &[&str] = &[
    "libc6",
    "apparmor",
    "iptables",
    "git",
    "libseccomp2",
    "libdevmapper1.02.1",
    "libgcc-s1",
    "debconf",
    "slirp4netns",
    "openssl",
];

fn source(repo: &BuiltRepo, url: &str, arch: &str, suite: &str, comp: &str) -> String {
    format!(
        "deb [arch={arch} signed-by={}] {url} {suite} {comp}",
        repo.key_asc.display()
    )
}

/// Versions per package from `pinlock versions --json`, duplicates removed keeping the order;
/// also checks that every entry comes from an index of `arch`.
fn pinlock_versions(sources: &[String], pkgs: &[&str], arch: &str) -> Vec<(String, Vec<String>)> {
    let mut args: Vec<String> = vec!["-q".into(), "versions".into(), "--json".into()];
    for s in sources {
        args.push("--source".into());
        args.push(s.clone());
    }
    args.extend(pkgs.iter().map(|p| p.to_string()));
    let run = Pinlock::new().run(&args);
    run.success();
    let json = run.json();
    let map = json["packages"]
        .as_object()
        .unwrap_or_else(|| panic!("no `packages` object in {json}"));
    pkgs.iter()
        .map(|p| {
            let list = map
                .get(*p)
                .and_then(|l| l.as_array())
                .unwrap_or_else(|| panic!("{p} missing from {json}"));
            let mut vs: Vec<String> = Vec::new();
            for e in list {
                assert_eq!(
                    e["index_architecture"], arch,
                    "{p}: entry from another architecture's index: {e}"
                );
                let v = e["version"].as_str().expect("version string").to_string();
                if !vs.contains(&v) {
                    vs.push(v);
                }
            }
            (p.to_string(), vs)
        })
        .collect()
}

/// Asserts that pinlock and apt list the same versions of `pkgs` for these sources and `arch`.
/// Returns how many versions were compared (so callers can assert the check was not vacuous).
fn assert_same_as_apt(sources: &[String], pkgs: &[&str], arch: &str) -> usize {
    let apt = AptSandbox::new(sources, &[arch]).unwrap();
    apt.update()
        .unwrap_or_else(|e| panic!("apt rejected {sources:?}: {e}"));
    let ours = pinlock_versions(sources, pkgs, arch);
    let mut compared = 0;
    for (pkg, vs) in ours {
        let theirs = apt.versions(&pkg).unwrap();
        assert_eq!(
            vs, theirs,
            "{pkg} ({arch}, {sources:?}): pinlock (left) vs apt-cache madison (right)"
        );
        compared += vs.len();
    }
    compared
}

fn check_suites(name: &str, builder: RepoBuilder, suites: &[&str], comp: &str, pkgs: &[&str]) {
    if !require_apt_tools() {
        return;
    }
    let repo = builder.build().unwrap();
    let srv = Server::serve(repo.path());
    for suite in suites {
        for arch in ["amd64", "arm64"] {
            let n = assert_same_as_apt(&[source(&repo, &srv.url(), arch, suite, comp)], pkgs, arch);
            assert!(n >= 5, "{name} {suite}/{arch}: only {n} versions compared");
        }
    }
}

#[test]
fn docker_debian_buster() {
    check_suites(
        "docker-debian",
        RepoBuilder::new(fixture("docker-debian")),
        &["buster"],
        "stable",
        DOCKER_PKGS,
    );
}

#[test]
fn docker_debian_bullseye() {
    check_suites(
        "docker-debian",
        RepoBuilder::new(fixture("docker-debian")),
        &["bullseye"],
        "stable",
        DOCKER_PKGS,
    );
}

#[test]
fn docker_debian_bookworm() {
    check_suites(
        "docker-debian",
        RepoBuilder::new(fixture("docker-debian")),
        &["bookworm"],
        "stable",
        DOCKER_PKGS,
    );
}

#[test]
fn docker_debian_2023_03_buster_tops_out_at_23_0_1() {
    if !require_apt_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian-2023-03"))
        .build()
        .unwrap();
    let srv = Server::serve(repo.path());
    let src = [source(&repo, &srv.url(), "amd64", "buster", "stable")];
    assert_same_as_apt(&src, DOCKER_PKGS, "amd64");
    let ours = pinlock_versions(&src, &["docker-ce"], "amd64");
    assert_eq!(ours[0].1[0], "5:23.0.1-1~debian.10~buster");
}

#[test]
fn docker_ubuntu_jammy() {
    check_suites(
        "docker-ubuntu",
        RepoBuilder::new(fixture("docker-ubuntu")),
        &["jammy"],
        "stable",
        DOCKER_PKGS,
    );
}

#[test]
fn debian_main_buster_and_bookworm() {
    check_suites(
        "debian-main",
        RepoBuilder::new(fixture("debian-main")),
        &["buster", "bookworm"],
        "main",
        DEBIAN_PKGS,
    );
}

#[test]
fn debian_main_bookworm_with_security_suite_and_docker() {
    if !require_apt_tools() {
        return;
    }
    let debian = RepoBuilder::new(fixture("debian-main")).build().unwrap();
    let docker = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let (sd, sk) = (Server::serve(debian.path()), Server::serve(docker.path()));
    for arch in ["amd64", "arm64"] {
        let sources = [
            source(&debian, &sd.url(), arch, "bookworm", "main"),
            source(&debian, &sd.url(), arch, "bookworm-security", "main"),
            source(&docker, &sk.url(), arch, "bookworm", "stable"),
        ];
        let mut pkgs = DEBIAN_PKGS.to_vec();
        pkgs.extend_from_slice(DOCKER_PKGS);
        assert_same_as_apt(&sources, &pkgs, arch);
        // the security suite's newer libc6 comes first
        let libc = pinlock_versions(&sources, &["libc6"], arch);
        assert_eq!(libc[0].1, ["2.36-9+deb12u7", "2.36-9+deb12u4"]);
    }
}

#[test]
fn docker_quirks_bogus_release_entry_and_per_arch_release() {
    let b = RepoBuilder::new(fixture("docker-debian"))
        .compress(&[Plain, Gz, Bz2])
        .bogus_release_entry(true)
        .per_arch_release(true);
    check_suites(
        "docker-debian+quirks",
        b,
        &["buster"],
        "stable",
        DOCKER_PKGS,
    );
}

#[test]
fn by_hash_repository() {
    if !require_apt_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian"))
        .compress(&[Gz, Xz])
        .by_hash(true)
        .build()
        .unwrap();
    assert!(repo
        .release("buster")
        .unwrap()
        .contains("Acquire-By-Hash: yes"));
    let srv = Server::serve(repo.path());
    let src = [source(&repo, &srv.url(), "amd64", "buster", "stable")];
    assert!(assert_same_as_apt(&src, DOCKER_PKGS, "amd64") >= 5);
    // pinlock fetched the index by hash, as announced
    srv.clear_log();
    pinlock_versions(&src, &["docker-ce"], "amd64");
    let paths: Vec<String> = srv.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths
            .iter()
            .any(|p| p.contains("/binary-amd64/by-hash/SHA256/")),
        "no by-hash request: {paths:?}"
    );
}

#[test]
fn xz_only_with_plain_listed_but_not_served() {
    if !require_apt_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian"))
        .compress(&[Xz])
        .build()
        .unwrap();
    let release = repo.release("buster").unwrap();
    assert!(release.contains("stable/binary-amd64/Packages\n"));
    assert!(!repo
        .dist_dir("buster")
        .join("stable/binary-amd64/Packages")
        .exists());
    let srv = Server::serve(repo.path());
    for arch in ["amd64", "arm64"] {
        let src = [source(&repo, &srv.url(), arch, "buster", "stable")];
        assert!(assert_same_as_apt(&src, DOCKER_PKGS, arch) >= 5);
    }
}

#[test]
fn detached_signature_only() {
    if !require_apt_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian"))
        .sign(SignMode::Detached)
        .build()
        .unwrap();
    assert!(!repo.dist_dir("buster").join("InRelease").exists());
    let srv = Server::serve(repo.path());
    let src = [source(&repo, &srv.url(), "amd64", "buster", "stable")];
    assert!(assert_same_as_apt(&src, DOCKER_PKGS, "amd64") >= 5);
    srv.clear_log();
    pinlock_versions(&src, &["docker-ce"], "amd64");
    assert_eq!(srv.count("/dists/buster/Release.gpg"), 1);
}

#[test]
fn binary_keyring_as_signed_by() {
    if !require_apt_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-ubuntu")).build().unwrap();
    let srv = Server::serve(repo.path());
    let src = [format!(
        "deb [arch=arm64 signed-by={}] {} jammy stable",
        repo.key_gpg.display(),
        srv.url()
    )];
    assert!(assert_same_as_apt(&src, DOCKER_PKGS, "arm64") >= 5);
}

#[test]
fn manifest_map_source_with_relative_key_equals_apt_deb822() {
    if !require_apt_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(repo.path());
    // the manifest names the key relative to its own directory
    let proj = tempfile::tempdir().unwrap();
    std::fs::create_dir(proj.path().join("keys")).unwrap();
    std::fs::copy(&repo.key_asc, proj.path().join("keys/docker.asc")).unwrap();
    std::fs::write(
        proj.path().join("pinlock.yml"),
        format!(
            "sources:\n  - url: {}\n    suites: [bullseye]\n    components: [stable]\n    architectures: [arm64]\n    signed-by: keys/docker.asc\npackages:\n  docker-ce: \"*\"\n",
            srv.url()
        ),
    )
    .unwrap();
    let m = proj.path().join("pinlock.yml").display().to_string();
    // run from elsewhere: the relative key path must not depend on the current directory
    let run = Pinlock::new().run(&[
        "-q",
        "versions",
        "--json",
        "-m",
        &m,
        "docker-ce",
        "containerd.io",
    ]);
    run.success();
    let json = run.json();

    let apt = AptSandbox::new(
        &[format!(
            "{}Architectures: arm64\n",
            repo.deb822_source(&srv.url(), "bullseye", "stable")
        )],
        &["arm64"],
    )
    .unwrap();
    apt.update().unwrap();
    for p in ["docker-ce", "containerd.io"] {
        let mut ours: Vec<String> = Vec::new();
        for e in json["packages"][p].as_array().unwrap() {
            assert_eq!(e["index_architecture"], "arm64");
            let v = e["version"].as_str().unwrap().to_string();
            if !ours.contains(&v) {
                ours.push(v);
            }
        }
        let theirs = apt.versions(p).unwrap();
        assert!(theirs.len() >= 5, "{p}: {theirs:?}");
        assert_eq!(ours, theirs, "{p}");
    }
}
