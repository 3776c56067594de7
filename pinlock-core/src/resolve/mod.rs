//! Resolution of requested packages and their dependency closure, for one target
//! (`<release>/<arch>`).
//!
//! Rules:
//! - **Candidate**: as apt at default priorities: sources marked `NotAutomatic` have priority 1
//!   (100 with `ButAutomaticUpgrades`), others 500; the candidate is the highest version among
//!   the highest priority that satisfies the constraint.
//! - **Minimal churn**: a version already in the previous lock is kept while it still satisfies
//!   the constraint (or relation) and is still served.
//! - **Siblings move together**: binaries built from one source whose version is the source
//!   version (docker-ce, docker-ce-cli, docker-ce-rootless-extras) are locked at one source
//!   version; apt itself would happily mix them.
//! - **Closure** over Pre-Depends, Depends and (unless disabled) Recommends, honouring
//!   alternatives, versioned relations, `[arch]` restrictions and virtual packages (Provides).
//!   A dependency that no source has is listed as unresolved, never dropped; one that exists
//!   but that nothing satisfies is an error, as in apt.
//! - **Multi-Arch** as apt 2.6 on a single-architecture system (the target's architecture plus
//!   `all`; see [`Relation::arch_matches`]): `name:any` only by a `Multi-Arch: allowed` package
//!   or provider, `:native`/`:all`/`:<target arch>` like no qualifier, another architecture
//!   never.
//! - **Conflicts/Breaks** inside the locked set are errors.
//!
//! Modules: `universe` indexes what the target's sources offer (candidates by name, providers,
//! stanza order), `error` holds [`ResolveError`] and its hints; this module walks the closure.

mod error;
#[cfg(test)]
mod tests;
mod universe;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::constraint::Constraint;
use crate::lockfile::{LockedPackage, LockedTarget, Unresolved};
use crate::packages::PkgField;
use crate::relation::{parse_relations, Alternatives, MultiArch, Relation};
use crate::version::Version;
use error::bad_relation;

pub use error::{suggestions, ResolveError};
pub use universe::{Candidate, Universe};

/// What to resolve for a target.
pub struct Request<'r> {
    /// Target name (`buster/amd64`), for messages.
    pub target: &'r str,
    /// Target dpkg architecture.
    pub arch: &'r str,
    /// Requested packages and constraints.
    pub packages: &'r BTreeMap<String, Constraint>,
    /// Follow Recommends.
    pub recommends: bool,
    /// The previous lock of this target, for minimal churn.
    pub previous: Option<&'r LockedTarget>,
}

struct Chosen<'a> {
    cand: Candidate<'a>,
    requested: Option<String>,
    required_by: BTreeSet<String>,
}

/// Resolves `req` against `universe`.
pub fn resolve(universe: &Universe<'_>, req: &Request<'_>) -> Result<LockedTarget, ResolveError> {
    let target = req.target;
    let prev_version = |name: &str| -> Option<&str> {
        req.previous
            .and_then(|p| p.packages.get(name))
            .map(|p| p.version.as_str())
    };
    let mut chosen: BTreeMap<String, Chosen<'_>> = BTreeMap::new();

    // 1. Requested packages, each on its own.
    for (name, constraint) in req.packages {
        let cands = universe.candidates(name);
        if cands.is_empty() {
            let providers = universe.provider_names(name);
            if !providers.is_empty() {
                return Err(ResolveError::Virtual {
                    target: target.into(),
                    name: name.clone(),
                    providers: providers.iter().map(|s| s.to_string()).collect(),
                });
            }
            return Err(ResolveError::UnknownPackage {
                target: target.into(),
                name: name.clone(),
                suggestions: suggestions(name, universe.names()),
            });
        }
        let ok: Vec<&Candidate> = cands
            .iter()
            .filter(|c| constraint.matches(&c.version))
            .collect();
        let pick = prev_version(name)
            .and_then(|pv| ok.iter().find(|c| c.pkg.version() == pv))
            .or_else(|| ok.first());
        let Some(pick) = pick else {
            let mut available: Vec<String> = Vec::new();
            let mut by_version: Vec<&Candidate> = cands.iter().collect();
            by_version.sort_by(|a, b| b.version.cmp(&a.version));
            for c in by_version {
                if !available.iter().any(|a| a == c.pkg.version()) && available.len() < 10 {
                    available.push(c.pkg.version().to_string());
                }
            }
            return Err(ResolveError::Unsatisfiable {
                target: target.into(),
                name: name.clone(),
                constraint: constraint.to_string(),
                semver_note: constraint.has_semver()
                    && cands.iter().any(|c| c.version.upstream_semver().is_none()),
                available,
            });
        };
        chosen.insert(
            name.clone(),
            Chosen {
                cand: (*pick).clone(),
                requested: Some(constraint.to_string()),
                required_by: BTreeSet::new(),
            },
        );
    }

    // 2. Requested co-versioned siblings move together.
    align_siblings(universe, req, &mut chosen)?;

    // 3. Dependency closure.
    let mut unresolved: BTreeMap<String, Unresolved> = BTreeMap::new();
    let mut queue: VecDeque<String> = chosen.keys().cloned().collect();
    while let Some(name) = queue.pop_front() {
        let cand = chosen[&name].cand.clone();
        let mut fields = vec![
            (PkgField::PreDepends, "pre-depends"),
            (PkgField::Depends, "depends"),
        ];
        if req.recommends {
            fields.push((PkgField::Recommends, "recommends"));
        }
        for (field, kind) in fields {
            let Some(text) = cand.pkg.get(field) else {
                continue;
            };
            let groups = parse_relations(text).map_err(|e| bad_relation(req, &cand, field, e))?;
            for group in groups {
                let group: Alternatives = group
                    .into_iter()
                    .filter(|r| r.applies_to(req.arch))
                    .collect();
                if group.is_empty()
                    || group
                        .iter()
                        .any(|r| satisfied_by_chosen(universe, &chosen, r, req.arch))
                {
                    for r in &group {
                        if let Some(c) = chosen.get_mut(&r.name) {
                            if satisfies(&c.cand, r, req.arch) {
                                c.required_by.insert(name.clone());
                                break;
                            }
                        }
                    }
                    continue;
                }
                match pick_alternative(universe, &chosen, &group, req.arch, prev_version) {
                    Pick::Found(c) => {
                        let dep = c.name().to_string();
                        let mut required_by = BTreeSet::new();
                        required_by.insert(name.clone());
                        chosen.insert(
                            dep.clone(),
                            Chosen {
                                cand: c,
                                requested: None,
                                required_by,
                            },
                        );
                        queue.push_back(dep);
                    }
                    Pick::Broken(rel, available) => {
                        if kind == "recommends" {
                            // apt skips a Recommends it cannot satisfy; record it.
                            add_unresolved(&mut unresolved, &group, kind, &name);
                        } else {
                            return Err(ResolveError::BrokenDependency {
                                target: target.into(),
                                package: name.clone(),
                                version: cand.pkg.version().into(),
                                kind: kind.into(),
                                relation: rel.to_string(),
                                available,
                            });
                        }
                    }
                    Pick::Missing => add_unresolved(&mut unresolved, &group, kind, &name),
                }
            }
        }
    }

    // 4. Conflicts and Breaks inside the set.
    check_conflicts(universe, req, &chosen)?;

    let packages = chosen
        .into_iter()
        .map(|(name, c)| {
            let p = c.cand.pkg;
            (
                name,
                LockedPackage {
                    version: p.version().to_string(),
                    architecture: p.architecture().to_string(),
                    source: c.cand.source.0.to_string(),
                    filename: p.get(PkgField::Filename).unwrap_or_default().to_string(),
                    size: p.size().unwrap_or(0),
                    sha256: p
                        .get(PkgField::Sha256)
                        .unwrap_or_default()
                        .to_ascii_lowercase(),
                    requested: c.requested,
                    required_by: c.required_by.into_iter().collect(),
                    enforce: c.cand.enforce,
                },
            )
        })
        .collect();
    Ok(LockedTarget {
        packages,
        unresolved,
    })
}

fn add_unresolved(
    unresolved: &mut BTreeMap<String, Unresolved>,
    group: &[Relation],
    kind: &str,
    by: &str,
) {
    let relation = group
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" | ");
    let e = unresolved
        .entry(group[0].name.clone())
        .or_insert_with(|| Unresolved {
            relation,
            kind: kind.to_string(),
            required_by: Vec::new(),
            waived: false,
        });
    // A hard dependency outranks a recommendation.
    if kind != "recommends" {
        e.kind = kind.to_string();
    }
    if !e.required_by.iter().any(|x| x == by) {
        e.required_by.push(by.to_string());
        e.required_by.sort();
    }
}

/// The Multi-Arch field of a candidate.
fn multi_arch(c: &Candidate<'_>) -> MultiArch {
    MultiArch::parse(c.pkg.get(PkgField::MultiArch))
}

/// Does `c` satisfy `r` (architecture qualifier on a system whose native architecture is
/// `arch`, then version)?
fn satisfies(c: &Candidate<'_>, r: &Relation, arch: &str) -> bool {
    if !r.arch_matches(c.pkg.architecture(), multi_arch(c), arch) {
        return false;
    }
    match &r.version {
        None => true,
        Some((op, v)) => match Version::parse(v) {
            Ok(v) => op.matches(c.version.cmp(&v)),
            Err(_) => false,
        },
    }
}

/// Does provider `c`, providing `r.name` at `provided`, satisfy `r`? The provider's own
/// architecture and Multi-Arch decide the qualifier, as in apt: `virt:any` needs a
/// `Multi-Arch: allowed` provider.
fn provides_satisfy(c: &Candidate<'_>, provided: Option<&str>, r: &Relation, arch: &str) -> bool {
    if !r.arch_matches(c.pkg.architecture(), multi_arch(c), arch) {
        return false;
    }
    match (&r.version, provided) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((op, want)), Some(have)) => match (Version::parse(have), Version::parse(want)) {
            (Ok(h), Ok(w)) => op.matches(h.cmp(&w)),
            _ => false,
        },
    }
}

fn satisfied_by_chosen(
    universe: &Universe<'_>,
    chosen: &BTreeMap<String, Chosen<'_>>,
    r: &Relation,
    arch: &str,
) -> bool {
    if chosen
        .get(&r.name)
        .is_some_and(|c| satisfies(&c.cand, r, arch))
    {
        return true;
    }
    universe
        .providers(r.name.as_str())
        .iter()
        .any(|(idx, pname, pv)| {
            chosen.get(*pname).is_some_and(|c| {
                universe.candidates(pname)[*idx].version == c.cand.version
                    && provides_satisfy(&c.cand, *pv, r, arch)
            })
        })
}

enum Pick<'a> {
    Found(Candidate<'a>),
    Broken(Relation, Vec<String>),
    Missing,
}

fn pick_alternative<'a, 'p>(
    universe: &Universe<'a>,
    chosen: &BTreeMap<String, Chosen<'a>>,
    group: &[Relation],
    arch: &str,
    prev_version: impl Fn(&str) -> Option<&'p str> + Copy,
) -> Pick<'a> {
    let mut broken = None;
    for r in group {
        let cands = universe.candidates(&r.name);
        if !cands.is_empty() {
            let ok: Vec<&Candidate> = cands.iter().filter(|c| satisfies(c, r, arch)).collect();
            // A co-versioned sibling of something locked takes the sibling's source version.
            let sibling = ok.iter().find(|c| {
                c.co_versioned()
                    && chosen
                        .values()
                        .any(|ch| ch.cand.co_versioned() && ch.cand.source == c.source)
            });
            let kept =
                prev_version(&r.name).and_then(|pv| ok.iter().find(|c| c.pkg.version() == pv));
            if let Some(c) = sibling.or(kept).or(ok.first()) {
                return Pick::Found((*c).clone());
            }
            if broken.is_none() {
                let mut available: Vec<String> =
                    cands.iter().map(|c| c.pkg.version().to_string()).collect();
                available.dedup();
                available.truncate(10);
                broken = Some((r.clone(), available));
            }
            // No version of the real package fits: a provider may (apt takes `rvprov` for
            // `rv (>= 5)` when rv is 1.0 and rvprov has `Provides: rv (= 5)`).
        }
        let provs = universe.providers(r.name.as_str());
        if let Some((idx, pname, _)) = provs.iter().find(|(idx, pname, pv)| {
            provides_satisfy(&universe.candidates(pname)[*idx], *pv, r, arch)
        }) {
            let c = &universe.candidates(pname)[*idx];
            return Pick::Found(c.clone());
        }
        // Provided, but by nothing the relation admits: apt cannot satisfy it either.
        if broken.is_none() && !provs.is_empty() {
            let mut available: Vec<String> = provs
                .iter()
                .map(|(idx, pname, _)| {
                    format!("{pname} {}", universe.candidates(pname)[*idx].pkg.version())
                })
                .collect();
            available.dedup();
            available.truncate(10);
            broken = Some((r.clone(), available));
        }
    }
    match broken {
        Some((r, a)) => Pick::Broken(r, a),
        None => Pick::Missing,
    }
}

fn align_siblings<'a>(
    universe: &Universe<'a>,
    req: &Request<'_>,
    chosen: &mut BTreeMap<String, Chosen<'a>>,
) -> Result<(), ResolveError> {
    let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (name, c) in chosen.iter() {
        if c.cand.co_versioned() {
            groups
                .entry(c.cand.source.0)
                .or_default()
                .push(name.clone());
        }
    }
    for (source, names) in groups {
        if names.len() < 2 {
            continue;
        }
        let versions: BTreeSet<&str> = names.iter().map(|n| chosen[n].cand.source.1).collect();
        if versions.len() == 1 {
            continue;
        }
        // Source versions every member can take, best first.
        let mut common: Option<Vec<Candidate<'a>>> = None;
        for n in &names {
            let constraint = &req.packages[n];
            let ok: Vec<Candidate<'a>> = universe
                .candidates(n)
                .iter()
                .filter(|c| {
                    c.co_versioned() && c.source.0 == source && constraint.matches(&c.version)
                })
                .cloned()
                .collect();
            common = Some(match common {
                None => ok,
                Some(prev) => prev
                    .into_iter()
                    .filter(|p| ok.iter().any(|c| c.source.1 == p.source.1))
                    .collect(),
            });
        }
        let Some(best) = common.and_then(|c| c.into_iter().next()) else {
            return Err(ResolveError::SiblingConflict {
                target: req.target.into(),
                source_name: source.to_string(),
                names,
            });
        };
        for n in &names {
            let c = universe
                .candidates(n)
                .iter()
                .find(|c| c.co_versioned() && c.source == best.source)
                .expect("common source version has every sibling");
            chosen.get_mut(n).expect("sibling is chosen").cand = c.clone();
        }
    }
    Ok(())
}

fn check_conflicts(
    universe: &Universe<'_>,
    req: &Request<'_>,
    chosen: &BTreeMap<String, Chosen<'_>>,
) -> Result<(), ResolveError> {
    for (name, c) in chosen {
        for (field, kind) in [
            (PkgField::Conflicts, "conflicts with"),
            (PkgField::Breaks, "breaks"),
        ] {
            let Some(text) = c.cand.pkg.get(field) else {
                continue;
            };
            let groups = parse_relations(text).map_err(|e| bad_relation(req, &c.cand, field, e))?;
            for r in groups
                .into_iter()
                .flatten()
                .filter(|r| r.applies_to(req.arch))
            {
                if let Some(other) = chosen.get(&r.name) {
                    if r.name != *name && satisfies(&other.cand, &r, req.arch) {
                        return Err(conflict(req, name, c, kind, &r, &r.name, other));
                    }
                }
                // Provides count too, versioned ones against versioned relations (apt refuses
                // `Conflicts: foo (<< 3)` next to `Provides: foo (= 2.0)`).
                for (idx, pname, pv) in universe.providers(r.name.as_str()) {
                    if *pname == name.as_str() {
                        continue; // a package may conflict with what it provides
                    }
                    if let Some(other) = chosen.get(*pname) {
                        if universe.candidates(pname)[*idx].version == other.cand.version
                            && provides_satisfy(&other.cand, *pv, &r, req.arch)
                        {
                            return Err(conflict(req, name, c, kind, &r, pname, other));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn conflict(
    req: &Request<'_>,
    name: &str,
    c: &Chosen<'_>,
    kind: &'static str,
    r: &Relation,
    other: &str,
    o: &Chosen<'_>,
) -> ResolveError {
    ResolveError::Conflict {
        target: req.target.into(),
        package: name.into(),
        version: c.cand.pkg.version().into(),
        kind,
        relation: r.to_string(),
        other: other.into(),
        other_version: o.cand.pkg.version().into(),
    }
}
