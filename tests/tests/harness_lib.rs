//! Self-tests of the small helpers: fixture paths, require_tool, key paths.

use pinlock_tests::{fixture, require_tool, testdata_dir, TestKey};

#[test]
fn fixture_resolves_from_any_cwd() {
    let p = fixture("docker-debian");
    assert!(p.is_absolute());
    assert!(p.join("buster/stable/amd64.Packages").is_file());
    std::env::set_current_dir("/").unwrap();
    assert_eq!(fixture("docker-debian"), p);
    assert!(testdata_dir().join("keys").is_dir());
}

#[test]
fn unknown_fixture_panics_naming_the_existing_ones() {
    let err = std::panic::catch_unwind(|| fixture("no-such-repo")).unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("no-such-repo") && msg.contains("docker-debian"),
        "{msg}"
    );
}

#[test]
fn test_keys_exist() {
    for k in [TestKey::Repo, TestKey::Other] {
        for p in [k.secret_asc(), k.public_asc(), k.public_gpg()] {
            assert!(p.is_file(), "{}", p.display());
        }
    }
}

#[test]
fn require_tool_finds_sh_and_skips_or_panics_for_a_missing_tool() {
    assert!(require_tool("sh"));
    let missing = "pinlock-no-such-tool-7f3a";
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        assert!(std::panic::catch_unwind(|| require_tool(missing)).is_err());
    } else {
        assert!(!require_tool(missing));
    }
}
