//! Smoke tests of the real-host harness (`tests/src/host.rs`, `tests/src/debs.rs`): a bookworm
//! chroot runs a playbook against a signed repository of real `.deb` files on loopback, and a
//! dropped host leaves nothing mounted and nothing behind.
//!
//! Need root and (for the first, cached build of the base system) the machine's bookworm
//! mirror; skipped with a printed reason otherwise, failed under `CI=true`.

use std::path::{Path, PathBuf};

use pinlock_tests::{containerd_io, DebRepo, Host, Installed};

const PLAYBOOK: &str = "\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: containerd, pinned
      ansible.builtin.apt:
        name: containerd.io=1.6.18-1
        update_cache: true
";

/// Mount points at or below `dir`, read straight from `/proc/self/mountinfo` (not through the
/// harness, whose own reading is what is being checked).
fn mounted_under(dir: &Path) -> Vec<String> {
    let prefix = dir.to_string_lossy().replace(' ', "\\040");
    std::fs::read_to_string("/proc/self/mountinfo")
        .expect("read /proc/self/mountinfo")
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|m| *m == prefix || m.starts_with(&format!("{prefix}/")))
        .map(str::to_string)
        .collect()
}

#[test]
fn playbook_installs_the_pinned_version_and_a_publish_is_seen_by_apt() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let mut repo = DebRepo::docker_like().unwrap();
    host.add_source(&repo, "bookworm", "stable").unwrap();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("site.yml"), PLAYBOOK).unwrap();

    let out = host
        .ansible_playbook(project.path(), "site.yml", &["--diff"])
        .unwrap();
    assert!(out.success(), "{}", out.combined());
    assert!(out.stdout.contains("changed=1"), "{}", out.combined());
    assert_eq!(
        host.installed().unwrap().get("containerd.io"),
        Some(&Installed {
            version: "1.6.18-1".into(),
            selection: "install".into(),
            status: "installed".into(),
        })
    );
    let doc = host
        .read("/usr/share/doc/containerd.io/pinlock-test")
        .unwrap();
    assert_eq!(
        doc, "containerd.io 1.6.18-1\n",
        "the payload of the real .deb"
    );

    repo.publish(&[containerd_io("1.6.20-1")]).unwrap();
    let update = host.run("apt-get", &["update"]).unwrap().ok().unwrap();
    assert!(
        !update.stdout.contains("Ign:") && !update.stderr.contains("W:"),
        "apt must verify the republished repository:\n{}",
        update.combined()
    );
    let sim = host
        .run("apt-get", &["-s", "upgrade"])
        .unwrap()
        .ok()
        .unwrap();
    assert!(
        sim.stdout
            .lines()
            .any(|l| l.starts_with("Inst containerd.io [1.6.18-1] (1.6.20-1 ")),
        "{}",
        sim.combined()
    );
}

#[test]
fn a_dropped_host_leaves_nothing_mounted_and_nothing_behind() {
    let Some(host) = Host::bookworm_or_skip() else {
        return;
    };
    let dir = host.dir().to_path_buf();
    let mounted = mounted_under(&dir);
    assert!(
        mounted.iter().any(|m| m.ends_with("/root/proc"))
            && mounted.iter().any(|m| m.ends_with("/root/dev")),
        "proc and /dev are mounted into a live host: {mounted:?}"
    );
    let out = host.run("ls", &["/proc/1", "/dev/null"]).unwrap();
    assert!(out.success(), "{}", out.combined());
    drop(host);
    assert_eq!(mounted_under(&dir), Vec::<String>::new());
    assert!(!dir.exists(), "{} was removed", dir.display());
    assert!(Path::new("/dev/null").exists(), "the real /dev is intact");

    // a test that panics while holding a host tears it down too (during unwinding)
    let (tx, rx) = std::sync::mpsc::channel::<PathBuf>();
    let panicked = std::thread::spawn(move || {
        let host = Host::bookworm().unwrap();
        tx.send(host.dir().to_path_buf()).unwrap();
        panic!("a test failing with a live host");
    })
    .join();
    assert!(panicked.is_err());
    let dir = rx.recv().unwrap();
    assert_eq!(mounted_under(&dir), Vec::<String>::new());
    assert!(!dir.exists(), "{} was removed", dir.display());
}
