//! Finds apt tasks and variable definitions in one parsed file and plans surgical edits.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use saphyr_parser::ScalarStyle;

use super::splice::{Op, Seg, Splice};
use super::yaml::{Kind, Node};
use super::{PinEdit, PinWarning};

/// Module names (task keys) whose package installs are pinned.
pub(crate) const APT_MODULES: &[&str] = &[
    "apt",
    "ansible.builtin.apt",
    "ansible.legacy.apt",
    "package",
    "ansible.builtin.package",
];

/// The fixed name of the hold task pinlock writes; re-runs find their own tasks by it.
pub const HOLD_TASK_NAME: &str = "Hold packages pinned by pinlock";

const NAME_KEYS: &[&str] = &["name", "pkg", "package"];
pub(crate) const SKIP_STATES: &[&str] = &["absent", "removed", "purged", "build-dep", "fixed"];
const COPIED_TASK_KEYS: &[&str] = &["become", "become_user", "when", "tags"];
const PLAY_KEYS: &[&str] = &[
    "hosts",
    "import_playbook",
    "ansible.builtin.import_playbook",
    "tasks",
    "pre_tasks",
    "post_tasks",
    "handlers",
    "roles",
];
const TASK_LIST_KEYS: &[&str] = &["pre_tasks", "tasks", "post_tasks", "handlers"];

/// How the versions of one package are written.
pub(crate) trait VersionSource {
    /// The text after `name=` for `pkg`, or `None` when `pkg` is not pinned.
    fn pin(&self, pkg: &str) -> Option<String>;
}

impl VersionSource for BTreeMap<String, String> {
    fn pin(&self, pkg: &str) -> Option<String> {
        self.get(pkg).cloned()
    }
}

/// Variables referenced by apt tasks, across all files of a run.
#[derive(Debug, Default, Clone)]
pub(crate) struct VarInfo {
    /// Variables used as package names, with the pinned packages their definitions hold.
    pub names: BTreeMap<String, BTreeSet<String>>,
    /// Variables used as `state`.
    pub states: BTreeSet<String>,
    /// Name variables for which a definition was found.
    pub defined: BTreeSet<String>,
    /// Name variables with a definition pinlock cannot rewrite (Jinja, anchors, not a list).
    pub unsafe_defs: BTreeSet<String>,
    /// Variables that a task never pinned also names packages with (a removal, `build-dep`,
    /// `fixed`, a `deb:` install): pinning them would change that task too, e.g. turn "remove
    /// docker-ce" into "remove docker-ce only at that version".
    pub not_pinned_uses: BTreeSet<String>,
}

/// The planned edits for one file.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub splices: Vec<Splice>,
    pub ops: Vec<Op>,
    pub edits: Vec<PinEdit>,
    pub warnings: Vec<PinWarning>,
    /// An edit could not be made safely. Within a task or a variable definition this is undone
    /// by [`Planner::settle`] (only that task stays as it was); set after planning, the whole
    /// file must stay untouched.
    pub refused: bool,
    /// Lines of the apt tasks that install packages (not removals), for coverage checks.
    pub installs: Vec<usize>,
    /// The plays that may install packages (see `wire.rs`).
    pub plays: Vec<super::wire::PlayInfo>,
    /// What the plays of this file run from elsewhere: role names and task file names.
    pub refs: super::wire::Refs,
}

/// Context for planning one file.
pub(crate) struct Planner<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub docs: &'a [Node],
    pub versions: &'a dyn VersionSource,
    pub vars: &'a VarInfo,
    pub eol: &'static str,
    pub unit: usize,
    /// The edits planned so far.
    pub plan: Plan,
    /// Whether the task list being visited is a handlers list.
    pub in_handlers: bool,
    /// Byte offset of the start of each line of `text` (see [`line_starts`]), so that a line
    /// number costs a binary search, not a scan: a 20 MB playbook stays linear.
    pub line_starts: Vec<usize>,
    /// When set, plays that install packages import the host enforcement (see `wire.rs`).
    pub wiring: Option<&'a super::wire::Wiring>,
}

/// Byte offsets at which the lines of `text` start (the first is 0).
pub(crate) fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect()
}

/// Returns `Some(ident)` when `s` is exactly `{{ ident }}`.
pub(crate) fn simple_var(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let mut chars = inner.chars();
    let first = chars.next()?;
    if (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        Some(inner)
    } else {
        None
    }
}

/// Whether `s` holds Jinja other than pinlock's own `{{ pinlock_pins['pkg'] }}` lookups.
fn is_jinja(s: &str) -> bool {
    let mut rest = s.to_string();
    while let Some(i) = rest.find("{{ pinlock_pins['") {
        match rest[i..].find("'] }}") {
            Some(j) => rest.replace_range(i..i + j + 5, ""),
            None => break,
        }
    }
    rest.contains("{{") || rest.contains("{%")
}

/// Splits `pkg[=ver|>=ver|<=ver]` into the package name.
fn package_name(token: &str) -> &str {
    let end = token.find(['=', '<', '>']).unwrap_or(token.len());
    token[..end].trim()
}

/// Rewrites a comma-separated package string; returns the new string and the pinned names.
fn rewrite_name_list(value: &str, versions: &dyn VersionSource) -> (String, Vec<String>) {
    let mut pinned = Vec::new();
    let parts: Vec<String> = value
        .split(',')
        .map(|part| {
            let trimmed = part.trim();
            let name = package_name(trimmed);
            match versions.pin(name) {
                Some(ver) if !name.is_empty() => {
                    pinned.push(name.to_string());
                    let lead = &part[..part.len() - part.trim_start().len()];
                    let trail = &part[part.trim_end().len()..];
                    format!("{lead}{name}={ver}{trail}")
                }
                _ => part.to_string(),
            }
        })
        .collect();
    (parts.join(","), pinned)
}

/// Renders `value` as a scalar in the style of `node` (plain stays plain when safe).
fn render_scalar(node: &Node, raw: &str, value: &str) -> String {
    let style = match &node.kind {
        Kind::Scalar(_, s) => *s,
        _ => ScalarStyle::DoubleQuoted,
    };
    let plain_ok = !value.is_empty()
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.ends_with(':')
        && !value.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c == ' ')
        && !value.ends_with(' ')
        && !value.contains(['\n', '\r', '\t'])
        // flow indicators are only kept plain when the original already had them there
        && "[]{},".chars().all(|c| !value.contains(c) || raw.contains(c));
    match style {
        ScalarStyle::Plain if plain_ok && !raw.contains('\n') => value.to_string(),
        ScalarStyle::SingleQuoted if !value.contains('\n') => {
            format!("'{}'", value.replace('\'', "''"))
        }
        _ => format!(
            "\"{}\"",
            value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        ),
    }
}

impl<'a> Planner<'a> {
    pub(crate) fn warn(&mut self, line: usize, message: impl Into<String>) {
        self.plan.warnings.push(PinWarning {
            path: self.path.to_path_buf(),
            line,
            message: message.into(),
        });
    }

    pub(crate) fn refuse(&mut self, line: usize, message: impl Into<String>) {
        self.warn(line, message);
        self.plan.refused = true;
    }

    pub(crate) fn edit(&mut self, line: usize, description: impl Into<String>) {
        self.plan.edits.push(PinEdit {
            path: self.path.to_path_buf(),
            line,
            description: description.into(),
        });
    }

    /// Byte offset just after the end of the line containing `pos` (or end of text).
    pub(crate) fn line_end_after(&self, pos: usize) -> usize {
        match self.text[pos..].find('\n') {
            Some(i) => pos + i + 1,
            None => self.text.len(),
        }
    }

    /// Byte offset of the start of the line containing `pos`.
    pub(crate) fn line_start(&self, pos: usize) -> usize {
        self.text[..pos].rfind('\n').map_or(0, |i| i + 1)
    }

    /// Where whole lines go after the node ending at `pos`: after its line and after any following
    /// comment-only lines indented at least `min_indent` (they belong to that node).
    pub(crate) fn insertion_point(&self, pos: usize, min_indent: usize) -> usize {
        let mut at = self.line_end_after(pos);
        while at < self.text.len() {
            let line = self.text[at..].split('\n').next().unwrap_or("");
            let trimmed = line.trim_start_matches(' ');
            if !trimmed.starts_with('#') || line.len() - trimmed.len() < min_indent {
                break;
            }
            at = self.line_end_after(at);
        }
        at
    }

    /// Queues `lines` (each without EOL) to be inserted as whole lines at line start `at`.
    pub(crate) fn insert_lines_at(&mut self, at: usize, lines: &[String]) {
        let text = if at == self.text.len() && !self.text.ends_with('\n') {
            lines
                .iter()
                .map(|l| format!("{}{l}", self.eol))
                .collect::<String>()
        } else {
            lines
                .iter()
                .map(|l| format!("{l}{}", self.eol))
                .collect::<String>()
        };
        self.push_splice(at, at, text);
    }

    pub(crate) fn push_splice(&mut self, start: usize, end: usize, text: String) {
        let seq = self.plan.splices.len();
        self.plan.splices.push(Splice {
            start,
            end,
            seq,
            text,
        });
    }

    pub(crate) fn set_scalar(&mut self, node: &Node, path: &[Seg], value: String, what: String) {
        let raw = &self.text[node.pos.start..node.pos.end];
        let new = render_scalar(node, raw, &value);
        if new == raw {
            return;
        }
        self.push_splice(node.pos.start, node.pos.end, new);
        self.plan.ops.push(Op::SetScalar {
            path: path.to_vec(),
            value,
        });
        self.edit(node.pos.line, what);
    }

    /// Pins the package names held by `node` (a string, comma string or list).
    /// Returns the pinned names, or `None` when the node cannot be handled (a refusal was recorded).
    fn pin_names(&mut self, node: &Node, path: &[Seg]) -> Option<Vec<String>> {
        if let Some(p) = node.has_anchor_or_alias() {
            self.refuse(
                p.line,
                "package list uses a YAML anchor or alias; pinlock will not edit it (edit by hand or expand the alias)",
            );
            return None;
        }
        match &node.kind {
            Kind::Scalar(_, ScalarStyle::Literal | ScalarStyle::Folded) => {
                self.refuse(
                    node.pos.line,
                    "package names are a block scalar (| or >); pinlock rewrites lists and one-line strings only",
                );
                None
            }
            Kind::Scalar(v, _) => {
                if is_jinja(v) {
                    self.refuse(
                        node.pos.line,
                        format!("package names come from a Jinja expression `{v}`; pinlock cannot rewrite it"),
                    );
                    return None;
                }
                let (new, pinned) = rewrite_name_list(v, self.versions);
                if !pinned.is_empty() {
                    self.set_scalar(node, path, new, format!("pin {}", pinned.join(", ")));
                }
                Some(pinned)
            }
            Kind::Seq { items, .. } => {
                let mut all = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let Some(v) = item.str() else {
                        self.refuse(item.pos.line, "package list item is not a string");
                        return None;
                    };
                    if is_jinja(v) {
                        self.refuse(
                            item.pos.line,
                            format!("package list item is a Jinja expression `{v}`; pinlock cannot rewrite it"),
                        );
                        return None;
                    }
                    let mut p = path.to_vec();
                    p.push(Seg::Index(i));
                    let (new, pinned) = rewrite_name_list(v, self.versions);
                    if !pinned.is_empty() {
                        self.set_scalar(item, &p, new, format!("pin {}", pinned.join(", ")));
                    }
                    all.extend(pinned);
                }
                Some(all)
            }
            _ => {
                self.refuse(
                    node.pos.line,
                    "package names are neither a string nor a list",
                );
                None
            }
        }
    }

    /// Plans edits for every task and variable definition in the file.
    pub fn run(&mut self) {
        for (d, doc) in self.docs.iter().enumerate() {
            let path = vec![Seg::Doc(d)];
            match &doc.kind {
                Kind::Map { .. } => self.definitions(doc, &path),
                Kind::Seq { items, .. } => {
                    let is_playbook = items.iter().any(|it| {
                        it.entries()
                            .iter()
                            .any(|(k, _)| k.str().is_some_and(|k| PLAY_KEYS.contains(&k)))
                    });
                    if is_playbook {
                        for (i, play) in items.iter().enumerate() {
                            let mut pp = path.clone();
                            pp.push(Seg::Index(i));
                            if let Some(vars) = play.get("vars") {
                                let mut vp = pp.clone();
                                vp.push(Seg::Key("vars".into()));
                                self.definitions(vars, &vp);
                            }
                            for key in TASK_LIST_KEYS {
                                if let Some(list) = play.get(key) {
                                    let mut lp = pp.clone();
                                    lp.push(Seg::Key((*key).into()));
                                    self.in_handlers = *key == "handlers";
                                    self.task_list(list, &lp);
                                    self.in_handlers = false;
                                }
                            }
                            self.wire_play(play, &pp);
                        }
                    } else {
                        // a role's handlers/main.yml and the like
                        super::wire::collect_refs(doc, &mut self.plan.refs);
                        self.in_handlers =
                            self.path.components().any(|c| c.as_os_str() == "handlers");
                        self.task_list(doc, &path);
                        self.in_handlers = false;
                    }
                }
                _ => {}
            }
        }
    }

    /// Rewrites definitions of variables named in `self.vars` inside the mapping `map`.
    fn definitions(&mut self, map: &Node, path: &[Seg]) {
        for (k, v) in map.entries() {
            let Some(key) = k.str() else { continue };
            let mut p = path.to_vec();
            p.push(Seg::Key(key.into()));
            let cp = self.checkpoint();
            self.definition(key, v, &p);
            self.settle(cp);
        }
    }

    /// Rewrites one variable definition `key: v` at `p` (see [`Planner::definitions`]).
    fn definition(&mut self, key: &str, v: &Node, p: &[Seg]) {
        let vars = self.vars;
        if vars.names.contains_key(key) && !vars.not_pinned_uses.contains(key) {
            // edits and refusals are recorded by pin_names
            let _ = self.pin_names(v, p);
        }
        if vars.states.contains(key) {
            if v.has_anchor_or_alias().is_some() {
                self.refuse(
                    v.pos.line,
                    "state variable uses a YAML anchor or alias; not edited",
                );
                return;
            }
            if v.str() == Some("latest") {
                self.set_scalar(v, p, "present".into(), format!("{key}: latest -> present"));
            }
        }
    }

    /// Where the plan stands, to undo one task's edits (see [`Planner::settle`]).
    fn checkpoint(&self) -> (usize, usize, usize) {
        (
            self.plan.splices.len(),
            self.plan.ops.len(),
            self.plan.edits.len(),
        )
    }

    /// After one task or definition: if it was refused, drops its edits (its warning says why)
    /// and goes on, so one task pinlock cannot edit no longer leaves the rest of the file as it
    /// was.
    fn settle(&mut self, (splices, ops, edits): (usize, usize, usize)) {
        if self.plan.refused {
            self.plan.splices.truncate(splices);
            self.plan.ops.truncate(ops);
            self.plan.edits.truncate(edits);
            self.plan.refused = false;
        }
    }

    fn task_list(&mut self, list: &Node, path: &[Seg]) {
        let items = list.items();
        for (i, task) in items.iter().enumerate() {
            let mut tp = path.to_vec();
            tp.push(Seg::Index(i));
            if !matches!(task.kind, Kind::Map { .. }) {
                continue;
            }
            let mut nested = false;
            for key in ["block", "rescue", "always"] {
                if let Some(sub) = task.get(key) {
                    nested = true;
                    let mut sp = tp.clone();
                    sp.push(Seg::Key(key.into()));
                    self.task_list(sub, &sp);
                }
            }
            if !nested {
                let cp = self.checkpoint();
                self.task(task, &tp, items, path, i);
                self.settle(cp);
            }
        }
    }

    fn task(
        &mut self,
        task: &Node,
        path: &[Seg],
        siblings: &[Node],
        list_path: &[Seg],
        index: usize,
    ) {
        let Some((mk, args)) = task
            .entries()
            .iter()
            .find(|(k, _)| k.str().is_some_and(|k| APT_MODULES.contains(&k)))
        else {
            return;
        };
        if task.anchor != 0 || task.tagged {
            self.refuse(
                task.pos.line,
                "apt task carries a YAML anchor or tag; editing it would change its aliases too",
            );
            return;
        }
        let removal = match args.str() {
            Some(free) => free.split(' ').any(|t| {
                let (k, v) = t.split_once('=').unwrap_or((t, ""));
                k == "deb" || (k == "state" && SKIP_STATES.contains(&v))
            }),
            None => {
                args.get("deb").is_some()
                    || args
                        .get("state")
                        .and_then(Node::str)
                        .is_some_and(|s| SKIP_STATES.contains(&s))
            }
        };
        let module = mk.str().unwrap_or_default().to_string();
        let mut ap = path.to_vec();
        ap.push(Seg::Key(module.clone()));
        let pinned = match &args.kind {
            Kind::Map { flow, .. } => self.block_args(task, args, &ap, *flow),
            Kind::Scalar(..) => self.free_form(args, &ap),
            _ => None,
        };
        // an install of locked packages, or of packages pinlock cannot see, needs enforcement
        if !removal && pinned.as_ref().is_none_or(|p| !p.is_empty()) {
            self.plan.installs.push(task.pos.line);
        }
        let Some(pinned) = pinned else { return };
        if pinned.is_empty() {
            return;
        }
        let mut names: Vec<String> = Vec::new();
        for n in pinned {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        self.hold_task(task, &names, siblings, list_path, index);
    }

    /// Handles block or flow mapping arguments; returns the pinned names (None: not an install).
    fn block_args(
        &mut self,
        task: &Node,
        args: &Node,
        path: &[Seg],
        flow: bool,
    ) -> Option<Vec<String>> {
        if args.get("deb").is_some() {
            return None;
        }
        let state = args.get("state");
        if let Some(s) = state.and_then(Node::str) {
            if SKIP_STATES.contains(&s) {
                return None;
            }
        }
        let (name_key, name_node) = args
            .entries()
            .iter()
            .find(|(k, _)| k.str().is_some_and(|k| NAME_KEYS.contains(&k)))
            .map(|(k, v)| (k.str().unwrap_or_default().to_string(), v))?;
        if let Some(p) = args.has_anchor_or_alias() {
            self.refuse(
                p.line,
                "apt task arguments use a YAML anchor or alias; pinlock will not edit them",
            );
            return None;
        }
        let mut np = path.to_vec();
        np.push(Seg::Key(name_key));
        let raw = name_node.str().map(str::to_string);
        let pinned = match raw.as_deref().map(|s| (s, simple_var(s))) {
            Some((_, Some("item"))) => {
                let (lk, loop_node) = ["loop", "with_items"]
                    .iter()
                    .find_map(|k| task.get(k).map(|n| (*k, n)))
                    .or_else(|| {
                        self.refuse(
                            name_node.pos.line,
                            "`{{ item }}` without loop/with_items; pinlock cannot see the packages",
                        );
                        None
                    })?;
                let mut lp = path[..path.len() - 1].to_vec();
                lp.push(Seg::Key(lk.into()));
                match loop_node.str().and_then(simple_var) {
                    Some(var) => self.var_names(var, loop_node.pos.line)?,
                    None => self.pin_names(loop_node, &lp)?,
                }
            }
            Some((_, Some(var))) => self.var_names(var, name_node.pos.line)?,
            _ => self.pin_names(name_node, &np)?,
        };
        if pinned.is_empty() {
            return Some(pinned);
        }
        if let Some(s) = state {
            if s.str() == Some("latest") {
                let mut sp = path.to_vec();
                sp.push(Seg::Key("state".into()));
                self.set_scalar(s, &sp, "present".into(), "state: latest -> present".into());
            }
        }
        // allow_downgrade / allow_change_held_packages
        let mut missing = Vec::new();
        for key in ["allow_downgrade", "allow_change_held_packages"] {
            match args.get(key) {
                Some(v) => {
                    let truthy = v
                        .str()
                        .is_some_and(|s| matches!(s, "true" | "True" | "TRUE" | "yes" | "Yes"));
                    if !truthy {
                        let mut kp = path.to_vec();
                        kp.push(Seg::Key(key.into()));
                        self.set_scalar(v, &kp, "true".into(), format!("{key}: true"));
                    }
                }
                None => missing.push(key),
            }
        }
        if !missing.is_empty() {
            for key in &missing {
                self.plan.ops.push(Op::AppendKey {
                    path: path.to_vec(),
                    key: (*key).into(),
                    value: "true".into(),
                });
            }
            if flow {
                let close = args.pos.end.saturating_sub(1);
                if self.text.as_bytes().get(close) != Some(&b'}') {
                    self.refuse(args.pos.line, "cannot find the end of the flow mapping");
                    return None;
                }
                let text: String = missing.iter().map(|k| format!(", {k}: true")).collect();
                // insert before the closing brace, after any trailing spaces of the last entry
                let last_end = args.content_end_inner();
                let at = last_end.min(close);
                self.push_splice(at, at, text);
            } else {
                let col = args.entries()[0].0.pos.col;
                let indent = " ".repeat(col);
                let lines: Vec<String> = missing
                    .iter()
                    .map(|k| format!("{indent}{k}: true"))
                    .collect();
                let at = self.insertion_point(args.content_end(), col);
                self.insert_lines_at(at, &lines);
            }
            let line = args.pos.line;
            self.edit(line, format!("add {}", missing.join(", ")));
        }
        Some(pinned)
    }

    /// Pinned names held by the definitions of variable `var` (collected across files).
    fn var_names(&mut self, var: &str, line: usize) -> Option<Vec<String>> {
        if self.vars.unsafe_defs.contains(var) {
            self.refuse(
                line,
                format!("packages come from variable `{var}`, and a definition of it uses Jinja, an anchor or a non-list value that pinlock cannot rewrite"),
            );
            return None;
        }
        if self.vars.not_pinned_uses.contains(var) {
            self.refuse(
                line,
                format!("packages come from variable `{var}`, which a removal (or `deb:`, `build-dep`, `fixed`) task also uses; pinning it would change that task too (a removal would remove only the pinned version), so this file is left unchanged\nhint: give the install and the removal separate variables"),
            );
            return None;
        }
        match self.vars.names.get(var) {
            Some(set) if self.vars.defined.contains(var) => Some(set.iter().cloned().collect()),
            _ => {
                self.warn(
                    line,
                    format!("packages come from variable `{var}`, which is not defined in the given files; pass its vars file (defaults/, vars/, group_vars/, host_vars/) too"),
                );
                None
            }
        }
    }

    /// Handles a free-form `name=x state=latest` argument string.
    fn free_form(&mut self, args: &Node, path: &[Seg]) -> Option<Vec<String>> {
        let value = args.str()?;
        let raw = &self.text[args.pos.start..args.pos.end];
        if args.anchor != 0 {
            self.refuse(args.pos.line, "free-form apt arguments carry a YAML anchor");
            return None;
        }
        let tokens: Vec<&str> = value.split(' ').collect();
        let mut out: Vec<String> = Vec::new();
        let mut pinned = Vec::new();
        let mut has = BTreeMap::new();
        let mut state_latest = false;
        let mut any_name = false;
        for t in &tokens {
            let (k, v) = t.split_once('=').unwrap_or((t, ""));
            match k {
                "deb" => return None,
                "state" if SKIP_STATES.contains(&v) => return None,
                _ => {}
            }
        }
        if value.contains(['"', '\'']) || is_jinja(value) || raw.contains('\n') {
            if tokens.iter().any(|t| {
                let (k, _) = t.split_once('=').unwrap_or((t, ""));
                NAME_KEYS.contains(&k)
            }) {
                self.refuse(
                    args.pos.line,
                    "free-form apt arguments with quotes, Jinja or line breaks; pinlock will not rewrite them (use the block form)",
                );
            }
            return None;
        }
        for t in &tokens {
            let (k, v) = match t.split_once('=') {
                Some(kv) => kv,
                None => {
                    out.push(t.to_string());
                    continue;
                }
            };
            if NAME_KEYS.contains(&k) {
                any_name = true;
                let (new, p) = rewrite_name_list(v, self.versions);
                pinned.extend(p);
                out.push(format!("{k}={new}"));
            } else if k == "state" && v == "latest" {
                state_latest = true;
                out.push(format!("{k}={v}"));
            } else {
                if k == "allow_downgrade" || k == "allow_change_held_packages" {
                    has.insert(k.to_string(), out.len());
                }
                out.push(t.to_string());
            }
        }
        if !any_name || pinned.is_empty() {
            return Some(Vec::new());
        }
        if out.iter().any(|t| t.contains(' ')) {
            self.refuse(
                args.pos.line,
                "free-form apt arguments cannot hold per-host versions; use the block form or --target",
            );
            return None;
        }
        if state_latest {
            for o in out.iter_mut() {
                if o == "state=latest" {
                    *o = "state=present".into();
                }
            }
        }
        for key in ["allow_downgrade", "allow_change_held_packages"] {
            match has.get(key) {
                Some(&i) => out[i] = format!("{key}=true"),
                None => out.push(format!("{key}=true")),
            }
        }
        let new = out.join(" ");
        self.set_scalar(
            args,
            path,
            new,
            format!("pin {} (free-form arguments)", pinned.join(", ")),
        );
        Some(pinned)
    }

    /// The text of the entry `key` of `task` as whole lines, re-indented for a new task.
    fn copied_entry_lines(&self, task: &Node, key: &str) -> Option<Vec<String>> {
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
    fn hold_task(
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
        let value = match super::yaml::parse(&value_text) {
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

/// Collects variables that apt tasks use for package names or state (`{{ var }}`).
pub(crate) fn collect_var_refs(docs: &[Node], out: &mut VarInfo) {
    fn walk_tasks(list: &Node, out: &mut VarInfo) {
        for task in list.items() {
            for key in ["block", "rescue", "always"] {
                if let Some(sub) = task.get(key) {
                    walk_tasks(sub, out);
                }
            }
            let Some((_, args)) = task
                .entries()
                .iter()
                .find(|(k, _)| k.str().is_some_and(|k| APT_MODULES.contains(&k)))
            else {
                continue;
            };
            let name = args
                .entries()
                .iter()
                .find(|(k, _)| k.str().is_some_and(|k| NAME_KEYS.contains(&k)))
                .and_then(|(_, v)| v.str());
            let var = match name.and_then(simple_var) {
                Some("item") => ["loop", "with_items"]
                    .iter()
                    .find_map(|k| task.get(k))
                    .and_then(Node::str)
                    .and_then(simple_var),
                other => other,
            };
            // Removals and `deb:` installs are never pinned (see `block_args`), so the variables
            // they name must not be rewritten for them (nor for an install that shares them).
            let state = args.get("state").and_then(Node::str);
            if args.get("deb").is_some() || state.is_some_and(|s| SKIP_STATES.contains(&s)) {
                if let Some(v) = var {
                    out.not_pinned_uses.insert(v.to_string());
                }
                continue;
            }
            if let Some(s) = state.and_then(simple_var) {
                out.states.insert(s.to_string());
            }
            if let Some(v) = var {
                out.names.entry(v.to_string()).or_default();
            }
        }
    }
    for doc in docs {
        if let Kind::Seq { items, .. } = &doc.kind {
            let is_playbook = items.iter().any(|it| {
                it.entries()
                    .iter()
                    .any(|(k, _)| k.str().is_some_and(|k| PLAY_KEYS.contains(&k)))
            });
            if is_playbook {
                for play in items {
                    for key in TASK_LIST_KEYS {
                        if let Some(l) = play.get(key) {
                            walk_tasks(l, out);
                        }
                    }
                }
            } else {
                walk_tasks(doc, out);
            }
        }
    }
}

/// Adds to `out` the pinned packages found in definitions of the referenced name variables.
pub(crate) fn collect_var_pins(docs: &[Node], versions: &dyn VersionSource, out: &mut VarInfo) {
    let mut defs: Vec<&Node> = Vec::new();
    for doc in docs {
        match &doc.kind {
            Kind::Map { .. } => defs.push(doc),
            Kind::Seq { items, .. } => {
                for play in items {
                    if play.get("hosts").is_some() {
                        if let Some(v) = play.get("vars") {
                            defs.push(v);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for map in defs {
        for (k, v) in map.entries() {
            let Some(key) = k.str() else { continue };
            let Some(set) = out.names.get_mut(key) else {
                continue;
            };
            out.defined.insert(key.to_string());
            let values: Vec<&str> = match &v.kind {
                Kind::Scalar(s, _) => vec![s.as_str()],
                Kind::Seq { items, .. } => items.iter().filter_map(Node::str).collect(),
                _ => Vec::new(),
            };
            let plain =
                matches!(v.kind, Kind::Scalar(..)) || v.items().iter().all(|i| i.str().is_some());
            if !plain || v.has_anchor_or_alias().is_some() || values.iter().any(|s| is_jinja(s)) {
                out.unsafe_defs.insert(key.to_string());
                continue;
            }
            for s in values {
                set.extend(rewrite_name_list(s, versions).1);
            }
        }
    }
}

/// Detects the file's indentation step from nested block mappings (default 2).
pub(crate) fn detect_unit(docs: &[Node]) -> usize {
    fn walk(n: &Node, best: &mut Option<usize>) {
        match &n.kind {
            Kind::Map { entries, flow } => {
                for (k, v) in entries {
                    if !*flow {
                        if let Kind::Map {
                            entries: ce,
                            flow: false,
                        } = &v.kind
                        {
                            if let Some((ck, _)) = ce.first() {
                                if ck.pos.line > k.pos.line && ck.pos.col > k.pos.col {
                                    let d = ck.pos.col - k.pos.col;
                                    *best = Some(best.map_or(d, |b: usize| b.min(d)));
                                }
                            }
                        }
                    }
                    walk(v, best);
                }
            }
            Kind::Seq { items, .. } => items.iter().for_each(|i| walk(i, best)),
            _ => {}
        }
    }
    let mut best = None;
    docs.iter().for_each(|d| walk(d, &mut best));
    best.unwrap_or(2)
}

impl Node {
    /// For a flow collection: the byte offset just after its last entry (before `}`/`]`).
    pub(crate) fn content_end_inner(&self) -> usize {
        match &self.kind {
            Kind::Map { entries, .. } => entries
                .last()
                .map_or(self.pos.start + 1, |(k, v)| v.pos.end.max(k.pos.end)),
            Kind::Seq { items, .. } => items.last().map_or(self.pos.start + 1, |n| n.pos.end),
            _ => self.pos.end,
        }
    }
}
