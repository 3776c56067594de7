//! Repository layouts and source lines that apt reads in its own particular way (issue 16), each
//! checked against the real apt in a sandbox over the same served, signed repository:
//!
//! - Debian's security archive: `Components: updates/main ...` with the indexes under `main/`;
//!   the source component `main` reads them (apt 2.6 `debReleaseIndex::Load`);
//! - `No-Support-for-Architecture-all: Packages`: no `binary-all` index is fetched (the server's
//!   request log proves it), even when one is listed, would change the result, or is broken;
//! - a component or architecture the Release does not have: apt warns and reads nothing from it,
//!   pinlock refuses (snapshot of the message);
//! - one-line sources: `#` comments, malformed brackets, `arch+=`/`arch-=`.

use std::path::Path;

use pinlock_tests::{
    deb_line, fixture, redact, require_apt_tools, AptSandbox, BuiltRepo, HarnessError, Pinlock,
    PinlockRun, Project, RepoBuilder, Server,
};

/// The `Components` line of Debian's security archive (its InRelease, 2026).
const SECURITY_COMPONENTS: &str =
    "Components: updates/main updates/contrib updates/non-free-firmware updates/non-free";

/// The Debian fixture with its bookworm-security Release rewritten (and signed again) to say
/// `Components: updates/main ...`, as Debian's security archive does; the indexes stay under
/// `main/`, and the Release lists them there.
fn security_repo() -> BuiltRepo {
    let repo = RepoBuilder::new(fixture("debian-main")).build().unwrap();
    repo.rewrite_release("bookworm-security", |t| {
        assert!(t.contains("\nComponents: main\n"), "{t}");
        t.replace(
            "\nComponents: main\n",
            &format!("\n{SECURITY_COMPONENTS}\n"),
        )
    })
    .unwrap();
    let text = repo.release("bookworm-security").unwrap();
    assert!(text.contains(" main/binary-amd64/Packages\n"), "{text}");
    assert!(!text.contains(" updates/main/"), "{text}");
    repo
}

/// stderr with the server URL, the repository dir and the test-data dir replaced.
fn stable(run: &PinlockRun, srv: &Server, repo_dir: &Path) -> String {
    redact(
        &run.stderr,
        &[
            (&srv.url(), "http://[SERVER]"),
            (&repo_dir.display().to_string(), "[REPO]"),
            (
                &pinlock_tests::testdata_dir().display().to_string(),
                "[TESTDATA]",
            ),
        ],
    )
}

fn apt_updated(sources: &[String], archs: &[&str]) -> AptSandbox {
    let apt = AptSandbox::new(sources, archs).unwrap();
    apt.update().unwrap();
    apt
}

#[test]
fn security_archive_updates_components_are_read_for_main() {
    if !require_apt_tools() {
        return;
    }
    let repo = security_repo();
    let srv = Server::serve(repo.path());
    let url = srv.url();
    let src = [
        deb_line(&repo, &url, "amd64", "bookworm", "main"),
        deb_line(&repo, &url, "amd64", "bookworm-security", "main"),
    ];
    // apt reads the security suite without a word (update --error-on=any succeeds)
    let apt = apt_updated(&src, &["amd64"]);
    let pkgs = ["libc6", "openssl"];
    let proj = Project::new(&src, &pkgs.map(|p| (p, "*")));
    let run = proj.lock(&Pinlock::new(), &[]);
    run.success();
    assert!(
        !run.stderr.contains("skipping") && !run.stderr.contains("warning"),
        "{}",
        run.stderr
    );
    let lock = proj.parsed();
    let t = &lock.targets["bookworm/amd64"];
    for p in pkgs {
        let cand = apt.candidate(p).unwrap().expect("apt has a candidate");
        assert_eq!(t.packages[p].version, cand, "{p}: pinlock vs apt candidate");
    }
    // the candidates are the security updates (not bookworm's own versions)
    assert_eq!(t.packages["libc6"].version, "2.36-9+deb12u7");
    assert_eq!(t.packages["openssl"].version, "3.0.15-1~deb12u1");
    // the lockfile records the component as configured
    let sec = lock
        .sources
        .iter()
        .find(|s| s.suite == "bookworm-security")
        .expect("the security suite is locked");
    assert_eq!(sec.components, ["main"]);
    // and pinlock read the index under main/, as apt did
    assert!(srv
        .requests()
        .iter()
        .any(|r| r.path.contains("/bookworm-security/main/binary-amd64/")));
}

#[test]
fn security_archive_component_spelt_updates_main_is_refused() {
    if !require_apt_tools() {
        return;
    }
    let repo = security_repo();
    let srv = Server::serve(repo.path());
    let url = srv.url();
    let src = [
        deb_line(&repo, &url, "amd64", "bookworm", "main"),
        deb_line(&repo, &url, "amd64", "bookworm-security", "updates/main"),
    ];
    // apt accepts `updates/main` (a Components entry) but the Release lists no updates/main/
    // index: apt reads nothing from the security suite, silently, and its candidate is
    // bookworm's libc6 -- the security update is lost
    let apt = apt_updated(&src, &["amd64"]);
    let cand = apt.candidate("libc6").unwrap().expect("a candidate");
    assert_ne!(cand, "2.36-9+deb12u7", "apt read the security suite");
    // pinlock refuses instead of writing a lockfile without the security updates
    let proj = Project::new(&src, &[("libc6", "*")]);
    let run = proj.lock(&Pinlock::new(), &[]);
    run.expect_code(2);
    assert!(!proj.lockfile().exists(), "a lockfile was written");
    insta::assert_snapshot!(
        "security_updates_main_spelt_out",
        stable(&run, &srv, repo.path())
    );
}

/// One stanza with made-up file fields.
fn pkg(name: &str, version: &str, arch: &str, extra: &str) -> String {
    format!(
        "Package: {name}\nVersion: {version}\nArchitecture: {arch}\n{extra}Filename: pool/main/{name}_{version}_{arch}.deb\nSize: 1000\nSHA256: {}\n\n",
        "ab".repeat(32)
    )
}

/// A one-suite fixture (`stable`): `release_in` lines, then `(component, arch, stanzas)`.
fn write_fixture(release_in: &str, indexes: &[(&str, &str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("stable");
    std::fs::create_dir_all(&suite).unwrap();
    std::fs::write(
        suite.join("Release.in"),
        format!("Origin: Test\nLabel: Test\nSuite: stable\nCodename: stable\nDate: Sun, 01 Jan 2023 00:00:00 UTC\n{release_in}"),
    )
    .unwrap();
    for (comp, arch, text) in indexes {
        let d = suite.join(comp);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(format!("{arch}.Packages")), text).unwrap();
    }
    dir
}

fn line(repo: &BuiltRepo, url: &str, opts: &str, comps: &str) -> String {
    format!(
        "deb [{opts} signed-by={}] {url} stable {comps}",
        repo.key_asc.display()
    )
}

/// Paths of the requests the server saw for binary-all indexes.
fn binary_all_requests(srv: &Server) -> Vec<String> {
    srv.requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.contains("/binary-all/"))
        .collect()
}

#[test]
fn no_support_for_architecture_all_fetches_no_binary_all() {
    if !require_apt_tools() {
        return;
    }
    // hello 1.0 (arch all) is in binary-amd64, as on Debian's mirrors; binary-all holds a newer
    // hello 2.0, which would be the candidate if binary-all were read
    let fx = write_fixture(
        "Architectures: all amd64\nNo-Support-for-Architecture-all: Packages\n",
        &[
            (
                "main",
                "amd64",
                pkg("hello", "1.0", "all", "") + &pkg("tool", "1.0", "amd64", "Depends: hello\n"),
            ),
            ("main", "all", pkg("hello", "2.0", "all", "")),
        ],
    );
    let repo = RepoBuilder::new(fx.path()).build().unwrap();
    let release = repo.release("stable").unwrap();
    assert!(release.contains("No-Support-for-Architecture-all: Packages\n"));
    assert!(release.contains(" main/binary-all/Packages\n"));
    let srv = Server::serve(repo.path());
    let src = [line(&repo, &srv.url(), "arch=amd64", "main")];
    let pkgs = [("tool", "*"), ("hello", "*")];

    let apt = apt_updated(&src, &["amd64"]);
    assert_eq!(apt.candidate("hello").unwrap().as_deref(), Some("1.0"));
    assert_eq!(binary_all_requests(&srv), Vec::<String>::new(), "apt");
    srv.clear_log();

    let proj = Project::new(&src, &pkgs);
    proj.lock(&Pinlock::new(), &[]).success();
    let lock = proj.parsed();
    assert_eq!(
        lock.targets["stable/amd64"].packages["hello"].version,
        "1.0"
    );
    assert_eq!(lock.targets["stable/amd64"].packages["tool"].version, "1.0");
    assert_eq!(binary_all_requests(&srv), Vec::<String>::new(), "pinlock");

    // a broken binary-all changes nothing: it is never fetched (fresh cache, same lockfile)
    let before = proj.bytes();
    repo.flip_index_bytes("stable", "main", "all").unwrap();
    apt_updated(&src, &["amd64"]);
    proj.lock(&Pinlock::new(), &[]).success();
    assert_eq!(proj.bytes(), before);

    // control: the same repository without the field -- apt and pinlock both read binary-all
    // (repaired first) and both take hello 2.0
    repo.replace_index(
        "stable",
        "main",
        "all",
        pkg("hello", "2.0", "all", "").as_bytes(),
    )
    .unwrap();
    repo.rewrite_release("stable", |t| {
        t.replace("No-Support-for-Architecture-all: Packages\n", "")
    })
    .unwrap();
    srv.clear_log();
    let apt = apt_updated(&src, &["amd64"]);
    assert_eq!(apt.candidate("hello").unwrap().as_deref(), Some("2.0"));
    assert!(
        !binary_all_requests(&srv).is_empty(),
        "apt read no binary-all"
    );
    srv.clear_log();
    // a new project: `lock` would keep the previous lockfile's hello 1.0, which still fits
    let proj = Project::new(&src, &pkgs);
    proj.lock(&Pinlock::new(), &[]).success();
    assert_eq!(
        proj.parsed().targets["stable/amd64"].packages["hello"].version,
        "2.0"
    );
    assert!(
        !binary_all_requests(&srv).is_empty(),
        "pinlock read no binary-all"
    );
}

/// A fixture with components `main` (hello) and `contrib` (extra), amd64 and arm64.
fn two_component_repo() -> (tempfile::TempDir, BuiltRepo) {
    let fx = write_fixture(
        "",
        &[
            ("main", "amd64", pkg("hello", "1.0", "amd64", "")),
            ("main", "arm64", pkg("hello", "1.0", "arm64", "")),
            ("contrib", "amd64", pkg("extra", "1.0", "amd64", "")),
            ("contrib", "arm64", pkg("extra", "1.0", "arm64", "")),
        ],
    );
    let repo = RepoBuilder::new(fx.path()).build().unwrap();
    (fx, repo)
}

/// `pinlock versions --source LINE PKG`.
fn versions(line: &str, pkg: &str) -> PinlockRun {
    Pinlock::new().run(&["--retries", "1", "versions", "--source", line, pkg])
}

fn apt_rejects(sources: &[String]) -> String {
    let apt = AptSandbox::new(sources, &["amd64"]).unwrap();
    match apt.update() {
        Ok(()) => panic!("apt accepted {sources:?}"),
        Err(e @ HarnessError::AptRejected { .. }) => e.apt_lines().join("\n"),
        Err(e) => panic!("apt could not run: {e}"),
    }
}

#[test]
fn unknown_component_or_architecture_is_refused_where_apt_only_warns() {
    if !require_apt_tools() {
        return;
    }
    let (_fx, repo) = two_component_repo();
    let srv = Server::serve(repo.path());
    let mut out = String::new();
    for (name, opts, comps, apt_says) in [
        (
            "component typo",
            "arch=amd64",
            "mian",
            Some("doesn't have the component 'mian'"),
        ),
        // apt's "doesn't support architecture" is a notice, which `-q` does not print
        ("architecture typo", "arch=amd46", "main", None),
    ] {
        let src = [line(&repo, &srv.url(), opts, comps)];
        // apt goes on without the index (at most a warning) and knows no hello at all
        let apt = AptSandbox::new(&src, &["amd64"]).unwrap();
        let log = match apt.update() {
            Ok(()) => std::fs::read_to_string(apt.path().join("log/update.log")).unwrap(),
            Err(HarnessError::AptRejected { log, .. }) => log,
            Err(e) => panic!("apt could not run: {e}"),
        };
        if let Some(says) = apt_says {
            assert!(log.contains(says), "{name}: apt said:\n{log}");
        }
        assert_eq!(apt.candidate("hello").unwrap(), None, "{name}: apt read it");
        let run = versions(&src[0], "hello");
        run.expect_code(2);
        out.push_str(&format!("## {name}\n{}\n", stable(&run, &srv, repo.path())));
    }
    insta::assert_snapshot!("unknown_component_or_architecture", out);
}

#[test]
fn one_line_comment_ends_the_components_as_in_apt() {
    if !require_apt_tools() {
        return;
    }
    let (_fx, repo) = two_component_repo();
    let srv = Server::serve(repo.path());
    let src = [line(&repo, &srv.url(), "arch=amd64", "main # contrib")];
    let apt = apt_updated(&src, &["amd64"]);
    assert_eq!(apt.candidate("hello").unwrap().as_deref(), Some("1.0"));
    assert_eq!(apt.candidate("extra").unwrap(), None, "apt read contrib");
    srv.clear_log();
    let run = versions(&src[0], "hello");
    run.success();
    assert!(run.stdout.contains("stable/main amd64"), "{}", run.stdout);
    let run = versions(&src[0], "extra");
    run.success();
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        !srv.requests().iter().any(|r| r.path.contains("/contrib/")),
        "pinlock read contrib"
    );
}

#[test]
fn malformed_brackets_are_refused_as_apt_refuses_them() {
    if !require_apt_tools() {
        return;
    }
    let (_fx, repo) = two_component_repo();
    let srv = Server::serve(repo.path());
    let url = srv.url();
    let key = repo.key_asc.display().to_string();
    let mut out = String::new();
    for (name, l, apt_says) in [
        (
            "empty value",
            format!("deb [arch= signed-by={key}] {url} stable main"),
            "([option] no value)",
        ),
        (
            "empty arch before ]",
            format!("deb [signed-by={key} arch=] {url} stable main"),
            "([option] no value)",
        ),
        ("stray ]", format!("deb ] {url} stable main"), "(URI parse)"),
        (
            "no space after ]",
            format!("deb [signed-by={key}]{url} stable main"),
            "([option] not assignment)",
        ),
        (
            "no ]",
            format!("deb [arch=amd64 signed-by={key} {url} stable main"),
            "([option] not assignment)",
        ),
    ] {
        let said = apt_rejects(std::slice::from_ref(&l));
        assert!(said.contains(apt_says), "{name}: apt said:\n{said}");
        let run = versions(&l, "hello");
        run.expect_code(2);
        out.push_str(&format!("## {name}\n{}\n", stable(&run, &srv, repo.path())));
    }
    insta::assert_snapshot!("malformed_brackets", out);
}

#[test]
fn arch_plus_minus_select_the_indexes_apt_selects() {
    if !require_apt_tools() {
        return;
    }
    let (_fx, repo) = two_component_repo();
    let srv = Server::serve(repo.path());
    let arch_requests = |srv: &Server| {
        let mut v: Vec<String> = srv
            .requests()
            .into_iter()
            .filter_map(|r| {
                let i = r.path.find("/binary-")?;
                let a = r.path[i + 8..].split('/').next()?.to_string();
                Some(a)
            })
            .collect();
        v.sort();
        v.dedup();
        v
    };
    for (opts, want) in [
        ("arch=amd64,arm64 arch-=arm64", vec!["amd64"]),
        ("arch=amd64 arch+=arm64", vec!["amd64", "arm64"]),
        ("arch-=amd64 arch=amd64,arm64", vec!["arm64"]),
    ] {
        let src = [line(&repo, &srv.url(), opts, "main")];
        srv.clear_log();
        apt_updated(&src, &["amd64", "arm64"]);
        assert_eq!(arch_requests(&srv), want, "apt with [{opts}]");
        srv.clear_log();
        versions(&src[0], "hello").success();
        assert_eq!(arch_requests(&srv), want, "pinlock with [{opts}]");
    }
}

/// Lines apt accepts but whose meaning depends on the machine apt runs on, or that say
/// nothing: pinlock, which locks for no machine in particular, refuses them with a hint.
#[test]
fn lines_apt_reads_against_the_machine_are_refused() {
    if !require_apt_tools() {
        return;
    }
    let (_fx, repo) = two_component_repo();
    let srv = Server::serve(repo.path());
    let mut out = String::new();
    for (name, l) in [
        // apt: the machine's architectures plus arm64
        (
            "arch+= without arch=",
            line(&repo, &srv.url(), "arch+=arm64", "main"),
        ),
        // apt: the machine's architectures minus amd64
        (
            "arch-= without arch=",
            line(&repo, &srv.url(), "arch-=amd64", "main"),
        ),
        // apt: no implicit binary-all for this source
        (
            "arch-=all",
            line(&repo, &srv.url(), "arch=amd64 arch-=all", "main"),
        ),
        // apt: a comment, no source at all
        (
            "only a comment",
            format!("# {}", line(&repo, &srv.url(), "arch=amd64", "main")),
        ),
    ] {
        apt_updated(std::slice::from_ref(&l), &["amd64"]);
        let run = versions(&l, "hello");
        run.expect_code(2);
        out.push_str(&format!("## {name}\n{}\n", stable(&run, &srv, repo.path())));
    }
    insta::assert_snapshot!("refused_machine_dependent_lines", out);
}
