//! The package universe's bookkeeping on larger generated indexes: every stanza stays under
//! its name across several indexes and priorities, every provided name (with its provided
//! version) reaches its providers, adding an index after lookups is seen, and a Provides field
//! that does not parse provides nothing.

#![allow(clippy::result_large_err)] // ResolveError carries its context by value

use std::collections::BTreeMap;

use pinlock_core::constraint::Constraint;
use pinlock_core::lockfile::LockedTarget;
use pinlock_core::packages::{PackageIndex, PkgField};
use pinlock_core::resolve::{resolve, Request, ResolveError, Universe};

fn stanza(name: &str, version: &str, extra: &str) -> String {
    format!(
        "Package: {name}\nVersion: {version}\nArchitecture: amd64\n{extra}Filename: pool/{name}_{version}.deb\nSize: 1\nSHA256: {}\n\n",
        "0".repeat(64)
    )
}

fn index(text: String) -> PackageIndex {
    PackageIndex::parse(text, "Packages").unwrap()
}

fn resolve_one(u: &Universe<'_>, name: &str) -> Result<LockedTarget, ResolveError> {
    let packages: BTreeMap<String, Constraint> =
        [(name.to_string(), Constraint::parse("*").unwrap())].into();
    resolve(
        u,
        &Request {
            target: "t/amd64",
            arch: "amd64",
            packages: &packages,
            recommends: false,
            previous: None,
        },
    )
}

const N: usize = 6000;
const VIRTUALS: usize = 700;

/// `pkg-i` 1.i at priority 500, each providing `virt-(i % 700) (= i)` and `shared`; then at
/// priority 100 `pkg-i` 2.0 for even i, a duplicate of `pkg-0` 1.0 (the first source wins),
/// and new names `new-i`.
fn generated() -> (PackageIndex, PackageIndex) {
    let mut a = String::new();
    for i in 0..N {
        a += &stanza(
            &format!("pkg-{i}"),
            &format!("1.{i}"),
            &format!("Provides: virt-{} (= {i}), shared\n", i % VIRTUALS),
        );
    }
    let mut b = stanza("pkg-0", "1.0", "");
    for i in (0..N).step_by(2) {
        b += &stanza(&format!("pkg-{i}"), "2.0", "");
        b += &stanza(&format!("new-{i}"), "0.1", "Provides: virt-0\n");
    }
    (index(a), index(b))
}

#[test]
fn every_stanza_and_provider_is_kept_across_indexes() {
    let (a, b) = generated();
    let mut u = Universe::default();
    u.add_index(a.iter(), 500);
    u.add_index(b.iter(), 100);
    u.finish();

    for i in [0, 1, 2, 77, 2998, 4999, N - 1] {
        let name = format!("pkg-{i}");
        let got: Vec<(&str, i32)> = u
            .candidates(&name)
            .iter()
            .map(|c| (c.pkg.version(), c.priority))
            .collect();
        let one = format!("1.{i}");
        let mut want = vec![(one.as_str(), 500)];
        if i % 2 == 0 {
            want.push(("2.0", 100));
        }
        assert_eq!(got, want, "{name}: priority first, then version");
    }
    assert!(
        u.candidates("virt-5").is_empty(),
        "a virtual name has no candidates"
    );
    assert!(u.candidates("no-such-name").is_empty());

    let mut want: Vec<String> = (0..N)
        .filter(|i| i % VIRTUALS == 5)
        .map(|i| format!("pkg-{i}"))
        .collect();
    want.sort();
    assert_eq!(u.provider_names("virt-5"), want, "sorted by provider name");
    let mut want: Vec<String> = (0..N)
        .filter(|i| i % VIRTUALS == 0)
        .map(|i| format!("pkg-{i}"))
        .chain((0..N).step_by(2).map(|i| format!("new-{i}")))
        .collect();
    want.sort();
    assert_eq!(u.provider_names("virt-0"), want);
    assert_eq!(u.provider_names("shared").len(), N);
    assert!(u.provider_names("pkg-1").is_empty());

    let mut names: Vec<&str> = u.names().collect();
    names.sort();
    assert_eq!(names.len(), N + N / 2, "real names only, each once");
    assert!(names.binary_search(&"new-4").is_ok());
    assert!(names.binary_search(&"virt-4").is_err());

    // The provided version decides a versioned relation on a virtual name.
    let dep = index(stanza("top", "1", "Depends: virt-5 (= 705)\n"));
    let mut u2 = Universe::default();
    u2.add_index(a.iter(), 500);
    u2.add_index(dep.iter(), 500);
    let t = resolve_one(&u2, "top").unwrap();
    assert_eq!(t.packages["pkg-705"].version, "1.705");
    assert_eq!(t.packages["pkg-705"].required_by, vec!["top".to_string()]);
    assert_eq!(t.packages.len(), 2, "{:?}", t.packages.keys());
}

#[test]
fn an_index_added_after_lookups_is_seen() {
    let first = index(stanza("a", "1.0", "") + &stanza("b", "1.0", "Provides: vv\n"));
    let second = index(stanza("a", "2.0", "") + &stanza("c", "1.0", "Provides: vv\n"));
    let mut u = Universe::default();
    u.add_index(first.iter(), 500);
    assert_eq!(u.candidates("a").len(), 1);
    assert_eq!(u.provider_names("vv"), vec!["b"]);
    u.add_index(second.iter(), 500);
    let got: Vec<&str> = u.candidates("a").iter().map(|c| c.pkg.version()).collect();
    assert_eq!(got, vec!["2.0", "1.0"]);
    assert_eq!(u.provider_names("vv"), vec!["b", "c"]);
}

#[test]
fn provides_fields_are_read_as_relations() {
    let idx = index(
        stanza("bad", "1", "Provides: good-v (= 1), not a name\n")
            + &stanza("qual", "1", "Provides: q-v:any (= 3), alt-a | alt-b\n")
            + &stanza("top", "1", "Depends: q-v (>= 3), alt-b\n"),
    );
    let mut u = Universe::default();
    u.add_index(idx.iter(), 500);
    assert!(
        u.provider_names("good-v").is_empty(),
        "a Provides field that does not parse provides nothing"
    );
    assert_eq!(u.provider_names("q-v"), vec!["qual"]);
    assert_eq!(u.provider_names("alt-a"), vec!["qual"]);
    let t = resolve_one(&u, "top").unwrap();
    assert!(t.packages.contains_key("qual"), "{:?}", t.packages.keys());
    assert!(t.unresolved.is_empty(), "{:?}", t.unresolved);
}

/// A candidate is enforced when any index serving its version and architecture is: the
/// unenforced index added first still provides the stanza (the first source wins), but the
/// version counts as enforced; a version only the unenforced index has is not.
#[test]
fn enforce_is_or_ed_over_the_indexes_serving_a_version() {
    let review = index(stanza("base", "1.0", "") + &stanza("base", "1.1", ""));
    let pinned = index(stanza("base", "1.0", "Depends: other\n"));
    let mut u = Universe::default();
    u.add_index_enforced(review.iter(), 500, false);
    u.add_index_enforced(pinned.iter(), 500, true);
    let got: Vec<(&str, bool, bool)> = u
        .candidates("base")
        .iter()
        .map(|c| {
            (
                c.pkg.version(),
                c.enforce,
                c.pkg.get(PkgField::Depends).is_some(),
            )
        })
        .collect();
    assert_eq!(got, [("1.1", false, false), ("1.0", true, false)]);
    assert!(!resolve_one(&u, "base").unwrap().packages["base"].enforce);
    let mut plain = Universe::default();
    plain.add_index(review.iter(), 500);
    assert!(plain.candidates("base").iter().all(|c| c.enforce));
    assert!(resolve_one(&plain, "base").unwrap().packages["base"].enforce);
}
