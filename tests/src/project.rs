//! A pinlock project in a temporary directory (`pinlock.yml`, `pinlock.lock`), and small file
//! helpers the end-to-end tests share.

use std::path::{Path, PathBuf};

use pinlock_core::lockfile::Lockfile;

use crate::{BuiltRepo, Pinlock, PinlockRun};

/// Copies the directory tree `from` into `to` (created if missing). Panics on I/O errors.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    let entries =
        std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()));
    for e in entries.flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst)
                .unwrap_or_else(|e| panic!("copy {} → {}: {e}", src.display(), dst.display()));
        }
    }
}

/// The bundled example `examples/<name>` (e.g. `docker-buster`: its own offline repository).
pub fn example_dir(name: &str) -> PathBuf {
    crate::testdata_dir()
        .parent()
        .expect("testdata/ has a parent")
        .join("examples")
        .join(name)
}

/// A fresh copy of the bundled example `examples/<name>` at `<tmp>/<sub>` (the temporary
/// directory is removed when the returned guard is dropped).
pub fn example_copy(name: &str, sub: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join(sub);
    copy_dir(&example_dir(name), &dir);
    (tmp, dir)
}

/// The one-line apt source for `repo` served at `url`, with its test key as `signed-by`.
pub fn deb_line(repo: &BuiltRepo, url: &str, arch: &str, suite: &str, comp: &str) -> String {
    format!(
        "deb [arch={arch} signed-by={}] {url} {suite} {comp}",
        repo.key_asc.display()
    )
}

/// A project directory holding a `pinlock.yml`; removed on drop.
pub struct Project {
    /// The directory (manifest, lockfile and anything a test adds).
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A project whose manifest lists `sources` (one-line form) and `packages` (name →
    /// constraint).
    pub fn new(sources: &[String], packages: &[(&str, &str)]) -> Project {
        let mut text = String::from("sources:\n");
        for s in sources {
            text.push_str(&format!("  - \"{s}\"\n"));
        }
        text.push_str("packages:\n");
        for (n, c) in packages {
            text.push_str(&format!("  {n}: \"{c}\"\n"));
        }
        Project::with_manifest(&text)
    }

    /// A project with this manifest text.
    pub fn with_manifest(text: &str) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("pinlock.yml"), text).expect("write pinlock.yml");
        Project { dir }
    }

    /// Path of `pinlock.yml`, as a string for command lines.
    pub fn manifest(&self) -> String {
        self.dir.path().join("pinlock.yml").display().to_string()
    }

    /// Path of `pinlock.lock`.
    pub fn lockfile(&self) -> PathBuf {
        self.dir.path().join("pinlock.lock")
    }

    /// Runs `pinlock lock -m pinlock.yml FLAGS...`.
    pub fn lock(&self, pl: &Pinlock, flags: &[&str]) -> PinlockRun {
        let m = self.manifest();
        let mut args = vec!["lock", "-m", &m];
        args.extend_from_slice(flags);
        pl.run(&args)
    }

    /// The lockfile, parsed. Panics when it is missing or invalid.
    pub fn parsed(&self) -> Lockfile {
        Lockfile::load(&self.lockfile())
            .expect("lockfile parses")
            .expect("lockfile exists")
    }

    /// The lockfile's bytes. Panics when it is missing.
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(self.lockfile()).expect("lockfile exists")
    }
}

/// A hand-written lockfile pinning docker-ce 5:23.0.1 for buster/amd64 (no network needed):
/// for tests that run `pinlock pin --offline` on generated playbooks.
pub const BUSTER_LOCKFILE: &str = "version: 1
sources:
- url: http://127.0.0.1:9/debian
  suite: buster
  components:
  - stable
  date: Fri, 10 Mar 2023 12:00:00 UTC
  inrelease-sha256: abababababababababababababababababababababababababababababababab
  signed-by: 9DC858229FC7DD38854AE2D88D81803C0EBFCD88
targets:
  buster/amd64:
    packages:
      docker-ce:
        version: 5:23.0.1-1~debian.10~buster
        architecture: amd64
        source: docker-ce
        filename: pool/d/docker-ce.deb
        size: 22000000
        sha256: cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd
";
