//! The manifest, `pinlock.yml`: what the user wants.
//!
//! ```yaml
//! sources:
//!   - "deb [arch=amd64,arm64 signed-by=keys/docker.asc] https://download.docker.com/linux/debian buster stable"
//!   - url: https://DEBIAN-MIRROR/debian
//!     suites: [buster]
//!     components: [main]
//!     architectures: [amd64, arm64]
//!     signed-by: keys/debian-archive-keyring.gpg
//!     enforce: false       # locked for review, not pinned on the hosts (map form only)
//!     security: true       # its new versions are security fixes (as `-security` suites)
//! packages:
//!   docker-ce: "^23.0"
//!   docker-ce-cli: "*"
//!   containerd.io: ">= 1.6.18"
//! recommends: true
//! waive: [pigz]            # Recommends the hosts may lack (the host preflight skips them)
//! playbooks: [site.yml, roles/]
//! exclude: [roles/legacy, "**/tests/**"]  # globs `pinlock pin` does not walk
//! project: swarm           # names this project's apt preferences file on the hosts
//! update:                  # policies for `pinlock update` (see `UpdatePolicy`)
//!   groups: [[docker-ce, containerd.io]]
//!   min-age: 7d
//!   ignore: {docker-ce: ["= 5:24.0.0-1~debian.10~buster"]}
//!   allow: {containerd.io: patch}
//! ```
//!
//! Relative `signed-by` paths, local repository paths, `playbooks` and `exclude` are relative to
//! the manifest's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::source::{parse_deb822, parse_one_line, SignedBy, SourceError, SourceSpec};

mod update_policy;

pub use update_policy::{Allow, UpdatePolicy};

/// A manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Reading failed.
    #[error("cannot read manifest {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// YAML or schema error, with line and column when known.
    #[error("{path}:{location}{message}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// `line:column: ` or empty.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// A source entry is invalid.
    #[error("{path}:{location}sources[{index}]: {source}")]
    Source {
        /// The file.
        path: PathBuf,
        /// `line: ` of the entry when known, else ` `.
        location: String,
        /// Index in `sources`.
        index: usize,
        /// Why.
        #[source]
        source: SourceError,
    },
    /// No manifest was given and none was found by [`discover`].
    #[error("could not find pinlock.yml in {} or any parent directory\nhint: run `pinlock init` to write one, or name it with `-m FILE` (or PINLOCK_MANIFEST=FILE)", start.display())]
    NotFound {
        /// The directory the search started from.
        start: PathBuf,
    },
    /// The manifest named with `-m` or `PINLOCK_MANIFEST` does not exist.
    #[error("manifest {} does not exist\nhint: check the path given with `-m` or PINLOCK_MANIFEST, or drop it to search the current and parent directories for pinlock.yml", path.display())]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// Something else is invalid.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// A configured source with its manifest-level options.
#[derive(Debug, Clone)]
pub struct ManifestSource {
    /// The apt source.
    pub spec: SourceSpec,
    /// Target release name override (default: the suite without `-updates`, `-security`,
    /// `-backports`, `-proposed`).
    pub release: Option<String>,
    /// Whether the host enforcement of `pinlock pin` pins the packages locked from this source
    /// (`enforce: false`, map form only: locked for review and reported by `outdated`, but the
    /// hosts' apt stays free to upgrade them). Default true.
    pub enforce: bool,
    /// Whether new versions from this source are security fixes (`security: true`, map form
    /// only). Suites named `*-security` or `*/updates` count as security without it.
    pub security: bool,
}

/// A parsed manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its directory (relative paths are relative to it).
    pub dir: PathBuf,
    /// Sources, in manifest order.
    pub sources: Vec<ManifestSource>,
    /// Requested packages and their constraint text.
    pub packages: BTreeMap<String, String>,
    /// Follow Recommends (default true, like apt).
    pub recommends: bool,
    /// Waived Recommends (`waive:`): unresolved Recommends the hosts may lack; the lock marks
    /// them `waived` and the host preflight does not require them. A Depends cannot be waived.
    pub waive: std::collections::BTreeSet<String>,
    /// Playbooks and directories `pinlock pin` rewrites, relative to `dir`.
    pub playbooks: Vec<PathBuf>,
    /// Globs of paths (relative to `dir`) `pinlock pin` does not walk (`exclude:`).
    pub exclude: Vec<String>,
    /// Update policies (`update:`): groups, min-age, ignore, allow.
    pub update: UpdatePolicy,
    /// The project's name on the hosts (`project:`, default [`DEFAULT_PROJECT`]): the host
    /// enforcement writes `/etc/apt/preferences.d/pinlock-<project>.pref`, so two projects that
    /// manage the same hosts keep their own pins and holds.
    pub project: String,
}

/// The project name when the manifest has no `project:`.
pub const DEFAULT_PROJECT: &str = "default";

/// Whether `name` can name a project: it becomes part of a file name in apt's
/// `preferences.d`, which apt reads only when the name has letters, digits, `_`, `-`, `.`.
pub fn valid_project(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    sources: Vec<RawSource>,
    #[serde(default)]
    packages: BTreeMap<String, RawConstraint>,
    #[serde(default = "yes")]
    recommends: bool,
    #[serde(default)]
    waive: Vec<String>,
    #[serde(default)]
    playbooks: Vec<PathBuf>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    update: UpdatePolicy,
    #[serde(default)]
    project: Option<String>,
}

fn yes() -> bool {
    true
}

/// The 1-based line of `needle` in the block of top-level `key` of manifest `text` (the key's
/// line when `needle` is not found after it; `None` without the key). Serde does not give the
/// position of one sequence item, so a value checked after parsing is found this way.
fn line_of(text: &str, key: &str, needle: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.strip_prefix(key).is_some_and(|r| r.starts_with(':')))?;
    let found = lines[start..]
        .iter()
        .enumerate()
        .take_while(|(i, l)| {
            *i == 0 || l.is_empty() || l.starts_with([' ', '\t', '-', '#']) || l.starts_with(']')
        })
        .find(|(i, l)| {
            let l = if *i == 0 { &l[key.len() + 1..] } else { l };
            l.split('#').next().unwrap_or_default().contains(needle)
        })
        .map_or(0, |(i, _)| i);
    Some(start + found + 1)
}

/// The keys of a source in map form (`RawSourceMap`), for "did you mean".
const SOURCE_MAP_KEYS: &[&str] = &[
    "url",
    "suites",
    "components",
    "architectures",
    "signed-by",
    "release",
    "check-valid-until",
    "enforce",
];

/// The top-level keys of the manifest (`Raw`), for "did you mean".
const TOP_KEYS: &[&str] = &[
    "sources",
    "packages",
    "recommends",
    "waive",
    "playbooks",
    "update",
    "project",
];

/// One block-style item of `sources:`: its 1-based line and, for the map form, its keys
/// (line, column, key).
struct SourceItem {
    line: usize,
    keys: Vec<(usize, usize, String)>,
}

/// The block-style items of the top-level `sources:` list of manifest `text` (empty for a
/// flow-style list `sources: [...]`). Serde gives no position for one item of an untagged
/// enum, so errors about an item find its line here.
fn source_items(text: &str) -> Vec<SourceItem> {
    let mut items: Vec<SourceItem> = Vec::new();
    let mut in_sources = false;
    let mut key_col = None;
    for (i, line) in text.lines().enumerate() {
        let code = line.split(" #").next().unwrap_or_default();
        if code.trim().is_empty() || code.trim_start().starts_with('#') {
            continue;
        }
        let indent = code.len() - code.trim_start().len();
        let t = code.trim_start();
        if indent == 0 && !t.starts_with('-') {
            in_sources = t
                .strip_prefix("sources:")
                .is_some_and(|r| r.trim().is_empty());
            continue;
        }
        if !in_sources {
            continue;
        }
        let is_key = |s: &str| {
            s.split_once(':').is_some_and(|(k, r)| {
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                    && (r.is_empty() || r.starts_with(' '))
            })
        };
        let key_name = |s: &str| s.split(':').next().unwrap_or_default().to_string();
        if let Some(rest) = t.strip_prefix("- ").or((t == "-").then_some("")) {
            let col = indent + 2 + (rest.len() - rest.trim_start().len());
            let rest = rest.trim_start();
            let mut item = SourceItem {
                line: i + 1,
                keys: Vec::new(),
            };
            key_col = None;
            if is_key(rest) {
                item.keys.push((i + 1, col + 1, key_name(rest)));
                key_col = Some(col);
            }
            items.push(item);
        } else if let Some(item) = items.last_mut() {
            // the first key of an item given as `-` alone on its line sets the column
            let col = *key_col.get_or_insert(indent);
            if indent == col && is_key(t) {
                item.keys.push((i + 1, col + 1, key_name(t)));
            }
        }
    }
    items
}

/// The error for a source map with a key `RawSourceMap` does not have: file:line:column, and
/// the closest known key.
fn unknown_source_key(text: &str, path: &Path) -> Option<ManifestError> {
    for (index, item) in source_items(text).iter().enumerate() {
        for (line, col, key) in &item.keys {
            if SOURCE_MAP_KEYS.contains(&key.as_str()) {
                continue;
            }
            let near = crate::resolve::suggestions(key, SOURCE_MAP_KEYS.iter().copied());
            let near = near
                .first()
                .cloned()
                .or_else(|| (key == "signed_by").then(|| "signed-by".into()));
            let hint = match near {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!("a source map takes {}", SOURCE_MAP_KEYS.join(", ")),
            };
            return Some(ManifestError::Yaml {
                path: path.to_path_buf(),
                location: format!("{line}:{col}: "),
                message: format!("sources[{index}]: unknown key `{key}`\nhint: {hint}"),
            });
        }
    }
    None
}

/// serde's message with a "did you mean" for an unknown top-level key, and words for the
/// untagged source enum.
fn friendly_serde_message(message: &str) -> String {
    if message.contains("untagged enum RawSource") {
        return format!("{}: a source is a line \"deb [signed-by=KEY] URL SUITE COMPONENT\" or a map with {}\nhint: check the entry's keys and their values", message.split(':').next().unwrap_or("sources"), SOURCE_MAP_KEYS.join(", "));
    }
    let unknown = message
        .split_once("unknown field `")
        .and_then(|(_, r)| r.split_once('`'))
        .map(|(k, _)| k);
    match unknown {
        Some(key) if message.contains("expected one of `sources`") => {
            match crate::resolve::suggestions(key, TOP_KEYS.iter().copied()).first() {
                Some(n) => format!("{message}\nhint: did you mean `{n}`?"),
                None => message.to_string(),
            }
        }
        _ => message.to_string(),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawConstraint {
    Text(String),
    Number(serde_yaml::Number),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawSource {
    Line(String),
    Map(RawSourceMap),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSourceMap {
    url: String,
    #[serde(default)]
    suites: OneOrMany,
    #[serde(default)]
    components: OneOrMany,
    #[serde(default)]
    architectures: OneOrMany,
    signed_by: Option<String>,
    release: Option<String>,
    #[serde(default = "yes")]
    check_valid_until: bool,
    #[serde(default = "yes")]
    enforce: bool,
    #[serde(default)]
    security: bool,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) => s.split_whitespace().map(str::to_string).collect(),
            OneOrMany::Many(v) => v,
        }
    }
}

impl Manifest {
    /// Reads and parses a manifest file.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Manifest::parse(&text, path)
    }

    /// Parses manifest text; `path` names it and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
        crate::yaml_guard::check(text).map_err(|e| ManifestError::Yaml {
            path: path.to_path_buf(),
            location: format!("{}:{}: ", e.line, e.col),
            message: e.message,
        })?;
        let raw: Raw = serde_yaml::from_str(text).map_err(|e| {
            let message = e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_string();
            // an untagged enum says only "data did not match": find the key serde could not
            if message.contains("RawSource") {
                if let Some(err) = unknown_source_key(text, path) {
                    return err;
                }
            }
            ManifestError::Yaml {
                path: path.to_path_buf(),
                location: e
                    .location()
                    .map(|l| format!("{}:{}: ", l.line(), l.column()))
                    .unwrap_or_else(|| " ".into()),
                message: friendly_serde_message(&message),
            }
        })?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let invalid = |message: String| ManifestError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        for name in &raw.waive {
            if !crate::relation::valid_name(name) {
                return Err(ManifestError::Yaml {
                    path: path.to_path_buf(),
                    location: line_of(text, "waive", name)
                        .map_or_else(|| " ".into(), |l| format!("{l}: ")),
                    message: format!("waive: {name:?} is not a Debian package name (lowercase letters, digits, `+`, `-`, `.`; at least two characters)\nhint: list the package's name as the lockfile's `unresolved` shows it"),
                });
            }
        }
        if let Some(name) = raw.project.as_deref().filter(|n| !valid_project(n)) {
            return Err(ManifestError::Yaml {
                path: path.to_path_buf(),
                location: line_of(text, "project", name)
                    .map_or_else(|| " ".into(), |l| format!("{l}: ")),
                message: format!("project: {name:?} cannot name a file in apt's preferences.d (letters, digits, `_`, `-`, `.`; at most 64)\nhint: e.g. `project: swarm`"),
            });
        }
        // a glob outside the project would never match: say so instead of walking everything
        if let Some(g) = raw
            .exclude
            .iter()
            .find(|g| g.is_empty() || g.starts_with('/') || g.split('/').any(|c| c == ".."))
        {
            return Err(ManifestError::Yaml {
                path: path.to_path_buf(),
                location: line_of(text, "exclude", g)
                    .map_or_else(|| " ".into(), |l| format!("{l}: ")),
                message: format!("exclude: {g:?} is not a path inside the project\nhint: write globs relative to the manifest's directory, e.g. `roles/legacy` or `**/tests/**`"),
            });
        }
        if raw.sources.is_empty() {
            return Err(invalid("`sources` is empty\nhint: add the repository line you have in sources.list, e.g. \"deb [signed-by=keys/docker.asc] https://download.docker.com/linux/debian bookworm stable\"".into()));
        }
        let mut sources = Vec::new();
        let items = source_items(text);
        for (index, s) in raw.sources.into_iter().enumerate() {
            let wrap = |source| ManifestError::Source {
                path: path.to_path_buf(),
                location: items
                    .get(index)
                    .map_or_else(|| " ".into(), |i| format!("{}: ", i.line)),
                index,
                source,
            };
            match s {
                RawSource::Line(line) if line.trim_start().starts_with("Types:") => {
                    for spec in parse_deb822(&line, &format!("sources[{index}]")).map_err(wrap)? {
                        sources.push(ManifestSource {
                            spec,
                            release: None,
                            enforce: true,
                            security: false,
                        });
                    }
                }
                RawSource::Line(line) => {
                    if let Some(spec) = parse_one_line(&line).map_err(wrap)? {
                        sources.push(ManifestSource {
                            spec,
                            release: None,
                            enforce: true,
                            security: false,
                        });
                    }
                }
                RawSource::Map(m) => {
                    let suites = m.suites.into_vec();
                    let components = m.components.into_vec();
                    if suites.is_empty() || components.is_empty() {
                        return Err(invalid(format!(
                            "sources[{index}]: a source map needs `suites` and `components`"
                        )));
                    }
                    sources.push(ManifestSource {
                        spec: SourceSpec {
                            uri: m.url,
                            suites,
                            components,
                            architectures: m.architectures.into_vec(),
                            signed_by: m.signed_by.map(|s| {
                                SignedBy::Files(
                                    s.split(',').map(|p| PathBuf::from(p.trim())).collect(),
                                )
                            }),
                            check_valid_until: m.check_valid_until,
                            check_date: true,
                        },
                        release: m.release,
                        enforce: m.enforce,
                        security: m.security,
                    });
                }
            }
        }
        let packages = raw
            .packages
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    RawConstraint::Text(t) => t,
                    RawConstraint::Number(n) => n.to_string(),
                };
                (k, text)
            })
            .collect();
        Ok(Manifest {
            path: path.to_path_buf(),
            dir,
            sources,
            packages,
            recommends: raw.recommends,
            waive: raw.waive.into_iter().collect(),
            project: raw.project.unwrap_or_else(|| DEFAULT_PROJECT.to_string()),
            playbooks: raw.playbooks,
            exclude: raw.exclude,
            update: raw.update,
        })
    }

    /// The source specs.
    pub fn specs(&self) -> Vec<SourceSpec> {
        self.sources.iter().map(|s| s.spec.clone()).collect()
    }
}

/// The file name [`discover`] looks for.
pub const MANIFEST_NAME: &str = "pinlock.yml";

/// Finds the manifest the way cargo finds `Cargo.toml` (and uv `pyproject.toml`, git `.git`):
/// `explicit` (from `-m` or `PINLOCK_MANIFEST`) when given, else `pinlock.yml` in `cwd` or the
/// nearest parent directory. The path found is relative to `cwd` as a user would type it
/// (`pinlock.yml`, `../pinlock.yml`, `../../pinlock.yml`), so the lockfile, playbooks and
/// generated files, which are relative to the manifest's directory, print the same way from
/// any subdirectory. An explicit path is returned as given.
///
/// `cwd` should be absolute (`std::env::current_dir()`): a relative one is searched only as
/// far as its own components go.
pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<PathBuf, ManifestError> {
    if let Some(p) = explicit {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(ManifestError::Missing {
                path: p.to_path_buf(),
            })
        };
    }
    for (up, dir) in cwd.ancestors().enumerate() {
        if dir.join(MANIFEST_NAME).is_file() {
            let mut rel = PathBuf::new();
            for _ in 0..up {
                rel.push("..");
            }
            return Ok(rel.join(MANIFEST_NAME));
        }
    }
    Err(ManifestError::NotFound {
        start: cwd.to_path_buf(),
    })
}

/// `path` as pinlock prints it, in messages and in `--json`: without `.` components, so
/// `./pinlock.lock` and `pinlock.lock` print alike (`.` for the current directory itself).
pub fn display_path(path: &Path) -> String {
    let clean: PathBuf = path
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    if clean.as_os_str().is_empty() {
        ".".to_string()
    } else {
        clean.display().to_string()
    }
}

/// The release a suite feeds: the suite with `-updates`, `-security`, `-backports` or
/// `-proposed` removed (`bookworm-security` → `bookworm`).
pub fn release_of_suite(suite: &str) -> &str {
    for suffix in ["-updates", "-security", "-backports", "-proposed"] {
        if let Some(r) = suite.strip_suffix(suffix) {
            return r;
        }
    }
    suite
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The manifest is a leaf of the module graph as far as `update` and `lock` go (they
    /// depend on it; `update::UpdatePolicy` is a re-export of [`UpdatePolicy`]): no code line
    /// of the module (tests aside) names them.
    #[test]
    fn depends_on_nothing_in_update_or_lock() {
        for (file, text) in [
            ("manifest.rs", include_str!("manifest.rs")),
            (
                "manifest/update_policy.rs",
                include_str!("manifest/update_policy.rs"),
            ),
        ] {
            let text = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (i, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                for m in ["crate::update", "crate::lock", "crate::lockfile"] {
                    assert!(
                        !code.contains(m),
                        "{file}:{}: {m}: the manifest must not depend on it",
                        i + 1
                    );
                }
            }
        }
        #[cfg(feature = "online")]
        {
            let p: crate::update::UpdatePolicy = UpdatePolicy::default();
            let _: crate::update::policy::Allow = Allow::Patch;
            assert_eq!(p, crate::update::UpdatePolicy::default());
        }
    }

    #[test]
    fn exclude_globs_are_read() {
        let text = "sources:\n  - \"deb [signed-by=k.asc] https://x.example/debian buster main\"\nexclude: [roles/legacy, \"**/tests/**\"]\n";
        let m = Manifest::parse(text, Path::new("/p/pinlock.yml")).unwrap();
        assert_eq!(m.exclude, vec!["roles/legacy", "**/tests/**"]);
        let none = Manifest::parse(
            "sources:\n  - \"deb [signed-by=k.asc] https://x.example/debian buster main\"\n",
            Path::new("/p/pinlock.yml"),
        )
        .unwrap();
        assert!(none.exclude.is_empty());
        for bad in ["/etc/ansible", "../other", "roles/../../x", ""] {
            let text = format!("sources:\n  - \"deb [signed-by=k.asc] https://x.example/debian buster main\"\nexclude: [\"{bad}\"]\n");
            let e = Manifest::parse(&text, Path::new("/p/pinlock.yml")).unwrap_err();
            let e = e.to_string();
            assert!(
                e.contains("is not a path inside the project") && e.contains("hint:"),
                "{e}"
            );
            assert!(e.contains("pinlock.yml:3:"), "{e}");
        }
    }

    #[test]
    fn parses_both_source_forms() {
        let m = Manifest::parse(
            "sources:\n  - \"deb [arch=amd64 signed-by=keys/docker.asc] https://x.example/linux/debian buster stable\"\n  - url: http://y.example/debian\n    suites: [buster, buster-security]\n    components: main\n    signed-by: keys/debian.gpg\n    release: buster\npackages:\n  docker-ce: \"^23.0\"\n  containerd.io: 1.6\nplaybooks: [site.yml]\n",
            Path::new("ops/pinlock.yml"),
        )
        .unwrap();
        assert_eq!(m.dir, Path::new("ops"));
        assert_eq!(m.sources.len(), 2);
        assert_eq!(m.sources[1].spec.suites, ["buster", "buster-security"]);
        assert_eq!(m.sources[1].release.as_deref(), Some("buster"));
        assert_eq!(m.packages["containerd.io"], "1.6");
        assert!(m.recommends);
    }

    #[test]
    fn yaml_errors_have_line_and_column() {
        let e = Manifest::parse("sources: [\n  - x", Path::new("p.yml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.yml:2:"), "{e}");
        let e = Manifest::parse("sources: []\nfrobnicate: 1\n", Path::new("p.yml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("frobnicate"), "{e}");
    }

    #[test]
    fn waive_lists_package_names() {
        let m = Manifest::parse(
            "sources: [\"deb [arch=amd64] http://x.example/debian buster stable\"]\nwaive:\n  - pigz        # nice to have\n  - apparmor\n  - pigz\n",
            Path::new("p.yml"),
        )
        .unwrap();
        assert_eq!(
            m.waive.iter().map(String::as_str).collect::<Vec<_>>(),
            ["apparmor", "pigz"]
        );
        let m = Manifest::parse(
            "sources: [\"deb [arch=amd64] http://x.example/debian buster stable\"]\n",
            Path::new("p.yml"),
        )
        .unwrap();
        assert!(m.waive.is_empty());
    }

    #[test]
    fn waive_refuses_what_is_not_a_package_name_with_its_line() {
        for bad in [
            "\"pigz (>= 2)\"",
            "x",
            "\"-pigz\"",
            "\"pigz | gzip\"",
            "ca_certificates",
        ] {
            let e = Manifest::parse(
                &format!("sources: [\"deb [arch=amd64] http://x.example/debian buster stable\"]\nwaive:\n  - apparmor\n  - {bad}\n"),
                Path::new("p.yml"),
            )
            .unwrap_err()
            .to_string();
            assert!(e.starts_with("p.yml:4:"), "{e}");
            assert!(e.contains("is not a Debian package name"), "{e}");
            assert!(e.contains("\nhint: "), "{e}");
        }
        let e = Manifest::parse(
            "sources: [\"deb [arch=amd64] http://x.example/debian buster stable\"]\nwaive: [apparmor, pi_gz]\nrecommends: true\n",
            Path::new("p.yml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("p.yml:2: waive: \"pi_gz\""), "{e}");
        let e = Manifest::parse(
            "sources: [\"deb [arch=amd64] http://x.example/debian buster stable\"]\nwaive: pigz\n",
            Path::new("p.yml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("p.yml:2:"), "{e}");
    }

    #[test]
    fn enforce_is_a_source_map_option() {
        let m = Manifest::parse(
            "sources:\n  - \"deb [arch=amd64] http://x.example/debian buster stable\"\n  - url: http://y.example/debian\n    suites: [buster, buster-security]\n    components: main\n    enforce: false\n  - url: http://z.example/debian\n    suites: buster\n    components: main\n",
            Path::new("p.yml"),
        )
        .unwrap();
        let enforce: Vec<bool> = m.sources.iter().map(|s| s.enforce).collect();
        assert_eq!(enforce, [true, false, true]);
        // the one-line form cannot carry it: an option apt does not know is refused there
        let e = Manifest::parse(
            "sources:\n  - url: http://y.example/debian\n    suites: buster\n    components: main\n    enforce: maybe\n",
            Path::new("p.yml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("p.yml:"), "{e}");
    }

    #[test]
    fn discover_searches_parent_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let deep = root.join("roles/docker/tasks");
        std::fs::create_dir_all(&deep).unwrap();
        // none anywhere up to the temp dir's parents (a stray /tmp/pinlock.yml aside)
        if !root.ancestors().any(|d| d.join(MANIFEST_NAME).exists()) {
            let e = discover(None, &deep).unwrap_err();
            assert!(matches!(e, ManifestError::NotFound { .. }), "{e}");
            assert!(e.to_string().contains("\nhint: run `pinlock init`"), "{e}");
        }
        std::fs::write(root.join(MANIFEST_NAME), "sources: []\n").unwrap();
        assert_eq!(discover(None, root).unwrap(), Path::new("pinlock.yml"));
        assert_eq!(
            discover(None, &deep).unwrap(),
            Path::new("../../../pinlock.yml")
        );
        // the nearest one wins
        std::fs::write(root.join("roles").join(MANIFEST_NAME), "sources: []\n").unwrap();
        assert_eq!(
            discover(None, &deep).unwrap(),
            Path::new("../../pinlock.yml")
        );
        // an explicit path is taken as given, and must exist
        let other = root.join("ansible/pinlock.yml");
        assert!(matches!(
            discover(Some(&other), &deep).unwrap_err(),
            ManifestError::Missing { .. }
        ));
        std::fs::create_dir_all(root.join("ansible")).unwrap();
        std::fs::write(&other, "sources: []\n").unwrap();
        assert_eq!(discover(Some(&other), &deep).unwrap(), other);
    }

    #[test]
    fn unknown_source_keys_have_line_column_and_did_you_mean() {
        let e = |text: &str| {
            Manifest::parse(text, Path::new("p.yml"))
                .unwrap_err()
                .to_string()
        };
        let line = "  - \"deb [arch=amd64] http://x.example/debian buster stable\"\n";
        // the second source, a map: its unknown key's own line and column
        let t = e(&format!(
            "sources:\n{line}  - url: http://y.example/debian\n    suites: buster\n    components: main\n    signed_by: k.asc\n"
        ));
        assert!(
            t.starts_with(
                "p.yml:6:5: sources[1]: unknown key `signed_by`\nhint: did you mean `signed-by`?"
            ),
            "{t}"
        );
        // an item opened by `-` alone on its line
        let t = e("sources:\n  -\n    url: http://y.example/debian\n    suites: buster\n    component: main\n");
        assert!(
            t.starts_with("p.yml:5:5: sources[0]: unknown key `component`"),
            "{t}"
        );
        assert!(t.contains("did you mean `components`?"), "{t}");
        // flow style has no lines to point at: a message that says what a source is
        let t = e(
            "sources: [{url: http://y.example/debian, suites: buster, components: main, dbe: 1}]\n",
        );
        assert!(t.starts_with("p.yml:1:"), "{t}");
        assert!(t.contains("a source is a line"), "{t}");
        assert!(t.contains("\nhint: "), "{t}");
        // a one-line source's error carries its line
        let t = e(&format!(
            "sources:\n{line}  - \"deb [sigend-by=k.asc] http://x.example/debian buster stable\"\n"
        ));
        assert!(t.starts_with("p.yml:3: sources[1]: "), "{t}");
        assert!(t.contains("did you mean `signed-by`?"), "{t}");
        // a top-level key
        let t = e(&format!("sources:\n{line}pakages: {{}}\n"));
        assert!(t.contains("hint: did you mean `packages`?"), "{t}");
    }

    #[test]
    fn display_path_drops_dot_components() {
        assert_eq!(display_path(Path::new("./pinlock.lock")), "pinlock.lock");
        assert_eq!(display_path(Path::new("pinlock.lock")), "pinlock.lock");
        assert_eq!(display_path(Path::new("./a/./b.yml")), "a/b.yml");
        assert_eq!(
            display_path(Path::new("../pinlock.lock")),
            "../pinlock.lock"
        );
        assert_eq!(display_path(Path::new(".")), ".");
        assert_eq!(display_path(Path::new("/x/./y")), "/x/y");
    }

    #[test]
    fn release_names() {
        assert_eq!(release_of_suite("bookworm-security"), "bookworm");
        assert_eq!(release_of_suite("buster"), "buster");
    }
}
