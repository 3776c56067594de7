//! Credentials for private repositories in apt's `auth.conf` format (apt_auth.conf(5)):
//! `machine HOST[:PORT][/PATH] login USER password PASS`, tokens separated by any whitespace,
//! `#` comments. An entry whose machine has no scheme matches only `https://` URLs, as in apt;
//! write `machine http://host/...` to send credentials over plain HTTP.
//!
//! Credentials are never shown: [`AuthConf`]'s `Debug` prints machine names only.

use std::fmt;
use std::path::Path;

/// A parsed set of `auth.conf` entries.
#[derive(Clone, Default)]
pub struct AuthConf {
    entries: Vec<Entry>,
}

#[derive(Clone)]
struct Entry {
    machine: String,
    login: String,
    password: String,
}

impl fmt::Debug for AuthConf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| &e.machine))
            .finish()
    }
}

/// An `auth.conf` file is malformed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Reading failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A token is missing or unknown.
    #[error("{path}: {reason}")]
    Syntax {
        /// The file.
        path: String,
        /// What is wrong (never includes a password).
        reason: String,
    },
}

impl AuthConf {
    /// Parses `auth.conf` text. `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<AuthConf, AuthError> {
        let mut entries = Vec::new();
        let tokens: Vec<&str> = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .flat_map(str::split_whitespace)
            .collect();
        let mut i = 0;
        let mut cur: Option<Entry> = None;
        let syntax = |reason: String| AuthError::Syntax {
            path: path.to_string(),
            reason,
        };
        while i < tokens.len() {
            let key = tokens[i];
            let value = tokens
                .get(i + 1)
                .ok_or_else(|| syntax(format!("`{key}` without a value")))?;
            match key {
                "machine" => {
                    if let Some(e) = cur.take() {
                        entries.push(e);
                    }
                    cur = Some(Entry {
                        machine: value.to_string(),
                        login: String::new(),
                        password: String::new(),
                    });
                }
                "login" | "password" => {
                    let e = cur
                        .as_mut()
                        .ok_or_else(|| syntax(format!("`{key}` before any `machine`")))?;
                    if key == "login" {
                        e.login = value.to_string();
                    } else {
                        e.password = value.to_string();
                    }
                }
                other => return Err(syntax(format!("unknown token {other:?}"))),
            }
            i += 2;
        }
        entries.extend(cur);
        Ok(AuthConf { entries })
    }

    /// Reads and parses an `auth.conf` file.
    pub fn from_file(path: &Path) -> Result<AuthConf, AuthError> {
        let text = std::fs::read_to_string(path).map_err(|source| AuthError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Adds the entries of `other` after these (first match wins).
    pub fn extend(&mut self, other: AuthConf) {
        self.entries.extend(other.entries);
    }

    /// Returns `(login, password)` for `url`, if an entry matches its host, port and path prefix.
    pub fn lookup(&self, url: &str) -> Option<(String, String)> {
        let (scheme, rest) = url.split_once("://")?;
        self.entries
            .iter()
            .find(|e| {
                let (m_scheme, m_rest) = match e.machine.split_once("://") {
                    Some((s, r)) => (Some(s), r),
                    None => (None, e.machine.as_str()),
                };
                let scheme_ok = match m_scheme {
                    Some(s) => s == scheme,
                    None => scheme == "https",
                };
                let m_rest = m_rest.trim_end_matches('/');
                scheme_ok
                    && rest.starts_with(m_rest)
                    && matches!(rest.as_bytes().get(m_rest.len()), None | Some(b'/'))
            })
            .map(|e| (e.login.clone(), e.password.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_matches_host_and_path_prefix() {
        let a = AuthConf::parse(
            "# private\nmachine repo.example/private login bob password s3cret\nmachine http://plain.example\n login al\n password x\n",
            "auth.conf",
        )
        .unwrap();
        assert_eq!(
            a.lookup("https://repo.example/private/dists/x/InRelease"),
            Some(("bob".into(), "s3cret".into()))
        );
        assert_eq!(a.lookup("http://repo.example/private/dists/x"), None);
        assert_eq!(a.lookup("https://repo.example/privateer/x"), None);
        assert_eq!(a.lookup("http://plain.example/x").unwrap().0, "al");
        assert!(!format!("{a:?}").contains("s3cret"));
    }

    #[test]
    fn syntax_errors_do_not_leak_passwords() {
        let e = AuthConf::parse("login x password hunter2", "a").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(AuthConf::parse("machine h login", "a").is_err());
    }
}
