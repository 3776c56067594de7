//! The cache: a second run with an unchanged InRelease makes a conditional request (304) and
//! downloads no index; `--offline` answers from the cache after the server is gone, and fails
//! with a hint when the cache is empty; a changed InRelease is fetched and read again.

use pinlock_tests::{
    fixture, require_repo_tools, BuiltRepo, Pinlock, PinlockRun, RepoBuilder, Server,
};

fn source(repo: &BuiltRepo, url: &str) -> String {
    format!(
        "deb [arch=amd64,arm64 signed-by={}] {url} buster stable",
        repo.key_asc.display()
    )
}

fn versions(pl: &Pinlock, src: &str, flags: &[&str]) -> PinlockRun {
    let mut args: Vec<&str> = flags.to_vec();
    args.extend([
        "versions",
        "--json",
        "--source",
        src,
        "docker-ce",
        "containerd.io",
    ]);
    pl.run(&args)
}

fn index_requests(srv: &Server) -> Vec<String> {
    srv.requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.contains("/binary-"))
        .collect()
}

#[test]
fn unchanged_inrelease_is_a_conditional_request_and_offline_reads_the_cache() {
    if !require_repo_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(repo.path());
    let url = srv.url();
    let src = source(&repo, &url);
    let pl = Pinlock::new();

    let first = versions(&pl, &src, &[]);
    first.success();
    assert_eq!(index_requests(&srv).len(), 2, "amd64 + arm64 indexes");
    let log = srv.requests();
    assert_eq!(log[0].path, "/dists/buster/InRelease");
    assert_eq!(log[0].status, 200);

    srv.clear_log();
    let second = versions(&pl, &src, &[]);
    second.success();
    assert_eq!(second.stdout, first.stdout);
    let log = srv.requests();
    assert_eq!(log.len(), 1, "only InRelease is asked for: {log:?}");
    assert_eq!(log[0].path, "/dists/buster/InRelease");
    assert!(
        log[0].if_none_match.is_some() || log[0].if_modified_since.is_some(),
        "not a conditional request: {:?}",
        log[0]
    );
    assert_eq!(log[0].status, 304);

    // -v says so
    srv.clear_log();
    let third = versions(&pl, &src, &["-v"]);
    third.success();
    assert!(third.stderr.contains("Unchanged"), "{}", third.stderr);
    assert!(!third.stderr.contains("Downloaded"), "{}", third.stderr);

    // server gone: --offline answers from the cache, the same as online
    drop(srv);
    let offline = versions(&pl, &src, &["--offline"]);
    offline.success();
    assert_eq!(offline.stdout, first.stdout);
    // and without --offline it is an error (no silent fallback to stale data)
    versions(&pl, &src, &["--retries", "0", "--connect-timeout", "2"]).expect_code(2);
}

#[test]
fn offline_with_an_empty_cache_fails_with_a_hint() {
    if !require_repo_tools() {
        return;
    }
    let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(repo.path());
    let src = source(&repo, &srv.url());
    let pl = Pinlock::new();
    let run = versions(&pl, &src, &["--offline"]);
    run.expect_code(2);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    assert!(run.stderr.contains("offline"), "{}", run.stderr);
    assert!(srv.requests().is_empty(), "--offline used the network");
    // --offline with --no-cache is refused too
    let run = versions(&pl, &src, &["--offline", "--no-cache"]);
    run.expect_code(2);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
}

#[test]
fn a_newer_snapshot_at_the_same_url_is_downloaded() {
    if !require_repo_tools() {
        return;
    }
    let old = RepoBuilder::new(fixture("docker-debian-2023-03"))
        .build()
        .unwrap();
    let new = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(old.path());
    let src = source(&old, &srv.url());
    let pl = Pinlock::new();
    let first = versions(&pl, &src, &[]);
    first.success();
    assert_eq!(
        first.json()["packages"]["docker-ce"][0]["version"],
        "5:23.0.1-1~debian.10~buster"
    );
    srv.set_root(new.path());
    srv.clear_log();
    let second = versions(&pl, &src, &[]);
    second.success();
    assert_eq!(
        second.json()["packages"]["docker-ce"][0]["version"],
        "5:24.0.2-1~debian.10~buster"
    );
    assert_eq!(srv.requests()[0].status, 200);
    assert_eq!(index_requests(&srv).len(), 2);
    // the offline answer is now the newer snapshot
    drop(srv);
    let offline = versions(&pl, &src, &["--offline"]);
    offline.success();
    assert_eq!(offline.stdout, second.stdout);
}
