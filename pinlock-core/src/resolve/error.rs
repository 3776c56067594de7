//! Why a target could not be resolved, with hints (did you mean, architecture qualifiers).

use super::{Candidate, Request};
use crate::packages::PkgField;

/// Why a target could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No source has a package of that name.
    #[error("{target}: no package named {name:?} in any configured source{}", suggest(.suggestions))]
    UnknownPackage {
        /// Target.
        target: String,
        /// Requested name.
        name: String,
        /// Close names.
        suggestions: Vec<String>,
    },
    /// The name is only provided by other packages.
    #[error("{target}: {name:?} is a virtual package provided by {}\nhint: request one of them instead", .providers.join(", "))]
    Virtual {
        /// Target.
        target: String,
        /// Requested name.
        name: String,
        /// Providers.
        providers: Vec<String>,
    },
    /// No version satisfies the constraint.
    #[error("{target}: no version of {name} satisfies {constraint:?}; available, newest first: {}{}", .available.join(", "), if *.semver_note { "\nnote: semver ranges apply to the upstream version; versions whose upstream is not semver-like only match Debian relations (`>= 1.0a`)" } else { "" })]
    Unsatisfiable {
        /// Target.
        target: String,
        /// Package.
        name: String,
        /// The constraint.
        constraint: String,
        /// Versions that exist, newest first (at most 10).
        available: Vec<String>,
        /// True when some versions are not semver-like and the constraint is a semver range.
        semver_note: bool,
    },
    /// Co-versioned siblings have constraints with no common source version.
    #[error("{target}: {} are built from source {source_name} and move together, but no version of {source_name} satisfies all their constraints\nhint: relax the constraints so they overlap", .names.join(", "))]
    SiblingConflict {
        /// Target.
        target: String,
        /// Source package.
        source_name: String,
        /// The requested siblings.
        names: Vec<String>,
    },
    /// Conflicts/Breaks inside the locked set.
    #[error("{target}: {package} {version} {kind} {relation}, which the lock also holds ({other} {other_version})")]
    Conflict {
        /// Target.
        target: String,
        /// Package declaring it.
        package: String,
        /// Its version.
        version: String,
        /// `conflicts with` / `breaks`.
        kind: &'static str,
        /// The relation.
        relation: String,
        /// Locked package hit.
        other: String,
        /// Its version.
        other_version: String,
    },
    /// A relationship field of a locked package cannot be parsed (apt refuses such an index).
    #[error("{target}: {package} {version}: {field}: {reason}")]
    BadRelation {
        /// Target.
        target: String,
        /// Package.
        package: String,
        /// Its version.
        version: String,
        /// Field name.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A dependency exists (as a package or as something provided) but nothing satisfies the
    /// relation: no version, or no architecture / Multi-Arch that the qualifier admits.
    #[error("{target}: {package} {version} {kind} {relation}, but no available version satisfies it (available: {}){}", .available.join(", "), arch_hint(.relation))]
    BrokenDependency {
        /// Target.
        target: String,
        /// Package.
        package: String,
        /// Its version.
        version: String,
        /// Relation kind.
        kind: String,
        /// The relation.
        relation: String,
        /// Versions of the dependency, newest first (for a virtual package: its providers,
        /// `name version`).
        available: Vec<String>,
    },
}

/// A hint for a broken relation with an architecture qualifier.
fn arch_hint(relation: &str) -> &'static str {
    if relation.contains(":any") {
        "\nhint: like apt, pinlock satisfies `name:any` only with a package marked `Multi-Arch: allowed`"
    } else if relation.contains(':') {
        "\nhint: pinlock resolves one architecture (plus `all`) per target; a relation qualified with another architecture cannot be satisfied there, as in apt without that architecture added"
    } else {
        ""
    }
}

pub(super) fn bad_relation(
    req: &Request<'_>,
    c: &Candidate<'_>,
    field: PkgField,
    e: crate::relation::RelationError,
) -> ResolveError {
    ResolveError::BadRelation {
        target: req.target.into(),
        package: c.pkg.name().into(),
        version: c.pkg.version().into(),
        field: field.name(),
        reason: e.to_string(),
    }
}

fn suggest(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("\nhint: did you mean {}?", s.join(", "))
    }
}

/// Up to three names close to `name` (edit distance ≤ 2, or sharing a prefix).
pub fn suggestions<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = names
        .filter_map(|n| {
            let d = edit_distance(name, n);
            let prefix = n.starts_with(name) || name.starts_with(n);
            (d <= 2 || (prefix && name.len() >= 4)).then_some((d, n))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_string())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
