//! The hold task pinlock writes after each pinned install (`dpkg_selections: hold` over the
//! pinned names), found again by its name on re-runs.

use super::*;

impl Planner<'_> {
    /// The text of the entry `key` of `task` as whole lines, re-indented for a new task.
    pub(super) fn copied_entry_lines(&self, task: &Node, key: &str) -> Option<Vec<String>> {
        let (k, v) = task.entry(key)?;
        let col = k.pos.col;
        let start = self.line_start(k.pos.start);
        let end = self.line_end_after(v.content_end().max(k.pos.end));
        let chunk = &self.text[start..end];
        let mut lines: Vec<String> = chunk
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
            .collect();
        if lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        // the key may follow `- ` on its line: blank out everything before its column
        let first = &lines[0];
        let prefix_chars: String = first.chars().take(col).collect();
        let rest: String = first.chars().skip(col).collect();
        lines[0] = format!("{}{rest}", " ".repeat(prefix_chars.chars().count()));
        Some(lines)
    }

    /// How block sequences are written in `task` (its first block sequence): the dash's offset
    /// from the parent key's column and the spaces between dash and item.
    pub(crate) fn seq_style(&self, task: &Node) -> Option<(usize, usize)> {
        fn find<'n>(n: &'n Node, out: &mut Option<(&'n Node, usize)>) {
            if out.is_some() {
                return;
            }
            match &n.kind {
                Kind::Map {
                    entries,
                    flow: false,
                } => {
                    for (k, v) in entries {
                        if let Kind::Seq { flow: false, items } = &v.kind {
                            if !items.is_empty() {
                                *out = Some((v, k.pos.col));
                                return;
                            }
                        }
                        find(v, out);
                    }
                }
                Kind::Seq { items, .. } => items.iter().for_each(|i| find(i, out)),
                _ => {}
            }
        }
        let mut found = None;
        find(task, &mut found);
        let (seq, key_col) = found?;
        let item = &seq.items()[0];
        let ls = self.line_start(item.pos.start);
        let before = &self.text[ls..item.pos.start];
        let dash = before.rfind('-')?;
        if !before[..dash].chars().all(|c| c == ' ')
            || !before[dash + 1..].chars().all(|c| c == ' ')
        {
            return None;
        }
        let gap = before.len() - dash - 1;
        Some((dash.checked_sub(key_col)?, gap.max(1)))
    }

    /// Plans the hold task of `task` (at `index` in `siblings`): updates its existing hold task
    /// (see [`existing_hold_task`]) or inserts one right after it.
    pub(super) fn hold_task(
        &mut self,
        task: &Node,
        names: &[String],
        siblings: &[Node],
        list_path: &[Seg],
        index: usize,
    ) {
        let first_key = &task.entries()[0].0;
        let key_col = first_key.pos.col;
        let ls = self.line_start(first_key.pos.start);
        let before: String = self.text[ls..first_key.pos.start].to_string();
        let dash_col = before.rfind('-');
        let Some(dash) = dash_col else {
            self.refuse(task.pos.line, "cannot find the `-` of this task");
            return;
        };
        let dash_indent = &before[..dash];
        if !dash_indent.chars().all(|c| c == ' ') {
            self.refuse(
                task.pos.line,
                "task does not start its own line; cannot add the hold task",
            );
            return;
        }
        let flow = matches!(task.kind, Kind::Map { flow: true, .. });
        // a flow task `- {name: ...}` gets a block hold task with one space after the dash
        let key_col = if flow { dash + 2 } else { key_col };
        let after_dash = key_col - dash_indent.chars().count() - 1;
        let k = " ".repeat(key_col);
        let u = " ".repeat(key_col + self.unit);
        let mut lines = vec![format!(
            "{dash_indent}-{}name: {HOLD_TASK_NAME}",
            " ".repeat(after_dash)
        )];
        let mut copied = Vec::new();
        for key in COPIED_TASK_KEYS {
            let l = if flow {
                match task.entry(key) {
                    None => None,
                    Some((_, v)) => {
                        let raw = &self.text[v.pos.start..v.pos.end];
                        if raw.contains('\n') || v.has_anchor_or_alias().is_some() {
                            self.refuse(
                                v.pos.line,
                                format!("cannot copy the multi-line `{key}` of this flow-style task to its hold task"),
                            );
                            return;
                        }
                        Some(vec![format!("{k}{key}: {raw}")])
                    }
                }
            } else {
                self.copied_entry_lines(task, key)
            };
            copied.push(l.unwrap_or_default());
        }
        let mut copied = copied.into_iter();
        for _ in 0..2 {
            lines.extend(copied.next().unwrap_or_default());
        }
        lines.push(format!("{k}ansible.builtin.dpkg_selections:"));
        lines.push(format!("{u}name: \"{{{{ item }}}}\""));
        lines.push(format!("{u}selection: hold"));
        lines.push(format!("{k}loop:"));
        let (dash_off, gap) = self.seq_style(task).unwrap_or((self.unit, 1));
        let item_prefix = format!("{}-{}", " ".repeat(key_col + dash_off), " ".repeat(gap));
        for n in names {
            lines.push(format!("{item_prefix}{n}"));
        }
        lines.push(format!(
            "{k}# dpkg_selections fails in check mode for a package not installed yet"
        ));
        lines.push(format!(
            "{k}ignore_errors: \"{{{{ ansible_check_mode }}}}\""
        ));
        for l in copied {
            lines.extend(l);
        }
        if self.in_handlers {
            // a handler runs only when notified: listen to whatever notifies the install handler
            let mut topics: Vec<String> = Vec::new();
            for key in ["name", "listen"] {
                match task.get(key).map(|n| &n.kind) {
                    Some(Kind::Scalar(v, _)) => topics.push(v.clone()),
                    Some(Kind::Seq { items, .. }) => {
                        topics.extend(items.iter().filter_map(Node::str).map(str::to_string))
                    }
                    _ => {}
                }
            }
            if topics.is_empty() {
                self.refuse(
                    task.pos.line,
                    "handler has neither name nor listen; its hold handler could never be notified",
                );
                return;
            }
            lines.push(format!("{k}listen:"));
            let (dash_off, gap) = self.seq_style(task).unwrap_or((self.unit, 1));
            let prefix = format!("{}-{}", " ".repeat(key_col + dash_off), " ".repeat(gap));
            for t in topics {
                let quoted = format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\""));
                lines.push(format!("{prefix}{quoted}"));
            }
        }
        let existing = existing_hold_task(siblings, index, names);
        let value_text = lines.join("\n");
        let value = match crate::ansible::yaml::parse(&value_text) {
            Ok(docs) if docs.len() == 1 && docs[0].items().len() == 1 => {
                docs[0].items()[0].value().into_owned()
            }
            _ => {
                self.refuse(
                    task.pos.line,
                    "internal error: generated hold task does not parse",
                );
                return;
            }
        };
        match existing {
            Some((at, old)) => {
                let start = self.line_start(old.entries()[0].0.pos.start);
                let end = self.line_end_after(old.content_end());
                let mut new: String = lines.iter().map(|l| format!("{l}{}", self.eol)).collect();
                if end == self.text.len() && !self.text.ends_with('\n') {
                    new.truncate(new.len() - self.eol.len());
                }
                if self.text[start..end] != new {
                    self.push_splice(start, end, new);
                    self.plan.ops.push(Op::ReplaceItem {
                        path: list_path.to_vec(),
                        index: at,
                        value,
                    });
                    self.edit(
                        old.pos.line,
                        format!("update hold task: {}", names.join(", ")),
                    );
                }
            }
            None => {
                let end = task.content_end();
                let after = self.insertion_point(end, key_col);
                // keep the file's habit of a blank line between tasks
                let next_line = self.text[after..].split('\n').next().unwrap_or("");
                if after < self.text.len() && next_line.trim().is_empty() {
                    lines.insert(0, String::new());
                }
                self.insert_lines_at(after, &lines);
                self.plan.ops.push(Op::InsertItem {
                    path: list_path.to_vec(),
                    index: index + 1,
                    value,
                });
                let line = self.line_starts.partition_point(|&s| s <= after);
                self.edit(line, format!("add hold task: {}", names.join(", ")));
            }
        }
    }
}

/// True when `node` is a task named [`HOLD_TASK_NAME`].
fn is_hold_task(node: &Node) -> bool {
    node.get("name").and_then(Node::str) == Some(HOLD_TASK_NAME)
}

/// True when `node` is a task calling one of the apt modules.
fn is_apt_task(node: &Node) -> bool {
    node.entries()
        .iter()
        .any(|(k, _)| k.str().is_some_and(|k| APT_MODULES.contains(&k)))
}

/// The hold task that belongs to the apt task at `index` of `siblings`, with its index: the
/// task right after it when that is a hold task; otherwise a hold task the user moved elsewhere
/// in the same list — one not right after another apt task (that one would own it) whose loop
/// already lists every name in `names`. None: a new hold task is to be inserted.
fn existing_hold_task<'n>(
    siblings: &'n [Node],
    index: usize,
    names: &[String],
) -> Option<(usize, &'n Node)> {
    if let Some(next) = siblings.get(index + 1).filter(|n| is_hold_task(n)) {
        return Some((index + 1, next));
    }
    siblings.iter().enumerate().find(|&(j, n)| {
        let owned_by_other = j > 0 && j - 1 != index && is_apt_task(&siblings[j - 1]);
        let held: Vec<&str> = n
            .get("loop")
            .map(|l| l.items().iter().filter_map(Node::str).collect())
            .unwrap_or_default();
        is_hold_task(n) && !owned_by_other && names.iter().all(|name| held.contains(&name.as_str()))
    })
}
