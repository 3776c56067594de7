//! Real `.deb` files and a signed apt repository of them, served over loopback HTTP.
//!
//! * [`DebSpec`] describes a package (name, version, architecture, any control fields such as
//!   `Depends`/`Recommends`); [`Deb::build`] makes it with `dpkg-deb -b`: a `DEBIAN/control` and
//!   one small file, `/usr/share/doc/<package>/pinlock-test`, as payload; no maintainer scripts.
//!   Builds are reproducible (`SOURCE_DATE_EPOCH`, root-owned files).
//! * [`DebRepo`] publishes such packages as a signed repository ([`RepoBuilder`] over a
//!   generated fixture, signed with [`TestKey::Repo`]) with the `.deb` files at their
//!   `Filename:` paths (`dists/<suite>/pool/<component>/<arch>/<file>.deb`, Docker's layout),
//!   served by a [`Server`] on 127.0.0.1. [`DebRepo::publish`] adds (or replaces) packages and
//!   re-signs a new snapshot at the same URL with a later `Date`, so a later `apt-get update`
//!   sees it.
//! * [`DebRepo::docker_like`] is a small copy of Docker's bookworm repository: `docker-ce`,
//!   `docker-ce-cli`, `docker-ce-rootless-extras` at `5:20.10.23~3-0~debian-bookworm` and
//!   `5:23.0.1-1~debian.12~bookworm`, `containerd.io` at `1.6.18-1`; see [`docker_like_specs`]
//!   and [`containerd_io`] (for publishing `1.6.20-1` later).
//!
//! ```no_run
//! use pinlock_tests::{DebRepo, DebSpec};
//!
//! let mut repo = DebRepo::docker_like().unwrap();
//! println!("{} serves {} packages", repo.url(), repo.debs().len());
//! repo.publish(&[pinlock_tests::containerd_io("1.6.20-1")]).unwrap();
//! let mine = DebRepo::new("mine", "bookworm", "main", &[DebSpec::new("hello-pin", "1.0-1")
//!     .depends("libc6")
//!     .recommends("apparmor")])
//! .unwrap();
//! # drop(mine);
//! ```
//!
//! Tools needed: `dpkg-deb`, `dpkg` (for the machine's architecture), `gpg`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::error::{HarnessError, Result};
use crate::repo::{BuiltRepo, HashKind, RepoBuilder, TestKey, DEFAULT_DATE};
use crate::server::Server;

/// The maintainer written into every test package unless a spec sets its own.
pub const TEST_MAINTAINER: &str = "pinlock tests <tests@pinlock.invalid>";

/// The machine's dpkg architecture (`dpkg --print-architecture`, e.g. `amd64`), computed once.
/// Panics if dpkg cannot be run (every test host is Debian-based).
pub fn machine_arch() -> &'static str {
    static ARCH: OnceLock<String> = OnceLock::new();
    ARCH.get_or_init(|| {
        let out = Command::new("dpkg")
            .arg("--print-architecture")
            .output()
            .expect("run dpkg --print-architecture");
        assert!(out.status.success(), "dpkg --print-architecture failed");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    })
}

/// A package to build: its name, version, architecture and control fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebSpec {
    /// `Package:`.
    pub package: String,
    /// `Version:` (with epoch if any, e.g. `5:23.0.1-1~debian.12~bookworm`).
    pub version: String,
    /// `Architecture:`; `None` means the machine's ([`machine_arch`]).
    pub architecture: Option<String>,
    /// Further control fields in order (`Depends`, `Recommends`, `Conflicts`, ...); `Maintainer`
    /// and `Description` are added when absent.
    pub fields: Vec<(String, String)>,
}

impl DebSpec {
    /// A package for the machine's architecture with no relationships.
    pub fn new(package: impl Into<String>, version: impl Into<String>) -> Self {
        DebSpec {
            package: package.into(),
            version: version.into(),
            architecture: None,
            fields: Vec::new(),
        }
    }

    /// Sets `Architecture:` (e.g. `all`).
    pub fn arch(mut self, arch: impl Into<String>) -> Self {
        self.architecture = Some(arch.into());
        self
    }

    /// Sets (or replaces) one control field.
    pub fn field(mut self, name: &str, value: impl Into<String>) -> Self {
        self.fields.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.fields.push((name.to_string(), value.into()));
        self
    }

    /// `Depends:`.
    pub fn depends(self, v: impl Into<String>) -> Self {
        self.field("Depends", v)
    }

    /// `Recommends:`.
    pub fn recommends(self, v: impl Into<String>) -> Self {
        self.field("Recommends", v)
    }

    /// `Suggests:`.
    pub fn suggests(self, v: impl Into<String>) -> Self {
        self.field("Suggests", v)
    }

    /// `Conflicts:`.
    pub fn conflicts(self, v: impl Into<String>) -> Self {
        self.field("Conflicts", v)
    }

    /// `Breaks:`.
    pub fn breaks(self, v: impl Into<String>) -> Self {
        self.field("Breaks", v)
    }

    /// `Replaces:`.
    pub fn replaces(self, v: impl Into<String>) -> Self {
        self.field("Replaces", v)
    }

    /// `Provides:`.
    pub fn provides(self, v: impl Into<String>) -> Self {
        self.field("Provides", v)
    }

    /// The architecture the package will have.
    pub fn architecture(&self) -> &str {
        self.architecture
            .as_deref()
            .unwrap_or_else(|| machine_arch())
    }

    /// `<package>_<version without epoch>_<arch>.deb`, the pool file name.
    pub fn file_name(&self) -> String {
        let v = self
            .version
            .split_once(':')
            .map_or(self.version.as_str(), |(_, v)| v);
        format!("{}_{v}_{}.deb", self.package, self.architecture())
    }

    /// The `DEBIAN/control` text.
    pub fn control(&self) -> String {
        let mut t = format!(
            "Package: {}\nVersion: {}\nArchitecture: {}\n",
            self.package,
            self.version,
            self.architecture()
        );
        let has = |k: &str| self.fields.iter().any(|(n, _)| n.eq_ignore_ascii_case(k));
        if !has("Maintainer") {
            t.push_str(&format!("Maintainer: {TEST_MAINTAINER}\n"));
        }
        for (k, v) in &self.fields {
            if !k.eq_ignore_ascii_case("Description") {
                t.push_str(&format!("{k}: {v}\n"));
            }
        }
        let desc = self
            .fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Description"))
            .map_or_else(
                || format!("{} (pinlock test package)", self.package),
                |(_, v)| v.clone(),
            );
        t.push_str(&format!("Description: {desc}\n"));
        t
    }
}

/// A built `.deb` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deb {
    /// What it was built from.
    pub spec: DebSpec,
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Hex MD5, SHA1 and SHA256 of the file, for the Packages stanza.
    pub md5: String,
    /// Hex SHA1.
    pub sha1: String,
    /// Hex SHA256.
    pub sha256: String,
}

impl Deb {
    /// Builds `spec` with `dpkg-deb -b` into `out_dir/<file_name>`.
    pub fn build(spec: &DebSpec, out_dir: &Path) -> Result<Deb> {
        let stage = tempfile::Builder::new()
            .prefix("plk-deb.")
            .tempdir()
            .map_err(|e| HarnessError::io("create temp dir in", std::env::temp_dir(), e))?;
        let root = stage.path();
        let doc = root.join("usr/share/doc").join(&spec.package);
        mkdir(&root.join("DEBIAN"))?;
        mkdir(&doc)?;
        write(&root.join("DEBIAN/control"), spec.control().as_bytes())?;
        write(
            &doc.join("pinlock-test"),
            format!("{} {}\n", spec.package, spec.version).as_bytes(),
        )?;
        // dpkg-deb wants 0755 directories (tempfile makes 0700)
        chmod_dirs(root)?;
        mkdir(out_dir)?;
        let path = out_dir.join(spec.file_name());
        let out = Command::new("dpkg-deb")
            .args(["--root-owner-group", "-Zgzip", "-b"])
            .arg(root)
            .arg(&path)
            .env("SOURCE_DATE_EPOCH", DEFAULT_DATE.to_string())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| HarnessError::Tool {
                tool: "dpkg-deb".into(),
                detail: e.to_string(),
            })?;
        if !out.status.success() {
            return Err(HarnessError::Tool {
                tool: "dpkg-deb".into(),
                detail: format!(
                    "building {}: {}: {}",
                    spec.file_name(),
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            });
        }
        let data = fs::read(&path).map_err(|e| HarnessError::io("read", &path, e))?;
        Ok(Deb {
            spec: spec.clone(),
            size: data.len() as u64,
            md5: HashKind::Md5.hex(&data),
            sha1: HashKind::Sha1.hex(&data),
            sha256: HashKind::Sha256.hex(&data),
            path,
        })
    }

    /// Its Packages stanza (control fields, then `Filename`, `Size`, `MD5sum`, `SHA1`,
    /// `SHA256`, then `Description`) with this `Filename:` (relative to the repository root).
    pub fn packages_stanza(&self, filename: &str) -> String {
        let control = self.spec.control();
        let (head, desc) = control
            .split_once("Description:")
            .expect("control has a Description");
        format!(
            "{head}Filename: {filename}\nSize: {}\nMD5sum: {}\nSHA1: {}\nSHA256: {}\nDescription:{desc}",
            self.size, self.md5, self.sha1, self.sha256
        )
    }
}

/// Docker's `docker-ce`, `docker-ce-cli` and `docker-ce-rootless-extras` at one version, with
/// the relationship fields of the real bookworm packages (`testdata/repos/docker-debian`), minus
/// what would drag half a distribution into a test host: rootless-extras' `dbus-user-session`
/// (which needs systemd). `docker-ce` keeps its real `Depends` (bookworm has them all:
/// `iptables`, `libdevmapper1.02.1`, ... come from the host's Debian mirror) and its real
/// `Recommends`, including `apparmor`. Versions before 23 depend on `containerd.io (>= 1.4.1)`,
/// later ones on `containerd.io (>= 1.6.4)`, as Docker's packaging did.
pub fn docker_ce(version: &str) -> Vec<DebSpec> {
    let modern = !version.starts_with("5:20.") && !version.starts_with("5:19.");
    let containerd = if modern {
        "containerd.io (>= 1.6.4)"
    } else {
        "containerd.io (>= 1.4.1)"
    };
    let conflicts = "docker (<< 1.5~), docker-engine, docker-engine-cs, docker.io, lxc-docker, \
                     lxc-docker-virtual-package";
    let mut cli = DebSpec::new("docker-ce-cli", version)
        .field("Source", "docker-ce")
        .field("Section", "admin")
        .depends("libc6 (>= 2.34)")
        .conflicts(conflicts)
        .breaks("docker-ce (<< 5:0)")
        .replaces("docker-ce (<< 5:0)");
    if modern {
        // the plugins are not in this repository: an unresolvable Recommends, as when a
        // mirror carries only part of Docker's repository
        cli = cli.recommends("docker-buildx-plugin, docker-compose-plugin");
    }
    vec![
        DebSpec::new("docker-ce", version)
            .field("Section", "admin")
            .depends(format!(
                "{containerd}, docker-ce-cli, iptables, libseccomp2 (>= 2.3.0), libc6 (>= 2.34), \
                 libdevmapper1.02.1 (>= 2:1.02.97), libsystemd0"
            ))
            .recommends(
                "apparmor, ca-certificates, docker-ce-rootless-extras, git, libltdl7, pigz, \
                 procps, xz-utils",
            )
            .suggests("aufs-tools, cgroupfs-mount | cgroup-lite")
            .conflicts(conflicts)
            .replaces("docker-engine"),
        cli,
        DebSpec::new("docker-ce-rootless-extras", version)
            .field("Source", "docker-ce")
            .field("Section", "admin")
            .depends("libc6 (>= 2.34)")
            .recommends("slirp4netns (>= 0.4.0)")
            .field("Enhances", "docker-ce")
            .conflicts("rootlesskit")
            .breaks("rootlesskit")
            .replaces("rootlesskit"),
    ]
}

/// Docker's `containerd.io` at `version` (e.g. `1.6.18-1`), with the real bookworm fields.
pub fn containerd_io(version: &str) -> DebSpec {
    DebSpec::new("containerd.io", version)
        .field("Section", "devel")
        .depends("libc6 (>= 2.34), libseccomp2 (>= 2.5.0)")
        .conflicts("containerd, runc")
        .replaces("containerd, runc")
        .provides("containerd, runc")
}

/// What [`DebRepo::docker_like`] publishes first: [`docker_ce`] at `5:20.10.23~3-0~debian-bookworm`
/// and `5:23.0.1-1~debian.12~bookworm`, and [`containerd_io`] `1.6.18-1`.
pub fn docker_like_specs() -> Vec<DebSpec> {
    let mut v = docker_ce("5:20.10.23~3-0~debian-bookworm");
    v.extend(docker_ce("5:23.0.1-1~debian.12~bookworm"));
    v.push(containerd_io("1.6.18-1"));
    v
}

/// A signed repository of real `.deb` files served over loopback HTTP; see the module docs.
pub struct DebRepo {
    name: String,
    suite: String,
    component: String,
    debs_dir: tempfile::TempDir,
    debs: Vec<Deb>,
    generation: i64,
    built: BuiltRepo,
    server: Server,
}

impl std::fmt::Debug for DebRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DebRepo")
            .field("name", &self.name)
            .field("url", &self.server.url())
            .field("suite", &self.suite)
            .field("component", &self.component)
            .field("debs", &self.debs.len())
            .finish()
    }
}

impl DebRepo {
    /// Builds `specs`, publishes them as `<suite>/<component>` for the machine's architecture
    /// (with `Architecture: all` packages in its index too) and serves the repository.
    /// `name` names the keyring and sources files a [`crate::Host`] writes for it.
    pub fn new(name: &str, suite: &str, component: &str, specs: &[DebSpec]) -> Result<DebRepo> {
        let debs_dir = tempfile::Builder::new()
            .prefix("plk-debs.")
            .tempdir()
            .map_err(|e| HarnessError::io("create temp dir in", std::env::temp_dir(), e))?;
        let debs = specs
            .iter()
            .map(|s| Deb::build(s, debs_dir.path()))
            .collect::<Result<Vec<_>>>()?;
        let built = build_snapshot(suite, component, &debs, 0)?;
        let server = Server::serve(built.path());
        Ok(DebRepo {
            name: name.to_string(),
            suite: suite.to_string(),
            component: component.to_string(),
            debs_dir,
            debs,
            generation: 0,
            built,
            server,
        })
    }

    /// Docker's repository in small: `docker` / `bookworm` / `stable` with [`docker_like_specs`].
    pub fn docker_like() -> Result<DebRepo> {
        DebRepo::new("docker", "bookworm", "stable", &docker_like_specs())
    }

    /// Builds `specs` and publishes a new snapshot at the same URL: every package published
    /// before plus these (one with the same name, version and architecture as an earlier one
    /// replaces it, as an in-place re-upload would). The new Release is re-signed with a
    /// `Date` one day after the previous one. Returns the new `.deb`s.
    pub fn publish(&mut self, specs: &[DebSpec]) -> Result<Vec<Deb>> {
        let new = specs
            .iter()
            .map(|s| Deb::build(s, self.debs_dir.path()))
            .collect::<Result<Vec<_>>>()?;
        for d in &new {
            self.debs.retain(|o| o.path != d.path);
            self.debs.push(d.clone());
        }
        let built = build_snapshot(
            &self.suite,
            &self.component,
            &self.debs,
            self.generation + 1,
        )?;
        self.server.set_root(built.path());
        self.generation += 1;
        // the old snapshot's directory goes now; the server already serves the new one
        self.built = built;
        Ok(new)
    }

    /// The base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The name given at creation (keyring and sources file stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The suite (e.g. `bookworm`).
    pub fn suite(&self) -> &str {
        &self.suite
    }

    /// The component (e.g. `stable`).
    pub fn component(&self) -> &str {
        &self.component
    }

    /// The armored public key the repository is signed with.
    pub fn key_asc(&self) -> PathBuf {
        TestKey::Repo.public_asc()
    }

    /// Every package currently published.
    pub fn debs(&self) -> &[Deb] {
        &self.debs
    }

    /// The current snapshot (e.g. to tamper with it).
    pub fn built(&self) -> &BuiltRepo {
        &self.built
    }

    /// The server (request log, fault rules).
    pub fn server(&self) -> &Server {
        &self.server
    }
}

/// Writes a fixture for `debs`, builds and signs it with `RepoBuilder` (Date = the default date
/// plus `generation` days) and links the `.deb` files in at their `Filename:` paths.
fn build_snapshot(
    suite: &str,
    component: &str,
    debs: &[Deb],
    generation: i64,
) -> Result<BuiltRepo> {
    let fixture = tempfile::Builder::new()
        .prefix("plk-debfix.")
        .tempdir()
        .map_err(|e| HarnessError::io("create temp dir in", std::env::temp_dir(), e))?;
    let arch = machine_arch();
    let sdir = fixture.path().join(suite);
    mkdir(&sdir.join(component))?;
    write(
        &sdir.join("Release.in"),
        format!("Origin: pinlock-tests\nLabel: pinlock-tests\nSuite: {suite}\nCodename: {suite}\n")
            .as_bytes(),
    )?;
    let mut sorted: Vec<&Deb> = debs.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.spec.package, &a.spec.version).cmp(&(&b.spec.package, &b.spec.version))
    });
    let mut packages = String::new();
    let mut files = Vec::new();
    for d in sorted {
        let a = d.spec.architecture();
        if a != arch && a != "all" {
            continue;
        }
        let filename = format!("dists/{suite}/pool/{component}/{a}/{}", d.spec.file_name());
        if !packages.is_empty() {
            packages.push('\n');
        }
        packages.push_str(&d.packages_stanza(&filename));
        files.push((filename, d.path.clone()));
    }
    write(
        &sdir.join(component).join(format!("{arch}.Packages")),
        packages.as_bytes(),
    )?;
    let built = RepoBuilder::new(fixture.path())
        .key(TestKey::Repo)
        .date(DEFAULT_DATE + generation * 86_400)
        .build()?;
    for (rel, src) in files {
        let dst = built.path().join(&rel);
        mkdir(dst.parent().expect("pool path has a parent"))?;
        if fs::hard_link(&src, &dst).is_err() {
            fs::copy(&src, &dst).map_err(|e| HarnessError::io("copy", &src, e))?;
        }
    }
    Ok(built)
}

fn mkdir(p: &Path) -> Result<()> {
    fs::create_dir_all(p).map_err(|e| HarnessError::io("create directory", p, e))
}

fn write(p: &Path, data: &[u8]) -> Result<()> {
    fs::write(p, data).map_err(|e| HarnessError::io("write", p, e))
}

fn chmod_dirs(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
        .map_err(|e| HarnessError::io("chmod", dir, e))?;
    for e in fs::read_dir(dir).map_err(|e| HarnessError::io("read directory", dir, e))? {
        let p = e
            .map_err(|e| HarnessError::io("read directory", dir, e))?
            .path();
        if p.is_dir() {
            chmod_dirs(&p)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_drops_the_epoch() {
        let s = DebSpec::new("docker-ce", "5:23.0.1-1~debian.12~bookworm").arch("amd64");
        assert_eq!(
            s.file_name(),
            "docker-ce_23.0.1-1~debian.12~bookworm_amd64.deb"
        );
    }

    #[test]
    fn control_has_defaults_and_fields_in_order() {
        let s = DebSpec::new("a", "1")
            .arch("all")
            .depends("b")
            .recommends("c");
        assert_eq!(
            s.control(),
            format!(
                "Package: a\nVersion: 1\nArchitecture: all\nMaintainer: {TEST_MAINTAINER}\n\
                 Depends: b\nRecommends: c\nDescription: a (pinlock test package)\n"
            )
        );
    }
}
