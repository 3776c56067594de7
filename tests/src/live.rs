//! The machine's own Debian archive, for the opt-in live tests (`PINLOCK_LIVE=1`) and the live
//! benchmark: [`DebianArchive::from_machine`] reads the apt sources this machine is configured
//! with (`/etc/apt/sources.list.d/*.sources` in deb822 form, `/etc/apt/sources.list` in one-line
//! form), keeps the Debian ones (signed by [`DEBIAN_KEYRING`]) and finds the main archive's URL
//! and the security archive's URL. No mirror is named anywhere in the repository: it is always
//! the one the machine uses.
//!
//! [`DebianArchive::release`] gives, for a release name (`bookworm`), the suites pinlock and apt
//! read: `<release>` and `<release>-updates` from the main archive, `<release>-security` from the
//! security archive, component `main`; as a pinlock manifest ([`LiveRelease::manifest`], map
//! form) and as apt deb822 sources ([`LiveRelease::apt_sources`]).

use std::path::Path;

/// Where Debian's archive keyring is on a Debian machine (package `debian-archive-keyring`).
pub const DEBIAN_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// The packages the live test and benchmark lock: a server's usual base.
pub const LIVE_PACKAGES: [&str; 9] = [
    "apparmor",
    "iptables",
    "git",
    "curl",
    "openssh-server",
    "nginx",
    "python3",
    "openssl",
    "libc6",
];

/// One `deb` source as apt reads it: URL, suites, components, `signed-by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptSource {
    /// The repository URL, without a trailing `/`.
    pub url: String,
    /// The suites (`bookworm`, `bookworm-updates`, ...).
    pub suites: Vec<String>,
    /// The components (`main`, ...).
    pub components: Vec<String>,
    /// The `signed-by` value (a keyring path or fingerprints), if any.
    pub signed_by: Option<String>,
}

/// The machine's Debian archive: the URL of the main archive and of the security archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebianArchive {
    /// The release the machine runs (`VERSION_CODENAME` of `/etc/os-release`), e.g. `bookworm`.
    pub codename: String,
    /// The main archive (serves `<release>` and `<release>-updates`).
    pub main_url: String,
    /// The security archive (serves `<release>-security`).
    pub security_url: String,
}

/// The release before `codename` (oldstable when `codename` is stable), for the releases this
/// knows.
pub fn previous_release(codename: &str) -> Option<&'static str> {
    const ORDER: [&str; 6] = [
        "stretch", "buster", "bullseye", "bookworm", "trixie", "forky",
    ];
    let i = ORDER.iter().position(|c| *c == codename)?;
    i.checked_sub(1).map(|j| ORDER[j])
}

/// Parses deb822 `.sources` text: the enabled `Types: deb` paragraphs.
pub fn parse_deb822(text: &str) -> Vec<AptSource> {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in para.lines() {
            if line.trim_start().starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                if let Some((_, v)) = fields.last_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                fields.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str());
        let words = |k: &str| -> Vec<String> {
            get(k)
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_string)
                .collect()
        };
        if !words("types").iter().any(|t| t == "deb") || get("enabled") == Some("no") {
            continue;
        }
        for url in words("uris") {
            out.push(AptSource {
                url: url.trim_end_matches('/').to_string(),
                suites: words("suites"),
                components: words("components"),
                signed_by: get("signed-by").map(str::to_string),
            });
        }
    }
    out
}

/// Parses one-line `sources.list` text: the `deb` lines.
pub fn parse_one_line(text: &str) -> Vec<AptSource> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("deb ") else {
            continue;
        };
        let rest = rest.trim_start();
        let (opts, rest) = match rest.strip_prefix('[') {
            Some(r) => match r.split_once(']') {
                Some((o, r)) => (o, r),
                None => continue,
            },
            None => ("", rest),
        };
        let signed_by = opts
            .split_whitespace()
            .find_map(|o| o.strip_prefix("signed-by="))
            .map(str::to_string);
        let mut w = rest.split_whitespace();
        let (Some(url), Some(suite)) = (w.next(), w.next()) else {
            continue;
        };
        out.push(AptSource {
            url: url.trim_end_matches('/').to_string(),
            suites: vec![suite.to_string()],
            components: w.map(str::to_string).collect(),
            signed_by,
        });
    }
    out
}

/// Every `deb` source of this machine's apt configuration under `etc_apt` (`/etc/apt`):
/// `sources.list`, then `sources.list.d/*.list` and `*.sources` in name order.
pub fn machine_sources(etc_apt: &Path) -> Vec<AptSource> {
    let mut out = Vec::new();
    if let Ok(t) = std::fs::read_to_string(etc_apt.join("sources.list")) {
        out.extend(parse_one_line(&t));
    }
    let mut parts: Vec<_> = std::fs::read_dir(etc_apt.join("sources.list.d"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    parts.sort();
    for p in parts {
        let Ok(t) = std::fs::read_to_string(&p) else {
            continue;
        };
        match p.extension().and_then(|e| e.to_str()) {
            Some("list") => out.extend(parse_one_line(&t)),
            Some("sources") => out.extend(parse_deb822(&t)),
            _ => {}
        }
    }
    out
}

fn os_codename() -> Option<String> {
    let t = std::fs::read_to_string("/etc/os-release").ok()?;
    t.lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|v| v.trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
}

impl DebianArchive {
    /// The Debian archive this machine's apt reads, or why there is none to use: the release
    /// from `/etc/os-release`, the main archive as the source serving `<release>` and the
    /// security archive as the one serving `<release>-security`, both signed by
    /// [`DEBIAN_KEYRING`] (a source without `signed-by` counts when the keyring exists: apt
    /// then trusts it through `trusted.gpg.d`).
    pub fn from_machine() -> Result<DebianArchive, String> {
        if !Path::new(DEBIAN_KEYRING).is_file() {
            return Err(format!("{DEBIAN_KEYRING} is missing"));
        }
        let codename = os_codename().ok_or("no VERSION_CODENAME in /etc/os-release")?;
        let sources = machine_sources(Path::new("/etc/apt"));
        DebianArchive::from_sources(&codename, &sources)
    }

    /// [`Self::from_machine`] over given sources.
    pub fn from_sources(codename: &str, sources: &[AptSource]) -> Result<DebianArchive, String> {
        let debian: Vec<&AptSource> = sources
            .iter()
            .filter(|s| s.signed_by.as_deref().is_none_or(|k| k == DEBIAN_KEYRING))
            .filter(|s| s.components.iter().any(|c| c == "main"))
            .collect();
        let serving = |suite: &str| {
            debian
                .iter()
                .find(|s| s.suites.iter().any(|x| x == suite))
                .map(|s| s.url.clone())
        };
        let main_url = serving(codename).ok_or_else(|| {
            format!(
                "no configured Debian source serves {codename} main (signed by {DEBIAN_KEYRING})"
            )
        })?;
        let security_url = serving(&format!("{codename}-security")).ok_or_else(|| {
            format!("no configured Debian source serves {codename}-security main")
        })?;
        Ok(DebianArchive {
            codename: codename.to_string(),
            main_url,
            security_url,
        })
    }

    /// The suites of `release` on this archive (the URLs are the configured ones; for another
    /// release than the machine's they are derived: same archives, other suite names).
    pub fn release(&self, release: &str) -> LiveRelease {
        LiveRelease {
            release: release.to_string(),
            main_url: self.main_url.clone(),
            security_url: self.security_url.clone(),
        }
    }
}

/// One release's suites on the machine's Debian archive: `<release>`, `<release>-updates`
/// (main archive) and `<release>-security` (security archive), component `main`, amd64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRelease {
    /// `bookworm`, `bullseye`, ...
    pub release: String,
    /// The main archive's URL.
    pub main_url: String,
    /// The security archive's URL.
    pub security_url: String,
}

impl LiveRelease {
    /// `(url, suites)` of the two sources.
    fn parts(&self) -> [(String, Vec<String>); 2] {
        let r = &self.release;
        [
            (
                self.main_url.clone(),
                vec![r.clone(), format!("{r}-updates")],
            ),
            (self.security_url.clone(), vec![format!("{r}-security")]),
        ]
    }

    /// A pinlock manifest (map-form sources, `signed-by` the archive keyring, amd64) locking
    /// `packages` at `*`, following Recommends when `recommends` (as apt does by default).
    pub fn manifest(&self, packages: &[&str], recommends: bool) -> String {
        let mut m = String::from("sources:\n");
        for (url, suites) in self.parts() {
            m.push_str(&format!(
                "  - url: {url}\n    suites: [{}]\n    components: [main]\n    architectures: [amd64]\n    signed-by: {DEBIAN_KEYRING}\n",
                suites.join(", ")
            ));
        }
        m.push_str("packages:\n");
        for p in packages {
            m.push_str(&format!("  {p}: \"*\"\n"));
        }
        m.push_str(&format!("recommends: {recommends}\n"));
        m
    }

    /// The same sources as deb822 paragraphs for an [`crate::AptSandbox`].
    pub fn apt_sources(&self) -> Vec<String> {
        self.parts()
            .into_iter()
            .map(|(url, suites)| {
                format!(
                    "Types: deb\nURIs: {url}\nSuites: {}\nComponents: main\nArchitectures: amd64\nSigned-By: {DEBIAN_KEYRING}\n",
                    suites.join(" ")
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCES: &str = "Types: deb\n# a comment\nURIs: http://mirror.invalid/debian/\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://mirror.invalid/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb-src\nURIs: http://src.invalid/debian\nSuites: bookworm\nComponents: main\n";

    #[test]
    fn finds_main_and_security() {
        let s = parse_deb822(SOURCES);
        assert_eq!(s.len(), 2);
        let a = DebianArchive::from_sources("bookworm", &s).unwrap();
        assert_eq!(a.main_url, "http://mirror.invalid/debian");
        assert_eq!(a.security_url, "http://mirror.invalid/debian-security");
        let r = a.release("bullseye");
        assert!(r
            .manifest(&["git"], true)
            .contains("suites: [bullseye, bullseye-updates]"));
        assert!(r.apt_sources()[1].contains("Suites: bullseye-security\n"));
        assert!(DebianArchive::from_sources("trixie", &s).is_err());
    }

    #[test]
    fn one_line_sources() {
        let s = parse_one_line(
            "# x\ndeb [arch=amd64 signed-by=/k.gpg] http://a.invalid/debian bookworm main contrib # c\ndeb-src http://b.invalid/debian bookworm main\ndeb http://c.invalid/debian-security bookworm-security main\n",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].signed_by.as_deref(), Some("/k.gpg"));
        assert_eq!(s[0].components, ["main", "contrib"]);
        assert_eq!(s[1].suites, ["bookworm-security"]);
        assert_eq!(previous_release("bookworm"), Some("bullseye"));
    }
}
