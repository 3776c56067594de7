//! Writing the starter manifest.

use super::env::Target;
use super::sources::DOCKER_URL;
use super::{InitScan, Section};

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn comment(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Commented source lines to start from when the playbooks add no repository init can read:
/// Docker's when the packages are Docker's, one per named release (`RELEASE` when none).
pub(crate) fn templates(targets: &[Target], docker: bool) -> Vec<String> {
    let mut by_release: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for t in targets {
        by_release.entry(&t.release).or_default().push(&t.arch);
    }
    if !docker {
        if by_release.is_empty() {
            return vec!["deb [arch=ARCH signed-by=keys/KEY.asc] URL SUITE COMPONENT".into()];
        }
        return by_release
            .iter()
            .map(|(r, a)| {
                format!(
                    "deb [arch={} signed-by=keys/KEY.asc] URL {r} COMPONENT",
                    a.join(",")
                )
            })
            .collect();
    }
    if by_release.is_empty() {
        return ["debian", "ubuntu"]
            .iter()
            .map(|d| {
                format!("deb [arch=ARCH signed-by=keys/docker.asc] {DOCKER_URL}/{d} RELEASE stable")
            })
            .collect();
    }
    by_release
        .iter()
        .map(|(r, a)| {
            let d = super::distribution_of(r).unwrap_or("DISTRIBUTION");
            format!(
                "deb [arch={} signed-by=keys/docker.asc] {DOCKER_URL}/{d} {r} stable",
                a.join(",")
            )
        })
        .collect()
}

/// Renders a starter manifest: literal sources and valid package names, what could not be
/// resolved as commented placeholders, the key commands as comments.
pub fn render_manifest(scan: &InitScan, playbooks: &[String]) -> String {
    let mut s = String::from(
        "# Starter manifest written by `pinlock init`: review the sources, keys and constraints.\n",
    );
    if !scan.keys.is_empty() {
        s.push_str("# Before `pinlock lock`, put each signed-by key in place:\n");
        for k in &scan.keys {
            match k.command() {
                Some(c) => s.push_str(&format!("#   {c}\n")),
                None => s.push_str(&format!(
                    "#   {}: copy this repository's signing key here\n",
                    k.path
                )),
            }
        }
    }
    let todo = |section: Section, s: &mut String| {
        for p in scan.placeholders.iter().filter(|p| p.section == section) {
            let for_targets = if p.targets.is_empty() {
                String::new()
            } else {
                format!(" (for {})", p.targets.join(", "))
            };
            s.push_str(&format!(
                "  # TODO {}:{}{for_targets}: {}\n  #   {}: {}\n",
                p.file,
                p.line,
                comment(&p.text),
                comment(&p.reason),
                comment(&p.fill)
            ));
        }
    };
    if scan.sources.is_empty() {
        s.push_str("sources: []\n");
    } else {
        s.push_str("sources:\n");
    }
    for src in &scan.sources {
        s.push_str(&format!("  - {}\n", quoted(src)));
    }
    todo(Section::Sources, &mut s);
    if !scan.templates.is_empty() {
        s.push_str("  # No repository task found: uncomment and complete the lines you need:\n");
        for t in &scan.templates {
            s.push_str(&format!("  # - {}\n", quoted(t)));
        }
    }
    if scan.packages.is_empty() {
        s.push_str("packages: {}\n");
    } else {
        s.push_str("packages:\n");
    }
    for p in &scan.packages {
        s.push_str(&format!("  {p}: \"*\"\n"));
    }
    if !scan.other_packages.is_empty() {
        s.push_str(
            "  # Your distribution's packages (add its repository to sources: to lock them):\n",
        );
        for p in &scan.other_packages {
            s.push_str(&format!("  # {p}: \"*\"\n"));
        }
    }
    todo(Section::Packages, &mut s);
    s.push_str("recommends: true\n");
    s.push_str("# Recommends the hosts may lack (no source has them; the host preflight skips them):\n# waive: [pigz]\n");
    s.push_str("# This project's name on the hosts (/etc/apt/preferences.d/pinlock-<project>.pref); give\n# each pinlock project that manages the same hosts its own:\n# project: default\n");
    if !playbooks.is_empty() {
        s.push_str(&format!("playbooks: [{}]\n", playbooks.join(", ")));
    }
    s
}
