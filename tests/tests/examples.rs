//! The bundled examples under `examples/` run offline from a fresh clone: each holds signed
//! repositories built from fixtures (committed, so no network and no gpg are needed to use them),
//! a manifest, the lockfile it produces and a playbook. These tests keep every one of them honest:
//!
//! - each committed repository is exactly what the harness builds from its fixture today, with
//!   the committed throwaway key;
//! - the committed lockfile is what `pinlock lock` produces: `--locked` exits 0, and a fresh
//!   lock (no lockfile) writes the same bytes;
//! - the playbook is pinned (`pinlock pin --check` exits 0; the incident example `docker-buster`
//!   is committed unpinned on purpose: there `--check` exits 1, `pin` fixes it, `--check` exits 0)
//!   and passes `ansible-playbook --syntax-check` (skipped without Ansible unless `CI=true`);
//!   with several targets, Ansible given each target's facts reads exactly that target's locked
//!   versions from the generated `group_vars/all/pinlock.yml`;
//! - the real apt accepts every committed repository (one sandbox per target), and apt's
//!   candidate for every package the manifest asks for is the locked version — except where the
//!   example holds a package back on purpose, where the locked version must be one apt knows and
//!   older than apt's candidate; for the example with Debian's repository, `apt-get install
//!   --simulate` of the locked versions installs exactly the locked closure.
//!
//! `PINLOCK_BLESS=1 cargo test -p pinlock-tests --test examples` rebuilds the repositories and
//! keys, re-locks from scratch and re-pins the playbooks (then the checks run on the result).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use pinlock_core::lockfile::{LockedTarget, Lockfile};
use pinlock_core::manifest::{release_of_suite, Manifest};
use pinlock_core::source::SignedBy;
use pinlock_tests::{
    fixture, require_apt_tools, require_tool, AptSandbox, Compression, Pinlock, RepoBuilder, Server,
};

/// One committed repository of an example.
struct Repo {
    /// Directory inside the example (what the manifest's source points at).
    dir: &'static str,
    /// Fixture under `testdata/repos/`.
    fixture: &'static str,
    /// Suites of the fixture to include; empty: all of them.
    suites: &'static [&'static str],
    /// Served index encodings.
    compress: &'static [Compression],
}

/// One example directory under `examples/`.
struct Example {
    name: &'static str,
    repos: &'static [Repo],
    /// The committed site.yml is already pinned (`pin --check` exits 0).
    pinned: bool,
    /// Requested packages deliberately locked older than apt's candidate.
    held_back: &'static [&'static str],
    /// Debian's repository is configured: apt must resolve the locked closure exactly.
    closure: bool,
}

use Compression::{Bz2, Gz, Plain};

const DOCKER_BUSTER: Example = Example {
    name: "docker-buster",
    repos: &[Repo {
        dir: "repo",
        fixture: "docker-debian-2023-03",
        suites: &[],
        compress: &[Plain, Gz, Bz2],
    }],
    pinned: false,
    // the incident: apt's candidate is 23.0.1, the manifest keeps 20.10
    held_back: &["docker-ce", "docker-ce-cli"],
    closure: false,
};

const DOCKER_DEBIAN: Example = Example {
    name: "docker-debian",
    repos: &[Repo {
        dir: "repo",
        fixture: "docker-debian",
        suites: &["buster", "bookworm"],
        compress: &[Plain, Gz],
    }],
    pinned: true,
    held_back: &[],
    closure: false,
};

const DOCKER_UBUNTU: Example = Example {
    name: "docker-ubuntu",
    repos: &[Repo {
        dir: "repo",
        fixture: "docker-ubuntu-2024-06",
        suites: &[],
        compress: &[Plain, Gz],
    }],
    pinned: true,
    held_back: &[],
    closure: false,
};

const DOCKER_DEBIAN_CLOSURE: Example = Example {
    name: "docker-debian-closure",
    repos: &[
        Repo {
            dir: "repo/docker",
            fixture: "docker-debian",
            suites: &["buster", "bookworm"],
            compress: &[Plain, Gz],
        },
        Repo {
            dir: "repo/debian",
            fixture: "debian-main",
            suites: &[],
            compress: &[Plain, Gz],
        },
    ],
    pinned: true,
    held_back: &[],
    closure: true,
};

const EXAMPLES: [&Example; 4] = [
    &DOCKER_BUSTER,
    &DOCKER_DEBIAN,
    &DOCKER_UBUNTU,
    &DOCKER_DEBIAN_CLOSURE,
];

/// This checkout's root. Panics when the harness library was compiled from another checkout
/// (several checkouts sharing one `CARGO_TARGET_DIR` can reuse each other's build of it): its
/// fixtures and the `pinlock` it builds would be the other checkout's, and blessing would write
/// into the other checkout.
fn root_dir() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let lib = pinlock_tests::testdata_dir();
    assert_eq!(
        lib.parent().unwrap(),
        here,
        "the pinlock-tests library was built from another checkout\n\
         hint: `touch tests/src/lib.rs` and run again (or use a target directory of your own)"
    );
    here.to_path_buf()
}

fn examples_dir() -> PathBuf {
    root_dir().join("examples")
}

fn bless() -> bool {
    std::env::var_os("PINLOCK_BLESS").is_some()
}

/// Every file under `root`, relative to it, sorted.
fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for f in files(from) {
        let dest = to.join(&f);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&f), &dest).unwrap();
    }
}

/// A fixture directory holding only `suites` of `name` (all of it when `suites` is empty).
fn fixture_subset(name: &str, suites: &[&str]) -> (Option<tempfile::TempDir>, PathBuf) {
    let fx = fixture(name);
    if suites.is_empty() {
        return (None, fx);
    }
    let tmp = tempfile::tempdir().unwrap();
    for s in suites {
        assert!(fx.join(s).is_dir(), "{name} has no suite {s}");
        copy_tree(&fx.join(s), &tmp.path().join(s));
    }
    let p = tmp.path().to_path_buf();
    (Some(tmp), p)
}

/// Builds each repository of `ex` and compares it (and the key) with the committed copy;
/// with `PINLOCK_BLESS` set, replaces the committed copy first.
fn check_repositories(ex: &Example) {
    if !(require_tool("gpg") && require_tool("gpgconf")) {
        return;
    }
    let dir = examples_dir().join(ex.name);
    for r in ex.repos {
        let (_tmp, fx) = fixture_subset(r.fixture, r.suites);
        let built = RepoBuilder::new(fx).compress(r.compress).build().unwrap();
        let committed = dir.join(r.dir);
        if bless() {
            let _ = std::fs::remove_dir_all(&committed);
            copy_tree(built.path(), &committed);
            std::fs::create_dir_all(dir.join("keys")).unwrap();
            std::fs::copy(&built.key_asc, dir.join("keys/test-repo.asc")).unwrap();
        }
        assert_eq!(
            files(built.path()),
            files(&committed),
            "{}/{}: file list differs (PINLOCK_BLESS=1 to rebuild)",
            ex.name,
            r.dir
        );
        for f in files(built.path()) {
            assert!(
                std::fs::read(built.path().join(&f)).unwrap()
                    == std::fs::read(committed.join(&f)).unwrap(),
                "{}/{}: {} differs from a fresh build (PINLOCK_BLESS=1 to rebuild)",
                ex.name,
                r.dir,
                f.display()
            );
        }
        assert_eq!(
            std::fs::read(&built.key_asc).unwrap(),
            std::fs::read(dir.join("keys/test-repo.asc")).unwrap(),
            "{}: keys/test-repo.asc is not the key the repository is signed with",
            ex.name
        );
    }
}

/// A copy of the example in a temp dir (so checks never touch the committed tree).
fn scratch_copy(ex: &Example) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&examples_dir().join(ex.name), tmp.path());
    tmp
}

/// With `PINLOCK_BLESS`: re-locks from scratch and re-pins the committed example.
fn bless_lock_and_pin(ex: &Example) {
    let dir = examples_dir().join(ex.name);
    let _ = std::fs::remove_file(dir.join("pinlock.lock"));
    let pl = Pinlock::new().current_dir(&dir);
    pl.run(&["lock"]).success();
    if ex.pinned {
        pl.run(&["pin"]).success();
    }
}

/// `lock --locked` exits 0 and a fresh lock writes the committed bytes; the playbook is pinned
/// (after `pin` for the unpinned incident example). Returns the scratch copy, pinned.
fn check_lock_and_pin(ex: &Example) -> tempfile::TempDir {
    let tmp = scratch_copy(ex);
    let pl = Pinlock::new().current_dir(tmp.path());
    let committed = std::fs::read_to_string(tmp.path().join("pinlock.lock")).unwrap();

    let r = pl.run(&["lock", "--locked"]);
    r.expect_code(0);

    let fresh = tempfile::tempdir().unwrap();
    copy_tree(tmp.path(), fresh.path());
    std::fs::remove_file(fresh.path().join("pinlock.lock")).unwrap();
    Pinlock::new()
        .current_dir(fresh.path())
        .run(&["lock"])
        .success();
    let relocked = std::fs::read_to_string(fresh.path().join("pinlock.lock")).unwrap();
    assert!(
        relocked == committed,
        "{}: a fresh `pinlock lock` differs from the committed pinlock.lock \
         (PINLOCK_BLESS=1 to rewrite)\n--- fresh\n{relocked}",
        ex.name
    );

    if ex.pinned {
        pl.run(&["pin", "--check"]).expect_code(0);
    } else {
        let before = std::fs::read_to_string(tmp.path().join("site.yml")).unwrap();
        pl.run(&["pin", "--check"]).expect_code(1);
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("site.yml")).unwrap(),
            before,
            "--check changed site.yml"
        );
        pl.run(&["pin"]).success();
        pl.run(&["pin", "--check"]).expect_code(0);
        assert_ne!(
            std::fs::read_to_string(tmp.path().join("site.yml")).unwrap(),
            before
        );
    }
    let site = std::fs::read_to_string(tmp.path().join("site.yml")).unwrap();
    assert!(
        !site
            .lines()
            .any(|l| l.trim_start().starts_with("state: latest")),
        "{}: site.yml still has state: latest\n{site}",
        ex.name
    );
    assert!(
        site.contains("dpkg_selections"),
        "{}: no hold task\n{site}",
        ex.name
    );
    tmp
}

/// The Ansible bin dir: `$PINLOCK_VENV/bin` (default `<repo>/.venv/bin`, made by
/// scripts/install-ansible), else `ansible-playbook` on PATH. `None` after printing why when
/// neither exists outside CI; panics under `CI=true`.
fn ansible_playbook() -> Option<PathBuf> {
    let venv = std::env::var_os("PINLOCK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root_dir().join(".venv"));
    let bin = venv.join("bin/ansible-playbook");
    if bin.is_file() {
        return Some(bin);
    }
    if let Some(p) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("ansible-playbook"))
            .find(|p| p.is_file())
    }) {
        return Some(p);
    }
    let reason = format!(
        "ansible-playbook not found in {} or on PATH (run scripts/install-ansible)",
        venv.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{reason}");
    }
    eprintln!("skipping the Ansible syntax check: {reason}");
    None
}

/// Runs `ansible-playbook ARGS...` in `dir` with a private Ansible home; returns whether it
/// succeeded and its output.
fn ansible(bin: &Path, dir: &Path, args: &[&str]) -> (bool, String) {
    let home = tempfile::tempdir().unwrap();
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(bin)
        .current_dir(dir)
        .args(args)
        .env("PATH", path)
        .env("ANSIBLE_HOME", home.path())
        .env("ANSIBLE_LOCAL_TEMP", home.path().join("tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .output()
        .expect("run ansible-playbook");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `ansible-playbook --syntax-check site.yml` in the pinned copy `dir`; with several targets,
/// also that Ansible, given each target's facts (release and `ansible_architecture`), reads
/// from `group_vars/all/pinlock.yml` exactly that target's locked versions.
fn check_ansible(ex: &Example, dir: &Path) {
    let Some(bin) = ansible_playbook() else {
        return;
    };
    let (ok, text) = ansible(
        &bin,
        dir,
        &["-i", "localhost,", "--syntax-check", "site.yml"],
    );
    assert!(
        ok && text.contains("playbook: site.yml"),
        "{}: ansible-playbook --syntax-check site.yml failed:\n{text}",
        ex.name
    );

    let lock = Lockfile::load(&dir.join("pinlock.lock")).unwrap().unwrap();
    if lock.targets.len() < 2 {
        return;
    }
    assert!(
        dir.join("group_vars/all/pinlock.yml").is_file(),
        "{}: several targets but no group_vars/all/pinlock.yml",
        ex.name
    );
    // one inventory host per target, with the facts pinlock's vars file keys on
    let mut inventory = String::new();
    for target in lock.targets.keys() {
        let (release, arch) = target.split_once('/').unwrap();
        let machine = match arch {
            "amd64" => "x86_64",
            "arm64" => "aarch64",
            other => panic!("{}: no Ansible architecture for {other}", ex.name),
        };
        inventory.push_str(&format!(
            "{release}-{arch} ansible_connection=local \
             ansible_python_interpreter=\"{{{{ ansible_playbook_python }}}}\" \
             ansible_distribution_release={release} ansible_architecture={machine}\n"
        ));
    }
    let out = tempfile::tempdir().unwrap();
    std::fs::write(dir.join("probe-hosts"), inventory).unwrap();
    std::fs::write(
        dir.join("probe.yml"),
        format!(
            "- name: What each host would install\n  hosts: all\n  gather_facts: false\n  \
             tasks:\n    - name: Write pinlock_pins\n      ansible.builtin.copy:\n        \
             content: \"{{{{ pinlock_pins | to_json }}}}\"\n        \
             dest: \"{}/{{{{ inventory_hostname }}}}.json\"\n        mode: \"0644\"\n",
            out.path().display()
        ),
    )
    .unwrap();
    let (ok, text) = ansible(&bin, dir, &["-i", "probe-hosts", "probe.yml"]);
    assert!(ok, "{}: probe play failed:\n{text}", ex.name);
    for (target, locked) in &lock.targets {
        let file = out
            .path()
            .join(format!("{}.json", target.replace('/', "-")));
        let pins: BTreeMap<String, String> =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let want: BTreeMap<String, String> = locked
            .packages
            .iter()
            .map(|(n, p)| (n.clone(), p.version.clone()))
            .collect();
        assert_eq!(
            pins, want,
            "{}: {target}: pinlock_pins as Ansible sees it vs the lockfile",
            ex.name
        );
    }
}

/// Real apt on the committed repositories, one sandbox per target of the lockfile.
fn check_with_apt(ex: &Example) {
    if !require_apt_tools() {
        return;
    }
    let dir = examples_dir().join(ex.name);
    let manifest = Manifest::load(&dir.join("pinlock.yml")).unwrap();
    let lock = Lockfile::load(&dir.join("pinlock.lock"))
        .unwrap()
        .expect("pinlock.lock exists");
    assert!(!lock.targets.is_empty(), "{}: no targets", ex.name);

    // one loopback server per committed repository the manifest names
    let mut servers: BTreeMap<String, Server> = BTreeMap::new();
    for s in &manifest.sources {
        assert!(
            !s.spec.uri.contains("://"),
            "{}: source {} is not the bundled repository",
            ex.name,
            s.spec.uri
        );
        let root = manifest.dir.join(&s.spec.uri);
        assert!(root.join("dists").is_dir(), "{}", root.display());
        servers
            .entry(s.spec.uri.clone())
            .or_insert_with(|| Server::serve(&root));
    }

    for (target, locked) in &lock.targets {
        let (release, arch) = target.split_once('/').unwrap();
        let mut lines = Vec::new();
        for s in &manifest.sources {
            let Some(SignedBy::Files(keys)) = &s.spec.signed_by else {
                panic!("{}: {} has no signed-by file", ex.name, s.spec.uri);
            };
            let keys: Vec<String> = keys
                .iter()
                .map(|k| manifest.dir.join(k).display().to_string())
                .collect();
            for suite in &s.spec.suites {
                let rel = s.release.as_deref().unwrap_or(release_of_suite(suite));
                if rel != release {
                    continue;
                }
                lines.push(format!(
                    "deb [arch={arch} signed-by={}] {} {suite} {}",
                    keys.join(","),
                    servers[&s.spec.uri].url(),
                    s.spec.components.join(" ")
                ));
            }
        }
        assert!(!lines.is_empty(), "{}: no source feeds {target}", ex.name);
        let apt = AptSandbox::new(&lines, &[arch]).unwrap();
        apt.update().unwrap_or_else(|e| {
            panic!("{}: apt rejects the repository for {target}: {e}", ex.name)
        });
        check_candidates(ex, target, locked, &apt, &manifest);
        if ex.closure {
            check_simulate(ex, target, locked, &apt, &manifest);
        }
    }
}

fn check_candidates(
    ex: &Example,
    target: &str,
    locked: &LockedTarget,
    apt: &AptSandbox,
    manifest: &Manifest,
) {
    for name in manifest.packages.keys() {
        let pkg = locked
            .packages
            .get(name)
            .unwrap_or_else(|| panic!("{}: {target}: {name} is not locked", ex.name));
        assert!(
            pkg.requested.is_some(),
            "{}: {target}: {name} lacks requested",
            ex.name
        );
        let candidate = apt.candidate(name).unwrap();
        if ex.held_back.contains(&name.as_str()) {
            let candidate = candidate.expect("apt has a candidate");
            assert!(
                apt.versions(name).unwrap().contains(&pkg.version),
                "{}: {target}: apt does not know {name} {}",
                ex.name,
                pkg.version
            );
            assert_eq!(
                pinlock_core::version::compare(&pkg.version, &candidate).unwrap(),
                std::cmp::Ordering::Less,
                "{}: {target}: {name} is held back, yet locked {} is not older than apt's {candidate}",
                ex.name,
                pkg.version
            );
        } else {
            assert_eq!(
                candidate.as_deref(),
                Some(pkg.version.as_str()),
                "{}: {target}: apt's candidate for {name} vs the lockfile",
                ex.name
            );
        }
    }
}

/// `apt-get install --simulate` of every requested package at its locked version installs
/// exactly the locked closure (same names, same versions), and nothing Depends on is unresolved.
fn check_simulate(
    ex: &Example,
    target: &str,
    locked: &LockedTarget,
    apt: &AptSandbox,
    manifest: &Manifest,
) {
    let specs: Vec<String> = manifest
        .packages
        .keys()
        .map(|n| format!("{n}={}", locked.packages[n].version))
        .collect();
    let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
    let plan = apt.simulate(&specs).unwrap();
    let planned: BTreeMap<&str, &str> =
        plan.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let lockset: BTreeMap<&str, &str> = locked
        .packages
        .iter()
        .map(|(n, p)| (n.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        planned, lockset,
        "{}: {target}: apt-get install --simulate vs the locked closure",
        ex.name
    );
    for (name, u) in &locked.unresolved {
        assert!(
            u.kind != "depends" && u.kind != "pre-depends",
            "{}: {target}: {name} unresolved although Debian's repository is configured: {u:?}",
            ex.name
        );
    }
}

fn run_example(ex: &Example) {
    check_repositories(ex);
    if bless() {
        bless_lock_and_pin(ex);
    }
    let pinned = check_lock_and_pin(ex);
    check_ansible(ex, pinned.path());
    check_with_apt(ex);
}

#[test]
fn example_docker_buster() {
    run_example(&DOCKER_BUSTER);
}

#[test]
fn example_docker_debian() {
    run_example(&DOCKER_DEBIAN);
}

#[test]
fn example_docker_ubuntu() {
    run_example(&DOCKER_UBUNTU);
}

#[test]
fn example_docker_debian_closure() {
    run_example(&DOCKER_DEBIAN_CLOSURE);
}

/// Every example directory is tested here and listed in the README's examples table; each has
/// its README, manifest, lockfile and playbook.
#[test]
fn every_example_is_tested_and_listed() {
    let readme = std::fs::read_to_string(root_dir().join("README.md")).unwrap();
    let mut dirs: Vec<String> = std::fs::read_dir(examples_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("pinlock.yml").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut tested: Vec<String> = EXAMPLES.iter().map(|e| e.name.to_string()).collect();
    tested.sort();
    assert_eq!(
        dirs, tested,
        "example directories vs the examples tested here"
    );
    for name in &tested {
        let dir = examples_dir().join(name);
        for f in ["README.md", "pinlock.yml", "pinlock.lock", "site.yml"] {
            assert!(dir.join(f).is_file(), "examples/{name}/{f} is missing");
        }
        let lines = std::fs::read_to_string(dir.join("README.md"))
            .unwrap()
            .lines()
            .count();
        assert!(
            (5..=15).contains(&lines),
            "examples/{name}/README.md has {lines} lines (5 to 15)"
        );
        assert!(
            readme.contains(&format!("](examples/{name})")),
            "README.md does not link examples/{name}"
        );
    }
}
