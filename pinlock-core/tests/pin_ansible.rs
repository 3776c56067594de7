//! Real Ansible on the pinned fixtures: every `testdata/pin/<case>/expected/` playbook passes
//! `ansible-playbook --syntax-check`, and `ansible-lint` finds no `package-latest` and nothing that
//! it does not already find in the case's `in/` (pinning must not add findings; the users' own
//! style findings, such as short module names, stay theirs).
//!
//! Needs the venv made by `scripts/install-ansible` (`$PINLOCK_VENV`, default `<repo>/.venv`).
//! Without it the test is skipped with a printed reason, unless `CI=true`, where it fails.

mod ansible_support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ansible_support::{
    ansible_cmd, copy_tree, files, findings, lint, lint_output, lockfile, repo_root, venv_bin,
};

/// Whether `text` is a single-document playbook (a list of plays with `hosts:`).
fn is_playbook(text: &str) -> bool {
    // from_str fails on several documents: those are not playbooks Ansible can load
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_yaml::from_str::<serde_yaml::Value>(text).is_ok_and(|doc| {
        doc.as_sequence()
            .is_some_and(|s| s.iter().any(|p| p.get("hosts").is_some()))
    })
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// For a case with `enforce_dir:` in its pins.yml, writes the generated enforcement files the
/// wired plays import (as `pinlock pin` does), from a lockfile holding the case's pins: they are
/// syntax-checked through the plays and linted like the rest.
fn write_enforcement(case: &Path, out: &Path) {
    #[derive(serde::Deserialize)]
    struct PinsFile {
        targets: BTreeMap<String, BTreeMap<String, String>>,
        #[serde(default)]
        enforce_dir: Option<PathBuf>,
    }
    let text = fs::read_to_string(case.join("pins.yml")).unwrap();
    let f: PinsFile = serde_yaml::from_str(&text).unwrap();
    let Some(dir) = f.enforce_dir else { return };
    let lock = lockfile(&f.targets);
    let dir = out.join(dir);
    fs::create_dir_all(&dir).unwrap();
    use pinlock_core::ansible::enforce;
    fs::write(
        dir.join(enforce::ENFORCE_FILE),
        enforce::enforce_tasks(&lock, "pinlock.lock", "default"),
    )
    .unwrap();
    fs::write(dir.join(enforce::HOLD_FILE), enforce::hold_tasks()).unwrap();
}

#[test]
fn pinned_fixtures_pass_syntax_check_and_lint() {
    let Some(bin) = venv_bin() else { return };
    let cases = repo_root().join("testdata/pin");
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("ansible-home");
    fs::create_dir_all(home.join("tmp")).unwrap();
    let (tin, texp) = (tmp.path().join("in"), tmp.path().join("expected"));
    let mut names: Vec<String> = fs::read_dir(&cases)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // refusals leave `in/` as it was and errors have no output: nothing pinned to check there
    names.retain(|n| !n.starts_with("error_") && !n.starts_with("refuse_"));
    assert!(names.len() >= 10, "fixture cases missing: {names:?}");
    for n in &names {
        copy_tree(&cases.join(n).join("in"), &tin.join(n));
        copy_tree(&cases.join(n).join("expected"), &texp.join(n));
        write_enforcement(&cases.join(n), &texp.join(n));
        let vars = cases.join(n).join("expected_vars.yml");
        if vars.exists() {
            let dest = texp.join(n).join("group_vars/all");
            fs::create_dir_all(&dest).unwrap();
            fs::copy(&vars, dest.join("pinlock.yml")).unwrap();
        }
    }

    // ansible-lint on in/ and expected/ in parallel
    let mut c_in = ansible_cmd(&bin, "ansible-lint", &home);
    c_in.current_dir(&tin);
    let mut c_exp = ansible_cmd(&bin, "ansible-lint", &home);
    c_exp.current_dir(&texp);
    let (l_in, l_exp) = (lint(c_in), lint(c_exp));

    // syntax check of every single-document playbook in expected/
    let playbooks: Vec<PathBuf> = files(&texp)
        .into_iter()
        .map(|rel| texp.join(rel))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "yml")
                && fs::read_to_string(p).is_ok_and(|t| is_playbook(&t))
        })
        .collect();
    assert!(playbooks.len() >= 10, "playbooks: {playbooks:?}");
    let out = ansible_cmd(&bin, "ansible-playbook", &home)
        .args(["-i", "localhost,", "--syntax-check"])
        .args(&playbooks)
        .output()
        .expect("ansible-playbook runs");
    assert!(out.status.success(), "syntax-check failed:\n{}", text(&out));

    let (o_in, o_exp) = (lint_output(l_in), lint_output(l_exp));
    for o in [&o_in, &o_exp] {
        assert!(o.contains("files processed"), "{o}");
    }
    let (f_in, f_exp) = (findings(&o_in), findings(&o_exp));
    assert!(
        f_in.iter().any(|(_, r)| r == "package-latest"),
        "the inputs must show package-latest, else this test checks nothing:\n{o_in}"
    );
    // a file pinlock left untouched says so in a warning (fixture warnings.txt: a Jinja-built
    // list in an enforced play); its `state: latest` stays, and the host enforcement pins it
    let left_alone: BTreeSet<String> = names
        .iter()
        .flat_map(|n| {
            fs::read_to_string(cases.join(n).join("warnings.txt"))
                .unwrap_or_default()
                .lines()
                .filter(|l| l.contains("Jinja"))
                .map(|l| format!("{n}/{}", l.split(':').next().unwrap()))
                .collect::<Vec<_>>()
        })
        .collect();
    let latest: Vec<_> = f_exp
        .iter()
        // molecule/ scenarios are not walked (skip_molecule)
        .filter(|(f, r)| {
            r.starts_with("package-latest") && !left_alone.contains(f) && !f.contains("/molecule/")
        })
        .collect();
    assert!(
        latest.is_empty(),
        "package-latest after pinning: {latest:?}"
    );
    // a flow list pinning makes too long is rewritten in block style (flow_long); a flow mapping
    // line it makes too long is reported to the user as a warning (fixture warnings.txt), and
    // only there may ansible-lint find yaml[line-length]
    let warned_long: BTreeSet<String> = names
        .iter()
        .flat_map(|n| {
            fs::read_to_string(cases.join(n).join("warnings.txt"))
                .unwrap_or_default()
                .lines()
                .filter(|l| l.contains("yaml[line-length]"))
                .map(|l| format!("{n}/{}", l.split(':').next().unwrap()))
                .collect::<Vec<_>>()
        })
        .collect();
    let new: Vec<_> = f_exp
        .difference(&f_in)
        .filter(|(file, rule)| !(rule == "yaml[line-length]" && warned_long.contains(file)))
        .collect();
    assert!(
        new.is_empty(),
        "pinning added ansible-lint findings {new:?}:\n{o_exp}"
    );
    let by_rule: BTreeMap<&str, usize> = f_exp.iter().fold(BTreeMap::new(), |mut m, (_, r)| {
        *m.entry(r.as_str()).or_default() += 1;
        m
    });
    eprintln!("ansible-lint findings kept from the inputs: {by_rule:?}");
}

/// The multi-target design in real Ansible: the generated vars file plus the rewritten package
/// string resolve to each host's own locked version from its release and architecture facts.
#[test]
fn multi_target_versions_resolve_per_host() {
    let Some(bin) = venv_bin() else { return };
    let case = repo_root().join("testdata/pin/multi_target");
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("ansible-home");
    fs::create_dir_all(home.join("tmp")).unwrap();
    fs::copy(
        case.join("expected_vars.yml"),
        tmp.path().join("pinlock.yml"),
    )
    .unwrap();
    // the package string exactly as pinlock wrote it into expected/
    let expected = fs::read_to_string(case.join("expected/playbook.yml")).unwrap();
    let item = expected
        .lines()
        .find(|l| l.contains("docker-ce={{"))
        .expect("pinned docker-ce item")
        .trim()
        .trim_start_matches("- ")
        .to_string();
    let playbook = format!(
        "---\n- name: Resolve pins\n  hosts: localhost\n  gather_facts: false\n  vars_files:\n    - pinlock.yml\n  tasks:\n    - name: Show\n      ansible.builtin.debug:\n        msg: {item}\n"
    );
    fs::write(tmp.path().join("resolve.yml"), playbook).unwrap();
    for (release, arch, want) in [
        ("buster", "x86_64", "docker-ce=5:23.0.1-1~debian.10~buster"),
        (
            "bookworm",
            "aarch64",
            "docker-ce=5:23.0.1-1~debian.12~bookworm",
        ),
    ] {
        let out = ansible_cmd(&bin, "ansible-playbook", &home)
            .current_dir(tmp.path())
            .args(["-i", "localhost,", "-c", "local", "resolve.yml"])
            .args(["-e", &format!("ansible_distribution_release={release}")])
            .args(["-e", &format!("ansible_architecture={arch}")])
            .args(["-e", "ansible_python_interpreter=/usr/bin/python3"])
            .output()
            .expect("ansible-playbook runs");
        let t = text(&out);
        assert!(out.status.success(), "{release}/{arch}:\n{t}");
        assert!(
            t.contains(&format!("\"msg\": \"{want}\"")),
            "{release}/{arch} wanted {want}:\n{t}"
        );
    }
    // a host whose target is not locked fails instead of installing an unpinned version
    let out = ansible_cmd(&bin, "ansible-playbook", &home)
        .current_dir(tmp.path())
        .args(["-i", "localhost,", "-c", "local", "resolve.yml"])
        .args([
            "-e",
            "ansible_distribution_release=trixie",
            "-e",
            "ansible_architecture=x86_64",
        ])
        .args(["-e", "ansible_python_interpreter=/usr/bin/python3"])
        .output()
        .expect("ansible-playbook runs");
    assert!(
        !out.status.success(),
        "unlocked target must fail:\n{}",
        text(&out)
    );
}

/// Kills the loopback HTTP server when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

const INCIDENT: &str = r#"---
- name: Docker hosts
  hosts: all
  become: true
  tasks:
    - name: install latest docker
      become: true
      apt:
        name: ["docker-ce", "docker-ce-cli", "containerd.io"]
        state: latest
"#;

/// Check mode against a sandboxed apt/dpkg (APT_CONFIG, DPKG_ADMINDIR in a temp dir) and a
/// fixture repository served on loopback: the pinned playbook would install exactly the locked
/// versions (not the newest) and hold them; the unpinned one would install the newest.
#[test]
fn check_mode_installs_and_holds_locked_versions() {
    let Some(bin) = venv_bin() else { return };
    let python_apt = Command::new("/usr/bin/python3")
        .args(["-c", "import apt"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !(python_apt && have("apt-ftparchive") && have("apt-get")) {
        let reason = "check mode needs apt-get, apt-ftparchive (apt-utils) and python3-apt";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{reason}");
        }
        eprintln!("skipping: {reason}");
        return;
    }
    // the machine's own dpkg selections of the pinned packages, compared at the end: the sandbox
    // must keep them out of reach (other packages may change meanwhile, so only these are compared)
    let selections = || {
        Command::new("dpkg")
            .args([
                "--get-selections",
                "docker-ce",
                "docker-ce-cli",
                "containerd.io",
            ])
            .env_remove("DPKG_ADMINDIR")
            .output()
            .map(|o| text(&o))
            .unwrap_or_default()
    };
    let system_before = selections();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let home = root.join("ansible-home");
    fs::create_dir_all(home.join("tmp")).unwrap();

    // fixture repository: a newer docker-ce than the locked one exists
    let repo = root.join("repo");
    fs::create_dir_all(&repo).unwrap();
    let mut packages = String::new();
    for (i, (name, version)) in [
        ("docker-ce", "5:20.10.23~3-0~debian-buster"),
        ("docker-ce", "5:23.0.1-1~debian.10~buster"),
        ("docker-ce", "5:24.0.2-1~debian.10~buster"),
        ("docker-ce-cli", "5:23.0.1-1~debian.10~buster"),
        ("docker-ce-cli", "5:24.0.2-1~debian.10~buster"),
        ("containerd.io", "1.6.18-1"),
        ("containerd.io", "1.6.20-1"),
    ]
    .iter()
    .enumerate()
    {
        packages.push_str(&format!(
            "Package: {name}\nVersion: {version}\nArchitecture: amd64\nMaintainer: Docker <support@docker.com>\n\
             Installed-Size: 100\nFilename: pool/{name}_{i}_amd64.deb\nSize: 1000\nSHA256: {:064x}\nDescription: {name}\n\n",
            i + 1
        ));
    }
    fs::write(repo.join("Packages"), packages).unwrap();
    let release = Command::new("apt-ftparchive")
        .args(["release", "."])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert!(release.status.success(), "{}", text(&release));
    fs::write(repo.join("Release"), &release.stdout).unwrap();

    let mut child = Command::new("python3")
        .args([
            "-u",
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            "0",
            "--directory",
        ])
        .arg(&repo)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 http.server starts");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut first).unwrap();
    let port: u16 = first
        .split(" port ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {first:?}"));

    // sandbox: apt and dpkg state only in the temp dir; docker-ce 20.10 is installed
    let sb = root.join("sb");
    for d in [
        "etc/apt.conf.d",
        "etc/sources.list.d",
        "etc/preferences.d",
        "etc/trusted.gpg.d",
        "state/lists/partial",
        "cache/archives/partial",
        "log",
        "dpkg/updates",
        "dpkg/info",
    ] {
        fs::create_dir_all(sb.join(d)).unwrap();
    }
    let status = "Package: docker-ce\nStatus: install ok installed\nPriority: optional\nSection: admin\n\
                  Installed-Size: 100\nMaintainer: Docker <support@docker.com>\nArchitecture: amd64\n\
                  Version: 5:20.10.23~3-0~debian-buster\nDescription: docker-ce\n\n";
    fs::write(sb.join("dpkg/status"), status).unwrap();
    fs::write(
        sb.join("etc/sources.list"),
        format!("deb [trusted=yes] http://127.0.0.1:{port}/ ./\n"),
    )
    .unwrap();
    let s = sb.display();
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let conf = format!(
        "Dir::Etc \"{s}/etc\";\nDir::Etc::main \"/dev/null\";\nDir::Etc::parts \"{s}/etc/apt.conf.d\";\n\
         Dir::Etc::sourcelist \"{s}/etc/sources.list\";\nDir::Etc::sourceparts \"{s}/etc/sources.list.d\";\n\
         Dir::Etc::preferences \"{s}/etc/preferences\";\nDir::Etc::preferencesparts \"{s}/etc/preferences.d\";\n\
         Dir::Etc::trusted \"{s}/etc/trusted.gpg\";\nDir::Etc::trustedparts \"{s}/etc/trusted.gpg.d\";\n\
         Dir::State \"{s}/state\";\nDir::State::lists \"{s}/state/lists\";\nDir::State::status \"{s}/dpkg/status\";\n\
         Dir::Cache \"{s}/cache\";\nDir::Log \"{s}/log\";\nAPT::Architecture \"amd64\";\n\
         APT::Architectures {{ \"amd64\"; }};\nAPT::Sandbox::User \"{}\";\nDebug::NoLocking \"true\";\n",
        user.trim()
    );
    let apt_conf = sb.join("apt.conf");
    fs::write(&apt_conf, conf).unwrap();
    let update = Command::new("apt-get")
        .args(["update", "--error-on=any"])
        .env("APT_CONFIG", &apt_conf)
        .output()
        .unwrap();
    assert!(
        update.status.success(),
        "apt-get update:\n{}",
        text(&update)
    );

    // pin the incident playbook with the library
    let mut locked = BTreeMap::new();
    for (p, v) in [
        ("containerd.io", "1.6.18-1"),
        ("docker-ce", "5:23.0.1-1~debian.10~buster"),
        ("docker-ce-cli", "5:23.0.1-1~debian.10~buster"),
    ] {
        locked.insert(p.to_string(), v.to_string());
    }
    let pins = pinlock_core::ansible::Pins {
        targets: BTreeMap::from([("buster/amd64".to_string(), locked)]),
    };
    let outcome = pinlock_core::ansible::pin_source(
        Path::new("incident.yml"),
        INCIDENT,
        &pins,
        &Default::default(),
    )
    .unwrap();
    fs::write(root.join("pinned.yml"), outcome.new_text.expect("pinned")).unwrap();
    fs::write(root.join("unpinned.yml"), INCIDENT).unwrap();

    let check = |playbook: &str| {
        let out = ansible_cmd(&bin, "ansible-playbook", &home)
            .current_dir(root)
            .env("APT_CONFIG", &apt_conf)
            .env("DPKG_ADMINDIR", sb.join("dpkg"))
            .args(["-i", "localhost,", "-c", "local", "--check", "--diff", "-v"])
            .args(["-e", "ansible_become=false"])
            .args(["-e", "ansible_python_interpreter=/usr/bin/python3"])
            .arg(playbook)
            .output()
            .expect("ansible-playbook runs");
        (out.status.success(), text(&out))
    };
    let (ok, out) = check("pinned.yml");
    assert!(ok, "pinned check mode failed:\n{out}");
    assert!(
        out.contains("Inst docker-ce [5:20.10.23~3-0~debian-buster] (5:23.0.1-1~debian.10~buster"),
        "pinned docker-ce not installed at the locked version:\n{out}"
    );
    assert!(
        out.contains("Inst docker-ce-cli (5:23.0.1-1~debian.10~buster"),
        "{out}"
    );
    assert!(out.contains("Inst containerd.io (1.6.18-1"), "{out}");
    assert!(
        !out.contains("5:24.0.2"),
        "pinned run would install 24.0.2:\n{out}"
    );
    assert!(
        out.contains(r#""after": "hold", "ansible_loop_var": "item", "before": "install", "changed": true, "item": "docker-ce""#),
        "docker-ce would not be held:\n{out}"
    );
    assert!(out.contains("failed=0"), "{out}");

    let (ok, out) = check("unpinned.yml");
    assert!(ok, "unpinned check mode failed:\n{out}");
    assert!(
        out.contains("(5:24.0.2-1~debian.10~buster"),
        "the unpinned playbook should pick the newest docker-ce:\n{out}"
    );

    // check mode changed nothing in the sandbox's dpkg state
    assert_eq!(fs::read_to_string(sb.join("dpkg/status")).unwrap(), status);
    assert_eq!(
        selections(),
        system_before,
        "the machine's dpkg selections changed"
    );
    drop(server);
}

/// Free-form arguments as ansible-core itself reads them (`parse_kv` of its splitter): in every
/// pinned fixture, each free-form apt install names every locked package with its version,
/// `state` is no longer `latest`, and both `allow_*` options are `true`.
#[test]
fn free_form_args_parse_back_in_ansible_core() {
    let Some(bin) = venv_bin() else { return };
    let cases = repo_root().join("testdata/pin");
    let script = r#"
import json, sys, yaml
from ansible.parsing.splitter import parse_kv
MODULES = ("apt", "ansible.builtin.apt", "ansible.legacy.apt", "package", "ansible.builtin.package")
out = []
def tasks(items):
    for t in items or []:
        if not isinstance(t, dict):
            continue
        for k in ("block", "rescue", "always"):
            tasks(t.get(k))
        for m in MODULES:
            if isinstance(t.get(m), str):
                out.append(parse_kv(t[m]))
for path in sys.argv[1:]:
    for doc in yaml.safe_load_all(open(path)):
        if not isinstance(doc, list):
            continue
        for play in doc:
            if isinstance(play, dict) and "hosts" in play:
                for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                    tasks(play.get(key))
            else:
                tasks([play])
print(json.dumps(out))
"#;
    let mut checked = 0;
    let mut names: Vec<String> = fs::read_dir(&cases)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for n in names.iter().filter(|n| n.starts_with("free_form")) {
        #[derive(serde::Deserialize)]
        struct PinsFile {
            targets: BTreeMap<String, BTreeMap<String, String>>,
        }
        let pins: PinsFile =
            serde_yaml::from_str(&fs::read_to_string(cases.join(n).join("pins.yml")).unwrap())
                .unwrap();
        let locked: BTreeSet<&str> = pins
            .targets
            .values()
            .flat_map(|m| m.keys().map(String::as_str))
            .collect();
        let expected = cases.join(n).join("expected");
        let all: Vec<PathBuf> = files(&expected)
            .into_iter()
            .map(|rel| expected.join(rel))
            .collect();
        let out = Command::new(bin.join("python"))
            .arg("-c")
            .arg(script)
            .args(&all)
            .output()
            .expect("python runs");
        assert!(out.status.success(), "{n}: {}", text(&out));
        let parsed: Vec<BTreeMap<String, String>> =
            serde_yaml::from_slice(&out.stdout).expect("parse_kv output (JSON)");
        for args in parsed {
            let state = args.get("state").map(String::as_str);
            if matches!(state, Some("absent" | "removed" | "purged")) {
                continue;
            }
            let name = &args["name"];
            if name.contains("{{ item }}") {
                continue;
            }
            for token in name.split(',') {
                let pkg = token.split('=').next().unwrap().trim();
                if locked.contains(pkg) {
                    assert!(token.contains('='), "{n}: {pkg} unpinned in {args:?}");
                    checked += 1;
                }
            }
            assert_ne!(state, Some("latest"), "{n}: {args:?}");
            assert_eq!(
                args.get("allow_downgrade").map(String::as_str),
                Some("true")
            );
            assert_eq!(
                args.get("allow_change_held_packages").map(String::as_str),
                Some("true")
            );
        }
    }
    assert!(
        checked >= 8,
        "too few free-form packages checked: {checked}"
    );
}
