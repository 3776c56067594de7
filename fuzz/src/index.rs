//! Packages and Release parsers (and the deb822 scanner under both): any text either parses or
//! is an error with a line number inside the text; nothing panics. Every field of every parsed
//! package is read, so lazy field access is exercised too. The streaming parser
//! (`IndexBuilder`, fed the raw bytes in chunks of varying size) gives the same packages, field
//! values, line numbers and errors as `PackageIndex::parse` of the whole text.

use pinlock_core::packages::{IndexBuilder, PackageIndex, PkgField};
use pinlock_core::release::Release;

/// The `index` fuzz target's body: checks the properties above for one input; panics on a
/// violation.
pub fn fuzz_index(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let lines = text.lines().count().max(1);

    match Release::parse(&text, "fuzz/Release") {
        Ok(r) => {
            for (path, entry) in &r.files {
                assert!(!path.is_empty(), "empty path in Release files: {entry:?}");
            }
            let _ = r.has_strong_hashes();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }

    let whole = PackageIndex::parse(text.clone(), "fuzz/Packages");
    same_as_streamed(data, &whole);
    match whole {
        Ok(index) => {
            assert_eq!(index.iter().len(), index.len());
            for p in index.iter() {
                assert!(
                    p.line() >= 1 && p.line() <= lines + 1,
                    "line {} of {lines}",
                    p.line()
                );
                let _ = (
                    p.name(),
                    p.version(),
                    p.architecture(),
                    p.source(),
                    p.size(),
                );
                for f in ALL_FIELDS {
                    if let Some(v) = p.get(*f) {
                        assert!(text.contains(v.trim()), "{f:?} value not from the text");
                    }
                }
            }
        }
        Err(e) => {
            assert!(
                e.line <= lines + 1,
                "error line {} past the end ({lines} lines)",
                e.line
            );
            assert!(e.to_string().starts_with("fuzz/Packages:"), "{e}");
        }
    }
}

/// Feeds `data` to an [`IndexBuilder`] in chunks of 1 to 64 bytes (sizes from a generator seeded
/// by the input's length) and checks that it ends as `whole` did.
fn same_as_streamed(data: &[u8], whole: &Result<PackageIndex, pinlock_core::deb822::Deb822Error>) {
    let mut b = IndexBuilder::new("fuzz/Packages", None);
    let mut seed = data.len() as u32 | 1;
    let mut rest = data;
    let mut streamed = Ok(());
    while !rest.is_empty() {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = (1 + (seed >> 16) as usize % 64).min(rest.len());
        streamed = b.push(&rest[..n]);
        if streamed.is_err() {
            break;
        }
        rest = &rest[n..];
    }
    let streamed = streamed.and_then(|()| b.finish());
    match (whole, &streamed) {
        (Ok(w), Ok(s)) => {
            assert_eq!(
                w.len(),
                s.len(),
                "streamed parse has another number of packages"
            );
            for (p, q) in w.iter().zip(s.iter()) {
                assert_eq!(p.line(), q.line(), "streamed parse: another line");
                for f in ALL_FIELDS {
                    assert_eq!(p.get(*f), q.get(*f), "streamed parse: another {f:?}");
                }
            }
        }
        (Err(w), Err(s)) => assert_eq!(
            w.to_string(),
            s.to_string(),
            "streamed parse: another error"
        ),
        _ => panic!(
            "whole parse {:?}, streamed parse {:?}",
            whole.as_ref().map(|i| i.len()),
            streamed.map(|i| i.len())
        ),
    }
}

const ALL_FIELDS: &[PkgField] = &PkgField::ALL;
