//! Hostile Packages indexes, served signed over loopback: a 1 MB field value, stanzas without
//! Package or Version, duplicate entries, `Filename` with `..` or an absolute path, CR/LF line
//! ends, a version that is not a Debian version. `pinlock versions` must end in a clear result
//! or error (exit 0 or 2, within 30 s), and create nothing outside its cache directory.

use std::path::Path;

use pinlock_tests::{
    copy_dir, deb_line, fixture, require_repo_tools, Pinlock, Project, RepoBuilder, Server,
};

/// Serves the docker-debian fixture with `extra` appended to amd64.Packages and runs
/// `pinlock versions --json docker-ce evil` from an empty working directory.
fn versions_with(extra: &str) -> (pinlock_tests::PinlockRun, tempfile::TempDir) {
    let fx = tempfile::tempdir().unwrap();
    copy_dir(&fixture("docker-debian"), fx.path());
    let p = fx.path().join("buster/stable/amd64.Packages");
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push('\n');
    text.push_str(extra);
    std::fs::write(&p, text).unwrap();
    let repo = RepoBuilder::new(fx.path()).build().unwrap();
    let srv = Server::serve(repo.path());
    let cwd = tempfile::tempdir().unwrap();
    let source = format!(
        "deb [arch=amd64 signed-by={}] {} buster stable",
        repo.key_asc.display(),
        srv.url()
    );
    let run = Pinlock::new().current_dir(cwd.path()).run(&[
        "-q",
        "versions",
        "--json",
        "--source",
        &source,
        "docker-ce",
        "evil",
    ]);
    assert!(run.code == 0 || run.code == 2, "crash: {run:?}");
    assert!(run.elapsed.as_secs() < 30, "took {:?}", run.elapsed);
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().flatten().collect();
    assert!(
        left.is_empty(),
        "created files in the working dir: {left:?}"
    );
    (run, cwd)
}

/// Either a clear error naming the index (exit 2), or docker-ce still read correctly.
fn assert_clear_result(run: &pinlock_tests::PinlockRun) {
    if run.code == 2 {
        assert!(
            run.stderr.contains("Packages"),
            "names the index: {}",
            run.stderr
        );
    } else {
        assert!(
            run.stdout.contains("5:24.0.2-1~debian.10~buster"),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn hostile_stanzas_do_not_break_reading() {
    if !require_repo_tools() {
        return;
    }
    let big = "x".repeat(1024 * 1024);
    let extra = format!(
        "Package: evil\nVersion: 1.0\nArchitecture: amd64\nDescription: {big}\nFilename: ../../../../tmp/pinlock-evil.deb\nSize: 1\nSHA256: {z}\n\n\
         Package: evil\nVersion: 1.0\nArchitecture: amd64\nFilename: /etc/pinlock-evil.deb\nSize: 1\nSHA256: {z}\n\n\
         Version: 2.0\nArchitecture: amd64\n\n\
         Package: noversion\nArchitecture: amd64\n\n\
         Package: evil\r\nVersion: 3.0\r\nArchitecture: amd64\r\n\r\n",
        z = "0".repeat(64)
    );
    let (run, _cwd) = versions_with(&extra);
    eprintln!("exit {}: {}", run.code, run.stderr.trim());
    assert_clear_result(&run);
    assert!(!Path::new("/tmp/pinlock-evil.deb").exists());
    assert!(!Path::new("/etc/pinlock-evil.deb").exists());
}

#[test]
fn invalid_debian_version_is_a_clear_result() {
    if !require_repo_tools() {
        return;
    }
    let (run, _cwd) = versions_with("Package: evil\nVersion: 1:2:a b!\nArchitecture: amd64\n\n");
    eprintln!("exit {}: {}", run.code, run.stderr.trim());
    assert_clear_result(&run);
}

/// `Filename` with `..` or an absolute path: `pinlock lock` records the value exactly as the
/// signed index gives it (it is the pool path apt would request from the repository) and never
/// uses it as a local path: nothing is created, read or written at either place.
#[test]
fn hostile_filenames_are_recorded_as_is_and_never_used_as_paths() {
    if !require_repo_tools() {
        return;
    }
    let outside = tempfile::tempdir().unwrap();
    let abs = outside.path().join("abs-evil.deb");
    let rel_target = outside.path().join("rel-evil.deb");
    // enough `..` to climb from any working or cache directory to `/`
    let rel = format!("{}{}", "../".repeat(40), rel_target.display());
    let rel = rel.replace("//", "/");
    let z = "0".repeat(64);
    let fx = tempfile::tempdir().unwrap();
    copy_dir(&fixture("docker-debian"), fx.path());
    let p = fx.path().join("buster/stable/amd64.Packages");
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str(&format!(
        "\nPackage: evil-rel\nVersion: 1.0\nArchitecture: amd64\nFilename: {rel}\nSize: 1\nSHA256: {z}\n\n\
         Package: evil-abs\nVersion: 1.0\nArchitecture: amd64\nFilename: {}\nSize: 1\nSHA256: {z}\n",
        abs.display()
    ));
    std::fs::write(&p, text).unwrap();
    let repo = RepoBuilder::new(fx.path()).build().unwrap();
    let srv = Server::serve(repo.path());
    let source = deb_line(&repo, &srv.url(), "amd64", "buster", "stable");
    let proj = Project::new(&[source], &[("evil-rel", "*"), ("evil-abs", "*")]);
    let run = proj.lock(&Pinlock::new().current_dir(proj.dir.path()), &[]);
    run.expect_code(0);
    let lock = proj.parsed();
    let pkgs = &lock.targets["buster/amd64"].packages;
    assert_eq!(pkgs["evil-rel"].filename, rel);
    assert_eq!(pkgs["evil-abs"].filename, abs.display().to_string());
    let left: Vec<_> = std::fs::read_dir(outside.path())
        .unwrap()
        .flatten()
        .collect();
    assert!(left.is_empty(), "pinlock wrote outside: {left:?}");
}
