//! Review findings: what changed in the metadata of the packages a proposal moves.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::lockfile::{LockedTarget, Lockfile};
use crate::packages::{PackageRef, PkgField};
use crate::relation::parse_relations;

use super::view::TargetView;

/// One fact a reviewer should see. Serialised with a `kind` tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Finding {
    /// A versioned Depends/Pre-Depends/Recommends on the same package changed.
    RelationChanged {
        /// Target.
        target: String,
        /// Package declaring it.
        package: String,
        /// `Depends`, `Pre-Depends` or `Recommends`.
        field: String,
        /// Relation before (`containerd.io (>= 1.4.1)`).
        old: String,
        /// Relation after.
        new: String,
    },
    /// A relation appears in the new version.
    RelationAdded {
        /// Target.
        target: String,
        /// Package declaring it.
        package: String,
        /// `Depends`, `Pre-Depends` or `Recommends`.
        field: String,
        /// The relation.
        relation: String,
        /// Whether the new lock holds a package satisfying its name.
        covered: bool,
    },
    /// A relation disappears in the new version.
    RelationRemoved {
        /// Target.
        target: String,
        /// Package declaring it.
        package: String,
        /// `Depends`, `Pre-Depends` or `Recommends`.
        field: String,
        /// The relation.
        relation: String,
    },
    /// Conflicts or Breaks entries changed.
    ConflictsChanged {
        /// Target.
        target: String,
        /// Package declaring it.
        package: String,
        /// `Conflicts` or `Breaks`.
        field: String,
        /// Entries only in the new version.
        added: Vec<String>,
        /// Entries only in the old version.
        removed: Vec<String>,
    },
    /// The shape of the version string changed (`~3-0~debian-buster` → `-1~debian.10~buster`).
    VersionFormat {
        /// Target.
        target: String,
        /// Package.
        package: String,
        /// Old suffix after the numeric upstream.
        old: String,
        /// New suffix.
        new: String,
    },
    /// A kept version is now served with another SHA256.
    Rebuilt {
        /// Target.
        target: String,
        /// Package.
        package: String,
        /// The version.
        version: String,
        /// SHA256 in the old lock.
        old_sha256: String,
        /// SHA256 served now.
        new_sha256: String,
    },
    /// A Recommends of a changed package that no configured source satisfies (the lock lists it
    /// under `unresolved`): apt installs it from elsewhere or skips it.
    Uncovered {
        /// Target.
        target: String,
        /// The changed package needing it.
        package: String,
        /// `depends`, `pre-depends` or `recommends`.
        field: String,
        /// The relation.
        relation: String,
    },
    /// The old version's stanza is no longer served, so its metadata cannot be compared.
    OldVersionGone {
        /// Target.
        target: String,
        /// Package.
        package: String,
        /// The old version.
        version: String,
    },
}

impl Finding {
    /// The target the finding is about.
    pub fn target(&self) -> &str {
        match self {
            Finding::RelationChanged { target, .. }
            | Finding::RelationAdded { target, .. }
            | Finding::RelationRemoved { target, .. }
            | Finding::ConflictsChanged { target, .. }
            | Finding::VersionFormat { target, .. }
            | Finding::Rebuilt { target, .. }
            | Finding::Uncovered { target, .. }
            | Finding::OldVersionGone { target, .. } => target,
        }
    }

    /// The package the finding is about.
    pub fn package(&self) -> &str {
        match self {
            Finding::RelationChanged { package, .. }
            | Finding::RelationAdded { package, .. }
            | Finding::RelationRemoved { package, .. }
            | Finding::ConflictsChanged { package, .. }
            | Finding::VersionFormat { package, .. }
            | Finding::Rebuilt { package, .. }
            | Finding::Uncovered { package, .. }
            | Finding::OldVersionGone { package, .. } => package,
        }
    }

    /// A one-line Markdown description without the target.
    pub fn describe(&self) -> String {
        match self {
            Finding::RelationChanged {
                package,
                field,
                old,
                new,
                ..
            } => format!("`{package}` {field}: `{old}` → `{new}`"),
            Finding::RelationAdded {
                package,
                field,
                relation,
                covered,
                ..
            } => format!(
                "`{package}` gained {field} `{relation}`{}",
                if *covered {
                    " (in the lock)"
                } else {
                    " — **not covered by the lock**"
                }
            ),
            Finding::RelationRemoved {
                package,
                field,
                relation,
                ..
            } => format!("`{package}` dropped {field} `{relation}`"),
            Finding::ConflictsChanged {
                package,
                field,
                added,
                removed,
                ..
            } => {
                let mut parts = Vec::new();
                if !added.is_empty() {
                    parts.push(format!("added `{}`", added.join("`, `")));
                }
                if !removed.is_empty() {
                    parts.push(format!("removed `{}`", removed.join("`, `")));
                }
                format!("`{package}` {field}: {}", parts.join("; "))
            }
            Finding::VersionFormat {
                package, old, new, ..
            } => format!("`{package}` version format changed: `{old}` → `{new}`"),
            Finding::Rebuilt {
                package,
                version,
                old_sha256,
                new_sha256,
                ..
            } => format!(
                "**`{package}` {version} is re-served with a new SHA256** ({} → {}): the same version was rebuilt",
                &old_sha256[..old_sha256.len().min(12)],
                &new_sha256[..new_sha256.len().min(12)]
            ),
            Finding::Uncovered {
                package,
                field,
                relation,
                ..
            } => format!(
                "`{package}` {field} `{relation}`: **not covered by the lock** (no configured source has it)"
            ),
            Finding::OldVersionGone {
                package, version, ..
            } => format!(
                "`{package}` {version} is no longer served: its metadata cannot be compared"
            ),
        }
    }
}

fn stanza<'a>(view: &TargetView<'a>, name: &str, version: &str) -> Option<PackageRef<'a>> {
    view.universe
        .candidates(name)
        .iter()
        .find(|c| c.pkg.version() == version)
        .map(|c| c.pkg)
}

/// Relations of one field keyed by the first alternative's name.
fn relations(pkg: &PackageRef<'_>, field: PkgField, arch: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(text) = pkg.get(field) {
        if let Ok(groups) = parse_relations(text) {
            for g in groups {
                let g: Vec<_> = g.into_iter().filter(|r| r.applies_to(arch)).collect();
                if let Some(first) = g.first() {
                    let text = g
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" | ");
                    out.insert(first.name.clone(), text);
                }
            }
        }
    }
    out
}

/// The part of a version after its numeric upstream prefix, epoch dropped
/// (`5:20.10.23~3-0~debian-buster` → `~3-0~debian-buster`).
pub(crate) fn version_suffix(v: &str) -> &str {
    let v = v.split_once(':').map_or(v, |(_, r)| r);
    let end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    &v[end..]
}

fn shape(s: &str) -> String {
    let mut out = String::new();
    let mut in_digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('N');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

fn covered(view: &TargetView<'_>, t: &LockedTarget, relation: &str) -> bool {
    relation.split(" | ").any(|alt| {
        let name = alt.split([' ', ':']).next().unwrap_or_default();
        t.packages.contains_key(name)
            || view
                .universe
                .provider_names(name)
                .iter()
                .any(|p| t.packages.contains_key(*p))
    })
}

/// Findings for every package whose lock entry differs between `old` and `new`.
pub(crate) fn review(views: &[TargetView<'_>], old: &Lockfile, new: &Lockfile) -> Vec<Finding> {
    let mut out = BTreeSet::new();
    for view in views {
        let (Some(o), Some(n)) = (old.targets.get(&view.name), new.targets.get(&view.name)) else {
            continue;
        };
        let arch = view.name.rsplit('/').next().unwrap_or_default();
        let target = view.name.clone();
        // Hard dependencies no source has are listed in the lock anyway; a Recommends apt
        // would silently skip is worth a reviewer's eye.
        for (dep, u) in n.unresolved.iter().filter(|(_, u)| u.kind == "recommends") {
            for by in &u.required_by {
                let moved = o.packages.get(by).map(|p| &p.version)
                    != n.packages.get(by).map(|p| &p.version);
                if moved {
                    out.insert(Finding::Uncovered {
                        target: target.clone(),
                        package: by.clone(),
                        field: u.kind.clone(),
                        relation: if u.relation.is_empty() {
                            dep.clone()
                        } else {
                            u.relation.clone()
                        },
                    });
                }
            }
        }
        for (name, np) in &n.packages {
            let Some(op) = o.packages.get(name) else {
                continue;
            };
            if op.version == np.version {
                if op.sha256 != np.sha256 {
                    out.insert(Finding::Rebuilt {
                        target: target.clone(),
                        package: name.clone(),
                        version: np.version.clone(),
                        old_sha256: op.sha256.clone(),
                        new_sha256: np.sha256.clone(),
                    });
                }
                continue;
            }
            let (os, ns) = (version_suffix(&op.version), version_suffix(&np.version));
            if shape(os) != shape(ns) {
                out.insert(Finding::VersionFormat {
                    target: target.clone(),
                    package: name.clone(),
                    old: os.to_string(),
                    new: ns.to_string(),
                });
            }
            let Some(new_pkg) = stanza(view, name, &np.version) else {
                continue;
            };
            let Some(old_pkg) = stanza(view, name, &op.version) else {
                out.insert(Finding::OldVersionGone {
                    target: target.clone(),
                    package: name.clone(),
                    version: op.version.clone(),
                });
                continue;
            };
            for field in [
                PkgField::PreDepends,
                PkgField::Depends,
                PkgField::Recommends,
            ] {
                let fname = field.name().to_string();
                let (a, b) = (
                    relations(&old_pkg, field, arch),
                    relations(&new_pkg, field, arch),
                );
                for (dep, text) in &b {
                    match a.get(dep) {
                        Some(before) if before != text => {
                            out.insert(Finding::RelationChanged {
                                target: target.clone(),
                                package: name.clone(),
                                field: fname.clone(),
                                old: before.clone(),
                                new: text.clone(),
                            });
                        }
                        Some(_) => {}
                        None => {
                            out.insert(Finding::RelationAdded {
                                target: target.clone(),
                                package: name.clone(),
                                field: fname.clone(),
                                relation: text.clone(),
                                covered: covered(view, n, text),
                            });
                        }
                    }
                }
                for (dep, text) in &a {
                    if !b.contains_key(dep) {
                        out.insert(Finding::RelationRemoved {
                            target: target.clone(),
                            package: name.clone(),
                            field: fname.clone(),
                            relation: text.clone(),
                        });
                    }
                }
            }
            for field in [PkgField::Conflicts, PkgField::Breaks] {
                let set = |p: &PackageRef<'_>| -> BTreeSet<String> {
                    relations(p, field, arch).into_values().collect()
                };
                let (a, b) = (set(&old_pkg), set(&new_pkg));
                let added: Vec<String> = b.difference(&a).cloned().collect();
                let removed: Vec<String> = a.difference(&b).cloned().collect();
                if !added.is_empty() || !removed.is_empty() {
                    out.insert(Finding::ConflictsChanged {
                        target: target.clone(),
                        package: name.clone(),
                        field: field.name().to_string(),
                        added,
                        removed,
                    });
                }
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_and_shapes() {
        assert_eq!(
            version_suffix("5:20.10.23~3-0~debian-buster"),
            "~3-0~debian-buster"
        );
        assert_eq!(
            version_suffix("5:24.0.2-1~debian.10~buster"),
            "-1~debian.10~buster"
        );
        assert_eq!(version_suffix("1.6.18-1"), "-1");
        assert_eq!(shape("-1~debian.10~buster"), "-N~debian.N~buster");
        assert_ne!(shape("~3-0~debian-buster"), shape("-1~debian.10~buster"));
        assert_eq!(shape("-1"), shape("-2"));
    }
}
