//! The lockfile is what every host installs: pinned playbooks run on real Debian 12 hosts
//! (chroots with Debian's ansible-core, real apt and dpkg; `tests/src/host.rs`) against a signed
//! loopback repository of real `.deb` files shaped like Docker's, and `dpkg-query` checks that
//! **every package of the lockfile, closure included, is installed at its locked version and
//! held** — for a task naming only `docker-ce`, a Jinja-built list in a role, a role pinlock never
//! scanned, a multi-target lockfile, a play with a RedHat-only task — that nothing locked moves
//! when newer versions are published and `apt-get upgrade`/`dist-upgrade` run, that the host
//! follows `pinlock update` exactly, and that the preflight stops a host lacking an unresolved
//! Recommends (apparmor) before anything is installed.
//!
//! Need root and the machine's Debian mirror for the first (cached) build of the base system;
//! skipped with a printed reason otherwise, failed under `CI=true`.

use std::collections::BTreeMap;
use std::path::Path;

use pinlock_core::lockfile::Lockfile;
use pinlock_tests::{machine_arch, DebRepo, DebSpec, Host, Pinlock};

const OLD: &str = "5:20.10.23~3-0~debian-bookworm";
const NEW: &str = "5:23.0.1-1~debian.12~bookworm";

/// Docker's packages at `version`, with the Depends a bookworm base already satisfies (the
/// real ones would fetch iptables and friends from the mirror on every run) and, when
/// `apparmor` is set, the real `Recommends: apparmor` of the incident.
fn docker(version: &str, apparmor: bool) -> Vec<DebSpec> {
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

fn containerd(version: &str) -> DebSpec {
    DebSpec::new("containerd.io", version).depends("libc6 (>= 2.34)")
}

/// Docker's repository as on the day of the incident: 20.10.23 and 23.0.1, containerd 1.6.18.
fn docker_repo(apparmor: bool) -> DebRepo {
    let mut specs = docker(OLD, apparmor);
    specs.extend(docker(NEW, apparmor));
    specs.push(containerd("1.6.18-1"));
    DebRepo::new("docker", "bookworm", "stable", &specs).expect("build the repository")
}

fn source(repo: &DebRepo) -> String {
    format!(
        "  - url: {}\n    suites: [{}]\n    components: [stable]\n    architectures: [{}]\n    signed-by: {}\n",
        repo.url(),
        repo.suite(),
        machine_arch(),
        repo.key_asc().display()
    )
}

/// Writes `files` (path → text) under `dir`.
fn write(dir: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// `lock`, `pin`, and a `pin --check` that must pass, in the project `dir`.
fn lock_and_pin(pl: &Pinlock, dir: &Path) -> Lockfile {
    pl.run(&["lock"]).success();
    pl.run(&["pin"]).success();
    let check = pl.run(&["pin", "--check"]);
    check.success();
    assert!(
        !check.stderr.contains("warning"),
        "a passing check prints no warnings:\n{}",
        check.stderr
    );
    lockfile(dir)
}

fn lockfile(dir: &Path) -> Lockfile {
    Lockfile::load(&dir.join("pinlock.lock"))
        .unwrap()
        .expect("a lockfile")
}

/// Every package of `target` in `lock` is installed at its locked version and held.
fn assert_host_runs(host: &Host, lock: &Lockfile, target: &str, when: &str) {
    let installed = host.installed().unwrap();
    let t = lock.targets.get(target).expect("the host's target");
    assert!(!t.packages.is_empty());
    let mut wrong = BTreeMap::new();
    for (name, p) in &t.packages {
        match installed.get(name) {
            Some(i) if i.version == p.version && i.selection == "hold" => {}
            other => {
                wrong.insert(name.clone(), (p.version.clone(), other.cloned()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{when}: locked (version) vs host (version, selection): {wrong:#?}"
    );
}

fn run_play(host: &Host, project: &Path, playbook: &str) -> String {
    let out = host.ansible_playbook(project, playbook, &[]).unwrap();
    assert!(out.success(), "the play failed:\n{}", out.combined());
    out.stdout
}

/// The incident's task, naming only docker-ce (free-form, `state=latest`), with Docker's
/// 23.0.1 as apt's candidate. Then Docker publishes more, the host upgrades, and finally the
/// fleet moves on purpose with `pinlock update`.
#[test]
fn a_task_naming_only_docker_ce_gets_the_whole_locked_closure_and_keeps_it() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let mut repo = docker_repo(false);
    host.add_source(&repo, "bookworm", "stable").unwrap();
    let project = tempfile::tempdir().unwrap();
    let manifest = format!(
        "sources:\n{}packages:\n  docker-ce: \"^20.10\"\nplaybooks: [site.yml]\n",
        source(&repo)
    );
    write(
        project.path(),
        &[
            ("pinlock.yml", &manifest),
            (
                "site.yml",
                "- name: Docker hosts\n  hosts: all\n  tasks:\n    - name: refresh apt\n      apt: update_cache=yes\n\n    - name: install docker\n      apt: name=docker-ce state=latest\n",
            ),
        ],
    );
    let pl = Pinlock::new().current_dir(project.path());
    let lock = lock_and_pin(&pl, project.path());
    let target = format!("bookworm/{}", machine_arch());
    let locked: Vec<&str> = lock.targets[&target]
        .packages
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        locked,
        [
            "containerd.io",
            "docker-ce",
            "docker-ce-cli",
            "docker-ce-rootless-extras"
        ]
    );
    let site = std::fs::read_to_string(project.path().join("site.yml")).unwrap();
    assert!(
        !site.contains("docker-ce-cli"),
        "the task names only docker-ce:\n{site}"
    );

    run_play(&host, project.path(), "site.yml");
    assert_host_runs(&host, &lock, &target, "first run");
    let pref = host
        .read("/etc/apt/preferences.d/pinlock-default.pref")
        .unwrap();
    assert!(
        pref.contains(&format!(
            "Package: docker-ce-cli\nPin: version {OLD}\nPin-Priority: 1001\n"
        )),
        "{pref}"
    );

    // a second run changes nothing
    let again = run_play(&host, project.path(), "site.yml");
    assert!(again.contains("changed=0"), "{again}");

    // Docker publishes more; the play runs again, the host upgrades: nothing locked moves
    repo.publish(&[containerd("1.6.20-1")]).unwrap();
    run_play(&host, project.path(), "site.yml");
    for cmd in [
        "apt-get update",
        "apt-get -y upgrade",
        "apt-get -y dist-upgrade",
    ] {
        let out = host.sh(cmd).unwrap();
        assert!(out.success(), "{cmd}:\n{}", out.combined());
    }
    assert_host_runs(&host, &lock, &target, "after upgrade and dist-upgrade");

    // upgrade on purpose: the host follows the new lockfile exactly
    let m = std::fs::read_to_string(project.path().join("pinlock.yml")).unwrap();
    write(
        project.path(),
        &[("pinlock.yml", &m.replace("^20.10", "^23.0"))],
    );
    pl.run(&["update", "docker-ce"]).expect_code(10);
    pl.run(&["pin", "--check"]).success();
    let new_lock = lockfile(project.path());
    assert_eq!(
        new_lock.targets[&target].packages["docker-ce-cli"].version,
        NEW
    );
    run_play(&host, project.path(), "site.yml");
    assert_host_runs(&host, &new_lock, &target, "after pinlock update");
}

/// The most popular Docker roles build their list with Jinja: pinlock cannot rewrite the task
/// (it says so) yet the host gets the locked versions. The same play has a RedHat-only task,
/// which stays byte-identical, and the lockfile has two targets: the host picks its own.
#[test]
fn a_jinja_built_list_in_a_role_and_a_multi_target_lockfile_are_enforced() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let repo = docker_repo(false);
    // an older release's repository: other versions, so the host's choice of target shows
    let mut old_specs = docker("5:20.10.22~3-0~debian-buster", false);
    old_specs.push(containerd("1.6.9-1"));
    let buster = DebRepo::new("docker-buster", "buster", "stable", &old_specs).unwrap();
    host.add_source(&repo, "bookworm", "stable").unwrap();
    let project = tempfile::tempdir().unwrap();
    let manifest = format!(
        "sources:\n{}{}packages:\n  docker-ce: \"^20.10\"\n  containerd.io: \"*\"\nplaybooks: [site.yml, roles/]\n",
        source(&repo),
        source(&buster)
    );
    let redhat = "    - name: Docker on RedHat\n      ansible.builtin.dnf:\n        name: docker-ce\n        state: latest\n      when: ansible_facts.os_family == 'RedHat'\n";
    let site =
        format!("- name: Docker hosts\n  hosts: all\n  roles:\n    - docker\n  tasks:\n{redhat}");
    write(
        project.path(),
        &[
            ("pinlock.yml", &manifest),
            ("site.yml", &site),
            ("roles/docker/defaults/main.yml", "docker_edition: ce\n"),
            (
                "roles/docker/tasks/main.yml",
                "- name: Install Docker\n  ansible.builtin.apt:\n    name:\n      - \"docker-{{ docker_edition }}\"\n      - \"docker-{{ docker_edition }}-cli\"\n      - containerd.io\n    state: latest\n    update_cache: true\n",
            ),
        ],
    );
    let pl = Pinlock::new().current_dir(project.path());
    pl.run(&["lock"]).success();
    let pin = pl.run(&["pin"]);
    pin.success();
    assert!(
        pin.stderr.contains("Jinja expression"),
        "pin says why it left the role alone:\n{}",
        pin.stderr
    );
    let check = pl.run(&["pin", "--check"]);
    check.success();
    assert!(!check.stderr.contains("warning"), "{}", check.stderr);
    let lock = lockfile(project.path());
    let arch = machine_arch();
    assert_eq!(lock.targets.len(), 2, "{:?}", lock.targets.keys());
    let pinned_site = std::fs::read_to_string(project.path().join("site.yml")).unwrap();
    assert!(
        pinned_site.contains(redhat),
        "the RedHat task is untouched:\n{pinned_site}"
    );
    let role = std::fs::read_to_string(project.path().join("roles/docker/tasks/main.yml")).unwrap();
    assert!(role.contains("state: latest"), "{role}");

    run_play(&host, project.path(), "site.yml");
    let target = format!("bookworm/{arch}");
    assert_host_runs(&host, &lock, &target, "Jinja role, two targets");
    assert_eq!(host.installed().unwrap()["docker-ce"].version, OLD);
    assert_eq!(
        host.installed().unwrap()["containerd.io"].version,
        "1.6.18-1"
    );
}

/// A role pinlock was never given (`playbooks: [site.yml]` only): the play that runs it is
/// wired anyway, because it runs a role.
#[test]
fn a_role_pinlock_never_scanned_is_enforced_by_its_play() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let repo = docker_repo(false);
    host.add_source(&repo, "bookworm", "stable").unwrap();
    let project = tempfile::tempdir().unwrap();
    let manifest = format!(
        "sources:\n{}packages:\n  docker-ce: \"^20.10\"\nplaybooks: [site.yml]\n",
        source(&repo)
    );
    write(
        project.path(),
        &[
            ("pinlock.yml", &manifest),
            (
                "site.yml",
                "- name: Docker hosts\n  hosts: all\n  roles:\n    - role: docker\n",
            ),
            (
                "roles/docker/tasks/main.yml",
                "- name: Install Docker\n  ansible.builtin.apt:\n    name: [docker-ce, docker-ce-cli, containerd.io]\n    state: latest\n    update_cache: true\n",
            ),
        ],
    );
    let pl = Pinlock::new().current_dir(project.path());
    let lock = lock_and_pin(&pl, project.path());
    let role = std::fs::read_to_string(project.path().join("roles/docker/tasks/main.yml")).unwrap();
    assert!(
        role.contains("state: latest"),
        "the role was not scanned:\n{role}"
    );
    run_play(&host, project.path(), "site.yml");
    assert_host_runs(
        &host,
        &lock,
        &format!("bookworm/{}", machine_arch()),
        "unscanned role",
    );
}

/// The incident itself: docker-ce Recommends apparmor, which no configured source has. A host
/// without it stops before docker-ce is installed, with a message naming apparmor; with
/// apparmor installed the same play installs the locked set; a waiver lets the play through.
#[test]
fn the_preflight_stops_a_host_without_apparmor_before_anything_is_installed() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let repo = docker_repo(true);
    host.add_source(&repo, "bookworm", "stable").unwrap();
    let project = tempfile::tempdir().unwrap();
    let manifest = format!(
        "sources:\n{}packages:\n  docker-ce: \"^20.10\"\nplaybooks: [site.yml]\n",
        source(&repo)
    );
    write(
        project.path(),
        &[
            ("pinlock.yml", &manifest),
            (
                "site.yml",
                "- name: Docker hosts\n  hosts: all\n  tasks:\n    - name: Install Docker\n      ansible.builtin.apt:\n        name: docker-ce\n        update_cache: true\n",
            ),
        ],
    );
    let pl = Pinlock::new().current_dir(project.path());
    let lock = lock_and_pin(&pl, project.path());
    let target = format!("bookworm/{}", machine_arch());
    assert_eq!(
        lock.targets[&target].unresolved["apparmor"].kind,
        "recommends"
    );

    // check mode reports, and does not fail the run (on a host whose apt knows the repository:
    // check mode does not refresh apt's lists)
    assert!(host.sh("apt-get update -q").unwrap().success());
    let check = host
        .ansible_playbook(project.path(), "site.yml", &["--check"])
        .unwrap();
    assert!(check.success(), "{}", check.combined());
    assert!(
        check.stdout.contains("apparmor is not installed"),
        "{}",
        check.stdout
    );

    let out = host
        .ansible_playbook(project.path(), "site.yml", &[])
        .unwrap();
    assert!(!out.success(), "the play must stop:\n{}", out.combined());
    assert!(
        out.stdout
            .contains("pinlock preflight: apparmor is not installed on this host"),
        "{}",
        out.stdout
    );
    assert!(
        !host.installed().unwrap().contains_key("docker-ce"),
        "docker-ce must not be installed"
    );
    assert!(
        !host
            .path("/etc/apt/preferences.d/pinlock-default.pref")
            .exists(),
        "nothing changed before the preflight"
    );

    // a waiver lets the play through the preflight (on another host without apparmor; apt
    // then takes apparmor from Debian's archive as docker-ce's Recommends, unlocked)
    let waived = Host::bookworm().unwrap();
    waived.add_source(&repo, "bookworm", "stable").unwrap();
    let wdir = tempfile::tempdir().unwrap();
    pinlock_tests::copy_dir(project.path(), wdir.path());
    write(
        wdir.path(),
        &[("pinlock.yml", &format!("{manifest}waive: [apparmor]\n"))],
    );
    let wpl = Pinlock::new().current_dir(wdir.path());
    let wlock = lock_and_pin(&wpl, wdir.path());
    assert!(wlock.targets[&target].unresolved["apparmor"].waived);
    run_play(&waived, wdir.path(), "site.yml");
    assert_host_runs(&waived, &wlock, &target, "apparmor waived");

    // with apparmor installed (from Debian's archive), the same play installs the locked set
    let out = host
        .sh("apt-get install -y -q --no-install-recommends apparmor")
        .unwrap();
    assert!(out.success(), "{}", out.combined());
    run_play(&host, project.path(), "site.yml");
    assert_host_runs(&host, &lock, &target, "apparmor installed");
}
