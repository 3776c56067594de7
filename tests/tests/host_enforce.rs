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
use pinlock_tests::host_project::{
    containerd_on_base as containerd, docker_on_base as docker, lock_and_pin,
    manifest_source as source, project_lockfile as lockfile, write_files as write, DOCKER_NEW,
    DOCKER_OLD,
};
use pinlock_tests::{machine_arch, DebRepo, Host, Pinlock};

const OLD: &str = DOCKER_OLD;
const NEW: &str = DOCKER_NEW;

/// Docker's repository as on the day of the incident: 20.10.23 and 23.0.1, containerd 1.6.18.
fn docker_repo(apparmor: bool) -> DebRepo {
    let mut specs = docker(OLD, apparmor);
    specs.extend(docker(NEW, apparmor));
    specs.push(containerd("1.6.18-1"));
    DebRepo::new("docker", "bookworm", "stable", &specs).expect("build the repository")
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
