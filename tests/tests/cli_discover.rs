//! The manifest is found as cargo finds `Cargo.toml`: in the current directory or the nearest
//! parent, or named with `-m` / `PINLOCK_MANIFEST`; the lockfile and playbooks are relative to
//! the manifest's directory, and paths print without a `./` prefix. Run offline on a copy of the
//! bundled example (a local signed repository).

use std::path::{Path, PathBuf};

use pinlock_tests::Pinlock;

/// The example copied to `<tmp>/<sub>` (its lockfile kept).
fn example_in(sub: &str) -> (tempfile::TempDir, PathBuf) {
    pinlock_tests::example_copy("docker-buster", sub)
}

fn no_manifest_above(dir: &Path) -> bool {
    !dir.ancestors().any(|d| d.join("pinlock.yml").exists())
}

#[test]
fn commands_find_the_manifest_in_a_parent_directory() {
    let (_tmp, dir) = example_in("project");
    let sub = dir.join("roles/docker/tasks");
    std::fs::create_dir_all(&sub).unwrap();
    let p = Pinlock::new().current_dir(&sub);

    // lock --locked from three levels down: reads ../../../pinlock.yml and its lockfile
    let locked = p.run(&["lock", "--locked", "--json"]);
    locked.success();
    assert_eq!(locked.json()["lockfile"], "../../../pinlock.lock");

    // pin --check: the manifest's playbooks (site.yml next to it), paths relative to here
    let check = p.run(&["pin", "--check", "--json"]);
    check.expect_code(1);
    let doc = check.json();
    assert_eq!(doc["lockfile"], "../../../pinlock.lock");
    let files: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(files.contains(&"../../../site.yml"), "{files:?}");
    assert!(
        !check.stderr.contains("no lockfile"),
        "the lockfile one level up was not found:\n{}",
        check.stderr
    );

    // pin writes next to the manifest, not in the current directory
    p.run(&["pin"]).success();
    assert!(dir.join("pinlock/enforce.yml").is_file());
    assert!(!sub.join("pinlock").exists());
    p.run(&["pin", "--check"]).success();
}

#[test]
fn json_paths_have_no_dot_slash_prefix() {
    let (_tmp, dir) = example_in("project");
    let p = Pinlock::new().current_dir(&dir);
    let lock = p.run(&["lock", "--json"]);
    lock.success();
    assert_eq!(lock.json()["lockfile"], "pinlock.lock");
    let check = p.run(&["pin", "--check", "--json"]);
    check.expect_code(1);
    let doc = check.json();
    assert_eq!(doc["lockfile"], "pinlock.lock");
    for key in ["files", "edits", "warnings", "uncovered"] {
        for item in doc[key].as_array().unwrap() {
            let path = item["path"].as_str().unwrap();
            assert!(!path.starts_with("./"), "{key}: {path}");
        }
    }
    assert!(
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "site.yml"),
        "{doc}"
    );
    // the same convention in the messages
    assert!(!check.stderr.contains("./"), "{}", check.stderr);
}

/// pre-commit runs hooks from the repository root; with the manifest in `ansible/`, the search
/// upward cannot find it: the error says so, and `-m` or `PINLOCK_MANIFEST` (the hook's
/// `args: [-m, ansible/pinlock.yml]`) finds it.
#[test]
fn manifest_in_a_subdirectory_is_named_with_m_or_the_environment() {
    let (tmp, ansible) = example_in("ansible");
    let root = tmp.path();
    let p = Pinlock::new().current_dir(root);
    if no_manifest_above(root) {
        let none = p.run(&["pin", "--check"]);
        none.expect_code(2);
        assert!(
            none.stderr.contains("could not find pinlock.yml")
                && none.stderr.contains("hint: ")
                && none.stderr.contains("-m FILE"),
            "{}",
            none.stderr
        );
        let none = p.run(&["lock", "--locked"]);
        none.expect_code(2);
        assert!(
            none.stderr.contains("could not find pinlock.yml"),
            "{}",
            none.stderr
        );
    }
    p.run(&["pin", "-m", "ansible/pinlock.yml"]).success();
    assert!(ansible.join("pinlock/enforce.yml").is_file());
    let site = std::fs::read_to_string(ansible.join("site.yml")).unwrap();
    assert!(
        site.contains("import_tasks: pinlock/enforce.yml"),
        "the import is relative to the playbook:\n{site}"
    );
    // the same files from the manifest's own directory, by the search (and `site.yml` given
    // bare: its directory is the current one)
    let inside = Pinlock::new().current_dir(&ansible);
    inside.run(&["pin", "--check"]).success();
    inside.run(&["pin", "--check", "site.yml"]).success();
    let check = p.run(&["pin", "--check", "--json", "-m", "ansible/pinlock.yml"]);
    check.success();
    assert_eq!(check.json()["lockfile"], "ansible/pinlock.lock");
    let env = Pinlock::new()
        .current_dir(root)
        .env("PINLOCK_MANIFEST", "ansible/pinlock.yml");
    env.run(&["pin", "--check"]).success();
    env.run(&["lock", "--locked"]).success();
    // -m wins over the environment
    let bad = Pinlock::new()
        .current_dir(root)
        .env("PINLOCK_MANIFEST", "nope/pinlock.yml");
    bad.run(&["pin", "--check", "-m", "ansible/pinlock.yml"])
        .success();
    let missing = bad.run(&["pin", "--check"]);
    missing.expect_code(2);
    assert!(
        missing
            .stderr
            .contains("manifest nope/pinlock.yml does not exist"),
        "{}",
        missing.stderr
    );
}
