//! Property test: version ordering agrees with the real `dpkg --compare-versions` on generated
//! valid versions. Each proptest case checks a batch of pairs with a single shell process (one
//! `dpkg` call per pair and relation, no Rust-side process per pair).
//!
//! Needs dpkg. Without it the test prints why and passes, except under `CI=true`, where it fails.

use std::cmp::Ordering;
use std::io::Write;
use std::process::{Command, Stdio};

use pinlock_core::version::compare;
use proptest::prelude::*;

mod prop_support;
use prop_support::version;

fn dpkg_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(probe_dpkg)
}

fn probe_dpkg() -> bool {
    let ok = Command::new("dpkg")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("dpkg is required under CI=true\nhint: run on Debian/Ubuntu (dpkg is always installed there)");
        }
        println!("skipped: dpkg is not available, cannot compare against dpkg --compare-versions");
    }
    ok
}

/// For each pair, dpkg's verdict `lt`, `eq` or `gt`, from one `sh` process.
fn dpkg_verdicts(pairs: &[(String, String)]) -> Vec<String> {
    const SCRIPT: &str = r#"
while read -r a b; do
    if dpkg --compare-versions "$a" lt "$b"; then echo lt
    elif dpkg --compare-versions "$a" eq "$b"; then echo eq
    elif dpkg --compare-versions "$a" gt "$b"; then echo gt
    else echo "error $a $b"
    fi
done
"#;
    let mut child = Command::new("sh")
        .args(["-c", SCRIPT])
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sh");
    let input: String = pairs.iter().map(|(a, b)| format!("{a} {b}\n")).collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "sh failed: {out:?}");
    // Valid versions only: dpkg must neither warn nor fail.
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "dpkg complained");
    let verdicts: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(verdicts.len(), pairs.len(), "one verdict per pair");
    verdicts
}

proptest! {
    // 32 cases x up to 64 pairs: ~1,000 pairs, a few seconds of dpkg calls.
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn ordering_matches_dpkg(pairs in prop::collection::vec((version(), version()), 1..64)) {
        if !dpkg_available() {
            return Ok(());
        }
        let verdicts = dpkg_verdicts(&pairs);
        for ((a, b), dpkg) in pairs.iter().zip(&verdicts) {
            let ours = match compare(a, b).unwrap() {
                Ordering::Less => "lt",
                Ordering::Equal => "eq",
                Ordering::Greater => "gt",
            };
            prop_assert_eq!(ours, dpkg.as_str(), "{} vs {}", a, b);
        }
    }
}
