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

use std::cell::{Cell, OnceCell};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::constraint::Constraint;
use crate::lockfile::{LockedPackage, LockedTarget, Unresolved};
use crate::packages::{PackageRef, PkgField};
use crate::relation::{parse_relations, scan_one, Alternatives, MultiArch, Relation};
use crate::version::Version;

/// One available binary package in a target.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// The stanza.
    pub pkg: PackageRef<'a>,
    /// Its version.
    pub version: Version,
    /// apt pin priority of its source (500, 100 or 1).
    pub priority: i32,
    /// Source package name and version.
    pub source: (&'a str, &'a str),
    /// Whether an index added as enforced ([`Universe::add_index_enforced`]) serves this
    /// version and architecture: the lock's `enforce` (a version served by an enforced and an
    /// unenforced source is enforced).
    pub enforce: bool,
}

impl Candidate<'_> {
    fn name(&self) -> &str {
        self.pkg.name()
    }
    /// True if the binary's version is its source's version (a co-versioned sibling).
    fn co_versioned(&self) -> bool {
        self.source.1 == self.pkg.version()
    }
}

/// End of a chain (no stanza, no Provides entry, empty table cell).
const NONE: u32 = u32::MAX;

/// One package name (real, provided, or both): the last stanza recorded under it and the last
/// Provides entry naming it, each the head of a chain that runs back to the first one added;
/// and what lookups computed for it.
#[derive(Debug)]
struct Slot<'a> {
    name: &'a str,
    /// Last stanza of this name (chain through [`Universe::prev`]), or [`NONE`].
    last: u32,
    /// Last Provides entry naming it (chain through [`ProvRaw::prev`]), or [`NONE`].
    last_prov: u32,
    /// Computed on first lookup; boxed so that the tens of thousands of names a lock never
    /// looks at cost one pointer each.
    lazy: OnceCell<Box<Lazy<'a>>>,
}

/// What the lookups of one name computed.
#[derive(Debug, Default)]
struct Lazy<'a> {
    sorted: OnceCell<Sorted<'a>>,
    providers: OnceCell<Vec<Provider<'a>>>,
}

/// The candidates of one name.
#[derive(Debug)]
struct Sorted<'a> {
    /// Candidates, best first.
    cands: Vec<Candidate<'a>>,
    /// (stanza, its position in `cands`) for each stanza that is a candidate; a stanza with an
    /// invalid version, or whose version and architecture were added before (the first source
    /// wins, as in apt), is not one.
    pos: Vec<(u32, u32)>,
}

/// One name of a Provides field: the providing stanza, the previous entry providing the same
/// name, and the provided version (borrowed from the index).
#[derive(Debug, Clone, Copy)]
struct ProvRaw<'a> {
    stanza: u32,
    prev: u32,
    version: Option<&'a str>,
}

/// A provided name's providers: (position in `candidates(provider)`, provider name, provided
/// version), sorted by provider name then candidate position.
type Provider<'a> = (usize, &'a str, Option<&'a str>);

/// The packages available to one target.
///
/// Adding an index records each stanza (a number: its position among all stanzas added) under
/// its name and under every name it provides, in flat arrays: a chain of stanza numbers per
/// name and an open-addressing table from names to their slots. Versions are parsed and
/// candidates sorted lazily, the first time a name is looked up, so a lock touches only the few
/// hundred names in its closure out of tens of thousands. The universe costs about 20 bytes a
/// stanza, 50 a distinct name and 24 a provided name, in a handful of allocations (about 7 MB
/// for Debian bookworm main amd64: 63,000 stanzas, 97,000 names, 37,000 provided names).
#[derive(Debug, Default)]
pub struct Universe<'a> {
    /// Every stanza added, by number.
    pkgs: Vec<PackageRef<'a>>,
    /// For each stanza, the previous stanza of the same name, or [`NONE`].
    prev: Vec<u32>,
    /// (first stanza, apt priority, enforced) of each [`Universe::add_index_enforced`] call,
    /// in order.
    prios: Vec<(u32, i32, bool)>,
    /// Every Provides entry, in the order added.
    provs: Vec<ProvRaw<'a>>,
    /// One slot per distinct name.
    slots: Vec<Slot<'a>>,
    /// Name → slot.
    table: NameTable,
    /// Scratch space for one Provides field.
    scratch: Vec<(&'a str, Option<&'a str>)>,
    /// True once a lookup has filled a slot's `lazy` (reset by adding an index).
    looked_up: Cell<bool>,
}

impl<'a> Universe<'a> {
    /// Adds the stanzas of one index. `priority` is the apt priority of its suite.
    ///
    /// Adding after lookups is allowed; it discards what the lookups computed.
    ///
    /// # Panics
    ///
    /// When the universe would hold 2³² − 1 stanzas or more.
    pub fn add_index(&mut self, packages: impl Iterator<Item = PackageRef<'a>>, priority: i32) {
        self.add_index_enforced(packages, priority, true);
    }

    /// [`Universe::add_index`], with whether the index's source is enforced on the hosts (the
    /// manifest's `enforce: false` makes it false; see [`Candidate::enforce`]).
    ///
    /// # Panics
    ///
    /// When the universe would hold 2³² − 1 stanzas or more.
    pub fn add_index_enforced(
        &mut self,
        packages: impl Iterator<Item = PackageRef<'a>>,
        priority: i32,
        enforce: bool,
    ) {
        if self.looked_up.replace(false) {
            for s in &mut self.slots {
                s.lazy = OnceCell::new();
            }
        }
        let n = packages.size_hint().0;
        self.pkgs.reserve(n);
        self.prev.reserve(n);
        self.slots.reserve(n + n / 2);
        self.table
            .reserve(self.slots.len() + n + n / 2, &self.slots);
        self.prios
            .push((stanza_id(self.pkgs.len()), priority, enforce));
        for pkg in packages {
            let id = stanza_id(self.pkgs.len());
            let slot = self.slot_of(pkg.name());
            let s = &mut self.slots[slot];
            self.prev.push(std::mem::replace(&mut s.last, id));
            self.pkgs.push(pkg);
            if let Some(field) = pkg.get(PkgField::Provides) {
                self.add_provides(id, field);
            }
        }
    }

    /// Records the names `field` (the Provides of stanza `id`) provides. A field that does not
    /// parse provides nothing.
    fn add_provides(&mut self, id: u32, field: &'a str) {
        let mut entries = std::mem::take(&mut self.scratch);
        entries.clear();
        if provided(field, &mut entries) {
            for &(name, version) in &entries {
                let slot = self.slot_of(name);
                let p = stanza_id(self.provs.len());
                let s = &mut self.slots[slot];
                self.provs.push(ProvRaw {
                    stanza: id,
                    prev: std::mem::replace(&mut s.last_prov, p),
                    version,
                });
            }
        }
        self.scratch = entries;
    }

    /// The slot of `name`, created if new.
    fn slot_of(&mut self, name: &'a str) -> usize {
        let h = hash(name);
        if let Some(i) = self.table.find(h, name, &self.slots) {
            return i;
        }
        let i = self.slots.len();
        self.slots.push(Slot {
            name,
            last: NONE,
            last_prov: NONE,
            lazy: OnceCell::new(),
        });
        self.table.insert(h, stanza_id(i), &self.slots);
        i
    }

    /// Kept for API compatibility: candidates are sorted lazily on first lookup, so there is
    /// nothing left to do here.
    pub fn finish(&mut self) {}

    /// The apt priority of stanza `id` and whether its index is enforced.
    fn priority(&self, id: u32) -> (i32, bool) {
        let seg = self.prios.partition_point(|&(first, _, _)| first <= id);
        let (_, prio, enforce) = self.prios[seg - 1];
        (prio, enforce)
    }

    fn lazy(&self, slot: usize) -> &Lazy<'a> {
        self.looked_up.set(true);
        self.slots[slot].lazy.get_or_init(Box::default)
    }

    fn sorted(&self, slot: usize) -> &Sorted<'a> {
        self.lazy(slot).sorted.get_or_init(|| {
            let mut ids: Vec<u32> = chain(&self.prev, self.slots[slot].last).collect();
            ids.reverse();
            let mut list: Vec<Candidate<'a>> = Vec::with_capacity(ids.len());
            let mut stanza = Vec::with_capacity(ids.len());
            for id in ids {
                let pkg = self.pkgs[id as usize];
                let Ok(version) = Version::parse(pkg.version()) else {
                    continue;
                };
                let (priority, enforce) = self.priority(id);
                if let Some(seen) = list
                    .iter_mut()
                    .find(|c| c.version == version && c.pkg.architecture() == pkg.architecture())
                {
                    seen.enforce |= enforce;
                    continue;
                }
                stanza.push(id);
                list.push(Candidate {
                    source: pkg.source(),
                    pkg,
                    version,
                    priority,
                    enforce,
                });
            }
            // best first: priority, then version, descending (stable for equal keys)
            let mut order: Vec<usize> = (0..list.len()).collect();
            order.sort_by(|&a, &b| {
                (list[b].priority, &list[b].version).cmp(&(list[a].priority, &list[a].version))
            });
            let pos = order
                .iter()
                .enumerate()
                .map(|(new, &old)| (stanza[old], stanza_id(new)))
                .collect();
            let mut slots: Vec<Option<Candidate<'a>>> = list.into_iter().map(Some).collect();
            let cands = order
                .iter()
                .map(|&i| slots[i].take().expect("each candidate moved once"))
                .collect();
            Sorted { cands, pos }
        })
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.table.find(hash(name), name, &self.slots)
    }

    /// Candidates of a real package, best first.
    pub fn candidates(&self, name: &str) -> &[Candidate<'a>] {
        match self.find(name) {
            Some(slot) if self.slots[slot].last != NONE => self.sorted(slot).cands.as_slice(),
            _ => &[],
        }
    }

    /// The real packages that provide `name`: (position in `candidates(provider)`, provider
    /// name, provided version), sorted by provider name then position. Empty when none does.
    fn providers(&self, name: &str) -> &[Provider<'a>] {
        let Some(slot) = self.find(name) else {
            return &[];
        };
        let mut p = self.slots[slot].last_prov;
        if p == NONE {
            return &[];
        }
        self.lazy(slot).providers.get_or_init(|| {
            let mut raw = Vec::new();
            while p != NONE {
                raw.push(self.provs[p as usize]);
                p = self.provs[p as usize].prev;
            }
            let mut v: Vec<Provider<'a>> = raw
                .iter()
                .rev()
                .filter_map(|r| {
                    let pname = self.pkgs[r.stanza as usize].name();
                    let pslot = self.find(pname).expect("a provider's name has a slot");
                    let sorted = self.sorted(pslot);
                    let &(_, pos) = sorted.pos.iter().find(|(s, _)| *s == r.stanza)?;
                    Some((pos as usize, pname, r.version))
                })
                .collect();
            v.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(&b.0)));
            v
        })
    }

    /// Names of real packages that provide `name`.
    pub fn provider_names(&self, name: &str) -> Vec<&'a str> {
        let mut v: Vec<&str> = self.providers(name).iter().map(|(_, n, _)| *n).collect();
        v.dedup();
        v
    }

    /// All real package names (for suggestions): names with at least one stanza whose version
    /// is valid. Computes nothing it keeps.
    pub fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.slots
            .iter()
            .filter(|s| {
                chain(&self.prev, s.last)
                    .any(|id| Version::parse(self.pkgs[id as usize].version()).is_ok())
            })
            .map(|s| s.name)
    }
}

/// The stanzas of a chain starting at `last` (through `prev`, [`Universe::prev`]), last added
/// first.
fn chain(prev: &[u32], last: u32) -> impl Iterator<Item = u32> + '_ {
    std::iter::successors((last != NONE).then_some(last), |&i| {
        let p = prev[i as usize];
        (p != NONE).then_some(p)
    })
}

/// `n` as a stanza (or slot, entry) number.
fn stanza_id(n: usize) -> u32 {
    u32::try_from(n)
        .ok()
        .filter(|&i| i != NONE)
        .expect("fewer than 2^32 - 1 stanzas in one universe")
}

/// Reads a Provides field as [`parse_relations`] does (alternatives flattened, architecture
/// qualifiers dropped), into (provided name, provided version) borrowed from `field`. Returns
/// false, with `out` unspecified, when the field does not parse.
fn provided<'a>(field: &'a str, out: &mut Vec<(&'a str, Option<&'a str>)>) -> bool {
    for item in field.split(',') {
        if item.trim().is_empty() {
            continue;
        }
        for alt in item.split('|') {
            let got = provided_one(alt);
            let Some(entry) = got else {
                return false;
            };
            out.push(entry);
        }
    }
    true
}

/// One relation of a Provides field: (name, version) borrowed from `text`, or `None` when
/// [`parse_one`](crate::relation::parse_one) rejects it (the same grammar: [`scan_one`], which
/// does not allocate).
fn provided_one(text: &str) -> Option<(&str, Option<&str>)> {
    scan_one(text)
        .ok()
        .map(|p| (p.name, p.version.map(|(_, v)| v)))
}

/// FxHash's multiply-rotate over the name, folded so the low bits depend on all of it (the keys
/// come from signed indexes; SipHash dominated building a 63,000-package universe).
fn hash(name: &str) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mut h = name.len() as u64;
    let mut chunks = name.as_bytes().chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h.rotate_left(26) ^ w).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(26) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    h ^ (h >> 29) ^ (h >> 47)
}

/// An open-addressing (linear probing) table from names to slot numbers: each cell holds the
/// high 32 bits of the name's hash, to skip most mismatches without reading the name, and the
/// slot number ([`NONE`] when empty). At most half full.
#[derive(Debug, Default)]
struct NameTable {
    cells: Vec<(u32, u32)>,
    len: usize,
}

impl NameTable {
    fn find(&self, h: u64, name: &str, slots: &[Slot<'_>]) -> Option<usize> {
        if self.cells.is_empty() {
            return None;
        }
        let mask = self.cells.len() - 1;
        let tag = (h >> 32) as u32;
        let mut i = h as usize & mask;
        loop {
            let (t, s) = self.cells[i];
            if s == NONE {
                return None;
            }
            if t == tag && slots[s as usize].name == name {
                return Some(s as usize);
            }
            i = (i + 1) & mask;
        }
    }

    /// Inserts slot `s` (not present) with hash `h`.
    fn insert(&mut self, h: u64, s: u32, slots: &[Slot<'_>]) {
        self.reserve(self.len + 1, slots);
        self.place(h, s);
        self.len += 1;
    }

    fn place(&mut self, h: u64, s: u32) {
        let mask = self.cells.len() - 1;
        let mut i = h as usize & mask;
        while self.cells[i].1 != NONE {
            i = (i + 1) & mask;
        }
        self.cells[i] = ((h >> 32) as u32, s);
    }

    /// Makes room for `n` names in all.
    fn reserve(&mut self, n: usize, slots: &[Slot<'_>]) {
        if n * 2 <= self.cells.len() {
            return;
        }
        let cap = (n * 2).next_power_of_two().max(16);
        let old = std::mem::replace(&mut self.cells, vec![(0, NONE); cap]);
        for (_, s) in old.into_iter().filter(|&(_, s)| s != NONE) {
            self.place(hash(slots[s as usize].name), s);
        }
    }
}

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

fn bad_relation(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relation::parse_one;

    /// The reader of Provides accepts and returns exactly what `parse_one` does.
    #[test]
    fn provided_one_agrees_with_parse_one() {
        for text in [
            "foo",
            " foo ",
            "foo (= 1.0)",
            "foo(=1.0)",
            "foo ( >= 2:1.0-1~bpo1 )",
            "foo:any (= 3)",
            "foo:amd64",
            "foo:",
            "foo (~ 1)",
            "foo (>=)",
            "foo (= 1 2)",
            "foo (= 1",
            "foo [amd64 !arm64]",
            "foo [amd64 arm64]",
            "foo [!amd64] <!nocheck> <stage1>",
            "foo <!nocheck",
            "foo bar",
            "a",
            "",
            "(= 1)",
            "Foo.Bar+1 (<< 1)",
            "foo (= 1) x",
            "foo [amd64",
        ] {
            let want = parse_one(text)
                .ok()
                .map(|r| (r.name, r.version.map(|(_, v)| v)));
            let want = want.as_ref().map(|(n, v)| (n.as_str(), v.as_deref()));
            assert_eq!(provided_one(text), want, "{text:?}");
        }
    }

    #[test]
    fn a_provides_field_with_one_bad_relation_provides_nothing() {
        let mut out = Vec::new();
        assert!(provided("a-v (= 1), b-v | c-v:any,", &mut out));
        assert_eq!(out, vec![("a-v", Some("1")), ("b-v", None), ("c-v", None)]);
        out.clear();
        // (a one-character name is valid since issue 16 item 6, as in dpkg)
        assert!(!provided("a-v (= 1), -b", &mut out));
    }
}
