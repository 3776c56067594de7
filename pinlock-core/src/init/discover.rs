//! Reading the playbooks: which files are roles' defaults and vars, group_vars, plays and task
//! lists; which tasks add a repository, download a key or install packages. Nothing is
//! evaluated here (see `jinja.rs` and `sources.rs`); tasks and files for other OS families are
//! left out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::jinja::JVal;
use super::InitError;
use crate::ansible::plan::{foreign_file, foreign_when, loop_var};
use crate::ansible::yaml::{self, Kind, Node};

const APT: &[&str] = &[
    "apt",
    "ansible.builtin.apt",
    "ansible.legacy.apt",
    "package",
    "ansible.builtin.package",
    "ansible.legacy.package",
];
const REPO: &[&str] = &[
    "apt_repository",
    "ansible.builtin.apt_repository",
    "ansible.legacy.apt_repository",
];
const DEB822: &[&str] = &[
    "deb822_repository",
    "ansible.builtin.deb822_repository",
    "ansible.legacy.deb822_repository",
];
const APT_KEY: &[&str] = &[
    "apt_key",
    "ansible.builtin.apt_key",
    "ansible.legacy.apt_key",
];
const GET_URL: &[&str] = &[
    "get_url",
    "ansible.builtin.get_url",
    "ansible.legacy.get_url",
];
const SET_FACT: &[&str] = &[
    "set_fact",
    "ansible.builtin.set_fact",
    "ansible.legacy.set_fact",
];
const COPY: &[&str] = &["copy", "ansible.builtin.copy", "ansible.legacy.copy"];
const TEMPLATE: &[&str] = &[
    "template",
    "ansible.builtin.template",
    "ansible.legacy.template",
];
const SHELL: &[&str] = &[
    "shell",
    "command",
    "ansible.builtin.shell",
    "ansible.builtin.command",
    "ansible.legacy.shell",
    "ansible.legacy.command",
];
/// Keys of a play's `roles:` entry that are not role parameters.
const ROLE_KEYWORDS: &[&str] = &[
    "role",
    "name",
    "when",
    "tags",
    "become",
    "become_user",
    "become_method",
    "delegate_to",
    "environment",
    "ignore_errors",
    "any_errors_fatal",
    "collections",
    "no_log",
    "vars",
];
/// Play keys that hold task lists.
const TASK_LISTS: &[&str] = &["tasks", "pre_tasks", "post_tasks", "handlers"];

/// Where something was found: a file as shown to the user, and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Loc {
    pub file: String,
    pub line: usize,
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Which targets a role's vars file applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Applies {
    /// `vars/main.yml`, loaded with the role: any included vars file overrides it.
    Main,
    /// Every Debian-family target (`vars/main.yml`, `vars/Debian.yml`, ...).
    All,
    /// Only targets of this distribution (lowercase), e.g. `vars/Ubuntu.yml`.
    Distribution(String),
    /// Only targets of this release, e.g. `vars/Debian-12.yml`, `vars/Ubuntu-jammy.yml`.
    Release(String),
}

/// A repository task: its one-line form as a template (deb822 arguments are turned into it).
#[derive(Debug, Clone)]
pub(crate) struct RepoTask {
    pub loc: Loc,
    pub template: String,
    /// `when` conditions and `vars:` (the task's and its blocks').
    pub ctx: TaskCtx,
}

/// An apt/package task: the values of its `name`, and its loop.
#[derive(Debug, Clone)]
pub(crate) struct PkgTask {
    pub loc: Loc,
    pub names: JVal,
    pub loop_items: Option<JVal>,
    pub loop_var: String,
    /// `when` conditions and `vars:` (the task's and its blocks').
    pub ctx: TaskCtx,
}

/// A key download: apt_key `url`, get_url into a keyring directory, a deb822 `signed_by` URL,
/// or a URL in a shell step that runs gpg.
#[derive(Debug, Clone)]
pub(crate) struct KeyTask {
    pub url: String,
    pub dest: Option<String>,
}

/// What one scope (a role, or a playbook/task file outside roles) holds.
#[derive(Debug, Default)]
pub(crate) struct ScopeData {
    pub defaults: BTreeMap<String, JVal>,
    pub role_vars: Vec<(Applies, BTreeMap<String, JVal>)>,
    pub repos: Vec<RepoTask>,
    pub packages: Vec<PkgTask>,
    pub keys: Vec<KeyTask>,
    /// Shell/command steps that write an apt source.
    pub shell_repos: Vec<Loc>,
    /// Inline keys (deb822 `signed_by` with a key block).
    pub inline_keys: Vec<Loc>,
    /// Variables set at run time (`set_fact`, `register`): where first, and each value a
    /// set_fact gives (`None` for a register).
    pub runtime_vars: BTreeMap<String, (Loc, Vec<Option<JVal>>)>,
}

/// Everything read.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub scopes: BTreeMap<PathBuf, ScopeData>,
    /// group_vars: variable → (group, value), every group that defines it.
    pub group_vars: BTreeMap<String, Vec<(String, JVal)>>,
    /// The plays' `vars:` and `vars_files:`: variable → values (several when plays disagree).
    pub play_vars: BTreeMap<String, Vec<JVal>>,
    /// Files that are not valid YAML, with why.
    pub unreadable: Vec<String>,
}

pub(crate) fn to_jval(n: &Node) -> JVal {
    match &n.kind {
        Kind::Scalar(s, _) => JVal::Str(s.clone()),
        Kind::Seq { items, .. } => JVal::List(items.iter().map(to_jval).collect()),
        Kind::Map { entries, .. } => JVal::Map(
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.str()?.to_string(), to_jval(v))))
                .collect(),
        ),
        Kind::Alias => JVal::Str(String::new()),
    }
}

fn vars_of(n: &Node) -> BTreeMap<String, JVal> {
    match to_jval(n) {
        JVal::Map(m) => m,
        _ => BTreeMap::new(),
    }
}

/// Collects the YAML files under `paths` (directories walked, skipping hidden directories,
/// `templates/`, `files/`, `molecule/`), plus the `group_vars/` next to each given path.
pub(crate) fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InitError> {
    let mut files = Vec::new();
    for p in paths {
        walk_dir(p, &mut files)?;
        let dir = if p.is_dir() {
            p.clone()
        } else {
            p.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let gv = if dir.as_os_str().is_empty() {
            PathBuf::from("group_vars")
        } else {
            dir.join("group_vars")
        };
        if gv.is_dir() {
            walk_dir(&gv, &mut files)?;
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn walk_dir(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), InitError> {
    let meta = std::fs::metadata(p).map_err(|source| InitError::Io {
        path: p.to_path_buf(),
        source,
    })?;
    if meta.is_file() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    let rd = std::fs::read_dir(p).map_err(|source| InitError::Io {
        path: p.to_path_buf(),
        source,
    })?;
    for e in rd.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            // a role's tests/ holds a playbook that applies the role with test values
            let role_tests = name == "tests" && p.join("tasks").is_dir();
            if !name.starts_with('.')
                && !role_tests
                && !matches!(name.as_str(), "templates" | "files" | "molecule")
            {
                walk_dir(&path, out)?;
            }
        } else if name.ends_with(".yml") || name.ends_with(".yaml") {
            out.push(path);
        }
    }
    Ok(())
}

/// What a file is, by where it sits.
enum FileKind {
    /// `roles/<r>/defaults/*.yml`
    Defaults(PathBuf),
    /// `roles/<r>/vars/*.yml`
    RoleVars(PathBuf, Applies),
    /// A role's tasks or handlers.
    RoleTasks(PathBuf),
    /// `group_vars/<group>.yml` or `group_vars/<group>/*.yml`.
    GroupVars(String),
    /// A playbook or a task list outside roles.
    Other,
    /// Not read (meta/, host_vars/, another OS family's file).
    Skip,
}

const DISTRIBUTIONS: &[&str] = &["debian", "ubuntu", "raspbian", "linuxmint", "mint", "pop"];

fn kind_of(f: &Path) -> FileKind {
    if foreign_file(f) {
        return FileKind::Skip;
    }
    let comps: Vec<String> = f
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    for i in (0..comps.len().saturating_sub(1)).rev() {
        let part = comps[i].as_str();
        let root: PathBuf = comps[..i].iter().collect();
        let is_role = i > 0
            && matches!(part, "tasks" | "defaults" | "vars" | "handlers" | "meta")
            && (root.join("tasks").is_dir() || root.join("defaults").is_dir());
        if is_role {
            return match part {
                "defaults" => FileKind::Defaults(root),
                "vars" => {
                    let stem = f
                        .file_stem()
                        .map(|s| s.to_string_lossy().to_lowercase())
                        .unwrap_or_default();
                    let distro = DISTRIBUTIONS
                        .iter()
                        .find(|d| stem == **d || stem.starts_with(&format!("{d}-")));
                    let applies = match distro {
                        Some(d) => {
                            let rest = stem[d.len()..].trim_start_matches('-');
                            match super::env::release_named(d, rest) {
                                Some(r) => Applies::Release(r.to_string()),
                                None if *d != "debian" && rest.is_empty() => {
                                    Applies::Distribution(d.to_string())
                                }
                                // Debian.yml is also the OS family's file
                                None if rest.is_empty() => Applies::All,
                                // a version init does not know
                                None => Applies::Release(stem.clone()),
                            }
                        }
                        None if stem == "main" => Applies::Main,
                        None => Applies::All,
                    };
                    FileKind::RoleVars(root, applies)
                }
                "meta" => FileKind::Skip,
                _ => FileKind::RoleTasks(root),
            };
        }
        if part == "group_vars" {
            let group = if i + 2 == comps.len() {
                f.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            } else {
                comps[i + 1].clone()
            };
            return FileKind::GroupVars(group);
        }
        if part == "host_vars" {
            return FileKind::Skip;
        }
    }
    FileKind::Other
}

/// Shows `f` relative to `base` when it is under it.
pub(crate) fn shown(f: &Path, base: Option<&Path>) -> String {
    base.and_then(|b| f.strip_prefix(b).ok())
        .unwrap_or(f)
        .display()
        .to_string()
}

/// Reads every file.
pub(crate) fn read_all(files: &[PathBuf], base: Option<&Path>) -> Result<Found, InitError> {
    let mut found = Found::default();
    for f in files {
        let kind = kind_of(f);
        if matches!(kind, FileKind::Skip) {
            continue;
        }
        let bytes = std::fs::read(f).map_err(|source| InitError::Io {
            path: f.clone(),
            source,
        })?;
        let file = shown(f, base);
        let Ok(text) = String::from_utf8(bytes) else {
            found.unreadable.push(format!(
                "{file}: not read (not UTF-8): check it for repositories and packages by hand"
            ));
            continue;
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let docs = match yaml::parse(text) {
            Ok(docs) => docs,
            Err(e) => {
                // one unreadable file (a duplicate key Ansible would only warn about, a stray
                // YAML file) does not stop init: it is named in the summary
                found.unreadable.push(format!(
                    "{file}:{}: not read ({}): check it for repositories and packages by hand",
                    e.line, e.message
                ));
                continue;
            }
        };
        match kind {
            FileKind::Defaults(root) => {
                let scope = found.scopes.entry(root).or_default();
                for d in &docs {
                    scope.defaults.extend(vars_of(d));
                }
            }
            FileKind::RoleVars(root, applies) => {
                let scope = found.scopes.entry(root).or_default();
                for d in &docs {
                    scope.role_vars.push((applies.clone(), vars_of(d)));
                }
            }
            FileKind::GroupVars(group) => {
                for d in &docs {
                    for (k, v) in vars_of(d) {
                        found
                            .group_vars
                            .entry(k)
                            .or_default()
                            .push((group.clone(), v));
                    }
                }
            }
            FileKind::RoleTasks(root) => {
                let scope = found.scopes.entry(root).or_default();
                for d in &docs {
                    task_list(d, &file, scope);
                }
            }
            FileKind::Other => {
                for d in &docs {
                    let plays = d
                        .items()
                        .iter()
                        .filter(|p| p.get("hosts").is_some() || p.get("import_playbook").is_some())
                        .count();
                    if plays == 0 {
                        task_list(d, &file, found.scopes.entry(f.clone()).or_default());
                        continue;
                    }
                    // each play is its own scope: a play that adds no repository does not
                    // lend its packages to one that does
                    for (i, play) in d.items().iter().enumerate() {
                        if foreign_when(play) {
                            continue;
                        }
                        if let Some(v) = play.get("vars") {
                            for (k, val) in vars_of(v) {
                                found.play_vars.entry(k).or_default().push(val);
                            }
                        }
                        // role parameters: `- role: docker` with `vars:` or keys of its own
                        for role in play.get("roles").map(Node::items).unwrap_or_default() {
                            for (k, v) in role.entries() {
                                match k.str() {
                                    Some("vars") => {
                                        for (k, val) in vars_of(v) {
                                            found.play_vars.entry(k).or_default().push(val);
                                        }
                                    }
                                    Some(k) if !ROLE_KEYWORDS.contains(&k) => {
                                        found
                                            .play_vars
                                            .entry(k.to_string())
                                            .or_default()
                                            .push(to_jval(v));
                                    }
                                    _ => {}
                                }
                            }
                        }
                        for vf in play.get("vars_files").map(Node::items).unwrap_or_default() {
                            read_vars_file(f, vf, &mut found)?;
                        }
                        let mut key = f.clone().into_os_string();
                        key.push(format!("#play{i:04}"));
                        let scope = found.scopes.entry(PathBuf::from(key)).or_default();
                        for list in TASK_LISTS {
                            if let Some(list) = play.get(list) {
                                task_list(list, &file, scope);
                            }
                        }
                    }
                }
            }
            FileKind::Skip => {}
        }
    }
    for values in found.play_vars.values_mut() {
        values.dedup();
    }
    Ok(found)
}

/// A play's `vars_files:` entry with a literal path, relative to the playbook.
fn read_vars_file(playbook: &Path, entry: &Node, found: &mut Found) -> Result<(), InitError> {
    let Some(rel) = entry.str().filter(|s| !super::jinja::has_jinja(s)) else {
        return Ok(());
    };
    let path = playbook.parent().unwrap_or(Path::new("")).join(rel);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let docs = yaml::parse(&text).map_err(|e| InitError::Yaml {
        path: path.clone(),
        line: e.line,
        message: e.message,
    })?;
    for d in &docs {
        for (k, v) in vars_of(d) {
            found.play_vars.entry(k).or_default().push(v);
        }
    }
    Ok(())
}

fn task_list(list: &Node, file: &str, scope: &mut ScopeData) {
    task_list_when(list, file, scope, &TaskCtx::default());
}

/// The conditions of a task's or block's `when` (a string or a list, all must hold).
fn whens(task: &Node) -> Vec<String> {
    match task.get("when").map(|w| &w.kind) {
        Some(Kind::Scalar(s, _)) => vec![s.clone()],
        Some(Kind::Seq { items, .. }) => items
            .iter()
            .filter_map(Node::str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// What a task inherits from its blocks and has itself: `when` conditions and `vars:`.
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskCtx {
    pub when: Vec<String>,
    pub vars: BTreeMap<String, JVal>,
}

/// Visits a task list; `inherited` is what the enclosing blocks give.
fn task_list_when(list: &Node, file: &str, scope: &mut ScopeData, inherited: &TaskCtx) {
    for task in list.items() {
        if !matches!(task.kind, Kind::Map { .. }) || foreign_when(task) {
            continue;
        }
        let mut ctx = inherited.clone();
        ctx.when.extend(whens(task));
        if let Some(v) = task.get("vars") {
            ctx.vars.extend(vars_of(v));
        }
        for key in ["block", "rescue", "always"] {
            if let Some(inner) = task.get(key) {
                task_list_when(inner, file, scope, &ctx);
            }
        }
        visit(task, file, scope, &ctx);
        // what is only known at run time
        let here = || Loc {
            file: file.to_string(),
            line: task.pos.line,
        };
        if let Some(args) = module(task, SET_FACT) {
            for (k, v) in args.entries() {
                if let Some(k) = k.str().filter(|k| *k != "cacheable") {
                    let entry = scope
                        .runtime_vars
                        .entry(k.to_string())
                        .or_insert_with(|| (here(), Vec::new()));
                    entry.1.push(Some(to_jval(v)));
                }
            }
        }
        if let Some(r) = task.get("register").and_then(Node::str) {
            let entry = scope
                .runtime_vars
                .entry(r.to_string())
                .or_insert_with(|| (here(), Vec::new()));
            entry.1.push(None);
        }
    }
}

fn module<'n>(task: &'n Node, names: &[&str]) -> Option<&'n Node> {
    names.iter().find_map(|n| task.get(n))
}

/// Parses `k=v k2="v 2" k3={{ a b }}` free-form arguments.
pub(crate) fn free_form(s: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else {
                cur.push(c);
            }
        } else if c == '{' && chars.get(i + 1) == Some(&'{') {
            depth += 1;
            cur.push_str("{{");
            i += 1;
        } else if c == '}' && chars.get(i + 1) == Some(&'}') && depth > 0 {
            depth -= 1;
            cur.push_str("}}");
            i += 1;
        } else if depth == 0 && (c == '"' || c == '\'') {
            quote = Some(c);
        } else if depth == 0 && c.is_whitespace() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
        i += 1;
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    for w in words {
        if let Some((k, v)) = w.split_once('=') {
            out.insert(k.to_string(), v.to_string());
        }
    }
    out
}

fn arg(args: &Node, key: &str) -> Option<JVal> {
    match &args.kind {
        Kind::Map { .. } => args.get(key).map(to_jval),
        Kind::Scalar(s, _) => free_form(s).remove(key).map(JVal::Str),
        _ => None,
    }
}

fn arg_str(args: &Node, key: &str) -> Option<String> {
    match arg(args, key)? {
        JVal::Str(s) => Some(s),
        _ => None,
    }
}

/// A deb822 argument as one-line text: a list joined with `sep`.
fn arg_joined(args: &Node, key: &str, sep: &str) -> Option<String> {
    match arg(args, key)? {
        JVal::Str(s) => Some(s),
        JVal::List(items) => Some(
            items
                .iter()
                .filter_map(|i| match i {
                    JVal::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(sep),
        ),
        JVal::Map(_) => None,
    }
}

fn is_keyring_path(d: &str) -> bool {
    d.contains("/etc/apt/keyrings")
        || d.contains("trusted.gpg")
        || d.contains("/usr/share/keyrings")
}

fn visit(task: &Node, file: &str, scope: &mut ScopeData, ctx: &TaskCtx) {
    let loc = |n: &Node| Loc {
        file: file.to_string(),
        line: n.pos.line,
    };
    let absent = |args: &Node| arg_str(args, "state").as_deref() == Some("absent");
    if let Some(args) = module(task, APT) {
        if !absent(args) {
            let names = ["name", "pkg", "package"].iter().find_map(|k| arg(args, k));
            if let Some(names) = names {
                let loop_items = ["loop", "with_items", "with_list"]
                    .iter()
                    .find_map(|k| task.get(k))
                    .map(to_jval);
                scope.packages.push(PkgTask {
                    loc: loc(task),
                    names,
                    loop_items,
                    loop_var: loop_var(task).to_string(),
                    ctx: ctx.clone(),
                });
            }
        }
    }
    if let Some(args) = module(task, REPO) {
        if let (Some(repo), false) = (arg_str(args, "repo"), absent(args)) {
            scope.repos.push(RepoTask {
                loc: loc(task),
                template: repo,
                ctx: ctx.clone(),
            });
        }
    }
    if let Some(args) = module(task, DEB822) {
        let types = arg_joined(args, "types", " ").unwrap_or_default();
        if !absent(args) && (types.is_empty() || types.split_whitespace().any(|t| t == "deb")) {
            let mut opts = Vec::new();
            if let Some(a) = arg_joined(args, "architectures", ",") {
                opts.push(format!("arch={a}"));
            }
            if let Some(s) = arg_str(args, "signed_by") {
                if s.contains("BEGIN PGP") {
                    scope.inline_keys.push(loc(task));
                } else if s.starts_with("http://") || s.starts_with("https://") {
                    scope.keys.push(KeyTask {
                        url: s.clone(),
                        dest: None,
                    });
                    opts.push(format!("signed-by={s}"));
                } else {
                    opts.push(format!("signed-by={s}"));
                }
            }
            let uris = arg_joined(args, "uris", " ").unwrap_or_default();
            let suites = arg_joined(args, "suites", " ").unwrap_or_default();
            let comps = arg_joined(args, "components", " ").unwrap_or_default();
            let o = if opts.is_empty() {
                String::new()
            } else {
                format!("[{}] ", opts.join(" "))
            };
            for uri in super::sources::split_outside_jinja(&uris) {
                for suite in super::sources::split_outside_jinja(&suites) {
                    scope.repos.push(RepoTask {
                        loc: loc(task),
                        template: format!("deb {o}{uri} {suite} {comps}"),
                        ctx: ctx.clone(),
                    });
                }
            }
        }
    }
    if let Some(args) = module(task, APT_KEY) {
        if let (Some(url), false) = (arg_str(args, "url"), absent(args)) {
            scope.keys.push(KeyTask {
                url,
                dest: arg_str(args, "keyring"),
            });
        }
    }
    if let Some(args) = module(task, GET_URL) {
        let dest = arg_str(args, "dest");
        if let (Some(url), Some(dest)) = (arg_str(args, "url"), dest) {
            if is_keyring_path(&dest) {
                scope.keys.push(KeyTask {
                    url,
                    dest: Some(dest),
                });
            }
        }
    }
    // a sources.list file written by copy (its content is read like a repo: line) or by
    // template (not read: its file is Jinja init does not render)
    if let Some(args) = module(task, COPY) {
        let dest = arg_str(args, "dest").unwrap_or_default();
        if dest.contains("sources.list") && !absent(args) {
            match arg_str(args, "content") {
                Some(content) => {
                    for line in content.lines().map(str::trim) {
                        if line.starts_with("deb ") {
                            scope.repos.push(RepoTask {
                                loc: loc(task),
                                template: line.to_string(),
                                ctx: ctx.clone(),
                            });
                        }
                    }
                }
                None => scope.shell_repos.push(loc(task)),
            }
        }
    }
    if let Some(args) = module(task, TEMPLATE) {
        let dest = arg_str(args, "dest").unwrap_or_default();
        if dest.contains("sources.list") {
            scope.shell_repos.push(loc(task));
        }
    }
    if let Some(args) = module(task, SHELL) {
        let text = match &args.kind {
            Kind::Scalar(s, _) => s.clone(),
            _ => arg_str(args, "cmd").unwrap_or_default(),
        };
        let writes_source = text.contains("sources.list")
            || text.contains(".sources")
            || (text.contains("deb ") && text.contains("http"));
        if writes_source {
            scope.shell_repos.push(loc(task));
        }
        if text.contains("gpg") || text.contains("apt-key") {
            let url = text
                .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                .find(|w| w.starts_with("https://") || w.starts_with("http://"));
            if let Some(url) = url {
                let words: Vec<&str> = text.split_whitespace().collect();
                let dest = words
                    .windows(2)
                    .filter(|w| matches!(w[0], "-o" | "--output" | "-O"))
                    .map(|w| w[1].trim_matches(|c| c == '"' || c == '\''))
                    .find(|d| is_keyring_path(d) || d.ends_with(".gpg") || d.ends_with(".asc"))
                    .map(str::to_string);
                scope.keys.push(KeyTask {
                    url: url.to_string(),
                    dest,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_form_keeps_jinja_and_quotes_together() {
        let m = free_form("name={{ pkgs | default([]) }} state=present repo='deb x y'");
        assert_eq!(m["name"], "{{ pkgs | default([]) }}");
        assert_eq!(m["state"], "present");
        assert_eq!(m["repo"], "deb x y");
    }
}
