//! Errors and conventions users know from cargo and uv, on a copy of the bundled example (a
//! local signed repository, no network): a hand-edited lockfile refused with file:line and a safe
//! hint, flags checked before any work, `pinlock` alone. Messages are insta snapshots.

use std::path::PathBuf;

use pinlock_tests::{redact, Pinlock, PinlockRun};

fn example_copy() -> (tempfile::TempDir, PathBuf) {
    pinlock_tests::example_copy("docker-buster", "docker-buster")
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

/// `pinlock lock` on the example with its manifest edited by `edit`: exit 2, no lockfile
/// change, and stderr with the project directory and `port` redacted.
fn lock_fails_with(edit: impl Fn(&str) -> String) -> String {
    let (_tmp, dir) = example_copy();
    let manifest = std::fs::read_to_string(dir.join("pinlock.yml")).unwrap();
    let edited = edit(&manifest);
    assert_ne!(edited, manifest, "the edit changed nothing");
    std::fs::write(dir.join("pinlock.yml"), &edited).unwrap();
    let before = snapshot_tree(&dir);
    let run =
        Pinlock::new()
            .current_dir(&dir)
            .run(&["lock", "--retries", "0", "--connect-timeout", "2"]);
    run.expect_code(2);
    assert_eq!(snapshot_tree(&dir), before, "lock wrote something");
    let err = stable(&run, &dir);
    // one message, a hint, and no misleading follow-up about packages
    assert_eq!(err.matches("error: ").count(), 1, "{err}");
    assert!(err.contains("\nhint: "), "{err}");
    assert!(!err.contains("no package named"), "{err}");
    assert!(!err.contains("os error"), "{err}");
    err
}

const LINE: &str = "\"deb [arch=amd64,arm64 signed-by=keys/test-repo.asc] repo buster stable\"";

#[test]
fn missing_keyring_names_the_path_with_a_hint() {
    let err = lock_fails_with(|m| m.replace("keys/test-repo.asc]", "keys/docker.asc]"));
    assert!(
        err.contains("keyring keys/docker.asc (signed-by) does not exist"),
        "{err}"
    );
    insta::assert_snapshot!("missing_keyring", err);
}

#[test]
fn unknown_source_keys_point_at_their_line_with_did_you_mean() {
    let map =
        "url: repo\n    suites: buster\n    components: stable\n    signed_by: keys/test-repo.asc";
    let err = lock_fails_with(|m| m.replace(LINE, map));
    assert!(
        err.contains("pinlock.yml:11:5: sources[0]: unknown key `signed_by`"),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `signed-by`?"), "{err}");
    insta::assert_snapshot!("unknown_key_signed_by", err);

    let err = lock_fails_with(|m| m.replace("\"deb [", "\"dbe ["));
    assert!(err.contains("pinlock.yml:8: sources[0]: "), "{err}");
    assert!(err.contains("hint: did you mean `deb`?"), "{err}");
    insta::assert_snapshot!("line_starts_with_dbe", err);

    let err = lock_fails_with(|m| m.replace(" signed-by=", " sigend-by="));
    assert!(err.contains("pinlock.yml:8: sources[0]: "), "{err}");
    assert!(err.contains("hint: did you mean `signed-by`?"), "{err}");
    insta::assert_snapshot!("unknown_option_sigend_by", err);

    let err = lock_fails_with(|m| m.replace("\npackages:", "\npackage:"));
    assert!(
        err.contains("pinlock.yml:9:1: unknown field `package`"),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `packages`?"), "{err}");
}

#[test]
fn component_and_architecture_typos_say_one_thing_with_did_you_mean() {
    let err = lock_fails_with(|m| m.replace("repo buster stable", "repo buster stabel"));
    assert_eq!(err.matches("stabel").count(), 1, "{err}");
    assert!(err.contains("did you mean `stable`?"), "{err}");
    insta::assert_snapshot!("component_typo", err);

    let err = lock_fails_with(|m| m.replace("arch=amd64,arm64", "arch=amd64,amr64"));
    assert!(
        err.contains("did you mean `amd64`?") || err.contains("did you mean `arm64`?"),
        "{err}"
    );
    insta::assert_snapshot!("architecture_typo", err);
}

#[test]
fn suite_typo_gets_a_hint() {
    let err = lock_fails_with(|m| m.replace("repo buster stable", "repo bustre stable"));
    assert!(
        err.contains("suite `bustre` is not in this repository"),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `buster`?"), "{err}");
    insta::assert_snapshot!("suite_typo", err);
}

#[test]
fn unreachable_host_gets_a_short_message() {
    // a loopback port nothing listens on (bound, then released)
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/debian");
    let err = lock_fails_with(|m| m.replace("] repo buster", &format!("] {url} buster")));
    let err = err.replace(&port.to_string(), "[PORT]");
    assert!(err.contains("cannot connect: connection refused"), "{err}");
    for internal in ["client error", "tcp connect error", "(Connect)"] {
        assert!(!err.contains(internal), "{err}");
    }
    insta::assert_snapshot!("unreachable_host", err);
}

#[test]
fn conflicting_flags_are_refused_before_any_work() {
    // an empty directory: any work would fail on the missing manifest first
    let tmp = tempfile::tempdir().unwrap();
    let p = Pinlock::new().current_dir(tmp.path());
    for args in [
        &["pin", "--json", "--diff"][..],
        &["pin", "--diff", "--json", "--check"],
    ] {
        let run = p.run(args);
        run.expect_code(2);
        assert!(run.stdout.is_empty(), "{args:?} printed: {}", run.stdout);
        assert!(
            run.stderr.contains("cannot be used with"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("pinlock.yml"),
            "{args:?} did work before refusing: {}",
            run.stderr
        );
    }
}

/// `cargo` alone prints its help on stdout and exits 0; so does `pinlock`.
#[test]
fn pinlock_alone_prints_help_and_exits_0_like_cargo() {
    let p = Pinlock::new();
    let alone = p.run::<&str>(&[]);
    alone.success();
    let help = p.run(&["--help"]);
    help.success();
    assert_eq!(alone.stdout, help.stdout);
    assert!(alone.stdout.contains("Usage: pinlock"), "{}", alone.stdout);
    assert!(alone.stderr.is_empty(), "{}", alone.stderr);
}

/// `--check` is the check mode of every command that has one; `lock --locked` and `outdated
/// --exit-code` stay as the same flags.
#[test]
fn check_is_an_alias_of_locked_and_exit_code() {
    let (_tmp, dir) = example_copy();
    let p = Pinlock::new().current_dir(&dir);
    p.run(&["lock", "--check"]).success();
    p.run(&["lock", "--locked"]).success();
    // the example's constraint holds docker-ce back: `update` would propose nothing
    p.run(&["outdated", "--check"]).success();
    p.run(&["outdated", "--exit-code"]).success();
    let manifest = std::fs::read_to_string(dir.join("pinlock.yml")).unwrap();
    std::fs::write(
        dir.join("pinlock.yml"),
        manifest.replace("docker-ce: \"^20.10\"", "docker-ce: \"^23\""),
    )
    .unwrap();
    // now it would propose 23.0.1: both names fail, `outdated` alone does not
    let check = p.run(&["outdated", "--check"]);
    check.expect_code(1);
    let exit_code = p.run(&["outdated", "--exit-code"]);
    exit_code.expect_code(1);
    assert_eq!(check.stdout, exit_code.stdout);
    p.run(&["outdated"]).success();
    let check = p.run(&["lock", "--check"]);
    check.expect_code(1);
    let locked = p.run(&["lock", "--locked"]);
    locked.expect_code(1);
    assert_eq!(check.stderr, locked.stderr);
    let help = p.run(&["help", "lock"]).stdout;
    assert!(help.contains("[alias: --check]"), "{help}");
}

/// cargo's `-q` hides status lines and warnings, never errors: a failed `pin --check -q` still
/// prints its `error:` summary (and nothing else).
#[test]
fn quiet_keeps_the_error_of_a_failed_check() {
    let (_tmp, dir) = example_copy();
    // a task pinlock leaves alone with a warning (its list comes from an unknown variable)
    let mut site = std::fs::read_to_string(dir.join("site.yml")).unwrap();
    site.push_str("\n    - name: extra packages\n      ansible.builtin.apt:\n        name: \"{{ extra_packages }}\"\n");
    std::fs::write(dir.join("site.yml"), site).unwrap();
    let p = Pinlock::new().current_dir(&dir);
    let loud = p.run(&["pin", "--check"]);
    loud.expect_code(1);
    assert!(loud.stderr.contains("warning: "), "{}", loud.stderr);
    let quiet = p.run(&["-q", "pin", "--check"]);
    quiet.expect_code(1);
    assert!(
        quiet.stderr.starts_with("error: ") && quiet.stderr.contains("out of date"),
        "{}",
        quiet.stderr
    );
    assert!(!quiet.stderr.contains("warning: "), "{}", quiet.stderr);
    let quiet_ok = p.run(&["-q", "lock", "--check"]);
    quiet_ok.success();
    assert!(quiet_ok.stderr.is_empty(), "{}", quiet_ok.stderr);
}
