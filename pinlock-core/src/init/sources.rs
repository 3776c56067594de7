//! Repository lines: a role's (possibly Jinja) `apt_repository` line becomes one literal source
//! per release, with `arch=` the targets' architectures and `signed-by=` a local key file; or,
//! when that cannot be done honestly, an [`Unresolved`] that `init` turns into a placeholder.

use std::collections::{BTreeMap, BTreeSet};

use super::discover::{KeyTask, RepoTask};
use super::env::{Env, Target};
use super::jinja::{has_jinja, render, single_expression, JVal, Unresolved};

/// Docker's signing key (the same for its Debian and Ubuntu repositories).
pub const DOCKER_FINGERPRINT: &str = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88";
/// Docker's repositories, by distribution.
pub const DOCKER_URL: &str = "https://download.docker.com/linux";
/// Packages Docker's repository serves.
pub const DOCKER_PACKAGES: &[&str] = &[
    "containerd.io",
    "docker-buildx-plugin",
    "docker-ce",
    "docker-ce-cli",
    "docker-ce-rootless-extras",
    "docker-compose-plugin",
    "docker-model-plugin",
    "docker-scan-plugin",
];

/// A key file the manifest's `signed-by` names, and where to get it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyFile {
    /// `keys/<name>`, relative to the manifest.
    pub path: String,
    /// Where the playbooks download it from, when known.
    pub url: Option<String>,
    /// The fingerprint it must have, for repositories init knows (Docker's).
    pub fingerprint: Option<String>,
}

impl KeyFile {
    /// A one-line shell command that fetches the key and, when its fingerprint is known,
    /// removes it again (and fails) unless it is the expected key.
    pub fn command(&self) -> Option<String> {
        let url = self.url.as_ref()?;
        let p = &self.path;
        Some(match &self.fingerprint {
            Some(fpr) => format!(
                "mkdir -p keys && curl -fsSL {url} -o {p} && gpg --show-keys --with-colons {p} | grep -q '^fpr:::::::::{fpr}:' || {{ rm -f {p}; echo '{p}: not the expected key, removed' >&2; false; }}"
            ),
            None => format!("mkdir -p keys && curl -fsSL {url} -o {p} && gpg --show-keys {p}"),
        })
    }
}

/// Whether `uri` is Docker's repository for Debian or Ubuntu.
pub(crate) fn is_docker(uri: &str) -> bool {
    let u = uri.trim_end_matches('/');
    u == format!("{DOCKER_URL}/debian") || u == format!("{DOCKER_URL}/ubuntu")
}

/// One resolved source for one target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Resolved {
    pub uri: String,
    pub suite: String,
    pub components: Vec<String>,
    pub archs: BTreeSet<String>,
    pub key: KeyFile,
}

impl Resolved {
    pub(crate) fn line(&self) -> String {
        let mut opts = Vec::new();
        if !self.archs.is_empty() {
            opts.push(format!(
                "arch={}",
                self.archs.iter().cloned().collect::<Vec<_>>().join(",")
            ));
        }
        opts.push(format!("signed-by={}", self.key.path));
        format!(
            "deb [{}] {} {} {}",
            opts.join(" "),
            self.uri,
            self.suite,
            self.components.join(" ")
        )
    }
}

/// The result of one repository task for one target.
pub(crate) enum Outcome {
    Source(Resolved),
    /// The line is for another distribution than the target's (e.g. `.../ubuntu` for bookworm).
    OtherDistribution(String),
    /// Not a `deb` line (`deb-src`), or a repository for another OS family.
    Ignored,
}

/// Splits on whitespace outside `{{ }}` and `{% %}`.
pub(crate) fn split_outside_jinja(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let b = s.as_bytes();
    let mut i = 0;
    while i < s.len() {
        let two = &b[i..(i + 2).min(b.len())];
        if two == b"{{" || two == b"{%" {
            depth += 1;
            cur.push_str(&s[i..i + 2]);
            i += 2;
            continue;
        }
        if (two == b"}}" || two == b"%}") && depth > 0 {
            depth -= 1;
            cur.push_str(&s[i..i + 2]);
            i += 2;
            continue;
        }
        let c = s[i..].chars().next().unwrap_or(' ');
        if depth == 0 && c.is_whitespace() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
        i += c.len_utf8();
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Replaces each `{{ var }}` whose variable is a string by that string's text (so a line kept
/// in a variable is read with its own structure), a few rounds deep.
fn inline_vars(template: &str, env: &Env<'_>) -> String {
    use super::jinja::Scope;
    let mut text = template.to_string();
    for _ in 0..8 {
        let mut changed = false;
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("{{") {
            let Some(j) = rest[i..].find("}}") else { break };
            let whole = &rest[i..i + j + 2];
            out.push_str(&rest[..i]);
            // facts stay: `arch=` and the release are filled per target
            let path = super::jinja::var_path(whole)
                .filter(|p| !p[0].starts_with("ansible_") && p[0] != "ansible_facts");
            match path.map(|p| env.lookup(&p)) {
                Some(Ok(Some(JVal::Str(v)))) => {
                    out.push_str(&v);
                    changed = true;
                }
                _ => out.push_str(whole),
            }
            rest = &rest[i + j + 2..];
        }
        out.push_str(rest);
        text = out;
        if !changed {
            break;
        }
    }
    text
}

fn render_str(t: &str, env: &Env<'_>) -> Result<String, Unresolved> {
    match render(t, env, 0)? {
        JVal::Str(s) => Ok(s),
        _ => Err(Unresolved {
            expr: t.to_string(),
            reason: "gives a list where a word of the repository line is expected".into(),
            needs_target: false,
        }),
    }
}

/// The path in a conditional `{{ ' signed-by=/x.asc' if ... }}`, removed from `opt`.
fn conditional_signed_by(opt: &mut String) -> Option<String> {
    let mut from = 0;
    while let Some(i) = opt[from..].find("{{").map(|i| i + from) {
        let j = opt[i..].find("}}")? + i + 2;
        let inner = &opt[i..j];
        if let Some(k) = inner.find("signed-by=") {
            let path: String = inner[k + "signed-by=".len()..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '\'' && *c != '"' && *c != ']')
                .collect();
            opt.replace_range(i..j, "");
            return (!path.is_empty() && !has_jinja(&path)).then_some(path);
        }
        from = j;
    }
    None
}

fn base_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

/// `keys/<name>` for a key at `url` when its file name says nothing (`.../gpg`).
fn key_name_for_url(url: &str, docker: bool) -> String {
    if docker {
        return "docker.asc".into();
    }
    let name = base_name(url);
    if [".asc", ".gpg", ".key", ".pgp"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        return name.to_string();
    }
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', ':'])
        .next()
        .unwrap_or("repo");
    let labels: Vec<&str> = host.split('.').collect();
    let label = if labels.len() >= 2 {
        labels[labels.len() - 2]
    } else {
        labels[0]
    };
    format!("{label}.asc")
}

/// Resolves one repository task for one target (`None`: no target named). An error shows the
/// line (its variables written out) and names the part that failed in its reason.
pub(crate) fn resolve(
    task: &RepoTask,
    keys: &[KeyTask],
    env: &Env<'_>,
) -> Result<Outcome, Unresolved> {
    let template = inline_vars(&task.template, env);
    resolve_line(&template, keys, env).map_err(|mut e| {
        if e.expr != template {
            if !e.reason.contains(&e.expr) {
                e.reason = format!("{}: {}", e.expr, e.reason);
            }
            e.expr = template.clone();
        }
        e
    })
}

fn resolve_line(template: &str, keys: &[KeyTask], env: &Env<'_>) -> Result<Outcome, Unresolved> {
    let target: Option<&Target> = env.target;
    let template = template.to_string();
    let mut tokens = split_outside_jinja(&template);
    if tokens.len() == 1 && single_expression(&tokens[0]).is_some() {
        // the whole line is an expression: its value is the line
        tokens = split_outside_jinja(&render_str(&tokens[0], env)?);
    }
    match tokens.first().map(String::as_str) {
        Some("deb") => {}
        Some(t) if t.starts_with("deb-src") => return Ok(Outcome::Ignored),
        _ => {
            return Err(Unresolved {
                expr: template.clone(),
                reason: "is not a `deb ...` line init can read".into(),
                needs_target: false,
            })
        }
    }
    let mut rest = &tokens[1..];
    let mut opts: Vec<String> = Vec::new();
    if rest.first().is_some_and(|t| t.starts_with('[')) {
        let end = rest
            .iter()
            .position(|t| t.ends_with(']'))
            .ok_or_else(|| Unresolved {
                expr: template.clone(),
                reason: "has `[` without `]`".into(),
                needs_target: false,
            })?;
        let joined = rest[..=end].join(" ");
        let inner = joined[1..joined.len() - 1].to_string();
        opts = split_outside_jinja(&inner);
        rest = &rest[end + 1..];
    }
    let mut arch_literal: Option<String> = None;
    let mut has_arch = false;
    let mut signed: Option<Result<String, Unresolved>> = None;
    for mut opt in opts {
        let cond = conditional_signed_by(&mut opt);
        if let Some(path) = cond {
            signed = Some(Ok(path));
        }
        if opt.is_empty() {
            continue;
        }
        let (k, v) = opt.split_once('=').unwrap_or((opt.as_str(), ""));
        match k {
            "arch" | "architectures" => {
                has_arch = true;
                if !has_jinja(v) {
                    arch_literal = Some(v.to_string());
                }
            }
            "signed-by" => signed = Some(render_str(v, env)),
            _ => {
                // another option (lang=, pdiffs=...): not needed to lock
            }
        }
    }
    let mut words = Vec::new();
    for t in rest {
        words.extend(render_str(t, env)?.split_whitespace().map(str::to_string));
    }
    if words.len() < 2 {
        return Err(Unresolved {
            expr: template.clone(),
            reason: "has no suite after the URL".into(),
            needs_target: false,
        });
    }
    let uri = words[0].clone();
    let lower = uri.to_ascii_lowercase();
    if ["yum", "rpm", "centos", "fedora", "rhel", "/el/"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return Ok(Outcome::Ignored);
    }
    if let Some(t) = target {
        let segs: Vec<&str> = lower.split('/').collect();
        for (d, other) in [("debian", "ubuntu"), ("ubuntu", "debian")] {
            if segs.contains(&other) && !segs.contains(&d) && t.distribution() == Some(d) {
                return Ok(Outcome::OtherDistribution(other.to_string()));
            }
        }
    }
    let archs: BTreeSet<String> = match (&arch_literal, target) {
        (Some(a), _) => a.split(',').map(str::to_string).collect(),
        (None, Some(t)) => BTreeSet::from([t.arch.clone()]),
        (None, None) if has_arch => {
            return Err(Unresolved {
                expr: template.clone(),
                reason: "its arch= depends on the host: name the targets (--target RELEASE/ARCH)"
                    .into(),
                needs_target: true,
            })
        }
        (None, None) => BTreeSet::new(),
    };
    let docker = is_docker(&uri);
    let key = key_file(signed, keys, env, &uri, docker)?;
    let resolved = Resolved {
        uri,
        suite: words[1].clone(),
        components: words[2..].to_vec(),
        archs,
        key,
    };
    let line = resolved.line();
    if has_jinja(&line) {
        return Err(Unresolved {
            expr: template,
            reason: "still holds Jinja after evaluation".into(),
            needs_target: false,
        });
    }
    crate::source::parse_one_line(&line).map_err(|e| Unresolved {
        expr: template.clone(),
        reason: format!("does not give a valid source: {e}"),
        needs_target: false,
    })?;
    Ok(Outcome::Source(resolved))
}

fn key_file(
    signed: Option<Result<String, Unresolved>>,
    keys: &[KeyTask],
    env: &Env<'_>,
    uri: &str,
    docker: bool,
) -> Result<KeyFile, Unresolved> {
    // the key downloads of the same role or playbook, evaluated for this target
    let downloads: Vec<(Option<String>, Option<String>)> = keys
        .iter()
        .map(|k| {
            (
                render_str(&k.url, env).ok().filter(|u| !has_jinja(u)),
                k.dest.as_ref().and_then(|d| render_str(d, env).ok()),
            )
        })
        .collect();
    let fingerprint = docker.then(|| DOCKER_FINGERPRINT.to_string());
    let docker_url = docker.then(|| format!("{}/gpg", uri.trim_end_matches('/')));
    let path_of = |name: &str| format!("keys/{name}");
    let signed = match signed {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) if downloads.is_empty() && !docker => return Err(e),
        _ => None,
    };
    if let Some(s) = signed {
        if s.starts_with("http://") || s.starts_with("https://") {
            return Ok(KeyFile {
                path: path_of(&key_name_for_url(&s, docker)),
                url: Some(s),
                fingerprint,
            });
        }
        let name = base_name(&s).to_string();
        let url = downloads
            .iter()
            .find(|(_, d)| d.as_deref().map(base_name) == Some(name.as_str()))
            .or_else(|| (downloads.len() == 1).then(|| &downloads[0]))
            .and_then(|(u, _)| u.clone())
            .or(docker_url);
        return Ok(KeyFile {
            path: path_of(&name),
            url,
            fingerprint,
        });
    }
    if let Some((url, dest)) = downloads.iter().find(|(u, _)| u.is_some()) {
        let url = url.clone().unwrap_or_default();
        let name = match dest {
            Some(d) if !d.contains("trusted.gpg") => base_name(d).to_string(),
            _ => key_name_for_url(&url, docker),
        };
        return Ok(KeyFile {
            path: path_of(&name),
            url: Some(url),
            fingerprint,
        });
    }
    Ok(KeyFile {
        path: path_of(&key_name_for_url(uri, docker)),
        url: docker_url,
        fingerprint,
    })
}

/// Merges per-target results that differ only in their architectures (one source per
/// release, listing every architecture named for it).
pub(crate) fn merge(resolved: Vec<Resolved>) -> Vec<Resolved> {
    let mut by: BTreeMap<(String, String, Vec<String>, KeyFile), BTreeSet<String>> =
        BTreeMap::new();
    for r in resolved {
        by.entry((r.uri, r.suite, r.components, r.key))
            .or_default()
            .extend(r.archs);
    }
    by.into_iter()
        .map(|((uri, suite, components, key), archs)| Resolved {
            uri,
            suite,
            components,
            archs,
            key,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_jinja_and_finds_conditional_keys() {
        assert_eq!(
            split_outside_jinja("deb [arch={{ a }}{{ ' signed-by=/k.asc' if x }}] {{ u }}/x  s c"),
            [
                "deb",
                "[arch={{ a }}{{ ' signed-by=/k.asc' if x }}]",
                "{{ u }}/x",
                "s",
                "c"
            ]
        );
        let mut opt =
            "arch={{ a }}{{ ' signed-by=/etc/apt/keyrings/docker.asc' if k is not failed }}"
                .to_string();
        assert_eq!(
            conditional_signed_by(&mut opt).as_deref(),
            Some("/etc/apt/keyrings/docker.asc")
        );
        assert_eq!(opt, "arch={{ a }}");
    }

    #[test]
    fn key_names() {
        assert_eq!(
            key_name_for_url("https://pkg.vendor.example/linux/debian/gpg", false),
            "vendor.asc"
        );
        assert_eq!(
            key_name_for_url("https://r.example/k/repo.gpg", false),
            "repo.gpg"
        );
        assert_eq!(key_name_for_url("https://x/gpg", true), "docker.asc");
        let k = KeyFile {
            path: "keys/docker.asc".into(),
            url: Some(format!("{DOCKER_URL}/debian/gpg")),
            fingerprint: Some(DOCKER_FINGERPRINT.into()),
        };
        let cmd = k.command().unwrap();
        assert!(
            cmd.contains(&format!("grep -q '^fpr:::::::::{DOCKER_FINGERPRINT}:'")),
            "{cmd}"
        );
        assert!(cmd.contains("-o keys/docker.asc"), "{cmd}");
    }
}
