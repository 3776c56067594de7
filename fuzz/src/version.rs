//! Version parser and comparator. Input: up to three versions separated by `\n`.
//! Properties: parsing never panics; `compare` agrees with `Version`'s `Ord` and with itself
//! reversed (antisymmetry); a version equals itself; `Display` re-parses to an equal version;
//! the order is transitive over the three; equal versions hash equally.

use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use pinlock_core::version::{compare, Version};

fn hash(v: &Version) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// The `version` fuzz target's body: checks the properties above for one input; panics on a
/// violation.
pub fn fuzz_version(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parts: Vec<&str> = text.splitn(3, '\n').collect();
    let mut parsed = Vec::new();
    for s in &parts {
        match Version::parse(s) {
            Ok(v) => {
                let again = Version::parse(&v.to_string()).expect("Display re-parses");
                assert_eq!(again.cmp(&v), Ordering::Equal, "{s:?}");
                assert_eq!(again, v, "{s:?}");
                assert_eq!(compare(s, s).unwrap(), Ordering::Equal, "{s:?}");
                let _ = (v.epoch(), v.upstream(), v.revision(), v.dpkg_warning());
                let _ = v.upstream_semver();
                if Version::parse_strict(s).is_ok() {
                    assert!(v.dpkg_warning().is_none());
                }
                parsed.push(v);
            }
            Err(e) => {
                assert!(Version::parse_strict(s).is_err());
                assert!(!e.to_string().is_empty());
            }
        }
    }
    for (i, a) in parsed.iter().enumerate() {
        for b in &parsed[i..] {
            let ab = compare(a.as_str(), b.as_str()).unwrap();
            let ba = compare(b.as_str(), a.as_str()).unwrap();
            assert_eq!(ab, ba.reverse(), "antisymmetry: {a} vs {b}");
            assert_eq!(ab, a.cmp(b), "compare vs Ord: {a} vs {b}");
            assert_eq!(ab == Ordering::Equal, a == b, "Eq vs Ord: {a} vs {b}");
            if a == b {
                assert_eq!(hash(a), hash(b), "Hash vs Eq: {a} vs {b}");
            }
        }
    }
    if let [a, b, c] = &parsed[..] {
        for (x, y, z) in [
            (a, b, c),
            (a, c, b),
            (b, a, c),
            (b, c, a),
            (c, a, b),
            (c, b, a),
        ] {
            if x <= y && y <= z {
                assert!(x <= z, "transitivity: {x} <= {y} <= {z}");
            }
            if x < y && y < z {
                assert!(x < z, "strict transitivity: {x} < {y} < {z}");
            }
        }
    }
}
