//! Errors and conventions users know from cargo and uv, on a copy of the bundled example (a
//! local signed repository, no network): a hand-edited lockfile refused with file:line and a safe
//! hint, flags checked before any work, `pinlock` alone. Messages are insta snapshots.

use std::path::PathBuf;

use pinlock_tests::{copy_dir, redact, Pinlock, PinlockRun};

fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("docker-buster");
    copy_dir(
        &pinlock_tests::testdata_dir()
            .parent()
            .unwrap()
            .join("examples/docker-buster"),
        &dir,
    );
    (tmp, dir)
}

fn stable(run: &PinlockRun, dir: &std::path::Path) -> String {
    redact(&run.stderr, &[(&dir.display().to_string(), "[PROJECT]")])
}

/// Every file of `dir` (path → bytes), to assert that nothing was written.
fn snapshot_tree(dir: &std::path::Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_hand_edited_lockfile_is_refused_by_every_command_with_its_line() {
    let (_tmp, dir) = example_copy();
    let lock = std::fs::read_to_string(dir.join("pinlock.lock")).unwrap();
    let (line, old) = lock
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("version: 5:20.10"))
        .map(|(i, l)| (i + 1, l.to_string()))
        .expect("a docker-ce version line");
    let edited = lock.replacen(
        &old,
        &old.replace(old.trim_start(), "version: not a version!"),
        1,
    );
    std::fs::write(dir.join("pinlock.lock"), &edited).unwrap();
    let before = snapshot_tree(&dir);
    let p = Pinlock::new().current_dir(&dir);
    for args in [&["pin"][..], &["pin", "--check"], &["lock"], &["outdated"]] {
        let run = p.run(args);
        run.expect_code(2);
        let err = stable(&run, &dir);
        assert!(
            err.contains(&format!("error: pinlock.lock:{line}: ")),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("hint: ") && err.contains("git checkout -- pinlock.lock"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("delete it"), "{args:?}: {err}");
        assert_eq!(snapshot_tree(&dir), before, "{args:?} wrote something");
        if args == ["pin"] {
            insta::assert_snapshot!("lockfile_bad_version", err);
        }
    }
}
