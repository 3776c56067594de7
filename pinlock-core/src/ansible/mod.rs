//! Surgical rewriting of Ansible apt tasks to locked versions (`pinlock pin`).
//!
//! # What is rewritten
//! Tasks using `apt`, `ansible.builtin.apt`, `ansible.legacy.apt`, `package` or
//! `ansible.builtin.package` (in plays' `pre_tasks`/`tasks`/`post_tasks`/`handlers`, task files,
//! handler files, nested `block`/`rescue`/`always`, every document of a multi-document file) whose
//! package names (`name`, `pkg` or `package`; a list in block or flow style, a string, a
//! comma-separated string, a free-form `name=x state=latest` string, or `loop`/`with_items` with
//! `"{{ item }}"`) contain packages of the [`Pins`]:
//! - each pinned package is written `name=version` (an existing `=version`/wildcard is replaced);
//! - `state: latest` becomes `present`;
//! - `allow_downgrade: true` and `allow_change_held_packages: true` are added (without the latter,
//!   moving a pin on a held package fails). Both need ansible-core >= 2.13;
//! - one hold task named [`HOLD_TASK_NAME`] follows the install task: `ansible.builtin.dpkg_selections`
//!   with `selection: hold`, looping over the pinned names, copying the install task's `become`,
//!   `become_user`, `when` and `tags`. It has `ignore_errors: "{{ ansible_check_mode }}"`: in check
//!   mode the install is only simulated, so dpkg does not know a new package yet and
//!   `dpkg_selections` would fail; in a real run errors stay fatal. (`when: not ansible_check_mode`
//!   would hide the hold from check mode altogether.) A re-run finds the hold task by its name right
//!   after the install task and updates it instead of adding another: pinning twice equals pinning once.
//!   After an install *handler* the hold handler `listen`s to the install handler's name and
//!   `listen` topics, so it runs whenever the install handler is notified.
//!   When the names come from a variable, the hold task lists the pinned packages found in all of
//!   the variable's definitions.
//!
//! Names and state given as `"{{ var }}"` are followed to the variable's definitions in play
//! `vars:` and in any given file whose document is a mapping (role `defaults/` and `vars/`,
//! `group_vars/`, `host_vars/`, `vars_files`); the definition is rewritten. Packages not in the pins,
//! `deb:` installs, removals (`state: absent` etc.) and other modules are left alone.
//!
//! # Never damaging files
//! Edits are byte splices at spans found by `saphyr-parser` (character positions converted to
//! bytes). Everything outside the edited values stays byte-identical: comments, blank lines,
//! quoting, flow/block style, key order, CRLF, a missing final newline, `---`/`...`, a UTF-8 BOM.
//! New keys and tasks use the file's own indentation and line endings. The result is re-parsed and
//! compared with the original structure plus the intended edits; on any difference the file is
//! left untouched and a warning says so.
//! Free-form arguments (`apt: name="docker-ce" state=latest update_cache=yes`, `name='a,b'`,
//! `name=a,b,c`) are read as ansible-core's `split_args`/`parse_kv` read them and edited in place;
//! the edited string must parse back to exactly the intended options (appended `allow_*` options
//! go on a continuation line when the line would pass 160 characters).
//! Where an edit is unsafe (anchor or alias on the node, Jinja that builds the list, free-form
//! arguments with backslashes or unbalanced quotes) that task or variable definition is left as it is and a [`PinWarning`] gives
//! file:line and why; the file's other tasks are still pinned (a template file passed explicitly
//! is not edited at all). The host enforcement (see [`enforce`]) still pins what such a task
//! installs. YAML
//! syntax errors, non-UTF-8 bytes and tabs in indentation are a [`PinError`] with file:line:column
//! from [`pin_source`]; [`pin_paths`] skips such a file with a file:line warning (and, with the
//! host enforcement, reports it as not covered when it names locked packages) and goes on. A tab
//! that continues a quoted scalar is not indentation (PyYAML, and so Ansible, read it).
//!
//! # Several targets
//! With one target in the pins (or [`PinOptions::target`] set) versions are written literally.
//! With several targets, one playbook must serve all hosts, so the version is looked up per host:
//! package tokens become `docker-ce={{ pinlock_pins['docker-ce'] }}` and [`PinReport`] carries a
//! generated variables file (see [`multi_target_vars`]) that maps `"<release>/<dpkg arch>"` to
//! `package: version`, and computes `pinlock_pins` for the host from `ansible_distribution_release`
//! and `ansible_architecture` mapped to dpkg's names (`x86_64` -> `amd64`, `aarch64` -> `arm64`,
//! `armv7l` -> `armhf`, `i686`/`i386` -> `i386`, `ppc64le` -> `ppc64el`, `s390x`). The caller writes it
//! where Ansible loads it for every host, e.g. `group_vars/all/pinlock.yml` next to the playbook.
//! Facts must be gathered. A host whose target or package is missing fails with an undefined
//! variable instead of installing an unpinned version. In free-form arguments the lookups stay
//! one parameter (ansible-core's splitter keeps a `{{ ... }}` block together).

mod coverage;
pub mod enforce;
pub(crate) mod plan;
pub mod project;
mod splice;
mod targets;
mod walk;
pub(crate) mod when;
mod wire;
pub(crate) mod yaml;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use coverage::{role_of, uncovered, wiring_for, Coverage};
pub use plan::HOLD_TASK_NAME;
use plan::{Planner, VarInfo, VersionSource};
use targets::{choose_versions, Versions};
pub use targets::{multi_target_vars, DPKG_ARCHES};
pub use walk::Exclude;
use walk::{is_template, read_file, unreadable, walk};

/// Exact versions to pin, per target and package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pins {
    /// `"release/dpkg-arch"` (e.g. `"buster/amd64"`) -> package -> exact version.
    pub targets: BTreeMap<String, BTreeMap<String, String>>,
}

impl From<&crate::lockfile::Lockfile> for Pins {
    /// Every locked package of every target of a lockfile.
    fn from(lock: &crate::lockfile::Lockfile) -> Pins {
        Pins {
            targets: lock
                .targets
                .iter()
                .map(|(t, lt)| {
                    let pkgs = lt
                        .packages
                        .iter()
                        .map(|(n, p)| (n.clone(), p.version.clone()));
                    (t.clone(), pkgs.collect())
                })
                .collect(),
        }
    }
}

/// Options for pinning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PinOptions {
    /// Write literal versions of this one target (`"release/arch"`) even when the pins have several.
    pub target: Option<String>,
    /// The directory of the host enforcement files ([`enforce::ENFORCE_FILE`],
    /// [`enforce::HOLD_FILE`]). When set, every play that may install packages imports them
    /// (first in `pre_tasks`, last in `post_tasks`), and [`PinReport::uncovered`] lists what no
    /// such play runs. The caller writes the files (see [`enforce::enforce_tasks`]).
    pub enforce_dir: Option<PathBuf>,
    /// What directory walks skip besides hidden directories, `templates/`, `files/` and
    /// `molecule/` (paths given explicitly are always read).
    pub exclude: Exclude,
}

/// One planned change, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinEdit {
    /// The file changed.
    pub path: PathBuf,
    /// 1-based line of the change in the original file.
    pub line: usize,
    /// What changes, e.g. `pin docker-ce` or `add hold task: docker-ce`.
    pub description: String,
}

impl fmt::Display for PinEdit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.path.display(),
            self.line,
            self.description
        )
    }
}

/// Something pinlock did not change and the user should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinWarning {
    /// The file concerned.
    pub path: PathBuf,
    /// 1-based line (of the pinned text for a line-length warning, else of the original).
    pub line: usize,
    /// Why it was left alone, or what to look at.
    pub message: String,
}

impl fmt::Display for PinWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

/// The result of pinning one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PinOutcome {
    /// The new text, when it differs from the input; `None` when nothing changes (or refused).
    pub new_text: Option<String>,
    /// The changes made (empty when refused).
    pub edits: Vec<PinEdit>,
    /// What was left alone and why; a refusal leaves the whole file untouched.
    pub warnings: Vec<PinWarning>,
}

/// A planned change of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The file.
    pub path: PathBuf,
    /// Its current content.
    pub old_text: String,
    /// Its new content.
    pub new_text: String,
}

/// All planned changes of a [`pin_paths`] run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PinReport {
    /// Files that change, sorted by path.
    pub changes: Vec<FileChange>,
    /// Every edit, in file and line order.
    pub edits: Vec<PinEdit>,
    /// Everything left alone, in file and line order.
    pub warnings: Vec<PinWarning>,
    /// With several targets and no forced target: the variables file the playbooks now need
    /// (see the module docs); `None` otherwise.
    pub multi_target_vars: Option<String>,
    /// With [`PinOptions::enforce_dir`]: installs the host enforcement does not reach, even
    /// after the planned changes: a play that could not be wired, or a task file with apt
    /// installs that no wired play of the given files runs. `pin --check` fails on these.
    pub uncovered: Vec<PinWarning>,
    /// With [`PinOptions::enforce_dir`]: how many plays import the enforcement once the planned
    /// changes are applied.
    pub enforced_plays: usize,
}

/// Errors of pinning; the files concerned are left untouched.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// The YAML does not parse.
    #[error("{}:{line}:{col}: invalid YAML: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        col: usize,
        /// The parser's message.
        message: String,
    },
    /// The file is not UTF-8.
    #[error("{}:{line}:{col}: file is not valid UTF-8\nhint: Ansible files must be UTF-8; re-encode the file", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (byte) of the first invalid byte.
        col: usize,
    },
    /// A tab is used for indentation.
    #[error("{}:{line}:{col}: tab used for indentation\nhint: YAML indentation must be spaces", path.display())]
    TabIndent {
        /// The file.
        path: PathBuf,
        /// 1-based line of the tab.
        line: usize,
        /// 1-based column of the tab.
        col: usize,
    },
    /// Reading, writing or walking failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The forced target is not in the pins.
    #[error("target {target} is not in the lockfile (it has: {known})\nhint: pass one of the lockfile's targets as release/arch")]
    UnknownTarget {
        /// The target asked for (`release/arch`).
        target: String,
        /// The targets the pins have, comma-separated.
        known: String,
    },
    /// The pins have no target at all.
    #[error("the pins have no targets\nhint: run `pinlock lock` first")]
    NoTargets,
}

/// Line length above which ansible-lint's yaml rule complains; longer pinned lines get a warning.
pub(crate) const MAX_LINE: usize = 160;

/// A file read and parsed, ready for planning.
struct Loaded {
    path: PathBuf,
    original: String,
    bom: bool,
    docs: Vec<yaml::Node>,
}

/// Takes the text by value: it is kept as `original`, and a copy would cost the file's size.
fn load(path: &Path, text: String) -> Result<Loaded, PinError> {
    load_or_return(path, text).map_err(|(e, _)| e)
}

/// [`load`], giving the text back with the error.
fn load_or_return(path: &Path, text: String) -> Result<Loaded, (PinError, String)> {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let docs = match yaml::parse(body) {
        Ok(d) => d,
        Err(e) => {
            let err = if e.message == "tab cannot be used as indentation" {
                PinError::TabIndent {
                    path: path.to_path_buf(),
                    line: e.line,
                    col: e.col,
                }
            } else {
                PinError::Syntax {
                    path: path.to_path_buf(),
                    line: e.line,
                    col: e.col,
                    message: e.message,
                }
            };
            return Err((err, text));
        }
    };
    Ok(Loaded {
        path: path.to_path_buf(),
        original: text,
        bom,
        docs,
    })
}

fn plan_loaded(
    f: &Loaded,
    versions: &dyn VersionSource,
    vars: &VarInfo,
    wiring: Option<&wire::Wiring>,
) -> Result<(PinOutcome, Coverage), PinError> {
    let body = if f.bom {
        &f.original['\u{feff}'.len_utf8()..]
    } else {
        &f.original[..]
    };
    // the file's first line break decides: one stray `\r\n` elsewhere (an edit after a lone
    // `\r`, a pasted line) must not switch the style, or a second pin would rewrite it
    let eol = match body.find('\n') {
        Some(i) if body[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    };
    let mut planner = Planner {
        path: &f.path,
        text: body,
        docs: &f.docs,
        versions,
        vars,
        eol,
        unit: plan::detect_unit(&f.docs),
        plan: Default::default(),
        in_handlers: false,
        line_starts: plan::line_starts(body),
        foreign: false,
        wiring,
    };
    planner.run();
    let mut plan = planner.plan;
    let mut coverage = Coverage {
        refused: plan.refused,
        installs: std::mem::take(&mut plan.installs),
        plays: std::mem::take(&mut plan.plays),
        refs: std::mem::take(&mut plan.refs),
    };
    if plan.refused || plan.splices.is_empty() {
        return Ok((
            PinOutcome {
                new_text: None,
                edits: Vec::new(),
                warnings: plan.warnings,
            },
            coverage,
        ));
    }
    let checked = splice::apply(body, &plan.splices)
        .and_then(|new_body| splice::verify(&f.docs, &new_body, &plan.ops).map(|()| new_body));
    let new_body = match checked {
        Ok(b) => b,
        Err(message) => {
            // never write what does not re-parse to exactly the intended change
            let mut warnings = plan.warnings;
            warnings.push(PinWarning {
                path: f.path.clone(),
                line: plan.edits.first().map_or(1, |e| e.line),
                message: format!(
                    "file left untouched: the edited text did not verify ({message}); this is a pinlock bug, please report it"
                ),
            });
            coverage.refused = true;
            return Ok((
                PinOutcome {
                    new_text: None,
                    edits: Vec::new(),
                    warnings,
                },
                coverage,
            ));
        }
    };
    let mut warnings = plan.warnings;
    // only long lines matter: a set of every line of a 20 MB file cost ~25 MB
    let is_long = |line: &&str| line.len() > MAX_LINE;
    let old_long: std::collections::BTreeSet<&str> = body.lines().filter(is_long).collect();
    for (i, line) in new_body.lines().enumerate() {
        if !is_long(&line) {
            continue;
        }
        let len = line.trim_end_matches('\r').chars().count();
        if len > MAX_LINE && !old_long.contains(line) {
            warnings.push(PinWarning {
                path: f.path.clone(),
                line: i + 1,
                message: format!(
                    "after pinning, this line of the file is {len} characters long (ansible-lint yaml[line-length] allows {MAX_LINE}); consider writing it in block style"
                ),
            });
        }
    }
    let new_text = if f.bom {
        format!("\u{feff}{new_body}")
    } else {
        new_body
    };
    let mut edits = plan.edits;
    edits.sort_by_key(|e| e.line);
    Ok((
        PinOutcome {
            new_text: (new_text != f.original).then_some(new_text),
            edits,
            warnings,
        },
        coverage,
    ))
}

/// Pins the apt tasks of one file's `text` (`path` is used for messages only).
///
/// Variables are resolved within this file only (play `vars:`, or the file itself when it is a
/// variables mapping); use [`pin_paths`] to follow them across files. Returns the new text when
/// something changes; `Err` for invalid YAML, tabs in indentation, an unknown target, or an edit
/// that would not verify.
pub fn pin_source(
    path: &Path,
    text: &str,
    pins: &Pins,
    opts: &PinOptions,
) -> Result<PinOutcome, PinError> {
    let versions = choose_versions(pins, opts)?;
    let f = load(path, text.to_string())?;
    let mut vars = VarInfo::default();
    plan::collect_cross_platform(&f.path, &f.docs, &mut vars);
    plan::collect_var_refs(&f.path, &f.docs, &mut vars);
    plan::collect_var_pins(&f.docs, versions.source(), &mut vars);
    let wiring = opts.enforce_dir.as_deref().map(|d| wiring_for(path, d));
    plan_loaded(&f, versions.source(), &vars, wiring.as_ref()).map(|(out, _)| out)
}

/// Pins every YAML file under `paths` (files are taken as given; directories are walked for
/// `.yml`/`.yaml`, skipping hidden directories, `templates/`, `files/`, `molecule/` and
/// [`PinOptions::exclude`]).
///
/// Variables used by apt tasks are followed to their definitions in any of the files. Returns all
/// planned changes (nothing is written; see [`PinReport::apply`]). A file that cannot be read or
/// parsed is skipped with a warning (see the module docs); `Err` when a given path cannot be
/// walked or the pins are unusable.
pub fn pin_paths(paths: &[PathBuf], pins: &Pins, opts: &PinOptions) -> Result<PinReport, PinError> {
    let versions = choose_versions(pins, opts)?;
    let mut files = Vec::new();
    for p in paths {
        walk(p, &opts.exclude, &mut files)?;
    }
    files.sort();
    files.dedup();
    let mut loaded = Vec::new();
    let mut skipped = Vec::new();
    let mut template_warnings = Vec::new();
    for p in &files {
        if is_template(p) {
            template_warnings.push(PinWarning {
                path: p.clone(),
                line: 1,
                message: "template file (rendered by Jinja before it is YAML); not edited".into(),
            });
            continue;
        }
        match read_file(p) {
            Ok(f) => loaded.push(f),
            Err((e, text)) => skipped.push((p.clone(), e, text)),
        }
    }
    let mut vars = VarInfo::default();
    for f in &loaded {
        plan::collect_cross_platform(&f.path, &f.docs, &mut vars);
    }
    for f in &loaded {
        plan::collect_var_refs(&f.path, &f.docs, &mut vars);
    }
    for f in &loaded {
        plan::collect_var_pins(&f.docs, versions.source(), &mut vars);
    }
    let mut report = PinReport {
        warnings: template_warnings,
        ..Default::default()
    };
    let mut coverage = Vec::new();
    for f in &loaded {
        let wiring = opts.enforce_dir.as_deref().map(|d| wiring_for(&f.path, d));
        let (out, cov) = plan_loaded(f, versions.source(), &vars, wiring.as_ref())?;
        coverage.push((f.path.clone(), cov));
        report.edits.extend(out.edits);
        report.warnings.extend(out.warnings);
        if let Some(new_text) = out.new_text {
            report.changes.push(FileChange {
                path: f.path.clone(),
                old_text: f.original.clone(),
                new_text,
            });
        }
    }
    // the per-host versions file only when a file (as pinned) looks versions up in it
    let uses_pins = |t: &str| t.contains("pinlock_pins[");
    let used = report.changes.iter().any(|c| uses_pins(&c.new_text))
        || loaded
            .iter()
            .filter(|f| !report.changes.iter().any(|c| c.path == f.path))
            .any(|f| uses_pins(&f.original));
    if let (Versions::Multi(_), true) = (&versions, used) {
        report.multi_target_vars = Some(multi_target_vars(pins));
    }
    if opts.enforce_dir.is_some() {
        (report.uncovered, report.enforced_plays) = uncovered(&coverage);
    }
    // files pinlock cannot read: skipped, said so, and not covered when they name locked packages
    let locked: std::collections::BTreeSet<&str> = pins
        .targets
        .values()
        .flat_map(|m| m.keys().map(String::as_str))
        .collect();
    for (path, err, text) in skipped {
        let (line, why) = unreadable(&err);
        report.warnings.push(PinWarning {
            path: path.clone(),
            line,
            message: format!(
                "pinlock cannot read this file ({why}), so it is neither pinned nor checked\nhint: fix it, or list it under `exclude:` in pinlock.yml if Ansible never reads it"
            ),
        });
        let names_locked = locked.iter().any(|p| text.contains(p));
        if opts.enforce_dir.is_some() && names_locked {
            report.uncovered.push(PinWarning {
                path,
                line,
                message: "pinlock cannot read this file and it names locked packages, so what it installs is not checked\nhint: fix the file (see the warning above) and run `pinlock pin`".into(),
            });
        }
    }
    report
        .warnings
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    report
        .uncovered
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    Ok(report)
}

/// A unified diff (3 lines of context) from `old` to `new`, headed `a/<path>` / `b/<path>` for a
/// relative path and `<path>` for an absolute one; empty when they are equal.
pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let name = path.display().to_string();
    let (a, b) = if path.is_absolute() {
        (name.clone(), name)
    } else {
        (format!("a/{name}"), format!("b/{name}"))
    };
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

impl PinReport {
    /// Whether nothing would change (for `--check`).
    pub fn is_clean(&self) -> bool {
        self.changes.is_empty()
    }

    /// The unified diff of every change, in path order.
    pub fn diff(&self) -> String {
        self.changes
            .iter()
            .map(|c| unified_diff(&c.path, &c.old_text, &c.new_text))
            .collect()
    }

    /// Writes each changed file atomically (temporary file in the same directory, fsync, rename),
    /// keeping its permissions. Returns the first I/O error; files written before it stay written.
    pub fn apply(&self) -> Result<(), PinError> {
        for c in &self.changes {
            write_atomic(&c.path, c.new_text.as_bytes())?;
        }
        Ok(())
    }
}

/// Replaces `path` with `data` atomically, keeping the file's permissions; a symlink is
/// followed, so its target is replaced and the link stays.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), PinError> {
    crate::fsutil::write_atomic(path, data)
        .map(drop)
        .map_err(|source| PinError::Io {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::coverage::collection_role_of;
    use super::*;

    #[test]
    fn exclude_globs_match_relative_paths() {
        let ex = Exclude {
            base: PathBuf::from("/p"),
            globs: vec![
                "roles/legacy".into(),
                "**/tests/**".into(),
                "roles/*/molecule/".into(),
                "playbooks/old-?.yml".into(),
            ],
        };
        let m = |p: &str| ex.matches(Path::new(p));
        assert!(m("/p/roles/legacy"));
        assert!(!m("/p/roles/legacy2"));
        assert!(m("/p/tests"));
        assert!(m("/p/roles/docker/tests"));
        assert!(m("/p/roles/docker/tests/test.yml"));
        assert!(!m("/p/roles/docker/tasks/tests.yml"));
        assert!(m("/p/roles/docker/molecule"));
        assert!(!m("/p/roles/a/b/molecule"));
        assert!(m("/p/playbooks/old-1.yml"));
        assert!(!m("/p/playbooks/old-12.yml"));
        assert!(!m("/p/playbooks/x/old-1.yml"));
        // outside the base, and the base itself, never match
        assert!(!m("/q/roles/legacy"));
        assert!(!m("/p"));
        // relative paths are taken from the current directory, like the walk's
        let here = Exclude {
            base: PathBuf::from("."),
            globs: vec!["roles/legacy".into()],
        };
        assert!(here.matches(Path::new("roles/legacy")));
        assert!(here.matches(Path::new("./roles/../roles/legacy")));
        assert!(!Exclude::default().matches(Path::new("roles/legacy")));
    }

    #[test]
    fn collection_roles_have_their_fqcn() {
        assert_eq!(
            collection_role_of(Path::new(
                "c/ansible_collections/acme/infra/roles/containers/tasks/main.yml"
            ))
            .as_deref(),
            Some("acme.infra.containers")
        );
        assert_eq!(
            collection_role_of(Path::new("roles/docker/tasks/main.yml")),
            None
        );
    }
}
