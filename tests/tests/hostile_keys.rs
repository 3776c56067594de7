//! Hostile or neglected `signed-by` key files, through the CLI: an expired key, a key whose
//! signing subkey is revoked, a key that may not sign, an armored file with garbage around the
//! armor block, binary keyrings (`gpg --export`, a legacy GnuPG keyring with ring-trust packets,
//! a GnuPG keybox as `gpg --no-default-keyring --keyring FILE --import` writes it), an empty file.
//!
//! Keys are generated here with the real gpg ([`KeyFactory`]); the repository is signed while
//! the key is good (gpg's clock frozen at the Release `Date`) and the key is changed afterwards.
//! For every case the real apt (sandboxed) is the oracle: where apt refuses, `pinlock versions`
//! and `pinlock lock` exit 2 with an error naming the key file and the reason (insta snapshot of
//! stderr, with the port, temp paths and the random fingerprints replaced) and no lockfile is
//! written; where apt accepts, pinlock reads the repository as apt does.

use std::path::{Path, PathBuf};

use pinlock_tests::{
    fixture, redact, require_apt_tools, AptSandbox, BuiltRepo, HarnessError, KeyFactory, Pinlock,
    PinlockRun, RepoBuilder, Server,
};

const SUITE: &str = "buster";
/// 2023-01-01: keys are created then.
const CREATED: i64 = 1_672_531_200;
/// 2023-02-01: the Release `Date` and signature time, while every key is still good.
const SIGNED: i64 = 1_675_209_600;
const NEWEST: &str = "5:24.0.2-1~debian.10~buster";

/// A generated key, the repository it signed and a directory for key files.
struct Case {
    keys: KeyFactory,
    fpr: String,
    _repo: BuiltRepo,
    srv: Server,
    dir: tempfile::TempDir,
}

impl Case {
    /// Generates a key with `gen` (returns the fingerprint to sign with), exports its secret,
    /// and builds and serves the docker-debian fixture signed by it.
    fn new(gen: impl FnOnce(&KeyFactory) -> String) -> Case {
        let keys = KeyFactory::new().unwrap();
        let fpr = gen(&keys);
        let dir = tempfile::tempdir().unwrap();
        let sec = keys
            .export_secret(&fpr, &dir.path().join("signing.sec.asc"))
            .unwrap();
        let repo = RepoBuilder::new(fixture("docker-debian"))
            .signing_key(&sec)
            .date(SIGNED)
            .build()
            .unwrap();
        std::fs::remove_file(sec).unwrap();
        let srv = Server::serve(repo.path());
        Case {
            keys,
            fpr,
            _repo: repo,
            srv,
            dir,
        }
    }

    /// A plain sign+cert Ed25519 key that never expires.
    fn good() -> Case {
        Case::new(|k| {
            k.gen_key("good <good@pinlock.invalid>", CREATED, "sign,cert", "never")
                .unwrap()
        })
    }

    fn key_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn line(&self, key: &Path) -> String {
        format!(
            "deb [arch=amd64 signed-by={}] {} {SUITE} stable",
            key.display(),
            self.srv.url()
        )
    }

    /// apt's verdict: `Ok(())` or its error lines.
    fn apt(&self, key: &Path) -> Result<(), String> {
        let apt = AptSandbox::new(&[self.line(key)], &["amd64"]).unwrap();
        match apt.update() {
            Ok(()) => {
                assert_eq!(apt.candidate("docker-ce").unwrap().as_deref(), Some(NEWEST));
                Ok(())
            }
            Err(e @ HarnessError::AptRejected { .. }) => Err(e.apt_lines().join("\n")),
            Err(e) => panic!("apt could not run: {e}"),
        }
    }

    fn versions(&self, key: &Path) -> PinlockRun {
        let src = self.line(key);
        Pinlock::new().run(&["--retries", "0", "versions", "--source", &src, "docker-ce"])
    }

    /// `pinlock lock` with the key in a manifest; returns the run and whether a lockfile exists.
    fn lock(&self, key: &Path) -> (PinlockRun, bool) {
        let proj = tempfile::tempdir().unwrap();
        let manifest = proj.path().join("pinlock.yml");
        std::fs::write(
            &manifest,
            format!(
                "sources:\n  - \"{}\"\npackages:\n  docker-ce: \"*\"\n",
                self.line(key)
            ),
        )
        .unwrap();
        let run = Pinlock::new().run(&[
            "--retries",
            "0",
            "lock",
            "-m",
            &manifest.display().to_string(),
        ]);
        (run, proj.path().join("pinlock.lock").exists())
    }

    /// stderr with server URL, key directory and this case's fingerprints replaced.
    fn stable(&self, text: &str) -> String {
        let fprs = self.keys.fingerprints(&self.fpr).unwrap();
        let names: Vec<String> = (0..fprs.len())
            .map(|i| {
                if i == 0 {
                    "[PRIMARY]".to_string()
                } else {
                    format!("[SUBKEY{i}]")
                }
            })
            .collect();
        let url = self.srv.url();
        let dir = self.dir.path().display().to_string();
        let mut pairs: Vec<(&str, &str)> = vec![(&url, "http://[SERVER]"), (&dir, "[KEYS]")];
        for (f, n) in fprs.iter().zip(&names) {
            pairs.push((f, n));
        }
        redact(text, &pairs)
    }

    /// apt refuses with `apt_says`; `pinlock versions` and `pinlock lock` exit 2, name the key
    /// file and say `reason`; no lockfile. Snapshots `versions`' stderr as `name`.
    fn both_refuse(&self, name: &str, key: &Path, apt_says: &str, reason: &str) {
        let lines = self.apt(key).expect_err("apt accepted the repository");
        assert!(
            lines.contains(apt_says),
            "expected apt to say {apt_says:?}:\n{lines}"
        );
        let run = self.versions(key);
        run.expect_code(2);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        let shown = key.display().to_string();
        for want in [shown.as_str(), reason] {
            assert!(
                run.stderr.contains(want),
                "versions: no {want:?} in:\n{}",
                run.stderr
            );
        }
        insta::assert_snapshot!(name, self.stable(&run.stderr));
        let (lock, written) = self.lock(key);
        lock.expect_code(2);
        assert!(!written, "a lockfile was written despite the refusal");
        for want in [shown.as_str(), reason] {
            assert!(
                lock.stderr.contains(want),
                "lock: no {want:?} in:\n{}",
                lock.stderr
            );
        }
    }

    /// apt accepts; pinlock `versions` lists the newest version and `lock` locks it.
    fn both_accept(&self, key: &Path) {
        if let Err(lines) = self.apt(key) {
            panic!("apt refused {}:\n{lines}", key.display());
        }
        let run = self.versions(key);
        run.success();
        assert!(run.stdout.contains(NEWEST), "{}", run.stdout);
        let (lock, written) = self.lock(key);
        lock.success();
        assert!(written);
    }
}

fn tools() -> bool {
    require_apt_tools()
}

#[test]
fn expired_key_is_refused_naming_the_key_file() {
    if !tools() {
        return;
    }
    // valid for a year from 2023-01-01: good when signing, expired now
    let case = Case::new(|k| {
        k.gen_key("expired <exp@pinlock.invalid>", CREATED, "sign,cert", "1y")
            .unwrap()
    });
    let key = case
        .keys
        .export_public(&case.fpr, &case.key_path("expired.asc"), true)
        .unwrap();
    case.both_refuse("expired_key", &key, "EXPKEYSIG", "expired on");
}

#[test]
fn revoked_signing_subkey_is_refused_naming_the_key_file() {
    if !tools() {
        return;
    }
    let case = Case::new(|k| {
        let fpr = k
            .gen_key(
                "revoked sub <rev@pinlock.invalid>",
                CREATED,
                "cert",
                "never",
            )
            .unwrap();
        k.add_subkey(&fpr, CREATED, "sign", "never").unwrap();
        fpr
    });
    case.keys.revoke_subkey(&case.fpr, 1).unwrap();
    assert_eq!(case.keys.subkey_validity(&case.fpr).unwrap(), vec!["r"]);
    let key = case
        .keys
        .export_public(&case.fpr, &case.key_path("revoked-subkey.gpg"), false)
        .unwrap();
    case.both_refuse("revoked_subkey", &key, "REVKEYSIG", "is revoked");
}

#[test]
fn key_without_signing_capability_is_refused_naming_the_key_file() {
    if !tools() {
        return;
    }
    // signed while the key could sign; its newest self-signature then takes that away
    let case = Case::new(|k| {
        k.gen_key(
            "no sign <nosign@pinlock.invalid>",
            CREATED,
            "sign,cert",
            "never",
        )
        .unwrap()
    });
    case.keys.toggle_sign_usage(&case.fpr).unwrap();
    assert_eq!(case.keys.usage(&case.fpr).unwrap(), "cC");
    let key = case
        .keys
        .export_public(&case.fpr, &case.key_path("cert-only.asc"), true)
        .unwrap();
    case.both_refuse(
        "not_signing_capable",
        &key,
        "ERRSIG",
        "not capable of signing",
    );
}

#[test]
fn empty_key_file_is_refused_naming_it() {
    if !tools() {
        return;
    }
    let case = Case::good();
    for name in ["empty.asc", "empty.gpg"] {
        let key = case.key_path(name);
        std::fs::write(&key, b"").unwrap();
        // apt reads no key from it, so the repository's key is missing
        let snap = format!("empty_{}", name.replace('.', "_"));
        case.both_refuse(
            &snap,
            &key,
            "NO_PUBKEY",
            "keyring contains no OpenPGP public key",
        );
    }
}

#[test]
fn armored_key_with_garbage_around_the_block_is_read_as_apt_reads_it() {
    if !tools() {
        return;
    }
    let case = Case::good();
    let armored = case
        .keys
        .export_public(&case.fpr, &case.key_path("plain.asc"), true)
        .unwrap();
    let mut data = b"Downloaded from the vendor's site on 2023-02-01.\nVersion: 1\n\n".to_vec();
    data.extend(std::fs::read(&armored).unwrap());
    data.extend_from_slice(b"\n-- \nsignature of the mail this came in\n\x00\x01\xfe junk\n");
    let key = case.key_path("garbage-around.asc");
    std::fs::write(&key, data).unwrap();
    case.both_accept(&key);
}

#[test]
fn binary_keyrings_in_every_format_gpgv_reads_are_accepted() {
    if !tools() {
        return;
    }
    let case = Case::good();
    let exported = case
        .keys
        .export_public(&case.fpr, &case.key_path("exported.gpg"), false)
        .unwrap();
    let legacy = case
        .keys
        .import_into_keyring_file(&case.fpr, &case.key_path("legacy-ring.gpg"), true)
        .unwrap();
    let keybox = case
        .keys
        .import_into_keyring_file(&case.fpr, &case.key_path("keybox.gpg"), false)
        .unwrap();
    // they are what their names say: packets, packets with ring-trust packets, a keybox
    assert_eq!(std::fs::read(&exported).unwrap()[0], 0x98);
    let ring = std::fs::read(&legacy).unwrap();
    assert_eq!(ring[0], 0x98);
    assert!(ring.len() > std::fs::read(&exported).unwrap().len());
    assert_eq!(&std::fs::read(&keybox).unwrap()[8..12], b"KBXf");
    for key in [exported, legacy, keybox] {
        case.both_accept(&key);
    }
}

#[test]
fn key_file_that_is_not_a_key_is_refused_naming_it() {
    if !tools() {
        return;
    }
    let case = Case::good();
    // an HTML error page saved as the key, and a truncated binary key
    let html = case.key_path("key.asc");
    std::fs::write(&html, "<html><body>404 Not Found</body></html>\n").unwrap();
    case.both_refuse(
        "html_as_key",
        &html,
        "NO_PUBKEY",
        "keyring contains no OpenPGP public key",
    );
    let full = case
        .keys
        .export_public(&case.fpr, &case.key_path("full.gpg"), false)
        .unwrap();
    let data = std::fs::read(&full).unwrap();
    let cut = case.key_path("truncated.gpg");
    std::fs::write(&cut, &data[..data.len() / 2]).unwrap();
    case.both_refuse("truncated_key", &cut, "ERRSIG", "malformed keyring");
}
