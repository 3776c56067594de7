//! docs/json.md matches what every command prints with `--json`: for each command documented
//! there, the example document's keys are the keys of the real output (top level, and the
//! objects inside arrays when both have one), run on a copy of the bundled example.

use std::collections::BTreeSet;

use pinlock_tests::Pinlock;

/// `(heading command, example JSON)` for every `## \`pinlock CMD ... --json\`` section.
fn documented() -> Vec<(String, serde_json::Value)> {
    let root = pinlock_tests::testdata_dir()
        .parent()
        .unwrap()
        .to_path_buf();
    let text = std::fs::read_to_string(root.join("docs/json.md")).unwrap();
    let mut out = Vec::new();
    for section in text.split("\n## `pinlock ").skip(1) {
        let cmd = section
            .split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches('`');
        let block = section
            .split("```json\n")
            .nth(1)
            .unwrap_or_else(|| panic!("docs/json.md: {cmd} has no json block"))
            .split("```")
            .next()
            .unwrap();
        // the doc elides long arrays as […]
        let block = block.replace("[…]", "[]");
        let value: serde_json::Value = serde_json::from_str(&block)
            .unwrap_or_else(|e| panic!("docs/json.md: {cmd}: not JSON ({e}):\n{block}"));
        out.push((cmd.to_string(), value));
    }
    out
}

fn keys(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// Compares the documented and the real document; returns the differences.
fn compare(cmd: &str, doc: &serde_json::Value, real: &serde_json::Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let (dk, rk) = (keys(doc), keys(real));
    if dk != rk {
        diffs.push(format!("{cmd}: documented keys {dk:?}, printed {rk:?}"));
    }
    for k in dk.intersection(&rk) {
        let (d, r) = (&doc[k], &real[k]);
        if let (Some(d0), Some(r0)) = (
            d.as_array().and_then(|a| a.first()),
            r.as_array().and_then(|a| a.first()),
        ) {
            if d0.is_object() && r0.is_object() && keys(d0) != keys(r0) {
                diffs.push(format!(
                    "{cmd}: {k}[]: documented keys {:?}, printed {:?}",
                    keys(d0),
                    keys(r0)
                ));
            }
        }
    }
    diffs
}

#[test]
fn docs_json_md_matches_every_command() {
    let (_tmp, dir) = pinlock_tests::example_copy("docker-buster", "docker-buster");
    let p = Pinlock::new()
        .current_dir(&dir)
        .env("PINLOCK_NOW", "1680000000");
    let run = |args: &[&str], codes: &[i32]| {
        let r = p.run(args);
        assert!(
            codes.contains(&r.code),
            "{args:?} exited {}:\n{}",
            r.code,
            r.stderr
        );
        r.json()
    };
    let documented = documented();
    let names: Vec<&str> = documented.iter().map(|(c, _)| c.as_str()).collect();
    for want in ["versions", "lock", "pin", "init", "outdated", "update"] {
        assert!(
            names.contains(&want),
            "docs/json.md lacks {want}: {names:?}"
        );
    }
    let mut diffs = Vec::new();
    for (cmd, doc) in &documented {
        let real = match cmd.as_str() {
            "versions" => run(&["versions", "docker-ce", "--json"], &[0]),
            "lock" => run(&["lock", "--json"], &[0]),
            "pin" => run(&["pin", "--check", "--json"], &[0, 1]),
            "init" => {
                std::fs::write(
                    dir.join("repo-tasks.yml"),
                    "- name: docker repository\n  ansible.builtin.apt_repository:\n    repo: \"deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] http://r.example/debian buster stable\"\n- name: docker\n  ansible.builtin.apt:\n    name: docker-ce\n",
                )
                .unwrap();
                run(
                    &["init", "repo-tasks.yml", "-m", "init.yml", "--json"],
                    &[0],
                )
            }
            "outdated" => run(&["outdated", "--json"], &[0]),
            "update" => run(&["update", "--json"], &[0, 10]),
            other => {
                panic!("docs/json.md documents `pinlock {other}`, which this test does not run")
            }
        };
        diffs.extend(compare(cmd, doc, &real));
    }
    assert!(
        diffs.is_empty(),
        "docs/json.md is out of date:\n{}",
        diffs.join("\n")
    );
}
