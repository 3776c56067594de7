//! Regression tests for bugs found by the property tests (`prop_*.rs`) and the fuzz targets
//! (`fuzz/`). Each test names the finding; see docs/fuzzing.md.

use std::collections::BTreeMap;
use std::path::Path;

use pinlock_core::ansible::{pin_source, PinOptions, Pins};

fn docker_ce() -> Pins {
    Pins {
        targets: BTreeMap::from([(
            "buster/amd64".to_string(),
            BTreeMap::from([(
                "docker-ce".to_string(),
                "5:23.0.1-1~debian.10~buster".to_string(),
            )]),
        )]),
    }
}

/// Found by `prop_pin::pin_twice_equals_pin_once`: a play variable used only by a removal
/// (`state: absent`) was rewritten to `docker-ce=<version>`, which turns "remove docker-ce" into
/// "remove docker-ce only if that exact version is installed". Removals are left alone.
#[test]
fn variable_of_a_removal_task_is_not_pinned() {
    let text = "---\n- name: p\n  hosts: all\n  vars:\n    pkgs:\n      - docker-ce\n  tasks:\n  - name: remove\n    apt:\n      name: \"{{ pkgs }}\"\n      state: absent\n";
    let out = pin_source(
        Path::new("site.yml"),
        text,
        &docker_ce(),
        &PinOptions::default(),
    )
    .unwrap();
    assert_eq!(out.new_text, None, "a removal's variable was rewritten");
    assert!(out.edits.is_empty(), "{:?}", out.edits);

    // the same variable used by an install task is still pinned
    let install = text.replace("state: absent", "state: latest");
    let out = pin_source(
        Path::new("site.yml"),
        &install,
        &docker_ce(),
        &PinOptions::default(),
    )
    .unwrap();
    let new = out.new_text.expect("install pinned");
    assert!(
        new.contains("      - docker-ce=5:23.0.1-1~debian.10~buster\n"),
        "{new}"
    );
    assert!(new.contains("state: present"), "{new}");
}

/// Same finding through `loop: "{{ pkgs }}"` with `name: "{{ item }}"` and a `deb:` install.
#[test]
fn variable_of_a_loop_removal_or_deb_install_is_not_pinned() {
    for args in [
        "      name: \"{{ item }}\"\n      state: purged\n    loop: \"{{ pkgs }}\"\n",
        "      name: \"{{ pkgs }}\"\n      deb: /tmp/docker-ce.deb\n",
    ] {
        let text = format!("---\n- name: p\n  hosts: all\n  vars:\n    pkgs: [docker-ce]\n  tasks:\n  - name: t\n    ansible.builtin.apt:\n{args}");
        let out = pin_source(
            Path::new("site.yml"),
            &text,
            &docker_ce(),
            &PinOptions::default(),
        )
        .unwrap();
        assert_eq!(out.new_text, None, "rewritten:\n{text}");
    }
}
