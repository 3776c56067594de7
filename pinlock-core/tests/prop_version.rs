//! Property tests of the Debian version comparator's laws (no external tool needed): total
//! order (antisymmetry, transitivity, reflexivity), agreement of `compare` with `Ord`, `Eq`
//! and `Hash`, and `Display` re-parsing to an equal version. The differential test against
//! `dpkg --compare-versions` is `tests/tests/prop_version_dpkg.rs`.

use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use pinlock_core::version::{compare, Version};
use proptest::prelude::*;

mod prop_support;
use prop_support::version;

fn hash(v: &Version) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn compare_is_a_total_order(a in version(), b in version(), c in version()) {
        let (va, vb, vc) = (
            Version::parse(&a).unwrap(),
            Version::parse(&b).unwrap(),
            Version::parse(&c).unwrap(),
        );
        prop_assert_eq!(compare(&a, &a).unwrap(), Ordering::Equal);
        let ab = compare(&a, &b).unwrap();
        prop_assert_eq!(ab, compare(&b, &a).unwrap().reverse(), "antisymmetry {} {}", a, b);
        prop_assert_eq!(ab, va.cmp(&vb), "compare vs Ord {} {}", a, b);
        prop_assert_eq!(ab == Ordering::Equal, va == vb, "Eq vs Ord {} {}", a, b);
        if va == vb {
            prop_assert_eq!(hash(&va), hash(&vb), "Hash vs Eq {} {}", a, b);
        }
        for (x, y, z) in [(&va, &vb, &vc), (&va, &vc, &vb), (&vb, &va, &vc),
                          (&vb, &vc, &va), (&vc, &va, &vb), (&vc, &vb, &va)] {
            if x <= y && y <= z {
                prop_assert!(x <= z, "transitivity {} <= {} <= {}", x, y, z);
            }
            if x == y && y == z {
                prop_assert!(x == z, "equality transitive {} {} {}", x, y, z);
            }
        }
    }

    #[test]
    fn display_reparses_equal(a in version()) {
        let v = Version::parse(&a).unwrap();
        let again = Version::parse(&v.to_string()).unwrap();
        prop_assert_eq!(again.as_str(), a.as_str());
        prop_assert_eq!(again.cmp(&v), Ordering::Equal);
    }

    /// Sorting by `Ord` gives a sequence whose neighbours `compare` never finds out of order.
    #[test]
    fn sort_agrees_with_compare(mut vs in prop::collection::vec(version(), 0..40)) {
        let mut parsed: Vec<Version> = vs.iter().map(|s| Version::parse(s).unwrap()).collect();
        parsed.sort();
        for w in parsed.windows(2) {
            prop_assert_ne!(compare(w[0].as_str(), w[1].as_str()).unwrap(), Ordering::Greater);
        }
        vs.sort_by(|a, b| compare(a, b).unwrap());
        for (s, v) in vs.iter().zip(&parsed) {
            prop_assert_eq!(compare(s, v.as_str()).unwrap(), Ordering::Equal);
        }
    }
}
