//! Credentials for a private repository (HTTP Basic auth): in the source URL (`user:secret@`)
//! or in an apt `auth.conf` file (`--auth-conf`). Both work, and the secret appears nowhere in
//! what pinlock prints or writes (stdout, stderr at -vv, the lockfile, the cache).

use std::path::Path;

use pinlock_tests::{
    fixture, require_apt_tools, require_repo_tools, AptSandbox, BuiltRepo, Pinlock, PinlockRun,
    RepoBuilder, Server,
};

const USER: &str = "fleet";
const SECRET: &str = "Zq7-secret-pa55word";

fn served() -> (BuiltRepo, Server) {
    let repo = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
    let srv = Server::serve(repo.path());
    srv.require_basic_auth(Some((USER, SECRET)));
    (repo, srv)
}

fn line(repo: &BuiltRepo, url: &str) -> String {
    format!(
        "deb [arch=amd64 signed-by={}] {url} buster stable",
        repo.key_asc.display()
    )
}

fn with_creds(url: &str, user: &str, secret: &str) -> String {
    url.replacen("http://", &format!("http://{user}:{secret}@"), 1)
}

/// Panics when `secret` is in the run's output or in any file below `dir`.
fn assert_no_secret(secret: &str, runs: &[&PinlockRun], dirs: &[&Path]) {
    for r in runs {
        assert!(
            !r.stdout.contains(secret) && !r.stderr.contains(secret),
            "secret printed by {:?}:\n{}\n{}",
            r.args,
            r.stdout,
            r.stderr
        );
    }
    fn walk(d: &Path, secret: &[u8], n: &mut usize) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, secret, n);
            } else {
                *n += 1;
                let data = std::fs::read(&p).unwrap();
                assert!(
                    !data.windows(secret.len()).any(|w| w == secret),
                    "secret written to {}",
                    p.display()
                );
            }
        }
    }
    let mut files = 0;
    for d in dirs {
        walk(d, secret.as_bytes(), &mut files);
    }
    assert!(files > 0, "nothing was written to check");
}

#[test]
fn credentials_in_the_url() {
    if !require_repo_tools() {
        return;
    }
    let (repo, srv) = served();
    let src = line(&repo, &with_creds(&srv.url(), USER, SECRET));
    let pl = Pinlock::new();
    let run = pl.run(&["-vv", "versions", "--source", &src, "docker-ce"]);
    run.success();
    assert!(run.stdout.contains("5:24.0.2-1~debian.10~buster"));
    assert!(srv
        .requests()
        .iter()
        .all(|r| r.authorization.is_some() && r.status == 200));

    // lock with the credentials in the manifest's source line
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("pinlock.yml");
    std::fs::write(
        &manifest,
        format!("sources:\n  - \"{src}\"\npackages:\n  docker-ce: \"*\"\n"),
    )
    .unwrap();
    let m = manifest.display().to_string();
    let lock = pl.run(&["-vv", "lock", "-m", &m]);
    lock.success();
    let lockfile = std::fs::read_to_string(dir.path().join("pinlock.lock")).unwrap();
    assert!(lockfile.contains(&srv.url()), "{lockfile}");
    assert!(
        !lockfile.contains(USER),
        "user name in the lockfile:\n{lockfile}"
    );

    // a wrong password: an error that does not show it either
    let wrong = line(&repo, &with_creds(&srv.url(), USER, "Wr0ng-pa55word"));
    let bad = Pinlock::new().run(&[
        "--retries",
        "0",
        "versions",
        "--source",
        &wrong,
        "docker-ce",
    ]);
    bad.expect_code(2);
    assert!(bad.stderr.contains("401"), "{}", bad.stderr);
    assert!(!bad.stderr.contains("Wr0ng-pa55word"), "{}", bad.stderr);

    // the manifest holds the secret by the user's choice; everything else must not
    std::fs::remove_file(&manifest).unwrap();
    assert_no_secret(SECRET, &[&run, &lock, &bad], &[dir.path(), pl.home()]);
}

#[test]
fn credentials_from_auth_conf() {
    if !require_repo_tools() {
        return;
    }
    let (repo, srv) = served();
    let src = line(&repo, &srv.url());
    let host = srv.url().trim_start_matches("http://").to_string();
    let dir = tempfile::tempdir().unwrap();
    let auth = dir.path().join("auth.conf");
    let a = auth.display().to_string();
    let pl = Pinlock::new();

    // without credentials: 401
    let denied = pl.run(&["--retries", "0", "versions", "--source", &src, "docker-ce"]);
    denied.expect_code(2);
    assert!(denied.stderr.contains("401"), "{}", denied.stderr);

    // a machine without a scheme matches only https:// (apt_auth.conf(5)): not sent over http
    std::fs::write(
        &auth,
        format!("machine {host}\nlogin {USER}\npassword {SECRET}\n"),
    )
    .unwrap();
    let plain_http = pl.run(&[
        "--retries",
        "0",
        "--auth-conf",
        &a,
        "versions",
        "--source",
        &src,
        "docker-ce",
    ]);
    plain_http.expect_code(2);
    assert!(srv.requests().iter().all(|r| r.authorization.is_none()));
    if require_apt_tools() {
        let apt = AptSandbox::new(std::slice::from_ref(&src), &["amd64"]).unwrap();
        apt.set_auth(&host, USER, SECRET).unwrap();
        assert!(apt.update().is_err(), "apt sent credentials over http");
    }

    // `machine http://host:port` sends them
    std::fs::write(
        &auth,
        format!("# fleet mirror\nmachine http://{host}/ login {USER}\n  password {SECRET}\n"),
    )
    .unwrap();
    let run = pl.run(&[
        "-vv",
        "--auth-conf",
        &a,
        "versions",
        "--source",
        &src,
        "docker-ce",
    ]);
    run.success();
    assert!(run.stdout.contains("5:24.0.2-1~debian.10~buster"));

    let manifest = dir.path().join("pinlock.yml");
    std::fs::write(
        &manifest,
        format!("sources:\n  - \"{src}\"\npackages:\n  containerd.io: \"*\"\n"),
    )
    .unwrap();
    let m = manifest.display().to_string();
    let lock = pl.run(&["-vv", "--auth-conf", &a, "lock", "-m", &m]);
    lock.success();
    assert!(std::fs::read_to_string(dir.path().join("pinlock.lock"))
        .unwrap()
        .contains("containerd.io"));

    // apt agrees with the same auth.conf credentials
    if require_apt_tools() {
        let apt = AptSandbox::new(std::slice::from_ref(&src), &["amd64"]).unwrap();
        apt.set_auth(&srv.url(), USER, SECRET).unwrap();
        apt.update().unwrap();
        assert_eq!(
            apt.candidate("docker-ce").unwrap().as_deref(),
            Some("5:24.0.2-1~debian.10~buster")
        );
    }

    std::fs::remove_file(&auth).unwrap();
    assert_no_secret(
        SECRET,
        &[&denied, &plain_http, &run, &lock],
        &[dir.path(), pl.home()],
    );
}
