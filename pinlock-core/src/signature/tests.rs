//! Unit tests of the apt-style split of signed files and small helpers.

use super::armor::{check_detached, split_clearsigned, Detached};
use super::{format_utc, hex_upper, SignatureError};

const SIG: &str = "-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n";

fn clearsigned(body: &str) -> String {
    format!("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n{body}{SIG}")
}

#[test]
fn split_unescapes_dashes_strips_blanks_and_crlf() {
    let file = clearsigned("A: 1  \r\n- -B: 2\r\n- C: 3\n\nD\t\n").replace('\n', "\r\n");
    let parts = split_clearsigned(file.as_bytes()).unwrap();
    assert_eq!(parts.content(), b"A: 1\n-B: 2\nC: 3\n\nD\n");
    assert_eq!(parts.signed_data(), b"A: 1\n-B: 2\nC: 3\n\nD");
    assert_eq!(parts.signature_lines.len(), 4);
}

#[test]
fn split_refuses_text_before_the_signed_message() {
    let file = format!("Origin: evil\n{}", clearsigned("A: 1\n"));
    let err = split_clearsigned(file.as_bytes()).unwrap_err();
    assert!(
        matches!(err, SignatureError::OutsideSignedMessage { line: 2, .. }),
        "{err:?}"
    );
    // Even a blank first line.
    let file = format!("\n{}", clearsigned("A: 1\n"));
    assert!(matches!(
        split_clearsigned(file.as_bytes()).unwrap_err(),
        SignatureError::OutsideSignedMessage { line: 2, .. }
    ));
}

#[test]
fn split_refuses_text_after_the_signature_but_allows_more_blocks() {
    let file = format!("{}Origin: evil\n", clearsigned("A: 1\n"));
    let err = split_clearsigned(file.as_bytes()).unwrap_err();
    assert!(
        matches!(err, SignatureError::OutsideSignedMessage { line: 9, .. }),
        "{err:?}"
    );
    let file = format!("{}{SIG}", clearsigned("A: 1\n"));
    assert_eq!(
        split_clearsigned(file.as_bytes())
            .unwrap()
            .signature_lines
            .len(),
        8
    );
}

#[test]
fn split_refuses_unescaped_dash_lines_and_dash_headers() {
    let err = split_clearsigned(clearsigned("A: 1\n-B\n").as_bytes()).unwrap_err();
    assert!(
        matches!(err, SignatureError::InvalidStructure { line: 5, .. }),
        "{err:?}"
    );
    let file = "-----BEGIN PGP SIGNED MESSAGE-----\n-Hash: SHA256\n\nA\n".to_string() + SIG;
    let err = split_clearsigned(file.as_bytes()).unwrap_err();
    assert!(
        matches!(err, SignatureError::InvalidStructure { line: 2, .. }),
        "{err:?}"
    );
    let file = clearsigned("A\n").replace("AAAA\n", "AAAA\n-----BEGIN PGP SIGNATURE-----\n");
    let err = split_clearsigned(file.as_bytes()).unwrap_err();
    assert!(
        matches!(err, SignatureError::InvalidStructure { line: 8, .. }),
        "{err:?}"
    );
}

#[test]
fn split_of_unsigned_truncated_or_unclosed_files() {
    assert!(matches!(
        split_clearsigned(b"Origin: Debian\n").unwrap_err(),
        SignatureError::Unsigned { .. }
    ));
    assert!(matches!(
        split_clearsigned(b"").unwrap_err(),
        SignatureError::Unsigned { .. }
    ));
    assert!(matches!(
        split_clearsigned(b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA\n").unwrap_err(),
        SignatureError::InvalidStructure { .. }
    ));
    let unclosed = clearsigned("A\n").replace("-----END PGP SIGNATURE-----\n", "");
    assert!(matches!(
        split_clearsigned(unclosed.as_bytes()).unwrap_err(),
        SignatureError::InvalidStructure { .. }
    ));
}

#[test]
fn detached_file_checks() {
    let lines = |d: Detached| match d {
        Detached::Armored(lines) => lines.len(),
        Detached::Binary => panic!("not armored"),
    };
    assert_eq!(lines(check_detached(SIG.as_bytes()).unwrap()), 4);
    assert_eq!(
        lines(check_detached(format!("{SIG}{SIG}").as_bytes()).unwrap()),
        8
    );
    assert!(matches!(
        check_detached(format!("{SIG}\n").as_bytes()).unwrap_err(),
        SignatureError::OutsideSignedMessage { line: 5, .. }
    ));
    assert_eq!(
        check_detached(&[0x89, 0x02, 0x33]).unwrap(),
        Detached::Binary
    );
    assert!(matches!(
        check_detached(b"<html>paywall</html>\n").unwrap_err(),
        SignatureError::Unsigned { .. }
    ));
}

#[test]
fn utc_formatting_and_hex() {
    assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(format_utc(1_778_928_868), "2026-05-16 10:54:28 UTC");
    assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
    assert_eq!(hex_upper(&[0x0a, 0xff]), "0AFF");
}
