//! Package names from apt/package tasks: `name:` as a list, a comma-separated string or Jinja,
//! with `loop:`/`with_items:`; only valid Debian package names come out.

use super::discover::PkgTask;
use super::env::Env;
use super::jinja::{has_jinja, render, JVal, Unresolved};

/// The names a task installs for the environment's target (still to be [`clean`]ed).
pub(crate) fn names(task: &PkgTask, env: &mut Env<'_>) -> Result<Vec<String>, Unresolved> {
    let Some(items) = &task.loop_items else {
        return flatten(&task.names, env);
    };
    let items = match items {
        JVal::Str(s) if has_jinja(s) => render(s, env, 0)?,
        other => other.clone(),
    };
    let JVal::List(items) = items else {
        return Err(Unresolved {
            expr: format!("{items:?}"),
            reason: "the loop is not a list".into(),
            needs_target: false,
        });
    };
    let mut out = Vec::new();
    for item in items {
        let item = match item {
            JVal::Str(s) if has_jinja(&s) => render(&s, env, 0)?,
            x => x,
        };
        env.extra.insert(task.loop_var.clone(), item);
        out.extend(flatten(&task.names, env)?);
    }
    env.extra.remove(&task.loop_var);
    Ok(out)
}

fn flatten(v: &JVal, env: &Env<'_>) -> Result<Vec<String>, Unresolved> {
    match v {
        JVal::Str(s) if has_jinja(s) => {
            let value = render(s, env, 0)?;
            if let JVal::Str(x) = &value {
                if has_jinja(x) {
                    return Err(Unresolved {
                        expr: s.clone(),
                        reason: "still holds Jinja after evaluation".into(),
                        needs_target: false,
                    });
                }
            }
            flatten(&value, env)
        }
        JVal::Str(s) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()),
        JVal::List(items) => {
            let mut out = Vec::new();
            for i in items {
                out.extend(flatten(i, env)?);
            }
            Ok(out)
        }
        JVal::Map(_) => Err(Unresolved {
            expr: "a mapping".into(),
            reason: "a mapping where package names are expected".into(),
            needs_target: false,
        }),
    }
}

/// Whether `name` is a valid Debian package name (Debian Policy 5.6.1: lowercase letters,
/// digits, `+`, `-`, `.`; at least two characters; starting with a letter or digit).
pub fn valid_name(name: &str) -> bool {
    name.len() >= 2
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.'))
}

/// The package name in an apt task's name (`docker-ce=5:24.0.2-1...`, `pkg>=1.0`,
/// `pkg:arm64`): `Some(Some(name))` when valid, `Some(None)` for an empty value (a
/// `default('')`), `None` when it is not a package name (a URL, a `.deb` file, Jinja debris).
pub(crate) fn clean(token: &str) -> Option<Option<String>> {
    let t = token.trim();
    if t.is_empty() {
        return Some(None);
    }
    if t.contains("://") || t.ends_with(".deb") || t.ends_with(".rpm") {
        return None;
    }
    let end = t.find(['=', '<', '>']).unwrap_or(t.len());
    let name = t[..end].trim();
    let name = name.split_once(':').map_or(name, |(n, _)| n);
    valid_name(name).then(|| Some(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_package_names_come_out() {
        assert_eq!(
            clean("docker-ce=5:24.0.2-1~debian.12~bookworm"),
            Some(Some("docker-ce".into()))
        );
        assert_eq!(clean("containerd.io"), Some(Some("containerd.io".into())));
        assert_eq!(clean("libstdc++6:arm64"), Some(Some("libstdc++6".into())));
        assert_eq!(clean(""), Some(None));
        for bad in [
            "+",
            "}}",
            "default('')",
            "docker__pip_dependencies",
            "https://r.example/containerd.io-1.2.6-3.3.el7.x86_64.rpm",
            "/tmp/x.deb",
            "Docker-CE",
            "a",
            "*",
        ] {
            assert_eq!(clean(bad), None, "{bad}");
        }
    }
}
