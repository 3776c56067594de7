//! Network faults injected by the harness server while `pinlock versions` reads a real signed
//! repository: transient errors are retried (the server log shows the retries) and succeed;
//! lies, stalls, loops and oversized bodies end in a clear error (exit 2), never in silently
//! accepted data.

use std::time::Duration;

use pinlock_tests::{
    fixture, require_apt_tools, require_repo_tools, AptSandbox, BuiltRepo, Fault, Pinlock,
    PinlockRun, RepoBuilder, Rule, Server,
};

const INRELEASE: &str = "/dists/buster/InRelease";
/// The variant pinlock fetches from Docker's layout (plain, gz, bz2): gz.
const GZ: &str = "/dists/buster/stable/binary-amd64/Packages.gz";
const BZ2: &str = "/dists/buster/stable/binary-amd64/Packages.bz2";
const NEWEST: &str = "5:24.0.2-1~debian.10~buster";

fn repo() -> BuiltRepo {
    RepoBuilder::new(fixture("docker-debian")).build().unwrap()
}

fn source(repo: &BuiltRepo, srv: &Server) -> String {
    format!(
        "deb [arch=amd64 signed-by={}] {} buster stable",
        repo.key_asc.display(),
        srv.url()
    )
}

fn versions(repo: &BuiltRepo, srv: &Server, flags: &[&str]) -> PinlockRun {
    let src = source(repo, srv);
    let mut args: Vec<&str> = flags.to_vec();
    args.extend(["versions", "--json", "--source", &src, "docker-ce"]);
    Pinlock::new().run(&args)
}

fn newest(run: &PinlockRun) -> String {
    run.json()["packages"]["docker-ce"][0]["version"]
        .as_str()
        .unwrap()
        .to_string()
}

fn statuses(srv: &Server, path: &str) -> Vec<u16> {
    srv.requests()
        .into_iter()
        .filter(|r| r.path == path)
        .map(|r| r.status)
        .collect()
}

#[test]
fn server_error_twice_then_success_is_retried() {
    if !require_repo_tools() {
        return;
    }
    let repo = repo();
    let srv = Server::serve(repo.path());
    srv.add_rule(Rule::exact(INRELEASE, Fault::Status(500)).times(2));
    let run = versions(&repo, &srv, &["--retries", "3"]);
    run.success();
    assert_eq!(newest(&run), NEWEST);
    assert_eq!(statuses(&srv, INRELEASE), [500, 500, 200]);
}

#[test]
fn index_server_error_twice_then_success_is_retried() {
    if !require_repo_tools() {
        return;
    }
    let repo = repo();
    let srv = Server::serve(repo.path());
    srv.add_rule(Rule::exact(GZ, Fault::Status(502)).times(2));
    let run = versions(&repo, &srv, &["--retries", "2"]);
    run.success();
    assert_eq!(newest(&run), NEWEST);
    assert_eq!(statuses(&srv, GZ), [502, 502, 200]);
}

#[test]
fn failing_variant_falls_back_to_the_next_compression_like_apt() {
    if !require_repo_tools() {
        return;
    }
    let repo = repo();
    let srv = Server::serve(repo.path());
    // apt takes bz2 first; pinlock gz: break both first choices, forever
    srv.add_rule(Rule::exact(GZ, Fault::Status(503)));
    srv.add_rule(Rule::exact(BZ2, Fault::Status(503)));
    let run = versions(&repo, &srv, &["--retries", "1"]);
    run.success();
    assert_eq!(newest(&run), NEWEST);
    assert_eq!(statuses(&srv, GZ), [503, 503]);
    assert_eq!(
        statuses(&srv, "/dists/buster/stable/binary-amd64/Packages"),
        [200]
    );
    if require_apt_tools() {
        let apt = AptSandbox::new(&[source(&repo, &srv)], &["amd64"]).unwrap();
        apt.update().expect("apt falls back as well");
        assert_eq!(apt.candidate("docker-ce").unwrap().as_deref(), Some(NEWEST));
    }
}

#[test]
fn connection_reset_mid_body_is_retried() {
    if !require_repo_tools() {
        return;
    }
    let repo = repo();
    let srv = Server::serve(repo.path());
    srv.add_rule(Rule::exact(GZ, Fault::ResetAfter(1000)).times(1));
    srv.add_rule(Rule::exact(INRELEASE, Fault::ResetAfter(200)).times(1));
    let run = versions(&repo, &srv, &["--retries", "2"]);
    run.success();
    assert_eq!(newest(&run), NEWEST);
    assert_eq!(statuses(&srv, GZ).len(), 2, "{:?}", srv.requests());
    assert_eq!(statuses(&srv, INRELEASE).len(), 2);
}

#[test]
fn lying_content_length_is_never_accepted_silently() {
    if !require_repo_tools() {
        return;
    }
    let repo = repo();
    let gz_len = repo.read(&GZ[1..]).unwrap().len() as u64;
    let inrel_len = repo.read(&INRELEASE[1..]).unwrap().len() as u64;
    for (path, lie) in [
        (GZ, gz_len + 500),
        (GZ, gz_len - 500),
        (INRELEASE, inrel_len + 100),
        (INRELEASE, inrel_len - 100),
    ] {
        // once: either retried to success, or an error; never the short/long body accepted
        let srv = Server::serve(repo.path());
        srv.add_rule(Rule::exact(path, Fault::ContentLength(lie)).times(1));
        let run = versions(&repo, &srv, &["--retries", "2"]);
        match run.code {
            0 => {
                assert_eq!(newest(&run), NEWEST);
                assert!(
                    statuses(&srv, path).len() >= 2,
                    "{path} with Content-Length {lie}: accepted without a retry"
                );
            }
            2 => {}
            c => panic!("exit {c}: {}", run.stderr),
        }
        drop(srv);
        // always: an error
        let srv = Server::serve(repo.path());
        srv.add_rule(Rule::exact(path, Fault::ContentLength(lie)));
        let run = versions(&repo, &srv, &["--retries", "1"]);
        run.expect_code(2);
        assert!(run.stderr.contains(path), "{path}: {}", run.stderr);
    }
}

#[test]
fn stall_longer_than_read_timeout_fails_in_bounded_time() {
    if !require_repo_tools() {
        return;
    }
    let repo = repo();
    let srv = Server::serve(repo.path());
    srv.add_rule(Rule::exact(GZ, Fault::StallBefore(Duration::from_secs(6))));
    let run = versions(&repo, &srv, &["--read-timeout", "1", "--retries", "1"]);
    run.expect_code(2);
    assert!(
        run.stderr.to_lowercase().contains("timed out") || run.stderr.contains("timeout"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(GZ), "{}", run.stderr);
    // two attempts of ~1 s each plus backoff; far below the 6 s stall
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
}

#[test]
fn stall_mid_body_longer_than_read_timeout_fails() {
    if !require_repo_tools() {
        return;
    }
    let repo = repo();
    let srv = Server::serve(repo.path());
    srv.add_rule(Rule::exact(
        GZ,
        Fault::StallMidBody {
            after: 2000,
            pause: Duration::from_secs(6),
        },
    ));
    let run = versions(&repo, &srv, &["--read-timeout", "1", "--retries", "0"]);
    run.expect_code(2);
    assert!(run.stderr.contains(GZ), "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
}

#[test]
fn redirect_loop_is_an_error() {
    if !require_repo_tools() {
        return;
    }
    let repo = repo();
    let srv = Server::serve(repo.path());
    srv.add_rule(Rule::exact(INRELEASE, Fault::RedirectLoop));
    let run = versions(&repo, &srv, &["--retries", "0"]);
    run.expect_code(2);
    assert!(run.stderr.contains("redirect"), "{}", run.stderr);
    assert!(srv.count(INRELEASE) <= 20, "{}", srv.count(INRELEASE));
}

#[test]
fn redirect_to_a_local_file_is_refused() {
    if !require_repo_tools() {
        return;
    }
    let repo = repo();
    let srv = Server::serve(repo.path());
    srv.add_rule(Rule::exact(
        INRELEASE,
        Fault::Redirect("file:///etc/passwd".into()),
    ));
    let run = versions(&repo, &srv, &["--retries", "0"]);
    run.expect_code(2);
    assert!(!run.stderr.contains("root:"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("/dists/buster/InRelease: redirect to file:///etc/passwd refused"),
        "{}",
        run.stderr
    );
    // refused once, not retried
    assert_eq!(srv.count(INRELEASE), 1);
}

#[test]
fn body_larger_than_the_release_says_stops_reading() {
    if !require_repo_tools() {
        return;
    }
    let repo = repo();
    let srv = Server::serve(repo.path());
    // 64 MiB of garbage after the real index
    srv.add_rule(Rule::exact(GZ, Fault::ExtraBytes(vec![b'x'; 64 << 20])));
    let run = versions(&repo, &srv, &["--retries", "0"]);
    run.expect_code(2);
    assert!(run.stderr.contains("larger than"), "{}", run.stderr);
    assert!(run.stderr.contains(GZ), "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
}
