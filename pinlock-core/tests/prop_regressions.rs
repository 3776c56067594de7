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

/// Found by the `pin` fuzz target (pin twice != pin once): the span of a quoted scalar ran past
/// its closing quote over trailing blanks and a comment, so rewriting a double-quoted free-form
/// string deleted the comment after it (and a second pin removed the blank the first one kept).
#[test]
fn quoted_scalar_edit_keeps_the_comment_after_it() {
    let pins = docker_ce();
    let opts = PinOptions::default();
    let v = "5:23.0.1-1~debian.10~buster";
    // already quoted in the input
    let text = "- name: t\n  apt: \"name=docker-ce\" # keep me\n";
    let new = pin_source(Path::new("t.yml"), text, &pins, &opts)
        .unwrap()
        .new_text
        .expect("pinned");
    assert!(
        new.starts_with(&format!("- name: t\n  apt: \"name=docker-ce={v} allow_downgrade=true allow_change_held_packages=true\" # keep me\n")),
        "{new}"
    );
    let block = "- name: t\n  apt:\n    name: 'docker-ce'   # the engine\n    state: latest\n";
    let new = pin_source(Path::new("t.yml"), block, &pins, &opts)
        .unwrap()
        .new_text
        .expect("pinned");
    assert!(
        new.contains(&format!("    name: 'docker-ce={v}'   # the engine\n")),
        "{new}"
    );

    // a tab in a plain free-form string (it made the string double-quoted on the first pin when
    // the whole string was re-rendered; now the values are edited in place and it stays plain);
    // the comment stays after it and the second pin must not touch it (the fuzzer's minimised
    // case, with a comment and a trailing blank)
    for text in [
        "- name: t\n  apt: name=docker-ce x\tD # c\n",
        "- name: t\n  apt: name=docker-ce x\tD ",
    ] {
        let once = pin_source(Path::new("t.yml"), text, &pins, &opts)
            .unwrap()
            .new_text
            .expect("pinned");
        if text.contains("# c") {
            assert!(
                once.contains("allow_change_held_packages=true # c\n"),
                "{once}"
            );
        }
        let twice = pin_source(Path::new("t.yml"), &once, &pins, &opts).unwrap();
        assert_eq!(twice.new_text, None, "pin twice changed:\n{once}");
    }
}

/// Found by the `sources` fuzz target: a one-line source whose option held a URL with
/// credentials (`[check-vps://user:PASSWORD@host]`, i.e. a garbled line) echoed the password in
/// the error's reason, although the line shown next to it was redacted.
#[test]
fn source_option_errors_do_not_show_credentials() {
    for line in [
        "deb [ arch=amd64 check-vps://user:Secr3tPW@example.org ] https://example.org/debian bookworm main",
        "deb [https://user:Secr3tPW@example.org/debian=x] https://example.org/debian bookworm main",
    ] {
        let err = pinlock_core::source::parse_one_line(line).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("Secr3tPW"), "{shown}");
        assert!(shown.contains("option"), "{shown}");
    }
}

/// Found by the `sources` fuzz target: a deb822 stanza with a blank `Suites:` (only a CR)
/// gave a source with no suites, read as nothing at all instead of an error; a blank `URIs:`
/// gave no source, silently.
#[test]
fn deb822_blank_suites_or_uris_is_an_error() {
    use pinlock_core::source::parse_deb822;
    let err = parse_deb822(
        "Types: deb\nURIs: http://x/\nSuites: \r\nComponents: b\n",
        "x.sources",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "x.sources:1: invalid source stanza: missing Suites"
    );
    let err =
        parse_deb822("Types: deb\nURIs:\nSuites: a\nComponents: b\n", "y.sources").unwrap_err();
    assert_eq!(
        err.to_string(),
        "y.sources:1: invalid source stanza: missing URIs"
    );
    // a normal stanza still reads
    let specs = parse_deb822(
        "Types: deb\nURIs: http://x/\nSuites: a\nComponents: b\n",
        "z.sources",
    )
    .unwrap();
    assert_eq!(specs.len(), 1);
    assert_eq!(specs[0].suites, ["a"]);
}

/// Found by the `pin` fuzz target: a comma-separated `pkg:` string ended by a lone `\r` (a YAML
/// line break) at the end of the file; pinning the output again changed it.
#[test]
fn lone_cr_at_the_end_of_a_comma_separated_string_pins_once() {
    let pins = docker_ce();
    let opts = PinOptions::default();
    let text =
        "- name: Install engine\n  ansible.legacy.apt:\n    pkg: docker-ce, dockerthe client\r";
    let once = pin_source(Path::new("t.yml"), text, &pins, &opts)
        .unwrap()
        .new_text
        .expect("pinned");
    let twice = pin_source(Path::new("t.yml"), &once, &pins, &opts).unwrap();
    assert_eq!(twice.new_text, None, "once: {once:?}");
}
