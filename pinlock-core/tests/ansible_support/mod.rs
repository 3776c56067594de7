//! What the pin tests share (`pin_fixtures.rs`, `pin_ansible.rs` on the fixtures, `pin_corpus.rs`
//! on the real-world-shaped corpus): file trees and their copies, the Ansible venv, the
//! `ansible-*` command environment, ansible-lint's findings, and a lockfile from pins.

// each test crate that includes this module uses a part of it
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use pinlock_core::lockfile::{LockedPackage, LockedTarget, Lockfile};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The venv's bin dir with ansible-playbook and ansible-lint, or `None` (after printing why)
/// when it is missing outside CI; with `CI=true` a missing venv fails the test.
pub fn venv_bin() -> Option<PathBuf> {
    let venv = std::env::var_os("PINLOCK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv"));
    let bin = venv.join("bin");
    if bin.join("ansible-playbook").is_file() && bin.join("ansible-lint").is_file() {
        return Some(bin);
    }
    let reason = format!(
        "ansible-core/ansible-lint venv not found at {} (run scripts/install-ansible)",
        venv.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{reason}");
    }
    eprintln!("skipping: {reason}");
    None
}

/// Every file under `dir`, relative to it, sorted (none when `dir` does not exist).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Copies the files under `from` to the same relative paths under `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    for rel in files(from) {
        let dest = to.join(&rel);
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        fs::copy(from.join(&rel), dest).unwrap();
    }
}

/// `bin/<tool>` with the venv first on PATH, Ansible's state under `home`, no colours and no
/// retry files.
pub fn ansible_cmd(bin: &Path, tool: &str, home: &Path) -> Command {
    let mut cmd = Command::new(bin.join(tool));
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.env("PATH", path)
        .env("ANSIBLE_HOME", home)
        .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("NO_COLOR", "1")
        .env("PY_COLORS", "0")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0");
    cmd
}

/// Starts `cmd` (an [`ansible_cmd`] of ansible-lint) offline, with pep8-formatted findings
/// piped; [`lint_output`] collects them.
pub fn lint(mut cmd: Command) -> Child {
    cmd.args(["--offline", "--nocolor", "-f", "pep8"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ansible-lint starts")
}

/// The output of a [`lint`] run, stdout then stderr; fails unless ansible-lint ran (exit 0:
/// clean, 2: findings).
pub fn lint_output(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "ansible-lint failed:\n{text}"
    );
    text
}

/// ansible-lint's pep8 findings (`path:line[:col]: rule-id[detail]: message`) as
/// `(file, rule)`, without line numbers (pinning moves them).
pub fn findings(out: &str) -> BTreeSet<(String, String)> {
    out.lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ": ");
            let (loc, rule) = (parts.next()?, parts.next()?);
            let mut lp = loc.split(':');
            let (file, line) = (lp.next()?, lp.next()?);
            (line.parse::<usize>().is_ok() && !rule.contains(' '))
                .then(|| (file.to_string(), rule.to_string()))
        })
        .collect()
}

/// A lockfile holding `targets` (`release/arch` → package → version), every package enforced.
pub fn lockfile(targets: &BTreeMap<String, BTreeMap<String, String>>) -> Lockfile {
    let mut lock = Lockfile::new();
    for (target, pkgs) in targets {
        let mut t = LockedTarget::default();
        for (name, version) in pkgs {
            t.packages.insert(
                name.clone(),
                LockedPackage {
                    version: version.clone(),
                    architecture: target.split('/').nth(1).unwrap_or("amd64").into(),
                    source: name.clone(),
                    filename: String::new(),
                    size: 0,
                    sha256: String::new(),
                    requested: None,
                    required_by: Vec::new(),
                    enforce: true,
                },
            );
        }
        lock.targets.insert(target.clone(), t);
    }
    lock
}
