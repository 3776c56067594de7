//! `pinlock pin` on real-world-shaped Ansible code (`testdata/corpus`, see its README): a
//! geerlingguy-like role (Jinja-built list, `package` tasks, setup-RedHat/Debian includes), a
//! nickjj-like role (literal list, state variable), a swarm playbook with free-form apt tasks,
//! and a collection role with molecule scenarios (issue 15, "Done when").
//!
//! Asserted: the run does not abort; nothing changes outside Debian apt work (files for other
//! OS families and molecule scenarios are byte-identical; elsewhere only package names, `state`,
//! the `allow_*` options, hold tasks and the enforcement imports change, and never in a task
//! for another OS family); every literal Docker install is pinned; a second run (`pin --check`)
//! finds nothing to change and nothing uncovered, so it passes and prints no warning (the CLI
//! prints warnings on a passing check only when it fails). With the Ansible venv
//! (`$PINLOCK_VENV`, default `<repo>/.venv`), `ansible-playbook --syntax-check` passes before
//! and after, and ansible-lint finds nothing after that it did not find before; without the
//! venv that part is skipped with a printed reason, or fails when `CI=true`.

mod ansible_support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use ansible_support::{
    ansible_cmd, copy_tree, files, findings, lint, lint_output, repo_root, venv_bin,
};

use pinlock_core::ansible::project::{apply, pin_project, ProjectLayout};
use pinlock_core::ansible::HOLD_TASK_NAME;
use pinlock_core::lockfile::Lockfile;
use serde_yaml::Value;

const LOCKED: &[(&str, &str)] = &[
    ("containerd.io", "1.6.18-1"),
    ("docker-buildx-plugin", "0.10.2-1~debian.10~buster"),
    ("docker-ce", "5:23.0.1-1~debian.10~buster"),
    ("docker-ce-cli", "5:23.0.1-1~debian.10~buster"),
    ("docker-ce-rootless-extras", "5:23.0.1-1~debian.10~buster"),
    ("docker-compose-plugin", "2.16.0-1~debian.10~buster"),
];

const APT_MODULES: &[&str] = &[
    "apt",
    "ansible.builtin.apt",
    "ansible.legacy.apt",
    "package",
    "ansible.builtin.package",
];

fn lockfile() -> Lockfile {
    let pkgs = LOCKED
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    ansible_support::lockfile(&BTreeMap::from([("buster/amd64".to_string(), pkgs)]))
}

/// Whether a task (or a file name) is for another OS family.
fn foreign(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    ["redhat", "centos", "almalinux", "fedora", "suse"]
        .iter()
        .any(|f| l.contains(f))
        && !l.contains("debian")
        && !l.contains("not ")
}

fn is_foreign_task(task: &Value) -> bool {
    let when = match task.get("when") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    foreign(&when)
        || ["dnf", "yum", "ansible.builtin.dnf", "ansible.builtin.yum"]
            .iter()
            .any(|m| task.get(*m).is_some())
}

/// Whether `task` is something pinlock adds: a hold task or an enforcement import.
fn is_added(task: &Value) -> bool {
    task.get("name").and_then(Value::as_str) == Some(HOLD_TASK_NAME)
        || ["ansible.builtin.import_tasks", "import_tasks"]
            .iter()
            .filter_map(|k| task.get(*k).and_then(Value::as_str))
            .any(|f| f.contains("pinlock/"))
}

/// `after` with pinlock's pins taken out: `=VERSION` of locked packages, `present` for
/// `latest`, the `allow_*` free-form options.
fn unpin(after: &str, before: &str) -> String {
    let mut s = after.to_string();
    for (name, version) in LOCKED {
        s = s.replace(&format!("{name}={version}"), name);
    }
    for opt in [" allow_downgrade=true", " allow_change_held_packages=true"] {
        if !before.contains(opt.trim()) {
            s = s.replace(opt, "");
        }
    }
    if before.contains("state=latest") {
        s = s.replace("state=present", "state=latest");
    }
    if before == "latest" && s == "present" {
        s = before.to_string();
    }
    s
}

/// Asserts that `after` is `before` changed only by Debian apt pinning (see the module docs).
fn assert_only_apt_work(before: &Value, after: &Value, at: &str, in_apt: bool) {
    match (before, after) {
        (Value::Sequence(b), Value::Sequence(a)) => {
            let kept: Vec<&Value> = a.iter().filter(|t| !is_added(t)).collect();
            assert_eq!(b.len(), kept.len(), "{at}: items added or removed");
            for (i, (bt, at_)) in b.iter().zip(kept).enumerate() {
                if is_foreign_task(bt) {
                    assert_eq!(bt, at_, "{at}[{i}]: a task for another OS family changed");
                }
                assert_only_apt_work(bt, at_, &format!("{at}[{i}]"), in_apt);
            }
        }
        (Value::Mapping(b), Value::Mapping(a)) => {
            for (k, av) in a {
                let key = k.as_str().unwrap_or_default();
                match b.get(k) {
                    Some(bv) => {
                        let apt = in_apt || APT_MODULES.contains(&key);
                        assert_only_apt_work(bv, av, &format!("{at}.{key}"), apt);
                    }
                    None if in_apt
                        && matches!(key, "allow_downgrade" | "allow_change_held_packages") =>
                    {
                        assert_eq!(av, &Value::Bool(true), "{at}.{key}")
                    }
                    None if matches!(key, "pre_tasks" | "post_tasks") => {
                        let items = av.as_sequence().map(Vec::as_slice).unwrap_or_default();
                        assert!(items.iter().all(is_added), "{at}.{key}: {av:?}");
                    }
                    None => panic!("{at}: key {key} added"),
                }
            }
            for k in b.keys() {
                assert!(a.contains_key(k), "{at}: key {k:?} removed");
            }
        }
        (Value::String(b), Value::String(a)) if b != a => {
            assert_eq!(&unpin(a, b), b, "{at}: changed beyond pinning");
        }
        (b, a) => assert_eq!(b, a, "{at}"),
    }
}

/// The package names an apt task installs, when they are literal (no Jinja).
fn literal_names(args: &Value, task: &Value) -> Option<Vec<String>> {
    let name = match args {
        Value::String(free) => free
            .split_whitespace()
            .find_map(|t| t.strip_prefix("name="))
            .map(|v| Value::String(v.trim_matches(['"', '\'']).to_string())),
        _ => ["name", "pkg", "package"]
            .iter()
            .find_map(|k| args.get(*k))
            .cloned(),
    }?;
    let name = match name {
        Value::String(s) if s.contains("{{ item }}") => task
            .get("loop")
            .or_else(|| task.get("with_items"))
            .cloned()?,
        other => other,
    };
    let items: Vec<String> = match name {
        Value::String(s) => s.split(',').map(str::to_string).collect(),
        Value::Sequence(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => return None,
    };
    (!items.iter().any(|i| i.contains("{{"))).then_some(items)
}

/// Counts the literal installs of locked packages under `tasks` and asserts each is pinned.
fn assert_literal_installs_pinned(tasks: &Value, file: &Path, count: &mut usize) {
    for task in tasks.as_sequence().map(Vec::as_slice).unwrap_or_default() {
        for key in [
            "block",
            "rescue",
            "always",
            "tasks",
            "pre_tasks",
            "post_tasks",
        ] {
            if let Some(sub) = task.get(key) {
                assert_literal_installs_pinned(sub, file, count);
            }
        }
        if is_foreign_task(task) || is_added(task) {
            continue;
        }
        let Some(args) = APT_MODULES.iter().find_map(|m| task.get(*m)) else {
            continue;
        };
        let text = serde_yaml::to_string(args).unwrap();
        if ["absent", "removed", "purged"]
            .iter()
            .any(|s| text.contains(&format!("state: {s}")) || text.contains(&format!("state={s}")))
        {
            continue;
        }
        for item in literal_names(args, task).unwrap_or_default() {
            let pkg = item.split('=').next().unwrap().trim();
            if LOCKED.iter().any(|(n, _)| *n == pkg) {
                *count += 1;
                assert!(
                    item.contains('='),
                    "{}: {pkg} installed unpinned in {task:?}",
                    file.display()
                );
            }
        }
    }
}

/// An ansible command run in `dir`, with the corpus's roles and collections on their paths.
fn ansible(bin: &Path, tool: &str, dir: &Path, home: &Path) -> Command {
    let mut cmd = ansible_cmd(bin, tool, home);
    cmd.current_dir(dir)
        .env("ANSIBLE_ROLES_PATH", dir.join("roles"))
        .env("ANSIBLE_COLLECTIONS_PATH", dir.join("collections"));
    cmd
}

fn syntax_check(bin: &Path, dir: &Path, home: &Path) {
    let out = ansible(bin, "ansible-playbook", dir, home)
        .args(["-i", "localhost,", "--syntax-check", "site.yml"])
        .output()
        .expect("ansible-playbook runs");
    assert!(
        out.status.success(),
        "syntax-check in {}:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn real_world_shaped_roles_are_pinned_and_nothing_else() {
    let corpus = repo_root().join("testdata/corpus");
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    copy_tree(&corpus, &work);
    let lock = lockfile();
    let layout = ProjectLayout::beside_manifest(&work, "default");
    let paths: Vec<PathBuf> = ["site.yml", "roles", "playbooks", "collections"]
        .iter()
        .map(|p| work.join(p))
        .collect();

    // no abort
    let plan = pin_project(&paths, &lock, None, &layout).expect("pin runs on the corpus");
    assert!(
        plan.report.uncovered.is_empty(),
        "{:#?}",
        plan.report.uncovered
    );
    // what pinlock leaves alone it says so (the Jinja-built lists, the cross-platform tasks)
    let warnings: Vec<String> = plan.report.warnings.iter().map(|w| w.to_string()).collect();
    for want in ["roles/docker/tasks/main.yml:10: this `ansible.builtin.package` task can run on other OS families", "roles/docker_nickjj/tasks/main.yml:9: package names come from a Jinja expression"] {
        assert!(
            warnings.iter().any(|w| w.contains(want)),
            "no warning {want:?}: {warnings:#?}"
        );
    }
    apply(&plan).unwrap();

    let mut literal = 0;
    for rel in files(&corpus) {
        let (before_text, after_text) = (
            fs::read_to_string(corpus.join(&rel)).unwrap(),
            fs::read_to_string(work.join(&rel)).unwrap(),
        );
        let r = rel.to_string_lossy();
        if r.contains("/molecule/") || foreign(&r) || !r.ends_with(".yml") {
            assert_eq!(before_text, after_text, "{r}: must not change");
            continue;
        }
        let (before, after): (Value, Value) = (
            serde_yaml::from_str(&before_text).unwrap(),
            serde_yaml::from_str(&after_text)
                .unwrap_or_else(|e| panic!("{r}: pinned file does not parse: {e}")),
        );
        assert_only_apt_work(&before, &after, &r, false);
        match &after {
            Value::Sequence(items) if items.iter().any(|p| p.get("hosts").is_some()) => {
                for play in items {
                    for key in ["pre_tasks", "tasks", "post_tasks", "handlers"] {
                        if let Some(t) = play.get(key) {
                            assert_literal_installs_pinned(t, &rel, &mut literal);
                        }
                    }
                }
            }
            Value::Sequence(_) => assert_literal_installs_pinned(&after, &rel, &mut literal),
            // variables: a literal list of locked packages is pinned
            Value::Mapping(vars) => {
                for (k, v) in vars {
                    let items: Vec<&str> = v
                        .as_sequence()
                        .map(|s| s.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    if items.iter().any(|i| i.contains("{{")) {
                        continue;
                    }
                    for i in items {
                        assert!(
                            !LOCKED.iter().any(|(n, _)| *n == i),
                            "{r}: {k:?} lists {i} unpinned"
                        );
                    }
                }
            }
            _ => {}
        }
    }
    // the swarm's free-form tasks and the roles' literal lists: each locked package counted
    assert!(literal >= 7, "only {literal} literal Docker installs found");
    eprintln!("{literal} literal installs of locked packages, all pinned");

    // pin --check: nothing to change, nothing uncovered, so it passes without a warning
    let again = pin_project(&paths, &lock, None, &layout).unwrap();
    assert!(
        again.changes.is_empty(),
        "second run would change {:?}",
        again.changes.iter().map(|c| &c.path).collect::<Vec<_>>()
    );
    assert!(again.report.uncovered.is_empty());
    assert!(
        again.report.enforced_plays >= 3,
        "{}",
        again.report.enforced_plays
    );

    if let Some(bin) = venv_bin() {
        let home = tmp.path().join("ansible-home");
        fs::create_dir_all(home.join("tmp")).unwrap();
        let orig = tmp.path().join("orig");
        copy_tree(&corpus, &orig);
        syntax_check(&bin, &orig, &home);
        syntax_check(&bin, &work, &home);
        // pinning adds no finding, and takes away package-latest where it pinned
        let (l_orig, l_work) = (
            lint(ansible(&bin, "ansible-lint", &orig, &home)),
            lint(ansible(&bin, "ansible-lint", &work, &home)),
        );
        let (before, after) = (
            findings(&lint_output(l_orig)),
            findings(&lint_output(l_work)),
        );
        let latest = |set: &std::collections::BTreeSet<(String, String)>| {
            set.iter()
                .filter(|(f, r)| r == "package-latest" && f.contains("swarm.yml"))
                .count()
        };
        assert_eq!(latest(&before), 1, "{before:#?}");
        assert_eq!(latest(&after), 0, "{after:#?}");
        let new: Vec<_> = after.difference(&before).collect();
        assert!(
            new.is_empty(),
            "pinning added ansible-lint findings: {new:?}"
        );
    }
}
