//! apt source definitions: the one-line form (`deb [opts] URI SUITE COMPONENT...`, sources.list(5))
//! and deb822 stanzas (`Types/URIs/Suites/Components/Architectures/Signed-By`, `.sources` files).

use std::fmt;
use std::path::PathBuf;

use crate::deb822::{paragraphs, Deb822Error};

/// The key(s) a source must be signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedBy {
    /// Keyring files (`.asc` armored or `.gpg` binary); relative paths are resolved by the caller.
    Files(Vec<PathBuf>),
    /// An armored public key block embedded in a deb822 stanza.
    Inline(String),
}

/// One repository root with its suites: what apt calls a source.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceSpec {
    /// Repository root: `http(s)://`, `file://` or a local path. May hold `user:pass@`; use
    /// [`SourceSpec::display_uri`] for anything shown or written.
    pub uri: String,
    /// Suites (or codenames).
    pub suites: Vec<String>,
    /// Components.
    pub components: Vec<String>,
    /// Architectures (`arch=`); empty means every architecture the Release lists.
    pub architectures: Vec<String>,
    /// Keys (`signed-by=`). Without it, pinlock refuses the source: it has no system keyring.
    pub signed_by: Option<SignedBy>,
    /// `check-valid-until=no` turns off the Valid-Until check, as in apt.
    pub check_valid_until: bool,
    /// `check-date=no` turns off the future-Date check, as in apt.
    pub check_date: bool,
}

impl fmt::Debug for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceSpec")
            .field("uri", &self.display_uri())
            .field("suites", &self.suites)
            .field("components", &self.components)
            .field("architectures", &self.architectures)
            .field("signed_by", &self.signed_by)
            .finish()
    }
}

impl SourceSpec {
    /// The URI with any `user:password@` removed, for messages, logs and lockfiles.
    pub fn display_uri(&self) -> String {
        redact_uri(&self.uri)
    }
}

/// Removes `user[:password]@` from a URI.
pub fn redact_uri(uri: &str) -> String {
    if let Some((scheme, rest)) = uri.split_once("://") {
        let auth_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..auth_end].rfind('@') {
            return format!("{scheme}://{}", &rest[at + 1..]);
        }
    }
    uri.to_string()
}

/// A source definition could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The one-line form is malformed.
    #[error("invalid source line {line:?}: {reason}")]
    Line {
        /// The line, with credentials removed.
        line: String,
        /// What is wrong.
        reason: String,
    },
    /// A deb822 stanza is malformed.
    #[error("{file}:{line}: invalid source stanza: {reason}")]
    Stanza {
        /// File name.
        file: String,
        /// Line of the stanza or field.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// deb822 syntax error.
    #[error(transparent)]
    Syntax(#[from] Deb822Error),
}

fn split_list(v: &str) -> Vec<String> {
    v.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn bool_opt(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" | "on" => Some(true),
        "no" | "false" | "0" | "off" => Some(false),
        _ => None,
    }
}

/// Parses apt's one-line form: `deb [arch=amd64,arm64 signed-by=PATH] URI SUITE COMPONENT...`.
///
/// Returns `Ok(None)` for `deb-src` lines (pinlock reads binary packages only). Refuses
/// `trusted=yes` (pinlock never reads an unverified repository) and flat repositories
/// (`SUITE` ending in `/`), which pinlock does not support yet.
pub fn parse_one_line(line: &str) -> Result<Option<SourceSpec>, SourceError> {
    let shown = redact_line(line);
    let fail = |reason: &str| SourceError::Line {
        line: shown.clone(),
        reason: reason.to_string(),
    };
    let line = line.trim();
    let (kind, mut rest) = line
        .split_once(char::is_whitespace)
        .ok_or_else(|| fail("expected `deb [options] URI SUITE COMPONENT...`"))?;
    match kind {
        "deb" => {}
        "deb-src" => return Ok(None),
        _ => return Err(fail("the line must start with `deb`")),
    }
    let mut spec = SourceSpec {
        uri: String::new(),
        suites: Vec::new(),
        components: Vec::new(),
        architectures: Vec::new(),
        signed_by: None,
        check_valid_until: true,
        check_date: true,
    };
    rest = rest.trim_start();
    if let Some(r) = rest.strip_prefix('[') {
        let close = r.find(']').ok_or_else(|| fail("unclosed `[` in options"))?;
        for opt in r[..close].split_whitespace() {
            let (k, v) = opt
                .split_once('=')
                .ok_or_else(|| fail(&format!("option {:?} has no `=value`", redact_uri(opt))))?;
            apply_option(&mut spec, k, v, &shown, 0, "")?;
        }
        rest = &r[close + 1..];
    }
    let mut words = rest.split_whitespace();
    spec.uri = words.next().ok_or_else(|| fail("missing URI"))?.to_string();
    let suite = words.next().ok_or_else(|| fail("missing suite"))?;
    if suite.ends_with('/') {
        return Err(fail(
            "flat repositories (a suite ending in `/`) are not supported",
        ));
    }
    spec.suites.push(suite.to_string());
    spec.components = words.map(str::to_string).collect();
    if spec.components.is_empty() {
        return Err(fail("missing component (e.g. `stable` or `main`)"));
    }
    Ok(Some(spec))
}

fn apply_option(
    spec: &mut SourceSpec,
    key: &str,
    value: &str,
    shown: &str,
    line: usize,
    file: &str,
) -> Result<(), SourceError> {
    let fail = |reason: String| {
        if file.is_empty() {
            SourceError::Line {
                line: shown.to_string(),
                reason,
            }
        } else {
            SourceError::Stanza {
                file: file.to_string(),
                line,
                reason,
            }
        }
    };
    match key.to_ascii_lowercase().as_str() {
        "arch" | "architectures" => spec.architectures = split_list(value),
        "signed-by" => {
            if value.contains("BEGIN PGP PUBLIC KEY BLOCK") {
                spec.signed_by = Some(SignedBy::Inline(unfold_inline_key(value)));
            } else {
                let files: Vec<PathBuf> =
                    split_list(value).into_iter().map(PathBuf::from).collect();
                if files.iter().any(|f| {
                    let s = f.to_string_lossy();
                    s.len() >= 16 && s.bytes().all(|b| b.is_ascii_hexdigit())
                }) {
                    return Err(fail(
                        "signed-by with key fingerprints needs a system keyring, which pinlock does not read\nhint: give the path of the key file instead".into(),
                    ));
                }
                spec.signed_by = Some(SignedBy::Files(files));
            }
        }
        "trusted" => {
            if bool_opt(value) == Some(true) {
                return Err(fail(
                    "trusted=yes turns off signature checks; pinlock only reads verified repositories\nhint: use signed-by=PATH with the repository's key".into(),
                ));
            }
        }
        "check-valid-until" => spec.check_valid_until = bool_opt(value).unwrap_or(true),
        "check-date" => spec.check_date = bool_opt(value).unwrap_or(true),
        "arch+"
        | "arch-"
        | "lang"
        | "target"
        | "pdiffs"
        | "by-hash"
        | "allow-insecure"
        | "allow-weak"
        | "allow-downgrade-to-insecure"
        | "inrelease-path"
        | "snapshot"
        | "languages"
        | "targets"
        | "enabled"
        | "date-max-future"
        | "valid-until-min"
        | "valid-until-max"
        | "x-repolib-name" => {}
        other => {
            let other = redact_uri(other);
            return Err(fail(format!("unknown source option {other:?}")));
        }
    }
    Ok(())
}

/// Deb822 multi-line values mark empty lines with ` .`; turn them back into empty lines.
fn unfold_inline_key(v: &str) -> String {
    let mut out = String::new();
    for l in v.lines() {
        let t = l.trim();
        if t != "." {
            out.push_str(t);
        }
        out.push('\n');
    }
    out
}

fn redact_line(line: &str) -> String {
    line.split_whitespace()
        .map(|w| {
            if w.contains("://") {
                redact_uri(w)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses deb822 `.sources` text: one [`SourceSpec`] per URI of each enabled `Types: deb`
/// stanza. `file` names the text in errors.
pub fn parse_deb822(text: &str, file: &str) -> Result<Vec<SourceSpec>, SourceError> {
    let mut out = Vec::new();
    for p in paragraphs(text, file)? {
        let bad = |reason: &str| SourceError::Stanza {
            file: file.to_string(),
            line: p.line,
            reason: reason.to_string(),
        };
        let types = split_list(p.get("Types").ok_or_else(|| bad("missing Types"))?);
        if p.get("Enabled").and_then(bool_opt) == Some(false) || !types.iter().any(|t| t == "deb") {
            continue;
        }
        let uris = split_list(p.get("URIs").ok_or_else(|| bad("missing URIs"))?);
        let suites = split_list(p.get("Suites").ok_or_else(|| bad("missing Suites"))?);
        // a field present but blank (`Suites:` with only blanks or a CR) is missing too
        if uris.is_empty() {
            return Err(bad("missing URIs"));
        }
        if suites.is_empty() {
            return Err(bad("missing Suites"));
        }
        if suites.iter().any(|s| s.ends_with('/')) {
            return Err(bad(
                "flat repositories (a suite ending in `/`) are not supported",
            ));
        }
        let components = split_list(p.get("Components").unwrap_or(""));
        if components.is_empty() {
            return Err(bad("missing Components"));
        }
        let mut spec = SourceSpec {
            uri: String::new(),
            suites,
            components,
            architectures: Vec::new(),
            signed_by: None,
            check_valid_until: true,
            check_date: true,
        };
        for (name, value, line) in &p.fields {
            match name.to_ascii_lowercase().as_str() {
                "types" | "uris" | "suites" | "components" => {}
                other => apply_option(&mut spec, other, value, "", *line, file)?,
            }
        }
        for uri in uris {
            out.push(SourceSpec {
                uri,
                ..spec.clone()
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_docker_source() {
        let s = parse_one_line(
            "deb [arch=amd64,arm64 signed-by=keys/docker.asc] https://download.example/linux/debian buster stable",
        )
        .unwrap()
        .unwrap();
        assert_eq!(s.uri, "https://download.example/linux/debian");
        assert_eq!(s.suites, ["buster"]);
        assert_eq!(s.components, ["stable"]);
        assert_eq!(s.architectures, ["amd64", "arm64"]);
        assert_eq!(
            s.signed_by,
            Some(SignedBy::Files(vec!["keys/docker.asc".into()]))
        );
        assert!(parse_one_line("deb-src http://x/ a b").unwrap().is_none());
    }

    #[test]
    fn one_line_refusals_hide_credentials() {
        let e = parse_one_line("deb [trusted=yes] https://u:secret@h.example/r buster stable")
            .unwrap_err()
            .to_string();
        assert!(e.contains("trusted=yes"), "{e}");
        assert!(!e.contains("secret"), "{e}");
        assert!(parse_one_line("deb http://h/r ./").is_err());
        assert!(parse_one_line("deb http://h/r buster").is_err());
        assert!(parse_one_line("rpm http://h/r buster main").is_err());
        assert!(parse_one_line("deb [frob=1] http://h/r buster main").is_err());
    }

    #[test]
    fn deb822_stanzas() {
        let text = "Types: deb deb-src\nURIs: https://a.example/ubuntu https://b.example/ubuntu\nSuites: noble\nComponents: stable\nArchitectures: arm64\nSigned-By: /etc/apt/keyrings/docker.asc\n\nTypes: deb-src\nURIs: http://x/\nSuites: a\nComponents: b\n\nTypes: deb\nEnabled: no\nURIs: http://x/\nSuites: a\nComponents: b\n";
        let s = parse_deb822(text, "docker.sources").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].uri, "https://b.example/ubuntu");
        assert_eq!(s[0].architectures, ["arm64"]);
        let e = parse_deb822("Types: deb\nSuites: a\n", "x.sources").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.sources:1: invalid source stanza: missing URIs"
        );
    }

    #[test]
    fn deb822_inline_key() {
        let text = "Types: deb\nURIs: http://x/\nSuites: a\nComponents: b\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n -----END PGP PUBLIC KEY BLOCK-----\n";
        let s = parse_deb822(text, "x.sources").unwrap();
        assert_eq!(
            s[0].signed_by,
            Some(SignedBy::Inline(
                "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nabc\n-----END PGP PUBLIC KEY BLOCK-----\n"
                    .into()
            ))
        );
    }

    #[test]
    fn redacts_userinfo() {
        assert_eq!(
            redact_uri("https://u:p@h.example/a@b"),
            "https://h.example/a@b"
        );
        assert_eq!(redact_uri("/srv/repo"), "/srv/repo");
    }
}
