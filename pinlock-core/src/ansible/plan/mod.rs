//! Finds apt tasks and variable definitions in one parsed file and plans surgical edits.
//!
//! This module walks plays, task lists and variable definitions and holds the edit helpers;
//! [`names`] reads and rewrites package names (lists, strings, free-form arguments, variables),
//! [`hold`] plans the hold task after each pinned install, [`vars`] collects the variables apt
//! tasks use across files, and `super::wire` adds the host enforcement imports to plays.

mod free_form;
mod hold;
mod names;
mod vars;

pub(crate) use vars::{collect_var_pins, collect_var_refs};

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
    /// Variables a task for another OS family (see [`foreign_when`]) names packages with:
    /// pinning them would give that task Debian versions.
    pub foreign_uses: BTreeSet<String>,
    /// Roles with tasks for another OS family (a `setup-RedHat.yml`, a `when` on RedHat): their
    /// generic `package` tasks without a Debian condition run there too (see [`cross_platform`]).
    pub cross_platform_roles: BTreeSet<String>,
}

/// The generic package modules: on a RedHat host they run dnf or yum.
const GENERIC_MODULES: &[&str] = &["package", "ansible.builtin.package"];

/// Whether a task or file name is about Debian-family hosts only (a `when` naming Debian or
/// Ubuntu without negation, a `setup-Debian.yml`).
fn debian_text(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    DEBIAN.iter().any(|d| l.contains(d)) && !l.contains("!=") && !l.contains("not ")
}

/// Records in `out` the role of `path` when the file is for another OS family or has a task
/// that is (see [`VarInfo::cross_platform_roles`]).
pub(crate) fn collect_cross_platform(path: &Path, docs: &[Node], out: &mut VarInfo) {
    fn any_foreign(list: &Node) -> bool {
        list.items().iter().any(|t| {
            foreign_when(t)
                || ["block", "rescue", "always"]
                    .iter()
                    .any(|k| t.get(k).is_some_and(any_foreign))
        })
    }
    let Some(role) = super::role_of(path) else {
        return;
    };
    if foreign_file(path) || docs.iter().any(any_foreign) {
        out.cross_platform_roles.insert(role);
    }
}

/// Whether the generic `package` task `task` of the file `path` may run on another OS family:
/// its role has tasks for one, and neither the task nor the file is for Debian hosts.
pub(crate) fn cross_platform(path: &Path, module: &str, task: &Node, vars: &VarInfo) -> bool {
    GENERIC_MODULES.contains(&module)
        && super::role_of(path).is_some_and(|r| vars.cross_platform_roles.contains(&r))
        && !path
            .file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(debian_text)
        && !match task.get("when").map(|w| &w.kind) {
            Some(Kind::Scalar(s, _)) => debian_text(s),
            Some(Kind::Seq { items, .. }) => items.iter().filter_map(Node::str).any(debian_text),
            _ => false,
        }
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
    /// Whether the file is for another OS family (see [`foreign_file`]): its tasks are skipped.
    pub foreign: bool,
    /// When set, plays that install packages import the host enforcement (see `wire.rs`).
    pub wiring: Option<&'a super::wire::Wiring>,
}

/// Names of OS families, distributions and package managers that are not Debian's.
const FOREIGN: &[&str] = &[
    "redhat",
    "centos",
    "rocky",
    "almalinux",
    "fedora",
    "oraclelinux",
    "amazon",
    "suse",
    "sles",
    "archlinux",
    "alpine",
    "gentoo",
    "freebsd",
    "openbsd",
    "darwin",
    "macosx",
    "windows",
    "dnf",
    "yum",
    "zypper",
    "pacman",
    "apk",
];
/// Names that say a condition or file concerns Debian-family hosts after all.
const DEBIAN: &[&str] = &["debian", "ubuntu", "apt", "mint", "raspbian"];

/// Whether a condition or file name is about another OS family only: it names one of
/// [`FOREIGN`], none of [`DEBIAN`], and negates nothing (`!= 'RedHat'` is a Debian path too).
fn foreign_text(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    FOREIGN.iter().any(|f| l.contains(f))
        && !DEBIAN.iter().any(|d| l.contains(d))
        && !l.contains("!=")
        && !l.contains("not ")
}

/// Whether a task or block runs only on another OS family: its `when` (a string, or a list whose
/// conditions all must hold) has a condition that is false on every Debian-family host, e.g.
/// `ansible_facts.os_family == 'RedHat' and ansible_distribution != 'Fedora'` (see
/// [`foreign_condition`]).
pub(crate) fn foreign_when(task: &Node) -> bool {
    match task.get("when").map(|w| &w.kind) {
        Some(Kind::Scalar(s, _)) => foreign_condition(s),
        Some(Kind::Seq { items, .. }) => items.iter().filter_map(Node::str).any(foreign_condition),
        _ => false,
    }
}

/// The distributions of the Debian family, as Ansible's `ansible_distribution` names them.
const DEBIAN_DISTRIBUTIONS: &[&str] = &[
    "Debian",
    "Ubuntu",
    "Linuxmint",
    "Pop!_OS",
    "Raspbian",
    "Kali",
    "Devuan",
];

/// Whether the `when` condition `c` is false on every Debian-family host. The facts that say
/// which family a host is (`os_family`, `distribution`, `pkg_mgr`, in their `ansible_*` and
/// `ansible_facts` spellings, optionally `| lower`) are known for each distribution of
/// [`DEBIAN_DISTRIBUTIONS`], and the condition is decided three-valued
/// ([`crate::ansible::when::eval`]); when it cannot be decided, the names it mentions decide
/// ([`foreign_text`]).
pub(crate) fn foreign_condition(c: &str) -> bool {
    let mut all_false = true;
    for d in DEBIAN_DISTRIBUTIONS {
        let value = |lhs: &str| debian_fact(lhs, d);
        match crate::ansible::when::eval(c, &value) {
            Some(false) => {}
            Some(true) => return false,
            None => all_false = false,
        }
    }
    all_false || foreign_text(c)
}

/// The value of the fact `expr` on a host of `distribution` (Debian family), when it is one of
/// the facts that tell OS families apart.
fn debian_fact(expr: &str, distribution: &str) -> Option<String> {
    let e: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
    let (e, lower) = match e.strip_suffix("|lower") {
        Some(e) => (e.to_string(), true),
        None => (e, false),
    };
    let fact = e
        .strip_prefix("ansible_facts.")
        .or_else(|| {
            e.strip_prefix("ansible_facts['")
                .and_then(|f| f.strip_suffix("']"))
        })
        .or_else(|| {
            e.strip_prefix("ansible_facts[\"")
                .and_then(|f| f.strip_suffix("\"]"))
        })
        .or_else(|| e.strip_prefix("ansible_"))?;
    let v = match fact {
        "os_family" => "Debian",
        "distribution" => distribution,
        "pkg_mgr" => "apt",
        _ => return None,
    };
    Some(if lower {
        v.to_lowercase()
    } else {
        v.to_string()
    })
}

/// Whether a file is for another OS family by its name (`setup-RedHat.yml`, `RedHat.yml`).
pub(crate) fn foreign_file(path: &Path) -> bool {
    path.file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(foreign_text)
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

/// The variable a task's loop binds (`loop_control: {loop_var: pkg}`), `item` by default.
pub(crate) fn loop_var(task: &Node) -> &str {
    task.get("loop_control")
        .and_then(|lc| lc.get("loop_var"))
        .and_then(Node::str)
        .unwrap_or("item")
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
            // `docker-ce:amd64` is docker-ce for one architecture: `docker-ce:amd64=VERSION`
            let base = match name.split_once(':') {
                Some((b, a)) if !b.is_empty() && !a.is_empty() => b,
                _ => name,
            };
            match versions.pin(base) {
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

    /// Plans edits for every task and variable definition in the file.
    pub fn run(&mut self) {
        self.foreign = foreign_file(self.path);
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
        if vars.names.contains_key(key)
            && !vars.not_pinned_uses.contains(key)
            && !vars.foreign_uses.contains(key)
        {
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
            // a task (or block) for RedHat, Suse, ... is not a Debian apt task: never touched
            if self.foreign || foreign_when(task) {
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
        let state = free_form::arg_value(args, "state");
        let removal = free_form::arg_value(args, "deb").is_some()
            || state.is_some_and(|s| SKIP_STATES.contains(&s.as_str()));
        let module = mk.str().unwrap_or_default().to_string();
        if !removal && cross_platform(self.path, &module, task, self.vars) {
            self.plan.installs.push(task.pos.line);
            self.warn(
                task.pos.line,
                format!("this `{module}` task can run on other OS families (its role has tasks for RedHat, Suse, ...), so pinlock gives it no apt versions or options; the host enforcement pins its packages on Debian hosts\nhint: to pin it here, install with ansible.builtin.apt under a `when` on the Debian family"),
            );
            return;
        }
        let mut ap = path.to_vec();
        ap.push(Seg::Key(module.clone()));
        let pinned = match &args.kind {
            Kind::Map { flow, .. } => self.block_args(task, args, &ap, *flow),
            Kind::Scalar(..) => self.free_form(task, args, &ap),
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

#[cfg(test)]
mod tests {
    use super::foreign_condition;

    #[test]
    fn a_condition_false_on_every_debian_host_is_foreign() {
        for c in [
            "ansible_facts.os_family == 'RedHat'",
            "ansible_facts.os_family == 'RedHat' and ansible_facts.distribution != 'Fedora'",
            "(ansible_os_family == 'RedHat' or ansible_os_family == 'Suse') and x is defined",
            "ansible_distribution in ['CentOS', 'Rocky']",
            "ansible_facts['pkg_mgr'] == 'dnf'",
            "ansible_distribution | lower == 'fedora'",
            // undecidable: the names it mentions decide, as before
            "docker_on_centos",
        ] {
            assert!(foreign_condition(c), "{c}");
        }
        for c in [
            "ansible_facts.os_family == 'Debian'",
            "ansible_facts.os_family != 'RedHat'",
            "ansible_distribution == 'Ubuntu'",
            "ansible_distribution not in ['CentOS', 'Fedora']",
            "ansible_os_family == 'RedHat' or ansible_os_family == 'Debian'",
            "not (ansible_os_family == 'RedHat')",
            "ansible_distribution | lower == 'ubuntu'",
            "docker_install | bool",
            // a foreign name with an undecidable negation stays Debian-relevant
            "ansible_distribution_major_version != '8' or custom == 'centos'",
        ] {
            assert!(!foreign_condition(c), "{c}");
        }
    }
}
