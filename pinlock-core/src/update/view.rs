//! What one target sees: its universe and when each version of interest was first served.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::constraint::Constraint;
use crate::lock::{enforced_suites, target_universe, targets};
use crate::lockfile::Lockfile;
use crate::manifest::Manifest;
use crate::release::{format_rfc2822, parse_rfc2822};
use crate::repository::SuiteSnapshot;
use crate::resolve::{Candidate, Universe};
use crate::version::Version;

use super::policy::{Held, Policy};

/// One target's packages.
pub(crate) struct TargetView<'a> {
    pub name: String,
    pub universe: Universe<'a>,
    /// (package, version) → Release Date (unix) of the first suite of the target serving it.
    pub dates: HashMap<(&'a str, &'a str), i64>,
    /// (package, version) served by a security suite of the target ([`security_suites`]).
    pub security: HashSet<(&'a str, &'a str)>,
}

impl TargetView<'_> {
    /// Whether a security suite of the target serves `package` `version`.
    pub fn is_security(&self, package: &str, version: &str) -> bool {
        self.security.contains(&(package, version))
    }
}

/// Per suite of `suites` (in the order the manifest lists sources and their suites), whether
/// it is a security source: marked `security: true` in the manifest, or named `*-security`
/// (Debian 11+, Ubuntu) or `*/updates` (Debian 10 and older).
pub(crate) fn security_suites(manifest: &Manifest, suites: &[SuiteSnapshot]) -> Vec<bool> {
    let mut out: Vec<bool> = manifest
        .sources
        .iter()
        .flat_map(|src| {
            src.spec.suites.iter().map(|s| {
                let s = s.trim_end_matches('/');
                src.security || s.ends_with("-security") || s.ends_with("/updates")
            })
        })
        .take(suites.len())
        .collect();
    out.resize(suites.len(), false);
    out
}

/// Views of every target of `manifest`, with dates for the packages in `names`.
pub(crate) fn views<'a>(
    manifest: &Manifest,
    suites: &'a [SuiteSnapshot],
    names: &BTreeSet<String>,
) -> Vec<TargetView<'a>> {
    let mut out = Vec::new();
    let enforced = enforced_suites(manifest, suites);
    let security_flags = security_suites(manifest, suites);
    for (name, ids) in targets(manifest, suites) {
        let arch = name.rsplit('/').next().unwrap_or_default().to_string();
        let universe = target_universe(suites, &ids, &arch, &enforced);
        let mut dates = HashMap::new();
        let mut security = HashSet::new();
        for &i in &ids {
            let s = &suites[i];
            let is_security = security_flags.get(i).copied().unwrap_or(false);
            // 0: no Date apt can read (see `Release::date_unix`); no first-seen time from it
            let date = s.release.date_unix.filter(|&d| d != 0);
            if !is_security && date.is_none() {
                continue;
            }
            for idx in s
                .indexes
                .iter()
                .filter(|x| x.architecture == arch || x.architecture == "all")
            {
                for p in idx.packages.iter().filter(|p| names.contains(p.name())) {
                    if is_security {
                        security.insert((p.name(), p.version()));
                    }
                    if let Some(date) = date {
                        dates.entry((p.name(), p.version())).or_insert(date);
                    }
                }
            }
        }
        out.push(TargetView {
            name,
            universe,
            dates,
            security,
        });
    }
    out
}

/// First-seen time of `package` `version`: the lockfile's record, else the Release Date of
/// the snapshot serving it now (this run is the first to see it).
pub(crate) fn first_seen(
    lock: &Lockfile,
    view: &TargetView<'_>,
    package: &str,
    version: &str,
) -> Option<i64> {
    lock.first_seen
        .get(package)
        .and_then(|m| m.get(version))
        .and_then(|d| parse_rfc2822(d))
        .or_else(|| view.dates.get(&(package, version)).copied())
}

/// The versions of one requested package in one target.
pub(crate) struct Choice<'v, 'a> {
    /// apt's candidate (highest priority, then highest version).
    pub latest: Option<&'v Candidate<'a>>,
    /// The newest version the constraint and policies allow (possibly the locked one).
    pub allowed: Option<&'v Candidate<'a>>,
    /// Versions newer than the locked one the constraint admits but a policy holds back.
    pub held: Vec<(&'v Candidate<'a>, Held)>,
}

/// Evaluates the candidates of `package` against its constraint and the policies.
pub(crate) fn choose<'v, 'a>(
    view: &'v TargetView<'a>,
    lock: &Lockfile,
    package: &str,
    constraint: &Constraint,
    locked: Option<&str>,
    policy: &Policy,
    now: i64,
) -> Choice<'v, 'a> {
    let cands = view.universe.candidates(package);
    let locked_v = locked.and_then(|l| Version::parse(l).ok());
    let mut allowed = None;
    let mut held = Vec::new();
    for c in cands {
        if !constraint.matches(&c.version) {
            continue;
        }
        let newer = locked_v.as_ref().is_none_or(|l| c.version > *l);
        if !newer {
            allowed = Some(c);
            break;
        }
        let seen = first_seen(lock, view, package, c.pkg.version());
        let security = view.is_security(package, c.pkg.version());
        match policy.check_security(package, locked_v.as_ref(), &c.version, seen, now, security) {
            Ok(()) => {
                allowed = Some(c);
                break;
            }
            Err(h) => held.push((c, h)),
        }
    }
    Choice {
        latest: cands.first(),
        allowed,
        held,
    }
}

/// Records in `lock.first_seen` every version of a requested package served now that has no
/// record yet, dated by the Release Date of its snapshot, and drops records of versions older
/// than every locked version of the package (and of packages no longer requested).
pub(crate) fn record_first_seen(
    lock: &mut Lockfile,
    views: &[TargetView<'_>],
    requested: &BTreeMap<String, String>,
) {
    for view in views {
        for ((name, version), date) in &view.dates {
            if requested.contains_key(*name) {
                lock.first_seen
                    .entry(name.to_string())
                    .or_default()
                    .entry(version.to_string())
                    .or_insert_with(|| format_rfc2822(*date));
            }
        }
    }
    let mut min_locked: BTreeMap<String, Version> = BTreeMap::new();
    for t in lock.targets.values() {
        for (name, p) in &t.packages {
            if let Ok(v) = Version::parse(&p.version) {
                let e = min_locked.entry(name.clone()).or_insert_with(|| v.clone());
                if v < *e {
                    *e = v;
                }
            }
        }
    }
    lock.first_seen
        .retain(|name, _| requested.contains_key(name));
    for (name, versions) in lock.first_seen.iter_mut() {
        if let Some(min) = min_locked.get(name) {
            versions.retain(|v, _| Version::parse(v).is_ok_and(|v| v >= *min));
        }
    }
    lock.first_seen.retain(|_, v| !v.is_empty());
}
