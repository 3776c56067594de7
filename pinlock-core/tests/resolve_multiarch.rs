//! Multi-Arch in the resolver, on hand-written indexes: what `:any` needs, and the error a user
//! sees when nothing admits it (the cases against real apt are in
//! `tests/tests/parity_resolve.rs`).

#![allow(clippy::result_large_err)] // ResolveError carries its context by value

use std::collections::BTreeMap;

use pinlock_core::constraint::Constraint;
use pinlock_core::lockfile::LockedTarget;
use pinlock_core::packages::PackageIndex;
use pinlock_core::resolve::{resolve, Request, ResolveError, Universe};

fn stanza(name: &str, arch: &str, extra: &str) -> String {
    format!(
        "Package: {name}\nVersion: 1.0\nArchitecture: {arch}\n{extra}Filename: pool/{name}.deb\nSize: 1\nSHA256: {}\n\n",
        "0".repeat(64)
    )
}

fn run(text: String, want: &str) -> Result<LockedTarget, ResolveError> {
    let idx = PackageIndex::parse(text, "Packages").unwrap();
    let mut u = Universe::default();
    u.add_index(idx.iter(), 500);
    let packages: BTreeMap<String, Constraint> =
        [(want.to_string(), Constraint::parse("*").unwrap())].into();
    resolve(
        &u,
        &Request {
            target: "bookworm/amd64",
            arch: "amd64",
            packages: &packages,
            recommends: true,
            previous: None,
        },
    )
}

#[test]
fn any_needs_multi_arch_allowed() {
    let base = stanza("python3", "amd64", "Multi-Arch: allowed\n")
        + &stanza("perl", "amd64", "Multi-Arch: foreign\n")
        + &stanza("app", "all", "Depends: python3:any, perl\n");
    let t = run(base.clone(), "app").unwrap();
    assert!(t.packages.contains_key("python3") && t.packages.contains_key("perl"));
    assert_eq!(t.packages["python3"].required_by, vec!["app".to_string()]);

    let text = base + &stanza("tool", "amd64", "Depends: perl:any\n");
    let e = run(text, "tool").unwrap_err();
    assert!(matches!(e, ResolveError::BrokenDependency { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("perl:any"), "{msg}");
    assert!(msg.contains("Multi-Arch: allowed"), "{msg}");
}

#[test]
fn another_architecture_is_never_satisfied_and_says_why() {
    let text = stanza("libfoo", "amd64", "Multi-Arch: same\n")
        + &stanza("app", "amd64", "Depends: libfoo:arm64\n");
    let e = run(text, "app").unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("libfoo:arm64"), "{msg}");
    assert!(msg.contains("one architecture"), "{msg}");
}

#[test]
fn a_virtual_package_nobody_admits_is_broken_not_unresolved() {
    // provided, but not by a Multi-Arch: allowed package: apt fails, so does pinlock
    let text = stanza("mawk", "amd64", "Multi-Arch: foreign\nProvides: awk\n")
        + &stanza("app", "amd64", "Depends: awk:any\n");
    let e = run(text.clone(), "app").unwrap_err();
    assert!(
        matches!(&e, ResolveError::BrokenDependency { available, .. } if available == &vec!["mawk 1.0".to_string()]),
        "{e:?}"
    );
    // a name nobody has is still listed as unresolved
    let text = text + &stanza("app2", "amd64", "Depends: nosuch:any\n");
    let t = run(text, "app2").unwrap();
    assert_eq!(t.unresolved["nosuch"].kind, "depends");
}
