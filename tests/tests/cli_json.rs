//! `--json` shapes of lock and pin (documented in docs/json.md), run offline on a copy of the
//! bundled example (a local signed repository).

use std::path::PathBuf;

use pinlock_tests::Pinlock;

fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = pinlock_tests::example_copy("docker-buster", "docker-buster");
    std::fs::remove_file(dir.join("pinlock.lock")).unwrap();
    (tmp, dir)
}

#[test]
fn lock_json_reports_locked_changed_and_unresolved() {
    let (_tmp, dir) = example_copy();
    let p = Pinlock::new().current_dir(&dir);
    let first = p.run(&["lock", "--json"]);
    first.success();
    let doc = first.json();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["written"], true);
    assert_eq!(doc["up_to_date"], false);
    assert_eq!(
        doc["targets"]["buster/amd64"]["docker-ce"],
        "5:20.10.23~3-0~debian-buster"
    );
    let changes = doc["changes"].as_array().unwrap();
    assert!(changes
        .iter()
        .any(|c| c["package"] == "docker-ce" && c["change"] == "add" && c["old"].is_null()));
    let unresolved = doc["unresolved"].as_array().unwrap();
    assert!(
        unresolved
            .iter()
            .any(|u| u["package"] == "iptables" && u["kind"] == "depends"),
        "{unresolved:?}"
    );

    // Again: nothing changes, nothing written.
    let again = p.run(&["lock", "--json"]);
    again.success();
    let doc = again.json();
    assert_eq!(doc["written"], false);
    assert_eq!(doc["up_to_date"], true);
    assert_eq!(doc["changes"].as_array().unwrap().len(), 0);

    // --locked --json after moving the constraint to 23: not up to date, exit 1, the
    // upgrade it would make is reported and nothing is written.
    let manifest = std::fs::read_to_string(dir.join("pinlock.yml")).unwrap();
    std::fs::write(
        dir.join("pinlock.yml"),
        manifest.replace("docker-ce: \"^20.10\"", "docker-ce: \"^23\""),
    )
    .unwrap();
    let locked = p.run(&["lock", "--locked", "--json"]);
    locked.expect_code(1);
    let doc = locked.json();
    assert_eq!(doc["up_to_date"], false);
    assert_eq!(doc["written"], false);
    assert!(
        doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["package"] == "docker-ce"
                && c["change"] == "upgrade"
                && c["new"] == "5:23.0.1-1~debian.10~buster"),
        "{doc}"
    );
}

#[test]
fn pin_json_reports_files_edits_and_warnings() {
    let (_tmp, dir) = example_copy();
    let p = Pinlock::new().current_dir(&dir);
    p.run(&["lock"]).success();
    let site = std::fs::read_to_string(dir.join("site.yml")).unwrap();

    let check = p.run(&["pin", "--check", "--json"]);
    check.expect_code(1);
    let doc = check.json();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["check"], true);
    assert_eq!(doc["up_to_date"], false);
    let files = doc["files"].as_array().unwrap();
    assert!(files
        .iter()
        .any(|f| f["path"].as_str().unwrap().ends_with("site.yml") && f["written"] == false));
    assert!(doc["edits"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["description"] == "pin docker-ce" && e["line"].as_u64().unwrap() > 0));
    assert!(doc["warnings"].is_array());
    assert_eq!(
        std::fs::read_to_string(dir.join("site.yml")).unwrap(),
        site,
        "--check wrote"
    );

    let pin = p.run(&["pin", "--json"]);
    pin.success();
    let doc = pin.json();
    assert_eq!(doc["check"], false);
    assert!(doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["written"] == true));
    assert_ne!(std::fs::read_to_string(dir.join("site.yml")).unwrap(), site);

    let after = p.run(&["pin", "--check", "--json"]);
    after.success();
    let doc = after.json();
    assert_eq!(doc["up_to_date"], true);
    assert_eq!(doc["files"].as_array().unwrap().len(), 0);

    p.run(&["pin", "--json", "--diff"]).expect_code(2);
}
