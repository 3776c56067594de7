//! Whether the host enforcement reaches every install: the import paths a play is wired with,
//! and the plays, roles and task files that install packages without an enforced play.

use std::path::{Path, PathBuf};

use super::{enforce, wire, PinWarning};

/// The components of `p` made absolute, with `.` and `..` resolved lexically.
pub(super) fn normalized(p: &Path) -> Vec<String> {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut out: Vec<String> = Vec::new();
    for c in abs.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c.as_os_str().to_string_lossy().into_owned()),
        }
    }
    out
}

/// What a file's plan says about enforcement coverage.
#[derive(Debug, Default)]
pub(super) struct Coverage {
    pub(super) refused: bool,
    pub(super) installs: Vec<usize>,
    pub(super) plays: Vec<wire::PlayInfo>,
    pub(super) refs: wire::Refs,
}

/// `to` relative to the directory of `file`, with `/` separators (as a play imports it).
pub(super) fn relative_import(file: &Path, to: &Path) -> String {
    // `site.yml`'s parent is the empty path, which `absolute` refuses: the current directory
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (from, to) = (normalized(dir), normalized(to));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(to[common..].iter().cloned());
    parts.join("/")
}

/// The import paths of the enforcement files for the plays of `file`.
pub(super) fn wiring_for(file: &Path, dir: &Path) -> wire::Wiring {
    wire::Wiring {
        enforce: relative_import(file, &dir.join(enforce::ENFORCE_FILE)),
        hold: relative_import(file, &dir.join(enforce::HOLD_FILE)),
    }
}

/// The role a file belongs to (`roles/<name>/…`), if any.
pub(super) fn role_of(path: &Path) -> Option<String> {
    let parts: Vec<&std::ffi::OsStr> = path.components().map(|c| c.as_os_str()).collect();
    parts
        .windows(2)
        .rev()
        .find(|w| w[0] == "roles")
        .map(|w| w[1].to_string_lossy().into_owned())
}

/// The fully qualified name of the collection role a file belongs to
/// (`ansible_collections/<namespace>/<collection>/roles/<name>/…` is `namespace.collection.name`).
pub(super) fn collection_role_of(path: &Path) -> Option<String> {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.windows(5).rev().find_map(|w| {
        (w[0] == "ansible_collections" && w[3] == "roles")
            .then(|| format!("{}.{}.{}", w[1], w[2], w[4]))
    })
}

/// The installs the host enforcement does not reach (see [`super::PinReport::uncovered`]).
pub(super) fn uncovered(files: &[(PathBuf, Coverage)]) -> (Vec<PinWarning>, usize) {
    let mut out = Vec::new();
    let mut reached = wire::Refs::default();
    let mut enforced = 0;
    for (path, c) in files {
        reached.extend(c.refs.clone());
        for p in &c.plays {
            let wired = if c.refused {
                p.wired_before
            } else {
                p.wired_after
            };
            if wired {
                enforced += 1;
                reached.extend(p.refs.clone());
            } else {
                out.push(PinWarning {
                    path: path.clone(),
                    line: p.line,
                    message: "this play installs packages or runs roles, and does not import pinlock's host enforcement, so its hosts may install versions the lockfile does not lock\nhint: the warnings above say why pinlock could not add the imports; fix that and run `pinlock pin`, or add `- ansible.builtin.import_tasks: pinlock/enforce.yml` first in its pre_tasks and `- ansible.builtin.import_tasks: pinlock/hold.yml` last in its post_tasks by hand, with the names pinlock gives them".into(),
                });
            }
        }
    }
    for (path, c) in files {
        if !c.plays.is_empty() || c.installs.is_empty() {
            continue;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let by_role = role_of(path).is_some_and(|r| reached.roles.contains(&r))
            || collection_role_of(path).is_some_and(|r| reached.roles.contains(&r));
        if by_role || reached.files.contains(&name) {
            continue;
        }
        let what = match role_of(path) {
            Some(r) => format!("role `{r}`"),
            None => format!("`{name}`"),
        };
        out.push(PinWarning {
            path: path.clone(),
            line: c.installs[0],
            message: format!(
                "installs packages, and no play pinlock enforces the lockfile in runs {what}, so its hosts may install versions the lockfile does not lock\nhint: add the playbook that runs it to `playbooks:` in pinlock.yml (or pass it to `pinlock pin`)"
            ),
        });
    }
    (out, enforced)
}
