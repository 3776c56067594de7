//! Live parity with the real Debian archive (issue 16). Opt-in: runs only with
//! `PINLOCK_LIVE=1` (`scripts/test` sets it when the machine's Debian mirror answers), because
//! it downloads the real indexes (~20 MB per release) and depends on the network.
//!
//! The sources are the machine's own (see `pinlock_tests::live`): the Debian main and security
//! archives configured in `/etc/apt/sources.list{,.d}`, no mirror name is written here. For the
//! stable release the machine runs (`<release>`, `<release>-updates`, `<release>-security`,
//! `main`, amd64) and for oldstable on the same archives when they serve it, pinlock locks
//! [`LIVE_PACKAGES`] twice, without Recommends (`recommends: false`; apt with
//! `--no-install-recommends`) and with them (as apt does by default), and apt, in a sandbox with
//! an empty dpkg status over the same sources, simulates installing the same packages. Every `Inst`
//! line of apt's plan must be locked at apt's version, and pinlock must lock nothing apt does
//! not install, except the differences listed in [`KNOWN`] with their reason. The security
//! suite must be read: openssl and libc6 are locked at apt's candidate, and where
//! `<release>-security` has them that candidate is the security version.

use std::collections::BTreeMap;

use pinlock_core::lockfile::{LockedTarget, Lockfile};
use pinlock_tests::live::{previous_release, DebianArchive, LiveRelease, LIVE_PACKAGES};
use pinlock_tests::{require_apt_tools, skip_or_fail, AptSandbox, Pinlock, Project};

/// A recorded difference between apt's plan and pinlock's lock: `name` may be installed by apt
/// only, locked by pinlock only, or at another version, for `reason`.
struct Known {
    release: &'static str,
    name: &'static str,
    reason: &'static str,
}

/// The differences allowed on purpose (see `parity_resolve.rs` for the rules behind them).
const KNOWN: &[Known] = &[];

fn live_archive() -> Option<DebianArchive> {
    if std::env::var("PINLOCK_LIVE").as_deref() != Ok("1") {
        eprintln!("skipping: live test against the machine's Debian mirror (set PINLOCK_LIVE=1)");
        return None;
    }
    if !require_apt_tools() {
        return None;
    }
    match DebianArchive::from_machine() {
        Ok(a) => Some(a),
        Err(e) => {
            skip_or_fail(&format!(
                "PINLOCK_LIVE=1 but no Debian archive to test: {e}"
            ));
            None
        }
    }
}

/// What one comparison found.
#[derive(Default, Debug)]
struct Report {
    compared: usize,
    apt_only: Vec<String>,
    pinlock_only: Vec<String>,
    versions: Vec<String>,
    allowed: Vec<String>,
}

impl Report {
    fn differences(&self) -> usize {
        self.apt_only.len() + self.pinlock_only.len() + self.versions.len()
    }

    fn text(&self, release: &str) -> String {
        let mut s = format!(
            "{release}: {} packages in apt's plan compared with the lock; {} differences, {} known\n",
            self.compared,
            self.differences(),
            self.allowed.len()
        );
        for (what, v) in [
            ("apt installs, pinlock does not lock", &self.apt_only),
            ("pinlock locks, apt does not install", &self.pinlock_only),
            ("versions differ (pinlock vs apt)", &self.versions),
            ("known differences", &self.allowed),
        ] {
            if !v.is_empty() {
                s.push_str(&format!("  {what}:\n"));
                for l in v {
                    s.push_str(&format!("    {l}\n"));
                }
            }
        }
        s
    }
}

fn known(release: &str, name: &str) -> Option<&'static Known> {
    KNOWN
        .iter()
        .find(|k| k.name == name && (k.release == "*" || k.release == release))
}

/// `name → versions` of the Packages index apt downloaded for `suite` (its lists directory
/// holds them uncompressed, named `<host>_<path>_dists_<suite>_main_binary-amd64_Packages`).
fn suite_index(apt: &AptSandbox, suite: &str) -> BTreeMap<String, Vec<String>> {
    let lists = apt.path().join("state/lists");
    let tail = format!("_dists_{suite}_main_binary-amd64_Packages");
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in std::fs::read_dir(&lists).unwrap().flatten() {
        if !e.file_name().to_string_lossy().ends_with(&tail) {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        for stanza in text.split("\n\n") {
            let field = |k: &str| {
                stanza
                    .lines()
                    .find_map(|l| l.strip_prefix(k).map(|v| v.trim().to_string()))
            };
            if let (Some(n), Some(v)) = (field("Package:"), field("Version:")) {
                out.entry(n).or_default().push(v);
            }
        }
    }
    assert!(!out.is_empty(), "apt downloaded no {suite} index");
    out
}

/// apt's sandbox over `rel`'s sources, updated; `None` when apt cannot read the release from
/// these archives (not served there).
fn sandbox(rel: &LiveRelease) -> Option<AptSandbox> {
    let apt = AptSandbox::new(&rel.apt_sources(), &["amd64"]).unwrap();
    apt.set_option("Acquire::http::Timeout", "20").unwrap();
    if let Err(e) = apt.update() {
        eprintln!("{}: apt cannot read it here: {e}", rel.release);
        return None;
    }
    Some(apt)
}

/// Locks `rel` (following Recommends or not) and compares the lock with apt's plan for the
/// same packages (`--no-install-recommends` when not); returns the report and the target.
fn compare(rel: &LiveRelease, apt: &AptSandbox, recommends: bool) -> (Report, LockedTarget) {
    let mut args = LIVE_PACKAGES.to_vec();
    if !recommends {
        args.insert(0, "--no-install-recommends");
    }
    let plan = apt
        .simulate(&args)
        .unwrap_or_else(|e| panic!("{}: apt cannot install the set: {e}", rel.release));

    let proj = Project::with_manifest(&rel.manifest(&LIVE_PACKAGES, recommends));
    let run = proj.lock(&Pinlock::new(), &[]);
    run.success();
    eprintln!("{}: pinlock lock took {:.2?}", rel.release, run.elapsed);
    let lock: Lockfile = proj.parsed();
    let key = format!("{}/amd64", rel.release);
    let t = lock
        .targets
        .get(&key)
        .unwrap_or_else(|| panic!("no target {key} in {:?}", lock.targets.keys()))
        .clone();
    for suite in [
        rel.release.clone(),
        format!("{}-updates", rel.release),
        format!("{}-security", rel.release),
    ] {
        assert!(
            lock.sources.iter().any(|s| s.suite == suite),
            "the lockfile does not record {suite}: {:?}",
            lock.sources
        );
    }

    let mut r = Report::default();
    let mut apt_plan: BTreeMap<String, String> = BTreeMap::new();
    for (name, ver) in plan {
        let name = name.strip_suffix(":amd64").unwrap_or(&name).to_string();
        apt_plan.insert(name, ver);
    }
    r.compared = apt_plan.len();
    let note = |r: &mut Report, name: &str, line: String, kind: usize| {
        if let Some(k) = known(&rel.release, name) {
            r.allowed.push(format!("{line} ({})", k.reason));
        } else {
            [&mut r.apt_only, &mut r.pinlock_only, &mut r.versions][kind].push(line);
        }
    };
    for (name, ver) in &apt_plan {
        match t.packages.get(name) {
            None => note(&mut r, name, format!("{name} {ver}"), 0),
            Some(p) if &p.version != ver => {
                note(&mut r, name, format!("{name}: {} vs {ver}", p.version), 2)
            }
            Some(_) => {}
        }
    }
    for (name, p) in &t.packages {
        if !apt_plan.contains_key(name) {
            note(&mut r, name, format!("{name} {}", p.version), 1);
        }
    }
    (r, t)
}

/// The whole check for one release; `false` when the archives do not serve it.
fn check_release(rel: &LiveRelease) -> bool {
    let Some(apt) = sandbox(rel) else {
        return false;
    };
    let (plain, _) = compare(rel, &apt, false);
    let plain_report = plain.text(&format!("{} without Recommends", rel.release));
    eprint!("{plain_report}");
    let (r, t) = compare(rel, &apt, true);
    let report = r.text(&format!("{} with Recommends", rel.release));
    eprint!("{report}");
    assert_eq!(
        plain.differences(),
        0,
        "pinlock and apt differ:\n{plain_report}"
    );
    for (name, u) in &t.unresolved {
        assert!(
            u.kind != "depends" && u.kind != "pre-depends",
            "{}: {name} unresolved: {u:?}",
            rel.release
        );
    }
    // the security archive is read: where it has the candidate, the lock has it too
    let security = format!("{}-security", rel.release);
    let sec = suite_index(&apt, &security);
    let in_security =
        |name: &str, ver: &str| sec.get(name).is_some_and(|v| v.iter().any(|x| x == ver));
    for pkg in ["openssl", "libc6"] {
        let cand = apt.candidate(pkg).unwrap().expect("apt has a candidate");
        let locked = &t.packages[pkg].version;
        assert_eq!(
            locked, &cand,
            "{}: {pkg}: pinlock vs apt's candidate",
            rel.release
        );
        match sec.get(pkg) {
            Some(v) if v.contains(&cand) => {
                eprintln!("{}: {pkg} {cand} from {security}", rel.release)
            }
            Some(v) => eprintln!(
                "{}: {pkg} {cand}: {security} has {v:?}, superseded by a point release",
                rel.release
            ),
            None => eprintln!("{}: {pkg} {cand}: not in {security}", rel.release),
        }
    }
    // versions only the security suite serves: pinlock can have them from nowhere else
    let others = [
        suite_index(&apt, &rel.release),
        suite_index(&apt, &format!("{}-updates", rel.release)),
    ];
    let only_security: Vec<String> = t
        .packages
        .iter()
        .filter(|(n, p)| {
            in_security(n, &p.version)
                && !others
                    .iter()
                    .any(|o| o.get(*n).is_some_and(|v| v.contains(&p.version)))
        })
        .map(|(n, p)| format!("{n} {}", p.version))
        .collect();
    eprintln!(
        "{}: {} locked versions are served only by {security}: {}",
        rel.release,
        only_security.len(),
        only_security.join(", ")
    );
    assert!(
        !only_security.is_empty(),
        "{}: no locked version comes from {security} alone (was it read?)",
        rel.release
    );
    assert_eq!(r.differences(), 0, "pinlock and apt differ:\n{report}");
    assert!(
        r.compared > 50,
        "apt's plan is suspiciously small:\n{report}"
    );
    true
}

#[test]
fn stable_closure_is_apts() {
    let Some(archive) = live_archive() else {
        return;
    };
    let rel = archive.release(&archive.codename);
    assert!(
        check_release(&rel),
        "apt cannot read the machine's own release {} from its configured archives",
        rel.release
    );
}

#[test]
fn oldstable_closure_is_apts() {
    let Some(archive) = live_archive() else {
        return;
    };
    let Some(old) = previous_release(&archive.codename) else {
        eprintln!("skipping: no release before {} known", archive.codename);
        return;
    };
    if !check_release(&archive.release(old)) {
        eprintln!("skipping: the configured archives do not serve {old}");
    }
}
