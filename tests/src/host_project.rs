//! What the real-host tests (`host_enforce.rs`, `host_enforce_review.rs`) share: Docker-shaped
//! packages whose Depends a bookworm base already satisfies (the real ones would fetch iptables
//! and friends from the mirror on every run), a manifest source for a [`DebRepo`], writing a
//! project, and `lock` + `pin` with the honest `pin --check` that must follow.

use std::path::Path;

use pinlock_core::lockfile::Lockfile;

use crate::{machine_arch, DebRepo, DebSpec, Pinlock};

/// Docker 20.10.23 as Docker's bookworm repository names it.
pub const DOCKER_OLD: &str = "5:20.10.23~3-0~debian-bookworm";
/// Docker 23.0.1, the release of the incident.
pub const DOCKER_NEW: &str = "5:23.0.1-1~debian.12~bookworm";

/// docker-ce, docker-ce-cli and docker-ce-rootless-extras at `version`, one source package as
/// in Docker's repository; with `apparmor`, docker-ce has the real `Recommends: apparmor` of
/// the incident.
pub fn docker_on_base(version: &str, apparmor: bool) -> Vec<DebSpec> {
    let recommends = if apparmor {
        "apparmor, docker-ce-rootless-extras"
    } else {
        "docker-ce-rootless-extras"
    };
    vec![
        DebSpec::new("docker-ce", version)
            .depends("containerd.io (>= 1.4.1), docker-ce-cli, libc6 (>= 2.34)")
            .recommends(recommends),
        // one source package, as in Docker's repository: the binaries move together
        DebSpec::new("docker-ce-cli", version)
            .field("Source", "docker-ce")
            .depends("libc6 (>= 2.34)"),
        DebSpec::new("docker-ce-rootless-extras", version)
            .field("Source", "docker-ce")
            .depends("libc6 (>= 2.34)"),
    ]
}

/// containerd.io at `version`, depending only on what a bookworm base has.
pub fn containerd_on_base(version: &str) -> DebSpec {
    DebSpec::new("containerd.io", version).depends("libc6 (>= 2.34)")
}

/// The manifest's `sources:` entry (map form) for `repo`, for the machine's architecture.
pub fn manifest_source(repo: &DebRepo) -> String {
    format!(
        "  - url: {}\n    suites: [{}]\n    components: [stable]\n    architectures: [{}]\n    signed-by: {}\n",
        repo.url(),
        repo.suite(),
        machine_arch(),
        repo.key_asc().display()
    )
}

/// Writes `files` (path → text) under `dir`, creating directories.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// The lockfile of the project `dir`.
pub fn project_lockfile(dir: &Path) -> Lockfile {
    Lockfile::load(&dir.join("pinlock.lock"))
        .unwrap()
        .expect("a lockfile")
}

/// `lock`, `pin`, and a `pin --check` that must pass without a warning, in the project `dir`.
pub fn lock_and_pin(pl: &Pinlock, dir: &Path) -> Lockfile {
    pl.run(&["lock"]).success();
    pl.run(&["pin"]).success();
    let check = pl.run(&["pin", "--check"]);
    check.success();
    assert!(
        !check.stderr.contains("warning"),
        "a passing check prints no warnings:\n{}",
        check.stderr
    );
    project_lockfile(dir)
}
