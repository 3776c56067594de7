//! The library's warm path, [`lock_with_memo`], against a real signed repository over loopback
//! HTTP, without the `pinlock` binary: a second lock with the same inputs takes the memo (only
//! InRelease is asked for, answered 304, and no index is read: the index cache is emptied first,
//! so reading one would be a request), also offline; changing the manifest bytes or the build
//! identity misses it and reads the indexes again, for the same lockfile.

use std::path::{Path, PathBuf};

use pinlock_core::cache::Cache;
use pinlock_core::lock::{lock, lock_with_memo, LockInputs, LockOptions};
use pinlock_core::manifest::Manifest;
use pinlock_core::repository::{read_sources_blocking, ReadOptions};
use pinlock_tests::{fixture, require_repo_tools, RepoBuilder, Server};

/// The paths requested since the log was last cleared, after emptying it.
fn take_log(srv: &Server) -> Vec<String> {
    let paths = srv.requests().into_iter().map(|r| r.path).collect();
    srv.clear_log();
    paths
}

fn index_requests(paths: &[String]) -> usize {
    paths.iter().filter(|p| p.contains("/binary-")).count()
}

/// Forgets the parsed indexes of the cache (keeping InRelease files and memos), so a lock
/// that reads indexes has to request them.
fn drop_cached_indexes(cache: &Path) {
    let _ = std::fs::remove_dir_all(cache.join("indexes"));
}

fn load(path: &Path) -> (Manifest, Vec<u8>) {
    (Manifest::load(path).unwrap(), std::fs::read(path).unwrap())
}

#[test]
fn a_second_lock_with_the_same_inputs_takes_the_memo() {
    if !require_repo_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian-2023-03"))
        .build()
        .unwrap();
    let srv = Server::serve(repo.path());
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let manifest_path: PathBuf = dir.path().join("pinlock.yml");
    let text = format!(
        "sources:\n  - \"deb [arch=amd64,arm64 signed-by={}] {} buster stable\"\npackages:\n  docker-ce: \"*\"\n",
        repo.key_asc.display(),
        srv.url()
    );
    std::fs::write(&manifest_path, &text).unwrap();
    let (manifest, bytes) = load(&manifest_path);
    let read = ReadOptions {
        cache: Some(Cache::new(cache_dir.path())),
        base_dir: dir.path().to_path_buf(),
        ..ReadOptions::default()
    };

    // First lock: no previous lockfile, a full run.
    let first = lock_with_memo(&LockInputs::new(&manifest, &bytes), &read).unwrap();
    assert_eq!(
        index_requests(&take_log(&srv)),
        2,
        "a full run reads the amd64 and arm64 indexes"
    );
    assert!(first.targets["buster/amd64"]
        .packages
        .contains_key("docker-ce"));
    // What a plain `lock` computes with `first` as the previous lockfile (no cache at all).
    let plain = {
        let opts = ReadOptions {
            cache: None,
            ..read.clone()
        };
        let suites = read_sources_blocking(&manifest.specs(), &opts).unwrap();
        lock(&manifest, &suites, Some(&first), LockOptions::default()).unwrap()
    };
    srv.clear_log();

    // Same inputs again: the memo, only the InRelease (304), no index.
    drop_cached_indexes(cache_dir.path());
    let inputs = LockInputs {
        previous: Some(&first),
        ..LockInputs::new(&manifest, &bytes)
    };
    let warm = lock_with_memo(&inputs, &read).unwrap();
    let log = srv.requests();
    srv.clear_log();
    assert_eq!(
        log.iter()
            .map(|r| (r.path.as_str(), r.status))
            .collect::<Vec<_>>(),
        [("/dists/buster/InRelease", 304)],
        "the memo is taken: only the InRelease is asked for"
    );
    assert_eq!(warm.render(), plain.render());
    assert_eq!(warm, plain);

    // And again, offline: the memo needs no network at all.
    let offline = ReadOptions {
        offline: true,
        ..read.clone()
    };
    let warm_offline = lock_with_memo(&inputs, &offline).unwrap();
    assert_eq!(take_log(&srv), Vec::<String>::new());
    assert_eq!(warm_offline.render(), plain.render());

    // The manifest's bytes changed (a comment: same meaning, same result): no memo.
    std::fs::write(&manifest_path, format!("{text}# changed\n")).unwrap();
    let (manifest2, bytes2) = load(&manifest_path);
    drop_cached_indexes(cache_dir.path());
    let changed = lock_with_memo(
        &LockInputs {
            previous: Some(&first),
            ..LockInputs::new(&manifest2, &bytes2)
        },
        &read,
    )
    .unwrap();
    assert_eq!(
        index_requests(&take_log(&srv)),
        2,
        "other manifest bytes miss the memo and read the indexes"
    );
    assert_eq!(changed.render(), plain.render());

    // Another build identity misses the memo too; no identity (or no bytes) means no memo.
    for inputs in [
        LockInputs {
            build_id: Some("another build"),
            ..inputs
        },
        LockInputs {
            build_id: None,
            ..inputs
        },
        LockInputs {
            manifest_bytes: None,
            ..inputs
        },
    ] {
        drop_cached_indexes(cache_dir.path());
        let other = lock_with_memo(&inputs, &read).unwrap();
        assert_eq!(
            index_requests(&take_log(&srv)),
            2,
            "build {:?}, bytes {}: the memo must not be taken",
            inputs.build_id,
            inputs.manifest_bytes.is_some()
        );
        assert_eq!(other.render(), plain.render());
    }

    // The memo written by the first run under the default identity is still there.
    drop_cached_indexes(cache_dir.path());
    let again = lock_with_memo(&inputs, &read).unwrap();
    assert_eq!(index_requests(&take_log(&srv)), 0);
    assert_eq!(again.render(), plain.render());
}
