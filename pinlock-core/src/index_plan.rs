//! Which Packages indexes of a verified suite to read, decided as apt 2.6 decides it
//! (`pkgAcqMetaClearSig::QueueIndexes` in `apt-pkg/acquire-item.cc`, with
//! `debReleaseIndex::HasSupportForComponent`, `IsArchitectureSupported` and
//! `IsArchitectureAllSupportedFor` in `apt-pkg/deb/debmetaindex.cc`):
//!
//! - the index of a configured component and architecture is `COMPONENT/binary-ARCH/Packages`,
//!   read whenever the signed Release lists it, whatever `Components` says;
//! - a `Components` entry with a `/` also supports its last segment: Debian's security archive
//!   says `Components: updates/main ...` and lists `main/binary-amd64/Packages`, so the source
//!   component `main` reads it (the lockfile keeps `main`, as configured);
//! - `binary-all` is read only when `Architectures` lists `all` (or is absent) and
//!   `No-Support-for-Architecture-all` does not name `Packages` (Debian's archives name it: their
//!   arch-all packages are in every `binary-<arch>` index, and apt fetches no `binary-all`).
//!
//! Where apt skips a configured index with a warning or notice (a component or architecture the
//! Release does not have, an index the Release does not list), pinlock refuses: a lockfile
//! silently missing a component is worse than a stopped lock. Where apt skips silently (an
//! architecture the Release supports but lists no index for: "the same as an empty file"), pinlock
//! warns, unless the component then yields no index at all, which it refuses too.

use crate::release::{FileEntry, Release};
use crate::resolve::suggestions;

/// One index to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedIndex {
    /// Component as configured (`main`, also when the Release says `updates/main`).
    pub component: String,
    /// Architecture (`amd64`, or `all`).
    pub architecture: String,
    /// The Release's entry for the uncompressed index.
    pub entry: FileEntry,
}

/// The indexes of a suite to read, and what apt would pass over without a word but a user
/// should hear about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexPlan {
    /// Indexes, in configured component order, architectures in configured order, `all` last.
    pub indexes: Vec<PlannedIndex>,
    /// Warnings (no URL prefix is missing: each names the suite's URL).
    pub warnings: Vec<String>,
}

/// A configured component or architecture yields no index. Each variant names the suite's URL
/// (`ROOT/dists/SUITE`) and the component.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The Release neither lists the component in `Components` nor lists an index of it.
    #[error("{dist}: component {component:?} is not in the Release (Components: {listed}) and the Release lists no index of it; apt skips it with a warning (\"component misspelt in sources.list?\"), pinlock refuses rather than lock without it\nhint: {hint}")]
    UnknownComponent {
        /// Suite URL (no credentials).
        dist: String,
        /// The configured component.
        component: String,
        /// The Release's `Components`, as written.
        listed: String,
        /// What to change.
        hint: String,
    },
    /// The Release does not list the architecture in `Architectures` and has no index for it.
    #[error("{dist}: architecture {architecture:?} is not in the Release (Architectures: {listed}) and the Release lists no {component}/binary-{architecture}/Packages; apt skips it with a notice, pinlock refuses rather than lock nothing for it\nhint: {hint}")]
    UnknownArchitecture {
        /// Suite URL (no credentials).
        dist: String,
        /// The configured component.
        component: String,
        /// The configured architecture.
        architecture: String,
        /// The Release's `Architectures` (without `all`).
        listed: String,
        /// What to change.
        hint: String,
    },
    /// The Release has no `Architectures` field and does not list the index.
    #[error("{dist}: the Release lists no {component}/binary-{architecture}/Packages; apt skips it with a warning (\"does not seem to provide it (sources.list entry misspelt?)\"), pinlock refuses\nhint: check the suite, component and architecture of the source against the repository")]
    NotProvided {
        /// Suite URL (no credentials).
        dist: String,
        /// The configured component.
        component: String,
        /// The configured architecture.
        architecture: String,
    },
    /// The component is in the Release, but no index of it is listed for any configured
    /// architecture: apt reads nothing from it, without a word.
    #[error("{dist}: the Release lists no Packages index of component {component:?} for {architectures}; apt reads nothing from it, pinlock refuses rather than lock without it\nhint: {hint}")]
    EmptyComponent {
        /// Suite URL (no credentials).
        dist: String,
        /// The configured component.
        component: String,
        /// The configured architectures, comma-separated.
        architectures: String,
        /// What to change.
        hint: String,
    },
}

/// The components a Release supports, as apt counts them (`debReleaseIndex::Load`): each
/// `Components` entry, and for `a/b` also `b`.
fn supported_components(release: &Release) -> Vec<&str> {
    let mut out = Vec::new();
    for c in &release.components {
        if let Some((_, last)) = c.rsplit_once('/') {
            out.push(last);
        }
        out.push(c.as_str());
    }
    out
}

/// The components that have at least one Packages index in the Release: what a source can name.
fn components_with_indexes(release: &Release) -> Vec<String> {
    let mut out: Vec<String> = release
        .files
        .keys()
        .filter_map(|p| {
            let (comp, rest) = p.split_once("/binary-")?;
            rest.ends_with("/Packages").then(|| comp.to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn component_hint(component: &str, release: &Release) -> String {
    let mut names: Vec<String> = components_with_indexes(release);
    for c in supported_components(release) {
        if !names.iter().any(|n| n == c) {
            names.push(c.to_string());
        }
    }
    // a Release component `updates/main` is named `main` in sources: suggest that form
    let candidates: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !n.contains('/'))
        .collect();
    let near = suggestions(component, candidates.iter().copied());
    let list = if candidates.is_empty() {
        "(none)".to_string()
    } else {
        candidates.join(", ")
    };
    match near.first() {
        Some(n) => format!("did you mean `{n}`? the Release has indexes for: {list}"),
        None => format!("use one of the Release's components: {list}"),
    }
}

/// Decides which indexes of `release` to read for the configured `components` and
/// `architectures` (empty: every architecture the Release lists). `dist` is the suite's URL
/// (no credentials), for messages.
pub fn plan_indexes(
    release: &Release,
    components: &[String],
    architectures: &[String],
    dist: &str,
) -> Result<IndexPlan, PlanError> {
    let mut archs: Vec<&str> = if architectures.is_empty() {
        release.architectures.iter().map(String::as_str).collect()
    } else {
        architectures.iter().map(String::as_str).collect()
    };
    archs.retain(|a| *a != "all");
    let mut seen_arch = std::collections::HashSet::new();
    archs.retain(|a| seen_arch.insert(*a));
    let arch_supported =
        |a: &str| release.architectures.is_empty() || release.architectures.iter().any(|x| x == a);
    let all_supported = arch_supported("all")
        && !release
            .no_support_for_architecture_all
            .iter()
            .any(|t| t == "Packages");
    let key = |comp: &str, arch: &str| format!("{comp}/binary-{arch}/Packages");
    let supported = supported_components(release);
    let listed_archs = || {
        let a: Vec<&str> = release
            .architectures
            .iter()
            .map(String::as_str)
            .filter(|a| *a != "all")
            .collect();
        a.join(" ")
    };

    let mut plan = IndexPlan::default();
    let mut done_components = std::collections::HashSet::new();
    for comp in components {
        if !done_components.insert(comp.as_str()) {
            continue;
        }
        // apt's componentsSeen: some configured index of the component is listed
        let seen = archs
            .iter()
            .chain(std::iter::once(&"all"))
            .any(|a| release.files.contains_key(&key(comp, a)));
        let known = seen || release.components.is_empty() || supported.contains(&comp.as_str());
        if !known {
            return Err(PlanError::UnknownComponent {
                dist: dist.to_string(),
                component: comp.clone(),
                listed: release.components.join(" "),
                hint: component_hint(comp, release),
            });
        }
        let before = plan.indexes.len();
        for &arch in archs.iter().chain(std::iter::once(&"all")) {
            if arch == "all" && !all_supported {
                continue;
            }
            let k = key(comp, arch);
            if let Some(entry) = release.files.get(&k) {
                plan.indexes.push(PlannedIndex {
                    component: comp.clone(),
                    architecture: arch.to_string(),
                    entry: entry.clone(),
                });
                continue;
            }
            if arch == "all" {
                // the arch-all packages are in the binary-<arch> indexes, as on Debian's
                // mirrors before No-Support-for-Architecture-all; nothing to say
                continue;
            }
            if !arch_supported(arch) {
                let near = suggestions(arch, release.architectures.iter().map(String::as_str));
                let hint = match near.first() {
                    Some(n) => format!("did you mean `{n}`? remove {arch} from the source's `arch=` or use a repository that builds it"),
                    None => format!("remove {arch} from the source's `arch=` (the Release has: {})", listed_archs()),
                };
                return Err(PlanError::UnknownArchitecture {
                    dist: dist.to_string(),
                    component: comp.clone(),
                    architecture: arch.to_string(),
                    listed: listed_archs(),
                    hint,
                });
            }
            if release.architectures.is_empty() {
                return Err(PlanError::NotProvided {
                    dist: dist.to_string(),
                    component: comp.clone(),
                    architecture: arch.to_string(),
                });
            }
            plan.warnings.push(format!(
                "{dist}: the Release lists no {k}; no packages for {comp}/{arch}"
            ));
        }
        // no architecture configured and none in the Release: nothing to look for here, the
        // lock then says to add `arch=` (LockError::NoTargets)
        let nothing_asked = archs.is_empty() && architectures.is_empty();
        if plan.indexes.len() == before && !nothing_asked {
            let hint = if comp.contains('/') {
                let last = comp.rsplit('/').next().unwrap_or(comp);
                format!("the Release lists `{comp}` but its indexes are under `{last}/`: name the component `{last}` in the source, as apt's sources do")
            } else {
                component_hint(comp, release)
            };
            return Err(PlanError::EmptyComponent {
                dist: dist.to_string(),
                component: comp.clone(),
                architectures: if archs.is_empty() {
                    "all".to_string()
                } else {
                    archs.join(", ")
                },
                hint,
            });
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(head: &str, files: &[&str]) -> Release {
        let mut t = format!("{head}\nSHA256:\n");
        for f in files {
            t.push_str(&format!(" {} 10 {f}\n", "ab".repeat(32)));
        }
        Release::parse(&t, "Release").unwrap()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn got(p: &IndexPlan) -> Vec<String> {
        p.indexes
            .iter()
            .map(|i| format!("{}/{}", i.component, i.architecture))
            .collect()
    }

    const D: &str = "http://h/debian-security/dists/bookworm-security";

    /// The layout of Debian's security archive (its InRelease, May 2026): `updates/` components,
    /// indexes under the plain component.
    fn security() -> Release {
        release(
            "Label: Debian-Security\nArchitectures: amd64 arm64\nComponents: updates/main updates/contrib updates/non-free-firmware updates/non-free",
            &[
                "main/binary-amd64/Packages",
                "main/binary-arm64/Packages",
                "main/binary-all/Packages",
                "contrib/binary-amd64/Packages",
                "contrib/binary-arm64/Packages",
            ],
        )
    }

    #[test]
    fn security_updates_components_read_the_plain_component() {
        let p = plan_indexes(&security(), &s(&["main"]), &s(&["amd64"]), D).unwrap();
        assert_eq!(got(&p), ["main/amd64"]);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let p = plan_indexes(&security(), &s(&["main", "contrib"]), &[], D).unwrap();
        assert_eq!(
            got(&p),
            ["main/amd64", "main/arm64", "contrib/amd64", "contrib/arm64"]
        );
    }

    #[test]
    fn security_updates_component_spelt_out_yields_nothing() {
        // apt supports the name `updates/main` but the Release lists no updates/main/...:
        // apt reads nothing, silently; pinlock refuses and says to name it `main`
        let e = plan_indexes(&security(), &s(&["updates/main"]), &s(&["amd64"]), D).unwrap_err();
        assert!(matches!(e, PlanError::EmptyComponent { .. }), "{e}");
        assert!(e.to_string().contains("name the component `main`"), "{e}");
    }

    #[test]
    fn a_listed_index_is_read_whatever_components_says() {
        let r = release(
            "Architectures: amd64\nComponents: main",
            &["extra/binary-amd64/Packages", "main/binary-amd64/Packages"],
        );
        let p = plan_indexes(&r, &s(&["extra"]), &[], D).unwrap();
        assert_eq!(got(&p), ["extra/amd64"]);
    }

    #[test]
    fn no_support_for_architecture_all_skips_binary_all() {
        let files = ["main/binary-amd64/Packages", "main/binary-all/Packages"];
        let with = release(
            "Architectures: all amd64\nComponents: main\nNo-Support-for-Architecture-all: Packages",
            &files,
        );
        assert_eq!(with.no_support_for_architecture_all, ["Packages"]);
        let p = plan_indexes(&with, &s(&["main"]), &[], D).unwrap();
        assert_eq!(got(&p), ["main/amd64"]);
        // without the field: as before, binary-all is read
        let without = release("Architectures: all amd64\nComponents: main", &files);
        let p = plan_indexes(&without, &s(&["main"]), &[], D).unwrap();
        assert_eq!(got(&p), ["main/amd64", "main/all"]);
        // another index kind named: Packages' binary-all is still read
        let other = release(
            "Architectures: all amd64\nComponents: main\nNo-Support-for-Architecture-all: Contents",
            &files,
        );
        let p = plan_indexes(&other, &s(&["main"]), &[], D).unwrap();
        assert_eq!(got(&p), ["main/amd64", "main/all"]);
        // Architectures without `all`: apt does not fetch binary-all either
        let no_all = release("Architectures: amd64\nComponents: main", &files);
        let p = plan_indexes(&no_all, &s(&["main"]), &[], D).unwrap();
        assert_eq!(got(&p), ["main/amd64"]);
        // `arch=all` alone on such a Release yields nothing: refused, naming `all`
        let e = plan_indexes(&with, &s(&["main"]), &s(&["all"]), D).unwrap_err();
        assert!(e.to_string().contains("\"main\" for all;"), "{e}");
    }

    #[test]
    fn unknown_component_is_refused_with_a_suggestion() {
        let r = release(
            "Architectures: amd64\nComponents: stable test",
            &["stable/binary-amd64/Packages", "test/binary-amd64/Packages"],
        );
        let e = plan_indexes(&r, &s(&["stabel"]), &[], D).unwrap_err();
        assert!(matches!(e, PlanError::UnknownComponent { .. }), "{e}");
        let t = e.to_string();
        assert!(t.starts_with(D), "{t}");
        assert!(t.contains("\"stabel\""), "{t}");
        assert!(t.contains("hint: did you mean `stable`?"), "{t}");
        assert!(t.contains("stable, test"), "{t}");
        let e = plan_indexes(&r, &s(&["zzz"]), &[], D).unwrap_err();
        assert!(
            e.to_string()
                .contains("hint: use one of the Release's components: stable, test"),
            "{e}"
        );
    }

    #[test]
    fn unknown_architecture_is_refused() {
        let r = release(
            "Architectures: amd64 arm64\nComponents: main",
            &["main/binary-amd64/Packages", "main/binary-arm64/Packages"],
        );
        let e = plan_indexes(&r, &s(&["main"]), &s(&["amd64", "amd46"]), D).unwrap_err();
        assert!(matches!(e, PlanError::UnknownArchitecture { .. }), "{e}");
        assert!(e.to_string().contains("did you mean `amd64`?"), "{e}");
    }

    #[test]
    fn supported_architecture_without_index_warns_unless_nothing_is_left() {
        let r = release(
            "Architectures: amd64 arm64\nComponents: main",
            &["main/binary-amd64/Packages"],
        );
        let p = plan_indexes(&r, &s(&["main"]), &s(&["amd64", "arm64"]), D).unwrap();
        assert_eq!(got(&p), ["main/amd64"]);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert!(p.warnings[0].contains("main/binary-arm64/Packages"));
        let e = plan_indexes(&r, &s(&["main"]), &s(&["arm64"]), D).unwrap_err();
        assert!(matches!(e, PlanError::EmptyComponent { .. }), "{e}");
    }

    #[test]
    fn no_architectures_field_and_no_index_is_refused() {
        let r = release("Components: main", &["main/binary-amd64/Packages"]);
        let e = plan_indexes(&r, &s(&["main"]), &s(&["arm64"]), D).unwrap_err();
        assert!(matches!(e, PlanError::NotProvided { .. }), "{e}");
        // no architecture configured and none listed: no index, no error here (the lock
        // says to add `arch=`)
        let p = plan_indexes(&r, &s(&["main"]), &[], D).unwrap();
        assert!(p.indexes.is_empty());
    }

    #[test]
    fn debian_bookworm_release_reads_no_binary_all() {
        let data = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/keys/debian-bookworm.InRelease"
        ))
        .unwrap();
        // the signed text: after the armor header's blank line, up to the signature
        let body = data.split_once("\n\n").unwrap().1;
        let body = body.split("-----BEGIN PGP SIGNATURE-----").next().unwrap();
        let r = Release::parse(body, "InRelease").unwrap();
        assert_eq!(r.no_support_for_architecture_all, ["Packages"]);
        assert!(r.files.contains_key("main/binary-all/Packages"));
        let p = plan_indexes(&r, &s(&["main", "contrib"]), &s(&["amd64"]), D).unwrap();
        assert_eq!(got(&p), ["main/amd64", "contrib/amd64"]);
    }
}
