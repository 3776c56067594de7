//! apt source definitions: the one-line form (`deb [opts] URI SUITE COMPONENT...`, sources.list(5))
//! and deb822 stanzas (`Types/URIs/Suites/Components/Architectures/Signed-By`, `.sources` files).

use std::fmt;
use std::path::PathBuf;

use crate::deb822::{paragraphs, strip_field_comments, Deb822Error};

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

/// The source options apt knows (one-line `[...]` form and deb822 fields), for "did you mean".
const KNOWN_OPTIONS: &[&str] = &[
    "arch",
    "architectures",
    "signed-by",
    "trusted",
    "check-valid-until",
    "check-date",
    "lang",
    "target",
    "pdiffs",
    "by-hash",
    "allow-insecure",
    "allow-weak",
    "inrelease-path",
    "snapshot",
];

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

/// The line without its comment: as apt's `pkgSourceList::ParseFileOldStyle`, a `#` starts a
/// comment unless more `[` than `]` precede it (a `#` inside the options).
fn strip_comment(line: &str) -> &str {
    let (mut open, mut close) = (0usize, 0usize);
    for (i, c) in line.char_indices() {
        match c {
            '[' => open += 1,
            ']' => close += 1,
            '#' if open <= close => return &line[..i],
            _ => {}
        }
    }
    line
}

/// apt's `ParseQuoteWord` on `s` from byte `at`: skips leading whitespace, reads up to the next
/// whitespace (a `"..."` or `[...]` inside the word may hold whitespace) and removes the `"`s.
/// Returns the word, the byte after it and the byte after the whitespace that follows it;
/// `None` at the end of the text or for an unclosed `"` or `[`.
///
/// Unlike apt, `%XX` escapes are kept as written (apt decodes them).
fn quote_word(s: &str, at: usize) -> Option<(String, usize, usize)> {
    let b = s.as_bytes();
    let mut i = at;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    if i >= b.len() {
        return None;
    }
    let start = i;
    while i < b.len() && !b[i].is_ascii_whitespace() {
        match b[i] {
            b'"' => i += 1 + s[i + 1..].find('"')?,
            b'[' => i += 1 + s[i + 1..].find(']')?,
            _ => {}
        }
        i += 1;
    }
    let end = i;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    Some((s[start..end].replace('"', ""), end, i))
}

/// Parses apt's one-line form: `deb [arch=amd64,arm64 signed-by=PATH] URI SUITE COMPONENT...`,
/// with apt 2.6's rules (`pkgSourceList::ParseFileOldStyle` and `Type::ParseLine` in
/// `apt-pkg/sourcelist.cc`): a `#` outside the options starts a comment; each option is
/// `key=value` with a key and a value; `]` may follow the last option without a space but must
/// be followed by one; `arch+=`/`arch-=` add to and remove from `arch=`.
///
/// Returns `Ok(None)` for `deb-src` lines (pinlock reads binary packages only) and for a line
/// whose `target=`/`target-=` options leave out `Packages` (apt reads no package index of it).
/// Refuses `trusted=yes` (pinlock never reads an unverified repository), flat repositories
/// (`SUITE` ending in `/`), which pinlock does not support yet, a line that is only a comment,
/// and `arch+=`/`arch-=` without `arch=` (apt applies them to the machine's architectures,
/// which pinlock does not have).
pub fn parse_one_line(line: &str) -> Result<Option<SourceSpec>, SourceError> {
    let shown = redact_line(line);
    let fail = |reason: &str| SourceError::Line {
        line: shown.clone(),
        reason: reason.to_string(),
    };
    let text = strip_comment(line).trim_matches([' ', '\t', '\r']);
    if text.is_empty() {
        return Err(fail(
            "the line is empty or only a comment (apt ignores it)\nhint: remove it, or comment it out in YAML (a `#` before the quoted line)",
        ));
    }
    let (kind, _) = text
        .split_once([' ', '\t', '\x0b'])
        .ok_or_else(|| fail("expected `deb [options] URI SUITE COMPONENT...`"))?;
    match kind {
        "deb" => {}
        "deb-src" => return Ok(None),
        other => {
            let hint =
                if crate::resolve::suggestions(other, ["deb", "deb-src"].into_iter()).is_empty() {
                    "the line must start with `deb`".to_string()
                } else {
                    // not the word itself: it may be a URL with credentials
                    "the line must start with `deb`\nhint: did you mean `deb`?".to_string()
                };
            return Err(fail(&hint));
        }
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
    let mut at = kind.len();
    while at < text.len() && text.as_bytes()[at].is_ascii_whitespace() {
        at += 1;
    }
    // (key, value) of every option, in order; as in apt, a later value of a key replaces an
    // earlier one, and arch+/arch- apply after arch whatever their order
    let mut options: Vec<(String, String)> = Vec::new();
    // an option word with a `]` inside: most likely a missing space after `]`; apt reads on
    // (the rest of the word is the value) and fails later, pinlock then says why
    let mut glued: Option<String> = None;
    let fail_at = |reason: &str, glued: &Option<String>| match glued {
        Some(w) => fail(&format!(
            "{reason} (option {:?} runs into the next word)\nhint: put a space after `]`",
            redact_uri(w)
        )),
        None => fail(reason),
    };
    if text[at..].starts_with('[') {
        at += 1;
        loop {
            while at < text.len() && text.as_bytes()[at].is_ascii_whitespace() {
                at += 1;
            }
            if text[at..].starts_with(']') {
                break;
            }
            let Some((mut opt, end, next)) = quote_word(text, at) else {
                return Err(fail_at("unclosed `[`: no `]` ends the options", &glued));
            };
            if opt.len() < 3 {
                return Err(fail_at(
                    &format!(
                        "option {:?} is too short to be `key=value`",
                        redact_uri(&opt)
                    ),
                    &glued,
                ));
            }
            at = next;
            if opt.ends_with(']') {
                // `[arch=amd64]`: apt takes the `]` as the end of the options, going back
                // from where the next word starts to the nearest `]`
                opt.pop();
                let lim = (next + 1).min(text.len());
                at = text[..lim].rfind(']').unwrap_or(end - 1);
            }
            if opt.contains(']') {
                glued.get_or_insert_with(|| opt.clone());
            }
            let Some((key, value)) = opt.split_once('=') else {
                let reason = format!("option {:?} has no `=value`", redact_uri(&opt));
                if glued.is_none() && opt.contains(':') {
                    // `deb [arch=amd64 http://...`: the URI read as an option
                    return Err(fail(&format!(
                        "{reason}: it looks like the URI, so the options have no closing `]`\nhint: end the options with `]` before the URI"
                    )));
                }
                return Err(fail_at(&reason, &glued));
            };
            if key.is_empty() {
                return Err(fail_at(
                    &format!("option {:?} has no key before `=`", redact_uri(&opt)),
                    &glued,
                ));
            }
            if value.is_empty() {
                return Err(fail(&format!(
                    "option `{}=` has no value (apt refuses it too)\nhint: give a value (e.g. `arch=amd64`) or remove the option",
                    redact_uri(key)
                )));
            }
            options.push((key.to_string(), value.to_string()));
        }
        at += 1;
    }
    let word = |at: usize| quote_word(text, at);
    let (uri, _, at) = word(at).ok_or_else(|| fail_at("missing URI", &glued))?;
    if uri.starts_with(']') || uri.starts_with('[') {
        return Err(fail(&format!(
            "stray `{}` where the URI should be\nhint: options go in one `[...]` right after `deb`, e.g. `deb [arch=amd64] URI SUITE COMPONENT`",
            &uri[..1]
        )));
    }
    let (suite, _, mut at) = word(at).ok_or_else(|| fail_at("missing suite", &glued))?;
    if suite.ends_with('/') {
        return Err(fail(
            "flat repositories (a suite ending in `/`) are not supported",
        ));
    }
    spec.uri = uri;
    spec.suites.push(suite);
    while let Some((c, _, next)) = word(at) {
        spec.components.push(c);
        at = next;
    }
    if spec.components.is_empty() {
        return Err(fail_at(
            "missing component (e.g. `stable` or `main`)",
            &glued,
        ));
    }
    let (mut plus, mut minus) = (None, None);
    let mut targets = Targets::default();
    for (k, v) in &options {
        match k.to_ascii_lowercase().as_str() {
            "arch+" => plus = Some(v.clone()),
            "arch-" => minus = Some(v.clone()),
            "target" => targets.set = Some(v.clone()),
            "target+" => targets.add = Some(v.clone()),
            "target-" => targets.remove = Some(v.clone()),
            _ => apply_option(&mut spec, k, v, &shown, 0, "")?,
        }
    }
    apply_arch_plus_minus(&mut spec, plus.as_deref(), minus.as_deref(), &ONE_LINE_ARCH)
        .map_err(|reason| fail(&reason))?;
    if !targets.reads_packages() {
        return Ok(None);
    }
    Ok(Some(spec))
}

/// A source's `target=`/`target+=`/`target-=` options (deb822 `Targets`, `Targets-Add`,
/// `Targets-Remove`): the index targets apt downloads for it (`Packages`, `Translations`, ...).
#[derive(Default)]
struct Targets {
    set: Option<String>,
    add: Option<String>,
    remove: Option<String>,
}

impl Targets {
    /// True if apt reads the source's `Packages` indexes: `Packages` is a default target, so
    /// only a `target=` list without it or a `target-=` naming it turns them off (apt's
    /// test-sourceslist-target-plusminus-options: `target=Contents` reads no `Packages`).
    fn reads_packages(&self) -> bool {
        let has = |v: &Option<String>| {
            split_list(v.as_deref().unwrap_or(""))
                .iter()
                .any(|t| t == "Packages")
        };
        let base = self.set.is_none() || has(&self.set);
        (base || has(&self.add)) && !has(&self.remove)
    }
}

/// How the architecture options are spelt in each form, for messages.
struct ArchNames {
    set: &'static str,
    add: &'static str,
    remove: &'static str,
    example: &'static str,
}

const ONE_LINE_ARCH: ArchNames = ArchNames {
    set: "arch=",
    add: "arch+=",
    remove: "arch-=",
    example: "arch=amd64,arm64",
};

const DEB822_ARCH: ArchNames = ArchNames {
    set: "Architectures:",
    add: "Architectures-Add:",
    remove: "Architectures-Remove:",
    example: "Architectures: amd64 arm64",
};

/// `arch+=`/`arch-=` (deb822 `Architectures-Add`/`-Remove`) as apt applies them
/// (`parsePlusMinusArchOptions` in `apt-pkg/deb/debmetaindex.cc`): to the `arch=` list, `+`
/// adding what is not there yet, then `-` removing. Without `arch=`, apt starts from the
/// machine's architectures, which pinlock has none of: refused. `all` in either is refused
/// (pinlock has no `implicit:all` switch). Returns the reason of a refusal.
fn apply_arch_plus_minus(
    spec: &mut SourceSpec,
    plus: Option<&str>,
    minus: Option<&str>,
    names: &ArchNames,
) -> Result<(), String> {
    if plus.is_none() && minus.is_none() {
        return Ok(());
    }
    let opt = if plus.is_some() {
        names.add
    } else {
        names.remove
    };
    if spec.architectures.is_empty() {
        return Err(format!(
            "{opt} changes apt's default architectures, which are the machine's; pinlock locks for no machine in particular\nhint: list the architectures with `{}` (e.g. `{}`)",
            names.set, names.example
        ));
    }
    let plus = split_list(plus.unwrap_or(""));
    let minus = split_list(minus.unwrap_or(""));
    if plus.iter().chain(&minus).any(|a| a == "all") {
        return Err(format!(
            "`all` in {} or {} is not supported: pinlock reads binary-all as the Release says\nhint: remove `all` from the option",
            names.add, names.remove
        ));
    }
    for a in plus {
        if !spec.architectures.contains(&a) {
            spec.architectures.push(a);
        }
    }
    spec.architectures.retain(|a| !minus.contains(a));
    if spec.architectures.is_empty() {
        return Err(format!(
            "{} removes every architecture of {}\nhint: leave at least one architecture",
            names.remove, names.set
        ));
    }
    Ok(())
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
        "lang"
        | "lang+"
        | "lang-"
        | "target"
        | "pdiffs"
        | "by-hash"
        | "allow-insecure"
        | "allow-weak"
        | "allow-downgrade-to-insecure"
        | "inrelease-path"
        | "snapshot"
        | "languages"
        | "languages-add"
        | "languages-remove"
        | "targets"
        | "targets-add"
        | "targets-remove"
        | "enabled"
        | "date-max-future"
        | "valid-until-min"
        | "valid-until-max"
        | "x-repolib-name" => {}
        other => {
            let near = crate::resolve::suggestions(other, KNOWN_OPTIONS.iter().copied());
            let other = redact_uri(other);
            let hint = match near.first() {
                Some(n) => format!("\nhint: did you mean `{n}`?"),
                None => "\nhint: pinlock reads apt's options arch=, signed-by=, check-valid-until=, check-date= (and ignores apt's download options)".into(),
            };
            return Err(fail(format!("unknown source option {other:?}{hint}")));
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

/// The fields of a deb822 stanza apt 2.6 reads (`pkgSourceList::Type::ParseStanza` and its
/// option mapping in `apt-pkg/sourcelist.cc`), lowercase; apt ignores every other field.
const DEB822_FIELDS: &[&str] = &[
    "types",
    "uris",
    "suites",
    "components",
    "enabled",
    "architectures",
    "architectures-add",
    "architectures-remove",
    "languages",
    "languages-add",
    "languages-remove",
    "targets",
    "targets-add",
    "targets-remove",
    "trusted",
    "check-valid-until",
    "valid-until-min",
    "valid-until-max",
    "check-date",
    "date-max-future",
    "signed-by",
    "pdiffs",
    "by-hash",
];

/// Parses deb822 `.sources` text: one [`SourceSpec`] per URI of each enabled `Types: deb`
/// stanza whose `Targets` include `Packages` (the default). Fields apt does not read are
/// ignored, as apt ignores them, and so are comment lines inside a field. `file` names the text in errors.
pub fn parse_deb822(text: &str, file: &str) -> Result<Vec<SourceSpec>, SourceError> {
    let mut out = Vec::new();
    // apt reads `.sources` with comment support: a comment inside a field does not end it
    let text = strip_field_comments(text);
    for p in paragraphs(&text, file)? {
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
        let (mut plus, mut minus) = (None, None);
        let mut targets = Targets::default();
        for (name, value, line) in &p.fields {
            let name = name.to_ascii_lowercase();
            // apt 2.6's ParseStanza reads only these fields and ignores any other
            // (`Description`, `X-Repolib-Name`, ...; apt's test-apt-sources-deb822)
            if !DEB822_FIELDS.contains(&name.as_str()) {
                continue;
            }
            match name.as_str() {
                "types" | "uris" | "suites" | "components" | "enabled" => {}
                // apt: Architectures-Add/-Remove are arch+/arch-, applied after Architectures
                "architectures-add" => plus = Some(&**value),
                "architectures-remove" => minus = Some(&**value),
                "targets" => targets.set = Some(value.to_string()),
                "targets-add" => targets.add = Some(value.to_string()),
                "targets-remove" => targets.remove = Some(value.to_string()),
                other => apply_option(&mut spec, other, value, "", *line, file)?,
            }
        }
        apply_arch_plus_minus(&mut spec, plus, minus, &DEB822_ARCH).map_err(|r| bad(&r))?;
        if !targets.reads_packages() {
            continue; // apt reads no Packages index of this stanza
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

    fn one(line: &str) -> SourceSpec {
        parse_one_line(line)
            .unwrap_or_else(|e| panic!("{line:?}: {e}"))
            .unwrap_or_else(|| panic!("{line:?}: no source"))
    }

    fn refused(line: &str) -> String {
        match parse_one_line(line) {
            Err(e) => e.to_string(),
            Ok(s) => panic!("{line:?} accepted: {s:?}"),
        }
    }

    /// `#` starts a comment outside `[...]` (apt's `pkgSourceList::ParseFileOldStyle`).
    #[test]
    fn one_line_comments() {
        let s = one("deb [signed-by=k.asc] http://h.example/debian stable main # non-free");
        assert_eq!(s.components, ["main"]);
        let s = one("deb [signed-by=k.asc] http://h.example/debian stable main#contrib");
        assert_eq!(s.components, ["main"]);
        // inside the options a `#` is part of the value, as in apt
        let s = one("deb [signed-by=keys/a#b.asc] http://h.example/debian stable main");
        assert_eq!(
            s.signed_by,
            Some(SignedBy::Files(vec!["keys/a#b.asc".into()]))
        );
        // a line that is only a comment is refused: in a manifest it is a mistake
        let e = refused("# deb http://h.example/debian stable main");
        assert!(e.contains("only a comment"), "{e}");
        assert!(e.contains("\nhint: "), "{e}");
        // the comment may hide the components: then they are missing
        let e = refused("deb http://h.example/debian stable #main");
        assert!(e.contains("missing component"), "{e}");
    }

    /// The one-line vectors of apt's `test/integration/test-apt-sources-deb822` (old style
    /// cases), with apt's verdict: tabs, a forgotten `]`, a stray `]`, no key, no value.
    #[test]
    fn one_line_apt_test_vectors() {
        let s = one("deb\thttp://ftp.example/debian\tstable main");
        assert_eq!(
            (s.uri.as_str(), s.components.as_slice()),
            ("http://ftp.example/debian", &["main".to_string()][..])
        );
        // apt: "[option] not assignment"
        let e =
            refused("deb [arch=amd64 arch+=armel,powerpc http://ftp.example/debian stable main");
        assert!(e.contains("has no `=value`"), "{e}");
        // apt: "URI parse"
        let e = refused("deb ] http://ftp.example/debian stable main");
        assert!(e.contains("stray `]`"), "{e}");
        // apt: "[option] no key"
        let e = refused("deb [=test] http://ftp.example/debian stable main");
        assert!(e.contains("no key"), "{e}");
        // apt: "[option] no value"
        let e = refused("deb [test=] http://ftp.example/debian stable main");
        assert!(e.contains("no value"), "{e}");
        let e = refused("deb [arch=] http://ftp.example/debian stable main");
        assert!(e.contains("option `arch=` has no value"), "{e}");
        assert!(e.contains("\nhint: "), "{e}");
    }

    #[test]
    fn one_line_brackets() {
        // `]` right after the last option, or after a space; `[ ]` with spaces inside
        for line in [
            "deb [arch=amd64] http://h.example/r stable main",
            "deb [arch=amd64 ] http://h.example/r stable main",
            "deb [ arch=amd64 ] http://h.example/r stable main",
            "deb [ arch=amd64] http://h.example/r stable main",
        ] {
            assert_eq!(one(line).architectures, ["amd64"], "{line}");
        }
        assert!(one("deb [] http://h.example/r stable main")
            .architectures
            .is_empty());
        // no space after `]`: apt reads `amd64]http://...` as the value and fails on `stable`
        let e = refused("deb [arch=amd64]http://h.example/r stable main");
        assert!(e.contains("hint: put a space after `]`"), "{e}");
        let e = refused("deb [arch=amd64 http://h.example/r stable main]");
        assert!(e.contains("no `=value`"), "{e}");
        let e = refused("deb [arch=amd64");
        assert!(e.contains("unclosed `[`"), "{e}");
        // the quotes of a quoted word are removed (apt's ParseQuoteWord)
        let s = one("deb [signed-by=\"/k/a.asc\"] \"http://h.example/r\" stable main");
        assert_eq!(s.signed_by, Some(SignedBy::Files(vec!["/k/a.asc".into()])));
        assert_eq!(s.uri, "http://h.example/r");
    }

    /// `arch+=`/`arch-=` on an `arch=` list: the cases of apt's
    /// `test/integration/test-sourceslist-arch-plusminus-options` that start from `arch=`.
    #[test]
    fn one_line_arch_plus_minus() {
        let archs = |l: &str| one(l).architectures;
        assert_eq!(
            archs("deb [arch=mips,i386 arch-=mips] http://h.example/r stable main"),
            ["i386"]
        );
        assert_eq!(
            archs("deb [arch=mips,i386 arch+=armhf] http://h.example/r stable main"),
            ["mips", "i386", "armhf"]
        );
        assert_eq!(
            archs("deb [arch=mips,i386 arch+=mips] http://h.example/r stable main"),
            ["mips", "i386"]
        );
        // order of the options does not matter: + then -
        assert_eq!(
            archs(
                "deb [arch-=i386 arch=amd64,i386 arch+=i386,arm64] http://h.example/r stable main"
            ),
            ["amd64", "arm64"]
        );
        // without arch=, apt starts from the machine's architectures: refused with a hint
        for line in [
            "deb [arch+=amd64] http://h.example/r stable main",
            "deb [arch-=i386] http://h.example/r stable main",
        ] {
            let e = refused(line);
            assert!(e.contains("machine"), "{e}");
            assert!(
                e.contains("hint: list the architectures with `arch=`"),
                "{e}"
            );
        }
        let e = refused("deb [arch=i386 arch-=all] http://h.example/r stable main");
        assert!(e.contains("`all`"), "{e}");
        let e = refused("deb [arch=i386 arch-=i386] http://h.example/r stable main");
        assert!(e.contains("removes every architecture"), "{e}");
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

    /// apt reads `.sources` with `pkgTagFile::SUPPORT_COMMENTS`: a comment line between a field
    /// and its continuation lines is dropped and the field goes on (was "continuation line
    /// without a field before it").
    #[test]
    fn deb822_comment_inside_a_field() {
        let text = "# top\nTypes: deb\nURIs: http://x/\nSuites: a\nComponents: main\n# non-free\n contrib\n# end\n";
        let s = parse_deb822(text, "x.sources").unwrap();
        assert_eq!(s[0].components, ["main", "contrib"]);
    }

    /// apt's ParseStanza ignores the fields it does not map (`Description`, `X-Repolib-Name`,
    /// ...); they were refused as unknown options.
    #[test]
    fn deb822_ignores_fields_apt_ignores() {
        let text = "Types: deb\nURIs: http://x/\nSuites: a\nComponents: main\nDescription: short\n long\nX-Repolib-Name: x\nLanguages-Add: de\n";
        let s = parse_deb822(text, "x.sources").unwrap();
        assert_eq!(s[0].components, ["main"]);
    }

    /// `target=`/`target+=`/`target-=` (deb822 `Targets`...): without `Packages` apt reads no
    /// package index of the source, so neither does pinlock; `lang+=`/`lang-=` are accepted
    /// (apt's test-sourceslist-{target,lang}-plusminus-options).
    #[test]
    fn targets_without_packages_read_nothing() {
        let line = |opts: &str| parse_one_line(&format!("deb [{opts}] http://x/ a b")).unwrap();
        assert!(line("target=Contents").is_none());
        assert!(line("target-=Packages").is_none());
        assert!(line("target=Contents target+=Packages").is_some());
        assert!(line("target=Packages,Contents").is_some());
        assert!(line("lang+=pt lang-=en target+=AppStream").is_some());
        let stanza = |extra: &str| {
            parse_deb822(
                &format!("Types: deb\nURIs: http://x/\nSuites: a\nComponents: b\n{extra}"),
                "x.sources",
            )
            .unwrap()
        };
        assert!(stanza("Targets: Contents\n").is_empty());
        assert!(stanza("Targets-Remove: Packages\n").is_empty());
        assert_eq!(stanza("Targets: Translations Packages\n").len(), 1);
    }

    /// deb822 `Architectures-Add`/`-Remove` are apt's `arch+`/`arch-` (`ParseStanza` in
    /// apt-pkg/sourcelist.cc).
    #[test]
    fn deb822_architectures_add_remove() {
        let stanza =
            |extra: &str| format!("Types: deb\nURIs: http://x/\nSuites: a\nComponents: b\n{extra}");
        let s = parse_deb822(
            &stanza(
                "Architectures-Remove: i386\nArchitectures: amd64 i386\nArchitectures-Add: arm64\n",
            ),
            "x.sources",
        )
        .unwrap();
        assert_eq!(s[0].architectures, ["amd64", "arm64"]);
        let e = parse_deb822(&stanza("Architectures-Add: arm64\n"), "x.sources")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("x.sources:1: invalid source stanza: Architectures-Add:"),
            "{e}"
        );
        assert!(
            e.contains("hint: list the architectures with `Architectures:`"),
            "{e}"
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
