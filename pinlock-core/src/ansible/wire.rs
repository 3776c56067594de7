//! Wires plays to the host enforcement: the first `pre_tasks` entry imports `enforce.yml` and
//! the last `post_tasks` entry imports `hold.yml` (see [`super::enforce`]).
//!
//! A play is wired when it may install packages: it has an apt/package install task, or it
//! runs roles or task files (`roles:`, `import_role`/`include_role`, `import_tasks`/
//! `include_tasks`), whose apt tasks pinlock may never see. Pre-tasks run before roles and
//! tasks, post-tasks after them, so the enforcement surrounds whatever the play installs.
//! Re-runs find pinlock's entries by their names and only update the import paths.
//! The edits are byte splices verified by re-parsing, like every other edit of the module.

use std::collections::BTreeSet;

use super::enforce::{ENFORCE_TASK_NAME, HOLD_TASK_NAME};
use super::plan::{Planner, APT_MODULES, SKIP_STATES};
use super::splice::{Op, Seg};
use super::yaml::{Kind, Node, Value};

/// The import paths of the enforcement files, relative to the file being planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wiring {
    /// Path of `enforce.yml` as the file's plays import it.
    pub enforce: String,
    /// Path of `hold.yml` as the file's plays import it.
    pub hold: String,
}

/// A play that may install packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlayInfo {
    /// 1-based line of the play.
    pub line: usize,
    /// Whether it imports both enforcement files in the file as it is.
    pub wired_before: bool,
    /// Whether it imports both once the file's plan is applied.
    pub wired_after: bool,
    /// The roles and task files it runs.
    pub refs: Refs,
}

/// What a file runs from elsewhere.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Refs {
    /// Role names (the last path component of `roles:` entries and `*_role` names).
    pub roles: BTreeSet<String>,
    /// File names of imported or included task files.
    pub files: BTreeSet<String>,
}

impl Refs {
    fn is_empty(&self) -> bool {
        self.roles.is_empty() && self.files.is_empty()
    }

    pub(crate) fn extend(&mut self, other: Refs) {
        self.roles.extend(other.roles);
        self.files.extend(other.files);
    }
}

const TASK_FILE_KEYS: &[&str] = &[
    "import_tasks",
    "ansible.builtin.import_tasks",
    "include_tasks",
    "ansible.builtin.include_tasks",
    "include",
    "ansible.builtin.include",
];
const ROLE_KEYS: &[&str] = &[
    "import_role",
    "ansible.builtin.import_role",
    "include_role",
    "ansible.builtin.include_role",
];

/// The last path component of a role or file reference (`ns.coll.role` keeps its last part).
fn last_component(s: &str) -> String {
    let s = s.trim_end_matches('/');
    let s = s.rsplit('/').next().unwrap_or(s);
    s.to_string()
}

/// Adds the roles and task files the task list `list` runs (nested blocks included).
pub(crate) fn collect_refs(list: &Node, out: &mut Refs) {
    for task in list.items() {
        for key in ["block", "rescue", "always"] {
            if let Some(sub) = task.get(key) {
                collect_refs(sub, out);
            }
        }
        for (k, v) in task.entries() {
            let Some(k) = k.str() else { continue };
            if TASK_FILE_KEYS.contains(&k) {
                if let Some(f) = v.str().or_else(|| v.get("file").and_then(Node::str)) {
                    out.files.insert(last_component(f));
                }
            } else if ROLE_KEYS.contains(&k) {
                if let Some(r) = v.get("name").and_then(Node::str) {
                    out.roles.insert(last_component(r));
                }
            }
        }
    }
}

/// The roles and task files a play runs.
fn play_refs(play: &Node) -> Refs {
    let mut out = Refs::default();
    for role in play.get("roles").map(Node::items).unwrap_or_default() {
        let name = role
            .str()
            .or_else(|| role.get("role").and_then(Node::str))
            .or_else(|| role.get("name").and_then(Node::str));
        if let Some(n) = name {
            out.roles.insert(last_component(n));
        }
    }
    for key in ["pre_tasks", "tasks", "post_tasks", "handlers"] {
        if let Some(list) = play.get(key) {
            collect_refs(list, &mut out);
        }
    }
    out
}

/// Whether the task list has an apt/package task that installs (nested blocks included).
fn installs(list: &Node) -> bool {
    list.items().iter().any(|task| {
        ["block", "rescue", "always"]
            .iter()
            .any(|k| task.get(k).is_some_and(installs))
            || task.entries().iter().any(|(k, args)| {
                k.str().is_some_and(|k| APT_MODULES.contains(&k))
                    && args.get("deb").is_none()
                    && !args
                        .get("state")
                        .and_then(Node::str)
                        .is_some_and(|s| SKIP_STATES.contains(&s))
            })
    })
}

/// Whether the play may install packages (see the module docs).
fn play_installs(play: &Node, refs: &Refs) -> bool {
    !refs.is_empty()
        || ["pre_tasks", "tasks", "post_tasks", "handlers"]
            .iter()
            .any(|k| play.get(k).is_some_and(installs))
}

/// pinlock's import entry named `name` in the play's list `key`, with its index.
fn find_import<'n>(play: &'n Node, key: &str, name: &str) -> Option<(usize, &'n Node)> {
    play.get(key)?
        .items()
        .iter()
        .enumerate()
        .find(|(_, t)| t.get("name").and_then(Node::str) == Some(name))
}

/// A scalar written plain when that is safe, else double-quoted.
fn scalar(s: &str) -> String {
    let safe_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._/-+".contains(c));
    let safe_start = !s.starts_with(['-', '.']) || s.starts_with("../") || s.starts_with("./");
    let plain = !s.is_empty() && safe_chars && safe_start;
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The value of a new import entry.
fn import_value(name: &str, path: &str) -> Value<'static> {
    Value::Map(vec![
        (
            Value::Scalar("name".into()),
            Value::Scalar(name.to_string().into()),
        ),
        (
            Value::Scalar("ansible.builtin.import_tasks".into()),
            Value::Scalar(path.to_string().into()),
        ),
    ])
}

/// The lines of pinlock's import entry as a list item whose `-` is after `dash_indent`, with
/// `gap` spaces between the `-` and the item.
fn import_item_lines(dash_indent: &str, gap: usize, name: &str, import: &str) -> Vec<String> {
    let gap = " ".repeat(gap);
    vec![
        format!("{dash_indent}-{gap}name: {name}"),
        format!(
            "{dash_indent} {gap}ansible.builtin.import_tasks: {}",
            scalar(import)
        ),
    ]
}

impl Planner<'_> {
    /// The lines of a new `key:` list of the play, at column `key_col`, holding pinlock's
    /// import entry, in the play's own list style.
    fn new_list_lines(
        &self,
        play: &Node,
        key_col: usize,
        key: &str,
        name: &str,
        import: &str,
    ) -> Vec<String> {
        let (dash_off, gap) = self.seq_style(play).unwrap_or((self.unit, 1));
        let k = " ".repeat(key_col);
        let mut lines = vec![format!("{k}{key}:")];
        lines.extend(import_item_lines(
            &format!("{k}{}", " ".repeat(dash_off)),
            gap,
            name,
            import,
        ));
        lines
    }

    /// Whether the text from `start` to `end` has a blank line (entries separated by them).
    fn has_blank_line(&self, start: usize, end: usize) -> bool {
        self.text[start..end]
            .split('\n')
            .skip(1)
            .any(|l| l.trim().is_empty())
    }

    /// The start of the line of `pos`, moved up over comment lines right above it that are
    /// indented at least `min_indent` (they belong to what follows).
    fn start_with_comments(&self, pos: usize, min_indent: usize) -> usize {
        let mut at = self.line_start(pos);
        while at > 0 {
            let prev = self.line_start(at - 1);
            let line = self.text[prev..at].trim_end_matches(['\n', '\r']);
            let trimmed = line.trim_start_matches(' ');
            if !trimmed.starts_with('#') || line.len() - trimmed.len() < min_indent {
                break;
            }
            at = prev;
        }
        at
    }

    /// Whether the line before `at` (a line start) is blank.
    fn blank_before(&self, at: usize) -> bool {
        at > 0 && {
            let prev = self.line_start(at - 1);
            self.text[prev..at].trim().is_empty()
        }
    }

    /// Records the play's state and, when wiring is on, plans its imports (see the module docs).
    pub(crate) fn wire_play(&mut self, play: &Node, path: &[Seg]) {
        if play.get("hosts").is_none() {
            return;
        }
        let refs = play_refs(play);
        if !play_installs(play, &refs) {
            return;
        }
        let mut info = PlayInfo {
            line: play.pos.line,
            wired_before: find_import(play, "pre_tasks", ENFORCE_TASK_NAME).is_some()
                && find_import(play, "post_tasks", HOLD_TASK_NAME).is_some(),
            wired_after: false,
            refs,
        };
        info.wired_after = info.wired_before;
        if let Some(w) = self.wiring {
            if matches!(play.kind, Kind::Map { flow: true, .. }) || play.anchor != 0 || play.tagged
            {
                self.warn(
                    play.pos.line,
                    "play is a flow mapping or carries an anchor; pinlock cannot add the host enforcement to it\nhint: write the play in block style",
                );
                info.wired_after = false;
            } else {
                let pre =
                    self.wire_list(play, path, "pre_tasks", ENFORCE_TASK_NAME, &w.enforce, true);
                let post = self.wire_list(play, path, "post_tasks", HOLD_TASK_NAME, &w.hold, false);
                info.wired_after = pre && post;
            }
        }
        self.plan.plays.push(info);
    }

    /// Plans pinlock's import entry in the play's list `key` (first or last); false when it
    /// cannot be added (with a warning).
    fn wire_list(
        &mut self,
        play: &Node,
        path: &[Seg],
        key: &str,
        name: &str,
        import: &str,
        first: bool,
    ) -> bool {
        let mut lp = path.to_vec();
        lp.push(Seg::Key(key.into()));
        let Some((k, list)) = play.entry(key) else {
            return self.add_list(play, path, key, name, import, first);
        };
        let items = match &list.kind {
            Kind::Seq { items, flow: false } if !items.is_empty() => items,
            // `pre_tasks:` with nothing, or `pre_tasks: []`: the entry's line becomes the list
            Kind::Scalar(v, _) if v.is_empty() || v == "~" || v == "null" => {
                return self.replace_empty_list(play, k, list, &lp, key, name, import);
            }
            Kind::Seq { items, flow: true } if items.is_empty() => {
                return self.replace_empty_list(play, k, list, &lp, key, name, import);
            }
            _ => {
                self.warn(
                    k.pos.line,
                    format!("`{key}` is not a block list of tasks; pinlock cannot add the host enforcement to this play\nhint: write `{key}` as a block list, or add `- ansible.builtin.import_tasks: {import}` to it by hand"),
                );
                return false;
            }
        };
        if let Some((i, item)) = find_import(play, key, name) {
            let Some((ik, iv)) = item
                .entries()
                .iter()
                .find(|(k, _)| k.str().is_some_and(|k| TASK_FILE_KEYS.contains(&k)))
            else {
                self.warn(
                    item.pos.line,
                    format!("a task named `{name}` does not import a task file; pinlock leaves it alone\nhint: remove it and run `pinlock pin` again"),
                );
                return false;
            };
            if iv.str() == Some(import) {
                return true;
            }
            if iv.str().is_none() || iv.has_anchor_or_alias().is_some() {
                self.warn(
                    iv.pos.line,
                    format!("pinlock's import of {import} is not a plain file name; pinlock leaves it alone"),
                );
                return false;
            }
            let mut ip = lp.clone();
            ip.push(Seg::Index(i));
            ip.push(Seg::Key(ik.str().unwrap_or_default().into()));
            self.set_scalar(iv, &ip, import.to_string(), format!("import {import}"));
            return true;
        }
        let anchor = if first {
            &items[0]
        } else {
            &items[items.len() - 1]
        };
        let Some((first_key, _)) = anchor.entries().first() else {
            self.warn(
                anchor.pos.line,
                format!("`{key}` holds an item that is not a task; pinlock cannot add the host enforcement to this play"),
            );
            return false;
        };
        let ls = self.line_start(first_key.pos.start);
        let before = &self.text[ls..first_key.pos.start];
        let Some(dash) = before.rfind('-') else {
            self.warn(
                anchor.pos.line,
                format!("cannot find the `-` of the first item of `{key}`"),
            );
            return false;
        };
        let dash_indent = before[..dash].to_string();
        if !dash_indent.chars().all(|c| c == ' ') {
            self.warn(
                anchor.pos.line,
                format!("the items of `{key}` do not start their own lines; pinlock cannot add the host enforcement to this play"),
            );
            return false;
        }
        let mut lines = import_item_lines(&dash_indent, before.len() - dash - 1, name, import);
        let spaced = items.len() > 1
            && self.has_blank_line(items[0].pos.start, items[items.len() - 1].pos.start);
        let (at, index) = if first {
            if spaced {
                lines.push(String::new());
            }
            (self.start_with_comments(first_key.pos.start, dash), 0)
        } else {
            if spaced {
                lines.insert(0, String::new());
            }
            (
                self.insertion_point(anchor.content_end(), first_key.pos.col),
                items.len(),
            )
        };
        self.insert_lines_at(at, &lines);
        self.plan.ops.push(Op::InsertItem {
            path: lp,
            index,
            value: import_value(name, import),
        });
        let where_ = if first { "first in" } else { "last in" };
        self.edit(list.pos.line, format!("import {import} {where_} {key}"));
        true
    }

    /// Replaces an empty `key:` (null or `[]`, alone on its line) with a block list holding
    /// pinlock's import entry.
    #[allow(clippy::too_many_arguments)]
    fn replace_empty_list(
        &mut self,
        play: &Node,
        k: &Node,
        value: &Node,
        lp: &[Seg],
        key: &str,
        name: &str,
        import: &str,
    ) -> bool {
        let start = self.line_start(k.pos.start);
        let end = self.line_end_after(k.pos.start);
        let line = &self.text[start..end];
        let alone = self.text[start..k.pos.start].chars().all(|c| c == ' ')
            && value.pos.end <= end
            && !line.contains('#')
            && value.anchor == 0
            && !value.tagged;
        if !alone {
            self.warn(
                k.pos.line,
                format!("`{key}` is empty but shares its line with something else; pinlock cannot add the host enforcement to this play\nhint: write `{key}:` as a block list, or add `- ansible.builtin.import_tasks: {import}` to it by hand"),
            );
            return false;
        }
        let lines = self.new_list_lines(play, k.pos.col, key, name, import);
        let mut text: String = lines.iter().map(|l| format!("{l}{}", self.eol)).collect();
        if !line.ends_with('\n') {
            text.truncate(text.len() - self.eol.len());
        }
        self.push_splice(start, end, text);
        self.plan.ops.push(Op::SetValue {
            path: lp.to_vec(),
            value: Value::Seq(vec![import_value(name, import)]),
        });
        self.edit(k.pos.line, format!("{key}: import {import}"));
        true
    }

    /// Adds the list `key` with pinlock's import entry to the play: `pre_tasks` before the
    /// first of `roles`/`tasks`/`post_tasks`/`handlers`, `post_tasks` at the end.
    fn add_list(
        &mut self,
        play: &Node,
        path: &[Seg],
        key: &str,
        name: &str,
        import: &str,
        first: bool,
    ) -> bool {
        let entries = play.entries();
        let key_col = entries[0].0.pos.col;
        let mut lines = self.new_list_lines(play, key_col, key, name, import);
        let spaced = self.has_blank_line(entries[0].0.pos.start, play.content_end());
        // before the first list of tasks, when that key starts its own line
        let before = first
            .then(|| {
                entries.iter().enumerate().skip(1).find(|(_, (ek, _))| {
                    ek.str()
                        .is_some_and(|s| ["roles", "tasks", "post_tasks", "handlers"].contains(&s))
                        && self.text[self.line_start(ek.pos.start)..ek.pos.start]
                            .chars()
                            .all(|c| c == ' ')
                })
            })
            .flatten();
        let (at, index) = match before {
            Some((i, (ek, _))) => {
                let at = self.start_with_comments(ek.pos.start, key_col);
                if self.blank_before(at) || spaced {
                    lines.push(String::new());
                }
                (at, i)
            }
            None => {
                if spaced {
                    lines.insert(0, String::new());
                }
                (
                    self.insertion_point(play.content_end(), key_col),
                    entries.len(),
                )
            }
        };
        self.insert_lines_at(at, &lines);
        self.plan.ops.push(Op::InsertEntry {
            path: path.to_vec(),
            index,
            key: key.into(),
            value: Value::Seq(vec![import_value(name, import)]),
        });
        let line = self.line_starts.partition_point(|&s| s <= at);
        self.edit(line, format!("add {key}: import {import}"));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars() {
        assert_eq!(scalar("../pinlock/enforce.yml"), "../pinlock/enforce.yml");
        assert_eq!(scalar("pinlock/enforce.yml"), "pinlock/enforce.yml");
        assert_eq!(scalar("my dir/enforce.yml"), "\"my dir/enforce.yml\"");
        assert_eq!(scalar("-x"), "\"-x\"");
    }

    #[test]
    fn last_components() {
        assert_eq!(last_component("geerlingguy.docker"), "geerlingguy.docker");
        assert_eq!(last_component("../roles/docker/"), "docker");
    }
}
