//! Property test: lockfile write -> read round trip. For generated lockfiles (versions are Debian
//! versions, which `Lockfile::parse` checks; other strings chosen to stress YAML quoting: `yes`/`null`/`~`, numbers, `: `, `#`, quotes, leading/trailing blanks,
//! newlines, tabs, non-ASCII, a BOM), the written text reads back to the same lockfile (up to the
//! canonical order `render` applies) and re-serialises byte-identically; `write` then `load`
//! through a real file gives the same value, and a second `write` leaves the file alone.

use std::collections::BTreeMap;
use std::path::Path;

use pinlock_core::lockfile::{LockedSource, Unresolved};
use pinlock_core::{LockedPackage, LockedTarget, Lockfile};
use proptest::prelude::*;

/// Strings that YAML may read as something else, or must quote or escape.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9.+~:-]{1,12}",
        1 => prop::sample::select(vec![
            "", "yes", "no", "on", "off", "true", "null", "~", "Null", "NULL", "1.0", "0x1f", "010",
            "1e3", ".inf", "-.nan", "- a", "a: b", "a #b", "#c", "'q'", "\"dq\"", " lead", "trail ",
            "a\nb", "tab\there", "ü☕🐳", "\u{feff}bom", "\u{85}nel", "\u{7f}del", "%percent", "@at",
            "`tick", "!tag", "&anchor", "*alias", "{flow}", "[seq]", "? key", "|", ">", "---", "...",
            "5:23.0.1-1~debian.10~buster", "pool/stable/d/docker-ce_23.0.1.deb",
        ]).prop_map(str::to_string),
        1 => "\\PC{0,10}",
    ]
}

/// Debian versions (the lockfile refuses anything else on load), including those YAML would read
/// as numbers (`1.0`, `010`, `1e3`, `0x1f`) or that carry `:` and `~`.
fn version() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "([0-9]{1,2}:)?[0-9][a-z0-9.+~]{0,8}(-[a-z0-9.+~]{1,4})?",
        1 => prop::sample::select(vec![
            "1.0", "010", "1e3", "0x1f", "1", "0", "1:2", "2.0~rc1", "1.0+dfsg-1", "1.0-1~",
            "5:23.0.1-1~debian.10~buster", "1.6.18-1",
        ]).prop_map(str::to_string),
    ]
    .prop_filter("a Debian version", |v| {
        pinlock_core::version::Version::parse(v).is_ok()
    })
}

fn names() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(text(), 0..4)
}

fn package() -> impl Strategy<Value = LockedPackage> {
    (
        (version(), text(), text(), text()),
        any::<u64>(),
        text(),
        prop::option::of(text()),
        names(),
    )
        .prop_map(
            |((version, architecture, source, filename), size, sha256, requested, required_by)| {
                LockedPackage {
                    version,
                    architecture,
                    source,
                    filename,
                    size,
                    sha256,
                    requested,
                    required_by,
                    enforce: size % 2 == 0,
                }
            },
        )
}

fn target() -> impl Strategy<Value = LockedTarget> {
    (
        prop::collection::btree_map(text(), package(), 0..4),
        prop::collection::btree_map(
            text(),
            (text(), text(), names(), any::<bool>()).prop_map(
                |(relation, kind, required_by, waived)| Unresolved {
                    relation,
                    kind,
                    required_by,
                    waived,
                },
            ),
            0..3,
        ),
    )
        .prop_map(|(packages, unresolved)| LockedTarget {
            packages,
            unresolved,
        })
}

fn lockfile() -> impl Strategy<Value = Lockfile> {
    let source = (text(), text(), names(), text(), text(), text()).prop_map(
        |(url, suite, components, date, inrelease_sha256, signed_by)| LockedSource {
            url,
            suite,
            components,
            date,
            inrelease_sha256,
            signed_by,
        },
    );
    (
        prop::collection::vec(source, 0..3),
        prop::collection::btree_map(text(), target(), 0..3),
        prop::collection::btree_map(
            text(),
            prop::collection::btree_map(version(), text(), 0..3),
            0..3,
        ),
    )
        .prop_map(|(sources, targets, first_seen)| Lockfile {
            sources,
            targets,
            first_seen,
            ..Lockfile::new()
        })
}

/// The lockfile in the canonical order `render` writes: sources sorted, `required_by` lists
/// sorted and deduplicated.
fn canonical(l: &Lockfile) -> Lockfile {
    let mut c = l.clone();
    c.sources.sort();
    let fix = |v: &mut Vec<String>| {
        v.sort();
        v.dedup();
    };
    for t in c.targets.values_mut() {
        t.packages
            .values_mut()
            .for_each(|p| fix(&mut p.required_by));
        t.unresolved
            .values_mut()
            .for_each(|u| fix(&mut u.required_by));
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn render_parse_round_trips(lock in lockfile()) {
        let text = lock.render();
        let back = Lockfile::parse(&text, Path::new("pinlock.lock"))
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- text\n{text}")))?;
        prop_assert_eq!(&back, &canonical(&lock), "text:\n{}", text);
        prop_assert_eq!(back.render(), text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn write_load_round_trips_through_a_file(lock in lockfile()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pinlock.lock");
        prop_assert!(lock.write(&path).unwrap(), "first write writes");
        let bytes = std::fs::read(&path).unwrap();
        let rendered = lock.render();
        prop_assert_eq!(&bytes, rendered.as_bytes());
        let back = Lockfile::load(&path).unwrap().expect("file exists");
        prop_assert_eq!(&back, &canonical(&lock));
        prop_assert!(!back.write(&path).unwrap(), "re-writing the read lockfile changes nothing");
        prop_assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }
}

#[test]
fn canonical_is_what_render_sorts() {
    // A guard on the test itself: an unsorted lockfile really is reordered by render, so the
    // round-trip property above compares against the right value.
    let mut lock = Lockfile::new();
    let src = |url: &str| LockedSource {
        url: url.into(),
        suite: "s".into(),
        components: vec![],
        date: "d".into(),
        inrelease_sha256: "h".into(),
        signed_by: "k".into(),
    };
    lock.sources = vec![src("b"), src("a")];
    let mut t = LockedTarget::default();
    t.packages.insert(
        "p".into(),
        LockedPackage {
            version: "1".into(),
            architecture: "all".into(),
            source: "p".into(),
            filename: "f".into(),
            size: 1,
            sha256: "x".into(),
            requested: None,
            required_by: vec!["z".into(), "a".into(), "z".into()],
            enforce: true,
        },
    );
    lock.targets = BTreeMap::from([("buster/amd64".to_string(), t)]);
    let back = Lockfile::parse(&lock.render(), Path::new("l")).unwrap();
    assert_ne!(back, lock);
    assert_eq!(back, canonical(&lock));
}
