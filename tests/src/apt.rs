//! [`AptSandbox`]: the real apt (`apt-get`, `apt-cache`) in a private directory, as an oracle.
//!
//! The sandbox never reads or writes the system's apt state: `APT_CONFIG` points at a config
//! file that moves every `Dir::Etc`, `Dir::State`, `Dir::Cache` and `Dir::Log` path into a temp
//! dir, sets `Dir::Etc::main` to `/dev/null` and `Dir::Etc::parts` to an empty directory (so
//! `/etc/apt/apt.conf.d` is not loaded), uses an empty dpkg status file, disables locking, runs
//! downloads as the current user (`APT::Sandbox::User`), sets `Acquire::Retries 0` and
//! `Acquire::Languages none`. Proxy variables are removed from apt's environment and `LC_ALL=C`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::error::{HarnessError, Result};

/// A private apt installation state with its own sources; removed on drop.
#[derive(Debug)]
pub struct AptSandbox {
    dir: tempfile::TempDir,
}

fn user_name() -> String {
    // APT::Sandbox::User must name the current user, or apt (as root) switches to _apt,
    // which cannot write into our temp dir
    let out = Command::new("id").arg("-un").output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => std::env::var("USER").unwrap_or_else(|_| "root".into()),
    }
}

impl AptSandbox {
    /// Creates a sandbox with these sources and architectures (the first one is native).
    ///
    /// Each source is either one-line style (`deb [signed-by=...] URL SUITE COMPONENT...`,
    /// written to a `.list` file) or a deb822 paragraph (contains `Types:`, written to a
    /// `.sources` file). Fails only when the temp dir cannot be written.
    pub fn new(sources: &[impl AsRef<str>], archs: &[&str]) -> Result<AptSandbox> {
        let dir = tempfile::Builder::new()
            .prefix("plk-apt.")
            .tempdir()
            .map_err(|e| HarnessError::io("create temp dir in", std::env::temp_dir(), e))?;
        let sb = dir.path();
        for d in [
            "etc/apt.conf.d",
            "etc/sources.list.d",
            "etc/preferences.d",
            "etc/trusted.gpg.d",
            "etc/auth.conf.d",
            "state/lists/partial",
            "cache/archives/partial",
            "log",
            "dpkg/updates",
        ] {
            let p = sb.join(d);
            fs::create_dir_all(&p).map_err(|e| HarnessError::io("create directory", p, e))?;
        }
        write(&sb.join("dpkg/status"), "")?;
        let archs: Vec<&str> = if archs.is_empty() {
            vec!["amd64"]
        } else {
            archs.to_vec()
        };
        let s = sb.display();
        let mut conf = String::new();
        for (k, v) in [
            ("Dir::Etc", format!("{s}/etc")),
            ("Dir::Etc::main", "/dev/null".into()),
            ("Dir::Etc::parts", format!("{s}/etc/apt.conf.d")),
            ("Dir::Etc::sourcelist", format!("{s}/etc/sources.list")),
            ("Dir::Etc::sourceparts", format!("{s}/etc/sources.list.d")),
            ("Dir::Etc::preferences", format!("{s}/etc/preferences")),
            (
                "Dir::Etc::preferencesparts",
                format!("{s}/etc/preferences.d"),
            ),
            ("Dir::Etc::trusted", format!("{s}/etc/trusted.gpg")),
            ("Dir::Etc::trustedparts", format!("{s}/etc/trusted.gpg.d")),
            ("Dir::Etc::netrc", format!("{s}/etc/auth.conf")),
            ("Dir::Etc::netrcparts", format!("{s}/etc/auth.conf.d")),
            ("Dir::State", format!("{s}/state")),
            ("Dir::State::lists", format!("{s}/state/lists")),
            ("Dir::State::status", format!("{s}/dpkg/status")),
            ("Dir::Cache", format!("{s}/cache")),
            ("Dir::Log", format!("{s}/log")),
            ("APT::Architecture", archs[0].to_string()),
            ("Acquire::Languages", "none".into()),
            ("Acquire::Retries", "0".into()),
            ("APT::Sandbox::User", user_name()),
            ("Debug::NoLocking", "true".into()),
            ("APT::Get::Show-User-Simulation-Note", "false".into()),
        ] {
            conf.push_str(&format!("{k} \"{v}\";\n"));
        }
        let list: Vec<String> = archs.iter().map(|a| format!("\"{a}\";")).collect();
        conf.push_str(&format!("APT::Architectures {{ {} }};\n", list.join(" ")));
        write(&sb.join("apt.conf"), &conf)?;
        for (i, src) in sources.iter().enumerate() {
            let src = src.as_ref();
            let name = if src.contains("Types:") {
                format!("{i}-test.sources")
            } else {
                format!("{i}-test.list")
            };
            let mut text = src.trim_end().to_string();
            text.push('\n');
            write(&sb.join("etc/sources.list.d").join(name), &text)?;
        }
        Ok(AptSandbox { dir })
    }

    /// The sandbox directory (holds `apt.conf`, `etc/`, `state/lists/`, ...).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The `APT_CONFIG` file; `APT_CONFIG=<this> apt-cache ...` reproduces a query by hand.
    pub fn config_path(&self) -> PathBuf {
        self.path().join("apt.conf")
    }

    /// Appends `key "value";` to the sandbox's apt.conf (e.g. `Acquire::http::Timeout`, `5`).
    pub fn set_option(&self, key: &str, value: &str) -> Result<()> {
        let p = self.config_path();
        let mut conf = fs::read_to_string(&p).map_err(|e| HarnessError::io("read", &p, e))?;
        conf.push_str(&format!("{key} \"{value}\";\n"));
        write(&p, &conf)
    }

    /// Writes an apt_preferences(5) file (pins) into the sandbox, replacing an earlier one.
    pub fn set_preferences(&self, text: &str) -> Result<()> {
        write(&self.path().join("etc/preferences.d/test.pref"), text)
    }

    /// Writes apt_auth.conf(5) credentials for `machine`, replacing earlier ones. Pass the
    /// server URL *with* its `http://` scheme: apt ignores scheme-less entries for plain http
    /// ("Credentials ... match, but the protocol is not encrypted").
    pub fn set_auth(&self, machine: &str, login: &str, password: &str) -> Result<()> {
        write(
            &self.path().join("etc/auth.conf.d/test.conf"),
            &format!("machine {machine}\nlogin {login}\npassword {password}\n"),
        )
    }

    /// Replaces the dpkg status file (what apt believes is installed).
    pub fn set_status(&self, text: &str) -> Result<()> {
        write(&self.path().join("dpkg/status"), text)
    }

    /// A [`Command`] for `program args...` (e.g. `apt-cache`) in the sandbox environment: its
    /// `APT_CONFIG`, the C locale, no proxies from the caller's environment, stdin closed.
    pub fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.args(args)
            .env("APT_CONFIG", self.config_path())
            .env("LC_ALL", "C")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null());
        for v in [
            "http_proxy",
            "HTTP_PROXY",
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
            "no_proxy",
            "NO_PROXY",
            "APT_CONFIG_EXTRA",
        ] {
            c.env_remove(v);
        }
        c
    }

    /// Runs `program args...` (e.g. `apt-cache`) in the sandbox environment ([`Self::command`])
    /// and returns its output.
    pub fn run(&self, program: &str, args: &[&str]) -> Result<Output> {
        self.command(program, args)
            .output()
            .map_err(|e| HarnessError::Tool {
                tool: program.into(),
                detail: e.to_string(),
            })
    }

    /// Runs `apt-get update --error-on=any`. Returns `Ok(())` when apt accepted every source,
    /// else [`HarnessError::AptRejected`] with apt's `E:`/`W:`/`Err:` lines.
    pub fn update(&self) -> Result<()> {
        let out = self.run("apt-get", &["-q", "update", "--error-on=any"])?;
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = fs::write(self.path().join("log/update.log"), &log);
        let mut lines = Vec::new();
        let mut in_msg = false;
        for l in log.lines() {
            if l.starts_with("E:") || l.starts_with("W:") || l.starts_with("Err:") {
                lines.push(l.to_string());
                in_msg = true;
            } else if in_msg && l.starts_with("  ") {
                lines.push(l.to_string());
            } else {
                in_msg = false;
            }
        }
        if out.status.success() {
            Ok(())
        } else {
            if lines.is_empty() {
                lines.push(format!("apt-get update exited with {}", out.status));
            }
            Err(HarnessError::AptRejected { lines, log })
        }
    }

    /// Every version of `pkg` apt knows, newest first, exactly as `apt-cache madison` lists them
    /// (duplicates across sources/architectures removed). Empty when apt knows none.
    pub fn versions(&self, pkg: &str) -> Result<Vec<String>> {
        let out = self.run("apt-cache", &["madison", pkg])?;
        let mut v: Vec<String> = Vec::new();
        for l in String::from_utf8_lossy(&out.stdout).lines() {
            let f: Vec<&str> = l.split(" | ").collect();
            if f.len() >= 3 {
                let ver = f[1].trim().to_string();
                if !v.contains(&ver) {
                    v.push(ver);
                }
            }
        }
        Ok(v)
    }

    /// apt's candidate version of `pkg` (`apt-cache policy`), `None` when there is none.
    pub fn candidate(&self, pkg: &str) -> Result<Option<String>> {
        let out = self.run("apt-cache", &["policy", pkg])?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("Candidate:")
                    .map(|v| v.trim().to_string())
            })
            .filter(|v| v != "(none)"))
    }

    /// `apt-get install --simulate SPEC...` (SPEC like `docker-ce=5:23.0.1-1~debian.10~buster`):
    /// the `(name, version)` pairs apt would install, in apt's order. Names of foreign-arch
    /// packages keep apt's `:arch` suffix. Fails with [`HarnessError::AptCommand`] (apt's
    /// output) when apt cannot resolve.
    pub fn simulate(&self, specs: &[&str]) -> Result<Vec<(String, String)>> {
        let mut args = vec!["-q=2", "install", "--simulate"];
        args.extend_from_slice(specs);
        let out = self.run("apt-get", &args)?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(HarnessError::AptCommand {
                command: format!("apt-get {}", args.join(" ")),
                status: out.status,
                output: format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
            });
        }
        let mut v = Vec::new();
        for l in stdout.lines() {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.first() != Some(&"Inst") || f.len() < 3 {
                continue;
            }
            // "Inst name (version release [arch])" or "Inst name [old] (version ...)"
            let ver = if f[2].starts_with('[') {
                f.get(3)
            } else {
                f.get(2)
            };
            if let Some(ver) = ver {
                v.push((f[1].to_string(), ver.trim_start_matches('(').to_string()));
            }
        }
        Ok(v)
    }
}

fn write(p: &Path, text: &str) -> Result<()> {
    fs::write(p, text).map_err(|e| HarnessError::io("write", p, e))
}
