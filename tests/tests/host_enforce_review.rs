//! Review probes of the host enforcement (`pinlock/enforce.yml`, `pinlock/hold.yml` and the
//! play wiring), run like `host_enforce.rs`: pinned playbooks on real Debian 12 chroots with
//! Debian's ansible-core, real apt/dpkg, and a signed loopback repository of real `.deb`s.
//!
//! Each test is one probe. The ones marked `#[ignore = "defect: …"]` demonstrate a defect found
//! in review: they assert what *should* happen, and fail today. Run them with `--ignored`.
//!
//! Need root and the machine's Debian mirror for the first (cached) build of the base system;
//! skipped with a printed reason otherwise, failed under `CI=true`.

use std::collections::BTreeMap;
use std::path::Path;

use pinlock_core::lockfile::Lockfile;
use pinlock_tests::host_project::{
    containerd_on_base as containerd, docker_on_base, lock_and_pin, manifest_source as source,
    project_lockfile as lockfile, write_files as write, DOCKER_NEW, DOCKER_OLD,
};
use pinlock_tests::{machine_arch, DebRepo, DebSpec, Host, HostOutput, Pinlock, PROJECT_DIR};

const OLD: &str = DOCKER_OLD;
const NEW: &str = DOCKER_NEW;

fn docker(version: &str) -> Vec<DebSpec> {
    docker_on_base(version, false)
}

/// A package of its own (no relation to Docker's), to add to and drop from a manifest.
fn extra(version: &str) -> DebSpec {
    DebSpec::new("extra-tool", version).depends("libc6 (>= 2.34)")
}

/// An `Architecture: all` package.
fn docs_all(version: &str) -> DebSpec {
    DebSpec::new("docker-docs", version).arch("all")
}

/// Docker's two releases, containerd, plus `extra-tool` and the arch-all `docker-docs`.
fn full_repo(name: &str) -> DebRepo {
    let mut specs = docker(OLD);
    specs.extend(docker(NEW));
    specs.push(containerd("1.6.18-1"));
    specs.push(extra("1.0-1"));
    specs.push(extra("2.0-1"));
    specs.push(docs_all("1.0-1"));
    specs.push(docs_all("2.0-1"));
    DebRepo::new(name, "bookworm", "stable", &specs).expect("build the repository")
}

fn manifest(repo: &DebRepo, packages: &[(&str, &str)], playbooks: &str) -> String {
    let mut m = format!("sources:\n{}packages:\n", source(repo));
    for (n, c) in packages {
        m.push_str(&format!("  {n}: \"{c}\"\n"));
    }
    m.push_str(&format!("playbooks: [{playbooks}]\n"));
    m
}

fn target() -> String {
    format!("bookworm/{}", machine_arch())
}

/// name → (version, selection) of the installed packages among `names`.
fn state(host: &Host, names: &[&str]) -> BTreeMap<String, (String, String)> {
    let installed = host.installed().unwrap();
    names
        .iter()
        .filter_map(|n| {
            installed
                .get(*n)
                .filter(|i| i.status == "installed")
                .map(|i| (n.to_string(), (i.version.clone(), i.selection.clone())))
        })
        .collect()
}

/// Every package of the lockfile's target that is installed is at its locked version and held;
/// returns which are installed.
fn assert_installed_are_locked_and_held(host: &Host, lock: &Lockfile, when: &str) -> Vec<String> {
    let installed = host.installed().unwrap();
    let mut wrong = BTreeMap::new();
    let mut present = Vec::new();
    for (name, p) in &lock.targets[&target()].packages {
        if let Some(i) = installed.get(name).filter(|i| i.status == "installed") {
            present.push(name.clone());
            if i.version != p.version || i.selection != "hold" {
                wrong.insert(name.clone(), (p.version.clone(), i.clone()));
            }
        }
    }
    assert!(wrong.is_empty(), "{when}: locked vs host: {wrong:#?}");
    present
}

fn play(host: &Host, project: &Path, playbook: &str, args: &[&str]) -> HostOutput {
    host.ansible_playbook(project, playbook, args).unwrap()
}

fn run_ok(host: &Host, project: &Path, playbook: &str, args: &[&str]) -> String {
    let out = play(host, project, playbook, args);
    assert!(out.success(), "the play failed:\n{}", out.combined());
    out.stdout
}

fn assert_unchanged(recap: &str, when: &str) {
    assert!(
        recap.contains("changed=0") && !recap.contains("failed=1"),
        "{when}: a second run changes nothing:\n{recap}"
    );
}

fn sh_ok(host: &Host, script: &str) -> String {
    let out = host.sh(script).unwrap();
    assert!(out.success(), "{script}:\n{}", out.combined());
    out.stdout
}

/// Real roles: several plays in one playbook (enforce imported twice per host), the first with
/// `gather_facts: false`, `serial: 1` and `strategy: free`, run with `--tags docker` and
/// `--limit`; then `--skip-tags docker`. Works.
#[test]
fn several_plays_gather_facts_false_serial_free_tags_and_limit() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let repo = full_repo("docker");
    host.add_source(&repo, "bookworm", "stable").unwrap();
    let project = tempfile::tempdir().unwrap();
    let site = "\
- name: Containerd first
  hosts: all
  gather_facts: false
  serial: 1
  strategy: free
  become: true
  tasks:
    - name: Install containerd
      ansible.builtin.apt:
        name: containerd.io
        update_cache: true
      tags: [docker]

- name: Docker hosts
  hosts: all
  become: true
  tasks:
    - name: Install docker
      ansible.builtin.apt:
        name: docker-ce
        state: latest
      tags: [docker]
    - name: Something else
      ansible.builtin.debug:
        msg: hi
      tags: [other]
";
    write(
        project.path(),
        &[
            (
                "pinlock.yml",
                &manifest(&repo, &[("docker-ce", "^20.10")], "site.yml"),
            ),
            ("site.yml", site),
        ],
    );
    let pl = Pinlock::new().current_dir(project.path());
    let lock = lock_and_pin(&pl, project.path());
    let pinned = std::fs::read_to_string(project.path().join("site.yml")).unwrap();
    assert_eq!(pinned.matches("pinlock/enforce.yml").count(), 2, "{pinned}");

    run_ok(
        &host,
        project.path(),
        "site.yml",
        &["--tags", "docker", "--limit", "localhost"],
    );
    let present = assert_installed_are_locked_and_held(&host, &lock, "--tags docker");
    assert_eq!(present.len(), 4, "{present:?}");
    let again = run_ok(&host, project.path(), "site.yml", &["--tags", "docker"]);
    assert_unchanged(&again, "--tags docker");
    let skip = run_ok(
        &host,
        project.path(),
        "site.yml",
        &["--skip-tags", "docker"],
    );
    assert_unchanged(&skip, "--skip-tags docker");
    assert_installed_are_locked_and_held(&host, &lock, "--skip-tags docker");
}

/// `--check --diff` on a fresh host changes nothing and succeeds; the diff shows the
/// preferences. Works.
#[test]
fn check_diff_on_a_fresh_host_changes_nothing() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let repo = full_repo("docker");
    host.add_source(&repo, "bookworm", "stable").unwrap();
    sh_ok(&host, "apt-get update -q");
    let project = tempfile::tempdir().unwrap();
    write(
        project.path(),
        &[
            (
                "pinlock.yml",
                &manifest(&repo, &[("docker-ce", "^20.10")], "site.yml"),
            ),
            (
                "site.yml",
                "- name: Docker hosts\n  hosts: all\n  become: true\n  tasks:\n    - name: Install docker\n      ansible.builtin.apt:\n        name: docker-ce\n        state: latest\n",
            ),
        ],
    );
    let pl = Pinlock::new().current_dir(project.path());
    lock_and_pin(&pl, project.path());
    let out = run_ok(&host, project.path(), "site.yml", &["--check", "--diff"]);
    assert!(out.contains("Pin: version"), "{out}");
    assert!(!host
        .path("/etc/apt/preferences.d/pinlock-default.pref")
        .exists());
    assert!(state(&host, &["docker-ce", "containerd.io"]).is_empty());
}

/// Holds follow the manifest: a package dropped from it is unheld and leaves the preferences;
/// a user's own hold on a package pinlock never locked stays; a locked package no task
/// installs is not installed; an `Architecture: all` package is held at its version; each
/// run twice is idempotent. Works.
#[test]
fn holds_follow_the_manifest_and_leave_the_users_own_alone() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let repo = full_repo("docker");
    host.add_source(&repo, "bookworm", "stable").unwrap();
    // the user's own hold, on a package pinlock never locks
    sh_ok(&host, "apt-mark hold hostname");
    let project = tempfile::tempdir().unwrap();
    let m = |pkgs: &[(&str, &str)]| manifest(&repo, pkgs, "site.yml");
    write(
        project.path(),
        &[
            (
                "pinlock.yml",
                &m(&[
                    ("docker-ce", "^20.10"),
                    ("extra-tool", "^1.0"),
                    ("docker-docs", "^1.0"),
                ]),
            ),
            (
                "site.yml",
                "- name: Tools\n  hosts: all\n  become: true\n  tasks:\n    - name: Install tools\n      ansible.builtin.apt:\n        name: [extra-tool, docker-docs]\n        state: latest\n        update_cache: true\n",
            ),
        ],
    );
    let pl = Pinlock::new().current_dir(project.path());
    let lock = lock_and_pin(&pl, project.path());
    run_ok(&host, project.path(), "site.yml", &[]);
    let present = assert_installed_are_locked_and_held(&host, &lock, "first run");
    assert_eq!(
        present,
        ["docker-docs", "extra-tool"],
        "docker-ce is locked, not installed"
    );
    let pref = host
        .read("/etc/apt/preferences.d/pinlock-default.pref")
        .unwrap();
    assert!(pref.contains("Package: docker-ce\n"), "{pref}");
    assert_unchanged(&run_ok(&host, project.path(), "site.yml", &[]), "first");

    // extra-tool leaves the manifest (the task still installs it, unpinned)
    write(
        project.path(),
        &[(
            "pinlock.yml",
            &m(&[("docker-ce", "^20.10"), ("docker-docs", "^1.0")]),
        )],
    );
    pl.run(&["lock"]).success();
    pl.run(&["pin"]).success();
    let lock = lockfile(project.path());
    assert!(!lock.targets[&target()].packages.contains_key("extra-tool"));
    run_ok(&host, project.path(), "site.yml", &[]);
    assert_installed_are_locked_and_held(&host, &lock, "after dropping extra-tool");
    let st = state(&host, &["extra-tool", "hostname"]);
    assert_eq!(st["extra-tool"].1, "install", "released: {st:?}");
    assert_eq!(
        st["hostname"].1, "hold",
        "the user's own hold stays: {st:?}"
    );
    let pref = host
        .read("/etc/apt/preferences.d/pinlock-default.pref")
        .unwrap();
    assert!(!pref.contains("extra-tool"), "{pref}");
    assert_unchanged(&run_ok(&host, project.path(), "site.yml", &[]), "second");
}

/// A downgrade: the host runs Docker 23.0.1 (its own hold on docker-ce), the lockfile says
/// 20.10; a play that only says `docker-ce` present moves the whole closure down and holds
/// it. Works.
#[test]
fn a_host_ahead_of_the_lockfile_is_moved_down_and_held() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let repo = full_repo("docker");
    host.add_source(&repo, "bookworm", "stable").unwrap();
    sh_ok(
        &host,
        "apt-get update -q && apt-get install -y -q docker-ce && apt-mark hold docker-ce",
    );
    assert_eq!(state(&host, &["docker-ce-cli"])["docker-ce-cli"].0, NEW);
    let project = tempfile::tempdir().unwrap();
    write(
        project.path(),
        &[
            (
                "pinlock.yml",
                &manifest(&repo, &[("docker-ce", "^20.10")], "site.yml"),
            ),
            // a role pinlock does not scan, so no task names a version
            (
                "site.yml",
                "- name: Docker hosts\n  hosts: all\n  become: true\n  roles: [docker]\n",
            ),
            (
                "roles/docker/tasks/main.yml",
                "- name: Docker\n  ansible.builtin.apt:\n    name: docker-ce\n",
            ),
        ],
    );
    let pl = Pinlock::new().current_dir(project.path());
    let lock = lock_and_pin(&pl, project.path());
    run_ok(&host, project.path(), "site.yml", &[]);
    let present = assert_installed_are_locked_and_held(&host, &lock, "downgrade");
    assert_eq!(present.len(), 4, "{present:?}");
    assert_unchanged(&run_ok(&host, project.path(), "site.yml", &[]), "downgrade");
}

/// Two pinlock projects manage one host (say, the Docker team's and the monitoring team's
/// repositories, each with its own pinlock.yml). Both write the same
/// `/etc/apt/preferences.d/pinlock-default.pref`, and the second one's enforce.yml releases the holds
/// of every package the first one enforced ("no longer locked": in the previous preferences,
/// not in its pins) and drops their pins: Docker is then free to move on the next
/// `apt-get upgrade` — the incident pinlock exists to prevent.
///
/// Should: a run of project B leave project A's pins and holds alone (e.g. a preferences file
/// per project, named after the lockfile's path or a `pinlock_id`, and "no longer locked"
/// computed from that project's own previous file only).
///
/// Fixed: each manifest names its project (`project:`), whose preferences file
/// (`pinlock-<project>.pref`) is the only one its enforcement reads and writes.
#[test]
fn two_pinlock_projects_on_one_host_keep_each_others_pins() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let repo = full_repo("docker");
    host.add_source(&repo, "bookworm", "stable").unwrap();
    let a = tempfile::tempdir().unwrap();
    write(
        a.path(),
        &[
            (
                "pinlock.yml",
                &format!(
                    "{}project: docker\n",
                    manifest(&repo, &[("docker-ce", "^20.10")], "site.yml")
                ),
            ),
            (
                "site.yml",
                "- name: Docker hosts\n  hosts: all\n  become: true\n  tasks:\n    - name: Docker\n      ansible.builtin.apt:\n        name: docker-ce\n        update_cache: true\n",
            ),
        ],
    );
    let b = tempfile::tempdir().unwrap();
    write(
        b.path(),
        &[
            (
                "pinlock.yml",
                &format!(
                    "{}project: monitoring\n",
                    manifest(&repo, &[("extra-tool", "^1.0")], "site.yml")
                ),
            ),
            (
                "site.yml",
                "- name: Monitoring\n  hosts: all\n  become: true\n  tasks:\n    - name: Tool\n      ansible.builtin.apt:\n        name: extra-tool\n",
            ),
        ],
    );
    let lock_a = lock_and_pin(&Pinlock::new().current_dir(a.path()), a.path());
    lock_and_pin(&Pinlock::new().current_dir(b.path()), b.path());
    run_ok(&host, a.path(), "site.yml", &[]);
    assert_installed_are_locked_and_held(&host, &lock_a, "after project A");
    run_ok(&host, b.path(), "site.yml", &[]);
    let pref = host
        .read("/etc/apt/preferences.d/pinlock-docker.pref")
        .unwrap_or_default();
    let st = state(&host, &["docker-ce", "docker-ce-cli", "containerd.io"]);
    sh_ok(&host, "apt-get -y -q upgrade");
    let after = state(&host, &["docker-ce", "docker-ce-cli"]);
    assert!(
        st.values().all(|(_, sel)| sel == "hold") && pref.contains("Package: docker-ce\n"),
        "project B's run released project A's packages: {st:?}\npreferences now:\n{pref}\nafter apt-get upgrade: {after:?}"
    );
    assert_eq!(after["docker-ce"].0, OLD, "{after:?}");
}

/// A play that runs with privileges only on its tasks (`become: true` on the task, as many
/// roles and playbooks connecting as an unprivileged deploy user do). Before `pinlock pin` it
/// works; after, the imported enforce.yml runs without `become` and fails every host at its
/// first write (`/etc/apt/preferences.d`), before the play's own tasks: `pin` turned a working
/// play into a failing one, and `pin --check` passed.
///
/// Should: the wired imports carry the privileges the enforcement needs (e.g. `become: true`
/// on pinlock's two import entries, or on the generated blocks, overridable by a variable), or
/// `pin` warn that the play has no play-level `become`.
#[test]
fn a_play_with_become_only_on_its_tasks_still_runs() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let repo = full_repo("docker");
    host.add_source(&repo, "bookworm", "stable").unwrap();
    // an unprivileged deploy user with passwordless sudo, as on real fleets
    sh_ok(
        &host,
        "apt-get install -y -q --no-install-recommends sudo \
         && useradd -m -s /bin/sh deploy \
         && echo 'deploy ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/deploy \
         && chmod 0440 /etc/sudoers.d/deploy",
    );
    let project = tempfile::tempdir().unwrap();
    let site = "- name: Docker hosts\n  hosts: all\n  tasks:\n    - name: Docker\n      become: true\n      ansible.builtin.apt:\n        name: docker-ce\n        update_cache: true\n";
    write(
        project.path(),
        &[
            (
                "pinlock.yml",
                &manifest(&repo, &[("docker-ce", "^20.10")], "site.yml"),
            ),
            ("site.yml", site),
        ],
    );
    let as_deploy = |host: &Host| -> HostOutput {
        let dst = host.path(PROJECT_DIR);
        let _ = std::fs::remove_dir_all(&dst);
        pinlock_tests::copy_dir(project.path(), &dst);
        sh_ok(host, &format!("chmod -R a+rX {PROJECT_DIR}"));
        host.sh(&format!(
            "cd {PROJECT_DIR} && runuser -u deploy -- env HOME=/home/deploy \
             ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1 \
             ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
             ansible-playbook -c local -i localhost, site.yml"
        ))
        .unwrap()
    };
    // the unpinned play works as the deploy user
    let before = as_deploy(&host);
    assert!(before.success(), "{}", before.combined());
    sh_ok(
        &host,
        "apt-get purge -y -q docker-ce docker-ce-cli docker-ce-rootless-extras containerd.io",
    );

    let pl = Pinlock::new().current_dir(project.path());
    let lock = lock_and_pin(&pl, project.path());
    let after = as_deploy(&host);
    assert!(
        after.success(),
        "the pinned play fails where the unpinned one ran:\n{}",
        after.combined()
    );
    assert_installed_are_locked_and_held(&host, &lock, "become on tasks");
}

/// A play with a task pinlock cannot rewrite in the playbook itself — the Jinja-built list
/// the README names as the reason the enforcement exists — is not wired at all: the refusal
/// leaves the whole file untouched, wiring included. `pin` exits 0 (warnings only), the host
/// installs Docker's newest, and the hint says "fix that", although there is nothing to fix:
/// the enforcement alone would have covered the task.
///
/// Should: a file whose task edits are refused still gets its plays wired (the wiring splices
/// are independent of the task rewrite), as a role with the same task does.
#[test]
fn a_jinja_list_in_the_playbook_itself_is_enforced() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let repo = full_repo("docker");
    host.add_source(&repo, "bookworm", "stable").unwrap();
    let project = tempfile::tempdir().unwrap();
    let site = "- name: Docker hosts\n  hosts: all\n  become: true\n  vars:\n    docker_edition: ce\n  tasks:\n    - name: Docker\n      ansible.builtin.apt:\n        name: [\"docker-{{ docker_edition }}\"]\n        state: latest\n        update_cache: true\n";
    write(
        project.path(),
        &[
            (
                "pinlock.yml",
                &manifest(&repo, &[("docker-ce", "^20.10")], "site.yml"),
            ),
            ("site.yml", site),
        ],
    );
    let pl = Pinlock::new().current_dir(project.path());
    pl.run(&["lock"]).success();
    let pin = pl.run(&["pin"]);
    let lock = lockfile(project.path());
    let pinned = std::fs::read_to_string(project.path().join("site.yml")).unwrap();
    let out = play(&host, project.path(), "site.yml", &[]);
    let st = state(&host, &["docker-ce", "docker-ce-cli"]);
    assert!(
        pinned.contains("pinlock/enforce.yml"),
        "the play is not wired (pin exit {:?}):\n{}\n{pinned}\nhost: {st:?}",
        pin.code,
        pin.stderr
    );
    assert!(out.success(), "{}", out.combined());
    assert_installed_are_locked_and_held(&host, &lock, "Jinja list in the playbook");
}

/// The generated files under the project venv's newer ansible-core (2.19 at the time of
/// writing; its templating engine was rewritten), on the same host: copies the venv's
/// site-packages into the chroot and runs its ansible-playbook with the chroot's Python 3.11.
/// Skipped when there is no such venv (`PINLOCK_REVIEW_VENV`, default `/work/main/.venv`).
///
/// Failed before the fix on ansible-core 2.19: a `|-` variable whose Jinja loop renders nothing is `None`
/// there (2.14 gives `''`), so `when: pinlock_release | length > 0` in enforce.yml fails every
/// host with nothing to release ("object of type 'NoneType' has no len()") — i.e. every first
/// run; hold.yml's `pinlock_sync | length` / `pinlock_sync.split(',')` and `pinlock_hold |
/// length` have the same shape. Should: run as on 2.14 (e.g. `(pinlock_release or '') | length`,
/// or build the lists with filters rather than whitespace-sensitive loops).
#[test]
fn the_generated_files_run_under_the_venvs_newer_ansible_core() {
    // the venv scripts/install-ansible makes (a newer ansible-core than Debian's), run by the
    // chroot's python3 (both 3.11 on Debian 12)
    let venv = std::env::var_os("PINLOCK_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv"));
    let sp = venv.join("lib/python3.11/site-packages");
    if !sp.join("ansible").is_dir() {
        pinlock_tests::skip_or_fail(&format!(
            "no ansible-core in {} (run scripts/install-ansible)",
            sp.display()
        ));
        return;
    }
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    pinlock_tests::copy_dir(&sp, &host.path("/opt/ac/site-packages"));
    let version = host
        .sh("PYTHONPATH=/opt/ac/site-packages python3 -c 'import ansible.release as r; print(r.__version__)'")
        .unwrap();
    assert!(version.success(), "{}", version.combined());
    let repo = full_repo("docker");
    host.add_source(&repo, "bookworm", "stable").unwrap();
    let project = tempfile::tempdir().unwrap();
    write(
        project.path(),
        &[
            (
                "pinlock.yml",
                &manifest(&repo, &[("docker-ce", "^20.10"), ("docker-docs", "^1.0")], "site.yml"),
            ),
            (
                "site.yml",
                "- name: Docker hosts\n  hosts: all\n  become: true\n  gather_facts: false\n  tasks:\n    - name: Docker\n      ansible.builtin.apt:\n        name: [docker-ce, docker-docs]\n        state: latest\n        update_cache: true\n",
            ),
        ],
    );
    let pl = Pinlock::new().current_dir(project.path());
    let lock = lock_and_pin(&pl, project.path());
    let new_core = |host: &Host, args: &str| -> HostOutput {
        let dst = host.path(PROJECT_DIR);
        let _ = std::fs::remove_dir_all(&dst);
        pinlock_tests::copy_dir(project.path(), &dst);
        host.sh(&format!(
            "cd {PROJECT_DIR} && PYTHONPATH=/opt/ac/site-packages \
             ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1 \
             ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
             python3 -m ansible.cli.playbook -c local -i localhost, site.yml {args}"
        ))
        .unwrap()
    };
    let out = new_core(&host, "");
    assert!(
        out.success(),
        "ansible-core {}:\n{}",
        version.stdout.trim(),
        out.combined()
    );
    let present = assert_installed_are_locked_and_held(&host, &lock, "newer ansible-core");
    assert_eq!(present.len(), 5, "{present:?}");
    let pref = host
        .read("/etc/apt/preferences.d/pinlock-default.pref")
        .unwrap();
    assert!(
        pref.contains(&format!(
            "\nPackage: docker-ce\nPin: version {OLD}\nPin-Priority: 1001\n"
        )),
        "{pref}"
    );
    let again = new_core(&host, "");
    assert!(again.success(), "{}", again.combined());
    assert_unchanged(&again.stdout, "newer ansible-core");
}

/// A playbook in a subdirectory, reached through `import_playbook`, with FQCN roles and
/// handlers: the imports are `../pinlock/…` and Ansible finds them. Works.
#[test]
fn a_playbook_in_a_subdirectory_imports_the_enforcement_relative_to_itself() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let repo = full_repo("docker");
    host.add_source(&repo, "bookworm", "stable").unwrap();
    let project = tempfile::tempdir().unwrap();
    write(
        project.path(),
        &[
            (
                "pinlock.yml",
                &manifest(&repo, &[("docker-ce", "^20.10")], "site.yml, playbooks/"),
            ),
            ("site.yml", "- import_playbook: playbooks/docker.yml\n"),
            (
                "playbooks/docker.yml",
                "- name: Docker hosts\n  hosts: all\n  become: true\n  roles:\n    - role: docker\n  handlers:\n    - name: Restart docker\n      ansible.builtin.debug:\n        msg: restart\n",
            ),
            (
                "playbooks/roles/docker/tasks/main.yml",
                "- name: Docker\n  ansible.builtin.apt:\n    name: docker-ce\n    state: latest\n    update_cache: true\n  notify: Restart docker\n",
            ),
        ],
    );
    let pl = Pinlock::new().current_dir(project.path());
    let lock = lock_and_pin(&pl, project.path());
    let wired = std::fs::read_to_string(project.path().join("playbooks/docker.yml")).unwrap();
    assert!(
        wired.contains("import_tasks: ../pinlock/enforce.yml"),
        "{wired}"
    );
    run_ok(&host, project.path(), "site.yml", &[]);
    let present = assert_installed_are_locked_and_held(&host, &lock, "subdirectory");
    assert_eq!(present.len(), 4, "{present:?}");
    assert_unchanged(
        &run_ok(&host, project.path(), "site.yml", &[]),
        "subdirectory",
    );
}

/// The locked version vanished from the repository the host uses (Docker has pulled
/// releases): apt ignores a `Pin: version` it cannot find, so the play's own task installs
/// the repository's newest docker-ce (23.0.1), and only hold.yml, after the play, fails. The
/// host is left running an unlocked, unheld version — the failure comes after the damage.
///
/// Should: fail the host before the play's own tasks install anything (enforce.yml knows the
/// locked versions; e.g. check with `apt-cache policy`/`apt-get install -s name=version` after
/// refreshing the lists, or at least name the vanished version), so no host runs what the
/// lockfile does not say.
#[test]
fn a_locked_version_missing_from_the_repository_stops_the_host_before_it_installs() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    // pinlock locks against the repository as it was (20.10 and 23.0)...
    let locked_repo = full_repo("docker");
    // ...the host sees it after 20.10 was pulled
    let mut now = docker(NEW);
    now.push(containerd("1.6.18-1"));
    let host_repo = DebRepo::new("docker-now", "bookworm", "stable", &now).unwrap();
    host.add_source(&host_repo, "bookworm", "stable").unwrap();
    let project = tempfile::tempdir().unwrap();
    write(
        project.path(),
        &[
            (
                "pinlock.yml",
                &manifest(&locked_repo, &[("docker-ce", "^20.10")], "site.yml"),
            ),
            (
                "site.yml",
                "- name: Docker hosts\n  hosts: all\n  become: true\n  roles: [docker]\n",
            ),
            (
                "roles/docker/tasks/main.yml",
                "- name: Docker\n  ansible.builtin.apt:\n    name: docker-ce\n    update_cache: true\n",
            ),
        ],
    );
    let pl = Pinlock::new().current_dir(project.path());
    lock_and_pin(&pl, project.path());
    let out = play(&host, project.path(), "site.yml", &[]);
    let st = state(&host, &["docker-ce", "docker-ce-cli", "containerd.io"]);
    assert!(!out.success(), "{}", out.combined());
    assert!(
        !st.contains_key("docker-ce"),
        "the host installed an unlocked docker-ce before anything failed: {st:?}\n{}",
        out.stdout
    );
}

/// `pre_tasks: []` and an empty `pre_tasks:` (null) are common in skeletons; pinlock refuses to
/// wire such a play ("not a block list of tasks"), though replacing the empty value with a block
/// list is a safe splice. `pin` exits 0 with warnings, `pin --check` exits 1 (honest). Low.
///
/// Should: wire the play (replace `[]`/null by a block list holding pinlock's import).
#[test]
fn empty_or_null_pre_tasks_are_wired() {
    let example = pinlock_tests::example_dir("docker-buster");
    for pre in ["  pre_tasks: []\n", "  pre_tasks:\n"] {
        let dir = tempfile::tempdir().unwrap();
        pinlock_tests::copy_dir(&example, dir.path());
        let _ = std::fs::remove_dir_all(dir.path().join("pinlock"));
        let _ = std::fs::remove_dir_all(dir.path().join("group_vars"));
        let site = format!(
            "- name: Docker hosts\n  hosts: all\n  become: true\n{pre}  tasks:\n    - name: Docker\n      ansible.builtin.apt:\n        name: docker-ce\n"
        );
        write(dir.path(), &[("site.yml", &site)]);
        let pl = Pinlock::new().current_dir(dir.path());
        let pin = pl.run(&["pin"]);
        pin.success();
        let after = std::fs::read_to_string(dir.path().join("site.yml")).unwrap();
        assert!(
            after.contains("import_tasks: pinlock/enforce.yml"),
            "{pre:?} not wired:\n{}\n{after}",
            pin.stderr
        );
        pl.run(&["pin", "--check"]).success();
    }
}
