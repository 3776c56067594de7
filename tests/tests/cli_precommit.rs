//! The pre-commit setup the README documents works: every hook of `.pre-commit-hooks.yaml` is a
//! valid pinlock command line run from the repository root (`language: system`, since
//! `language: rust` cannot build a virtual workspace), the README's `rev:` names a tag that
//! exists or is a commit sha, and the README's hook ids are the file's.

use std::path::PathBuf;

use pinlock_tests::Pinlock;

fn repo_root() -> PathBuf {
    pinlock_tests::testdata_dir()
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `(id, field → value)` of each hook, read line by line (the file is flat YAML).
fn hooks() -> Vec<(String, Vec<(String, String)>)> {
    let text = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        if let Some(id) = line.strip_prefix("- id: ") {
            out.push((id.trim().to_string(), Vec::new()));
        } else if let Some((k, v)) = line.trim_start().split_once(": ") {
            out.last_mut()
                .expect("a field before the first hook")
                .1
                .push((k.to_string(), v.trim().to_string()));
        }
    }
    out
}

#[test]
fn every_hook_is_a_pinlock_command_line_run_from_the_root() {
    let hooks = hooks();
    assert!(hooks.len() >= 2, "{hooks:?}");
    let p = Pinlock::new();
    for (id, fields) in &hooks {
        let get = |k: &str| {
            fields
                .iter()
                .find(|(f, _)| f == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("hook {id} has no {k}"))
        };
        // pre-commit's `language: rust` runs `cargo install --path .` here, which a virtual
        // workspace refuses: the hooks run the installed binary
        assert_eq!(get("language"), "system", "{id}");
        assert_eq!(get("pass_filenames"), "false", "{id}");
        let entry = get("entry");
        let args: Vec<&str> = entry
            .strip_prefix("pinlock ")
            .unwrap_or_else(|| panic!("{id}: {entry}"))
            .split_whitespace()
            .collect();
        // the entry parses (clap refuses an unknown flag with exit 2), with the README's args
        let mut with_help = args.clone();
        with_help.extend(["-m", "ansible/pinlock.yml", "--help"]);
        p.run(&with_help).success();
    }
}

#[test]
fn readme_rev_is_a_tag_that_exists_or_a_commit_sha_and_ids_match() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme
        .split("## pre-commit")
        .nth(1)
        .expect("README has a pre-commit section");
    let section = section.split("\n## ").next().unwrap();
    let rev = section
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("rev: "))
        .expect("a rev: line")
        .split_whitespace()
        .next()
        .unwrap();
    let is_sha = rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit());
    if !is_sha {
        let tags = std::process::Command::new("git")
            .args(["tag", "--list", rev])
            .current_dir(repo_root())
            .output()
            .expect("git tag");
        assert_eq!(
            String::from_utf8_lossy(&tags.stdout).trim(),
            rev,
            "README's rev: {rev} is neither a commit sha nor a tag of this repository"
        );
    }
    let ids: Vec<String> = hooks().into_iter().map(|(id, _)| id).collect();
    for line in section.lines() {
        if let Some(id) = line
            .trim_start()
            .trim_start_matches("# ")
            .strip_prefix("- id: ")
        {
            let id = id.split_whitespace().next().unwrap();
            assert!(
                ids.iter().any(|i| i == id),
                "README names hook {id}: {ids:?}"
            );
        }
    }
}
