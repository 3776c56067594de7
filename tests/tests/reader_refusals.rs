//! Every repository the real apt refuses, pinlock refuses too: each test builds a fixture
//! repository, breaks it in one way, serves it, and asserts that (a) `apt-get update` in a
//! sandbox fails and (b) `pinlock versions` exits 2 with a clear message (insta snapshot of
//! stderr; port, temp paths and the test-data directory replaced). Also: a refused source
//! leaves an existing lockfile byte-identical.

use std::path::Path;

use pinlock_tests::{
    fixture, redact, require_apt_tools, testdata_dir, AptSandbox, BuiltRepo, Compression::*, Fault,
    HarnessError, HashKind::*, Pinlock, PinlockRun, RepoBuilder, Rule, Server, SignMode, TestKey,
};

const SUITE: &str = "buster";

fn line(srv: &Server, key: &Path) -> String {
    format!(
        "deb [arch=amd64 signed-by={}] {} {SUITE} stable",
        key.display(),
        srv.url()
    )
}

/// apt's rejection lines; panics when apt accepts the repository.
fn apt_refuses(srv: &Server, key: &Path) -> String {
    let apt = AptSandbox::new(&[line(srv, key)], &["amd64"]).unwrap();
    match apt.update() {
        Ok(()) => panic!("apt accepted the repository served at {}", srv.url()),
        Err(e @ HarnessError::AptRejected { .. }) => e.apt_lines().join("\n"),
        Err(e) => panic!("apt could not run: {e}"),
    }
}

/// Runs `pinlock versions` and asserts exit code 2; returns the run.
fn pinlock_refuses(srv: &Server, key: &Path, extra: &[&str]) -> PinlockRun {
    let pl = Pinlock::new();
    let src = line(srv, key);
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(["versions", "--source", &src, "docker-ce"]);
    let run = pl.run(&args);
    run.expect_code(2);
    assert!(
        run.stdout.is_empty(),
        "nothing on stdout when refusing: {}",
        run.stdout
    );
    run
}

/// stderr with the server URL, the repository's temp dir and the test-data dir replaced.
fn stable(run: &PinlockRun, srv: &Server, repo: &BuiltRepo) -> String {
    let td = testdata_dir();
    // the clock's reading, where a message shows it
    let text = match run.stderr.split_once("(now is ") {
        Some((head, tail)) => format!("{head}(now is [NOW]{}", &tail[tail.find(')').unwrap()..]),
        None => run.stderr.clone(),
    };
    redact(
        &text,
        &[
            (&srv.url(), "http://[SERVER]"),
            (&repo.path().display().to_string(), "[REPO]"),
            (&td.display().to_string(), "[TESTDATA]"),
        ],
    )
}

/// The common case: apt and pinlock both refuse; apt says `apt_says`; snapshot pinlock's stderr.
fn both_refuse(name: &str, repo: &BuiltRepo, key: &Path, apt_says: &str) -> (Server, PinlockRun) {
    let srv = Server::serve(repo.path());
    let lines = apt_refuses(&srv, key);
    assert!(
        lines.contains(apt_says),
        "expected apt to say {apt_says:?}, it said:\n{lines}"
    );
    let run = pinlock_refuses(&srv, key, &["--retries", "1"]);
    insta::assert_snapshot!(name, stable(&run, &srv, repo));
    (srv, run)
}

fn build(b: RepoBuilder) -> BuiltRepo {
    b.build().expect("build fixture repository")
}

#[test]
fn inrelease_edited_after_signing_is_fatal_without_fallback() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(RepoBuilder::new(fixture("docker-debian")));
    repo.tamper_inrelease(SUITE).unwrap();
    let (srv, _) = both_refuse("inrelease_edited", &repo, &repo.key_asc, "BADSIG");
    // no fallback to Release + Release.gpg, no index fetched
    let paths: Vec<String> = srv
        .requests()
        .into_iter()
        .filter(|r| r.authorization.is_none())
        .map(|r| r.path)
        .collect();
    assert!(
        !paths.iter().any(|p| p.ends_with("Release.gpg")
            || p.ends_with("/Release")
            || p.contains("binary-")),
        "pinlock fetched more than InRelease: {paths:?}"
    );
}

#[test]
fn signed_by_a_key_not_in_the_keyring() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(RepoBuilder::new(fixture("docker-debian")).key(TestKey::Other));
    both_refuse(
        "unknown_key",
        &repo,
        &TestKey::Repo.public_asc(),
        "NO_PUBKEY",
    );
}

#[test]
fn unsigned_repository() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(RepoBuilder::new(fixture("docker-debian")).sign(SignMode::None));
    both_refuse("unsigned", &repo, &repo.key_asc, "is not signed");
}

#[test]
fn only_md5_and_sha1() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(RepoBuilder::new(fixture("docker-debian")).hashes(&[Md5, Sha1]));
    both_refuse(
        "weak_hashes",
        &repo,
        &repo.key_asc,
        "weak security information",
    );
}

#[test]
fn expired_valid_until() {
    if !require_apt_tools() {
        return;
    }
    // Date 2023-06-12 (fixture), Valid-Until a week later
    let repo = build(RepoBuilder::new(fixture("docker-debian")).valid_until(1_687_163_000));
    both_refuse("expired", &repo, &repo.key_asc, "is expired");
}

#[test]
fn date_in_the_future() {
    if !require_apt_tools() {
        return;
    }
    // 2100-01-01: fixed, so the message is stable
    let repo = build(RepoBuilder::new(fixture("docker-debian")).date(4_102_444_800));
    both_refuse("date_in_future", &repo, &repo.key_asc, "not valid yet");
}

#[test]
fn index_size_mismatch() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(RepoBuilder::new(fixture("docker-debian")).compress(&[Plain, Gz, Bz2, Xz]));
    let evil = b"Package: docker-ce\nArchitecture: amd64\nVersion: 5:99.0.0-1~debian.10~buster\n\
Filename: dists/buster/pool/stable/amd64/docker-ce_99.0.0-1~debian.10~buster_amd64.deb\n\
Size: 1\nSHA256: 0000000000000000000000000000000000000000000000000000000000000000\n";
    repo.replace_index(SUITE, "stable", "amd64", evil).unwrap();
    let (_, run) = both_refuse("index_size", &repo, &repo.key_asc, "unexpected size");
    assert!(!run.stderr.contains("99.0.0"));
}

#[test]
fn same_size_hash_mismatch_in_every_variant() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(RepoBuilder::new(fixture("docker-debian")).compress(&[Plain, Gz, Bz2, Xz]));
    let sizes = |r: &BuiltRepo| -> Vec<u64> {
        r.index_files(SUITE, "stable", "amd64")
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .collect()
    };
    let before = sizes(&repo);
    repo.flip_index_bytes(SUITE, "stable", "amd64").unwrap();
    assert_eq!(before, sizes(&repo));
    both_refuse("index_hash", &repo, &repo.key_asc, "Hash Sum mismatch");
}

#[test]
fn same_size_hash_mismatch_by_hash() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(
        RepoBuilder::new(fixture("docker-debian"))
            .compress(&[Gz, Xz])
            .by_hash(true),
    );
    repo.flip_index_bytes(SUITE, "stable", "amd64").unwrap();
    both_refuse(
        "index_hash_by_hash",
        &repo,
        &repo.key_asc,
        "Hash Sum mismatch",
    );
}

#[test]
fn truncated_compressed_index() {
    if !require_apt_tools() {
        return;
    }
    // every compressed variant cut in half; the plain index is listed but not served
    let repo = build(RepoBuilder::new(fixture("docker-debian")).compress(&[Gz, Bz2, Xz]));
    for ext in ["gz", "bz2", "xz"] {
        let rel = format!("dists/{SUITE}/stable/binary-amd64/Packages.{ext}");
        let len = repo.read(&rel).unwrap().len() as u64;
        repo.truncate(&rel, len / 2).unwrap();
    }
    both_refuse("index_truncated", &repo, &repo.key_asc, "unexpected size");
}

#[test]
fn not_found_for_every_variant_of_a_listed_index() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(RepoBuilder::new(fixture("docker-debian")));
    for p in repo.index_files(SUITE, "stable", "amd64") {
        std::fs::remove_file(p).unwrap();
    }
    let (srv, _) = both_refuse("index_404", &repo, &repo.key_asc, "404");
    for ext in ["", ".gz", ".bz2"] {
        let p = format!("/dists/{SUITE}/stable/binary-amd64/Packages{ext}");
        assert!(srv.count(&p) >= 1, "pinlock did not try {p}");
    }
}

#[test]
fn server_error_on_every_try() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(RepoBuilder::new(fixture("docker-debian")));
    let srv = Server::serve(repo.path());
    srv.add_rule(Rule::suffix("/InRelease", Fault::Status(503)));
    let lines = apt_refuses(&srv, &repo.key_asc);
    assert!(lines.contains("503"), "apt said:\n{lines}");
    srv.clear_log();
    let run = pinlock_refuses(&srv, &repo.key_asc, &["--retries", "2"]);
    // the first try and two retries, then give up (no fallback to Release on a 5xx)
    assert_eq!(srv.count(&format!("/dists/{SUITE}/InRelease")), 3);
    assert_eq!(srv.count(&format!("/dists/{SUITE}/Release")), 0);
    insta::assert_snapshot!("server_error", stable(&run, &srv, &repo));
}

#[test]
fn refused_source_leaves_the_lockfile_untouched() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(RepoBuilder::new(fixture("docker-debian")));
    let srv = Server::serve(repo.path());
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("pinlock.yml");
    std::fs::write(
        &manifest,
        format!(
            "sources:\n  - \"{}\"\npackages:\n  docker-ce: \"*\"\n",
            line(&srv, &repo.key_asc)
        ),
    )
    .unwrap();
    let lockfile = dir.path().join("pinlock.lock");
    let m = manifest.display().to_string();
    let pl = Pinlock::new();
    pl.run(&["lock", "-m", &m]).success();
    let before = std::fs::read(&lockfile).expect("lockfile written");
    let mtime = std::fs::metadata(&lockfile).unwrap().modified().unwrap();
    assert!(String::from_utf8_lossy(&before).contains("docker-ce"));

    repo.tamper_inrelease(SUITE).unwrap();
    assert!(apt_refuses(&srv, &repo.key_asc).contains("BADSIG"));
    // a fresh cache and the one that has the good InRelease: both refuse
    for pl in [Pinlock::new(), pl] {
        let run = pl.run(&["lock", "-m", &m]);
        run.expect_code(2);
        assert!(
            run.stderr.to_lowercase().contains("signature"),
            "{}",
            run.stderr
        );
        assert_eq!(std::fs::read(&lockfile).unwrap(), before);
        assert_eq!(
            std::fs::metadata(&lockfile).unwrap().modified().unwrap(),
            mtime
        );
    }
    // and no temp file was left next to it
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn refused_data_is_never_served_from_the_cache() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(RepoBuilder::new(fixture("docker-debian")));
    let srv = Server::serve(repo.path());
    let src = line(&srv, &repo.key_asc);
    let versions = |pl: &Pinlock, flags: &[&str]| {
        let mut args: Vec<&str> = flags.to_vec();
        args.extend(["versions", "--json", "--source", &src, "docker-ce"]);
        pl.run(&args)
    };

    // a tampered index on the first run: refused, and --offline has nothing to answer with
    repo.flip_index_bytes(SUITE, "stable", "amd64").unwrap();
    let pl = Pinlock::new();
    versions(&pl, &[]).expect_code(2);
    versions(&pl, &["--offline"]).expect_code(2);

    // a good run fills the cache; then the mirror serves a tampered InRelease: refused online,
    // and --offline still answers with the verified data only
    let good = build(RepoBuilder::new(fixture("docker-debian")));
    srv.set_root(good.path());
    let ok = versions(&pl, &[]);
    ok.success();
    good.tamper_inrelease(SUITE).unwrap();
    // the tampered file must look new to a conditional request
    let f = std::fs::File::options()
        .write(true)
        .open(good.dist_dir(SUITE).join("InRelease"))
        .unwrap();
    f.set_modified(std::time::SystemTime::now()).unwrap();
    drop(f);
    assert!(apt_refuses(&srv, &good.key_asc).contains("BADSIG"));
    versions(&pl, &[]).expect_code(2);
    let offline = versions(&pl, &["--offline"]);
    offline.success();
    assert_eq!(offline.stdout, ok.stdout);
}
