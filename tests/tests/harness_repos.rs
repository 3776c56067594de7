//! Every fixture repository, built and served, is accepted by the real apt, which then lists
//! exactly the versions the fixture holds (per suite and architecture) and resolves the Docker
//! packages against the Debian closure. Also: deterministic output, Docker's quirks (per-arch
//! Release, bogus self-referencing Release entry), by-hash, conditional GET, transient errors.

use pinlock_tests::{
    fixture, require_apt_tools, AptSandbox, BuiltRepo, Compression::*, Fault, HashKind,
    RepoBuilder, Rule, Server,
};

fn one_line(repo: &BuiltRepo, srv: &Server, suite: &str, comp: &str) -> String {
    repo.one_line_source(&srv.url(), suite, comp)
}

/// Builds and serves `name`, and returns an updated sandbox for one suite (amd64 + arm64).
fn accepted(name: &str, suite: &str, comp: &str) -> (BuiltRepo, Server, AptSandbox) {
    let repo = RepoBuilder::new(fixture(name)).build().unwrap();
    let srv = Server::serve(repo.path());
    let apt = AptSandbox::new(&[one_line(&repo, &srv, suite, comp)], &["amd64", "arm64"]).unwrap();
    apt.update()
        .unwrap_or_else(|e| panic!("apt rejected {name} {suite}: {e}"));
    (repo, srv, apt)
}

fn debian(vers: &[&str], code: &str, id: &str) -> Vec<String> {
    vers.iter()
        .map(|v| {
            if v.starts_with("20.10.") {
                format!("5:{v}~3-0~debian-{code}")
            } else {
                format!("5:{v}-1~debian.{id}~{code}")
            }
        })
        .collect()
}

const CE_2023_06: [&str; 15] = [
    "24.0.2", "24.0.1", "24.0.0", "23.0.6", "23.0.5", "23.0.4", "23.0.3", "23.0.2", "23.0.1",
    "23.0.0", "20.10.24", "20.10.23", "20.10.22", "20.10.21", "20.10.9",
];
const CE_2023_03: [&str; 6] = [
    "23.0.1", "23.0.0", "20.10.23", "20.10.22", "20.10.21", "20.10.9",
];

#[test]
fn docker_debian_lists_every_version_per_suite_and_arch() {
    if !require_apt_tools() {
        return;
    }
    for (suite, id) in [("buster", "10"), ("bullseye", "11")] {
        let (_repo, _srv, apt) = accepted("docker-debian", suite, "stable");
        let want = debian(&CE_2023_06, suite, id);
        for pkg in ["docker-ce", "docker-ce-cli", "docker-ce-rootless-extras"] {
            assert_eq!(apt.versions(pkg).unwrap(), want, "{suite} {pkg}");
            assert_eq!(
                apt.versions(&format!("{pkg}:arm64")).unwrap(),
                want,
                "{suite} {pkg}"
            );
        }
        assert_eq!(
            apt.versions("containerd.io").unwrap(),
            ["1.6.21-1", "1.6.20-1", "1.6.18-1", "1.6.16-1", "1.6.9-1", "1.4.13-1"]
        );
        assert_eq!(
            apt.versions("docker-compose-plugin").unwrap(),
            [
                format!("2.18.1-1~debian.{id}~{suite}"),
                format!("2.17.3-1~debian.{id}~{suite}"),
                format!("2.16.0-1~debian.{id}~{suite}"),
                format!("2.6.0~debian-{suite}"),
            ]
        );
        assert_eq!(
            apt.candidate("docker-buildx-plugin").unwrap(),
            Some(format!("0.10.5-1~debian.{id}~{suite}"))
        );
        // docker-scan-plugin was only ever built for amd64
        assert_eq!(apt.versions("docker-scan-plugin").unwrap().len(), 1);
        assert!(apt.versions("docker-scan-plugin:arm64").unwrap().is_empty());
    }
    let (_repo, _srv, apt) = accepted("docker-debian", "bookworm", "stable");
    assert_eq!(
        apt.versions("docker-ce").unwrap(),
        ["5:24.0.2-1~debian.12~bookworm"]
    );
    assert_eq!(apt.versions("containerd.io").unwrap(), ["1.6.21-1"]);
}

#[test]
fn docker_debian_2023_03_snapshot_tops_out_at_23_0_1() {
    if !require_apt_tools() {
        return;
    }
    for (suite, id) in [("buster", "10"), ("bullseye", "11")] {
        let (_repo, _srv, apt) = accepted("docker-debian-2023-03", suite, "stable");
        let want = debian(&CE_2023_03, suite, id);
        assert_eq!(apt.versions("docker-ce").unwrap(), want, "{suite}");
        assert_eq!(
            apt.versions("docker-ce-cli:arm64").unwrap(),
            want,
            "{suite}"
        );
        assert_eq!(
            apt.candidate("docker-ce").unwrap(),
            Some(format!("5:23.0.1-1~debian.{id}~{suite}"))
        );
        assert_eq!(
            apt.versions("containerd.io").unwrap(),
            ["1.6.18-1", "1.6.16-1", "1.6.9-1", "1.4.13-1"]
        );
    }
}

#[test]
fn docker_ubuntu_jammy() {
    if !require_apt_tools() {
        return;
    }
    let (_repo, _srv, apt) = accepted("docker-ubuntu", "jammy", "stable");
    let want = [
        "5:24.0.2-1~ubuntu.22.04~jammy",
        "5:24.0.0-1~ubuntu.22.04~jammy",
        "5:23.0.6-1~ubuntu.22.04~jammy",
        "5:23.0.1-1~ubuntu.22.04~jammy",
        "5:20.10.24~3-0~ubuntu-jammy",
        "5:20.10.23~3-0~ubuntu-jammy",
        "5:20.10.21~3-0~ubuntu-jammy",
        "5:20.10.17~3-0~ubuntu-jammy",
    ];
    assert_eq!(apt.versions("docker-ce").unwrap(), want);
    assert_eq!(apt.versions("docker-ce:arm64").unwrap(), want);
    assert_eq!(
        apt.versions("containerd.io").unwrap(),
        ["1.6.21-1", "1.6.20-1", "1.6.18-1"]
    );
}

#[test]
fn debian_main_suites_are_accepted_with_codename_and_suite_names() {
    if !require_apt_tools() {
        return;
    }
    let (_r, _s, apt) = accepted("debian-main", "bookworm", "main");
    assert_eq!(apt.versions("libc6").unwrap(), ["2.36-9+deb12u4"]);
    let (_r, _s, apt) = accepted("debian-main", "bookworm-security", "main");
    assert_eq!(apt.versions("libc6").unwrap(), ["2.36-9+deb12u7"]);
    let (_r, _s, apt) = accepted("debian-main", "buster", "main");
    assert_eq!(apt.versions("libc6").unwrap(), ["2.28-10+deb10u2"]);
    assert_eq!(apt.versions("libc6:arm64").unwrap(), ["2.28-10+deb10u2"]);
}

fn find<'a>(plan: &'a [(String, String)], name: &str) -> Option<&'a str> {
    plan.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn docker_resolves_against_the_debian_closure() {
    if !require_apt_tools() {
        return;
    }
    let docker = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let main = RepoBuilder::new(fixture("debian-main")).build().unwrap();
    let dsrv = Server::serve(docker.path());
    let msrv = Server::serve(main.path());
    // deb822 sources for Debian, one-line for Docker, as real hosts mix them
    let main_src = |suites: &str| main.deb822_source(&msrv.url(), suites, "main");

    let apt = AptSandbox::new(
        &[
            one_line(&docker, &dsrv, "bookworm", "stable"),
            main_src("bookworm bookworm-security"),
        ],
        &["amd64"],
    )
    .unwrap();
    apt.update().unwrap();
    let plan = apt
        .simulate(&["docker-ce", "docker-ce-cli", "containerd.io"])
        .unwrap();
    assert_eq!(
        find(&plan, "docker-ce"),
        Some("5:24.0.2-1~debian.12~bookworm")
    );
    assert_eq!(find(&plan, "containerd.io"), Some("1.6.21-1"));
    assert_eq!(
        find(&plan, "libc6"),
        Some("2.36-9+deb12u7"),
        "security wins"
    );
    assert_eq!(find(&plan, "iptables"), Some("1.8.9-2"));
    assert_eq!(find(&plan, "libdevmapper1.02.1"), Some("2:1.02.185-2"));
    // recommends are installed by default: apparmor (Debian builds since 20.10), buildx, compose
    assert_eq!(find(&plan, "apparmor"), Some("3.0.8-3"));
    assert_eq!(
        find(&plan, "docker-buildx-plugin"),
        Some("0.10.5-1~debian.12~bookworm")
    );
    assert!(
        find(&plan, "debconf").is_some(),
        "debconf-2.0 alternative resolved: {plan:?}"
    );

    let apt = AptSandbox::new(
        &[
            one_line(&docker, &dsrv, "buster", "stable"),
            main_src("buster"),
        ],
        &["amd64"],
    )
    .unwrap();
    apt.update().unwrap();
    let v = "5:20.10.24~3-0~debian-buster";
    let plan = apt
        .simulate(&[&format!("docker-ce={v}"), &format!("docker-ce-cli={v}")])
        .unwrap();
    assert_eq!(find(&plan, "docker-ce"), Some(v));
    assert_eq!(find(&plan, "docker-ce-cli"), Some(v));
    assert_eq!(find(&plan, "containerd.io"), Some("1.6.21-1"));
    assert_eq!(find(&plan, "libc6"), Some("2.28-10+deb10u2"));
    assert_eq!(find(&plan, "libgcc1"), Some("1:8.3.0-6"));
    // 20.10 docker-ce-cli recommends docker-scan-plugin (amd64), not buildx/compose
    assert!(find(&plan, "docker-scan-plugin").is_some(), "{plan:?}");
    assert!(find(&plan, "docker-compose-plugin").is_none(), "{plan:?}");
}

#[test]
fn build_is_deterministic() {
    if !require_apt_tools() {
        return;
    }
    fn snapshot(repo: &BuiltRepo) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![repo.path().to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(repo.path()).unwrap().display().to_string();
                    out.push((rel, std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }
    let b = || {
        RepoBuilder::new(fixture("docker-debian"))
            .compress(&[Plain, Gz, Bz2, Xz])
            .by_hash(true)
            .per_arch_release(true)
            .build()
            .unwrap()
    };
    let t = std::time::Instant::now();
    let (x, y) = (b(), b());
    eprintln!(
        "two builds of docker-debian (3 suites, 4 compressions, by-hash): {:?}",
        t.elapsed()
    );
    let (sx, sy) = (snapshot(&x), snapshot(&y));
    assert!(sx.len() > 30, "{} files", sx.len());
    assert_eq!(sx, sy);
    assert_eq!(x.fingerprint, "D32EE85F0886DA674C27EE0F0A123A8CF57CCCB9");
}

#[test]
fn release_layout_and_docker_quirks_are_accepted() {
    if !require_apt_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian"))
        .compress(&[Gz, Bz2])
        .per_arch_release(true)
        .bogus_release_entry(true)
        .build()
        .unwrap();
    let rel = repo.release("buster").unwrap();
    // Docker quirks: no Codename, Suite = codename; uncompressed Packages listed though not served
    assert!(
        rel.starts_with("Origin: Docker\nLabel: Docker CE\nSuite: buster\nDate: "),
        "{rel}"
    );
    assert!(!rel.contains("Codename:"));
    assert!(!repo
        .dist_dir("buster")
        .join("stable/binary-amd64/Packages")
        .exists());
    let plain =
        std::fs::read(fixture("docker-debian").join("buster/stable/amd64.Packages")).unwrap();
    let line = format!(
        " {} {:>16} stable/binary-amd64/Packages\n",
        HashKind::Sha256.hex(&plain),
        plain.len()
    );
    assert!(rel.contains(&line), "missing {line:?} in\n{rel}");
    assert!(rel.contains("            10225 Release\n"), "bogus entry");
    assert!(rel.contains(" stable/binary-arm64/Release\n"));
    let per_arch = repo
        .read("dists/buster/stable/binary-amd64/Release")
        .unwrap();
    assert_eq!(
        String::from_utf8(per_arch).unwrap(),
        "Archive: buster\nOrigin: Docker\nLabel: Docker CE\nComponent: stable\nArchitecture: amd64\n"
    );
    let srv = Server::serve(repo.path());
    let apt = AptSandbox::new(&[one_line(&repo, &srv, "buster", "stable")], &["amd64"]).unwrap();
    apt.update().expect("apt ignores the bogus Release entry");
    assert_eq!(apt.versions("docker-ce").unwrap().len(), 15);
    assert_eq!(
        srv.count("/dists/buster/stable/binary-amd64/Packages.bz2"),
        1
    );
}

#[test]
fn by_hash_is_used_by_apt_when_announced() {
    if !require_apt_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("debian-main"))
        .compress(&[Xz])
        .by_hash(true)
        .build()
        .unwrap();
    assert!(repo
        .release("bookworm")
        .unwrap()
        .contains("\nAcquire-By-Hash: yes\n"));
    let xz = repo
        .read("dists/bookworm/main/binary-amd64/Packages.xz")
        .unwrap();
    let by_hash = format!(
        "/dists/bookworm/main/binary-amd64/by-hash/SHA512/{}",
        HashKind::Sha512.hex(&xz)
    );
    let srv = Server::serve(repo.path());
    let apt = AptSandbox::new(&[one_line(&repo, &srv, "bookworm", "main")], &["amd64"]).unwrap();
    apt.update().unwrap();
    // apt picks the strongest hash it knows for the by-hash path
    assert_eq!(srv.count(&by_hash), 1, "{:?}", srv.counts());
    assert_eq!(apt.versions("libc6").unwrap(), ["2.36-9+deb12u4"]);
}

#[test]
fn second_update_uses_conditional_get() {
    if !require_apt_tools() {
        return;
    }
    let (_repo, srv, apt) = accepted("docker-debian", "buster", "stable");
    srv.clear_log();
    apt.update().unwrap();
    let inrelease: Vec<_> = srv
        .requests()
        .into_iter()
        .filter(|r| r.path == "/dists/buster/InRelease")
        .collect();
    assert_eq!(inrelease.len(), 1);
    // file mtimes are the Release Date, so Last-Modified (echoed by apt) is that date
    assert_eq!(
        inrelease[0].if_modified_since.as_deref(),
        Some("Mon, 12 Jun 2023 08:21:52 GMT"),
        "{inrelease:?}"
    );
    assert_eq!(inrelease[0].status, 304);
    assert_eq!(apt.versions("docker-ce").unwrap().len(), 15);
}

#[test]
fn failed_variant_falls_back_to_the_next_compression() {
    if !require_apt_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(repo.path());
    let bz2 = "/dists/buster/stable/binary-amd64/Packages.bz2";
    srv.add_rule(Rule::exact(bz2, Fault::Status(503)));
    let apt = AptSandbox::new(&[one_line(&repo, &srv, "buster", "stable")], &["amd64"]).unwrap();
    apt.update()
        .expect("apt takes Packages.gz when Packages.bz2 fails");
    let paths: Vec<(String, u16)> = srv
        .requests()
        .into_iter()
        .map(|r| (r.path, r.status))
        .collect();
    assert_eq!(
        paths,
        [
            ("/dists/buster/InRelease".to_string(), 200),
            (bz2.to_string(), 503),
            (
                "/dists/buster/stable/binary-amd64/Packages.gz".to_string(),
                200
            ),
        ]
    );
    assert_eq!(apt.versions("docker-ce").unwrap().len(), 15);
}

#[test]
fn transient_server_error_fails_update_without_retries_then_recovers() {
    if !require_apt_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(repo.path());
    for c in ["", ".gz", ".bz2"] {
        let p = format!("/dists/buster/stable/binary-amd64/Packages{c}");
        srv.add_rule(Rule::exact(p, Fault::Status(503)).times(1));
    }
    let apt = AptSandbox::new(&[one_line(&repo, &srv, "buster", "stable")], &["amd64"]).unwrap();
    let err = apt
        .update()
        .expect_err("503 on every variant with Acquire::Retries 0");
    assert!(err.apt_lines().join("\n").contains("503"), "{err}");
    apt.update().expect("second try succeeds");
    assert_eq!(
        apt.candidate("docker-ce").unwrap().as_deref(),
        Some("5:24.0.2-1~debian.10~buster")
    );
}

#[test]
fn redirect_to_a_local_file_is_refused() {
    if !require_apt_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(repo.path());
    // InRelease, Release and Release.gpg all redirect: apt must not follow http -> file
    for s in ["Release", "Release.gpg"] {
        srv.add_rule(Rule::suffix(
            s,
            Fault::Redirect("file:///etc/passwd".into()),
        ));
    }
    let apt = AptSandbox::new(&[one_line(&repo, &srv, "buster", "stable")], &["amd64"]).unwrap();
    let err = apt.update().expect_err("http -> file redirect");
    eprintln!("{err}");
    assert!(err.apt_lines().iter().any(|l| l.starts_with("E:")), "{err}");
    assert!(apt.versions("docker-ce").unwrap().is_empty());
}

#[test]
fn release_in_fields_are_ordered_and_by_hash_is_honoured() {
    if !require_apt_tools() {
        return;
    }
    let fx = tempfile::tempdir().unwrap();
    let suite = fx.path().join("bookworm-backports");
    std::fs::create_dir_all(suite.join("main")).unwrap();
    std::fs::copy(
        fixture("debian-main").join("bookworm/main/amd64.Packages"),
        suite.join("main/amd64.Packages"),
    )
    .unwrap();
    std::fs::write(
        suite.join("Release.in"),
        "X-Custom: kept\nAcquire-By-Hash: yes\nNotAutomatic: yes\nButAutomaticUpgrades: yes\n\
         Codename: bookworm-backports\nSuite: stable-backports\nLabel: Debian Backports\n\
         Origin: Debian Backports\nDate: Sat, 10 Feb 2024 10:36:25 UTC\n",
    )
    .unwrap();
    let repo = RepoBuilder::new(fx.path()).compress(&[Xz]).build().unwrap();
    let rel = repo.release("bookworm-backports").unwrap();
    let head: Vec<&str> = rel.lines().take(11).collect();
    assert_eq!(
        head,
        [
            "Origin: Debian Backports",
            "Label: Debian Backports",
            "Suite: stable-backports",
            "Codename: bookworm-backports",
            "Date: Sat, 10 Feb 2024 10:36:25 UTC",
            "NotAutomatic: yes",
            "ButAutomaticUpgrades: yes",
            "Acquire-By-Hash: yes",
            "Architectures: amd64",
            "Components: main",
            "X-Custom: kept",
        ]
    );
    let srv = Server::serve(repo.path());
    let apt = AptSandbox::new(
        &[one_line(&repo, &srv, "bookworm-backports", "main")],
        &["amd64"],
    )
    .unwrap();
    apt.update().unwrap();
    assert!(
        srv.counts().keys().any(|p| p.contains("/by-hash/SHA512/")),
        "{:?}",
        srv.counts()
    );
    // NotAutomatic + ButAutomaticUpgrades = apt priority 100 (shown by apt-cache policy)
    let policy = apt.run("apt-cache", &["policy", "libc6"]).unwrap();
    let policy = String::from_utf8_lossy(&policy.stdout);
    assert!(policy.contains(" 100 http://127.0.0.1:"), "{policy}");
}

#[test]
fn same_url_can_move_to_a_newer_snapshot() {
    if !require_apt_tools() {
        return;
    }
    // the incident: hosts resolved docker-ce in March 2023, the repository moved on in June
    let march = RepoBuilder::new(fixture("docker-debian-2023-03"))
        .build()
        .unwrap();
    let june = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(march.path());
    let apt = AptSandbox::new(&[one_line(&march, &srv, "buster", "stable")], &["amd64"]).unwrap();
    apt.update().unwrap();
    assert_eq!(
        apt.candidate("docker-ce").unwrap().as_deref(),
        Some("5:23.0.1-1~debian.10~buster")
    );
    srv.set_root(june.path());
    assert_eq!(srv.root(), june.path());
    apt.update().unwrap();
    assert_eq!(
        apt.candidate("docker-ce").unwrap().as_deref(),
        Some("5:24.0.2-1~debian.10~buster")
    );
    assert_eq!(apt.versions("docker-ce").unwrap().len(), 15);
}

#[test]
fn preferences_and_dpkg_status_steer_apt() {
    if !require_apt_tools() {
        return;
    }
    let docker = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let main = RepoBuilder::new(fixture("debian-main")).build().unwrap();
    let (dsrv, msrv) = (Server::serve(docker.path()), Server::serve(main.path()));
    let apt = AptSandbox::new(
        &[
            one_line(&docker, &dsrv, "buster", "stable"),
            main.deb822_source(&msrv.url(), "buster", "main"),
        ],
        &["amd64"],
    )
    .unwrap();
    apt.update().unwrap();
    // a pin like the one that would have saved the swarm
    apt.set_preferences(
        "Package: docker-ce docker-ce-cli\nPin: version 5:20.10.*\nPin-Priority: 1001\n",
    )
    .unwrap();
    assert_eq!(
        apt.candidate("docker-ce").unwrap().as_deref(),
        Some("5:20.10.24~3-0~debian-buster")
    );
    apt.set_preferences("").unwrap();
    // what apt believes is installed: an upgrade shows as "Inst name [old] (new ...)"
    apt.set_status(
        "Package: docker-ce\nStatus: install ok installed\nPriority: optional\nSection: admin\n\
         Architecture: amd64\nVersion: 5:20.10.23~3-0~debian-buster\n\
         Description: Docker: the open-source application container engine\n",
    )
    .unwrap();
    let plan = apt.simulate(&["docker-ce"]).unwrap();
    assert_eq!(
        find(&plan, "docker-ce"),
        Some("5:24.0.2-1~debian.10~buster")
    );
    let policy = apt.run("apt-cache", &["policy", "docker-ce"]).unwrap();
    let policy = String::from_utf8_lossy(&policy.stdout);
    assert!(
        policy.contains("Installed: 5:20.10.23~3-0~debian-buster"),
        "{policy}"
    );
}
