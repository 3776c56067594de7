//! `pinlock init`: a starter manifest from existing playbooks.
//!
//! Sources come from `apt_repository` tasks (`repo:` one-line form) and `deb822_repository`
//! tasks; packages from the apt/package tasks in the same scope (the same role, or the same
//! playbook file) as a repository task, since those are the packages that repository serves.
//! Keys: pinlock needs each `signed-by` key as a local file. Keys referenced by a path on the
//! managed host, or downloaded by `apt_key: url=` / `get_url` / a URL `signed_by`, are mapped to
//! `keys/<file name>` and listed in [`InitScan::notes`] with where to get them.
//!
//! This module only reads playbooks; it never edits them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_yaml::Value;

/// What `init` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitScan {
    /// One-line sources (`deb [...] URL SUITE COMP...`), in discovery order, deduplicated.
    pub sources: Vec<String>,
    /// Packages installed next to those repositories.
    pub packages: BTreeSet<String>,
    /// Things the user must do (supply a key, replace a Jinja expression), `file: message`.
    pub notes: Vec<String>,
}

/// Reading a playbook failed.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// I/O error.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// YAML error.
    #[error("{path}: {message}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// What is wrong (with line and column).
        message: String,
    },
}

const APT: &[&str] = &[
    "apt",
    "ansible.builtin.apt",
    "ansible.legacy.apt",
    "package",
    "ansible.builtin.package",
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
const KEY_URL: &[&str] = &[
    "apt_key",
    "ansible.builtin.apt_key",
    "get_url",
    "ansible.builtin.get_url",
];

#[derive(Default)]
struct Scope {
    has_repo: bool,
    packages: BTreeSet<String>,
}

/// Scans playbooks, task files and role directories (directories are walked for `.yml` and
/// `.yaml`, skipping hidden directories, `templates/` and `files/`).
pub fn scan(paths: &[PathBuf]) -> Result<InitScan, InitError> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    files.sort();
    files.dedup();
    let mut out = InitScan::default();
    let mut scopes: BTreeMap<PathBuf, Scope> = BTreeMap::new();
    let mut key_urls: Vec<(String, String)> = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|source| InitError::Io {
            path: f.clone(),
            source,
        })?;
        let scope = scopes.entry(scope_of(f)).or_default();
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value = Value::deserialize_any(doc).map_err(|e| InitError::Yaml {
                path: f.clone(),
                message: e.to_string(),
            })?;
            walk(&value, &mut |task| {
                visit(task, f, scope, &mut out, &mut key_urls)
            });
        }
    }
    for s in scopes.values().filter(|s| s.has_repo) {
        out.packages.extend(s.packages.iter().cloned());
    }
    for (file, url) in key_urls {
        let name = url.rsplit('/').next().unwrap_or("key.asc");
        out.notes.push(format!(
            "{file}: a key is downloaded from {url}: save it locally (e.g. keys/{name}) and point signed-by at it"
        ));
    }
    Ok(out)
}

trait DeserializeAny {
    fn deserialize_any(d: serde_yaml::Deserializer<'_>) -> Result<Value, serde_yaml::Error>;
}
impl DeserializeAny for Value {
    fn deserialize_any(d: serde_yaml::Deserializer<'_>) -> Result<Value, serde_yaml::Error> {
        serde::Deserialize::deserialize(d)
    }
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), InitError> {
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
            if !name.starts_with('.') && name != "templates" && name != "files" {
                collect(&path, out)?;
            }
        } else if name.ends_with(".yml") || name.ends_with(".yaml") {
            out.push(path);
        }
    }
    Ok(())
}

/// A role's files share a scope (`.../roles/<name>`); any other file is its own scope.
fn scope_of(f: &Path) -> PathBuf {
    let comps: Vec<_> = f.components().collect();
    for (i, c) in comps.iter().enumerate() {
        if c.as_os_str() == "roles" && i + 1 < comps.len() - 1 {
            return comps[..=i + 1].iter().collect();
        }
    }
    f.to_path_buf()
}

/// Calls `f` on every mapping that may be a task, anywhere in the document.
fn walk(v: &Value, f: &mut dyn FnMut(&serde_yaml::Mapping)) {
    match v {
        Value::Mapping(m) => {
            f(m);
            for (_, child) in m {
                walk(child, f);
            }
        }
        Value::Sequence(s) => s.iter().for_each(|c| walk(c, f)),
        Value::Tagged(t) => walk(&t.value, f),
        _ => {}
    }
}

fn module<'a>(task: &'a serde_yaml::Mapping, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| task.get(*n))
}

/// Parses `k=v k2=v2` free-form arguments.
fn free_form(s: &str) -> BTreeMap<String, String> {
    s.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            (
                k.to_string(),
                v.trim_matches(|c| c == '"' || c == '\'').to_string(),
            )
        })
        .collect()
}

fn arg(args: &Value, key: &str) -> Option<Value> {
    match args {
        Value::Mapping(m) => m.get(key).cloned(),
        Value::String(s) => free_form(s).remove(key).map(Value::String),
        _ => None,
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
        Value::Sequence(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

fn visit(
    task: &serde_yaml::Mapping,
    file: &Path,
    scope: &mut Scope,
    out: &mut InitScan,
    key_urls: &mut Vec<(String, String)>,
) {
    let shown = file.display().to_string();
    if let Some(args) = module(task, APT) {
        if arg(args, "state")
            .and_then(|s| s.as_str().map(str::to_string))
            .as_deref()
            == Some("absent")
        {
            return;
        }
        let names = ["name", "pkg", "package"]
            .iter()
            .find_map(|k| arg(args, k))
            .map(|v| strings(&v))
            .unwrap_or_default();
        for n in names {
            if n.contains("{{") {
                continue;
            }
            let base = n.split('=').next().unwrap_or(&n).to_string();
            scope.packages.insert(base);
        }
    }
    if let Some(args) = module(task, REPO) {
        if let Some(repo) = arg(args, "repo").and_then(|v| v.as_str().map(str::to_string)) {
            if arg(args, "state")
                .and_then(|s| s.as_str().map(str::to_string))
                .as_deref()
                == Some("absent")
            {
                return;
            }
            scope.has_repo = true;
            let line = localize_signed_by(&repo, &shown, out);
            if line.contains("{{") {
                out.notes.push(format!(
                    "{shown}: the repository line uses Jinja ({line}); replace it with literal values (one source per release)"
                ));
            }
            if !out.sources.contains(&line) {
                out.sources.push(line);
            }
        }
    }
    if let Some(args) = module(task, DEB822) {
        scope.has_repo = true;
        let get = |k: &str| arg(args, k).map(|v| strings(&v)).unwrap_or_default();
        let types = get("types");
        if !types.is_empty() && !types.iter().any(|t| t == "deb") {
            return;
        }
        let archs = get("architectures");
        let signed = arg(args, "signed_by").and_then(|v| v.as_str().map(str::to_string));
        let mut opts = Vec::new();
        if !archs.is_empty() {
            opts.push(format!("arch={}", archs.join(",")));
        }
        if let Some(s) = signed {
            let key = if s.contains("BEGIN PGP") {
                out.notes.push(format!(
                    "{shown}: deb822_repository has an inline key: save it as keys/{}.asc",
                    arg(args, "name")
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_else(|| "repo".into())
                ));
                "keys/repo.asc".to_string()
            } else if s.starts_with("http://") || s.starts_with("https://") {
                key_urls.push((shown.clone(), s.clone()));
                format!("keys/{}", s.rsplit('/').next().unwrap_or("key.asc"))
            } else {
                local_key(&s, &shown, out)
            };
            opts.push(format!("signed-by={key}"));
        }
        for uri in get("uris") {
            for suite in get("suites") {
                let o = if opts.is_empty() {
                    String::new()
                } else {
                    format!("[{}] ", opts.join(" "))
                };
                let line = format!("deb {o}{uri} {suite} {}", get("components").join(" "));
                if line.contains("{{") {
                    out.notes.push(format!("{shown}: the repository uses Jinja ({line}); replace it with literal values"));
                }
                if !out.sources.contains(&line) {
                    out.sources.push(line);
                }
            }
        }
    }
    if let Some(args) = module(task, KEY_URL) {
        let is_key_download = module(task, &["apt_key", "ansible.builtin.apt_key"]).is_some()
            || arg(args, "dest")
                .and_then(|d| d.as_str().map(str::to_string))
                .is_some_and(|d| {
                    d.contains("/etc/apt/keyrings")
                        || d.contains("trusted.gpg")
                        || d.contains("/usr/share/keyrings")
                });
        if let (true, Some(url)) = (
            is_key_download,
            arg(args, "url").and_then(|v| v.as_str().map(str::to_string)),
        ) {
            key_urls.push((shown, url));
        }
    }
}

/// Rewrites `signed-by=/etc/apt/keyrings/x.asc` to `keys/x.asc` and asks for the file.
fn localize_signed_by(line: &str, shown: &str, out: &mut InitScan) -> String {
    let mut result = String::new();
    for (i, word) in line.split_whitespace().enumerate() {
        if i > 0 {
            result.push(' ');
        }
        let (prefix, rest) = word.split_at(
            word.find("signed-by=")
                .map_or(0, |p| p + "signed-by=".len()),
        );
        if !prefix.is_empty() {
            let closing = rest.ends_with(']');
            let path = rest.trim_end_matches(']');
            result.push_str(prefix);
            result.push_str(&local_key(path, shown, out));
            if closing {
                result.push(']');
            }
        } else {
            result.push_str(word);
        }
    }
    result
}

fn local_key(path: &str, shown: &str, out: &mut InitScan) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let local = format!("keys/{name}");
    let note = format!("{shown}: signed-by {path} is a path on the managed hosts: copy that key to {local} next to pinlock.yml");
    if !out.notes.contains(&note) {
        out.notes.push(note);
    }
    local
}

/// Renders a starter manifest.
pub fn render_manifest(scan: &InitScan, playbooks: &[String]) -> String {
    let mut s = String::from("# Starter manifest written by `pinlock init`: review the sources, keys and constraints.\nsources:\n");
    for src in &scan.sources {
        s.push_str(&format!(
            "  - \"{}\"\n",
            src.replace('\\', "\\\\").replace('"', "\\\"")
        ));
    }
    s.push_str("packages:\n");
    for p in &scan.packages {
        s.push_str(&format!("  {p}: \"*\"\n"));
    }
    if scan.packages.is_empty() {
        s.push_str("  {}\n");
    }
    s.push_str("recommends: true\n");
    s.push_str("# Recommends the hosts may lack (no source has them; the host preflight skips them):\n# waive: [pigz]\n");
    s.push_str("# This project's name on the hosts (/etc/apt/preferences.d/pinlock-<project>.pref); give\n# each pinlock project that manages the same hosts its own:\n# project: default\n");
    if !playbooks.is_empty() {
        s.push_str(&format!("playbooks: [{}]\n", playbooks.join(", ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sources_keys_and_packages_in_a_role() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = dir.path().join("roles/docker/tasks");
        std::fs::create_dir_all(&tasks).unwrap();
        std::fs::write(
            tasks.join("repo.yml"),
            "- ansible.builtin.apt_key:\n    url: https://r.example/gpg\n- ansible.builtin.apt_repository:\n    repo: \"deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://r.example/debian bookworm stable\"\n",
        )
        .unwrap();
        std::fs::write(
            tasks.join("main.yml"),
            "- block:\n    - apt: name=docker-ce=5:24.0.2-1~debian.12~bookworm,containerd.io state=present\n    - apt:\n        name: old-thing\n        state: absent\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("other.yml"), "- apt: name=curl\n").unwrap();
        let s = scan(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(
            s.sources,
            ["deb [arch=amd64 signed-by=keys/docker.asc] https://r.example/debian bookworm stable"]
        );
        assert_eq!(
            s.packages.iter().collect::<Vec<_>>(),
            ["containerd.io", "docker-ce"]
        );
        assert_eq!(s.notes.len(), 2, "{:?}", s.notes);
        let text = render_manifest(&s, &["site.yml".into()]);
        assert!(text.contains("\n# waive: [pigz]\n"), "{text}");
        let m = crate::manifest::Manifest::parse(&text, Path::new("pinlock.yml")).unwrap();
        assert_eq!(m.sources.len(), 1);
        assert_eq!(m.packages.len(), 2);
        assert!(m.waive.is_empty(), "the example is commented out");
        // uncommented, it is a valid waiver
        let text = text.replace("# waive:", "waive:");
        let m = crate::manifest::Manifest::parse(&text, Path::new("pinlock.yml")).unwrap();
        assert_eq!(m.waive.iter().collect::<Vec<_>>(), ["pigz"]);
    }
}
