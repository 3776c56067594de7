//! The harness against the real apt: an untouched fixture repository is accepted (armored and
//! binary keys), detached signatures and by-hash copies work as apt expects, a tampered variant
//! is caught when apt fetches it, and unresolvable requests show in `--simulate`.
//! The refusals that pinlock must share with apt (bad signature, unknown key, unsigned, weak
//! hashes, expired, future Date, index size/hash) are in reader_refusals.rs, which runs apt and
//! pinlock on the same served repository.

use pinlock_tests::{
    fixture, require_apt_tools, AptSandbox, BuiltRepo, Compression::*, HarnessError, RepoBuilder,
    Server, SignMode,
};

/// Fixture with Release Date 2023-06-12 (docker-debian) and one suite used throughout.
const SUITE: &str = "buster";

fn sandbox(repo: &BuiltRepo, srv: &Server, key: &std::path::Path) -> AptSandbox {
    AptSandbox::new(
        &[format!(
            "deb [arch=amd64 signed-by={}] {} {SUITE} stable",
            key.display(),
            srv.url()
        )],
        &["amd64"],
    )
    .unwrap_or_else(|e| panic!("sandbox for {}: {e}", repo.path().display()))
}

/// Serves `repo` and returns apt's rejection lines; panics if apt accepts it.
fn rejected(repo: &BuiltRepo, key: &std::path::Path) -> String {
    let srv = Server::serve(repo.path());
    let apt = sandbox(repo, &srv, key);
    match apt.update() {
        Ok(()) => panic!(
            "apt accepted the repository\nRelease:\n{}",
            repo.release(SUITE).unwrap()
        ),
        Err(e @ HarnessError::AptRejected { .. }) => e.apt_lines().join("\n"),
        Err(e) => panic!("apt could not run: {e}"),
    }
}

fn assert_contains(lines: &str, needle: &str) {
    assert!(
        lines.contains(needle),
        "expected apt to say {needle:?}, it said:\n{lines}"
    );
}

fn build(b: RepoBuilder) -> BuiltRepo {
    b.build().expect("build fixture repository")
}

#[test]
fn control_untampered_repo_is_accepted() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(RepoBuilder::new(fixture("docker-debian")).compress(&[Plain, Gz, Xz]));
    let srv = Server::serve(repo.path());
    let apt = sandbox(&repo, &srv, &repo.key_asc);
    apt.update().expect("apt accepts the untouched repository");
    assert_eq!(
        apt.candidate("docker-ce").unwrap().as_deref(),
        Some("5:24.0.2-1~debian.10~buster")
    );
    // the binary key works as signed-by just as well
    let apt = sandbox(&repo, &srv, &repo.key_gpg);
    apt.update().expect("signed-by=<binary key>");
    let inrelease = String::from_utf8(repo.read("dists/buster/InRelease").unwrap()).unwrap();
    assert!(inrelease
        .starts_with("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Docker\n"));
}

#[test]
fn only_one_variant_tampered_is_detected_when_apt_fetches_it() {
    if !require_apt_tools() {
        return;
    }
    // Docker serves no .xz, so apt takes .bz2: breaking just that one is enough
    let repo = build(RepoBuilder::new(fixture("docker-debian")));
    let rel = format!("dists/{SUITE}/stable/binary-amd64/Packages.bz2");
    let len = repo.read(&rel).unwrap().len() as u64;
    repo.truncate(&rel, len / 2).unwrap();
    let lines = rejected(&repo, &repo.key_asc);
    assert_contains(&lines, "File has unexpected size");
}

#[test]
fn detached_signature_only_is_accepted_but_a_bad_one_is_not() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(RepoBuilder::new(fixture("docker-debian")).sign(SignMode::Detached));
    assert!(!repo.dist_dir(SUITE).join("InRelease").exists());
    let srv = Server::serve(repo.path());
    sandbox(&repo, &srv, &repo.key_asc)
        .update()
        .expect("Release + Release.gpg is a valid signed repository");
    // now change Release after signing
    let rel = format!("dists/{SUITE}/Release");
    let text = repo.read(&rel).unwrap();
    let text = String::from_utf8(text)
        .unwrap()
        .replace("Label: Docker CE", "Label: Docker EE");
    repo.write(&rel, text.as_bytes()).unwrap();
    let lines = rejected(&repo, &repo.key_asc);
    assert_contains(&lines, "BADSIG");
}

#[test]
fn missing_inrelease_falls_back_to_release_gpg_and_by_hash_copies_are_checked_too() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(
        RepoBuilder::new(fixture("docker-debian"))
            .compress(&[Gz, Xz])
            .by_hash(true),
    );
    repo.remove(&format!("dists/{SUITE}/InRelease")).unwrap();
    let srv = Server::serve(repo.path());
    sandbox(&repo, &srv, &repo.key_asc)
        .update()
        .expect("404 InRelease -> Release + Release.gpg");
    assert_eq!(srv.count(&format!("/dists/{SUITE}/Release.gpg")), 1);
    drop(srv);
    // by-hash copies are what apt fetches here: tampering must reach them as well
    let files = repo.index_files(SUITE, "stable", "amd64");
    assert!(files
        .iter()
        .any(|p| p.to_string_lossy().contains("/by-hash/SHA512/")));
    repo.flip_index_bytes(SUITE, "stable", "amd64").unwrap();
    let lines = rejected(&repo, &repo.key_asc);
    assert_contains(&lines, "Hash Sum mismatch");
}

#[test]
fn simulate_reports_unresolvable_requests() {
    if !require_apt_tools() {
        return;
    }
    let repo = build(RepoBuilder::new(fixture("docker-debian")));
    let srv = Server::serve(repo.path());
    let apt = sandbox(&repo, &srv, &repo.key_asc);
    apt.update().unwrap();
    match apt.simulate(&["docker-ce=5:99.0.0-1~debian.10~buster"]) {
        Err(HarnessError::AptCommand { output, .. }) => {
            assert!(output.contains("was not found"), "{output}")
        }
        other => panic!("expected AptCommand error, got {other:?}"),
    }
}
