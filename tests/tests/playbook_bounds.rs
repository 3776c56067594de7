//! The time and memory bounds docs/security.md states for `pinlock pin` on a 20 MB playbook,
//! measured on the child itself (peak RSS from `wait4(2)`, wall time), with headroom for a
//! loaded 2-core machine. Measured (debug build): ~215 MB peak (~10x the file), ~11 s.

use std::time::Duration;

use pinlock_tests::{pinlock_bin, run_measured, BUSTER_LOCKFILE};

/// Peak RSS bound for the 20 MB playbook, MiB (measured ~215 MB in a debug build).
const MAX_RSS_MB: u64 = 320;
/// Wall-time bound, seconds (measured ~11 s in a debug build beside other tests).
const MAX_SECS: u64 = 45;

/// A play with a 20 MB `vars:` block, 2,000 ordinary tasks and one apt task at the end.
fn playbook_20_mb() -> String {
    let mut pb = String::from("- hosts: all\n  vars:\n");
    let mut i = 0;
    while pb.len() < 20 * 1024 * 1024 {
        pb.push_str(&format!(
            "    var_{i}: \"some value that is not short at all, {i}\"\n"
        ));
        i += 1;
    }
    pb.push_str("  tasks:\n");
    for t in 0..2000 {
        pb.push_str(&format!(
            "    - name: task {t}\n      ansible.builtin.command: /bin/true\n"
        ));
    }
    pb.push_str("    - apt:\n        name: docker-ce\n        state: latest\n");
    pb
}

#[test]
fn pinning_a_20_mb_playbook_stays_within_the_stated_bounds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pinlock.lock"), BUSTER_LOCKFILE).unwrap();
    let site = dir.path().join("site.yml");
    let pb = playbook_20_mb();
    std::fs::write(&site, &pb).unwrap();
    let m = run_measured(
        std::process::Command::new(pinlock_bin())
            .arg("--cache-dir")
            .arg(dir.path().join(".cache"))
            .args(["-q", "pin", "--offline", "site.yml"])
            .current_dir(dir.path())
            .env("NO_COLOR", "1"),
    )
    .unwrap();
    eprintln!(
        "20 MB playbook: {:?}, peak {} MB",
        m.elapsed,
        m.max_rss_mb()
    );
    assert!(
        m.status.success(),
        "{:?}: {}",
        m.status,
        String::from_utf8_lossy(&m.stderr)
    );
    let new = std::fs::read_to_string(&site).unwrap();
    assert!(new.contains("docker-ce=5:23.0.1-1~debian.10~buster"));
    assert!(new.starts_with(&pb[..pb.find("  tasks:").unwrap()]));
    assert!(
        m.max_rss_mb() < MAX_RSS_MB,
        "peak RSS {} MB over the bound of {MAX_RSS_MB} MB",
        m.max_rss_mb()
    );
    assert!(
        m.elapsed < Duration::from_secs(MAX_SECS),
        "took {:?}, over the bound of {MAX_SECS} s",
        m.elapsed
    );
    // the measurement is real: a tiny playbook peaks far lower
    std::fs::write(
        &site,
        "- hosts: all\n  tasks:\n    - apt:\n        name: docker-ce\n",
    )
    .unwrap();
    let small = run_measured(
        std::process::Command::new(pinlock_bin())
            .arg("--cache-dir")
            .arg(dir.path().join(".cache"))
            .args(["-q", "pin", "--offline", "site.yml"])
            .current_dir(dir.path()),
    )
    .unwrap();
    assert!(small.status.success());
    assert!(
        small.max_rss_kb > 0 && small.max_rss_kb * 4 < m.max_rss_kb,
        "small {} KB vs big {} KB",
        small.max_rss_kb,
        m.max_rss_kb
    );
}
