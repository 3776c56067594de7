//! Fixture tests for `pinlock pin`: `testdata/pin/<case>/in/` pinned with `<case>/pins.yml` must
//! equal `<case>/expected/` byte for byte, and pinning `expected/` again must change nothing.
//!
//! A case may instead have `error.txt` (the run must fail with a message containing each line,
//! and leave every file untouched) and/or `warnings.txt` (each line must occur in a warning).
//! `expected_vars.yml` holds the generated per-host variables file of a multi-target case.
//! `enforce_dir: DIR` in `pins.yml` turns on the host enforcement wiring (DIR relative to the
//! case's work directory); `uncovered.txt` then lists, one per line, what must be reported as not
//! reached by it (`file:line: message` substrings; none expected when the file is absent).
//! `exclude: [GLOB...]` in `pins.yml` is the manifest's `exclude:` (relative to the work directory).
//! Set `PINLOCK_BLESS=1` to (re)write `expected/` from the output; review the diff before committing.

mod ansible_support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use ansible_support::{copy_tree, files};
use pinlock_core::ansible::{pin_paths, Exclude, PinOptions, Pins};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/pin")
}

#[derive(serde::Deserialize)]
struct PinsFile {
    targets: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    enforce_dir: Option<PathBuf>,
    #[serde(default)]
    exclude: Vec<String>,
}

fn read_pins(case: &Path, work: &Path) -> (Pins, PinOptions) {
    let text = fs::read_to_string(case.join("pins.yml")).expect("pins.yml");
    let f: PinsFile = serde_yaml::from_str(&text).expect("pins.yml parses");
    (
        Pins { targets: f.targets },
        PinOptions {
            target: f.target,
            enforce_dir: f.enforce_dir.map(|d| work.join(d)),
            exclude: Exclude {
                base: work.to_path_buf(),
                globs: f.exclude,
            },
        },
    )
}

/// All files under `dir`, relative, sorted, with their bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files(dir)
        .into_iter()
        .map(|rel| {
            let bytes = fs::read(dir.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect()
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace('\r', "\\r")
}

fn assert_same_tree(got: &Path, want: &Path, what: &str) {
    let (g, w) = (tree(got), tree(want));
    assert_eq!(
        g.keys().collect::<Vec<_>>(),
        w.keys().collect::<Vec<_>>(),
        "{what}: file lists differ"
    );
    for (rel, wb) in &w {
        let gb = &g[rel];
        assert!(
            gb == wb,
            "{what}: {} differs\n--- got\n{}\n--- expected\n{}",
            rel.display(),
            show(gb),
            show(wb)
        );
    }
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

fn run_case(name: &str) {
    let case = cases_dir().join(name);
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let (pins, opts) = read_pins(&case, &work);
    copy_tree(&case.join("in"), &work);
    let rel = |p: &Path| p.strip_prefix(&work).unwrap().display().to_string();

    let expected_error = lines(&case.join("error.txt"));
    let result = pin_paths(std::slice::from_ref(&work), &pins, &opts);
    if !expected_error.is_empty() {
        let err = result.expect_err("this case must fail").to_string();
        for l in &expected_error {
            assert!(err.contains(l.as_str()), "error {err:?} lacks {l:?}");
        }
        assert_same_tree(&work, &case.join("in"), "files after an error");
        return;
    }
    let report = result.unwrap_or_else(|e| panic!("{name}: {e}"));
    let warnings: Vec<String> = report
        .warnings
        .iter()
        .map(|w| format!("{}:{}: {}", rel(&w.path), w.line, w.message))
        .collect();
    let want_warnings = lines(&case.join("warnings.txt"));
    for l in &want_warnings {
        assert!(
            warnings.iter().any(|w| w.contains(l.as_str())),
            "{name}: no warning contains {l:?}; warnings: {warnings:#?}"
        );
    }
    if want_warnings.is_empty() {
        assert!(
            warnings.is_empty(),
            "{name}: unexpected warnings {warnings:#?}"
        );
    }
    let uncovered: Vec<String> = report
        .uncovered
        .iter()
        .map(|w| format!("{}:{}: {}", rel(&w.path), w.line, w.message))
        .collect();
    let want_uncovered = lines(&case.join("uncovered.txt"));
    for l in &want_uncovered {
        assert!(
            uncovered.iter().any(|w| w.contains(l.as_str())),
            "{name}: nothing uncovered contains {l:?}; uncovered: {uncovered:#?}"
        );
    }
    assert_eq!(
        uncovered.len(),
        want_uncovered.len(),
        "{name}: uncovered {uncovered:#?}"
    );
    report.apply().unwrap();

    let expected = case.join("expected");
    let vars_file = case.join("expected_vars.yml");
    if std::env::var("PINLOCK_BLESS").as_deref() == Ok("1") {
        let _ = fs::remove_dir_all(&expected);
        copy_tree(&work, &expected);
        if let Some(v) = &report.multi_target_vars {
            fs::write(&vars_file, v).unwrap();
        }
    }
    assert_same_tree(&work, &expected, name);
    match &report.multi_target_vars {
        Some(v) => assert_eq!(v, &fs::read_to_string(&vars_file).unwrap()),
        None => assert!(!vars_file.exists(), "{name}: expected a vars file"),
    }
    if tree(&case.join("in")) != tree(&expected) {
        assert!(
            !report.edits.is_empty(),
            "{name}: files changed without edits"
        );
    } else {
        assert!(report.is_clean(), "{name}: no change expected");
    }

    // idempotence: expected/ pinned again changes nothing
    let again = tmp.path().join("again");
    copy_tree(&expected, &again);
    let (_, opts) = read_pins(&case, &again);
    let second = pin_paths(std::slice::from_ref(&again), &pins, &opts).unwrap();
    assert!(
        second.is_clean(),
        "{name}: second run would change:\n{}",
        second.diff()
    );
    assert_same_tree(&again, &expected, "second run");
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { run_case(stringify!($name)); })*
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

cases!(
    already_pinned,
    block_rescue,
    bom_no_newline,
    comments,
    crlf,
    docker_flow,
    enforce_docker,
    enforce_empty_lists,
    enforce_roles,
    enforce_uncovered,
    error_invalid,
    error_not_utf8,
    error_tabs,
    exclude_globs,
    flow_args,
    flow_long,
    foreign_os,
    free_form,
    free_form_multi,
    free_form_quoted,
    hold_moved,
    indent4,
    loop_var_arch,
    multi_doc,
    multi_target,
    multi_target_unused,
    play_vars,
    refuse_anchor,
    refuse_free_form,
    refuse_jinja,
    refuse_jinja_var,
    refuse_one_task,
    refuse_removal_var,
    role_defaults,
    skip_molecule,
    tab_continuation,
    target_forced,
);

#[test]
fn every_case_dir_has_a_test() {
    let mut dirs: Vec<String> = fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(dirs, listed, "add each testdata/pin/<case> to cases!()");
}
