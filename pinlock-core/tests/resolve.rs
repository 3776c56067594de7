//! Resolver rules on small hand-written indexes: candidates and priorities, siblings,
//! alternatives, virtual packages, unresolved dependencies, Conflicts/Breaks.

#![allow(clippy::result_large_err)] // ResolveError carries its context by value

use std::collections::BTreeMap;

use pinlock_core::constraint::Constraint;
use pinlock_core::lockfile::LockedTarget;
use pinlock_core::packages::PackageIndex;
use pinlock_core::resolve::{resolve, Request, ResolveError, Universe};

fn stanza(name: &str, version: &str, extra: &str) -> String {
    format!(
        "Package: {name}\nVersion: {version}\nArchitecture: amd64\n{extra}Filename: pool/{name}_{version}.deb\nSize: 1\nSHA256: {}\n\n",
        "0".repeat(64)
    )
}

fn run(
    indexes: &[(&PackageIndex, i32)],
    want: &[(&str, &str)],
    recommends: bool,
) -> Result<LockedTarget, ResolveError> {
    let mut u = Universe::default();
    for (idx, prio) in indexes {
        u.add_index(idx.iter(), *prio);
    }
    u.finish();
    let packages: BTreeMap<String, Constraint> = want
        .iter()
        .map(|(n, c)| (n.to_string(), Constraint::parse(c).unwrap()))
        .collect();
    resolve(
        &u,
        &Request {
            target: "t/amd64",
            arch: "amd64",
            packages: &packages,
            recommends,
            previous: None,
        },
    )
}

fn index(text: String) -> PackageIndex {
    PackageIndex::parse(text, "Packages").unwrap()
}

fn version<'a>(t: &'a LockedTarget, name: &str) -> &'a str {
    &t.packages[name].version
}

#[test]
fn not_automatic_sources_lose_to_normal_ones_but_are_used_alone() {
    let normal = index(stanza("a", "1.0", ""));
    let backports = index(stanza("a", "2.0", "") + &stanza("b", "3.0", ""));
    let t = run(
        &[(&normal, 500), (&backports, 1)],
        &[("a", "*"), ("b", "*")],
        true,
    )
    .unwrap();
    assert_eq!(
        version(&t, "a"),
        "1.0",
        "apt prefers priority 500 over a higher NotAutomatic version"
    );
    assert_eq!(
        version(&t, "b"),
        "3.0",
        "a NotAutomatic-only package is still the candidate"
    );
    // A constraint only the NotAutomatic version satisfies picks it.
    let t = run(&[(&normal, 500), (&backports, 1)], &[("a", ">= 2")], true).unwrap();
    assert_eq!(version(&t, "a"), "2.0");
}

#[test]
fn co_versioned_siblings_move_together() {
    let idx = index(
        stanza("srv", "2.0", "Source: s\n")
            + &stanza("srv", "1.0", "Source: s\n")
            + &stanza("cli", "2.0", "Source: s\n")
            + &stanza("cli", "1.0", "Source: s\n"),
    );
    let t = run(&[(&idx, 500)], &[("srv", "^1"), ("cli", "*")], true).unwrap();
    assert_eq!(
        version(&t, "cli"),
        "1.0",
        "cli follows srv's source version"
    );
    let e = run(&[(&idx, 500)], &[("srv", "^1"), ("cli", "^2")], true).unwrap_err();
    assert!(matches!(e, ResolveError::SiblingConflict { .. }), "{e}");
}

#[test]
fn alternatives_virtuals_and_unresolved() {
    let idx = index(
        stanza(
            "app",
            "1",
            "Depends: missing-lib | mail-transport-agent, real (>= 2)\nRecommends: nowhere\n",
        ) + &stanza("postfix", "3", "Provides: mail-transport-agent\n")
            + &stanza("real", "1", "")
            + &stanza("real", "2", ""),
    );
    let t = run(&[(&idx, 500)], &[("app", "*")], true).unwrap();
    assert_eq!(
        version(&t, "postfix"),
        "3",
        "virtual package resolved through Provides"
    );
    assert_eq!(t.packages["postfix"].required_by, ["app"]);
    assert_eq!(version(&t, "real"), "2");
    assert_eq!(t.unresolved["nowhere"].kind, "recommends");
    let t = run(&[(&idx, 500)], &[("app", "*")], false).unwrap();
    assert!(
        t.unresolved.is_empty(),
        "recommends: false ignores Recommends"
    );
}

#[test]
fn broken_versioned_dependency_is_an_error() {
    let idx = index(stanza("app", "1", "Depends: lib (>= 5)\n") + &stanza("lib", "4", ""));
    let e = run(&[(&idx, 500)], &[("app", "*")], true).unwrap_err();
    assert!(matches!(e, ResolveError::BrokenDependency { .. }), "{e}");
    assert!(e.to_string().contains("lib (>= 5)"), "{e}");
}

#[test]
fn conflicts_and_breaks_inside_the_set_are_errors() {
    let idx = index(
        stanza("aa", "1", "Conflicts: bb\n")
            + &stanza("bb", "1", "")
            + &stanza("cc", "1", "Breaks: dd (<< 2)\n")
            + &stanza("dd", "1", "")
            + &stanza("dd", "2", "")
            + &stanza(
                "containerd.io",
                "1.6.18-1",
                "Provides: containerd, runc\nConflicts: containerd, runc\n",
            ),
    );
    let e = run(&[(&idx, 500)], &[("aa", "*"), ("bb", "*")], true).unwrap_err();
    assert!(matches!(e, ResolveError::Conflict { .. }), "{e}");
    let e = run(&[(&idx, 500)], &[("cc", "*"), ("dd", "<< 2")], true).unwrap_err();
    assert!(e.to_string().contains("breaks dd (<< 2)"), "{e}");
    run(&[(&idx, 500)], &[("cc", "*"), ("dd", "*")], true).expect("dd 2 is not broken by cc");
    run(&[(&idx, 500)], &[("containerd.io", "*")], true)
        .expect("a package may conflict with what it provides");
}

#[test]
fn unknown_names_get_suggestions_and_virtuals_name_providers() {
    let idx = index(
        stanza("docker-ce", "1", "") + &stanza("postfix", "3", "Provides: mail-transport-agent\n"),
    );
    let e = run(&[(&idx, 500)], &[("docker-c", "*")], true).unwrap_err();
    assert!(e.to_string().contains("did you mean docker-ce"), "{e}");
    let e = run(&[(&idx, 500)], &[("mail-transport-agent", "*")], true).unwrap_err();
    assert!(e.to_string().contains("provided by postfix"), "{e}");
}

#[test]
fn an_unparsable_relation_of_a_locked_package_is_an_error() {
    let idx = index(stanza("app", "1", "Depends: lib (>= )\n"));
    let e = run(&[(&idx, 500)], &[("app", "*")], true).unwrap_err();
    assert!(
        matches!(
            e,
            ResolveError::BadRelation {
                field: "Depends",
                ..
            }
        ),
        "{e}"
    );
}
