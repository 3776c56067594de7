//! Packages and Release parsers (and the deb822 scanner under both): any text either parses or
//! is an error with a line number inside the text; nothing panics. Every field of every parsed
//! package is read, so lazy field access is exercised too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinlock_core::packages::{PackageIndex, PkgField};
use pinlock_core::release::Release;

fuzz_target!(|data: &[u8]| {
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

    match PackageIndex::parse(text.clone(), "fuzz/Packages") {
        Ok(index) => {
            assert_eq!(index.iter().len(), index.len());
            assert_eq!(index.text(), text);
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
});

const ALL_FIELDS: &[PkgField] = &[
    PkgField::Package,
    PkgField::Version,
    PkgField::Architecture,
    PkgField::Source,
    PkgField::Depends,
    PkgField::PreDepends,
    PkgField::Recommends,
    PkgField::Suggests,
    PkgField::Provides,
    PkgField::Conflicts,
    PkgField::Breaks,
    PkgField::Replaces,
    PkgField::Filename,
    PkgField::Size,
    PkgField::Sha256,
    PkgField::MultiArch,
];
