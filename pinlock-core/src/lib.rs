//! pinlock-core: read apt repositories the way apt does, resolve pins into a lockfile,
//! and rewrite Ansible apt tasks to those pins.
//!
//! This is the library behind the `pinlock` command. It never prints (progress comes through a
//! callback, [`ReadOptions::progress`]), keeps no global state, and returns typed errors that
//! carry their context (URL, file, line, package); messages that have a fix end with a
//! `hint:` line.
//!
//! # A tour
//!
//! ## Read a source, resolve, write a lockfile
//!
//! A [`Manifest`] (`pinlock.yml`) names the apt sources and the packages with their
//! constraints. [`read_sources_blocking`] reads every source as apt does — the InRelease is
//! verified against the source's `signed-by` key, every index is checked against the signed
//! digests — and [`lock()`] resolves the manifest against what was read into a [`Lockfile`]:
//! exact versions with their SHA256 for every `release/arch` target, the dependency closure
//! included and what no source provides listed under `unresolved`.
//!
//! The example reads the bundled example repository (a signed copy of Docker's buster
//! repository as of March 2023) from a local directory, so it needs no network:
//!
//! ```
//! # #[cfg(feature = "online")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use pinlock_core::{lock, read_sources_blocking, LockOptions, Lockfile, Manifest, ReadOptions};
//!
//! let manifest = Manifest::load(
//!     concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/docker-buster/pinlock.yml").as_ref(),
//! )?;
//! let opts = ReadOptions {
//!     cache: None,                      // no cache: read the repository directly
//!     base_dir: manifest.dir.clone(),   // relative paths (repo/, keys/) are the manifest's
//!     ..ReadOptions::default()
//! };
//! let suites = read_sources_blocking(&manifest.specs(), &opts)?;
//! let locked: Lockfile = lock(&manifest, &suites, None, LockOptions::default())?;
//!
//! let amd64 = &locked.targets["buster/amd64"];
//! // `docker-ce: "^20.10"` keeps Docker off 23.0.1, the release that took the swarm down.
//! assert_eq!(amd64.packages["docker-ce"].version, "5:20.10.23~3-0~debian-buster");
//! // AppArmor is recommended by docker-ce but in no configured source: listed, not dropped.
//! assert!(amd64.unresolved.contains_key("apparmor"));
//!
//! // Write it (atomically, only when the text changes).
//! let dir = std::env::temp_dir().join(format!("pinlock-doctest-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("pinlock.lock");
//! assert!(locked.write(&path)?);        // written
//! assert!(!locked.write(&path)?);       // identical: left alone
//! assert_eq!(Lockfile::load(&path)?.as_ref(), Some(&locked));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "online"))]
//! # fn main() {}
//! ```
//!
//! [`lock_with_memo`] reads and locks in one call, and with a [`ReadOptions::cache`] it remembers
//! the result: locking the same inputs again (manifest, previous lockfile, unchanged InRelease
//! files, build identity; see [`LockInputs`]) costs one conditional request per suite and reads
//! no index. This is the warm path of `pinlock lock`.
//!
//! [`read_sources`] is the async form of the same (for use inside a tokio runtime);
//! [`read_sources_blocking`] runs its own runtime and works inside a tokio runtime too (it then
//! runs on a separate thread).
//!
//! ## Version ordering
//!
//! [`Version`] orders Debian versions exactly as `dpkg --compare-versions` does (epoch first,
//! `~` sorts before everything, even the end of the string); [`version::compare`] compares
//! two strings without allocating:
//!
//! ```
//! use std::cmp::Ordering;
//! use pinlock_core::Version;
//!
//! let mut v: Vec<Version> = ["5:20.10.23~3-0~debian-buster", "5:23.0.1-1~debian.10~buster", "1:99"]
//!     .iter()
//!     .map(|s| Version::parse(s))
//!     .collect::<Result<_, _>>()?;
//! v.sort();
//! assert_eq!(v.last().unwrap().to_string(), "5:23.0.1-1~debian.10~buster");
//! assert_eq!(pinlock_core::version::compare("1.0~rc1", "1.0")?, Ordering::Less);
//! assert!(Version::parse("1.0 beta").is_err());
//! # Ok::<(), pinlock_core::version::VersionError>(())
//! ```
//!
//! ## Sources
//!
//! [`source::parse_one_line`] reads apt's one-line form (as in sources.list or Ansible's
//! `apt_repository`) into a [`SourceSpec`]; [`source::parse_deb822`] reads `.sources` files:
//!
//! ```
//! let spec = pinlock_core::source::parse_one_line(
//!     "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://example.org/debian buster stable",
//! )?
//! .expect("a deb line");
//! assert_eq!(spec.uri, "https://example.org/debian");
//! assert_eq!(spec.suites, ["buster"]);
//! assert_eq!(spec.components, ["stable"]);
//! assert_eq!(spec.architectures, ["amd64"]);
//! # Ok::<(), pinlock_core::source::SourceError>(())
//! ```
//!
//! ## Where to go next
//!
//! - [`ansible`]: rewrite apt tasks to the locked versions and add hold tasks.
//! - [`update`]: propose upgrades; [`query`]: every available version, what is outdated.
//! - [`constraint`]: the manifest's version constraints; [`relation`]: Debian relations.
//! - The crate's `examples/` (`cargo run -p pinlock-core --example NAME`; `scripts/test` runs
//!   each): `embed.rs` (read, resolve, write a lockfile), `versions.rs` (version ordering and
//!   source parsing only) and `drift.rs` (compare a host's `dpkg-query -W` output with the
//!   lockfile for its target).

//!
//! # The public API
//!
//! These modules are the whole public surface (everything else is private to the crate); the
//! types above are also re-exported at the root. It is recorded in `public-api.txt` and checked
//! by `tests/public_api.rs`, so a change to it is deliberate.
//!
//! Always available (also with `default-features = false`):
//!
//! | Module | What |
//! |---|---|
//! | [`version`] | dpkg-exact Debian version parsing and ordering |
//! | [`relation`] | `Depends`/`Provides`/… relations, architecture restrictions |
//! | [`constraint`] | the manifest's version constraints |
//! | [`deb822`] | the deb822 scanner (Release, Packages, `.sources`) |
//! | [`packages`] | Packages indexes |
//! | [`release`] | Release files |
//! | [`source`] | apt sources: one-line and deb822 forms |
//! | [`manifest`] | `pinlock.yml` |
//! | [`lockfile`] | `pinlock.lock` |
//! | [`resolve`] | resolution of a target's closure over parsed indexes |
//! | [`ansible`] | rewriting Ansible apt tasks to the pins, host enforcement |
//! | [`init`] | a starter manifest from existing playbooks |
//! | [`write_atomic`] | the atomic, write-only-when-changed file write the lockfile uses |
//!
//! With the default feature `online` (HTTP client, TLS, tokio, OpenPGP, decompressors):
//!
//! | Module | What |
//! |---|---|
//! | [`repository`] | reading sources as apt does: [`read_sources`], [`read_sources_blocking`], their [`ReadOptions`] |
//! | [`lock`](mod@lock) | a manifest and what was read to a lockfile: [`lock()`], [`lock_with_memo`] |
//! | [`query`] | every available version of a package |
//! | [`update`] | `outdated` and upgrade proposals |
//! | [`signature`] | OpenPGP verification of InRelease / Release.gpg |
//! | [`auth`] | credentials in apt's `auth.conf` format |
//! | [`cache`] | the on-disk cache location |

// Errors carry their context (URL, file, line, package) by value; they are returned once per run,
// so their size does not matter and boxing every variant would only add noise.
#![allow(clippy::result_large_err)]
#![deny(missing_docs)]
// The tour links to the `online` parts, which a lean build's docs do not have.
#![cfg_attr(not(feature = "online"), allow(rustdoc::broken_intra_doc_links))]

pub mod ansible;
#[cfg(feature = "online")]
pub mod auth;
#[cfg(feature = "online")]
pub mod cache;
#[cfg(feature = "online")]
mod compress;
pub mod constraint;
pub mod deb822;
#[cfg(feature = "online")]
mod fetch;
mod fsutil;
#[cfg(feature = "online")]
mod index_plan;
pub mod init;
#[cfg(feature = "online")]
pub mod lock;
pub mod lockfile;
pub mod manifest;
pub mod packages;
#[cfg(feature = "online")]
pub mod query;
pub mod relation;
pub mod release;
#[cfg(feature = "online")]
pub mod repository;
pub mod resolve;
#[cfg(feature = "online")]
pub mod signature;
pub mod source;
#[cfg(feature = "online")]
pub mod update;
pub mod version;
mod yaml_guard;

// The crate README's examples are compiled as doctests.
#[cfg(all(doctest, feature = "online"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

// The main types, flat.
pub use ansible::{pin_paths, PinError, PinOptions, PinReport, Pins};
pub use constraint::Constraint;
pub use fsutil::write_atomic;
#[cfg(feature = "online")]
pub use lock::{lock, lock_with_memo, LockError, LockInputs, LockOptions};
pub use lockfile::{LockedPackage, LockedTarget, Lockfile, LockfileError};
pub use manifest::{Manifest, ManifestError};
#[cfg(feature = "online")]
pub use repository::{
    read_sources, read_sources_blocking, Progress, ReadOptions, RepoError, SuiteSnapshot,
};
pub use source::{SourceError, SourceSpec};
pub use version::{Version, VersionError};
