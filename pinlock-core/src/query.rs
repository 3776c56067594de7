//! Queries over read suites: which versions of a package exist, and where.

use std::collections::BTreeMap;

use crate::repository::SuiteSnapshot;
use crate::version::Version;

/// One available version of a package, and the index it is in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Available {
    /// The version.
    pub version: String,
    /// Package architecture (`amd64`, `all`, ...).
    pub architecture: String,
    /// Repository root (no credentials).
    pub uri: String,
    /// Suite.
    pub suite: String,
    /// Component.
    pub component: String,
    /// Architecture of the index it was found in.
    pub index_architecture: String,
}

/// Every version of each of `names` in `suites`, newest first in dpkg order (ties: by suite,
/// component, architecture). Names with no version map to an empty list.
pub fn versions(suites: &[SuiteSnapshot], names: &[String]) -> BTreeMap<String, Vec<Available>> {
    let mut out: BTreeMap<String, Vec<(Version, Available)>> =
        names.iter().map(|n| (n.clone(), Vec::new())).collect();
    for s in suites {
        for idx in &s.indexes {
            for p in idx.packages.iter() {
                let Some(list) = out.get_mut(p.name()) else {
                    continue;
                };
                let Ok(v) = Version::parse(p.version()) else {
                    continue;
                };
                let a = Available {
                    version: p.version().to_string(),
                    architecture: p.architecture().to_string(),
                    uri: s.uri.clone(),
                    suite: s.suite.clone(),
                    component: idx.component.clone(),
                    index_architecture: idx.architecture.clone(),
                };
                if !list.iter().any(|(_, x)| x == &a) {
                    list.push((v, a));
                }
            }
        }
    }
    out.into_iter()
        .map(|(name, mut list)| {
            list.sort_by(|(va, a), (vb, b)| {
                vb.cmp(va)
                    .then_with(|| a.version.cmp(&b.version))
                    .then_with(|| {
                        (&a.suite, &a.component, &a.index_architecture).cmp(&(
                            &b.suite,
                            &b.component,
                            &b.index_architecture,
                        ))
                    })
            });
            (name, list.into_iter().map(|(_, a)| a).collect())
        })
        .collect()
}
