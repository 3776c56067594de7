//! SIGKILL in the middle of `pinlock pin` over a tree of many playbooks, 50 times at seeded
//! pseudo-random delays: every playbook is always either its old or its new content, never
//! half-written, and the temporary files a kill may leave behind do not trip a later run.
//! (`pinlock lock` shares the same atomic write, `pinlock_core::write_atomic`.)

use std::process::Command;
use std::time::Duration;

use pinlock_tests::{pinlock_bin, BUSTER_LOCKFILE};

const FILES: usize = 30;

fn old_text(i: usize) -> String {
    let mut s = format!("# playbook {i}\n- hosts: all\n  tasks:\n");
    for t in 0..20 {
        s.push_str(&format!(
            "    - name: task {t}\n      apt:\n        name: docker-ce\n        state: latest\n"
        ));
    }
    s
}

/// xorshift: a seeded, reproducible delay sequence.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn sigkill_during_pin_leaves_old_or_new_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pinlock.lock"), BUSTER_LOCKFILE).unwrap();
    std::fs::write(
        dir.path().join("pinlock.yml"),
        "sources:\n  - \"deb [signed-by=/k.asc] http://127.0.0.1:9/debian buster stable\"\npackages:\n  docker-ce: \"*\"\nplaybooks: [plays]\n",
    )
    .unwrap();
    let plays = dir.path().join("plays");
    std::fs::create_dir(&plays).unwrap();
    let write_old = || {
        for i in 0..FILES {
            std::fs::write(plays.join(format!("p{i:02}.yml")), old_text(i)).unwrap();
        }
    };
    let pin = || {
        let mut c = Command::new(pinlock_bin());
        c.arg("--cache-dir")
            .arg(dir.path().join(".cache"))
            .args(["pin", "--offline", "-q", "plays"])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        c
    };
    // the new content, from one uninterrupted run
    write_old();
    let t0 = std::time::Instant::now();
    assert!(pin().status().unwrap().success());
    // kill anywhere in an uninterrupted run's duration
    let full_ms = (t0.elapsed().as_millis() as u64).max(2);
    let new: Vec<String> = (0..FILES)
        .map(|i| std::fs::read_to_string(plays.join(format!("p{i:02}.yml"))).unwrap())
        .collect();
    assert!(new[0].contains("docker-ce=5:23.0.1-1~debian.10~buster"));

    let mut seed = 0x5eed_u64;
    let (mut killed, mut mixed) = (0, 0);
    for round in 0..50 {
        write_old();
        let mut child = pin().spawn().unwrap();
        std::thread::sleep(Duration::from_millis(next(&mut seed) % full_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
        let (mut n_old, mut n_new) = (0, 0);
        for (i, want_new) in new.iter().enumerate() {
            let got = std::fs::read_to_string(plays.join(format!("p{i:02}.yml"))).unwrap();
            if got == old_text(i) {
                n_old += 1;
            } else if &got == want_new {
                n_new += 1;
            } else {
                panic!("round {round}: p{i:02}.yml is half-written:\n{got}");
            }
        }
        if n_old > 0 && n_new > 0 {
            mixed += 1;
        }
        // leftovers never trip a later run: it completes and pins everything
        assert!(
            pin().status().unwrap().success(),
            "round {round}: rerun failed"
        );
        for (i, want_new) in new.iter().enumerate() {
            let got = std::fs::read_to_string(plays.join(format!("p{i:02}.yml"))).unwrap();
            assert_eq!(&got, want_new, "round {round}: p{i:02}.yml after rerun");
        }
    }
    eprintln!("50 rounds (full run {full_ms} ms): {killed} killed while running, {mixed} with old and new files mixed");
    assert!(
        killed > 0,
        "no run was interrupted: the delays are too long"
    );
}
