//! Signing with the real `gpg` in a short-lived, short-named GNUPGHOME.
//!
//! gpg-agent's socket lives in GNUPGHOME and a unix socket path over ~107 bytes breaks it, so the
//! home is always a fresh `/tmp/plk-gpg.XXXXXX`. Dropping [`GpgHome`] stops the agent gpg started
//! (`gpgconf --kill gpg-agent`) and removes the directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{HarnessError, Result};

/// A temporary GNUPGHOME holding one imported secret key.
pub(crate) struct GpgHome {
    dir: tempfile::TempDir,
    pub(crate) fingerprint: String,
}

fn run(cmd: &mut Command, what: &str) -> Result<Vec<u8>> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| HarnessError::Tool {
            tool: "gpg".into(),
            detail: format!("{what}: {e}"),
        })?;
    if !out.status.success() {
        return Err(HarnessError::Tool {
            tool: "gpg".into(),
            detail: format!(
                "{what}: {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(out.stdout)
}

impl GpgHome {
    /// Creates the home and imports the armored secret key `sec_asc`.
    pub(crate) fn with_secret_key(sec_asc: &Path) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("plk-gpg.")
            .tempdir_in("/tmp")
            .map_err(|e| HarnessError::io("create directory in", "/tmp", e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
                .map_err(|e| HarnessError::io("chmod", dir.path(), e))?;
        }
        let mut home = GpgHome {
            dir,
            fingerprint: String::new(),
        };
        run(
            home.gpg(None).arg("--import").arg(sec_asc),
            &format!("import {}", sec_asc.display()),
        )?;
        let listing = run(
            home.gpg(None).args(["--list-secret-keys", "--with-colons"]),
            "list secret keys",
        )?;
        let listing = String::from_utf8_lossy(&listing);
        home.fingerprint = listing
            .lines()
            .find_map(|l| {
                l.strip_prefix("fpr:")
                    .map(|r| r.trim_matches(':').to_string())
            })
            .ok_or_else(|| HarnessError::Tool {
                tool: "gpg".into(),
                detail: format!("no secret key after importing {}", sec_asc.display()),
            })?;
        Ok(home)
    }

    fn gpg(&self, faked: Option<i64>) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.dir.path())
            .env("LC_ALL", "C")
            .args([
                "--batch",
                "--quiet",
                "--no-tty",
                "--pinentry-mode",
                "loopback",
            ])
            .args(["--passphrase", ""]);
        if let Some(t) = faked {
            c.arg("--faked-system-time")
                .arg(crate::date::format_gpg_frozen(t));
        }
        c
    }

    /// Clearsigns `input` into `output` with gpg's clock frozen at `time` (InRelease).
    pub(crate) fn clearsign(&self, input: &Path, output: &Path, time: i64) -> Result<()> {
        run(
            self.gpg(Some(time))
                .args(["--digest-algo", "SHA512", "--clearsign", "-o"])
                .arg(output)
                .arg(input),
            &format!("clearsign {}", input.display()),
        )
        .map(drop)
    }

    /// Writes an armored detached signature of `input` to `output` (Release.gpg).
    pub(crate) fn detach_sign(&self, input: &Path, output: &Path, time: i64) -> Result<()> {
        run(
            self.gpg(Some(time))
                .args(["--digest-algo", "SHA512", "--armor", "--detach-sign", "-o"])
                .arg(output)
                .arg(input),
            &format!("sign {}", input.display()),
        )
        .map(drop)
    }

    /// Writes the public key, armored or binary, to `output`.
    pub(crate) fn export_public(&self, output: &Path, armor: bool) -> Result<()> {
        let mut c = self.gpg(None);
        c.arg("--export");
        if armor {
            c.arg("--armor");
        }
        let data = run(c.arg(&self.fingerprint), "export the public key")?;
        std::fs::write(output, data).map_err(|e| HarnessError::io("write", output, e))
    }

    /// The home directory (for diagnostics).
    #[allow(dead_code)]
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        stop_agent(self.dir.path());
    }
}

/// Stops the gpg-agent gpg started for the GNUPGHOME `home` (gpg starts one per home), so no
/// daemon outlives the test that made it. Errors are ignored: there may be no agent.
pub(crate) fn stop_agent(home: &Path) {
    let _ = Command::new("gpgconf")
        .env("GNUPGHOME", home)
        .args(["--kill", "gpg-agent"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
