//! Fixture roles under `testdata/init/` in the shapes real Docker roles have; each written
//! manifest is snapshotted and checked: valid package names only, no Jinja outside comments,
//! and a manifest that parses.

use std::path::{Path, PathBuf};

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/init")
        .join(name)
}

fn init(name: &str, targets: &[&str]) -> (InitScan, String) {
    let dir = fixture(name);
    let found = scan(std::slice::from_ref(&dir), &options(targets, &dir)).unwrap();
    let text = render_manifest(&found, &[]);
    check(&found, &text);
    (found, text)
}

/// A temporary directory holding `files` (path relative to it, content).
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Scan options for `targets` (`release/arch`), file names shown relative to `base`.
fn options(targets: &[&str], base: &Path) -> InitOptions {
    InitOptions {
        targets: targets.iter().map(|t| Target::parse(t).unwrap()).collect(),
        base: Some(base.to_path_buf()),
    }
}

/// What every written manifest must satisfy.
fn check(found: &InitScan, text: &str) {
    for line in text.lines() {
        let code = line.split(" #").next().unwrap_or_default();
        if !code.trim_start().starts_with('#') {
            assert!(
                !code.contains("{{") && !code.contains("{%"),
                "Jinja in {line:?}\n{text}"
            );
        }
    }
    for p in &found.packages {
        assert!(
            packages::valid_name(p),
            "{p:?} is not a package name\n{text}"
        );
    }
    let parsed = crate::manifest::Manifest::parse(text, Path::new("pinlock.yml"));
    if found.sources.is_empty() {
        // a starter without a source: the only complaint is the empty list to fill in
        let e = parsed.unwrap_err().to_string();
        assert!(e.contains("`sources` is empty"), "{e}\n{text}");
        return;
    }
    let m = parsed.unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(m.sources.len(), found.sources.len(), "{text}");
    assert_eq!(
        m.packages.keys().collect::<Vec<_>>(),
        found.packages.iter().collect::<Vec<_>>()
    );
    for s in &found.sources {
        crate::source::parse_one_line(s)
            .unwrap()
            .expect("a deb line");
    }
}

fn names(found: &InitScan) -> Vec<&str> {
    found.packages.iter().map(String::as_str).collect()
}

#[test]
fn multi_var_role_gives_one_literal_source_per_release() {
    let (found, text) = init(
        "multi_var_role",
        &["bookworm/amd64", "bookworm/arm64", "jammy/arm64"],
    );
    assert_eq!(
        found.sources,
        [
            "deb [arch=amd64,arm64 signed-by=keys/docker.asc] https://download.docker.com/linux/debian bookworm stable",
            "deb [arch=arm64 signed-by=keys/docker.asc] https://download.docker.com/linux/ubuntu jammy stable",
        ],
        "the play's vars (stable) win over the role's defaults (nightly)"
    );
    assert_eq!(
        names(&found),
        [
            "containerd.io",
            "docker-ce",
            "docker-ce-cli",
            "docker-ce-rootless-extras"
        ],
        "no epel-release: setup-RedHat.yml contributes nothing"
    );
    assert_eq!(
        found.other_packages.iter().collect::<Vec<_>>(),
        ["apt-transport-https", "ca-certificates"],
        "Debian's packages are not in Docker's repository: commented out, so lock accepts the rest"
    );
    assert!(
        text.contains("\n  # apt-transport-https: \"*\"\n"),
        "{text}"
    );
    assert_eq!(found.keys.len(), 1);
    let cmd = found.keys[0].command().unwrap();
    assert!(
        cmd.contains("curl -fsSL https://download.docker.com/linux/debian/gpg -o keys/docker.asc"),
        "{cmd}"
    );
    assert!(found.placeholders.is_empty(), "{:?}", found.placeholders);
    insta::assert_snapshot!("multi_var_role", text);
}

#[test]
fn multi_var_role_without_targets_asks_for_them() {
    let (found, text) = init("multi_var_role", &[]);
    assert!(found.sources.is_empty(), "{:?}", found.sources);
    assert!(found.needs_targets);
    assert_eq!(found.placeholders.len(), 1, "{:?}", found.placeholders);
    let p = &found.placeholders[0];
    assert_eq!(
        (p.section, p.file.as_str(), p.line),
        (Section::Sources, "roles/docker/tasks/setup-Debian.yml", 16)
    );
    assert!(p.reason.contains("--target"), "{p}");
    assert!(
        found
            .todo()
            .iter()
            .any(|t| t.contains("hint: name the releases")),
        "{:?}",
        found.todo()
    );
    insta::assert_snapshot!("multi_var_role_no_target", text);
}

#[test]
fn jinja_package_lists_give_only_package_names() {
    let (found, text) = init("jinja_packages", &[]);
    assert_eq!(
        names(&found),
        [
            "containerd.io",
            "docker-ce",
            "docker-ce-cli",
            "docker-ce-rootless-extras",
            "docker-compose-plugin",
        ]
    );
    assert_eq!(found.other_packages.iter().collect::<Vec<_>>(), ["pigz"]);
    let unresolved: Vec<(usize, &str)> = found
        .placeholders
        .iter()
        .map(|p| (p.line, p.text.as_str()))
        .collect();
    assert_eq!(unresolved, [(14, "{{ docker__pip_dependencies }}"),]);
    assert!(found
        .placeholders
        .iter()
        .all(|p| p.section == Section::Packages));
    let notes = found.notes.join("\n");
    assert!(
        notes.contains("\"+\" is not a Debian package name"),
        "{notes}"
    );
    assert!(
        notes.contains("\"}}\" is not a Debian package name"),
        "{notes}"
    );
    assert!(
        !text.contains("epel") && !text.contains(".rpm") && !text.contains("docker.io"),
        "{text}"
    );
    insta::assert_snapshot!("jinja_packages", text);
}

#[test]
fn per_os_includes_take_the_debian_family_files_only() {
    let (found, text) = init("per_os_includes", &["bullseye/amd64", "noble/amd64"]);
    assert_eq!(
        found.sources,
        [
            "deb [arch=amd64 signed-by=keys/docker.asc] https://download.docker.com/linux/debian bullseye stable",
            "deb [arch=amd64 signed-by=keys/docker.asc] https://download.docker.com/linux/ubuntu noble stable",
        ]
    );
    assert_eq!(
        names(&found),
        [
            "containerd.io",
            "docker-buildx-plugin",
            "docker-ce",
            "docker-ce-cli"
        ],
        "vars/Ubuntu-24.04.yml (over Ubuntu.yml) for noble, vars/Debian.yml for bullseye (Debian-12.yml is bookworm's), nothing from RedHat.yml"
    );
    assert!(found.placeholders.is_empty(), "{:?}", found.placeholders);
    insta::assert_snapshot!("per_os_includes", text);
}

#[test]
fn shell_step_repository_still_gives_packages_and_a_template() {
    let (found, text) = init("shell_repo_playbook", &["bookworm/amd64"]);
    assert!(found.sources.is_empty());
    assert_eq!(
        names(&found),
        [
            "containerd.io",
            "docker-buildx-plugin",
            "docker-ce",
            "docker-ce-cli",
            "docker-compose-plugin"
        ],
        "jq is installed by a play that adds no repository"
    );
    assert_eq!(
        found.templates,
        ["deb [arch=amd64 signed-by=keys/docker.asc] https://download.docker.com/linux/debian bookworm stable"]
    );
    assert!(
        found
            .notes
            .iter()
            .any(|n| n.starts_with("site.yml:10: adds a repository in a way init does not read")),
        "{:?}",
        found.notes
    );
    assert_eq!(found.keys.len(), 1);
    assert_eq!(
        found.keys[0].fingerprint.as_deref(),
        Some(DOCKER_FINGERPRINT)
    );
    // the template, uncommented, is a manifest lock can read
    let uncommented = text
        .replace("  # - \"deb", "  - \"deb")
        .replace("sources: []", "sources:");
    let m = crate::manifest::Manifest::parse(&uncommented, Path::new("pinlock.yml")).unwrap();
    assert_eq!(m.sources.len(), 1, "{uncommented}");
    insta::assert_snapshot!("shell_repo_playbook", text);
}

#[test]
fn ubuntu_role_keyed_on_lsb_codename() {
    let (found, text) = init(
        "ubuntu_lsb",
        &["jammy/amd64", "noble/amd64", "bookworm/amd64"],
    );
    assert_eq!(
        found.sources,
        [
            "deb [arch=amd64 signed-by=keys/docker.gpg] https://download.docker.com/linux/ubuntu jammy stable",
            "deb [arch=amd64 signed-by=keys/docker.gpg] https://download.docker.com/linux/ubuntu noble stable",
        ]
    );
    assert_eq!(
        names(&found),
        ["containerd.io", "docker-ce", "docker-ce-cli"]
    );
    assert!(
        found
            .notes
            .iter()
            .any(|n| n.contains("target bookworm/amd64 is not ubuntu")),
        "{:?}",
        found.notes
    );
    let cmd = found.keys[0].command().unwrap();
    assert!(
        cmd.contains("https://download.docker.com/linux/ubuntu/gpg -o keys/docker.gpg"),
        "{cmd}"
    );
    insta::assert_snapshot!("ubuntu_lsb", text);

    // without targets: a placeholder, never the Jinja line
    let (found, text) = init("ubuntu_lsb", &[]);
    assert!(found.sources.is_empty());
    assert_eq!(found.placeholders.len(), 1);
    assert!(found.needs_targets);
    insta::assert_snapshot!("ubuntu_lsb_no_target", text);
}

#[test]
fn targets_parse() {
    assert_eq!(
        Target::parse("bookworm/amd64").unwrap().to_string(),
        "bookworm/amd64"
    );
    for bad in ["bookworm", "Bookworm/amd64", "/amd64", "bookworm/"] {
        let e = Target::parse(bad).unwrap_err();
        assert!(e.contains("hint:"), "{e}");
    }
}

#[test]
fn a_file_that_is_not_yaml_is_named_in_the_summary_and_the_rest_is_read() {
    let dir = tree(&[
        ("broken.yml", "- hosts: all\n  tasks:\n    - apt: [\n"),
        ("site.yml", "- hosts: all\n  tasks:\n    - apt: name=jq\n"),
    ]);
    let opts = options(&[], dir.path());
    let found = scan(&[dir.path().to_path_buf()], &opts).unwrap();
    assert_eq!(names(&found), ["jq"]);
    assert!(
        found
            .notes
            .iter()
            .any(|n| n.starts_with("broken.yml:") && n.contains("not read")),
        "{:?}",
        found.notes
    );
    // a path that does not exist is an error naming it
    let e = scan(&[dir.path().join("nope")], &opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope"), "{e}");
}

#[test]
fn finds_sources_keys_and_packages_in_a_role() {
    let dir = tempfile::tempdir().unwrap();
    let tasks = dir.path().join("roles/docker/tasks");
    std::fs::create_dir_all(&tasks).unwrap();
    std::fs::write(
        tasks.join("repo.yml"),
        "- ansible.builtin.apt_key:\n    url: https://r.example/gpg\n- ansible.builtin.apt_repository:\n    repo: \"deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://r.example/debian bookworm stable\"\n",
    )
    .unwrap();
    std::fs::write(
        tasks.join("main.yml"),
        "- block:\n    - apt: name=docker-ce=5:24.0.2-1~debian.12~bookworm,containerd.io state=present\n    - apt:\n        name: old-thing\n        state: absent\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("other.yml"), "- apt: name=curl\n").unwrap();
    let s = scan(&[dir.path().to_path_buf()], &InitOptions::default()).unwrap();
    assert_eq!(
        s.sources,
        ["deb [arch=amd64 signed-by=keys/docker.asc] https://r.example/debian bookworm stable"]
    );
    assert_eq!(
        s.packages.iter().collect::<Vec<_>>(),
        ["containerd.io", "docker-ce"]
    );
    assert_eq!(s.keys.len(), 1);
    assert_eq!(s.keys[0].url.as_deref(), Some("https://r.example/gpg"));
    let text = render_manifest(&s, &["site.yml".into()]);
    assert!(text.contains("\n# waive: [pigz]\n"), "{text}");
    let m = crate::manifest::Manifest::parse(&text, Path::new("pinlock.yml")).unwrap();
    assert_eq!(m.sources.len(), 1);
    assert_eq!(m.packages.len(), 2);
    assert!(m.waive.is_empty(), "the example is commented out");
    let text = text.replace("# waive:", "waive:");
    let m = crate::manifest::Manifest::parse(&text, Path::new("pinlock.yml")).unwrap();
    assert_eq!(m.waive.iter().collect::<Vec<_>>(), ["pigz"]);
}

#[test]
fn per_release_vars_files_win_for_their_release() {
    let (found, _) = init("per_os_includes", &["bookworm/amd64"]);
    assert_eq!(
        names(&found),
        [
            "containerd.io",
            "docker-ce",
            "docker-ce-cli",
            "docker-ce-rootless-extras"
        ],
        "vars/Debian-12.yml"
    );
    let (found, _) = init("per_os_includes", &["jammy/amd64"]);
    assert_eq!(
        names(&found),
        [
            "containerd.io",
            "docker-ce",
            "docker-ce-cli",
            "docker-compose-plugin"
        ],
        "vars/Ubuntu.yml: Ubuntu-24.04.yml is noble's"
    );
}

#[test]
fn when_conditions_on_facts_are_decided_per_target() {
    // the focal-only block of per_os_includes contributes for a focal target only
    let (found, _) = init("per_os_includes", &["focal/amd64"]);
    assert!(
        found.packages.contains("docker-scan-plugin"),
        "{:?}",
        found.packages
    );
    let (found, _) = init("per_os_includes", &["noble/amd64"]);
    assert!(
        !found.packages.contains("docker-scan-plugin"),
        "{:?}",
        found.packages
    );
    // without a target nothing is decided: it may hold
    let (found, _) = init("per_os_includes", &[]);
    assert!(
        found.packages.contains("docker-scan-plugin"),
        "{:?}",
        found.packages
    );
}

#[test]
fn an_unresolved_docker_line_still_keeps_distribution_packages_out() {
    let dir = tree(&[(
        "roles/docker/tasks/main.yml",
        "- apt_repository:\n    repo: deb https://download.docker.com/linux/debian {{ ansible_distribution_release }} {{ channels | join(' ') }}\n- apt:\n    name: [docker-ce, gcc, python3-pip]\n",
    )]);
    let opts = options(&["bookworm/amd64"], dir.path());
    let found = scan(&[dir.path().to_path_buf()], &opts).unwrap();
    assert!(found.sources.is_empty());
    assert_eq!(found.placeholders.len(), 1, "{:?}", found.placeholders);
    assert_eq!(names(&found), ["docker-ce"]);
    assert_eq!(
        found.other_packages.iter().collect::<Vec<_>>(),
        ["gcc", "python3-pip"]
    );
}

#[test]
fn a_sources_list_written_by_copy_is_read_like_a_repo_line() {
    let dir = tree(&[
        ("roles/docker/tasks/main.yml", "- ansible.builtin.copy:\n    content: >\n      deb [arch={{ arch | lower }} signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/{{ ansible_distribution | lower }}\n      {{ ansible_distribution_release }} stable\n    dest: /etc/apt/sources.list.d/docker.list\n- ansible.builtin.template:\n    src: other.list.j2\n    dest: /etc/apt/sources.list.d/other.list\n- apt: name=docker-ce\n"),
    ]);
    let opts = options(&["trixie/arm64"], dir.path());
    let found = scan(&[dir.path().to_path_buf()], &opts).unwrap();
    assert_eq!(
        found.sources,
        ["deb [arch=arm64 signed-by=keys/docker.asc] https://download.docker.com/linux/debian trixie stable"]
    );
    assert!(
        found.notes.iter().any(|n| n.starts_with(
            "roles/docker/tasks/main.yml:6: adds a repository in a way init does not read"
        )),
        "{:?}",
        found.notes
    );
}

#[test]
fn task_vars_are_used_and_run_time_variables_are_not_guessed() {
    let dir = tree(&[
        ("roles/docker/defaults/main.yml", "edition: ce\nextra: pigz\n"),
        ("roles/docker/tasks/main.yml", "- apt_repository:\n    repo: deb [signed-by=/k.asc] https://r.example/debian bookworm main\n- set_fact:\n    extra: \"{{ lookup('env', 'EXTRA') }}\"\n- block:\n    - apt:\n        name: [\"docker-{{ edition }}\", \"{{ cli }}\"]\n  vars:\n    cli: docker-ce-cli\n- apt:\n    name: \"{{ extra }}\"\n- set_fact:\n    _version: \"={{ docker_version }}\"\n  when: docker_version | length > 0\n- apt:\n    name: \"containerd.io{{ _version | default('') }}\"\n"),
    ]);
    let opts = options(&[], dir.path());
    let found = scan(&[dir.path().to_path_buf()], &opts).unwrap();
    // a run-time version suffix does not change the name
    assert_eq!(
        names(&found),
        ["containerd.io", "docker-ce", "docker-ce-cli"]
    );
    assert_eq!(found.placeholders.len(), 1, "{:?}", found.placeholders);
    let p = &found.placeholders[0];
    assert_eq!(p.line, 10);
    assert!(
        p.reason
            .contains("variable extra is set at run time (roles/docker/tasks/main.yml:3: set_fact or register)"),
        "{p}"
    );
}

#[test]
fn swarm_role_with_a_repository_map_and_a_run_time_version_suffix() {
    let (found, text) = init("swarm_map_vars", &["bookworm/amd64", "jammy/arm64"]);
    assert_eq!(
        found.sources,
        [
            "deb [arch=amd64 signed-by=keys/docker.asc] https://download.docker.com/linux/debian bookworm stable",
            "deb [arch=arm64 signed-by=keys/docker.asc] https://download.docker.com/linux/ubuntu jammy stable",
        ]
    );
    assert_eq!(names(&found), ["docker-ce"]);
    assert_eq!(
        found.other_packages.iter().collect::<Vec<_>>(),
        ["apt-transport-https", "gnupg", "libssl-dev", "python3-dev"]
    );
    assert!(found.placeholders.is_empty(), "{:?}", found.placeholders);
    insta::assert_snapshot!("swarm_map_vars", text);
}

#[test]
fn a_repository_for_other_targets_only_is_said_so() {
    let (found, _) = init("ubuntu_lsb", &["noble/arm64"]);
    assert_eq!(
        found.sources,
        ["deb [arch=amd64 signed-by=keys/docker.gpg] https://download.docker.com/linux/ubuntu noble stable"],
        "the role's literal arch= is kept"
    );
    assert!(
        found.notes.iter().any(|n| n.contains(
            "the line's arch= is amd64: target noble/arm64 gets no architecture from it"
        )),
        "{:?}",
        found.notes
    );
    let (found, _) = init("ubuntu_lsb", &["bookworm/amd64"]);
    assert!(found.sources.is_empty());
    assert!(found.placeholders.is_empty());
    assert!(
        found
            .notes
            .iter()
            .any(|n| n.starts_with("no repository task applies to the targets")),
        "{:?}",
        found.notes
    );
}

#[test]
fn a_playbook_with_vars_and_vars_files() {
    let dir = tree(&[
        ("vars/docker.yml", "channel: stable\npackages: [docker-ce, docker-ce-cli]\n"),
        ("site.yml", "- hosts: swarm\n  vars:\n    url: https://download.docker.com/linux\n  vars_files: [vars/docker.yml]\n  tasks:\n    - apt_repository:\n        repo: \"deb [signed-by=/etc/apt/keyrings/docker.asc] {{ url }}/{{ ansible_facts['distribution'] | lower }} {{ ansible_facts['lsb']['codename'] }} {{ channel }}\"\n    - apt:\n        name: \"{{ packages }}\"\n"),
    ]);
    let opts = options(&["noble/amd64", "noble/arm64"], dir.path());
    let found = scan(&[dir.path().join("site.yml")], &opts).unwrap();
    assert_eq!(
        found.sources,
        ["deb [arch=amd64,arm64 signed-by=keys/docker.asc] https://download.docker.com/linux/ubuntu noble stable"]
    );
    assert_eq!(names(&found), ["docker-ce", "docker-ce-cli"]);
}

/// Scrambled Jinja, YAML-ish and condition text never makes init's readers panic.
#[test]
fn scrambled_input_never_panics() {
    const PIECES: &[&str] = &[
        "{{",
        "}}",
        "{%",
        "%}",
        "{#",
        "#}",
        "[",
        "]",
        "(",
        ")",
        "'",
        "\"",
        " ",
        "|",
        "~",
        "+",
        ",",
        ".",
        "=",
        "deb",
        "arch=",
        "signed-by=",
        "lower",
        "default(",
        "x",
        "ansible_lsb",
        "codename",
        " and ",
        " or ",
        "not ",
        " in ",
        "==",
        "é",
        "\n",
        "if",
        "else",
        "1",
    ];
    let found = discover::Found::default();
    let scope = discover::ScopeData::default();
    let target = Target::parse("jammy/arm64").unwrap();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..3000 {
        let mut s = String::new();
        for _ in 0..(seed % 12) {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            s.push_str(PIECES[(seed >> 33) as usize % PIECES.len()]);
        }
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        for t in [None, Some(&target)] {
            let env = env::Env::new(&found, &scope, t);
            let _ = jinja::render(&s, &env, 0);
            let _ = env.may_hold(std::slice::from_ref(&s));
            let task = discover::RepoTask {
                loc: discover::Loc {
                    file: "f".into(),
                    line: 1,
                },
                template: s.clone(),
                ctx: discover::TaskCtx::default(),
            };
            let _ = sources::resolve(&task, &[], &env);
        }
        let _ = discover::free_form(&s);
        let _ = packages::clean(&s);
    }
}

#[test]
fn group_vars_for_some_groups_only_are_not_taken_for_every_host() {
    let dir = tree(&[
        ("roles/docker/defaults/main.yml", "channel: stable\nedition: ce\n"),
        ("group_vars/managers.yml", "channel: test\nedition: ce\n"),
        ("group_vars/all/docker.yml", "url: https://r.example/debian\n"),
        ("roles/docker/tasks/main.yml", "- apt_repository:\n    repo: deb [signed-by=/k.asc] {{ url }} bookworm {{ channel }}\n- apt:\n    name: \"docker-{{ edition }}\"\n"),
    ]);
    let opts = options(&[], dir.path());
    let found = scan(&[dir.path().to_path_buf()], &opts).unwrap();
    assert!(found.sources.is_empty(), "{:?}", found.sources);
    assert_eq!(found.placeholders.len(), 1, "{:?}", found.placeholders);
    assert!(
        found.placeholders[0].reason.contains(
            "different values in group_vars (managers, the role's default for other hosts)"
        ),
        "{}",
        found.placeholders[0]
    );
    // the same value everywhere is fine; group_vars/all/*.yml is read
    assert_eq!(names(&found), ["docker-ce"]);
}
