//! Integration tests of apt-style signature verification.
//!
//! Three groups:
//! - real data: Debian's bookworm InRelease with its archive keyring, Docker's key;
//! - files signed here with rpgp and the committed throwaway test keys (no tool needed);
//! - files signed with real `gpg`, each verdict cross-checked with `gpgv` read by apt's rules
//!   (skipped when gpg/gpgv are missing, failing under `CI=true`).
//!
//! Verification is part of the `online` feature.
#![cfg(feature = "online")]

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pgp::composed::{ArmorOptions, Deserializable, DetachedSignature, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{Signature, SignatureConfig, SignatureType, Subpacket, SubpacketData};
use pgp::types::{Password, SigningKey, Timestamp};
use pinlock_core::signature::{
    verify_detached, verify_inrelease, Keyring, SignatureError, SignatureOutcome, Verified,
};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/keys")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(testdata(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Replaces the first occurrence of `from` by `to` (same length), panicking if absent.
fn replace_once(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let pos = data
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{:?} not found", String::from_utf8_lossy(from)));
    let mut out = data[..pos].to_vec();
    out.extend_from_slice(to);
    out.extend_from_slice(&data[pos + from.len()..]);
    out
}

// ---------------------------------------------------------------------------------------------
// Real data
// ---------------------------------------------------------------------------------------------

/// 16 May 2026 10:54:28 UTC, the `Date:` of the committed Debian bookworm InRelease.
const BOOKWORM_DATE: u64 = 1_778_928_868;
/// Primary keys and signing (sub)keys of the three signatures on the bookworm InRelease, as
/// reported by `gpgv --status-fd` (VALIDSIG lines).
const BOOKWORM_SIGNERS: [(&str, &str); 3] = [
    (
        "B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8",
        "4CB50190207B4758A3F73A796ED0E7B82643E131",
    ),
    (
        "04B54C3CDCA79751B16BC6B5225629DF75B188BD",
        "B8E5F13176D2A7A75220028078DBA3BC47EF2265",
    ),
    (
        "4D64FEC119C2029067D6E791F8D2585B8783D481",
        "4D64FEC119C2029067D6E791F8D2585B8783D481",
    ),
];

fn debian_keyring() -> Keyring {
    Keyring::from_file(testdata("debian-archive-keyring.gpg")).unwrap()
}

#[test]
fn debian_bookworm_inrelease_verifies_with_its_three_signatures() {
    let data = read("debian-bookworm.InRelease");
    let v = verify_inrelease(&debian_keyring(), &data, at(BOOKWORM_DATE)).unwrap();
    assert_eq!(v.signer_fingerprint, BOOKWORM_SIGNERS[0].0);
    assert_eq!(v.signing_key_fingerprint, BOOKWORM_SIGNERS[0].1);
    let got: Vec<(String, String)> = v
        .signatures
        .iter()
        .map(|s| match &s.outcome {
            SignatureOutcome::Good {
                primary_fingerprint,
            } => (primary_fingerprint.clone(), s.key.clone()),
            other => panic!("signature {} not good: {other:?}", s.key),
        })
        .collect();
    let want: Vec<(String, String)> = BOOKWORM_SIGNERS
        .iter()
        .map(|(p, k)| (p.to_string(), k.to_string()))
        .collect();
    assert_eq!(got, want);

    // The content is exactly the text between the armor header and the signature.
    let text = String::from_utf8(data.clone()).unwrap();
    let body_start = text.find("\n\n").unwrap() + 2;
    let body_end = text.find("-----BEGIN PGP SIGNATURE-----").unwrap();
    assert_eq!(v.content, &text.as_bytes()[body_start..body_end]);
    assert!(v
        .content
        .starts_with(b"Origin: Debian\nLabel: Debian\nSuite: "));
}

#[test]
fn debian_inrelease_with_one_byte_changed_is_a_bad_signature() {
    let data = read("debian-bookworm.InRelease");
    let tampered = replace_once(&data, b"Label: Debian", b"Label: Debiam");
    let err = verify_inrelease(&debian_keyring(), &tampered, at(BOOKWORM_DATE)).unwrap_err();
    assert!(
        matches!(&err, SignatureError::BadSignature { key } if key == BOOKWORM_SIGNERS[0].1),
        "{err:?}"
    );
}

#[test]
fn debian_inrelease_against_an_unrelated_keyring_names_the_unknown_issuers() {
    let keyring = Keyring::from_file(testdata("docker-archive-key.asc")).unwrap();
    let data = read("debian-bookworm.InRelease");
    let err = verify_inrelease(&keyring, &data, at(BOOKWORM_DATE)).unwrap_err();
    let SignatureError::UnknownKey { key_ids, .. } = &err else {
        panic!("{err:?}");
    };
    let mut want: Vec<String> = BOOKWORM_SIGNERS.iter().map(|s| s.1.to_string()).collect();
    want.sort();
    assert_eq!(key_ids, &want);
    let msg = err.to_string();
    // names the keyring file the keys were read from
    let file = testdata("docker-archive-key.asc");
    assert!(
        msg.starts_with(&format!(
            "no signature by a key in keyring {};",
            file.display()
        )),
        "{msg}"
    );
    assert!(
        msg.contains("\nhint: add the repository's signing key"),
        "{msg}"
    );
}

#[test]
fn debian_inrelease_after_its_keys_expired_is_refused() {
    // 2040-01-01: all three Debian keys have expired by then.
    let data = read("debian-bookworm.InRelease");
    let err = verify_inrelease(&debian_keyring(), &data, at(2_208_988_800)).unwrap_err();
    assert!(matches!(err, SignatureError::ExpiredKey { .. }), "{err:?}");
}

#[test]
fn debian_inrelease_with_text_before_or_after_the_signed_message_is_refused() {
    let data = read("debian-bookworm.InRelease");
    let keyring = debian_keyring();

    let mut leading = b"Origin: Evil\n".to_vec();
    leading.extend_from_slice(&data);
    let err = verify_inrelease(&keyring, &leading, at(BOOKWORM_DATE)).unwrap_err();
    assert!(
        matches!(err, SignatureError::OutsideSignedMessage { line: 2, .. }),
        "{err:?}"
    );

    let mut trailing = data.clone();
    trailing.extend_from_slice(b"Origin: Evil\n");
    let err = verify_inrelease(&keyring, &trailing, at(BOOKWORM_DATE)).unwrap_err();
    assert!(
        matches!(err, SignatureError::OutsideSignedMessage { .. }),
        "{err:?}"
    );

    // A blank line after the signature is also text outside it for apt.
    let mut blank = data.clone();
    blank.extend_from_slice(b"\n");
    let err = verify_inrelease(&keyring, &blank, at(BOOKWORM_DATE)).unwrap_err();
    assert!(
        matches!(err, SignatureError::OutsideSignedMessage { .. }),
        "{err:?}"
    );
}

#[test]
fn debian_inrelease_with_crlf_line_endings_still_verifies() {
    let data = read("debian-bookworm.InRelease");
    let crlf = String::from_utf8(data)
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes();
    let v = verify_inrelease(&debian_keyring(), &crlf, at(BOOKWORM_DATE)).unwrap();
    assert!(!v.content.contains(&b'\r'));
}

#[test]
fn verification_of_the_real_debian_inrelease_is_timed() {
    let data = read("debian-bookworm.InRelease");
    let keyring = debian_keyring();
    let started = std::time::Instant::now();
    let runs = 5;
    for _ in 0..runs {
        verify_inrelease(&keyring, &data, at(BOOKWORM_DATE)).unwrap();
    }
    eprintln!(
        "verify_inrelease(debian bookworm, 3 signatures): {:?} per run",
        started.elapsed() / runs
    );
}

#[test]
fn docker_key_loads_with_its_primary_and_signing_subkey() {
    let keyring = Keyring::from_bytes(&read("docker-archive-key.asc")).unwrap();
    assert_eq!(
        keyring.fingerprints(),
        vec!["9DC858229FC7DD38854AE2D88D81803C0EBFCD88"]
    );
    assert!(keyring
        .subkey_fingerprints()
        .contains(&"D3306A018370199E527AE7997EA0A9C3F273FCD8".to_string()));
}

#[test]
fn debian_keyring_file_holds_several_keys() {
    let keyring = debian_keyring();
    let fprs = keyring.fingerprints();
    for (primary, _) in BOOKWORM_SIGNERS {
        assert!(fprs.contains(&primary.to_string()), "{primary} missing");
    }
    assert!(fprs.len() >= 3);
    let mut sorted = fprs.clone();
    sorted.sort();
    assert_eq!(fprs, sorted);
}

#[test]
fn missing_keyring_file_error_names_the_file() {
    let err = Keyring::from_file("/nonexistent/pinlock-test.gpg").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(
            "keyring /nonexistent/pinlock-test.gpg (signed-by) does not exist\nhint: "
        ),
        "{text}"
    );
    // the OS's words are not repeated as a cause below the message
    assert!(std::error::Error::source(&err).is_none(), "{err:?}");
    assert!(!text.contains("os error"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Files signed with rpgp and the committed throwaway test keys
// ---------------------------------------------------------------------------------------------

const ED_PRIMARY: &str = "63FD803763ABC555CFCF9C5F121585CB076EF068";
const ED_SUB: &str = "FC3520D8E49F4A140DCF3665E08D84CE54579617";
const RSA_PRIMARY: &str = "8F4929304E6E17D6C1DB71172497121317DE7427";
const RSA_SUB: &str = "4BD44E94EF48212297EBE2C6D4171BC6F287AAE1";

fn secret_key(name: &str) -> SignedSecretKey {
    let data = read(name);
    SignedSecretKey::from_armor_single(BufReader::new(data.as_slice()))
        .unwrap()
        .0
}

/// How to make a test signature.
struct SigSpec {
    typ: SignatureType,
    hash: HashAlgorithm,
    created: u32,
    expires_after: Option<u32>,
}

impl SigSpec {
    fn text(created: u64) -> SigSpec {
        SigSpec {
            typ: SignatureType::Text,
            hash: HashAlgorithm::Sha256,
            created: created as u32,
            expires_after: None,
        }
    }
}

fn sign_with(key: &impl SigningKey, data: &[u8], spec: &SigSpec) -> Signature {
    let mut config = SignatureConfig::v4(spec.typ, key.algorithm(), spec.hash);
    config.hashed_subpackets = vec![
        Subpacket::regular(SubpacketData::SignatureCreationTime(Timestamp::from_secs(
            spec.created,
        )))
        .unwrap(),
        Subpacket::regular(SubpacketData::IssuerFingerprint(key.fingerprint())).unwrap(),
    ];
    if let Some(d) = spec.expires_after {
        config.hashed_subpackets.push(
            Subpacket::regular(SubpacketData::SignatureExpirationTime(
                std::time::Duration::from_secs(u64::from(d))
                    .try_into()
                    .unwrap(),
            ))
            .unwrap(),
        );
    }
    config.unhashed_subpackets =
        vec![Subpacket::regular(SubpacketData::IssuerKeyId(key.legacy_key_id())).unwrap()];
    config.sign(key, &Password::empty(), data).unwrap()
}

/// Signs with the key's first (signing) subkey.
fn sign_sub(key: &SignedSecretKey, data: &[u8], spec: &SigSpec) -> Signature {
    sign_with(&key.secret_subkeys[0].key, data, spec)
}

fn armored(sig: Signature) -> String {
    DetachedSignature::new(sig)
        .to_armored_string(ArmorOptions::default())
        .unwrap()
}

/// Builds a clearsigned file around `text` (LF lines, each ending in `\n`), dash-escaping lines
/// that start with `-`, with one armored block per signature.
fn clearsigned(text: &str, sigs: Vec<Signature>) -> Vec<u8> {
    let mut out = String::from("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n");
    for line in text.lines() {
        if line.starts_with('-') {
            out.push_str("- ");
        }
        out.push_str(line);
        out.push('\n');
    }
    for sig in sigs {
        out.push_str(&armored(sig));
    }
    out.into_bytes()
}

/// The data a clearsignature covers: the lines joined by `\n` without the final newline.
fn signed_part(text: &str) -> Vec<u8> {
    text.strip_suffix('\n').unwrap_or(text).as_bytes().to_vec()
}

const RELEASE: &str = "Origin: pinlock test\nLabel: pinlock test\nSuite: stable\n-dash: escaped line\nDate: Mon, 01 Jan 2024 00:00:00 UTC\n";
const T0: u64 = 1_704_067_300;

fn test_keyring() -> Keyring {
    let mut both = read("test-ed25519.pub.asc");
    both.extend_from_slice(&read("test-rsa4096.pub.asc"));
    Keyring::from_bytes(&both).unwrap()
}

#[test]
fn rpgp_signed_inrelease_by_ed25519_subkey_verifies() {
    let ed = secret_key("test-ed25519.sec.asc");
    let file = clearsigned(
        RELEASE,
        vec![sign_sub(&ed, &signed_part(RELEASE), &SigSpec::text(T0))],
    );
    let v = verify_inrelease(&test_keyring(), &file, at(T0 + 60)).unwrap();
    assert_eq!(v.signer_fingerprint, ED_PRIMARY);
    assert_eq!(v.signing_key_fingerprint, ED_SUB);
    assert_eq!(v.content, RELEASE.as_bytes());
}

#[test]
fn one_bad_signature_by_a_keyring_key_fails_even_next_to_a_good_one() {
    // The trap: rpgp's CleartextSignedMessage::verify passes when any one signature is good.
    let ed = secret_key("test-ed25519.sec.asc");
    let rsa = secret_key("test-rsa4096.sec.asc");
    let good = sign_sub(&ed, &signed_part(RELEASE), &SigSpec::text(T0));
    let bad = sign_sub(&rsa, b"some other content", &SigSpec::text(T0));
    // One armor block holding both signatures, written by rpgp itself.
    let msg = pgp::composed::CleartextSignedMessage::new_many(
        std::str::from_utf8(&signed_part(RELEASE)).unwrap(),
        |_| Ok(vec![good, bad]),
    )
    .unwrap();
    let file = msg.to_armored_bytes(ArmorOptions::default()).unwrap();

    let (msg, _) = pgp::composed::CleartextSignedMessage::from_armor(file.as_slice()).unwrap();
    let ed_pub = pgp::composed::SignedPublicKey::from_armor_single(BufReader::new(
        read("test-ed25519.pub.asc").as_slice(),
    ))
    .unwrap()
    .0;
    assert!(msg.verify(&ed_pub.public_subkeys[0].key).is_ok());

    let err = verify_inrelease(&test_keyring(), &file, at(T0 + 60)).unwrap_err();
    assert!(
        matches!(&err, SignatureError::BadSignature { key } if key == RSA_SUB),
        "{err:?}"
    );
}

#[test]
fn signature_by_unknown_key_is_ignored_next_to_a_good_one() {
    let ed = secret_key("test-ed25519.sec.asc");
    let rsa = secret_key("test-rsa4096.sec.asc");
    let data = signed_part(RELEASE);
    let file = clearsigned(
        RELEASE,
        vec![
            sign_sub(&rsa, &data, &SigSpec::text(T0)),
            sign_sub(&ed, &data, &SigSpec::text(T0)),
        ],
    );
    let ed_only = Keyring::from_file(testdata("test-ed25519.pub.asc")).unwrap();
    let v = verify_inrelease(&ed_only, &file, at(T0 + 60)).unwrap();
    assert_eq!(v.signer_fingerprint, ED_PRIMARY);
    assert_eq!(v.signatures[0].outcome, SignatureOutcome::UnknownKey);
    assert_eq!(v.signatures[0].key, RSA_SUB);

    let rsa_only = Keyring::from_file(testdata("test-rsa4096.pub.asc")).unwrap();
    let v = verify_inrelease(&rsa_only, &file, at(T0 + 60)).unwrap();
    assert_eq!(v.signer_fingerprint, RSA_PRIMARY);
    assert_eq!(v.signing_key_fingerprint, RSA_SUB);
}

#[test]
fn sha1_and_md5_signatures_do_not_count() {
    // rpgp refuses to make SHA1 Ed25519 signatures; RSA it does.
    let ed = secret_key("test-rsa4096.sec.asc");
    for hash in [HashAlgorithm::Sha1, HashAlgorithm::Md5] {
        let spec = SigSpec {
            hash,
            ..SigSpec::text(T0)
        };
        let file = clearsigned(RELEASE, vec![sign_sub(&ed, &signed_part(RELEASE), &spec)]);
        let err = verify_inrelease(&test_keyring(), &file, at(T0 + 60)).unwrap_err();
        assert!(
            matches!(&err, SignatureError::WeakDigest { digest, .. } if *digest == hash.to_string()),
            "{err:?}"
        );
    }
    // SHA512 is fine.
    let spec = SigSpec {
        hash: HashAlgorithm::Sha512,
        ..SigSpec::text(T0)
    };
    let file = clearsigned(RELEASE, vec![sign_sub(&ed, &signed_part(RELEASE), &spec)]);
    verify_inrelease(&test_keyring(), &file, at(T0 + 60)).unwrap();
}

/// apt verifies with `gpgv --ignore-time-conflict`: a signature's creation time in the future
/// does not matter, however far ahead (the Release `Date` check is the guard).
#[test]
fn signature_from_the_future_is_accepted_as_apt_does() {
    let ed = secret_key("test-ed25519.sec.asc");
    let t = T0 + 7200;
    let file = clearsigned(
        RELEASE,
        vec![sign_sub(&ed, &signed_part(RELEASE), &SigSpec::text(t))],
    );
    verify_inrelease(&test_keyring(), &file, at(t - 60)).unwrap();
    verify_inrelease(&test_keyring(), &file, at(t - 3600)).unwrap();
    // but a future signature over other content is still BADSIG
    let mut bad = file.clone();
    let i = bad.windows(6).position(|w| w == b"Origin").unwrap();
    bad[i] = b'o';
    assert!(verify_inrelease(&test_keyring(), &bad, at(t - 3600)).is_err());
}

#[test]
fn expired_signature_is_refused() {
    let ed = secret_key("test-ed25519.sec.asc");
    let spec = SigSpec {
        expires_after: Some(3600),
        ..SigSpec::text(T0)
    };
    let file = clearsigned(RELEASE, vec![sign_sub(&ed, &signed_part(RELEASE), &spec)]);
    verify_inrelease(&test_keyring(), &file, at(T0 + 60)).unwrap();
    let err = verify_inrelease(&test_keyring(), &file, at(T0 + 7200)).unwrap_err();
    assert!(
        matches!(err, SignatureError::ExpiredSignature { .. }),
        "{err:?}"
    );
}

#[test]
fn certify_only_primary_key_cannot_sign() {
    let ed = secret_key("test-ed25519.sec.asc");
    let sig = sign_with(&ed.primary_key, &signed_part(RELEASE), &SigSpec::text(T0));
    let file = clearsigned(RELEASE, vec![sig]);
    let err = verify_inrelease(&test_keyring(), &file, at(T0 + 60)).unwrap_err();
    assert!(
        matches!(&err, SignatureError::NotSigningCapable { key, .. } if key == ED_PRIMARY),
        "{err:?}"
    );
}

#[test]
fn detached_signatures_binary_and_text_mode() {
    let rsa = secret_key("test-rsa4096.sec.asc");
    let keyring = test_keyring();
    let binary = SigSpec {
        typ: SignatureType::Binary,
        ..SigSpec::text(T0)
    };
    let sig = armored(sign_sub(&rsa, RELEASE.as_bytes(), &binary));
    let v = verify_detached(&keyring, RELEASE.as_bytes(), sig.as_bytes(), at(T0 + 60)).unwrap();
    assert_eq!(v.content, RELEASE.as_bytes());
    assert_eq!(v.signing_key_fingerprint, RSA_SUB);

    let tampered = replace_once(RELEASE.as_bytes(), b"stable", b"stabke");
    let err = verify_detached(&keyring, &tampered, sig.as_bytes(), at(T0 + 60)).unwrap_err();
    assert!(
        matches!(err, SignatureError::BadSignature { .. }),
        "{err:?}"
    );

    // A binary signature over CRLF data does not match LF data; a text-mode one does.
    let crlf = RELEASE.replace('\n', "\r\n");
    let err = verify_detached(&keyring, crlf.as_bytes(), sig.as_bytes(), at(T0 + 60)).unwrap_err();
    assert!(
        matches!(err, SignatureError::BadSignature { .. }),
        "{err:?}"
    );
    let text_sig = armored(sign_sub(&rsa, RELEASE.as_bytes(), &SigSpec::text(T0)));
    verify_detached(&keyring, crlf.as_bytes(), text_sig.as_bytes(), at(T0 + 60)).unwrap();
}

#[test]
fn detached_signature_structure_is_checked_like_apt() {
    let rsa = secret_key("test-rsa4096.sec.asc");
    let keyring = test_keyring();
    let binary = SigSpec {
        typ: SignatureType::Binary,
        ..SigSpec::text(T0)
    };
    let sig = sign_sub(&rsa, RELEASE.as_bytes(), &binary);
    let mut raw = Vec::new();
    pgp::ser::Serialize::to_writer(&DetachedSignature::new(sig.clone()), &mut raw).unwrap();
    // Binary Release.gpg: accepted (as apt 2.6 does); tampering still detected.
    let v = verify_detached(&keyring, RELEASE.as_bytes(), &raw, at(T0 + 60)).unwrap();
    assert_eq!(v.signing_key_fingerprint, RSA_SUB);
    let tampered = replace_once(RELEASE.as_bytes(), b"stable", b"stabke");
    let err = verify_detached(&keyring, &tampered, &raw, at(T0 + 60)).unwrap_err();
    assert!(
        matches!(err, SignatureError::BadSignature { .. }),
        "{err:?}"
    );

    let with_text = format!("Hello\n{}", armored(sig.clone()));
    let err =
        verify_detached(&keyring, RELEASE.as_bytes(), with_text.as_bytes(), at(T0)).unwrap_err();
    assert!(
        matches!(err, SignatureError::OutsideSignedMessage { line: 1, .. }),
        "{err:?}"
    );

    let err = verify_detached(&keyring, RELEASE.as_bytes(), b"", at(T0)).unwrap_err();
    assert!(matches!(err, SignatureError::Unsigned { .. }), "{err:?}");

    // Two armored blocks in one Release.gpg are fine.
    let two = format!("{}{}", armored(sig.clone()), armored(sig));
    let v = verify_detached(&keyring, RELEASE.as_bytes(), two.as_bytes(), at(T0 + 60)).unwrap();
    assert_eq!(v.signatures.len(), 2);
}

#[test]
fn unsigned_and_malformed_inrelease_files_are_refused() {
    let keyring = test_keyring();
    let err = verify_inrelease(&keyring, RELEASE.as_bytes(), at(T0)).unwrap_err();
    assert!(matches!(err, SignatureError::Unsigned { .. }), "{err:?}");
    let err = verify_inrelease(&keyring, b"", at(T0)).unwrap_err();
    assert!(matches!(err, SignatureError::Unsigned { .. }), "{err:?}");

    let ed = secret_key("test-ed25519.sec.asc");
    let file = clearsigned(
        RELEASE,
        vec![sign_sub(&ed, &signed_part(RELEASE), &SigSpec::text(T0))],
    );
    // A line starting with a dash that is not escaped.
    let unescaped = replace_once(&file, b"- -dash", b"-dash -");
    let err = verify_inrelease(&keyring, &unescaped, at(T0)).unwrap_err();
    assert!(
        matches!(err, SignatureError::InvalidStructure { line: 7, .. }),
        "{err:?}"
    );
    // Corrupt base64 in the signature.
    let text = String::from_utf8(file.clone()).unwrap();
    let sig_at = text.find("-----BEGIN PGP SIGNATURE-----\n\n").unwrap() + 31;
    let mut corrupt = file.clone();
    corrupt[sig_at] = b'*';
    let err = verify_inrelease(&keyring, &corrupt, at(T0)).unwrap_err();
    assert!(
        matches!(
            err,
            SignatureError::Malformed {
                what: "signature",
                ..
            }
        ),
        "{err:?}"
    );
    // Unclosed signature.
    let cut = &file[..file.len() - 30];
    let err = verify_inrelease(&keyring, cut, at(T0)).unwrap_err();
    assert!(
        matches!(err, SignatureError::InvalidStructure { .. }),
        "{err:?}"
    );
}

#[test]
fn trailing_blanks_on_signed_lines_do_not_matter() {
    let ed = secret_key("test-ed25519.sec.asc");
    let file = clearsigned(
        RELEASE,
        vec![sign_sub(&ed, &signed_part(RELEASE), &SigSpec::text(T0))],
    );
    let padded = replace_once(&file, b"Suite: stable\n", b"Suite: stable \t \n");
    let v = verify_inrelease(&test_keyring(), &padded, at(T0 + 60)).unwrap();
    assert_eq!(v.content, RELEASE.as_bytes());
}

#[test]
fn armored_keyring_with_text_around_and_several_blocks() {
    let mut data = b"Here are our keys.\n\n".to_vec();
    data.extend_from_slice(&read("test-ed25519.pub.asc"));
    data.extend_from_slice(b"\nand the other one:\n");
    data.extend_from_slice(&read("test-rsa4096.pub.asc"));
    data.extend_from_slice(b"-- \nsignature of the mail\n");
    let keyring = Keyring::from_bytes(&data).unwrap();
    let mut want = vec![ED_PRIMARY.to_string(), RSA_PRIMARY.to_string()];
    want.sort();
    assert_eq!(keyring.fingerprints(), want);
    let mut subs = vec![ED_SUB.to_string(), RSA_SUB.to_string()];
    subs.sort();
    assert_eq!(keyring.subkey_fingerprints(), subs);
}

#[test]
fn keyring_errors() {
    assert!(matches!(
        Keyring::from_bytes(b"").unwrap_err(),
        SignatureError::EmptyKeyring
    ));
    assert!(matches!(
        Keyring::from_bytes(b"just some text\n").unwrap_err(),
        SignatureError::EmptyKeyring
    ));
    // A binary secret key (0x95 old-format tag 5) is not a keyring for apt.
    assert!(matches!(
        Keyring::from_bytes(&[0x95, 0x01, 0x00]).unwrap_err(),
        SignatureError::UnsupportedKeyringFormat { first_byte: 0x95 }
    ));
    let mut cut = read("test-ed25519.pub.asc");
    cut.truncate(cut.len() / 2);
    assert!(matches!(
        Keyring::from_bytes(&cut).unwrap_err(),
        SignatureError::Malformed { .. }
    ));
}

// ---------------------------------------------------------------------------------------------
// Real gpg signs, gpgv (read with apt's rules) is the oracle
// ---------------------------------------------------------------------------------------------

fn tool_available(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A temporary GNUPGHOME (short path: gpg-agent's socket path must stay short).
struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    /// Returns `None` (after saying why) when gpg or gpgv is missing; panics under `CI=true`.
    fn new() -> Option<Gpg> {
        for tool in ["gpg", "gpgv", "gpgconf"] {
            if !tool_available(tool) {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("{tool} is required under CI=true but is not installed");
                }
                eprintln!("skipping: {tool} is not installed");
                return None;
            }
        }
        let home = tempfile::Builder::new()
            .prefix("plg")
            .tempdir_in("/tmp")
            .unwrap();
        Some(Gpg { home })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    /// Runs gpg in batch mode with an empty passphrase; returns stdout, panics on failure.
    fn run(&self, args: &[&str]) -> Vec<u8> {
        let out = Command::new("gpg")
            .arg("--homedir")
            .arg(self.home.path())
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Runs gpg with commands on stdin (`--command-fd 0`).
    fn run_commands(&self, args: &[&str], commands: &str) {
        use std::io::Write;
        let mut child = Command::new("gpg")
            .arg("--homedir")
            .arg(self.home.path())
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(["--command-fd", "0"])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(commands.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "gpg {args:?} failed");
    }

    fn fingerprint(&self, uid: &str) -> String {
        let out = self.run(&["--with-colons", "--list-keys", uid]);
        String::from_utf8(out)
            .unwrap()
            .lines()
            .find_map(|l| {
                l.strip_prefix("fpr:")
                    .map(|r| r.trim_matches(':').to_string())
            })
            .unwrap()
    }

    /// Subkey validity letters from `--list-keys --with-colons` (e.g. "u", "e", "r").
    fn subkey_validity(&self, fpr: &str) -> Vec<String> {
        let out = self.run(&["--with-colons", "--list-keys", fpr]);
        String::from_utf8(out)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("sub:"))
            .map(|l| l.split(':').nth(1).unwrap().to_string())
            .collect()
    }

    /// Generates a key: certify-only primary plus a signing subkey, at `created`.
    fn gen_key(&self, uid: &str, created: u64, primary_expiry: &str, sub_expiry: &str) -> String {
        let t = format!("{created}!");
        self.run(&[
            "--faked-system-time",
            &t,
            "--quick-gen-key",
            uid,
            "ed25519",
            "cert",
            primary_expiry,
        ]);
        let fpr = self.fingerprint(uid);
        self.run(&[
            "--faked-system-time",
            &t,
            "--quick-add-key",
            &fpr,
            "ed25519",
            "sign",
            sub_expiry,
        ]);
        fpr
    }

    fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    /// Clearsigns `input` with the given keys (at `time` if given); returns the file's bytes.
    fn clearsign(&self, input: &Path, keys: &[&str], extra: &[&str]) -> Vec<u8> {
        let out = self.path("clearsign.out");
        let _ = std::fs::remove_file(&out);
        let mut args: Vec<&str> = Vec::new();
        for k in keys {
            args.extend(["-u", k]);
        }
        args.extend(extra);
        let out_s = out.to_str().unwrap().to_string();
        let in_s = input.to_str().unwrap().to_string();
        args.extend(["--clearsign", "-o", &out_s, &in_s]);
        self.run(&args);
        std::fs::read(out).unwrap()
    }

    /// Splits a well-formed clearsigned file as apt does before calling gpgv: the message lines
    /// (without line terminators and trailing blanks, dash-unescaped) joined by `\n`, and
    /// everything from the first signature line on. Returns (signature file, data file).
    fn apt_split(&self, name: &str, file: &[u8]) -> (PathBuf, PathBuf) {
        let text = String::from_utf8(file.to_vec())
            .unwrap()
            .replace("\r\n", "\n");
        let sig_at = text.find("-----BEGIN PGP SIGNATURE-----").unwrap();
        let body_at = text.find("\n\n").unwrap() + 2;
        let data: Vec<&str> = text[body_at..sig_at]
            .lines()
            .map(|l| {
                let l = l.trim_end_matches([' ', '\t']);
                l.strip_prefix("- ").unwrap_or(l)
            })
            .collect();
        (
            self.write(&format!("{name}.sig"), &text.as_bytes()[sig_at..]),
            self.write(&format!("{name}.data"), data.join("\n").as_bytes()),
        )
    }

    /// What apt would conclude from gpgv's status lines: accepted iff no BADSIG and at least
    /// one GOODSIG whose VALIDSIG digest is not MD5/SHA1/RIPEMD160 (methods/gpgv.cc).
    fn gpgv_accepts(&self, keyring: &Path, files: &[&Path], faked_time: Option<u64>) -> bool {
        self.gpgv(keyring, files, faked_time).0
    }

    /// Runs gpgv; returns apt's verdict (see `gpgv_accepts`) and the status lines.
    fn gpgv(&self, keyring: &Path, files: &[&Path], faked_time: Option<u64>) -> (bool, String) {
        // apt runs gpgv with --ignore-time-conflict. gpgv has no --faked-system-time, so a
        // faked clock needs gpg --verify, which shares gpgv's verification code.
        let mut cmd = match faked_time {
            None => Command::new("gpgv"),
            Some(t) => {
                let mut c = Command::new("gpg");
                c.args(["--batch", "--no-default-keyring"]);
                c.arg("--faked-system-time").arg(format!("{t}!"));
                c
            }
        };
        cmd.arg("--homedir").arg(self.home.path());
        cmd.args(["--ignore-time-conflict", "--status-fd", "1", "--keyring"]);
        cmd.arg(keyring);
        if faked_time.is_some() {
            cmd.arg("--verify");
        }
        cmd.args(files);
        let out = cmd.output().unwrap();
        let status = String::from_utf8_lossy(&out.stdout).to_string();
        let mut good = 0;
        let mut last_good = false;
        for line in status.lines() {
            let Some(rest) = line.strip_prefix("[GNUPG:] ") else {
                continue;
            };
            let tokens: Vec<&str> = rest.split_whitespace().collect();
            match tokens.first().copied() {
                Some("BADSIG") => return (false, status),
                Some("GOODSIG") => last_good = true,
                Some("VALIDSIG") => {
                    let digest: u32 = tokens[8].parse().unwrap();
                    if last_good && !matches!(digest, 1..=3) {
                        good += 1;
                    }
                    last_good = false;
                }
                Some("NEWSIG") => last_good = false,
                _ => {}
            }
        }
        (good > 0, status)
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.home.path())
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

/// One cross-checked case: our verdict and apt's reading of gpgv must agree.
fn cross_check(
    gpg: &Gpg,
    name: &str,
    keyring: &Path,
    ours: Result<Verified, SignatureError>,
    gpgv_files: &[&Path],
    faked_time: Option<u64>,
) -> Result<Verified, SignatureError> {
    let (oracle, status) = gpg.gpgv(keyring, gpgv_files, faked_time);
    assert_eq!(
        ours.is_ok(),
        oracle,
        "{name}: pinlock says {ours:?}, gpgv+apt rules say {}; gpgv status:\n{status}",
        if oracle { "accept" } else { "reject" }
    );
    ours
}

#[test]
fn gpg_signed_files_cross_checked_with_gpgv() {
    let Some(gpg) = Gpg::new() else {
        return;
    };
    let now = now_secs();
    let past = now - 10 * 86_400;

    gpg.run(&[
        "--import",
        testdata("test-ed25519.sec.asc").to_str().unwrap(),
    ]);
    gpg.run(&[
        "--import",
        testdata("test-rsa4096.sec.asc").to_str().unwrap(),
    ]);
    let expp = gpg.gen_key(
        "expired primary <expp@pinlock.invalid>",
        past,
        "1d",
        "never",
    );
    let exps = gpg.gen_key("expired subkey <exps@pinlock.invalid>", past, "never", "1d");
    let revs = gpg.gen_key(
        "revoked subkey <revs@pinlock.invalid>",
        past,
        "never",
        "never",
    );
    let other = gpg.gen_key(
        "not in keyring <other@pinlock.invalid>",
        past,
        "never",
        "never",
    );
    let revp = gpg.gen_key(
        "revoked primary <revp@pinlock.invalid>",
        past,
        "never",
        "never",
    );

    let release = gpg.write("Release", RELEASE.as_bytes());
    let past_t = format!("{}!", past + 3600);
    let sign_past = ["--faked-system-time", past_t.as_str()];

    // Signatures made while every key was valid; the subkey is revoked afterwards.
    let revs_file = gpg.clearsign(&release, &[&revs], &sign_past);
    gpg.run_commands(&["--edit-key", &revs], "key 1\nrevkey\ny\n0\n\ny\nsave\n");
    assert_eq!(gpg.subkey_validity(&revs), vec!["r"], "subkey revocation");
    // Revoke `revp` as a whole with the revocation certificate gpg stored when making it.
    let revp_file = gpg.clearsign(&release, &[&revp], &sign_past);
    let cert = std::fs::read_to_string(gpg.path(&format!("openpgp-revocs.d/{revp}.rev"))).unwrap();
    let cert = gpg.write(
        "revp.rev",
        cert.replace(":-----BEGIN", "-----BEGIN").as_bytes(),
    );
    gpg.run(&["--import", cert.to_str().unwrap()]);
    assert_eq!(gpg.subkey_validity(&revp), vec!["r"], "primary revocation");
    assert_eq!(gpg.subkey_validity(&exps), vec!["e"]);

    // Keyrings: binary with everything but `other`, the same armored with text around, ed only.
    let kr_all = gpg.write(
        "all.gpg",
        &gpg.run(&[
            "--export",
            ED_PRIMARY,
            RSA_PRIMARY,
            &expp,
            &exps,
            &revs,
            &revp,
        ]),
    );
    let mut asc = b"keys for the test repository\n".to_vec();
    for k in [
        ED_PRIMARY,
        RSA_PRIMARY,
        expp.as_str(),
        exps.as_str(),
        revs.as_str(),
        revp.as_str(),
    ] {
        asc.extend_from_slice(&gpg.run(&["--export", "--armor", k]));
        asc.extend_from_slice(b"\n(next key)\n");
    }
    let kr_asc = gpg.write("all.asc", &asc);
    let kr_ed = gpg.write("ed.gpg", &gpg.run(&["--export", ED_PRIMARY]));
    let all = Keyring::from_file(&kr_all).unwrap();
    let all_asc = Keyring::from_file(&kr_asc).unwrap();
    assert_eq!(all.fingerprints().len(), 6);
    assert_eq!(all.fingerprints(), all_asc.fingerprints());
    assert_eq!(all.subkey_fingerprints(), all_asc.subkey_fingerprints());
    let ed_only = Keyring::from_file(&kr_ed).unwrap();
    let t_now = at(now);

    // gpgv reads binary keyrings only (apt dearmors .asc files first): its oracle always gets
    // the binary twin of the keyring pinlock reads.
    let check = |name: &str, keyring: &Keyring, kr_path: &Path, file: &[u8]| {
        let (sig, data) = gpg.apt_split(name, file);
        cross_check(
            &gpg,
            name,
            kr_path,
            verify_inrelease(keyring, file, t_now),
            &[&sig, &data],
            None,
        )
    };

    // Ed25519 and RSA 4096 signing subkeys.
    let ed_file = gpg.clearsign(&release, &[ED_SUB], &[]);
    let v = check("ed25519", &all, &kr_all, &ed_file).unwrap();
    assert_eq!(
        (
            v.signer_fingerprint.as_str(),
            v.signing_key_fingerprint.as_str()
        ),
        (ED_PRIMARY, ED_SUB)
    );
    assert_eq!(v.content, RELEASE.as_bytes());
    let rsa_file = gpg.clearsign(&release, &[RSA_PRIMARY], &[]);
    let v = check("rsa4096", &all_asc, &kr_all, &rsa_file).unwrap();
    assert_eq!(
        (
            v.signer_fingerprint.as_str(),
            v.signing_key_fingerprint.as_str()
        ),
        (RSA_PRIMARY, RSA_SUB)
    );

    // Two signatures, keyring knows only one: the unknown one is ignored.
    let both = gpg.clearsign(&release, &[RSA_PRIMARY, ED_PRIMARY], &[]);
    let v = check("two signers, one known", &ed_only, &kr_ed, &both).unwrap();
    assert_eq!(v.signer_fingerprint, ED_PRIMARY);
    check("two signers, both known", &all, &kr_all, &both).unwrap();

    // Only an unknown key signed.
    let other_file = gpg.clearsign(&release, &[&other], &[]);
    let err = check("unknown key", &all, &kr_all, &other_file).unwrap_err();
    assert!(matches!(err, SignatureError::UnknownKey { .. }), "{err:?}");

    // One byte of content changed.
    let tampered = replace_once(&ed_file, b"Suite: stable", b"Suite: stabke");
    let err = check("tampered", &all, &kr_all, &tampered).unwrap_err();
    assert!(
        matches!(err, SignatureError::BadSignature { .. }),
        "{err:?}"
    );

    // The trap: a good signature plus a bad one by a keyring key.
    let other_release = gpg.write("Release.other", b"Origin: someone else\n");
    let rsa_other = gpg.clearsign(&other_release, &[RSA_PRIMARY], &[]);
    let sig_of = |f: &[u8]| {
        let t = String::from_utf8(f.to_vec()).unwrap();
        t[t.find("-----BEGIN PGP SIGNATURE-----").unwrap()..].to_string()
    };
    let mut trap = ed_file.clone();
    trap.extend_from_slice(sig_of(&rsa_other).as_bytes());
    let err = check("good + bad signature", &all, &kr_all, &trap).unwrap_err();
    assert!(
        matches!(&err, SignatureError::BadSignature { key } if key == RSA_SUB),
        "{err:?}"
    );

    // Expired primary key, expired subkey, revoked subkey.
    let expp_file = gpg.clearsign(&release, &[&expp], &sign_past);
    let err = check("expired primary", &all, &kr_all, &expp_file).unwrap_err();
    assert!(matches!(err, SignatureError::ExpiredKey { .. }), "{err:?}");
    let exps_file = gpg.clearsign(&release, &[&exps], &sign_past);
    let err = check("expired subkey", &all, &kr_all, &exps_file).unwrap_err();
    assert!(matches!(err, SignatureError::ExpiredKey { .. }), "{err:?}");
    let err = check("revoked subkey", &all, &kr_all, &revs_file).unwrap_err();
    assert!(matches!(err, SignatureError::RevokedKey { .. }), "{err:?}");
    let err = check("revoked primary", &all, &kr_all, &revp_file).unwrap_err();
    assert!(matches!(err, SignatureError::RevokedKey { .. }), "{err:?}");

    // Before it expired, the expired-primary key verified (gpgv with a faked clock agrees).
    let (sig, data) = gpg.apt_split("expp-then", &expp_file);
    cross_check(
        &gpg,
        "expired primary, checked before expiry",
        &kr_all,
        verify_inrelease(&all, &expp_file, at(past + 7200)),
        &[&sig, &data],
        Some(past + 7200),
    )
    .unwrap();

    // A good signature next to one by an expired key: the expired one does not count, no harm.
    let mixed = {
        let ed_past = gpg.clearsign(&release, &[ED_PRIMARY], &sign_past);
        let mut f = ed_past;
        f.extend_from_slice(sig_of(&exps_file).as_bytes());
        f
    };
    let v = check("good + expired-key signature", &all, &kr_all, &mixed).unwrap();
    assert!(matches!(
        v.signatures[1].outcome,
        SignatureOutcome::Ignored(_)
    ));

    // SHA1: gpgv says GOODSIG, apt distrusts the digest.
    let sha1 = gpg.clearsign(&release, &[ED_PRIMARY], &["--digest-algo", "SHA1"]);
    let err = check("sha1", &all, &kr_all, &sha1).unwrap_err();
    assert!(matches!(err, SignatureError::WeakDigest { .. }), "{err:?}");

    // CRLF line endings and trailing blanks on signed lines change nothing.
    let crlf = String::from_utf8(ed_file.clone())
        .unwrap()
        .replace('\n', "\r\n");
    check("crlf", &all, &kr_all, crlf.as_bytes()).unwrap();
    let blanks = replace_once(
        &ed_file,
        b"Origin: pinlock test\n",
        b"Origin: pinlock test  \n",
    );
    check("trailing blanks", &all, &kr_all, &blanks).unwrap();

    // A certify-only primary key signing data (made with rpgp; gpg refuses to).
    let ed_secret = secret_key("test-ed25519.sec.asc");
    let cert_only = clearsigned(
        RELEASE,
        vec![sign_with(
            &ed_secret.primary_key,
            &signed_part(RELEASE),
            &SigSpec::text(now - 60),
        )],
    );
    let err = check("certify-only primary", &all, &kr_all, &cert_only).unwrap_err();
    assert!(
        matches!(err, SignatureError::NotSigningCapable { .. }),
        "{err:?}"
    );

    // Detached armored signature by the RSA subkey; tampered data.
    let sig_path = gpg.path("Release.gpg");
    gpg.run(&[
        "-u",
        RSA_PRIMARY,
        "--armor",
        "--detach-sign",
        "-o",
        sig_path.to_str().unwrap(),
        release.to_str().unwrap(),
    ]);
    let sig = std::fs::read(&sig_path).unwrap();
    let v = cross_check(
        &gpg,
        "detached",
        &kr_all,
        verify_detached(&all, RELEASE.as_bytes(), &sig, t_now),
        &[&sig_path, &release],
        None,
    )
    .unwrap();
    assert_eq!(v.signing_key_fingerprint, RSA_SUB);
    let bad_release = gpg.write(
        "Release.bad",
        &replace_once(RELEASE.as_bytes(), b"stable", b"stabke"),
    );
    let err = cross_check(
        &gpg,
        "detached, tampered",
        &kr_all,
        verify_detached(&all, &std::fs::read(&bad_release).unwrap(), &sig, t_now),
        &[&sig_path, &bad_release],
        None,
    )
    .unwrap_err();
    assert!(
        matches!(err, SignatureError::BadSignature { .. }),
        "{err:?}"
    );

    // Binary detached signature (gpg's default output), accepted by apt 2.6 and gpgv.
    let bin_path = gpg.path("Release.bin.gpg");
    gpg.run(&[
        "-u",
        ED_PRIMARY,
        "--detach-sign",
        "-o",
        bin_path.to_str().unwrap(),
        release.to_str().unwrap(),
    ]);
    let v = cross_check(
        &gpg,
        "detached, binary",
        &kr_all,
        verify_detached(
            &all,
            RELEASE.as_bytes(),
            &std::fs::read(&bin_path).unwrap(),
            t_now,
        ),
        &[&bin_path, &release],
        None,
    )
    .unwrap();
    assert_eq!(v.signing_key_fingerprint, ED_SUB);

    // Debian's InRelease after its keys expired: gpgv reports EXPKEYSIG too.
    let debian = read("debian-bookworm.InRelease");
    let (debian_sig, debian_data) = gpg.apt_split("debian", &debian);
    let debian_kr = testdata("debian-archive-keyring.gpg");
    let y2040 = 2_208_988_800;
    let err = cross_check(
        &gpg,
        "debian in 2040",
        &debian_kr,
        verify_inrelease(&debian_keyring(), &debian, at(y2040)),
        &[&debian_sig, &debian_data],
        Some(y2040),
    )
    .unwrap_err();
    assert!(matches!(err, SignatureError::ExpiredKey { .. }), "{err:?}");
    cross_check(
        &gpg,
        "debian at its Date",
        &debian_kr,
        verify_inrelease(&debian_keyring(), &debian, at(BOOKWORM_DATE)),
        &[&debian_sig, &debian_data],
        Some(BOOKWORM_DATE),
    )
    .unwrap();
}

/// Where pinlock differs from plain gpgv or agrees with it on purpose, pinned so a change in
/// either is noticed. Leading text: apt's own split refuses it (apt 2.6.1 says "NOSPLIT"). A
/// signature from the future: gpgv (as apt runs it, with --ignore-time-conflict) and pinlock
/// accept it.
#[test]
fn gpg_documented_differences_from_plain_gpgv() {
    let Some(gpg) = Gpg::new() else {
        return;
    };
    gpg.run(&[
        "--import",
        testdata("test-ed25519.sec.asc").to_str().unwrap(),
    ]);
    let kr = gpg.write("ed.gpg", &gpg.run(&["--export", ED_PRIMARY]));
    let keyring = Keyring::from_file(&kr).unwrap();
    let release = gpg.write("Release", RELEASE.as_bytes());
    let now = now_secs();

    // A signature made a day in the future: gpgv and pinlock accept it.
    let future_t = format!("{}!", now + 86_400);
    let future = gpg.clearsign(&release, &[ED_PRIMARY], &["--faked-system-time", &future_t]);
    let p = gpg.write("future.InRelease", &future);
    assert!(gpg.gpgv_accepts(&kr, &[&p], None));
    verify_inrelease(&keyring, &future, at(now)).unwrap();

    // Leading text before the signed message: gpgv accepts, apt (and pinlock) refuse.
    let mut leading = b"Origin: Evil\n\n".to_vec();
    leading.extend_from_slice(&gpg.clearsign(&release, &[ED_PRIMARY], &[]));
    let p = gpg.write("leading.InRelease", &leading);
    assert!(gpg.gpgv_accepts(&kr, &[&p], None));
    let err = verify_inrelease(&keyring, &leading, at(now)).unwrap_err();
    assert!(
        matches!(err, SignatureError::OutsideSignedMessage { .. }),
        "{err:?}"
    );
}

/// A key (and its self-signatures) made in the future, as by a signing host whose clock runs
/// ahead: gpgv as apt runs it (--ignore-time-conflict) accepts its signatures, made then or
/// even before the key existed; so does pinlock. apt 2.6.1 accepted such a repository too
/// (checked by hand with a key from `gpg --faked-system-time`).
#[test]
fn key_created_in_the_future_is_accepted_as_gpgv_does() {
    let Some(gpg) = Gpg::new() else {
        return;
    };
    let now = now_secs();
    let tomorrow = format!("{}!", now + 86_400);
    // certify-only primary and signing subkey, made tomorrow; signed tomorrow + 1 min
    let sub = gpg.gen_key(
        "subkey from the future <future-sub@pinlock.invalid>",
        now + 86_400,
        "never",
        "never",
    );
    // a signing primary made tomorrow; gpg signs with it today only with --ignore-time-conflict
    let uid = "primary from the future <future@pinlock.invalid>";
    gpg.run(&[
        "--faked-system-time",
        &tomorrow,
        "--quick-gen-key",
        uid,
        "ed25519",
        "sign",
        "never",
    ]);
    let primary = gpg.fingerprint(uid);
    let release = gpg.write("Release", RELEASE.as_bytes());
    let later = format!("{}!", now + 86_400 + 60);
    for (name, fpr, extra) in [
        (
            "subkey, signed after the key was made",
            &sub,
            vec!["--faked-system-time", &later],
        ),
        (
            "primary, signed now, before the key",
            &primary,
            vec!["--ignore-time-conflict"],
        ),
    ] {
        let kr = gpg.write("future.gpg", &gpg.run(&["--export", fpr]));
        let keyring = Keyring::from_file(&kr).unwrap();
        let file = gpg.clearsign(&release, &[fpr], &extra);
        let p = gpg.write("future-key.InRelease", &file);
        let ours = verify_inrelease(&keyring, &file, at(now));
        let v = cross_check(&gpg, name, &kr, ours, &[&p], None).unwrap();
        assert_eq!(&v.signer_fingerprint, fpr, "{name}");
    }
}
