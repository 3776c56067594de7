//! The library API of `pinlock pin`: errors with positions, targets, warnings, walking, diff and
//! atomic writes.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use pinlock_core::ansible::{
    pin_paths, pin_source, unified_diff, PinError, PinOptions, Pins, HOLD_TASK_NAME,
};

fn pins(targets: &[(&str, &[(&str, &str)])]) -> Pins {
    Pins {
        targets: targets
            .iter()
            .map(|(t, pkgs)| {
                (
                    t.to_string(),
                    pkgs.iter()
                        .map(|(p, v)| (p.to_string(), v.to_string()))
                        .collect::<BTreeMap<_, _>>(),
                )
            })
            .collect(),
    }
}

fn buster() -> Pins {
    pins(&[(
        "buster/amd64",
        &[("docker-ce", "5:23.0.1-1~debian.10~buster")],
    )])
}

const TASK: &str =
    "- name: Install\n  ansible.builtin.apt:\n    name: docker-ce\n    state: latest\n";

#[test]
fn tabs_and_syntax_errors_name_file_line_column() {
    let p = Path::new("play.yml");
    let tabs = "- name: x\n  tasks:\n\t- apt: name=docker-ce\n";
    let err = pin_source(p, tabs, &buster(), &PinOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            PinError::TabIndent {
                line: 3,
                col: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .starts_with("play.yml:3:1: tab used for indentation"));

    let bad = "- name: x\n  apt: {name: docker-ce\n";
    let err = pin_source(p, bad, &buster(), &PinOptions::default()).unwrap_err();
    match &err {
        PinError::Syntax { line, col, .. } => assert!(*line >= 2 && *col >= 1, "{err}"),
        other => panic!("want a syntax error, got {other:?}"),
    }
    assert!(err.to_string().starts_with("play.yml:"), "{err}");
}

#[test]
fn multibyte_text_before_the_edit_is_kept() {
    let text = format!("# ünïcødé ☕ 🐳 comment\n{TASK}");
    let out = pin_source(Path::new("t.yml"), &text, &buster(), &PinOptions::default()).unwrap();
    let new = out.new_text.expect("changed");
    assert!(new.starts_with("# ünïcødé ☕ 🐳 comment\n- name: Install\n"));
    assert!(new.contains("    name: docker-ce=5:23.0.1-1~debian.10~buster\n    state: present\n"));
    assert_eq!(new.matches(HOLD_TASK_NAME).count(), 1);
    assert!(out
        .edits
        .iter()
        .any(|e| e.line == 5 && e.description.contains("latest")));
}

#[test]
fn targets_choose_literal_versions_or_fail() {
    let two = pins(&[
        (
            "buster/amd64",
            &[("docker-ce", "5:23.0.1-1~debian.10~buster")],
        ),
        (
            "bookworm/arm64",
            &[("docker-ce", "5:23.0.1-1~debian.12~bookworm")],
        ),
    ]);
    let forced = PinOptions {
        target: Some("bookworm/arm64".into()),
        ..Default::default()
    };
    let out = pin_source(Path::new("t.yml"), TASK, &two, &forced).unwrap();
    assert!(out
        .new_text
        .unwrap()
        .contains("name: docker-ce=5:23.0.1-1~debian.12~bookworm\n"));

    let unknown = PinOptions {
        target: Some("trixie/amd64".into()),
        ..Default::default()
    };
    let err = pin_source(Path::new("t.yml"), TASK, &two, &unknown).unwrap_err();
    assert!(matches!(err, PinError::UnknownTarget { .. }));
    assert!(
        err.to_string().contains("bookworm/arm64, buster/amd64"),
        "{err}"
    );

    let err = pin_source(
        Path::new("t.yml"),
        TASK,
        &Pins::default(),
        &PinOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, PinError::NoTargets));
}

#[test]
fn packages_not_in_the_pins_and_undefined_variables_are_left_alone() {
    let curl = "- name: Curl\n  ansible.builtin.apt:\n    name: curl\n    state: latest\n";
    let out = pin_source(Path::new("t.yml"), curl, &buster(), &PinOptions::default()).unwrap();
    assert_eq!(out.new_text, None);
    assert!(out.edits.is_empty() && out.warnings.is_empty());

    let var = "- name: Docker\n  ansible.builtin.apt:\n    name: \"{{ pkgs }}\"\n";
    let out = pin_source(Path::new("t.yml"), var, &buster(), &PinOptions::default()).unwrap();
    assert_eq!(out.new_text, None);
    assert_eq!(out.warnings.len(), 1);
    assert_eq!(out.warnings[0].line, 3);
    assert!(
        out.warnings[0].message.contains("`pkgs`"),
        "{:?}",
        out.warnings
    );
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

#[test]
fn walk_apply_and_diff() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let play = root.join("site.yml");
    write(&play, TASK);
    fs::set_permissions(&play, fs::Permissions::from_mode(0o640)).unwrap();
    let untouched = root.join("other.yaml");
    write(
        &untouched,
        "- name: Curl\n  ansible.builtin.apt:\n    name: curl\n",
    );
    // skipped: templates/, files/, hidden dirs, non-YAML files
    for skipped in [
        "roles/x/templates/t.yml",
        "roles/x/files/f.yml",
        ".git/g.yml",
        ".hidden/h.yml",
        "notes.txt",
    ] {
        write(&root.join(skipped), TASK);
    }
    let inode_before = fs::metadata(&untouched).unwrap().ino();

    let report = pin_paths(&[root.to_path_buf()], &buster(), &PinOptions::default()).unwrap();
    let changed: Vec<&PathBuf> = report.changes.iter().map(|c| &c.path).collect();
    assert_eq!(changed, vec![&play]);
    assert!(!report.is_clean());

    let diff = report.diff();
    let name = play.display().to_string();
    // absolute paths are shown as they are; relative ones get git's a/ and b/
    assert!(
        diff.starts_with(&format!("--- {name}\n+++ {name}\n@@")),
        "{diff}"
    );
    assert!(
        unified_diff(Path::new("x.yml"), "a\n", "b\n").starts_with("--- a/x.yml\n+++ b/x.yml\n")
    );
    assert!(diff.contains("\n-    state: latest\n"), "{diff}");
    assert!(diff.contains("\n+    state: present\n"), "{diff}");
    assert_eq!(unified_diff(&play, TASK, TASK), "");

    report.apply().unwrap();
    assert_eq!(
        fs::read_to_string(&play).unwrap(),
        report.changes[0].new_text
    );
    assert_eq!(
        fs::metadata(&play).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(fs::metadata(&untouched).unwrap().ino(), inode_before);
    for skipped in ["roles/x/templates/t.yml", ".hidden/h.yml", "notes.txt"] {
        assert_eq!(fs::read_to_string(root.join(skipped)).unwrap(), TASK);
    }
    let leftovers: Vec<_> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("pinlock-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let again = pin_paths(&[root.to_path_buf()], &buster(), &PinOptions::default()).unwrap();
    assert!(again.is_clean(), "{}", again.diff());
}

#[test]
fn symlinked_files_keep_their_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("shared/docker.yml");
    write(&real, TASK);
    let link = dir.path().join("site.yml");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    // a linked directory pointing back up is not followed while walking
    std::os::unix::fs::symlink(dir.path(), dir.path().join("shared/loop")).unwrap();
    let report = pin_paths(
        std::slice::from_ref(&link),
        &buster(),
        &PinOptions::default(),
    )
    .unwrap();
    report.apply().unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&real)
        .unwrap()
        .contains("docker-ce=5:23.0.1"));
    let walked = pin_paths(
        &[dir.path().to_path_buf()],
        &buster(),
        &PinOptions::default(),
    )
    .unwrap();
    assert!(walked.is_clean(), "{}", walked.diff());
}

#[test]
fn templates_given_explicitly_are_reported_not_edited() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("roles/x/templates/tasks.yml");
    let j2 = dir.path().join("site.yml.j2");
    write(&t, TASK);
    write(&j2, "{% if docker %}\n- name: x\n{% endif %}\n");
    let report = pin_paths(&[t.clone(), j2.clone()], &buster(), &PinOptions::default()).unwrap();
    assert!(report.is_clean());
    let warned: Vec<&PathBuf> = report.warnings.iter().map(|w| &w.path).collect();
    assert_eq!(warned, vec![&t, &j2]);
    assert!(report
        .warnings
        .iter()
        .all(|w| w.message.contains("template")));
}

#[test]
fn a_bad_file_is_skipped_with_a_warning_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.yml"), TASK);
    fs::write(dir.path().join("b.yml"), b"- name: caf\xe9\n").unwrap();
    let report = pin_paths(
        &[dir.path().to_path_buf()],
        &buster(),
        &PinOptions::default(),
    )
    .unwrap();
    // a.yml is still pinned
    assert_eq!(report.changes.len(), 1);
    assert!(report.changes[0].path.ends_with("a.yml"));
    let w: Vec<String> = report.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("b.yml:1: pinlock cannot read this file (not valid UTF-8 at column 12)"),
        "{w:?}"
    );
    // without host enforcement there is no coverage to report
    assert!(report.uncovered.is_empty());
    // with it, an unreadable file that names a locked package is not covered
    fs::write(dir.path().join("c.yml"), b"- apt: {name: docker-ce\n").unwrap();
    let opts = PinOptions {
        enforce_dir: Some(dir.path().join("pinlock")),
        ..Default::default()
    };
    let report = pin_paths(&[dir.path().to_path_buf()], &buster(), &opts).unwrap();
    let u: Vec<String> = report.uncovered.iter().map(|w| w.to_string()).collect();
    assert!(
        u.iter()
            .any(|u| u.contains("c.yml:") && u.contains("names locked packages")),
        "{u:?}"
    );
    assert!(!u.iter().any(|u| u.contains("b.yml")), "{u:?}");
}
