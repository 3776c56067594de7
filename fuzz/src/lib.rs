//! Helpers shared by the fuzz targets: the pins used, and the check that a pinned playbook
//! differs from its input only in what pinning may change.

use std::collections::BTreeMap;

use pinlock_core::ansible::{Pins, HOLD_TASK_NAME};
use serde_yaml::Value;

/// One target (`buster/amd64`) pinning Docker's packages, as in `testdata/pin/*/pins.yml`.
pub fn docker_pins() -> Pins {
    let pkgs: BTreeMap<String, String> = [
        ("containerd.io", "1.6.18-1"),
        ("docker-buildx-plugin", "0.10.2-1~debian.10~buster"),
        ("docker-ce", "5:23.0.1-1~debian.10~buster"),
        ("docker-ce-cli", "5:23.0.1-1~debian.10~buster"),
        ("docker-compose-plugin", "2.16.0-1~debian.10~buster"),
    ]
    .into_iter()
    .map(|(p, v)| (p.to_string(), v.to_string()))
    .collect();
    Pins {
        targets: [("buster/amd64".to_string(), pkgs)].into_iter().collect(),
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

/// Checks that `new` (the pinned text) differs from `old` only in what pinning may change; see
/// the `pin` fuzz target. Returns `Ok` also when serde_yaml cannot read `old` (nothing to compare
/// against); `Err` says where they differ otherwise.
pub fn check_pin_diff(old: &str, new: &str, pins: &Pins) -> Result<(), String> {
    let Some(a) = documents(old) else {
        return Ok(());
    };
    let b = documents(new).ok_or("the pinned text does not parse, but the input did")?;
    if a.len() != b.len() {
        return Err(format!("{} documents became {}", a.len(), b.len()));
    }
    let versions: BTreeMap<&str, &str> = pins
        .targets
        .values()
        .flat_map(|m| m.iter().map(|(p, v)| (p.as_str(), v.as_str())))
        .collect();
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        same(x, y, &versions, &format!("doc{i}"))?;
    }
    Ok(())
}

const ADDED_KEYS: [&str; 2] = ["allow_downgrade", "allow_change_held_packages"];

fn is_hold_task(v: &Value) -> bool {
    v.get("name").and_then(Value::as_str) == Some(HOLD_TASK_NAME)
}

fn same(a: &Value, b: &Value, pins: &BTreeMap<&str, &str>, at: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Sequence(x), Value::Sequence(y)) => {
            let x: Vec<_> = x.iter().filter(|v| !is_hold_task(v)).collect();
            let y: Vec<_> = y.iter().filter(|v| !is_hold_task(v)).collect();
            if x.len() != y.len() {
                return Err(format!("{at}: {} items became {}", x.len(), y.len()));
            }
            for (i, (p, q)) in x.iter().zip(&y).enumerate() {
                same(p, q, pins, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Mapping(x), Value::Mapping(y)) => {
            for (k, v) in x {
                let w = y
                    .get(k)
                    .ok_or_else(|| format!("{at}: key {k:?} was removed"))?;
                // pinning sets these to true, whatever they were (a value the rewriter replaces
                // in a style it must keep, e.g. a plain scalar over two lines, may come out as
                // the string "true", which Ansible's bool reads the same)
                if is_added_key(k) && (w.as_bool() == Some(true) || w.as_str() == Some("true")) {
                    continue;
                }
                same(v, w, pins, &format!("{at}.{}", key_str(k)))?;
            }
            for (k, v) in y {
                if x.contains_key(k) {
                    continue;
                }
                let allowed = is_added_key(k) && v.as_bool() == Some(true);
                if !allowed {
                    return Err(format!("{at}: key {k:?}: {v:?} was added"));
                }
            }
            Ok(())
        }
        (Value::Tagged(x), Value::Tagged(y)) if x.tag == y.tag => {
            same(&x.value, &y.value, pins, at)
        }
        (Value::String(x), Value::String(y)) => same_str(x, y, pins, at),
        _ if a == b => Ok(()),
        _ => Err(format!("{at}: {a:?} became {b:?}")),
    }
}

fn is_added_key(k: &Value) -> bool {
    k.as_str().is_some_and(|k| ADDED_KEYS.contains(&k))
}

fn key_str(k: &Value) -> String {
    k.as_str().map_or_else(|| format!("{k:?}"), str::to_string)
}

/// A string value: equal, or equal once pinned package tokens lose their `=version` (the new
/// one must carry exactly the pinned version), `latest` reads as `present`, the free-form
/// `allow_downgrade=true allow_change_held_packages=true` added at the end is dropped and an
/// existing `allow_downgrade=...` may become `=true`.
fn same_str(a: &str, b: &str, pins: &BTreeMap<&str, &str>, at: &str) -> Result<(), String> {
    if a == b {
        return Ok(());
    }
    let mut b_trimmed = b;
    for key in ADDED_KEYS.iter().rev() {
        let tail = format!(" {key}=true");
        if !a.contains(&format!("{key}=")) {
            if let Some(rest) = b_trimmed.strip_suffix(&tail) {
                b_trimmed = rest;
            }
        }
    }
    // A list item or comma-separated entry is one `name[=version]` token even when it holds
    // blanks; free-form arguments are blank-separated. Any reading that explains the change will do.
    let mut tried = Vec::new();
    for seps in [Seps::BlanksAndCommas, Seps::Commas, Seps::None] {
        let na = normalise(a, pins, None, seps)?;
        match normalise(b_trimmed, pins, Some((at, a)), seps) {
            Ok(nb) if na == nb => return Ok(()),
            Ok(nb) => tried.push(format!("{na:?} vs {nb:?}")),
            Err(e) => tried.push(e),
        }
    }
    Err(format!(
        "{at}: {a:?} became {b:?} (normalised: {})",
        tried.join("; ")
    ))
}

/// What separates the tokens of a string value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seps {
    BlanksAndCommas,
    Commas,
    None,
}

/// Splits into tokens at `seps` (keeping the separators and blanks around tokens), strips
/// `=version` from pinned package tokens and maps latest to present. For the new text
/// (`new_at`: where, and the old text) a pinned package's version must be the pinned one unless
/// the token is unchanged from the old text (a non-name argument that merely looks like one).
fn normalise(
    s: &str,
    pins: &BTreeMap<&str, &str>,
    new_at: Option<(&str, &str)>,
    seps: Seps,
) -> Result<String, String> {
    let is_sep = |c: char| match seps {
        Seps::BlanksAndCommas => c.is_whitespace() || c == ',',
        Seps::Commas => c == ',',
        Seps::None => false,
    };
    let mut out = String::with_capacity(s.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| -> Result<(), String> {
        let core = token.trim();
        let lead = &token[..token.len() - token.trim_start().len()];
        let trail = &token[token.trim_end().len()..];
        out.push_str(lead);
        out.push_str(&norm_token(core, pins, new_at)?);
        out.push_str(trail);
        token.clear();
        Ok(())
    };
    for c in s.chars() {
        if is_sep(c) {
            flush(&mut token, &mut out)?;
            out.push(c);
        } else {
            token.push(c);
        }
    }
    flush(&mut token, &mut out)?;
    Ok(out)
}

fn norm_token(
    t: &str,
    pins: &BTreeMap<&str, &str>,
    new_at: Option<(&str, &str)>,
) -> Result<String, String> {
    for prefix in ["name=", "pkg=", "package="] {
        if let Some(rest) = t.strip_prefix(prefix) {
            return Ok(format!("{prefix}{}", norm_token(rest, pins, new_at)?));
        }
    }
    for key in ADDED_KEYS {
        if let Some(value) = t.strip_prefix(key).and_then(|r| r.strip_prefix('=')) {
            if let (Some((at, _)), false) = (new_at, value == "true") {
                return Err(format!("{at}: {key}={value}, not true"));
            }
            return Ok(key.to_string());
        }
    }
    match t {
        "latest" => return Ok("present".into()),
        "state=latest" => return Ok("state=present".into()),
        _ => {}
    }
    // `name=1.0`, `name>=1.0`, `name<2`: the rewriter reads the name up to `=`, `<` or `>`
    if let Some(i) = t.find(['=', '<', '>']) {
        let (pkg, version) = (&t[..i], t[i..].trim_start_matches(['=', '<', '>']));
        if let Some(want) = pins.get(pkg) {
            if let Some((at, old)) = new_at {
                if version != *want && !old.contains(t) {
                    return Err(format!("{at}: {pkg} pinned to {version:?}, not {want:?}"));
                }
            }
            return Ok(pkg.to_string());
        }
    }
    Ok(t.to_string())
}
