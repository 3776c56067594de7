//! Unit tests of the Provides readers (the resolver itself is tested against apt in the tests
//! crate: parity_resolve.rs, lock_apt.rs).
use super::universe::{provided, provided_one};
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
