//! Property test: pin idempotence on generated playbooks. Playbooks are built from the apt task
//! forms the rewriter supports (module `apt`/`ansible.builtin.apt`/`ansible.legacy.apt`/`package`/
//! `ansible.builtin.package`; names as a block list, a flow list, a string, a comma-separated
//! string, free-form `name=... state=...`, `loop`/`with_items` with `"{{ item }}"`, or a play
//! variable; in `tasks`, `pre_tasks`, `handlers` or a `block`; indentation 2 or 4; LF or CRLF;
//! some packages already pinned to another version, some not in the pins, some removals).
//!
//! Properties: pinning succeeds without warnings (except long-line ones); pinning the result again changes nothing
//! (pin twice == pin once); the result is YAML with the same number of plays and tasks plus one
//! hold task per install task that has pinned packages; every pinned package of an install task
//! is written `name=<pinned version>`; `state: latest` is gone from pinned tasks.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use pinlock_core::ansible::{pin_source, PinOptions, Pins, HOLD_TASK_NAME};
use proptest::prelude::*;

const PINNED: [(&str, &str); 3] = [
    ("docker-ce", "5:23.0.1-1~debian.10~buster"),
    ("docker-ce-cli", "5:23.0.1-1~debian.10~buster"),
    ("containerd.io", "1.6.18-1"),
];

fn pins() -> Pins {
    let pkgs: BTreeMap<String, String> = PINNED
        .iter()
        .map(|(p, v)| (p.to_string(), v.to_string()))
        .collect();
    Pins {
        targets: BTreeMap::from([("buster/amd64".to_string(), pkgs)]),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Form {
    BlockList,
    FlowList,
    Single,
    Comma,
    Free,
    Loop,
    WithItems,
    PlayVar,
}

#[derive(Debug, Clone)]
struct Task {
    module: &'static str,
    key: &'static str,
    form: Form,
    /// (package, existing `=version` suffix)
    pkgs: Vec<(&'static str, Option<&'static str>)>,
    state: Option<&'static str>,
    update_cache: bool,
    with_become: bool,
}

impl Task {
    fn installs(&self) -> bool {
        self.state != Some("absent")
    }
    fn pinned(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self
            .pkgs
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| PINNED.iter().any(|(q, _)| q == p))
            .collect();
        v.dedup();
        v
    }
}

#[derive(Debug, Clone)]
struct Play {
    section: &'static str,
    in_block: bool,
    tasks: Vec<Task>,
    indent: usize,
    crlf: bool,
}

fn task() -> impl Strategy<Value = Task> {
    let module = prop::sample::select(vec![
        "apt",
        "ansible.builtin.apt",
        "ansible.legacy.apt",
        "package",
        "ansible.builtin.package",
    ]);
    let pkg = (
        prop::sample::select(vec![
            "docker-ce",
            "docker-ce-cli",
            "containerd.io",
            "curl",
            "ca-certificates",
        ]),
        prop::option::weighted(0.25, prop::sample::select(vec!["5:23.*", "1.0-1", "*"])),
    );
    (
        module,
        prop::sample::select(vec!["name", "pkg", "package"]),
        prop::sample::select(vec![
            Form::BlockList,
            Form::FlowList,
            Form::Single,
            Form::Comma,
            Form::Free,
            Form::Loop,
            Form::WithItems,
            Form::PlayVar,
        ]),
        prop::collection::vec(pkg, 1..4),
        prop::sample::select(vec![None, Some("latest"), Some("present"), Some("absent")]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(module, key, form, mut pkgs, state, update_cache, with_become)| {
                // distinct package names within a task
                let mut seen = Vec::new();
                pkgs.retain(|(p, _)| {
                    !seen.contains(p) && {
                        seen.push(*p);
                        true
                    }
                });
                let mut form = form;
                if form == Form::Single {
                    pkgs.truncate(1);
                }
                // free-form arguments are an apt feature (`package` takes no free-form list)
                if form == Form::Free && !module.contains("apt") {
                    form = Form::Comma;
                }
                // `loop` items cannot be versioned wildcards of an existing pin in free-form
                if matches!(form, Form::Free) {
                    pkgs.iter_mut().for_each(|p| p.1 = None);
                }
                Task {
                    module,
                    key,
                    form,
                    pkgs,
                    state,
                    update_cache,
                    with_become,
                }
            },
        )
}

fn play() -> impl Strategy<Value = Play> {
    (
        prop::sample::select(vec!["tasks", "pre_tasks", "post_tasks", "handlers"]),
        any::<bool>(),
        prop::collection::vec(task(), 1..4),
        prop::sample::select(vec![2usize, 4]),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(section, in_block, tasks, indent, crlf)| Play {
            section,
            in_block: in_block && section != "handlers",
            tasks,
            indent,
            crlf,
        })
}

fn token(p: &str, pin: Option<&str>) -> String {
    match pin {
        Some(v) => format!("{p}={v}"),
        None => p.to_string(),
    }
}

/// Renders the play as YAML text.
fn render(play: &Play) -> String {
    let i = " ".repeat(play.indent);
    let mut s = String::from("---\n");
    writeln!(s, "-{}name: Generated play\n{i}hosts: all", &i[1..]).unwrap();
    let var_tasks: Vec<(usize, &Task)> = play
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.form == Form::PlayVar)
        .collect();
    if !var_tasks.is_empty() {
        writeln!(s, "{i}vars:").unwrap();
        for (n, t) in &var_tasks {
            writeln!(s, "{i}{i}pkgs_{n}:").unwrap();
            for (p, v) in &t.pkgs {
                writeln!(s, "{i}{i}{i}- {}", token(p, *v)).unwrap();
            }
        }
    }
    writeln!(s, "{i}{}:", play.section).unwrap();
    // base indentation of a task's "- " in this play
    let mut base = i.clone();
    if play.in_block {
        writeln!(s, "{base}-{}name: Grouped\n{base}{i}block:", &i[1..]).unwrap();
        base = format!("{base}{i}{i}");
    }
    for (n, t) in play.tasks.iter().enumerate() {
        render_task(&mut s, &base, &i, n, t);
    }
    if play.crlf {
        s = s.replace('\n', "\r\n");
    }
    s
}

fn render_task(s: &mut String, base: &str, i: &str, n: usize, t: &Task) {
    let dash = format!("{base}-{}", " ".repeat(i.len() - 1));
    let body = format!("{base}{i}");
    let arg = format!("{body}{i}");
    let tokens: Vec<String> = t.pkgs.iter().map(|(p, v)| token(p, *v)).collect();
    writeln!(s, "{dash}name: Task {n}").unwrap();
    if t.with_become {
        writeln!(s, "{body}become: true").unwrap();
    }
    if t.form == Form::Free {
        let mut line = format!("{}={}", t.key, tokens.join(","));
        if let Some(st) = t.state {
            write!(line, " state={st}").unwrap();
        }
        if t.update_cache {
            line.push_str(" update_cache=yes");
        }
        writeln!(s, "{body}{}: {line}", t.module).unwrap();
        return;
    }
    writeln!(s, "{body}{}:", t.module).unwrap();
    match t.form {
        Form::BlockList => {
            writeln!(s, "{arg}{}:", t.key).unwrap();
            for tok in &tokens {
                writeln!(s, "{arg}{i}- {tok}").unwrap();
            }
        }
        Form::FlowList => {
            let quoted: Vec<String> = tokens.iter().map(|t| format!("\"{t}\"")).collect();
            writeln!(s, "{arg}{}: [{}]", t.key, quoted.join(", ")).unwrap();
        }
        Form::Single | Form::Comma => {
            writeln!(s, "{arg}{}: \"{}\"", t.key, tokens.join(",")).unwrap();
        }
        Form::Loop | Form::WithItems => {
            writeln!(s, "{arg}{}: \"{{{{ item }}}}\"", t.key).unwrap();
        }
        Form::PlayVar => {
            writeln!(s, "{arg}{}: \"{{{{ pkgs_{n} }}}}\"", t.key).unwrap();
        }
        Form::Free => unreachable!(),
    }
    if let Some(st) = t.state {
        writeln!(s, "{arg}state: {st}").unwrap();
    }
    if t.update_cache {
        writeln!(s, "{arg}update_cache: true").unwrap();
    }
    match t.form {
        Form::Loop => {
            writeln!(s, "{body}loop:").unwrap();
            for tok in &tokens {
                writeln!(s, "{body}{i}- {tok}").unwrap();
            }
        }
        Form::WithItems => {
            let quoted: Vec<String> = tokens.iter().map(|t| format!("'{t}'")).collect();
            writeln!(s, "{body}with_items: [{}]", quoted.join(", ")).unwrap();
        }
        _ => {}
    }
}

/// Every task mapping of the parsed playbook (recursing into `block`), in order.
fn tasks_of(doc: &serde_yaml::Value) -> Vec<serde_yaml::Value> {
    fn walk(list: &serde_yaml::Value, out: &mut Vec<serde_yaml::Value>) {
        for t in list.as_sequence().into_iter().flatten() {
            match t.get("block") {
                Some(inner) => walk(inner, out),
                None => out.push(t.clone()),
            }
        }
    }
    let mut out = Vec::new();
    for play in doc.as_sequence().into_iter().flatten() {
        for section in ["pre_tasks", "tasks", "post_tasks", "handlers"] {
            if let Some(list) = play.get(section) {
                walk(list, &mut out);
            }
        }
    }
    out
}

/// The only warning a supported form may give: a long line after pinning (free-form, flow lists).
fn is_long_line(w: &pinlock_core::ansible::PinWarning) -> bool {
    w.message
        .contains("characters long (ansible-lint yaml[line-length]")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn pin_twice_equals_pin_once(play in play()) {
        let text = render(&play);
        let path = Path::new("site.yml");
        let opts = PinOptions::default();
        let once = pin_source(path, &text, &pins(), &opts)
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- input\n{text}")))?;
        let unexpected: Vec<_> = once.warnings.iter().filter(|w| !is_long_line(w)).collect();
        prop_assert!(unexpected.is_empty(), "warnings {:?}\n--- input\n{}", unexpected, text);
        let installs_pinned: Vec<&Task> =
            play.tasks.iter().filter(|t| t.installs() && !t.pinned().is_empty()).collect();
        let Some(pinned) = once.new_text else {
            prop_assert!(installs_pinned.is_empty(), "nothing pinned\n--- input\n{}", text);
            return Ok(());
        };
        prop_assert!(!installs_pinned.is_empty(), "changed without pinned packages\n{}", pinned);

        // pin twice == pin once
        let twice = pin_source(path, &pinned, &pins(), &opts)
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- pinned\n{pinned}")))?;
        prop_assert!(twice.new_text.is_none(),
            "second pin changed the text\n--- once\n{}\n--- twice\n{}", pinned, twice.new_text.unwrap());
        prop_assert!(twice.warnings.iter().all(is_long_line), "{:?}", twice.warnings);

        // structure: same tasks plus one hold task per pinned install task, in place
        prop_assert_eq!(pinned.contains("\r\n"), play.crlf);
        let doc: serde_yaml::Value = serde_yaml::from_str(&pinned)
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- pinned\n{pinned}")))?;
        let tasks = tasks_of(&doc);
        let holds: Vec<&serde_yaml::Value> = tasks.iter()
            .filter(|t| t.get("name").and_then(|n| n.as_str()) == Some(HOLD_TASK_NAME))
            .collect();
        prop_assert_eq!(holds.len(), installs_pinned.len(), "hold tasks\n{}", pinned);
        prop_assert_eq!(tasks.len() - holds.len(), play.tasks.len());
        let mut hold_iter = holds.iter();
        for (n, t) in play.tasks.iter().enumerate() {
            let pos = tasks.iter().position(|x| x.get("name").and_then(|v| v.as_str()) == Some(&format!("Task {n}"))).unwrap();
            if !t.installs() || t.pinned().is_empty() {
                continue;
            }
            // the hold task follows its install task and holds exactly its pinned packages
            let hold = hold_iter.next().unwrap();
            prop_assert_eq!(&tasks[pos + 1], *hold);
            let held: Vec<&str> = hold.get("loop").and_then(|l| l.as_sequence()).unwrap()
                .iter().filter_map(|v| v.as_str()).collect();
            let mut want = t.pinned();
            want.sort();
            let mut got = held.clone();
            got.sort();
            prop_assert_eq!(got, want, "held packages of task {}\n{}", n, pinned);
            let module = tasks[pos].get(t.module).unwrap();
            if let Some(state) = module.get("state") {
                prop_assert_ne!(state.as_str(), Some("latest"));
            }
            if t.form == Form::Free {
                prop_assert!(!module.as_str().unwrap().contains("state=latest"));
            }
            for p in t.pinned() {
                let v = PINNED.iter().find(|(q, _)| *q == p).unwrap().1;
                prop_assert!(pinned.contains(&format!("{p}={v}")), "{} not pinned\n{}", p, pinned);
            }
        }
    }
}
