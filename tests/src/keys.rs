//! [`KeyFactory`]: make throwaway OpenPGP keys with the real `gpg` in a test, in the states a
//! hostile or neglected `signed-by` file can be in: expired, with a revoked signing subkey,
//! without signing capability, and exported in every file format apt's gpgv reads.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{HarnessError, Result};

/// A temporary GNUPGHOME (`/tmp/plk-keys.XXXXXX`, short for gpg-agent's socket path) for
/// generating and changing keys; the agent is stopped and the directory removed on drop.
pub struct KeyFactory {
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for KeyFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFactory")
            .field("home", &self.dir.path())
            .finish()
    }
}

impl KeyFactory {
    /// Creates an empty GNUPGHOME. Fails when the temp dir cannot be made.
    pub fn new() -> Result<KeyFactory> {
        let dir = tempfile::Builder::new()
            .prefix("plk-keys.")
            .tempdir_in("/tmp")
            .map_err(|e| HarnessError::io("create directory in", "/tmp", e))?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .map_err(|e| HarnessError::io("chmod", dir.path(), e))?;
        Ok(KeyFactory { dir })
    }

    /// The GNUPGHOME directory.
    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `gpg --batch ... ARGS` in this home (clock frozen at `at`, seconds since the epoch,
    /// when given) with `stdin` as command input; returns stdout, or the error with gpg's stderr.
    pub fn gpg(&self, at: Option<i64>, args: &[&str], stdin: Option<&str>) -> Result<Vec<u8>> {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.home())
            .env("LC_ALL", "C")
            .args(["--batch", "--no-tty", "--pinentry-mode", "loopback"])
            .args(["--passphrase", ""]);
        if let Some(t) = at {
            c.arg("--faked-system-time")
                .arg(crate::date::format_gpg_frozen(t));
        }
        if stdin.is_some() {
            c.args(["--command-fd", "0"]);
        }
        c.args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let tool_err = |detail: String| HarnessError::Tool {
            tool: "gpg".into(),
            detail,
        };
        let mut child = c
            .spawn()
            .map_err(|e| tool_err(format!("gpg {args:?}: {e}")))?;
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("piped stdin")
                .write_all(input.as_bytes())
                .map_err(|e| tool_err(format!("gpg {args:?}: write stdin: {e}")))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| tool_err(format!("gpg {args:?}: {e}")))?;
        if !out.status.success() {
            return Err(tool_err(format!(
                "gpg {args:?}: {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(out.stdout)
    }

    /// Generates an Ed25519 primary key for `uid` at time `created` with `usage` (gpg's
    /// `--quick-gen-key` usage, e.g. `"sign,cert"` or `"cert"`) and `expire` (`"never"`, `"1y"`,
    /// ...). Returns its fingerprint (40 uppercase hex digits).
    pub fn gen_key(&self, uid: &str, created: i64, usage: &str, expire: &str) -> Result<String> {
        self.gpg(
            Some(created),
            &["--quick-gen-key", uid, "ed25519", usage, expire],
            None,
        )?;
        self.fingerprints(uid)
            .map(|f| f.into_iter().next().expect("gpg listed the new key"))
    }

    /// Adds an Ed25519 subkey with `usage` (e.g. `"sign"`) to the key `fpr` at time `created`;
    /// returns the subkey's fingerprint.
    pub fn add_subkey(&self, fpr: &str, created: i64, usage: &str, expire: &str) -> Result<String> {
        self.gpg(
            Some(created),
            &["--quick-add-key", fpr, "ed25519", usage, expire],
            None,
        )?;
        let all = self.fingerprints(fpr)?;
        Ok(all.last().expect("gpg listed the new subkey").clone())
    }

    /// Fingerprints of the key matching `query`: the primary key first, then its subkeys.
    pub fn fingerprints(&self, query: &str) -> Result<Vec<String>> {
        let out = self.gpg(None, &["--with-colons", "--list-keys", query], None)?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .filter_map(|l| l.strip_prefix("fpr:"))
            .map(|r| r.trim_matches(':').to_string())
            .collect())
    }

    /// Validity letters of the subkeys of `fpr` from `--list-keys --with-colons` (`"r"` revoked,
    /// `"e"` expired, `"u"` ultimate, ...).
    pub fn subkey_validity(&self, fpr: &str) -> Result<Vec<String>> {
        let out = self.gpg(None, &["--with-colons", "--list-keys", fpr], None)?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .filter(|l| l.starts_with("sub:"))
            .map(|l| l.split(':').nth(1).unwrap_or_default().to_string())
            .collect())
    }

    /// Revokes the `n`-th subkey (1-based) of `fpr` now, reason "no reason".
    pub fn revoke_subkey(&self, fpr: &str, n: usize) -> Result<()> {
        self.gpg(
            None,
            &["--edit-key", fpr],
            Some(&format!("key {n}\nrevkey\ny\n0\n\ny\nsave\n")),
        )
        .map(drop)
    }

    /// Toggles the sign capability of the primary key `fpr` with a new self-signature made now
    /// (gpg's `change-usage`): a key that could sign no longer can.
    pub fn toggle_sign_usage(&self, fpr: &str) -> Result<()> {
        self.gpg(
            None,
            &["--edit-key", fpr],
            Some("change-usage\nS\nQ\nsave\n"),
        )
        .map(drop)
    }

    /// The primary key's usage letters (`--with-colons` field 12, e.g. `"scSC"`, `"cC"`).
    pub fn usage(&self, fpr: &str) -> Result<String> {
        let out = self.gpg(None, &["--with-colons", "--list-keys", fpr], None)?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .find(|l| l.starts_with("pub:"))
            .and_then(|l| l.split(':').nth(11))
            .unwrap_or_default()
            .to_string())
    }

    /// Writes the armored secret key of `fpr` to `out` (for [`crate::RepoBuilder::signing_key`]).
    pub fn export_secret(&self, fpr: &str, out: &Path) -> Result<PathBuf> {
        let data = self.gpg(None, &["--armor", "--export-secret-keys", fpr], None)?;
        write(out, &data)
    }

    /// Writes the public key of `fpr` to `out`: armored (`.asc`) or binary packets (`.gpg`).
    pub fn export_public(&self, fpr: &str, out: &Path, armor: bool) -> Result<PathBuf> {
        let mut args = vec!["--export"];
        if armor {
            args.push("--armor");
        }
        args.push(fpr);
        let data = self.gpg(None, &args, None)?;
        write(out, &data)
    }

    /// Imports the public key of `fpr` into a new keyring file `out` the way guides do it,
    /// `gpg --no-default-keyring --keyring FILE --import`: with `legacy` as an old-style GnuPG
    /// keyring (`gnupg-ring:`, holds ring-trust packets), otherwise as a keybox (gpg ≥ 2.1's
    /// default for a new file).
    pub fn import_into_keyring_file(&self, fpr: &str, out: &Path, legacy: bool) -> Result<PathBuf> {
        let public = self.home().join(format!("{fpr}.pub.asc"));
        self.export_public(fpr, &public, true)?;
        let ring = if legacy {
            format!("gnupg-ring:{}", out.display())
        } else {
            out.display().to_string()
        };
        self.gpg(
            None,
            &[
                "--no-default-keyring",
                "--keyring",
                &ring,
                "--import",
                &public.display().to_string(),
            ],
            None,
        )?;
        Ok(out.to_path_buf())
    }
}

fn write(out: &Path, data: &[u8]) -> Result<PathBuf> {
    std::fs::write(out, data).map_err(|e| HarnessError::io("write", out, e))?;
    Ok(out.to_path_buf())
}

impl Drop for KeyFactory {
    fn drop(&mut self) {
        crate::gpg::stop_agent(self.dir.path());
    }
}
