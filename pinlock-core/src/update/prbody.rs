//! The pull-request description and commit message of a proposal.

use std::collections::{BTreeMap, BTreeSet};

use super::plan::Proposal;
use super::review::Finding;

/// The requested packages that change: (package, old, new, bump). With `upstream`, versions
/// are shown as their upstream versions (read as semver where they can be, as the bump is:
/// `20.10.23 → 24.0.2`), unless old and new share it (a Debian revision such as
/// `1.0-1 → 1.0-1+deb12u1`, shown in full). Without it, a package whose change reads the same
/// in every target shows its full version strings. A package whose version strings differ per
/// target (Docker's `~debian.10~buster` vs `~debian.12~bookworm`) shows the upstream versions
/// (distinct ones joined by `/`) and how many targets move.
fn headline(p: &Proposal, upstream: bool) -> Vec<(String, String, String, String)> {
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
            let mut bump = first
                .bump
                .map_or_else(|| "new".to_string(), |b| b.to_string());
            if cs.iter().any(|c| c.security) {
                bump.push_str(", security");
            }
            let same = cs.iter().all(|c| c.old == first.old && c.new == first.new);
            let up_old = upstreams(&cs, |c| &c.old, "(none)");
            let up_new = upstreams(&cs, |c| &c.new, "(removed)");
            if same && !(upstream && up_old != up_new) {
                return (
                    package.to_string(),
                    first.old.clone().unwrap_or_else(|| "(none)".into()),
                    first.new.clone().unwrap_or_else(|| "(removed)".into()),
                    bump,
                );
            }
            let bump = if same {
                bump
            } else {
                format!("{bump}, {} targets", cs.len())
            };
            (package.to_string(), up_old, up_new, bump)
        })
        .collect()
}

/// The distinct upstream versions of one side of `cs`, joined by `/`.
fn upstreams(
    cs: &[&super::Change],
    side: fn(&super::Change) -> &Option<String>,
    absent: &str,
) -> String {
    let mut out: Vec<String> = Vec::new();
    for c in cs {
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
}

/// A short, stable identifier of the set of changes (target, package, old and new version):
/// the same proposal gets the same fingerprint in every run, so a scheduled job can recognise
/// a proposal that was already closed unmerged. 16 hex digits of a SHA256.
pub fn fingerprint(p: &Proposal) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for c in &p.changes {
        for part in [
            c.target.as_str(),
            c.package.as_str(),
            c.old.as_deref().unwrap_or("-"),
            c.new.as_deref().unwrap_or("-"),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        h.update([1]);
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The title line, with upstream versions: `Update docker-ce 20.10.23 → 24.0.2 (major)`,
/// `Update docker-ce 20.10.23 → 24.0.2 (major, 2 targets)` when the version strings differ
/// per target, `Update containerd.io 1.6.18-1 → 1.6.18-1+deb10u1 (patch, security)` for a new
/// revision of the same upstream, or `Update docker-ce, containerd.io` for several packages.
pub fn title(p: &Proposal) -> String {
    let h = headline(p, true);
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
    let h = headline(p, false);
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

/// The unresolved dependencies (not waived) the host preflight will require after this update
/// and that the reviewer has not accepted before: new in the lock, or needed by a package that
/// moves. One paragraph per kind, dependents and targets, naming every such dependency once:
/// `**Hosts without apparmor will stop at the preflight**: docker-ce 5:23.0.1-1~debian.10~buster
/// Recommends `apparmor`, which no configured source provides (targets: buster/amd64). …`
pub fn preflight(p: &Proposal) -> Vec<String> {
    // (kind, dependents, targets, several dependents)
    type Paragraph<'a> = (&'a str, String, String, bool);
    // (kind, dependency, relation) → (targets, dependents → their new versions)
    type Needed<'a> = (Vec<&'a str>, BTreeMap<&'a str, BTreeSet<&'a str>>);
    let mut per: BTreeMap<(&str, &str, &str), Needed<'_>> = BTreeMap::new();
    for (t, n) in &p.lockfile.targets {
        let o = p.old.targets.get(t);
        for (dep, u) in n.unresolved.iter().filter(|(_, u)| !u.waived) {
            let new = o
                .and_then(|o| o.unresolved.get(dep))
                .is_none_or(|before| before.waived);
            let moved = u.required_by.iter().any(|b| {
                o.and_then(|o| o.packages.get(b)).map(|x| &x.version)
                    != n.packages.get(b).map(|x| &x.version)
            });
            if !new && !moved {
                continue;
            }
            let relation = if u.relation.is_empty() {
                dep.as_str()
            } else {
                u.relation.as_str()
            };
            let e = per.entry((&u.kind, dep, relation)).or_default();
            e.0.push(t);
            for b in &u.required_by {
                let v = n.packages.get(b).map_or("", |x| x.version.as_str());
                e.1.entry(b).or_default().insert(v);
            }
        }
    }
    // (kind, dependents, targets, several dependents) → (dependency, relation)
    let mut paragraphs: BTreeMap<Paragraph<'_>, Vec<(&str, &str)>> = BTreeMap::new();
    for ((kind, dep, relation), (targets, by)) in per {
        let by: Vec<String> = by
            .into_iter()
            .map(|(b, vs)| {
                let vs: Vec<&str> = vs.into_iter().filter(|v| !v.is_empty()).collect();
                if vs.is_empty() {
                    b.to_string()
                } else {
                    format!("{b} {}", vs.join("/"))
                }
            })
            .collect();
        let several_by = by.len() > 1;
        let by = match by.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => by.concat(),
        };
        paragraphs
            .entry((kind, by, targets.join(", "), several_by))
            .or_default()
            .push((dep, relation));
    }
    // Ordered by kind, then by the first dependency's name.
    let mut paragraphs: Vec<_> = paragraphs.into_iter().collect();
    paragraphs.sort_by(|a, b| (a.0 .0, a.1[0].0).cmp(&(b.0 .0, b.1[0].0)));
    paragraphs
        .into_iter()
        .map(|((kind, by, targets, several_by), deps)| {
            let names: Vec<&str> = deps.iter().map(|d| d.0).collect();
            let relations: Vec<&str> = deps.iter().map(|d| d.1).collect();
            let verb = match (kind, several_by) {
                ("recommends", false) => "Recommends",
                ("recommends", true) => "Recommend",
                ("pre-depends", false) => "Pre-Depends on",
                ("pre-depends", true) => "Pre-Depend on",
                (_, false) => "Depends on",
                (_, true) => "Depend on",
            };
            let it = if deps.len() == 1 { "it" } else { "them" };
            let fix = if kind == "recommends" {
                format!("Add the distribution's repository to pinlock.yml, install {it} on the hosts, or waive {it}.")
            } else {
                format!("Add the distribution's repository to pinlock.yml or install {it} on the hosts (a Depends cannot be waived).")
            };
            format!(
                "**Hosts without {} will stop at the preflight**: {by} {verb} `{}`, which no configured source provides (targets: {targets}). {fix}",
                names.join(", "),
                relations.join("`, `"),
            )
        })
        .collect()
}

/// What a reviewer has to decide, most urgent first, each once with its targets: versions no
/// source serves any more (the lock cannot be reproduced until this is merged), then security
/// fixes, then major
/// bumps of requested packages, then dependencies that join or leave the closure.
pub fn decisions(p: &Proposal) -> Vec<String> {
    // (rank, text) → targets
    let mut items: BTreeMap<(u8, String), Vec<&str>> = BTreeMap::new();
    for c in &p.changes {
        let text = match (c.gone, &c.old, &c.new, c.bump) {
            (true, Some(o), Some(n), _) => (
                0,
                format!(
                    "**`{}` {o} is no longer served** by any source: replaced by {n}",
                    c.package
                ),
            ),
            (true, Some(o), None, _) => (
                0,
                format!(
                    "**`{}` {o} is no longer served** by any source and leaves the lock",
                    c.package
                ),
            ),
            (false, Some(o), Some(n), _) if c.security => {
                (1, format!("**security fix**: `{}` {o} → {n}", c.package))
            }
            (false, Some(o), Some(n), Some(super::Bump::Major)) if c.requested => (
                2,
                format!("`{}` moves to a new major version: {o} → {n}", c.package),
            ),
            (false, None, Some(n), _) => (
                3,
                format!("`{}` {n} joins the dependency closure", c.package),
            ),
            _ => continue,
        };
        items.entry(text).or_default().push(&c.target);
    }
    items
        .into_iter()
        .map(|((_, text), targets)| format!("{text} ({})", targets.join(", ")))
        .collect()
}

/// Renders the Markdown description: title, what needs a decision ([`decisions`]), the host
/// preflight callouts ([`preflight`]), the
/// `files` the change touches (as the caller wants them shown), changes per target,
/// release-notes links (`update.changelog`), review findings, held versions.
pub fn render(p: &Proposal, files: &[String]) -> String {
    let mut md = format!("# {}\n\n", title(p));
    let decisions = decisions(p);
    if !decisions.is_empty() {
        md.push_str("## Needs a decision\n\n");
        for d in &decisions {
            md.push_str(&format!("- {d}\n"));
        }
        md.push('\n');
    }
    for callout in preflight(p) {
        md.push_str(&callout);
        md.push_str("\n\n");
    }
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
                    format!(
                        "{}{}",
                        c.bump.map_or("", |b| b.as_str()),
                        if c.security { ", **security**" } else { "" }
                    ),
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
    if !p.release_notes.is_empty() {
        md.push_str("## Release notes\n\n");
        for (package, version, url) in &p.release_notes {
            md.push_str(&format!("- `{package}` {version}: <{url}>\n"));
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
    let removed: Vec<&super::Change> = p.changes.iter().filter(|c| c.new.is_none()).collect();
    if grouped.is_empty() && removed.is_empty() && uncovered.is_empty() {
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
    // Packages joining the closure are listed once, under "Needs a decision".
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
                super::Held::Siblings => "held with its co-versioned siblings",
            };
            md.push_str(&format!(
                "- `{}` {} ({}): {why}\n",
                h.package, h.version, h.target
            ));
        }
    }
    // Lets a scheduled job find this exact proposal again (e.g. among closed pull requests).
    md.push_str(&format!(
        "\n<!-- pinlock-proposal: {} -->\n",
        fingerprint(p)
    ));
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
            gone: false,
            security: false,
        }
    }

    fn proposal(changes: Vec<Change>) -> Proposal {
        Proposal {
            packages: vec!["docker-ce".into()],
            old: Default::default(),
            lockfile: Default::default(),
            first_seen: Default::default(),
            changes,
            findings: Vec::new(),
            held: Vec::new(),
            release_notes: Vec::new(),
        }
    }

    #[test]
    fn title_shows_upstream_versions_and_the_commit_the_full_ones() {
        let p = proposal(vec![change(
            "buster/amd64",
            "5:20.10.23~3-0~debian-buster",
            "5:24.0.2-1~debian.10~buster",
        )]);
        assert_eq!(title(&p), "Update docker-ce 20.10.23 → 24.0.2 (major)");
        assert!(commit_message(&p)
            .starts_with("chore(deps): update docker-ce to 5:24.0.2-1~debian.10~buster\n"));
        // a new revision of the same upstream: full versions
        let p = proposal(vec![change("buster/amd64", "1.0-1", "1.0-1+deb12u1")]);
        assert_eq!(title(&p), "Update docker-ce 1.0-1 → 1.0-1+deb12u1 (major)");
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
        // the same strings in both targets (arm64 and amd64 of one release): one change
        let p = proposal(vec![
            change("buster/amd64", "1.6.18-1", "1.6.20-1"),
            change("buster/arm64", "1.6.18-1", "1.6.20-1"),
        ]);
        assert_eq!(title(&p), "Update docker-ce 1.6.18 → 1.6.20 (major)");
    }

    fn locked(version: &str) -> crate::lockfile::LockedPackage {
        crate::lockfile::LockedPackage {
            version: version.into(),
            architecture: "amd64".into(),
            source: "docker-ce".into(),
            filename: String::new(),
            size: 0,
            sha256: String::new(),
            requested: None,
            required_by: vec![],
            enforce: true,
        }
    }

    fn unresolved(kind: &str, by: &[&str], waived: bool) -> crate::lockfile::Unresolved {
        crate::lockfile::Unresolved {
            relation: String::new(),
            kind: kind.into(),
            required_by: by.iter().map(|s| s.to_string()).collect(),
            waived,
        }
    }

    /// docker-ce 20.10.23 → 23.0.1 on buster amd64 and arm64: its unresolved apparmor is
    /// called out once for both targets; a waived pigz and a git needed only by a package that
    /// did not move are not; an iptables Depends new in one target is, with that target.
    #[test]
    fn preflight_callouts_come_first_once_per_finding() {
        use crate::lockfile::{LockedTarget, Lockfile};
        let (old_v, new_v) = (
            "5:20.10.23~3-0~debian-buster",
            "5:23.0.1-1~debian.10~buster",
        );
        let mut old = Lockfile::new();
        let mut new = Lockfile::new();
        for t in ["buster/amd64", "buster/arm64"] {
            let mut o = LockedTarget::default();
            o.packages.insert("docker-ce".into(), locked(old_v));
            o.packages
                .insert("containerd.io".into(), locked("1.6.18-1"));
            o.unresolved.insert(
                "apparmor".into(),
                unresolved("recommends", &["docker-ce"], false),
            );
            o.unresolved.insert(
                "pigz".into(),
                unresolved("recommends", &["docker-ce"], true),
            );
            o.unresolved.insert(
                "git".into(),
                unresolved("recommends", &["containerd.io"], false),
            );
            let mut n = o.clone();
            n.packages.insert("docker-ce".into(), locked(new_v));
            if t == "buster/arm64" {
                let mut u = unresolved("depends", &["containerd.io", "docker-ce"], false);
                u.relation = "iptables (>= 1.8)".into();
                n.unresolved.insert("iptables".into(), u);
            }
            old.targets.insert(t.into(), o);
            new.targets.insert(t.into(), n);
        }
        let mut p = proposal(vec![
            change("buster/amd64", old_v, new_v),
            change("buster/arm64", old_v, new_v),
        ]);
        p.old = old;
        p.lockfile = new;
        let callouts = preflight(&p);
        assert_eq!(callouts.len(), 2, "{callouts:#?}");
        let md = render(&p, &["pinlock.lock".into()]);
        let first = md.find("**Hosts without").unwrap();
        assert!(first < md.find("## Changes").unwrap());
        assert!(!md.contains("Hosts without pigz") && !md.contains("Hosts without git"));
        insta::assert_snapshot!("preflight_callouts", md);

        // nothing moved and nothing new: no callout
        let mut same = p.clone();
        same.lockfile = same.old.clone();
        same.changes.clear();
        assert!(preflight(&same).is_empty());
    }

    #[test]
    fn fingerprints_identify_the_set_of_changes() {
        let a = proposal(vec![change("buster/amd64", "1.0-1", "2.0-1")]);
        let b = proposal(vec![change("buster/amd64", "1.0-1", "2.0-2")]);
        assert_eq!(fingerprint(&a), fingerprint(&a.clone()));
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a).len(), 16);
        assert!(render(&a, &[]).ends_with(&format!(
            "\n<!-- pinlock-proposal: {} -->\n",
            fingerprint(&a)
        )));
    }

    #[test]
    fn decisions_lead_with_vanished_versions_once_per_change() {
        let mut gone = change("buster/amd64", "1.6.18-1", "1.6.18-1+deb10u1");
        gone.package = "containerd.io".into();
        gone.bump = Some(Bump::Patch);
        gone.gone = true;
        let mut gone_arm = gone.clone();
        gone_arm.target = "buster/arm64".into();
        let major = change(
            "buster/amd64",
            "5:20.10.23~3-0~debian-buster",
            "5:24.0.2-1~debian.10~buster",
        );
        let p = proposal(vec![major, gone, gone_arm]);
        let d = decisions(&p);
        assert_eq!(d.len(), 2, "{d:#?}");
        assert_eq!(
            d[0],
            "**`containerd.io` 1.6.18-1 is no longer served** by any source: replaced by 1.6.18-1+deb10u1 (buster/amd64, buster/arm64)"
        );
        assert!(
            d[1].starts_with("`docker-ce` moves to a new major version"),
            "{d:#?}"
        );
        let md = render(&p, &[]);
        assert!(md.find("## Needs a decision").unwrap() < md.find("## Changes").unwrap());
    }
}
