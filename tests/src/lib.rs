//! End-to-end test harness for pinlock: real signed apt repositories built from fixtures, served
//! over real loopback HTTP, with the real apt as the oracle. Nothing here mocks the client.
//!
//! Five parts:
//!
//! * [`RepoBuilder`] turns a fixture directory (`testdata/repos/<name>/`, see [`fixture`]) into a
//!   signed repository in a temp dir: `dists/<suite>/{Release,InRelease,Release.gpg}` and
//!   `dists/<suite>/<component>/binary-<arch>/Packages{,.gz,.bz2,.xz}`. Options choose the served
//!   compressions, the hash sections, the signature files, Date/Valid-Until, by-hash copies, the
//!   signing key and Docker's quirks. The result, [`BuiltRepo`], gives sources lines
//!   ([`BuiltRepo::one_line_source`], [`BuiltRepo::deb822_source`]) and tamper helpers
//!   ([`BuiltRepo::tamper_inrelease`], [`BuiltRepo::flip_index_bytes`],
//!   [`BuiltRepo::replace_index`], [`BuiltRepo::truncate`], [`BuiltRepo::remove`], ...).
//!   Output is byte-identical for identical input; file mtimes are the Release `Date`.
//! * [`Server`] serves a directory on `127.0.0.1:<free port>` with a request log, conditional GET
//!   (ETag/Last-Modified → 304) and fault injection rules ([`Rule`], [`Fault`]): status codes for
//!   the next k requests, resets, truncation, lying Content-Length, stalls, redirects (also to
//!   `file:///etc/passwd`), redirect loops, extra bytes, Basic auth. [`Server::set_root`] swaps
//!   in another snapshot at the same URL.
//! * [`AptSandbox`] runs the real `apt-get update`/`apt-cache`/`apt-get install --simulate` in a
//!   private directory (never the system's apt state) against the sources you give; extra apt
//!   options, pins, auth.conf credentials and a dpkg status file can be set.
//! * [`Host`] (`host.rs`) is a fresh Debian 12 chroot with Ansible, copied from a base built
//!   once per machine by debootstrap, for tests that run pinned playbooks on a real system; and
//!   [`DebRepo`] (`debs.rs`) a signed repository of real `.deb` files built with `dpkg-deb`
//!   ([`DebSpec`], [`DebRepo::docker_like`]), served on loopback and republished in place with
//!   [`DebRepo::publish`]. Hosts need root; [`Host::bookworm_or_skip`] skips otherwise.
//! * [`require_tool`] / [`require_apt_tools`] skip a test with a printed reason when a tool is
//!   missing — or panic when `CI=true`, where a missing tool is a broken CI image, not a reason
//!   to skip.
//!
//! ```
//! use pinlock_tests::{fixture, require_apt_tools, AptSandbox, Compression::*, RepoBuilder, Server};
//!
//! if !require_apt_tools() {
//!     return;
//! }
//! let repo = RepoBuilder::new(fixture("docker-debian"))
//!     .compress(&[Plain, Gz, Bz2])
//!     .build()
//!     .unwrap();
//! let srv = Server::serve(repo.path());
//! let apt = AptSandbox::new(
//!     &[repo.one_line_source(&srv.url(), "buster", "stable")],
//!     &["amd64", "arm64"],
//! )
//! .unwrap();
//! apt.update().unwrap(); // Err(HarnessError::AptRejected { lines, .. }) when apt refuses
//! assert_eq!(apt.versions("docker-ce").unwrap()[0], "5:24.0.2-1~debian.10~buster");
//! assert_eq!(
//!     apt.candidate("containerd.io").unwrap().as_deref(),
//!     Some("1.6.21-1")
//! );
//! ```
//!
//! What apt refuses (see `tests/tests/harness_refusals.rs` and `harness_faults_apt.rs`, which
//! pinlock's own tests should mirror): an InRelease changed after signing (BADSIG — and no
//! fallback to Release.gpg), a key not in signed-by (NO_PUBKEY), a Release with only MD5/SHA1
//! ("weak security information"), an expired Valid-Until, a Date in the future ("not valid
//! yet"), an index whose hash or size differs from Release (every served variant must be broken:
//! apt falls back from one compression to the next), an unsigned repository, redirects from http
//! to file:, redirect loops, 401 without auth.conf credentials.
//!
//! Fixtures (`testdata/repos/`, described in its README): `docker-debian-2023-03` (buster,
//! bullseye; up to 23.0.1), `docker-debian` (buster, bullseye, bookworm; up to 24.0.2),
//! `docker-ubuntu` (jammy), `debian-main` (buster, bookworm, bookworm-security: the dependency
//! closure of the Docker packages). Keys: [`TestKey::Repo`] (trusted in tests) and
//! [`TestKey::Other`] (a key nobody trusts), committed under `testdata/keys/`.
//!
//! Tools needed: `gpg`/`gpgconf` (building signed repos), `apt-get`/`apt-cache`/`gpgv` (the
//! oracle); for [`DebRepo`] `dpkg-deb`; for [`Host`] root and `debootstrap`.
//! `scripts/install-test-deps` installs what is missing.

#![warn(missing_docs)]

mod apt;
mod date;
mod debs;
mod error;
mod git;
mod gpg;
mod host;
pub mod host_project;
mod keys;
pub mod live;
mod measure;
mod pinlock;
mod project;
mod repo;
mod server;

use std::path::PathBuf;

pub use apt::AptSandbox;
pub use date::{format_release, parse_rfc2822};
pub use debs::{
    containerd_io, docker_ce, docker_like_specs, machine_arch, Deb, DebRepo, DebSpec,
    TEST_MAINTAINER,
};
pub use error::{HarnessError, Result};
pub use git::{git, git_bytes, git_init_commit};
pub use host::{
    bookworm_base, bookworm_mirror, hosts_dir, mounts_under, Host, HostOutput, Installed,
    PROJECT_DIR,
};
pub use keys::KeyFactory;
pub use measure::{run_measured, Measured};
pub use pinlock::{commands, long_options, pinlock_bin, redact, Pinlock, PinlockRun};
pub use project::{copy_dir, deb_line, example_copy, example_dir, Project, BUSTER_LOCKFILE};
pub use repo::{
    BuiltRepo, Compression, HashKind, IndexInfo, RepoBuilder, SignMode, TestKey, DEFAULT_DATE,
};
pub use server::{Fault, PathMatch, RequestRecord, Rule, Server};

/// The workspace's `testdata/` directory (absolute; independent of the current directory).
pub fn testdata_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .join("testdata")
}

/// Absolute path of the fixture repository `testdata/repos/<name>`. Panics if it does not exist,
/// naming the directories that do.
pub fn fixture(name: &str) -> PathBuf {
    let repos = testdata_dir().join("repos");
    let p = repos.join(name);
    if !p.is_dir() {
        let mut have: Vec<String> = std::fs::read_dir(&repos)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter(|e| e.path().is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        have.sort();
        panic!(
            "no fixture repository {} (have: {})",
            p.display(),
            have.join(", ")
        );
    }
    p
}

/// Whether `tool` is an executable file in a directory on PATH.
pub fn tool_on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths).any(|d| {
                let p = d.join(tool);
                p.is_file()
                    && std::fs::metadata(&p)
                        .map(|m| {
                            use std::os::unix::fs::PermissionsExt;
                            m.permissions().mode() & 0o111 != 0
                        })
                        .unwrap_or(false)
            })
        })
        .unwrap_or(false)
}

/// Skips a test that this machine cannot run: prints `skipping: <reason>` to stderr — or
/// panics with the reason when the environment variable `CI` is `true` (CI must run every
/// test, so there it is a broken CI image, not a reason to skip).
pub fn skip_or_fail(reason: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{reason}\n(CI=true: a test that cannot run here is a failure, not a skip)");
    }
    eprintln!("skipping: {reason}");
}

/// Returns true when `tool` is found on PATH. When it is missing: panics if the environment
/// variable `CI` is `true` (CI must run every test), otherwise prints why the test is skipped
/// to stderr and returns false. Use as `if !require_tool("apt-get") { return; }`.
pub fn require_tool(tool: &str) -> bool {
    if tool_on_path(tool) {
        return true;
    }
    let hint = "run scripts/install-test-deps as root to install the test tools";
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("required tool `{tool}` is missing and CI=true\nhint: {hint}");
    }
    eprintln!("skipping: required tool `{tool}` is not on PATH ({hint})");
    false
}

/// [`require_tool`] for what building a signed test repository needs: gpg and gpgconf.
pub fn require_repo_tools() -> bool {
    require_tool("gpg") && require_tool("gpgconf")
}

/// [`require_tool`] for every tool a full end-to-end test needs: gpg, gpgconf, apt-get,
/// apt-cache, gpgv. Returns false (after printing) if any is missing outside CI.
pub fn require_apt_tools() -> bool {
    ["gpg", "gpgconf", "apt-get", "apt-cache", "gpgv"]
        .iter()
        .all(|t| require_tool(t))
}
