//! Credentials for a private repository never leave the place the user put them: for a
//! `user:secret@` source URL and for an apt `auth.conf` entry, every command that reads the
//! repository (`lock`, `versions`, `outdated`, `update`, `update --commit`), as text and as
//! `--json`, at `-vv`, on success and on errors (wrong password, a refused signature), is
//! checked: the secret, the user name before a colon and the Basic-auth token appear in no
//! output, in no file pinlock wrote (lockfile, playbooks, PR bodies, the cache) and in no git
//! object of the proposal branch. (`reader_auth.rs` checks that both ways authenticate.)

use std::path::{Path, PathBuf};

use pinlock_tests::{
    fixture, git_bytes as git, git_init_commit, require_tool, BuiltRepo, Pinlock, PinlockRun,
    RepoBuilder, Server,
};

const USER: &str = "fleet-q7user";
const SECRET: &str = "Zq7-s3cret-pa55word";
const WRONG: &str = "Wr0ng-pa55word-x";

fn base64(data: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// What must never show up.
fn needles() -> Vec<String> {
    vec![
        SECRET.to_string(),
        WRONG.to_string(),
        format!("{USER}:"),
        base64(format!("{USER}:{SECRET}").as_bytes()),
        base64(format!("{USER}:{WRONG}").as_bytes()),
    ]
}

fn find(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Every file below `dir`, except the names in `skip` (the user's own files).
fn files(dir: &Path, skip: &[&str], out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if skip.contains(&name.as_str()) {
            continue;
        }
        if p.is_dir() {
            files(&p, skip, out);
        } else {
            out.push(p);
        }
    }
}

/// How the credentials are given.
enum Creds {
    /// `http://user:secret@host/...` in the manifest's source line.
    InUrl,
    /// An auth.conf file passed with `--auth-conf`.
    AuthConf,
}

struct Project {
    dir: tempfile::TempDir,
    pl: Pinlock,
    srv: Server,
    old: BuiltRepo,
    new: BuiltRepo,
    creds: Creds,
    runs: Vec<PinlockRun>,
}

impl Project {
    fn new(creds: Creds) -> Project {
        let old = RepoBuilder::new(fixture("docker-debian-2023-03"))
            .build()
            .unwrap();
        let new = RepoBuilder::new(fixture("docker-debian")).build().unwrap();
        let srv = Server::serve(old.path());
        srv.require_basic_auth(Some((USER, SECRET)));
        let dir = tempfile::tempdir().unwrap();
        let pl = Pinlock::new().current_dir(dir.path());
        let p = Project {
            dir,
            pl,
            srv,
            old,
            new,
            creds,
            runs: Vec::new(),
        };
        p.configure(SECRET);
        std::fs::write(
            p.path().join("site.yml"),
            "- hosts: all\n  tasks:\n    - apt:\n        name: docker-ce\n        state: latest\n",
        )
        .unwrap();
        std::fs::write(
            p.path().join(".gitignore"),
            "pinlock.yml\nauth.conf\n.cache/\n",
        )
        .unwrap();
        p
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes the manifest (and auth.conf) with `password`.
    fn configure(&self, password: &str) {
        let url = match self.creds {
            Creds::InUrl => {
                self.srv
                    .url()
                    .replacen("http://", &format!("http://{USER}:{password}@"), 1)
            }
            Creds::AuthConf => {
                std::fs::write(
                    self.path().join("auth.conf"),
                    format!(
                        "machine {}/ login {USER} password {password}\n",
                        self.srv.url()
                    ),
                )
                .unwrap();
                self.srv.url()
            }
        };
        std::fs::write(
            self.path().join("pinlock.yml"),
            format!(
                "sources:\n  - \"deb [arch=amd64 signed-by={}] {url} buster stable\"\npackages:\n  docker-ce: \"*\"\n",
                self.old.key_asc.display()
            ),
        )
        .unwrap();
    }

    /// Runs `pinlock -vv [--auth-conf auth.conf] ARGS`, expects `code`, keeps the run.
    fn run(&mut self, args: &[&str], code: i32) -> &PinlockRun {
        let mut all: Vec<&str> = vec!["-vv", "--retries", "0"];
        if matches!(self.creds, Creds::AuthConf) {
            all.extend(["--auth-conf", "auth.conf"]);
        }
        all.extend(args);
        let run = self.pl.run(&all);
        run.expect_code(code);
        self.runs.push(run);
        self.runs.last().unwrap()
    }

    /// Panics when a needle is in any output, any file pinlock may have written or any git
    /// object.
    fn assert_no_leak(&self) {
        let needles = needles();
        for r in &self.runs {
            for n in &needles {
                assert!(
                    !r.stdout.contains(n.as_str()) && !r.stderr.contains(n.as_str()),
                    "{n:?} printed by {:?}:\n{}\n{}",
                    r.args,
                    r.stdout,
                    r.stderr
                );
            }
        }
        let mut written = Vec::new();
        files(
            self.path(),
            &["pinlock.yml", "auth.conf", ".git"],
            &mut written,
        );
        files(self.pl.home(), &[], &mut written);
        assert!(
            written.iter().any(|p| p.ends_with("pinlock.lock"))
                && written.iter().any(|p| p.ends_with("pr.md"))
                && written.len() > 5,
            "less was written than expected: {written:?}"
        );
        for p in &written {
            let data = std::fs::read(p).unwrap();
            for n in &needles {
                assert!(!find(&data, n), "{n:?} written to {}", p.display());
            }
        }
        // git objects are compressed: read them all back through git
        let objects = git(self.path(), &["cat-file", "--batch-all-objects", "--batch"]);
        assert!(
            find(&objects, "pinlock.lock"),
            "no tree naming the lockfile"
        );
        for n in &needles {
            assert!(!find(&objects, n), "{n:?} in a git object");
        }
    }
}

fn exercise(creds: Creds) {
    let mut p = Project::new(creds);
    // against the March snapshot
    p.run(&["lock"], 0);
    p.run(&["lock", "--json"], 0);
    p.run(&["pin", "--offline"], 0);
    let v = p.run(&["versions", "--json", "docker-ce"], 0);
    assert!(v.stdout.contains("23.0.1"), "{}", v.stdout);
    git_init_commit(p.path());

    // the June snapshot: something to propose
    p.srv.set_root(p.new.path());
    let o = p.run(&["outdated"], 0);
    assert!(o.stdout.contains("24.0.2"), "{}", o.stdout);
    p.run(&["outdated", "--json"], 0);
    p.run(
        &["update", "--commit", "--json", "--pr-body", "pr-commit.md"],
        10,
    );
    p.run(&["update", "--json", "--pr-body", "pr.md"], 10);
    let lock = std::fs::read_to_string(p.path().join("pinlock.lock")).unwrap();
    assert!(lock.contains("24.0.2"), "{lock}");
    assert!(lock.contains(&p.srv.url()), "the URL itself is recorded");

    // errors: a wrong password for every command, then a refused signature
    p.configure(WRONG);
    for args in [
        &["lock"][..],
        &["versions", "docker-ce"],
        &["outdated"],
        &["update"],
    ] {
        let r = p.run(args, 2);
        assert!(r.stderr.contains("401"), "{}", r.stderr);
    }
    p.configure(SECRET);
    p.new.tamper_inrelease("buster").unwrap();
    let r = p.run(&["lock"], 2);
    assert!(r.stderr.contains("signature"), "{}", r.stderr);
    p.run(&["update", "--json"], 2);
    p.assert_no_leak();
}

#[test]
fn url_credentials_never_leak() {
    if !(require_tool("gpg") && require_tool("gpgconf") && require_tool("git")) {
        return;
    }
    exercise(Creds::InUrl);
}

#[test]
fn auth_conf_credentials_never_leak() {
    if !(require_tool("gpg") && require_tool("gpgconf") && require_tool("git")) {
        return;
    }
    exercise(Creds::AuthConf);
}
