//! [`RepoBuilder`]: turn a fixture directory into a real, signed apt repository in a temp dir, and
//! [`BuiltRepo`]'s tamper helpers to break it on purpose afterwards.
//!
//! Fixture layout (`testdata/repos/<name>/`):
//! ```text
//! <suite>/<component>/<arch>.Packages   deb822 stanzas, copied byte for byte
//! <suite>/Release.in                    optional "Field: value" lines (Origin, Label, Suite, Codename,
//!                                       Version, Date, Valid-Until, NotAutomatic, Description, ...)
//! ```
//! Output layout (the directory to serve as the repository root):
//! ```text
//! dists/<suite>/Release, InRelease, Release.gpg
//! dists/<suite>/<component>/binary-<arch>/Packages{,.gz,.bz2,.xz}
//! dists/<suite>/<component>/binary-<arch>/Release            (with .per_arch_release(true))
//! dists/<suite>/<component>/binary-<arch>/by-hash/<Hash>/<hex> (with .by_hash(true))
//! ```
//! Output is byte-identical for identical input: gzip without name/mtime, fixed compression
//! levels, sorted hash lists and Ed25519 signatures made with gpg's clock frozen at the Release
//! `Date`. Every file's mtime is set to the Release `Date` (so the server's `Last-Modified` is
//! that date); files changed by the tamper helpers get the current time.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use md5::Digest as _;

use crate::date;
use crate::error::{HarnessError, Result};
use crate::gpg::GpgHome;

/// One served encoding of a Packages index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Compression {
    /// `Packages` (uncompressed).
    Plain,
    /// `Packages.gz` (deterministic: no file name, mtime 0, level 9).
    Gz,
    /// `Packages.bz2` (level 9).
    Bz2,
    /// `Packages.xz` (preset 6 with a dictionary no larger than the input, CRC64, single-threaded).
    Xz,
}

impl Compression {
    /// Every compression, in file-name order.
    pub const ALL: [Compression; 4] = [
        Compression::Plain,
        Compression::Gz,
        Compression::Bz2,
        Compression::Xz,
    ];
    /// What Docker's repository serves: `Packages`, `Packages.gz`, `Packages.bz2`.
    pub const DOCKER: [Compression; 3] = [Compression::Plain, Compression::Gz, Compression::Bz2];

    /// File-name suffix: `""`, `".gz"`, `".bz2"` or `".xz"`.
    pub fn suffix(self) -> &'static str {
        match self {
            Compression::Plain => "",
            Compression::Gz => ".gz",
            Compression::Bz2 => ".bz2",
            Compression::Xz => ".xz",
        }
    }

    /// Returns `data` encoded with this compression (deterministically).
    pub fn encode(self, data: &[u8]) -> Vec<u8> {
        match self {
            Compression::Plain => data.to_vec(),
            Compression::Gz => {
                let mut e = flate2::GzBuilder::new()
                    .mtime(0)
                    .write(Vec::new(), flate2::Compression::best());
                e.write_all(data).expect("gzip into memory");
                e.finish().expect("gzip into memory")
            }
            Compression::Bz2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
                e.write_all(data).expect("bzip2 into memory");
                e.finish().expect("bzip2 into memory")
            }
            Compression::Xz => {
                // preset 6 (what `xz` uses by default) with the dictionary cut down to the input
                // size: same output format, but no 8 MiB dictionary to set up for a 70 KiB index
                use liblzma::stream::{Check, Filters, LzmaOptions, Stream};
                let mut opts = LzmaOptions::new_preset(6).expect("xz preset 6");
                opts.dict_size((data.len() as u32).next_power_of_two().max(4096));
                let mut filters = Filters::new();
                filters.lzma2(&opts);
                let stream =
                    Stream::new_stream_encoder(&filters, Check::Crc64).expect("xz encoder");
                let mut e = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
                e.write_all(data).expect("xz into memory");
                e.finish().expect("xz into memory")
            }
        }
    }
}

/// A digest listed in Release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashKind {
    /// `MD5Sum:` section (apt alone does not trust it).
    Md5,
    /// `SHA1:` section (apt alone does not trust it).
    Sha1,
    /// `SHA256:` section.
    Sha256,
    /// `SHA512:` section.
    Sha512,
}

impl HashKind {
    /// All four, in the order Release lists them.
    pub const ALL: [HashKind; 4] = [
        HashKind::Md5,
        HashKind::Sha1,
        HashKind::Sha256,
        HashKind::Sha512,
    ];

    /// The Release section name, which is also the `by-hash/` directory name.
    pub fn section(self) -> &'static str {
        match self {
            HashKind::Md5 => "MD5Sum",
            HashKind::Sha1 => "SHA1",
            HashKind::Sha256 => "SHA256",
            HashKind::Sha512 => "SHA512",
        }
    }

    /// Returns the lowercase hex digest of `data`.
    pub fn hex(self, data: &[u8]) -> String {
        fn hexify(b: &[u8]) -> String {
            b.iter().map(|x| format!("{x:02x}")).collect()
        }
        match self {
            HashKind::Md5 => hexify(&md5::Md5::digest(data)),
            HashKind::Sha1 => hexify(&sha1::Sha1::digest(data)),
            HashKind::Sha256 => hexify(&sha2::Sha256::digest(data)),
            HashKind::Sha512 => hexify(&sha2::Sha512::digest(data)),
        }
    }
}

/// Which signature files to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignMode {
    /// `InRelease` (clearsigned) and `Release.gpg` (detached, armored). The default.
    Both,
    /// Only `InRelease`.
    InRelease,
    /// Only `Release.gpg`.
    Detached,
    /// Unsigned: only `Release`.
    None,
}

/// One of the committed throwaway keys in `testdata/keys/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestKey {
    /// `repo-signing`: the key tests hand to apt/pinlock as trusted.
    Repo,
    /// `repo-signing-other`: a second key, for "signed by a key nobody trusts" tests.
    Other,
}

impl TestKey {
    fn stem(self) -> &'static str {
        match self {
            TestKey::Repo => "repo-signing",
            TestKey::Other => "repo-signing-other",
        }
    }
    /// Absolute path of the armored secret key (`testdata/keys/<stem>.sec.asc`).
    pub fn secret_asc(self) -> PathBuf {
        crate::testdata_dir()
            .join("keys")
            .join(format!("{}.sec.asc", self.stem()))
    }
    /// Absolute path of the armored public key, usable as apt `signed-by=`.
    pub fn public_asc(self) -> PathBuf {
        crate::testdata_dir()
            .join("keys")
            .join(format!("{}.pub.asc", self.stem()))
    }
    /// Absolute path of the binary public key (OpenPGP packets), usable as apt `signed-by=`.
    pub fn public_gpg(self) -> PathBuf {
        crate::testdata_dir()
            .join("keys")
            .join(format!("{}.pub.gpg", self.stem()))
    }
}

/// Release date used when neither Release.in nor [`RepoBuilder::date`] gives one: 2023-01-01.
pub const DEFAULT_DATE: i64 = 1_672_531_200;

/// Builds a signed repository from a fixture directory. See the module docs for the layouts.
#[derive(Clone, Debug)]
pub struct RepoBuilder {
    fixture: PathBuf,
    compress: Vec<Compression>,
    hashes: Vec<HashKind>,
    sign: SignMode,
    date: Option<i64>,
    valid_until: Option<i64>,
    by_hash: bool,
    key: TestKey,
    per_arch_release: bool,
    bogus_release_entry: bool,
    key_file: Option<PathBuf>,
}

/// One Packages index of a built repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexInfo {
    /// Suite directory name under `dists/`.
    pub suite: String,
    /// Component, e.g. `stable`.
    pub component: String,
    /// Architecture, e.g. `amd64`.
    pub arch: String,
}

/// A repository written by [`RepoBuilder::build`]; the temp dir is removed on drop.
#[derive(Debug)]
pub struct BuiltRepo {
    /// The repository root (holds `dists/`); serve this.
    pub dir: tempfile::TempDir,
    /// Armored public key of the signing key (apt `signed-by=`).
    pub key_asc: PathBuf,
    /// Binary public key of the signing key.
    pub key_gpg: PathBuf,
    /// Fingerprint of the signing key (40 uppercase hex digits).
    pub fingerprint: String,
    /// Suite directory names, sorted.
    pub suites: Vec<String>,
    /// Every index written, sorted by suite, component, architecture.
    pub indexes: Vec<IndexInfo>,
    compress: Vec<Compression>,
    hashes: Vec<HashKind>,
    by_hash: bool,
    /// The armored secret key it was signed with and the signature files written.
    signed_with: (PathBuf, SignMode),
}

struct FixtureSuite {
    name: String,
    fields: Vec<(String, String)>,
    /// (component, arch, Packages file)
    indexes: Vec<(String, String, PathBuf)>,
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| HarnessError::io("read directory", dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

fn read_fixture(dir: &Path) -> Result<Vec<FixtureSuite>> {
    let mut suites = Vec::new();
    for sdir in read_dir_sorted(dir)? {
        if !sdir.is_dir() {
            continue;
        }
        let name = sdir.file_name().unwrap().to_string_lossy().into_owned();
        let mut fields = Vec::new();
        let rin = sdir.join("Release.in");
        if rin.exists() {
            let text = fs::read_to_string(&rin).map_err(|e| HarnessError::io("read", &rin, e))?;
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() || line.starts_with('#') {
                    continue;
                }
                let (k, v) = line.split_once(':').ok_or_else(|| HarnessError::Fixture {
                    path: rin.clone(),
                    reason: format!("line {}: expected \"Field: value\", got {line:?}", n + 1),
                })?;
                fields.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let mut indexes = Vec::new();
        for cdir in read_dir_sorted(&sdir)? {
            if !cdir.is_dir() {
                continue;
            }
            let comp = cdir.file_name().unwrap().to_string_lossy().into_owned();
            for f in read_dir_sorted(&cdir)? {
                let fname = f.file_name().unwrap().to_string_lossy().into_owned();
                if let Some(arch) = fname.strip_suffix(".Packages") {
                    indexes.push((comp.clone(), arch.to_string(), f));
                }
            }
        }
        if !indexes.is_empty() {
            suites.push(FixtureSuite {
                name,
                fields,
                indexes,
            });
        }
    }
    if suites.is_empty() {
        return Err(HarnessError::Fixture {
            path: dir.to_path_buf(),
            reason: "no <suite>/<component>/<arch>.Packages files".into(),
        });
    }
    Ok(suites)
}

fn write_file(path: &Path, data: &[u8]) -> Result<()> {
    if let Some(p) = path.parent() {
        fs::create_dir_all(p).map_err(|e| HarnessError::io("create directory", p, e))?;
    }
    fs::write(path, data).map_err(|e| HarnessError::io("write", path, e))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Release fields in apt-ftparchive's order; Release.in fields not listed here follow them.
const FIELD_ORDER: [&str; 13] = [
    "Origin",
    "Label",
    "Suite",
    "Version",
    "Codename",
    "Date",
    "Valid-Until",
    "NotAutomatic",
    "ButAutomaticUpgrades",
    "Acquire-By-Hash",
    "Architectures",
    "Components",
    "Description",
];

impl RepoBuilder {
    /// Starts a builder for the fixture directory `fixture` (see [`crate::fixture`]), with the
    /// defaults: Docker's compressions (plain+gz+bz2), all four hashes, both signatures, the
    /// [`TestKey::Repo`] key, no by-hash, no per-arch Release, Date/Valid-Until from Release.in.
    pub fn new(fixture: impl Into<PathBuf>) -> Self {
        RepoBuilder {
            fixture: fixture.into(),
            compress: Compression::DOCKER.to_vec(),
            hashes: HashKind::ALL.to_vec(),
            sign: SignMode::Both,
            date: None,
            valid_until: None,
            by_hash: false,
            key: TestKey::Repo,
            per_arch_release: false,
            bogus_release_entry: false,
            key_file: None,
        }
    }

    /// Signs with the armored secret key in `sec_asc` (e.g. one made by
    /// [`crate::KeyFactory::export_secret`]) instead of a committed test key. The built
    /// repository's `key_asc`/`key_gpg` are then its public key, written next to `dists/`.
    pub fn signing_key(mut self, sec_asc: impl Into<PathBuf>) -> Self {
        self.key_file = Some(sec_asc.into());
        self
    }

    /// Serves exactly these encodings of every index. Release always lists the uncompressed
    /// `Packages` as well, even when it is not served (apt skips an index otherwise).
    pub fn compress(mut self, c: &[Compression]) -> Self {
        let mut c = c.to_vec();
        c.sort();
        c.dedup();
        self.compress = c;
        self
    }

    /// Lists only these digests in Release (e.g. `&[Md5, Sha1]` to test apt's refusal).
    pub fn hashes(mut self, h: &[HashKind]) -> Self {
        let mut h = h.to_vec();
        h.sort();
        h.dedup();
        self.hashes = h;
        self
    }

    /// Chooses which signature files to write.
    pub fn sign(mut self, mode: SignMode) -> Self {
        self.sign = mode;
        self
    }

    /// Overrides every suite's `Date:` (seconds since the epoch); also the signature time.
    pub fn date(mut self, epoch: i64) -> Self {
        self.date = Some(epoch);
        self
    }

    /// Sets every suite's `Valid-Until:` (seconds since the epoch).
    pub fn valid_until(mut self, epoch: i64) -> Self {
        self.valid_until = Some(epoch);
        self
    }

    /// Writes `by-hash/<Hash>/<hex>` copies of every served index and `Acquire-By-Hash: yes`.
    pub fn by_hash(mut self, on: bool) -> Self {
        self.by_hash = on;
        self
    }

    /// Signs with this committed test key (default [`TestKey::Repo`]).
    pub fn key(mut self, key: TestKey) -> Self {
        self.key = key;
        self
    }

    /// Writes a tiny `binary-<arch>/Release` per index and lists it in Release, as Docker does.
    pub fn per_arch_release(mut self, on: bool) -> Self {
        self.per_arch_release = on;
        self
    }

    /// Adds Docker's bogus self-referencing `Release` entry (hash and size never match the real
    /// Release file) to every hash section.
    pub fn bogus_release_entry(mut self, on: bool) -> Self {
        self.bogus_release_entry = on;
        self
    }

    /// Writes the repository into a new temp dir and returns it.
    /// Fails when the fixture is malformed or gpg fails.
    pub fn build(mut self) -> Result<BuiltRepo> {
        let suites = read_fixture(&self.fixture)?;
        // a Release.in that announces by-hash gets the by-hash files it promises
        if suites
            .iter()
            .any(|s| field(&s.fields, "Acquire-By-Hash").is_some_and(|v| v == "yes"))
        {
            self.by_hash = true;
        }
        let dir = tempfile::Builder::new()
            .prefix("plk-repo.")
            .tempdir()
            .map_err(|e| HarnessError::io("create temp dir in", std::env::temp_dir(), e))?;
        let gpg = if self.sign == SignMode::None {
            None
        } else {
            let sec = self
                .key_file
                .clone()
                .unwrap_or_else(|| self.key.secret_asc());
            Some(GpgHome::with_secret_key(&sec)?)
        };
        let mut indexes = Vec::new();
        for suite in &suites {
            let dist = dir.path().join("dists").join(&suite.name);
            // (path relative to dists/<suite>, content) of every file Release lists
            let mut listed: Vec<(String, Vec<u8>)> = Vec::new();
            let release_fields = self.release_fields(suite)?;
            for (comp, arch, file) in &suite.indexes {
                let plain = fs::read(file).map_err(|e| HarnessError::io("read", file, e))?;
                let rel_dir = format!("{comp}/binary-{arch}");
                for c in Compression::ALL {
                    let served = self.compress.contains(&c);
                    if !served && c != Compression::Plain {
                        continue;
                    }
                    let data = c.encode(&plain);
                    let rel = format!("{rel_dir}/Packages{}", c.suffix());
                    if served {
                        write_file(&dist.join(&rel), &data)?;
                        if self.by_hash {
                            for h in &self.hashes {
                                let p = dist
                                    .join(&rel_dir)
                                    .join("by-hash")
                                    .join(h.section())
                                    .join(h.hex(&data));
                                write_file(&p, &data)?;
                            }
                        }
                        listed.push((rel, data));
                    } else if c == Compression::Plain {
                        listed.push((rel, data));
                    }
                }
                if self.per_arch_release {
                    let mut t = format!("Archive: {}\n", field(&release_fields, "Suite").unwrap());
                    for k in ["Origin", "Label"] {
                        if let Some(v) = field(&release_fields, k) {
                            t.push_str(&format!("{k}: {v}\n"));
                        }
                    }
                    t.push_str(&format!("Component: {comp}\nArchitecture: {arch}\n"));
                    let rel = format!("{rel_dir}/Release");
                    write_file(&dist.join(&rel), t.as_bytes())?;
                    listed.push((rel, t.into_bytes()));
                }
                indexes.push(IndexInfo {
                    suite: suite.name.clone(),
                    component: comp.clone(),
                    arch: arch.clone(),
                });
            }
            listed.sort_by(|a, b| a.0.cmp(&b.0));
            let mut release = String::new();
            for (k, v) in &release_fields {
                release.push_str(&format!("{k}: {v}\n"));
            }
            for h in &self.hashes {
                release.push_str(&format!("{}:\n", h.section()));
                for (path, data) in &listed {
                    release.push_str(&format!(" {} {:>16} {path}\n", h.hex(data), data.len()));
                }
                if self.bogus_release_entry {
                    let bogus = h.hex(b"what Docker's Release looked like when it was listed");
                    release.push_str(&format!(" {bogus} {:>16} Release\n", 10225));
                }
            }
            let release_path = dist.join("Release");
            write_file(&release_path, release.as_bytes())?;
            let when = self.signing_time(&release_fields, &suite.name)?;
            if let Some(g) = &gpg {
                if matches!(self.sign, SignMode::Both | SignMode::InRelease) {
                    g.clearsign(&release_path, &dist.join("InRelease"), when)?;
                }
                if matches!(self.sign, SignMode::Both | SignMode::Detached) {
                    g.detach_sign(&release_path, &dist.join("Release.gpg"), when)?;
                }
            }
            set_mtimes(&dist, when)?;
        }
        let fingerprint = match &gpg {
            Some(g) => g.fingerprint.clone(),
            None => String::new(),
        };
        let (key_asc, key_gpg) = match (&self.key_file, &gpg) {
            (Some(_), Some(g)) => {
                let (asc, bin) = (dir.path().join("key.asc"), dir.path().join("key.gpg"));
                g.export_public(&asc, true)?;
                g.export_public(&bin, false)?;
                (asc, bin)
            }
            _ => (self.key.public_asc(), self.key.public_gpg()),
        };
        drop(gpg);
        Ok(BuiltRepo {
            dir,
            key_asc,
            key_gpg,
            fingerprint,
            suites: suites.iter().map(|s| s.name.clone()).collect(),
            indexes,
            compress: self.compress,
            hashes: self.hashes,
            by_hash: self.by_hash,
            signed_with: (
                self.key_file
                    .clone()
                    .unwrap_or_else(|| self.key.secret_asc()),
                self.sign,
            ),
        })
    }

    fn signing_time(&self, fields: &[(String, String)], suite: &str) -> Result<i64> {
        let d = field(fields, "Date").unwrap_or_default();
        date::parse_rfc2822(d).ok_or_else(|| HarnessError::Fixture {
            path: self.fixture.join(suite).join("Release.in"),
            reason: format!(
                "cannot parse Date {d:?} (want e.g. \"Fri, 10 Mar 2023 11:47:13 UTC\")"
            ),
        })
    }

    /// Release header fields for a suite, in the canonical order.
    fn release_fields(&self, suite: &FixtureSuite) -> Result<Vec<(String, String)>> {
        let mut given = suite.fields.clone();
        let mut set = |k: &str, v: String| {
            given.retain(|(n, _)| !n.eq_ignore_ascii_case(k));
            given.push((k.to_string(), v));
        };
        if field(&suite.fields, "Suite").is_none() {
            set("Suite", suite.name.clone());
        }
        if let Some(d) = self.date {
            set("Date", date::format_release(d));
        } else if field(&suite.fields, "Date").is_none() {
            set("Date", date::format_release(DEFAULT_DATE));
        }
        if let Some(v) = self.valid_until {
            set("Valid-Until", date::format_release(v));
        }
        if self.by_hash {
            set("Acquire-By-Hash", "yes".into());
        }
        if field(&suite.fields, "Architectures").is_none() {
            let mut a: Vec<&str> = suite.indexes.iter().map(|i| i.1.as_str()).collect();
            a.sort();
            a.dedup();
            set("Architectures", a.join(" "));
        }
        if field(&suite.fields, "Components").is_none() {
            let mut c: Vec<&str> = suite.indexes.iter().map(|i| i.0.as_str()).collect();
            c.sort();
            c.dedup();
            set("Components", c.join(" "));
        }
        let mut out = Vec::new();
        for name in FIELD_ORDER {
            if let Some(i) = given.iter().position(|(k, _)| k.eq_ignore_ascii_case(name)) {
                out.push(given.remove(i));
            }
        }
        // unknown Release.in fields keep their file order, after the known ones
        out.extend(given);
        Ok(out)
    }
}

fn flip_ascii_case(b: u8) -> u8 {
    if b.is_ascii_alphabetic() {
        b ^ 0x20
    } else if b.is_ascii_digit() {
        if b == b'9' {
            b'0'
        } else {
            b + 1
        }
    } else {
        b ^ 0x01
    }
}

impl BuiltRepo {
    /// The repository root (the directory holding `dists/`).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `<root>/dists/<suite>`.
    pub fn dist_dir(&self, suite: &str) -> PathBuf {
        self.path().join("dists").join(suite)
    }

    /// Every served file of one index: its `Packages*` variants and, with by-hash, their copies.
    pub fn index_files(&self, suite: &str, component: &str, arch: &str) -> Vec<PathBuf> {
        let d = self
            .dist_dir(suite)
            .join(component)
            .join(format!("binary-{arch}"));
        let mut v: Vec<PathBuf> = self
            .compress
            .iter()
            .map(|c| d.join(format!("Packages{}", c.suffix())))
            .collect();
        if self.by_hash {
            for h in &self.hashes {
                if let Ok(rd) = read_dir_sorted(&d.join("by-hash").join(h.section())) {
                    v.extend(rd);
                }
            }
        }
        v
    }

    /// A one-line sources entry for this repository served at `url`:
    /// `deb [signed-by=<key_asc>] <url> <suite> <components>`.
    pub fn one_line_source(&self, url: &str, suite: &str, components: &str) -> String {
        format!(
            "deb [signed-by={}] {url} {suite} {components}",
            self.key_asc.display()
        )
    }

    /// A deb822 sources paragraph for this repository served at `url` (space-separated
    /// `suites` and `components`), with `Signed-By:` the signing key's armored public key.
    pub fn deb822_source(&self, url: &str, suites: &str, components: &str) -> String {
        format!(
            "Types: deb\nURIs: {url}\nSuites: {suites}\nComponents: {components}\nSigned-By: {}\n",
            self.key_asc.display()
        )
    }

    /// Reads a file given relative to the repository root (e.g. `dists/buster/Release`).
    pub fn read(&self, rel: &str) -> Result<Vec<u8>> {
        let p = self.path().join(rel);
        fs::read(&p).map_err(|e| HarnessError::io("read", p, e))
    }

    /// Writes (replaces) a file given relative to the repository root.
    pub fn write(&self, rel: &str, data: &[u8]) -> Result<()> {
        write_file(&self.path().join(rel), data)
    }

    /// Removes a file given relative to the repository root.
    pub fn remove(&self, rel: &str) -> Result<()> {
        let p = self.path().join(rel);
        fs::remove_file(&p).map_err(|e| HarnessError::io("remove", p, e))
    }

    /// Cuts a file given relative to the repository root down to `len` bytes.
    pub fn truncate(&self, rel: &str, len: u64) -> Result<()> {
        let p = self.path().join(rel);
        let f = fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .map_err(|e| HarnessError::io("open", &p, e))?;
        f.set_len(len)
            .map_err(|e| HarnessError::io("truncate", p, e))
    }

    /// Changes one byte of the signed text of `dists/<suite>/InRelease` (the first letter of
    /// the `Date:` value), keeping the signature: the signature no longer verifies.
    pub fn tamper_inrelease(&self, suite: &str) -> Result<()> {
        let p = self.dist_dir(suite).join("InRelease");
        let mut data = fs::read(&p).map_err(|e| HarnessError::io("read", &p, e))?;
        let at = find(&data, b"\nDate: ").ok_or_else(|| HarnessError::Fixture {
            path: p.clone(),
            reason: "no Date: line to tamper with".into(),
        })? + 7;
        data[at] = flip_ascii_case(data[at]);
        fs::write(&p, data).map_err(|e| HarnessError::io("write", p, e))
    }

    /// Flips one byte in the middle of every served variant of an index (and its by-hash
    /// copies): sizes stay, hashes no longer match Release.
    pub fn flip_index_bytes(&self, suite: &str, component: &str, arch: &str) -> Result<()> {
        for p in self.index_files(suite, component, arch) {
            let mut data = fs::read(&p).map_err(|e| HarnessError::io("read", &p, e))?;
            let mid = data.len() / 2;
            data[mid] = flip_ascii_case(data[mid]);
            fs::write(&p, data).map_err(|e| HarnessError::io("write", p, e))?;
        }
        Ok(())
    }

    /// Replaces every served variant of an index (and its by-hash copies) with `packages`,
    /// compressed as each variant is, without touching Release.
    pub fn replace_index(
        &self,
        suite: &str,
        component: &str,
        arch: &str,
        packages: &[u8],
    ) -> Result<()> {
        for p in self.index_files(suite, component, arch) {
            let c = compression_of(&p, &self.compress);
            write_file(&p, &c.encode(packages))?;
        }
        Ok(())
    }

    /// Replaces `dists/<suite>/Release` with `edit(old text)` and signs it again as the build
    /// did (same key, same signature files, gpg's clock at the old Release `Date`): the content
    /// may be hostile, the signature is good. Index files are left alone.
    pub fn rewrite_release(&self, suite: &str, edit: impl FnOnce(&str) -> String) -> Result<()> {
        let old = self.release(suite)?;
        let when = old
            .lines()
            .find_map(|l| l.strip_prefix("Date:"))
            .and_then(|d| date::parse_rfc2822(d.trim()))
            .unwrap_or(DEFAULT_DATE);
        let release_path = self.dist_dir(suite).join("Release");
        write_file(&release_path, edit(&old).as_bytes())?;
        self.resign_release(suite, when)
    }

    /// Signs `dists/<suite>/Release` again into the signature files the build made (same key),
    /// with gpg's clock frozen at `when` (Unix seconds): signatures made in the past or future.
    pub fn resign_release(&self, suite: &str, when: i64) -> Result<()> {
        let dist = self.dist_dir(suite);
        let release_path = dist.join("Release");
        let (key, mode) = &self.signed_with;
        let inrelease = dist.join("InRelease");
        let detached = dist.join("Release.gpg");
        for p in [&inrelease, &detached] {
            if p.exists() {
                fs::remove_file(p).map_err(|e| HarnessError::io("remove", p, e))?;
            }
        }
        if *mode != SignMode::None {
            let g = GpgHome::with_secret_key(key)?;
            if matches!(mode, SignMode::Both | SignMode::InRelease) {
                g.clearsign(&release_path, &inrelease, when)?;
            }
            if matches!(mode, SignMode::Both | SignMode::Detached) {
                g.detach_sign(&release_path, &detached, when)?;
            }
        }
        Ok(())
    }

    /// The Release text of a suite.
    pub fn release(&self, suite: &str) -> Result<String> {
        let p = self.dist_dir(suite).join("Release");
        fs::read_to_string(&p).map_err(|e| HarnessError::io("read", p, e))
    }
}

/// The compression of a served file: from its name, or for a by-hash copy from its magic bytes.
fn compression_of(p: &Path, served: &[Compression]) -> Compression {
    let name = p.file_name().unwrap().to_string_lossy();
    for c in [Compression::Gz, Compression::Bz2, Compression::Xz] {
        if name.ends_with(c.suffix()) {
            return c;
        }
    }
    if name == "Packages" {
        return Compression::Plain;
    }
    let head = fs::read(p).unwrap_or_default();
    let magic: &[(Compression, &[u8])] = &[
        (Compression::Gz, b"\x1f\x8b"),
        (Compression::Bz2, b"BZh"),
        (Compression::Xz, b"\xfd7zXZ"),
    ];
    magic
        .iter()
        .find(|(c, m)| served.contains(c) && head.starts_with(m))
        .map(|(c, _)| *c)
        .unwrap_or(Compression::Plain)
}

/// Sets the modification time of every file below `dir` to `epoch`, as on a real mirror where
/// files date from the archive run. HTTP Last-Modified then follows the Release Date, so a newer
/// snapshot served at the same URL is newer for If-Modified-Since too.
fn set_mtimes(dir: &Path, epoch: i64) -> Result<()> {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch.max(0) as u64);
    for p in read_dir_sorted(dir)? {
        if p.is_dir() {
            set_mtimes(&p, epoch)?;
        } else {
            let f = fs::File::options()
                .write(true)
                .open(&p)
                .map_err(|e| HarnessError::io("open", &p, e))?;
            f.set_modified(t)
                .map_err(|e| HarnessError::io("set modification time of", &p, e))?;
        }
    }
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
