//! `pinlock init`: a starter manifest from existing playbooks, one a user can run — never one
//! full of Jinja fragments.
//!
//! - Sources come from `apt_repository` (`repo:`) and `deb822_repository` tasks. Their Jinja is
//!   evaluated statically (see `jinja.rs` for the subset) with the role's `defaults/` and
//!   `vars/`, the plays' `vars:`/`vars_files:` and `group_vars/`; the facts
//!   (`ansible_distribution_release`, `ansible_lsb.codename`, `ansible_distribution`,
//!   `ansible_distribution_version`, `ansible_distribution_major_version`, `ansible_os_family`,
//!   `ansible_architecture`, also as `ansible_facts.*`) are those of the targets the user names
//!   ([`InitOptions::targets`]), giving one literal source per release with `arch=` listing the
//!   targets' architectures.
//! - Packages come from the apt/package tasks of the roles and playbooks that add a repository
//!   (or of every file, when none does), evaluated the same way; only valid Debian package names
//!   are written.
//! - Whatever cannot be resolved is a [`Placeholder`]: a commented line in the manifest with its
//!   `file:line` and what to fill in, and an entry of the summary.
//! - Only Debian-family work counts: tasks whose `when` is about another OS family, files named
//!   for one (`setup-RedHat.yml`), and yum/rpm repository URLs contribute nothing.
//! - Keys: each `signed-by` becomes `keys/<file>`; the download the role does becomes a
//!   [`KeyFile`] with a one-line command to fetch it (and, for Docker's repositories, to check
//!   its fingerprint).
//!
//! This module only reads playbooks; it never edits them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

mod discover;
mod env;
mod jinja;
mod packages;
mod render;
mod sources;

pub use env::{distribution_of, Target};
pub use render::render_manifest;
pub use sources::{KeyFile, DOCKER_FINGERPRINT, DOCKER_PACKAGES, DOCKER_URL};

use discover::{Found, Loc, ScopeData};
use env::Env;
use jinja::Unresolved;
use sources::{Outcome, Resolved};

/// Packages roles install in order to add a repository (transport, keys, the apt Python
/// bindings): they come from the distribution's own repository, never from the one added.
pub const REPOSITORY_PREREQUISITES: &[&str] = &[
    "apt-transport-https",
    "ca-certificates",
    "curl",
    "dirmngr",
    "gnupg",
    "gnupg2",
    "gpg",
    "lsb-release",
    "python-apt",
    "python3-apt",
    "python3-debian",
    "software-properties-common",
];

/// What `init` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// The releases and architectures the fleet runs; facts are expanded for them.
    pub targets: Vec<Target>,
    /// File names in placeholders and notes are shown relative to this directory.
    pub base: Option<PathBuf>,
}

/// Which part of the manifest a placeholder belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// `sources:`.
    Sources,
    /// `packages:`.
    Packages,
}

impl Section {
    /// `sources` or `packages`.
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Sources => "sources",
            Section::Packages => "packages",
        }
    }
}

/// Something init could not resolve: written as a comment in the manifest and listed in the
/// summary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Placeholder {
    /// `sources` or `packages`.
    pub section: Section,
    /// The file, as shown (relative to [`InitOptions::base`]).
    pub file: String,
    /// 1-based line of the task.
    pub line: usize,
    /// The expression or value that could not be used.
    pub text: String,
    /// Why.
    pub reason: String,
    /// The targets it failed for (empty: all, or none was named).
    pub targets: Vec<String>,
    /// What to write instead.
    pub fill: String,
}

impl std::fmt::Display for Placeholder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.text, self.reason
        )?;
        if !self.targets.is_empty() {
            write!(f, " (for {})", self.targets.join(", "))?;
        }
        write!(f, "; {}", self.fill)
    }
}

/// What `init` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitScan {
    /// Literal one-line sources, sorted, deduplicated.
    pub sources: Vec<String>,
    /// Valid Debian package names installed next to those repositories.
    pub packages: BTreeSet<String>,
    /// Valid package names installed next to Docker's repository that Docker does not serve
    /// (they come from the distribution's repository, which the manifest does not list, so
    /// `lock` could not find them): written commented out.
    pub other_packages: BTreeSet<String>,
    /// The key files the sources name, sorted by path.
    pub keys: Vec<KeyFile>,
    /// What could not be resolved, sorted.
    pub placeholders: Vec<Placeholder>,
    /// Commented source lines to start from when no repository task was found.
    pub templates: Vec<String>,
    /// Other things the user must know or do, sorted.
    pub notes: Vec<String>,
    /// Whether naming targets (`--target`) would have resolved more.
    pub needs_targets: bool,
}

impl InitScan {
    /// Everything the user must do before `pinlock lock`, one line each: placeholders, keys,
    /// notes (the summary `init` prints).
    pub fn todo(&self) -> Vec<String> {
        let mut out: Vec<String> = self.placeholders.iter().map(|p| p.to_string()).collect();
        for k in &self.keys {
            out.push(match k.command() {
                Some(c) => format!("{}: fetch the key: {c}", k.path),
                None => format!(
                    "{}: copy this repository's signing key here (no download of it was found)",
                    k.path
                ),
            });
        }
        out.extend(self.notes.iter().cloned());
        if self.needs_targets {
            out.push("some values depend on the hosts' release or architecture\nhint: name the releases and architectures you run, e.g. `pinlock init --target bookworm/amd64 --target jammy/arm64`".into());
        }
        out
    }
}

/// Reading a playbook failed.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// I/O error.
    #[error("cannot read {path}: {source}\nhint: pass the playbooks, task files and role directories to read (default: the current directory)")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// YAML error.
    #[error("{path}:{line}: {message}\nhint: init reads YAML playbooks, task files and roles; fix the file or leave it out")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Scans playbooks, task files and role directories (directories are walked for `.yml` and
/// `.yaml`, skipping hidden directories, `templates/`, `files/` and `molecule/`; the
/// `group_vars/` next to each path is read too).
pub fn scan(paths: &[PathBuf], opts: &InitOptions) -> Result<InitScan, InitError> {
    let files = discover::collect_files(paths)?;
    let found = discover::read_all(&files, opts.base.as_deref())?;
    Ok(evaluate(&found, opts))
}

/// Runs `f` once per target (once with `None` when no target is named) and collects what failed
/// into one placeholder per distinct failure.
struct Failures {
    by: BTreeMap<(Loc, String, String), (BTreeSet<String>, bool)>,
}

impl Failures {
    fn add(&mut self, loc: &Loc, e: Unresolved, target: Option<&Target>) {
        let entry = self
            .by
            .entry((
                loc.clone(),
                e.expr.split_whitespace().collect::<Vec<_>>().join(" "),
                e.reason,
            ))
            .or_default();
        if let Some(t) = target {
            entry.0.insert(t.to_string());
        }
        entry.1 |= e.needs_target;
    }
}

fn targets_or_none(opts: &InitOptions) -> Vec<Option<&Target>> {
    if opts.targets.is_empty() {
        vec![None]
    } else {
        opts.targets.iter().map(Some).collect()
    }
}

fn evaluate(found: &Found, opts: &InitOptions) -> InitScan {
    let mut out = InitScan::default();
    let targets = targets_or_none(opts);
    let all_targets: BTreeSet<String> = opts.targets.iter().map(Target::to_string).collect();
    let mut source_failures = Failures {
        by: BTreeMap::new(),
    };
    let mut package_failures = Failures {
        by: BTreeMap::new(),
    };
    let mut resolved: Vec<Resolved> = Vec::new();
    let mut notes: BTreeSet<String> = found.unreadable.iter().cloned().collect();
    let has_repo = |s: &ScopeData| !s.repos.is_empty() || !s.shell_repos.is_empty();
    let any_repo = found.scopes.values().any(|s| !s.repos.is_empty());
    let any_scope_repo = found.scopes.values().any(has_repo);
    for scope in found.scopes.values() {
        for task in &scope.repos {
            for t in &targets {
                let mut env = Env::new(found, scope, *t);
                env.extra = task.ctx.vars.clone();
                if !env.may_hold(&task.ctx.when) {
                    continue;
                }
                match sources::resolve(task, &scope.keys, &env) {
                    Ok(Outcome::Source(r)) => {
                        if let Some(t) =
                            t.filter(|t| !r.archs.is_empty() && !r.archs.contains(&t.arch))
                        {
                            notes.insert(format!(
                                "{}: the line's arch= is {}: target {t} gets no architecture from it",
                                task.loc,
                                r.archs.iter().cloned().collect::<Vec<_>>().join(",")
                            ));
                        }
                        resolved.push(r)
                    }
                    Ok(Outcome::OtherDistribution(d)) => {
                        if let Some(t) = t {
                            notes.insert(format!(
                                "{}: the repository is {d}'s; target {t} is not {d}: no source for it from this task",
                                task.loc
                            ));
                        }
                    }
                    Ok(Outcome::Ignored) => {}
                    Err(e) => source_failures.add(&task.loc, e, *t),
                }
            }
        }
        for loc in &scope.shell_repos {
            notes.insert(format!(
                "{loc}: adds a repository in a way init does not read (a shell step, a template): write its source line under sources:"
            ));
        }
        for loc in &scope.inline_keys {
            notes.insert(format!(
                "{loc}: the repository's key is inline: save it under keys/ and point signed-by at it"
            ));
        }
        if any_scope_repo && !has_repo(scope) {
            continue;
        }
        for task in &scope.packages {
            for t in &targets {
                let mut env = Env::new(found, scope, *t);
                env.extra = task.ctx.vars.clone();
                if !env.may_hold(&task.ctx.when) {
                    continue;
                }
                env.versions_undefined = true;
                match packages::names(task, &mut env) {
                    Ok(names) => {
                        for n in names {
                            match packages::clean(&n) {
                                Some(Some(name)) => {
                                    out.packages.insert(name);
                                }
                                Some(None) => {}
                                None => {
                                    notes.insert(format!(
                                        "{}: {n:?} is not a Debian package name: left out of packages:",
                                        task.loc
                                    ));
                                }
                            }
                        }
                    }
                    Err(e) => package_failures.add(&task.loc, e, *t),
                }
            }
        }
    }
    let resolved = sources::merge(resolved);
    let mut keys: BTreeMap<String, KeyFile> = BTreeMap::new();
    for r in &resolved {
        out.sources.push(r.line());
        let k = keys
            .entry(r.key.path.clone())
            .or_insert_with(|| r.key.clone());
        if k.url.is_none() {
            k.url = r.key.url.clone();
        }
    }
    out.sources.sort();
    out.sources.dedup();
    out.keys = keys.into_values().collect();
    let docker_packages = out
        .packages
        .iter()
        .any(|p| DOCKER_PACKAGES.contains(&p.as_str()));
    for ((loc, expr, reason), (failed_for, needs)) in source_failures.by {
        out.needs_targets |= needs;
        let targets = if failed_for == all_targets {
            Vec::new()
        } else {
            failed_for.into_iter().collect()
        };
        let fill = if docker_packages || expr.contains("docker") {
            let (d, r) = if expr.contains("/ubuntu") {
                ("ubuntu", "jammy")
            } else {
                ("debian", "bookworm")
            };
            format!("write the literal line for each release, e.g. \"deb [arch=amd64 signed-by=keys/docker.asc] {DOCKER_URL}/{d} {r} stable\"")
        } else {
            "write the literal line for each release: \"deb [arch=ARCH signed-by=keys/KEY] URL SUITE COMPONENT\"".to_string()
        };
        out.placeholders.push(Placeholder {
            section: Section::Sources,
            file: loc.file,
            line: loc.line,
            text: expr,
            reason,
            targets,
            fill,
        });
    }
    for ((loc, expr, reason), (failed_for, needs)) in package_failures.by {
        out.needs_targets |= needs;
        let targets = if failed_for == all_targets {
            Vec::new()
        } else {
            failed_for.into_iter().collect()
        };
        out.placeholders.push(Placeholder {
            section: Section::Packages,
            file: loc.file,
            line: loc.line,
            text: expr,
            reason,
            targets,
            fill: "add the packages it names here, as `name: \"*\"`".into(),
        });
    }
    out.placeholders.sort();
    if any_repo && out.sources.is_empty() && out.placeholders.is_empty() {
        notes.insert(
            "no repository task applies to the targets named (their when conditions or distributions rule them out): write sources: by hand".into(),
        );
    }
    // Docker's repository, also when its line could not be resolved (the URL is literal)
    let only_docker = if any_repo {
        let placeholders = out
            .placeholders
            .iter()
            .filter(|p| p.section == Section::Sources);
        (!resolved.is_empty() || placeholders.clone().next().is_some())
            && resolved.iter().all(|r| sources::is_docker(&r.uri))
            && placeholders
                .clone()
                .all(|p| p.text.contains(&format!("{DOCKER_URL}/")))
    } else {
        docker_packages
    };
    // what a role installs to add a repository comes from the distribution's repository; with
    // only Docker's repository listed, so does everything Docker does not build
    let (kept, other): (BTreeSet<String>, BTreeSet<String>) = std::mem::take(&mut out.packages)
        .into_iter()
        .partition(|p| {
            !REPOSITORY_PREREQUISITES.contains(&p.as_str())
                && (!only_docker || DOCKER_PACKAGES.contains(&p.as_str()))
        });
    out.packages = kept;
    out.other_packages = other;
    if !out.other_packages.is_empty() {
        notes.insert(format!(
            "{}: your distribution's packages, not the listed repositories': commented out under packages: (add the distribution's repository to sources: to lock them)",
            out.other_packages.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if !any_repo {
        out.templates = render::templates(&opts.targets, docker_packages);
        let why = if any_scope_repo {
            "no apt_repository or deb822_repository task found (a shell step adds the repository)"
        } else {
            "no apt_repository or deb822_repository task found"
        };
        notes.insert(format!(
            "{why}: sources: is a commented template{}; fill it in",
            if docker_packages {
                " of Docker's repository"
            } else {
                ""
            }
        ));
        if docker_packages && !out.keys.iter().any(|k| k.path == "keys/docker.asc") {
            out.keys.push(KeyFile {
                path: "keys/docker.asc".into(),
                url: Some(format!(
                    "{DOCKER_URL}/{}/gpg",
                    opts.targets
                        .first()
                        .and_then(Target::distribution)
                        .unwrap_or("debian")
                )),
                fingerprint: Some(DOCKER_FINGERPRINT.into()),
            });
        }
    }
    out.notes = notes.into_iter().collect();
    out
}

#[cfg(test)]
mod tests;
