//! Helpers shared by the fuzz targets: the pins used, the `pin`/`pin_multi` target body, and the
//! check that a pinned playbook differs from its input only in what pinning may change.
//!
//! The check walks both texts as serde_yaml reads them (a parser independent of the rewriter's
//! saphyr-parser) and accepts a change only where the rewriter makes one and only of the kind it
//! makes there (`pinlock-core/src/ansible/plan.rs`):
//! - a package-name string (`name`/`pkg`/`package` of an apt module's argument mapping, its list
//!   items, `loop`/`with_items`, a variable definition): comma-separated entries, each left alone
//!   or, when the entry's name (its text up to the first `=`, `<` or `>`, trimmed) is pinned,
//!   written `name=<pin>` with its surrounding blanks kept (`rewrite_name_list`/`package_name`);
//! - a whole `state` value (or a state variable's value) `latest` becomes `present`
//!   (`block_args`, `definitions`);
//! - in an apt module's argument mapping: `allow_downgrade`/`allow_change_held_packages` set to
//!   `true` or added as `true` (`block_args`);
//! - an apt module's free-form string (`apt: name="docker-ce" state=latest`): split at `' '`
//!   outside quotes and `{{ }}` (as ansible-core's `split_args` does), `name=`/`pkg=`/`package=`
//!   values (inside their quotes, which stay) read as package-name strings, `state=latest`
//!   becomes `state=present`, `allow_downgrade=`/`allow_change_held_packages=` become `true` and
//!   are appended as `=true` when missing (`free_form`). Only here are `key=value` arguments read;
//! - hold tasks (named [`HOLD_TASK_NAME`]) are added or updated (not compared).

pub mod constraint;
pub mod index;
pub mod sources;
pub mod version;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use pinlock_core::ansible::{pin_source, PinOptions, Pins, HOLD_TASK_NAME};
use serde_yaml::Value;

/// One target (`buster/amd64`) pinning Docker's packages, as in `testdata/pin/*/pins.yml`.
pub fn docker_pins() -> Pins {
    Pins {
        targets: [("buster/amd64".to_string(), buster())]
            .into_iter()
            .collect(),
    }
}

fn buster() -> BTreeMap<String, String> {
    [
        ("containerd.io", "1.6.18-1"),
        ("docker-buildx-plugin", "0.10.2-1~debian.10~buster"),
        ("docker-ce", "5:23.0.1-1~debian.10~buster"),
        ("docker-ce-cli", "5:23.0.1-1~debian.10~buster"),
        ("docker-compose-plugin", "2.16.0-1~debian.10~buster"),
    ]
    .into_iter()
    .map(|(p, v)| (p.to_string(), v.to_string()))
    .collect()
}

/// Two targets with different versions, as in `testdata/pin/multi_target/pins.yml`:
/// `buster/amd64` (see [`docker_pins`]) and `bookworm/arm64`, which lacks `docker-buildx-plugin`
/// (a package of one target only is still looked up per host).
pub fn docker_pins_multi() -> Pins {
    let bookworm = [
        ("containerd.io", "1.6.20-1"),
        ("docker-ce", "5:24.0.2-1~debian.12~bookworm"),
        ("docker-ce-cli", "5:24.0.2-1~debian.12~bookworm"),
        ("docker-compose-plugin", "2.18.1-1~debian.12~bookworm"),
    ]
    .into_iter()
    .map(|(p, v)| (p.to_string(), v.to_string()))
    .collect();
    Pins {
        targets: [
            ("bookworm/arm64".to_string(), bookworm),
            ("buster/amd64".to_string(), buster()),
        ]
        .into_iter()
        .collect(),
    }
}

/// The body of the `pin` and `pin_multi` targets: pins `data` (when UTF-8 and accepted) with
/// `pins`, checks the result with [`check_pin_diff`] and that pinning it again changes nothing.
/// Panics with the input and output on any violation.
pub fn fuzz_pin(data: &[u8], pins: &Pins, opts: &PinOptions) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.yml");
    let Ok(out) = pin_source(path, text, pins, opts) else {
        return;
    };
    let Some(new) = out.new_text else {
        return;
    };
    assert_ne!(new, text, "new_text is only set when the text changes");
    if let Err(why) = check_pin_diff(text, &new, pins, opts) {
        panic!("{why}\n--- input\n{text}\n--- output\n{new}");
    }
    let again = pin_source(path, &new, pins, opts)
        .unwrap_or_else(|e| panic!("pinned output does not pin again: {e}\n--- output\n{new}"));
    if let Some(third) = again.new_text {
        panic!("pin twice != pin once\n--- once\n{new}\n--- twice\n{third}");
    }
}

/// Every document of `text` as serde_yaml reads it; `None` when it does not read.
pub fn documents(text: &str) -> Option<Vec<Value>> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(text)
        .map(Value::deserialize)
        .collect::<Result<Vec<_>, _>>()
        .ok()
}

/// What the rewriter may write, as `pin_source` chooses it (`choose_versions` in
/// `pinlock-core/src/ansible/mod.rs`).
struct Expect {
    /// Package -> the text written after `name=`: the literal version of the one (or forced)
    /// target, or `{{ pinlock_pins['<package>'] }}` for every package of any target.
    pins: BTreeMap<String, String>,
}

impl Expect {
    fn new(pins: &Pins, opts: &PinOptions) -> Expect {
        let literal = match &opts.target {
            Some(t) => pins.targets.get(t).cloned(),
            None if pins.targets.len() == 1 => pins.targets.values().next().cloned(),
            None => None,
        };
        match literal {
            Some(pins) => Expect { pins },
            None => Expect {
                pins: pins
                    .targets
                    .values()
                    .flat_map(|m| m.keys())
                    .map(|p| (p.clone(), format!("{{{{ pinlock_pins['{p}'] }}}}")))
                    .collect(),
            },
        }
    }
}

/// Checks that `new` (the text `pin_source(.., pins, opts)` returned for `old`) differs from
/// `old` only in what pinning may change; see the module docs. Returns `Ok` also when serde_yaml
/// cannot read `old` (nothing to compare against); `Err` says where they differ otherwise.
pub fn check_pin_diff(old: &str, new: &str, pins: &Pins, opts: &PinOptions) -> Result<(), String> {
    let Some(a) = documents(old) else {
        return Ok(());
    };
    let b = documents(new).ok_or("the pinned text does not parse, but the input did")?;
    if a.len() != b.len() {
        return Err(format!("{} documents became {}", a.len(), b.len()));
    }
    let expect = Expect::new(pins, opts);
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        same(x, y, Role::Doc, &expect, &format!("doc{i}"))?;
    }
    Ok(())
}

/// Apt modules whose tasks are pinned (`APT_MODULES` in plan.rs).
const APT_MODULES: [&str; 5] = [
    "apt",
    "ansible.builtin.apt",
    "ansible.legacy.apt",
    "package",
    "ansible.builtin.package",
];
/// Keys holding package names in an apt module's arguments (`NAME_KEYS` in plan.rs).
const NAME_KEYS: [&str; 3] = ["name", "pkg", "package"];
/// Keys the rewriter sets to true or adds (`block_args`, `free_form` in plan.rs).
const ADDED_KEYS: [&str; 2] = ["allow_downgrade", "allow_change_held_packages"];

/// Where a node sits, which decides what the rewriter may change in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A document: a mapping of variables, or a list of plays or tasks.
    Doc,
    /// An item of a document's list: a play or a task.
    TopItem,
    /// A play's `vars:` mapping.
    Vars,
    /// A variable's value: package names (`rewrite_name_list`) or a state (`latest`).
    VarValue,
    /// The value of an apt module key: argument mapping, or free-form string.
    Module,
    /// An apt module's argument mapping.
    Args,
    /// Package names: `name`/`pkg`/`package`, `loop`/`with_items` (a string or list of strings).
    Names,
    /// One package-name string inside a list.
    NameItem,
    /// `state` of an apt module's arguments.
    State,
    /// Anything else: must stay equal (a mapping inside may still hold tasks).
    Other,
}

fn is_hold_task(v: &Value) -> bool {
    v.get("name").and_then(Value::as_str) == Some(HOLD_TASK_NAME)
}

fn key_is(k: &Value, set: &[&str]) -> bool {
    k.as_str().is_some_and(|k| set.contains(&k))
}

/// The role of the value of key `k` in a mapping of role `role`.
fn child_role(role: Role, k: &Value) -> Role {
    match role {
        // `definitions` of a document that is a mapping
        Role::Doc | Role::Vars => Role::VarValue,
        Role::TopItem if k.as_str() == Some("vars") => Role::Vars,
        Role::Args if key_is(k, &NAME_KEYS) => Role::Names,
        Role::Args if k.as_str() == Some("state") => Role::State,
        // any other mapping may be a task (`task_list` descends into block/rescue/always)
        _ if key_is(k, &APT_MODULES) => Role::Module,
        _ if key_is(k, &["loop", "with_items"]) => Role::Names,
        _ => Role::Other,
    }
}

fn same(a: &Value, b: &Value, role: Role, ex: &Expect, at: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Sequence(x), Value::Sequence(y)) => {
            let x: Vec<_> = x.iter().filter(|v| !is_hold_task(v)).collect();
            let y: Vec<_> = y.iter().filter(|v| !is_hold_task(v)).collect();
            if x.len() != y.len() {
                return Err(format!("{at}: {} items became {}", x.len(), y.len()));
            }
            let item_role = match role {
                Role::Doc => Role::TopItem,
                // `pin_names` of a list, `collect_var_pins` of a list definition
                Role::Names | Role::VarValue => Role::NameItem,
                _ => Role::Other,
            };
            for (i, (p, q)) in x.iter().zip(&y).enumerate() {
                same(p, q, item_role, ex, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Mapping(x), Value::Mapping(y)) => {
            let role = if role == Role::Module {
                Role::Args
            } else {
                role
            };
            for (k, v) in x {
                let w = y
                    .get(k)
                    .ok_or_else(|| format!("{at}: key {k:?} was removed"))?;
                // `block_args` sets these to true whatever they were (a value it replaces in a
                // style it must keep, e.g. a quoted scalar or a plain scalar over two lines, comes
                // out as the string "true", which Ansible's bool reads the same)
                if role == Role::Args
                    && key_is(k, &ADDED_KEYS)
                    && (w.as_bool() == Some(true) || w.as_str() == Some("true"))
                {
                    continue;
                }
                same(
                    v,
                    w,
                    child_role(role, k),
                    ex,
                    &format!("{at}.{}", key_str(k)),
                )?;
            }
            for (k, v) in y {
                if x.contains_key(k) {
                    continue;
                }
                // `block_args` appends the missing ones as `key: true`
                let allowed =
                    role == Role::Args && key_is(k, &ADDED_KEYS) && v.as_bool() == Some(true);
                if !allowed {
                    return Err(format!("{at}: key {k:?}: {v:?} was added"));
                }
            }
            Ok(())
        }
        (Value::Tagged(x), Value::Tagged(y)) if x.tag == y.tag => {
            same(&x.value, &y.value, role, ex, at)
        }
        (Value::String(x), Value::String(y)) if x != y => {
            let latest = x == "latest" && y == "present";
            match role {
                Role::Module => same_free_form(x, y, ex).map_err(|e| format!("{at}: {e}")),
                Role::State | Role::VarValue if latest => Ok(()),
                Role::Names | Role::NameItem | Role::VarValue => {
                    same_names(x, y, ex).map_err(|e| format!("{at}: {e}"))
                }
                _ => Err(format!("{at}: {x:?} became {y:?}")),
            }
        }
        _ if a == b => Ok(()),
        _ => Err(format!("{at}: {a:?} became {b:?} (role {role:?})")),
    }
}

fn key_str(k: &Value) -> String {
    k.as_str().map_or_else(|| format!("{k:?}"), str::to_string)
}

/// A package entry's name: up to the first `=`, `<` or `>`, trimmed (`package_name` in plan.rs).
fn package_name(entry: &str) -> &str {
    let end = entry.find(['=', '<', '>']).unwrap_or(entry.len());
    entry[..end].trim()
}

/// A package-name string: the same comma-separated entries, each equal or (its name pinned)
/// `name=<pin>` with its leading and trailing blanks kept (`rewrite_name_list` in plan.rs).
fn same_names(a: &str, b: &str, ex: &Expect) -> Result<(), String> {
    let (xs, ys): (Vec<&str>, Vec<&str>) = (a.split(',').collect(), b.split(',').collect());
    if xs.len() != ys.len() {
        return Err(format!("package names {a:?} became {b:?}: entries changed"));
    }
    for (x, y) in xs.iter().zip(&ys) {
        if x == y {
            continue;
        }
        let name = package_name(x.trim());
        let Some(pin) = ex.pins.get(name) else {
            return Err(format!(
                "package names {a:?} became {b:?}: entry {x:?} changed, {name:?} is not pinned"
            ));
        };
        let lead = &x[..x.len() - x.trim_start().len()];
        let trail = &x[x.trim_end().len()..];
        let want = format!("{lead}{name}={pin}{trail}");
        if *y != want {
            return Err(format!(
                "package names {a:?} became {b:?}: entry {x:?} became {y:?}, not {want:?}"
            ));
        }
    }
    Ok(())
}

/// Splits a free-form string at `' '` outside quotes and `{{ }}` blocks (ansible-core's
/// `split_args`, without its escapes); runs of blanks separate too.
fn split_params(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quote, mut depth, mut start) = (None::<char>, 0usize, 0usize);
    let b = s.as_bytes();
    for (i, c) in s.char_indices() {
        match c {
            '"' | '\'' => match quote {
                Some(q) if q == c => quote = None,
                None => quote = Some(c),
                _ => {}
            },
            '{' if b.get(i + 1) == Some(&b'{') => depth += 1,
            '}' if b.get(i + 1) == Some(&b'}') && i > 0 && b[i - 1] != b'}' => {
                depth = depth.saturating_sub(1)
            }
            ' ' | '\n' if quote.is_none() && depth == 0 => {
                if i > start {
                    out.push(&s[start..i]);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if s.len() > start {
        out.push(&s[start..]);
    }
    out
}

/// A free-form value without one pair of matching quotes, and the quote.
fn unquote(v: &str) -> (&str, Option<char>) {
    let b = v.as_bytes();
    if b.len() > 1 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        (&v[1..v.len() - 1], Some(b[0] as char))
    } else {
        (v, None)
    }
}

/// An apt module's free-form argument string (`free_form` in plan.rs): the same parameters
/// (see [`split_params`]), each equal or changed as the module docs say, then the missing
/// `allow_*=true`.
fn same_free_form(a: &str, b: &str, ex: &Expect) -> Result<(), String> {
    let (xs, ys) = (split_params(a), split_params(b));
    if ys.len() < xs.len() {
        return Err(format!(
            "free-form arguments {a:?} became {b:?}: fewer parameters"
        ));
    }
    for (x, y) in xs.iter().zip(&ys) {
        if x == y {
            continue;
        }
        let ok = match (x.split_once('='), y.split_once('=')) {
            (Some((k, v)), Some((yk, w))) if k == yk => {
                let ((v, q), (w, wq)) = (unquote(v), unquote(w));
                if q != wq {
                    false
                } else if NAME_KEYS.contains(&k) {
                    same_names(v, w, ex).map_err(|e| format!("free-form {k}=: {e}"))?;
                    true
                } else if k == "state" {
                    v == "latest" && w == "present"
                } else {
                    ADDED_KEYS.contains(&k) && w == "true"
                }
            }
            _ => false,
        };
        if !ok {
            return Err(format!(
                "free-form arguments {a:?} became {b:?}: {x:?} became {y:?}"
            ));
        }
    }
    let present: BTreeSet<&str> = xs
        .iter()
        .filter_map(|t| t.split_once('='))
        .map(|(k, _)| k)
        .collect();
    let mut added = BTreeSet::new();
    for y in &ys[xs.len()..] {
        let key = y.strip_suffix("=true").filter(|k| ADDED_KEYS.contains(k));
        match key {
            Some(k) if !present.contains(k) && added.insert(k) => {}
            _ => {
                return Err(format!(
                    "free-form arguments {a:?} became {b:?}: {y:?} added"
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(old: &str, new: &str) -> Result<(), String> {
        check_pin_diff(old, new, &docker_pins(), &PinOptions::default())
    }

    fn check_multi(old: &str, new: &str) -> Result<(), String> {
        check_pin_diff(old, new, &docker_pins_multi(), &PinOptions::default())
    }

    /// What the rewriter makes of `old` with [`docker_pins`].
    fn pinned(old: &str) -> String {
        let out = pin_source(
            Path::new("t.yml"),
            old,
            &docker_pins(),
            &PinOptions::default(),
        );
        out.unwrap().new_text.expect("changed")
    }

    const PLAY: &str = "- hosts: all\n  tasks:\n    - apt:\n";
    const V: &str = "5:23.0.1-1~debian.10~buster";

    #[test]
    fn allow_downgrade_inside_a_pkg_string_is_a_package_entry() {
        // pin run #8's false alarm: not a free-form argument, left alone by the rewriter
        let old = format!("{PLAY}        pkg: docker-ce,allow_downgrade=truex\n");
        let new = pinned(&old);
        assert!(
            new.contains(&format!("pkg: docker-ce={V},allow_downgrade=truex\n")),
            "{new}"
        );
        check(&old, &new).unwrap();
        // but changing it is not what the rewriter does
        let bad = new.replace("=truex", "=true");
        assert!(check(&old, &bad).is_err());
    }

    #[test]
    fn free_form_arguments_are_read_only_in_the_module_string() {
        let old =
            "- hosts: all\n  tasks:\n    - apt: name=docker-ce,x allow_downgrade=no state=latest\n";
        let new = pinned(old);
        let want = format!("apt: name=docker-ce={V},x allow_downgrade=true state=present allow_change_held_packages=true\n");
        assert!(new.contains(&want), "{new}");
        check(old, &new).unwrap();
        let twice = new.replace("true\n", "true allow_downgrade=true\n");
        assert!(check(old, &twice).is_err(), "allow_downgrade added twice");
        let wrong = new.replace(V, "1");
        assert!(check(old, &wrong).is_err(), "wrong version");
        // a `name:` value is not free-form: no key=value reading, no appended arguments
        // (`docker-ce state` is the entry's name there: not pinned, left alone)
        let old = format!("{PLAY}        name: docker-ce state=latest,containerd.io\n");
        let new = pinned(&old);
        assert!(
            new.contains("name: docker-ce state=latest,containerd.io=1.6.18-1\n"),
            "{new}"
        );
        check(&old, &new).unwrap();
        let bad = new.replace(
            "docker-ce state=latest",
            &format!("docker-ce={V} state=present"),
        );
        assert!(check(&old, &bad).is_err());
        // nor is any other string
        let old = "- hosts: all\n  vars:\n    x: name=docker-ce\n  tasks: []\n";
        assert!(check(old, &old.replace("=docker-ce", &format!("=docker-ce={V}"))).is_err());
    }

    #[test]
    fn allow_keys_only_in_apt_arguments() {
        let old = "- hosts: all\n  tasks:\n    - debug:\n        msg: x\n";
        let new =
            "- hosts: all\n  tasks:\n    - debug:\n        msg: x\n        allow_downgrade: true\n";
        assert!(check(old, new).is_err());
    }

    #[test]
    fn several_targets_write_lookups() {
        let old = format!(
            "{PLAY}        name: [docker-ce, docker-buildx-plugin<1, x]\n        state: latest\n"
        );
        let new = format!("{PLAY}        name: [\"docker-ce={{{{ pinlock_pins['docker-ce'] }}}}\", \"docker-buildx-plugin={{{{ pinlock_pins['docker-buildx-plugin'] }}}}\", x]\n        state: present\n        allow_downgrade: true\n        allow_change_held_packages: true\n");
        check_multi(&old, &new).unwrap();
        assert!(check_multi(&old, &new.replace("['docker-ce']", "['containerd.io']")).is_err());
        // what the rewriter itself writes passes
        let out = pin_source(
            Path::new("t.yml"),
            &old,
            &docker_pins_multi(),
            &PinOptions::default(),
        );
        let real = out.unwrap().new_text.expect("changed");
        assert!(
            real.contains("pinlock_pins['docker-buildx-plugin']"),
            "{real}"
        );
        check_multi(&old, &real).unwrap();
        // free-form arguments get the lookups too (ansible-core keeps a `{{ }}` block together)
        let old = "- hosts: all\n  tasks:\n    - apt: name=\"docker-ce\" state=latest\n";
        let new = format!("- hosts: all\n  tasks:\n    - apt: name=docker-ce={V} allow_downgrade=true allow_change_held_packages=true\n");
        assert!(check_multi(old, &new).is_err());
        let real = pin_source(
            Path::new("t.yml"),
            old,
            &docker_pins_multi(),
            &PinOptions::default(),
        )
        .unwrap()
        .new_text
        .expect("changed");
        assert!(
            real.contains("name=\"docker-ce={{ pinlock_pins['docker-ce'] }}\" state=present"),
            "{real}"
        );
        check_multi(old, &real).unwrap();
        // the quotes stay
        assert!(check_multi(old, &real.replace("name=\"docker-ce=", "name=docker-ce=")).is_err());
    }
}
