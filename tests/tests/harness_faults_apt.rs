//! How the real apt reacts to the server's faults (with `Acquire::Retries 0`): documentation of
//! the transport failures pinlock must handle at least as strictly.

use std::time::Duration;

use pinlock_tests::{
    fixture, require_apt_tools, AptSandbox, BuiltRepo, Fault, RepoBuilder, Rule, Server,
};

const INDEX: &str = "/dists/buster/stable/binary-amd64/Packages";

fn setup() -> (BuiltRepo, Server, AptSandbox) {
    let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(repo.path());
    let apt = AptSandbox::new(
        &[format!(
            "deb [signed-by={}] {} buster stable",
            repo.key_asc.display(),
            srv.url()
        )],
        &["amd64"],
    )
    .unwrap();
    (repo, srv, apt)
}

/// Applies `fault` to every served variant of the amd64 index (apt falls back between them).
fn on_every_variant(srv: &Server, fault: Fault) {
    for c in ["", ".gz", ".bz2"] {
        srv.add_rule(Rule::exact(format!("{INDEX}{c}"), fault.clone()));
    }
}

fn rejection(apt: &AptSandbox) -> String {
    apt.update()
        .expect_err("apt must reject")
        .apt_lines()
        .join("\n")
}

#[test]
fn basic_auth_needs_credentials_from_auth_conf() {
    if !require_apt_tools() {
        return;
    }
    let (_repo, srv, apt) = setup();
    srv.require_basic_auth(Some(("fleet", "s3cret")));
    let lines = rejection(&apt);
    assert!(lines.contains("401  Unauthorized"), "{lines}");
    apt.set_auth(&srv.url(), "fleet", "s3cret").unwrap();
    apt.update().expect("credentials from auth.conf.d");
    let last = srv.requests().pop().unwrap();
    assert_eq!(
        last.authorization.as_deref(),
        Some("Basic ZmxlZXQ6czNjcmV0")
    );
    assert_eq!(apt.versions("docker-ce").unwrap().len(), 15);
}

#[test]
fn stalled_server_times_out() {
    if !require_apt_tools() {
        return;
    }
    let (_repo, srv, apt) = setup();
    apt.set_option("Acquire::http::Timeout", "1").unwrap();
    srv.add_rule(Rule::suffix(
        "/InRelease",
        Fault::StallBefore(Duration::from_secs(5)),
    ));
    srv.add_rule(Rule::suffix(
        "/Release",
        Fault::StallBefore(Duration::from_secs(5)),
    ));
    let t = std::time::Instant::now();
    let lines = rejection(&apt);
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    // apt reports a timeout as "Connection failed" and does not try Release + Release.gpg then
    assert!(lines.contains("Connection failed"), "{lines}");
    assert_eq!(srv.count("/dists/buster/Release.gpg"), 0);
}

#[test]
fn connection_reset_mid_body() {
    if !require_apt_tools() {
        return;
    }
    let (_repo, srv, apt) = setup();
    on_every_variant(&srv, Fault::ResetAfter(100));
    let lines = rejection(&apt);
    assert!(lines.contains("E: Failed to fetch"), "{lines}");
}

#[test]
fn lying_content_length_and_truncation() {
    if !require_apt_tools() {
        return;
    }
    let (_repo, srv, apt) = setup();
    on_every_variant(&srv, Fault::ContentLength(1_000_000));
    let lines = rejection(&apt);
    assert!(lines.contains("E: Failed to fetch"), "{lines}");
    srv.clear_rules();
    on_every_variant(&srv, Fault::Truncate(500));
    let lines = rejection(&apt);
    assert!(lines.contains("File has unexpected size"), "{lines}");
    srv.clear_rules();
    on_every_variant(&srv, Fault::ExtraBytes(b"trailing junk".to_vec()));
    let lines = rejection(&apt);
    assert!(lines.contains("File has unexpected size"), "{lines}");
    srv.clear_rules();
    apt.update().expect("fine again without faults");
}

#[test]
fn redirect_loop_is_detected() {
    if !require_apt_tools() {
        return;
    }
    let (_repo, srv, apt) = setup();
    for s in ["Release", "Release.gpg"] {
        srv.add_rule(Rule::suffix(s, Fault::RedirectLoop));
    }
    let lines = rejection(&apt);
    assert!(lines.contains("Redirection loop encountered"), "{lines}");
}

#[test]
fn redirect_to_another_path_is_followed() {
    if !require_apt_tools() {
        return;
    }
    let (repo, srv, apt) = setup();
    // a mirror layout change: the old path redirects to a copy elsewhere on the same server
    std::fs::create_dir_all(repo.path().join("moved")).unwrap();
    let inrel = repo.read("dists/buster/InRelease").unwrap();
    std::fs::write(repo.path().join("moved/InRelease"), inrel).unwrap();
    srv.add_rule(Rule::exact(
        "/dists/buster/InRelease",
        Fault::Redirect("/moved/InRelease".into()),
    ));
    apt.update().expect("same-origin redirect");
    assert_eq!(srv.count("/moved/InRelease"), 1);
}
