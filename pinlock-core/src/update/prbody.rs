//! The pull-request description and commit message of a proposal.

use std::collections::BTreeMap;

use super::plan::Proposal;
use super::review::Finding;

/// The requested packages that change: (package, old, new, bump). A package whose change reads
/// the same in every target shows its full version strings; one whose version strings differ
/// per target (Docker's `~debian.10~buster` vs `~debian.12~bookworm`) shows the upstream
/// versions instead (read as semver where they can be, as the bump is; distinct ones joined by
/// `/`) and how many targets move.
fn headline(p: &Proposal) -> Vec<(String, String, String, String)> {
    let named = |c: &&super::Change| p.packages.contains(&c.package);
    let mut picked: Vec<&super::Change> = p.changes.iter().filter(named).collect();
    if picked.is_empty() {
        picked = p.changes.iter().filter(|c| c.requested).collect();
    }
    let mut per: BTreeMap<&str, Vec<&super::Change>> = BTreeMap::new();
    for c in picked {
        per.entry(&c.package).or_default().push(c);
    }
    per.into_iter()
        .map(|(package, cs)| {
            let first = cs[0];
            let bump = first
                .bump
                .map_or_else(|| "new".to_string(), |b| b.to_string());
            let same = cs.iter().all(|c| c.old == first.old && c.new == first.new);
            if same {
                return (
                    package.to_string(),
                    first.old.clone().unwrap_or_else(|| "(none)".into()),
                    first.new.clone().unwrap_or_else(|| "(removed)".into()),
                    bump,
                );
            }
            let upstreams = |side: fn(&super::Change) -> &Option<String>, absent: &str| {
                let mut out: Vec<String> = Vec::new();
                for c in &cs {
                    let shown = match side(c) {
                        Some(v) => crate::version::Version::parse(v).map_or_else(
                            |_| v.clone(),
                            |v| {
                                v.upstream_semver()
                                    .map_or_else(|| v.upstream().to_string(), |s| s.to_string())
                            },
                        ),
                        None => absent.to_string(),
                    };
                    if !out.contains(&shown) {
                        out.push(shown);
                    }
                }
                out.join("/")
            };
            (
                package.to_string(),
                upstreams(|c| &c.old, "(none)"),
                upstreams(|c| &c.new, "(removed)"),
                format!("{bump}, {} targets", cs.len()),
            )
        })
        .collect()
}

/// The title line: `Update docker-ce 5:20.10.23~3-0~debian-buster → 5:24.0.2-1~debian.10~buster (major)`,
/// or `Update docker-ce 20.10.23 → 24.0.2 (major, 2 targets)` when the version strings differ
/// per target, or `Update docker-ce, containerd.io` for several packages.
pub fn title(p: &Proposal) -> String {
    let h = headline(p);
    match h.as_slice() {
        [] => "Update locked packages".to_string(),
        [(pkg, old, new, bump)] => format!("Update {pkg} {old} → {new} ({bump})"),
        many => format!(
            "Update {}",
            many.iter()
                .map(|x| x.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A conventional commit message: `chore(deps): update docker-ce to 5:24.0.2-1~debian.10~buster`.
pub fn commit_message(p: &Proposal) -> String {
    let h = headline(p);
    let subject = match h.as_slice() {
        [] => "chore(deps): update locked packages".to_string(),
        [(pkg, _, new, _)] => format!("chore(deps): update {pkg} to {new}"),
        many => format!(
            "chore(deps): update {}",
            many.iter()
                .map(|x| x.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut body = String::new();
    let mut lines: Vec<String> = p
        .changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} {} → {}",
                c.target,
                c.package,
                c.old.as_deref().unwrap_or("(none)"),
                c.new.as_deref().unwrap_or("(removed)")
            )
        })
        .collect();
    lines.dedup();
    for l in lines {
        body.push_str(&l);
        body.push('\n');
    }
    format!("{subject}\n\n{body}")
}

/// The default branch: `pinlock/update-<packages>` (`all` when every package was asked for),
/// with characters git refuses replaced by `-`.
pub fn branch_name(named: &[String], all: bool) -> String {
    let part = if all || named.is_empty() {
        "all".to_string()
    } else {
        named.join("-")
    };
    let clean: String = part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let clean = clean.replace("..", "-");
    format!("pinlock/update-{}", clean.trim_end_matches(['.', '-']))
}

/// Renders the Markdown description: title, the `files` the change touches (as the caller
/// wants them shown), changes per target, review findings, held versions.
pub fn render(p: &Proposal, files: &[String]) -> String {
    let mut md = format!("# {}\n\n", title(p));
    md.push_str("Proposed by `pinlock update`: review the changes below before merging; nothing is installed until the playbooks run with the new lockfile.\n\n");
    if !files.is_empty() {
        md.push_str(&format!("Files: `{}`\n\n", files.join("`, `")));
    }
    md.push_str("## Changes\n\n");
    let mut by_target: BTreeMap<&str, Vec<&super::Change>> = BTreeMap::new();
    for c in &p.changes {
        by_target.entry(&c.target).or_default().push(c);
    }
    if by_target.is_empty() {
        md.push_str("No locked package changes.\n\n");
    }
    for (t, cs) in by_target {
        md.push_str(&format!(
            "### {t}\n\n| Package | From | To | Bump |\n|---|---|---|---|\n"
        ));
        for c in cs {
            let (from, to, bump) = match (&c.old, &c.new) {
                (Some(o), Some(n)) => (
                    format!("`{o}`"),
                    format!("`{n}`"),
                    c.bump.map_or("", |b| b.as_str()).to_string(),
                ),
                (None, Some(n)) => ("—".into(), format!("`{n}`"), "added".into()),
                (Some(o), None) => (format!("`{o}`"), "—".into(), "removed".into()),
                (None, None) => continue,
            };
            let name = if c.requested {
                format!("**{}**", c.package)
            } else {
                c.package.clone()
            };
            md.push_str(&format!("| {name} | {from} | {to} | {bump} |\n"));
        }
        md.push('\n');
    }
    md.push_str("## Review\n\n");
    // Identical findings in several targets are listed once, with their targets.
    let mut grouped: BTreeMap<(u8, &str, String), Vec<&str>> = BTreeMap::new();
    // Recommends no source has: one line per package and targets.
    let mut uncovered: BTreeMap<(&str, Vec<&str>), Vec<&str>> = BTreeMap::new();
    {
        let mut per: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for f in &p.findings {
            if let Finding::Uncovered {
                target,
                package,
                relation,
                ..
            } = f
            {
                per.entry((package.as_str(), relation.as_str()))
                    .or_default()
                    .push(target.as_str());
            }
        }
        for ((package, relation), targets) in per {
            uncovered
                .entry((package, targets))
                .or_default()
                .push(relation);
        }
    }
    for f in &p.findings {
        if matches!(f, Finding::Uncovered { .. }) {
            continue;
        }
        let rank = match f {
            Finding::Rebuilt { .. } => 0,
            Finding::RelationAdded { covered: false, .. } | Finding::Uncovered { .. } => 1,
            Finding::RelationChanged { .. } => 2,
            Finding::RelationAdded { .. } | Finding::RelationRemoved { .. } => 3,
            Finding::ConflictsChanged { .. } => 4,
            Finding::VersionFormat { .. } => 5,
            Finding::OldVersionGone { .. } => 6,
        };
        grouped
            .entry((rank, f.package(), f.describe()))
            .or_default()
            .push(f.target());
    }
    let added: Vec<&super::Change> = p.changes.iter().filter(|c| c.old.is_none()).collect();
    let removed: Vec<&super::Change> = p.changes.iter().filter(|c| c.new.is_none()).collect();
    if grouped.is_empty() && added.is_empty() && removed.is_empty() && uncovered.is_empty() {
        md.push_str("No dependency, conflict or format changes in the package metadata.\n");
    }
    for ((package, targets), relations) in &uncovered {
        md.push_str(&format!(
            "- `{package}` recommends `{}`: **not covered by the lock** (no configured source has {it}; apt installs {it} from elsewhere or skips {it}) ({})\n",
            relations.join("`, `"),
            targets.join(", "),
            it = if relations.len() == 1 { "it" } else { "them" },
        ));
    }
    for ((_, _, text), targets) in &grouped {
        md.push_str(&format!("- {text} ({})\n", targets.join(", ")));
    }
    for c in added {
        md.push_str(&format!(
            "- `{}` {} joins the dependency closure ({})\n",
            c.package,
            c.new.as_deref().unwrap_or_default(),
            c.target
        ));
    }
    for c in removed {
        md.push_str(&format!(
            "- `{}` {} leaves the dependency closure ({})\n",
            c.package,
            c.old.as_deref().unwrap_or_default(),
            c.target
        ));
    }
    if !p.held.is_empty() {
        md.push_str("\n## Held back by policy\n\n");
        for h in &p.held {
            let why = match h.reason {
                super::Held::Ignored => "ignored",
                super::Held::NotAllowed => "bump larger than `allow`",
                super::Held::TooYoung => "younger than `min-age`",
                super::Held::Constraint => "outside the constraint",
            };
            md.push_str(&format!(
                "- `{}` {} ({}): {why}\n",
                h.package, h.version, h.target
            ));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::update::{Bump, Change};

    fn change(target: &str, old: &str, new: &str) -> Change {
        Change {
            target: target.into(),
            package: "docker-ce".into(),
            old: Some(old.into()),
            new: Some(new.into()),
            bump: Some(Bump::Major),
            requested: true,
        }
    }

    fn proposal(changes: Vec<Change>) -> Proposal {
        Proposal {
            packages: vec!["docker-ce".into()],
            old: Default::default(),
            lockfile: Default::default(),
            changes,
            findings: Vec::new(),
            held: Vec::new(),
        }
    }

    #[test]
    fn title_of_one_target_shows_the_full_versions() {
        let p = proposal(vec![change(
            "buster/amd64",
            "5:20.10.23~3-0~debian-buster",
            "5:24.0.2-1~debian.10~buster",
        )]);
        assert_eq!(
            title(&p),
            "Update docker-ce 5:20.10.23~3-0~debian-buster → 5:24.0.2-1~debian.10~buster (major)"
        );
    }

    #[test]
    fn title_of_several_targets_with_other_strings_shows_upstream_versions() {
        let p = proposal(vec![
            change(
                "bookworm/amd64",
                "5:20.10.23~3-0~debian-bookworm",
                "5:24.0.2-1~debian.12~bookworm",
            ),
            change(
                "buster/amd64",
                "5:20.10.23~3-0~debian-buster",
                "5:24.0.2-1~debian.10~buster",
            ),
        ]);
        assert_eq!(
            title(&p),
            "Update docker-ce 20.10.23 → 24.0.2 (major, 2 targets)"
        );
        // the same strings in both targets (arm64 and amd64 of one release): full versions
        let p = proposal(vec![
            change("buster/amd64", "1.6.18-1", "1.6.20-1"),
            change("buster/arm64", "1.6.18-1", "1.6.20-1"),
        ]);
        assert_eq!(title(&p), "Update docker-ce 1.6.18-1 → 1.6.20-1 (major)");
    }
}
