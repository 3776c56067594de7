//! What a target's sources offer, indexed for the resolver: candidates by name (a hash
//! table over the stanzas), their parsed relations on demand, and providers of virtual names.

use std::cell::{Cell, OnceCell};

use crate::packages::{PackageRef, PkgField};
use crate::relation::scan_one;
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
    pub(super) fn name(&self) -> &str {
        self.pkg.name()
    }
    /// True if the binary's version is its source's version (a co-versioned sibling).
    pub(super) fn co_versioned(&self) -> bool {
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
    pub(super) fn providers(&self, name: &str) -> &[Provider<'a>] {
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

/// Reads a Provides field as [`crate::relation::parse_relations`] does (alternatives flattened, architecture
/// qualifiers dropped), into (provided name, provided version) borrowed from `field`. Returns
/// false, with `out` unspecified, when the field does not parse.
pub(super) fn provided<'a>(field: &'a str, out: &mut Vec<(&'a str, Option<&'a str>)>) -> bool {
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
pub(super) fn provided_one(text: &str) -> Option<(&str, Option<&str>)> {
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
