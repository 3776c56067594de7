//! Constraint parser. Input: a constraint, then versions, separated by `\n`.
//! Properties: parsing never panics; a parsed constraint's text re-parses to a constraint that
//! matches exactly the same versions; `*` matches everything; errors name the text.

use pinlock_core::{Constraint, Version};

/// The `constraint` fuzz target's body: checks the properties above for one input; panics on a
/// violation.
pub fn fuzz_constraint(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let spec = lines.next().unwrap_or("");
    let versions: Vec<Version> = lines.filter_map(|l| Version::parse(l).ok()).collect();
    match Constraint::parse(spec) {
        Ok(c) => {
            let again = Constraint::parse(c.as_str()).expect("as_str re-parses");
            assert_eq!(again.as_str(), c.as_str());
            assert_eq!(c.to_string(), c.as_str());
            if c.is_any() {
                assert!(!c.has_semver());
            }
            for v in &versions {
                let m = c.matches(v);
                assert_eq!(m, again.matches(v), "{spec:?} on {v}");
                if c.is_any() {
                    assert!(m, "{spec:?} is any but rejects {v}");
                }
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty());
        }
    }
}
