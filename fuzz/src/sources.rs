//! apt source parsers: every line through the one-line parser, the whole text through the
//! deb822 `.sources` parser. Properties: nothing panics; a parsed source has a URI, at least one
//! suite, and its displayed URI is redacted; a spec's `Debug` output does not depend on the
//! URI's credentials, and a one-line error never shows a (distinctive, once-written) password
//! of any `user:password@` URI on the line.

use pinlock_core::source::{parse_deb822, parse_one_line, redact_uri, SourceSpec};

fn check(spec: &SourceSpec) {
    assert!(!spec.uri.is_empty(), "{spec:?}");
    assert!(!spec.suites.is_empty(), "{spec:?}");
    let shown = spec.display_uri();
    assert_eq!(
        redact_uri(&shown),
        shown,
        "display_uri is not redacted: {shown}"
    );
}

/// Passwords of `scheme://user:password@host` words that occur once in `line` and are
/// distinctive enough not to occur in a message's own words by chance (6+ bytes with an ASCII
/// digit and an ASCII capital).
fn passwords(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for w in line.split_whitespace() {
        let Some((_, rest)) = w.split_once("://") else {
            continue;
        };
        let auth = &rest[..rest.find('/').unwrap_or(rest.len())];
        let Some(at) = auth.rfind('@') else { continue };
        if let Some((_, pw)) = auth[..at].split_once(':') {
            let distinctive = pw.len() >= 6
                && pw.bytes().any(|b| b.is_ascii_digit())
                && pw.bytes().any(|b| b.is_ascii_uppercase());
            if distinctive && line.matches(pw).count() == 1 {
                out.push(pw);
            }
        }
    }
    out
}

/// The `sources` fuzz target's body: checks the properties above for one input; panics on a
/// violation.
pub fn fuzz_sources(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.lines() {
        let shown = match parse_one_line(line) {
            Ok(Some(spec)) => {
                check(&spec);
                // Debug must not depend on the credentials at all.
                let redacted = SourceSpec {
                    uri: spec.display_uri(),
                    ..spec.clone()
                };
                assert_eq!(format!("{spec:?}"), format!("{redacted:?}"));
                continue;
            }
            Ok(None) => continue,
            Err(e) => format!("{e} {e:?}"),
        };
        for pw in passwords(line) {
            assert!(
                !shown.contains(pw),
                "password {pw:?} of {line:?} shown: {shown}"
            );
        }
    }
    match parse_deb822(text, "fuzz.sources") {
        Ok(specs) => specs.iter().for_each(check),
        Err(e) => {
            assert!(!e.to_string().is_empty());
        }
    }
}
