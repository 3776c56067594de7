//! `pinlock init` on a role in the shape of the public Docker roles (several variables, a
//! multi-line Jinja repository line, defaults overridden by group_vars, a key download) writes a
//! manifest that `pinlock lock` accepts as it is, as soon as the key file is in place: against a
//! signed copy of Docker's repository served over loopback where the role's URL scheme puts it.

use pinlock_tests::{
    copy_dir, fixture, require_repo_tools, testdata_dir, tool_on_path, Pinlock, RepoBuilder, Server,
};

#[test]
fn init_output_locks_once_the_key_is_in_place() {
    if !require_repo_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    // served as <docker_repo_url>/debian, with the key where the role downloads it from
    let root = tempfile::tempdir().unwrap();
    let debian = root.path().join("linux/debian");
    copy_dir(repo.path(), &debian);
    std::fs::copy(&repo.key_asc, debian.join("gpg")).unwrap();
    let srv = Server::serve(root.path());

    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    copy_dir(&testdata_dir().join("init/multi_var_role"), dir);
    std::fs::create_dir_all(dir.join("group_vars")).unwrap();
    std::fs::write(
        dir.join("group_vars/all.yml"),
        format!("docker_repo_url: {}/linux\n", srv.url()),
    )
    .unwrap();

    let pl = Pinlock::new().current_dir(dir);
    let run = pl.run(&[
        "init",
        "site.yml",
        "roles",
        "--target",
        "bookworm/amd64",
        "--target",
        "buster/arm64",
        "--json",
    ]);
    run.success();
    let doc = run.json();
    let url = srv.url();
    assert_eq!(
        doc["sources"],
        serde_json::json!([
            format!(
                "deb [arch=amd64 signed-by=keys/docker.asc] {url}/linux/debian bookworm stable"
            ),
            format!("deb [arch=arm64 signed-by=keys/docker.asc] {url}/linux/debian buster stable"),
        ]),
        "{}",
        run.stdout
    );
    assert_eq!(
        doc["packages"],
        serde_json::json!([
            "containerd.io",
            "docker-ce",
            "docker-ce-cli",
            "docker-ce-rootless-extras"
        ])
    );
    assert_eq!(doc["placeholders"], serde_json::json!([]));
    assert_eq!(
        doc["distribution_packages"],
        serde_json::json!(["apt-transport-https", "ca-certificates"])
    );
    let key = &doc["keys"][0];
    assert_eq!(key["path"], "keys/docker.asc");
    assert_eq!(key["url"], format!("{url}/linux/debian/gpg"));
    let manifest = std::fs::read_to_string(dir.join("pinlock.yml")).unwrap();
    assert!(!manifest.contains("{{"), "{manifest}");
    assert!(
        run.stderr.contains("keys/docker.asc: fetch the key:"),
        "the summary says how to get the key\n{}",
        run.stderr
    );

    // without the key, lock refuses and names it
    let before = pl.run(&["lock"]);
    before.expect_code(2);
    assert!(
        before.stderr.contains("keys/docker.asc"),
        "{}",
        before.stderr
    );

    // the one-line command init printed fetches it (a plain copy without curl)
    let cmd = key["command"].as_str().unwrap();
    if tool_on_path("curl") && tool_on_path("sh") {
        let gnupg = pl.home().join("gnupg");
        std::fs::create_dir_all(&gnupg).unwrap();
        std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .current_dir(dir)
            .env("GNUPGHOME", &gnupg)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{cmd}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        std::fs::create_dir_all(dir.join("keys")).unwrap();
        std::fs::copy(&repo.key_asc, dir.join("keys/docker.asc")).unwrap();
    }
    let after = pl.run(&["lock"]);
    after.success();
    let lock = pinlock_core::Lockfile::load(&dir.join("pinlock.lock"))
        .unwrap()
        .expect("a lockfile");
    for target in ["bookworm/amd64", "buster/arm64"] {
        let t = &lock.targets[target];
        for p in ["docker-ce", "docker-ce-cli", "containerd.io"] {
            assert!(
                t.packages.contains_key(p),
                "{target} {p}: {:?}",
                t.packages.keys()
            );
        }
    }
    assert_eq!(lock.targets.len(), 2, "{:?}", lock.targets.keys());
}

/// The key command init writes for a known repository keeps the key with the expected
/// fingerprint and removes (and fails on) any other.
#[test]
fn key_command_checks_the_fingerprint() {
    if !require_repo_tools() || !tool_on_path("curl") {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-ubuntu")).build().unwrap();
    let root = tempfile::tempdir().unwrap();
    std::fs::copy(&repo.key_asc, root.path().join("gpg")).unwrap();
    let srv = Server::serve(root.path());
    let home = tempfile::tempdir().unwrap();
    let gnupg = home.path().join("gnupg");
    std::fs::create_dir_all(&gnupg).unwrap();
    std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    for (fingerprint, kept) in [
        (repo.fingerprint.clone(), true),
        (pinlock_core::init::DOCKER_FINGERPRINT.to_string(), false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let key = pinlock_core::init::KeyFile {
            path: "keys/docker.asc".into(),
            url: Some(format!("{}/gpg", srv.url())),
            fingerprint: Some(fingerprint),
        };
        let cmd = key.command().unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .current_dir(dir.path())
            .env("GNUPGHOME", &gnupg)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.success(), kept, "{cmd}\n{stderr}");
        assert_eq!(
            dir.path().join("keys/docker.asc").exists(),
            kept,
            "{cmd}\n{stderr}"
        );
        if !kept {
            assert!(stderr.contains("not the expected key"), "{stderr}");
        }
    }
}

/// A playbook that adds Docker's repository with a shell step still gets a manifest: the
/// packages its apt tasks install and a commented template of Docker's repository, with the
/// summary on stderr; a malformed --target is refused with a hint.
#[test]
fn shell_step_playbook_gets_a_manifest_and_a_summary() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    copy_dir(&testdata_dir().join("init/shell_repo_playbook"), dir);
    let pl = Pinlock::new().current_dir(dir);
    let run = pl.run(&["init", "site.yml"]);
    run.success();
    let manifest = std::fs::read_to_string(dir.join("pinlock.yml")).unwrap();
    assert!(manifest.contains("\n  docker-ce: \"*\"\n"), "{manifest}");
    assert!(
        manifest.contains("  # - \"deb [arch=ARCH signed-by=keys/docker.asc] https://download.docker.com/linux/debian RELEASE stable\"\n"),
        "{manifest}"
    );
    assert!(run.stderr.contains("To do"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("site.yml:10: adds a repository in a way init does not read"),
        "{}",
        run.stderr
    );
    // PINLOCK_MANIFEST names where init writes, as it names the manifest for other commands
    let other = Pinlock::new()
        .current_dir(dir)
        .env("PINLOCK_MANIFEST", "ansible/pinlock.yml");
    std::fs::create_dir_all(dir.join("ansible")).unwrap();
    other.run(&["init", "site.yml"]).success();
    assert_eq!(
        std::fs::read_to_string(dir.join("ansible/pinlock.yml")).unwrap(),
        manifest
    );
    let bad = pl.run(&["init", "site.yml", "--force", "--target", "bookworm"]);
    bad.expect_code(2);
    assert!(
        bad.stderr.contains("RELEASE/ARCH") && bad.stderr.contains("hint:"),
        "{}",
        bad.stderr
    );
}
