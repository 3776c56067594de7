//! pinlock's resolution against the real apt, case by case: Multi-Arch qualifiers, Provides
//! with versions, Conflicts/Breaks, NotAutomatic/ButAutomaticUpgrades and Essential.
//!
//! Each test writes a small fixture repository (hand-written stanzas), builds and signs it with
//! [`RepoBuilder`], serves it over loopback, and for every case asks apt
//! (`apt-get install --simulate PKG` in a sandbox with an empty dpkg status) and pinlock (the
//! library's [`lock`] over the same served repository, with `PKG: "*"` in a manifest). Both
//! must fail, or both must succeed with exactly the same set of `name version` (apt installs
//! the whole closure on an empty system; pinlock locks it). Each case also states what apt is
//! expected to do, so a change in apt (or the harness) is noticed too.

use std::path::Path;

use pinlock_core::lock::{lock, LockError, LockOptions};
use pinlock_core::manifest::Manifest;
use pinlock_core::repository::{read_sources_blocking, ReadOptions, SuiteSnapshot};
use pinlock_tests::{require_apt_tools, AptSandbox, HarnessError, RepoBuilder, Server};

/// One stanza: `Package`, `Version`, `Architecture`, then `fields`, then made-up file fields.
fn pkg(name: &str, version: &str, arch: &str, fields: &[(&str, &str)]) -> String {
    let mut s = format!("Package: {name}\nVersion: {version}\nArchitecture: {arch}\n");
    for (k, v) in fields {
        s.push_str(&format!("{k}: {v}\n"));
    }
    s.push_str(&format!(
        "Filename: pool/main/{name}_{version}_{arch}.deb\nSize: 1000\nSHA256: {}\n\n",
        "ab".repeat(32)
    ));
    s
}

/// A suite of the fixture: name, Release.in lines, and the stanzas per architecture index.
struct Suite {
    name: &'static str,
    release_in: &'static str,
    indexes: Vec<(&'static str, String)>,
}

impl Suite {
    fn new(name: &'static str, amd64: String) -> Suite {
        Suite {
            name,
            release_in: "",
            indexes: vec![("amd64", amd64)],
        }
    }
}

/// What apt does with `apt-get install --simulate <want>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Apt {
    /// apt installs this closure; each entry `name=version`.
    Installs(&'static [&'static str]),
    /// apt cannot resolve ("held broken packages").
    Fails,
}

struct Case {
    want: &'static str,
    apt: Apt,
    /// A known difference: what pinlock does instead (its closure, or that it fails).
    pinlock_differs: Option<Apt>,
}

const fn ok(want: &'static str, closure: &'static [&'static str]) -> Case {
    Case {
        want,
        apt: Apt::Installs(closure),
        pinlock_differs: None,
    }
}

const fn fails(want: &'static str) -> Case {
    Case {
        want,
        apt: Apt::Fails,
        pinlock_differs: None,
    }
}

/// apt fails, pinlock locks `closure` on purpose (see the test's comment for why).
const fn differs(want: &'static str, closure: &'static [&'static str]) -> Case {
    Case {
        want,
        apt: Apt::Fails,
        pinlock_differs: Some(Apt::Installs(closure)),
    }
}

/// A known difference where apt resolves: apt installs `apt`, pinlock does `pinlock`
/// (see the test's comment for why).
const fn known_difference(want: &'static str, apt: &'static [&'static str], pinlock: Apt) -> Case {
    Case {
        want,
        apt: Apt::Installs(apt),
        pinlock_differs: Some(pinlock),
    }
}

/// A served fixture, apt's sandbox over it and pinlock's reading of it.
struct World {
    _fixture: tempfile::TempDir,
    _srv: Server,
    _repo: pinlock_tests::BuiltRepo,
    apt: AptSandbox,
    dir: tempfile::TempDir,
    sources: Vec<String>,
    suites: Vec<SuiteSnapshot>,
}

impl World {
    fn new(suites: &[Suite]) -> World {
        let fixture = tempfile::tempdir().unwrap();
        for s in suites {
            let d = fixture.path().join(s.name).join("main");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(fixture.path().join(s.name).join("Release.in"), s.release_in).unwrap();
            for (arch, text) in &s.indexes {
                std::fs::write(d.join(format!("{arch}.Packages")), text).unwrap();
            }
        }
        let repo = RepoBuilder::new(fixture.path()).build().unwrap();
        let srv = Server::serve(repo.path());
        let sources: Vec<String> = suites
            .iter()
            .map(|s| {
                format!(
                    "deb [arch=amd64 signed-by={}] {} {} main",
                    repo.key_asc.display(),
                    srv.url(),
                    s.name
                )
            })
            .collect();
        let apt = AptSandbox::new(&sources, &["amd64"]).unwrap();
        apt.update().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let m = manifest(dir.path(), &sources, "bash");
        let opts = ReadOptions {
            cache: None,
            base_dir: dir.path().to_path_buf(),
            ..ReadOptions::default()
        };
        let suites = read_sources_blocking(&m.specs(), &opts).unwrap();
        World {
            _fixture: fixture,
            _srv: srv,
            _repo: repo,
            apt,
            dir,
            sources,
            suites,
        }
    }

    /// pinlock's closure for `want` (`name=version` sorted), or the resolution error's text.
    fn pinlock(&self, want: &str) -> Result<Vec<String>, String> {
        let m = manifest(self.dir.path(), &self.sources, want);
        match lock(&m, &self.suites, None, LockOptions::default()) {
            Ok(l) => {
                assert_eq!(l.targets.len(), 1, "{:?}", l.targets.keys());
                let t = l.targets.values().next().unwrap();
                let mut v: Vec<String> = t
                    .packages
                    .iter()
                    .map(|(n, p)| format!("{n}={}", p.version))
                    .collect();
                v.sort();
                Ok(v)
            }
            Err(e @ LockError::Resolve(_)) => Err(e.to_string()),
            Err(e) => panic!("{want}: lock failed for another reason: {e}"),
        }
    }

    /// apt's closure for `want` (`name=version` sorted), or `Err` when apt cannot resolve.
    fn apt(&self, want: &str) -> Result<Vec<String>, String> {
        match self.apt.simulate(&[want]) {
            Ok(plan) => {
                let mut v: Vec<String> = plan.iter().map(|(n, v)| format!("{n}={v}")).collect();
                v.sort();
                Ok(v)
            }
            Err(e @ HarnessError::AptCommand { .. }) => Err(e.to_string()),
            Err(e) => panic!("apt could not run: {e}"),
        }
    }

    /// Checks every case: apt does what the case says, and pinlock does what apt does (or, for
    /// a known difference, what the case says). Returns how many cases were compared.
    fn check(&self, cases: &[Case]) -> usize {
        let mut failures = Vec::new();
        for c in cases {
            let apt = self.apt(c.want);
            match (c.apt, &apt) {
                (Apt::Installs(want), Ok(got)) => {
                    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
                    want.sort();
                    assert_eq!(
                        &want, got,
                        "{}: apt's closure is not the expected one",
                        c.want
                    );
                }
                (Apt::Fails, Err(_)) => {}
                (expected, got) => {
                    panic!("{}: expected apt to {expected:?}, it gave {got:?}", c.want)
                }
            }
            let ours = self.pinlock(c.want);
            let same = match (c.pinlock_differs, &apt, &ours) {
                (Some(Apt::Installs(want)), _, Ok(o)) => {
                    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
                    want.sort();
                    &want == o
                }
                (Some(Apt::Fails), _, Err(_)) => true,
                (Some(_), _, _) => false,
                (None, Ok(a), Ok(o)) => a == o,
                (None, Err(_), Err(_)) => true,
                _ => false,
            };
            if !same {
                failures.push(format!(
                    "{}:\n  apt:     {apt:?}\n  pinlock: {ours:?}",
                    c.want
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "pinlock differs from apt in {} of {} cases:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
        cases.len()
    }
}

fn manifest(dir: &Path, sources: &[String], want: &str) -> Manifest {
    let mut text = String::from("sources:\n");
    for s in sources {
        text.push_str(&format!("  - \"{s}\"\n"));
    }
    text.push_str(&format!("packages:\n  {want}: \"*\"\n"));
    let path = dir.join("pinlock.yml");
    std::fs::write(&path, &text).unwrap();
    Manifest::parse(&text, &path).unwrap()
}

/// `Multi-Arch` and relation architecture qualifiers on an amd64 system with `all` packages.
/// An arm64 index exists in the repository but is not configured (apt: amd64 only; pinlock:
/// the `bookworm/amd64` target).
#[test]
fn multi_arch_qualifiers_like_apt() {
    if !require_apt_tools() {
        return;
    }
    let ma = |v| [("Multi-Arch", v)];
    let dep = |d| [("Depends", d)];
    let mut amd64 = String::new();
    for (name, ver, arch, f) in [
        ("py-allowed", "3.11", "amd64", &ma("allowed")[..]),
        ("py-no", "1.0", "amd64", &ma("no")),
        ("py-none", "1.0", "amd64", &[]),
        ("py-same", "1.0", "amd64", &ma("same")),
        ("py-foreign", "1.0", "amd64", &ma("foreign")),
        ("all-foreign", "1.0", "all", &ma("foreign")),
        ("all-plain", "1.0", "all", &[]),
        ("all-allowed", "1.0", "all", &ma("allowed")),
    ] {
        amd64.push_str(&pkg(name, ver, arch, f));
    }
    amd64.push_str(&pkg(
        "prov-allowed",
        "1.0",
        "amd64",
        &[("Multi-Arch", "allowed"), ("Provides", "virt-a")],
    ));
    amd64.push_str(&pkg(
        "prov-foreign",
        "1.0",
        "amd64",
        &[("Multi-Arch", "foreign"), ("Provides", "virt-f")],
    ));
    amd64.push_str(&pkg(
        "prov-none",
        "1.0",
        "amd64",
        &[("Provides", "virt-n (= 2.0)")],
    ));
    amd64.push_str(&pkg(
        "prov-allowed-v",
        "1.0",
        "amd64",
        &[("Multi-Arch", "allowed"), ("Provides", "virt-v (= 2.0)")],
    ));
    for (name, d) in [
        ("c-any-allowed", "py-allowed:any"),
        ("c-any-allowed-ver", "py-allowed:any (>= 3.10)"),
        ("c-any-allowed-verbad", "py-allowed:any (>= 4)"),
        ("c-any-no", "py-no:any"),
        ("c-any-none", "py-none:any"),
        ("c-any-same", "py-same:any"),
        ("c-any-foreign", "py-foreign:any"),
        ("c-any-all-foreign", "all-foreign:any"),
        ("c-any-all-plain", "all-plain:any"),
        ("c-any-all-allowed", "all-allowed:any"),
        ("c-native-none", "py-none:native"),
        ("c-native-allowed", "py-allowed:native"),
        ("c-native-all", "all-plain:native"),
        ("c-amd64-none", "py-none:amd64"),
        ("c-amd64-all", "all-plain:amd64"),
        ("c-amd64-foreign", "py-foreign:amd64"),
        ("c-arm64-none", "py-none:arm64"),
        ("c-arm64-foreign", "py-foreign:arm64"),
        ("c-arm64-all-foreign", "all-foreign:arm64"),
        ("c-all-plain", "all-plain:all"),
        ("c-all-none", "py-none:all"),
        ("c-virt-a-any", "virt-a:any"),
        ("c-virt-a-any-ver", "virt-a:any (>= 1)"),
        ("c-virt-a-native", "virt-a:native"),
        ("c-virt-f", "virt-f"),
        ("c-virt-f-any", "virt-f:any"),
        ("c-virt-n-any", "virt-n:any"),
        ("c-virt-n-native", "virt-n:native"),
        ("c-virt-n-amd64", "virt-n:amd64"),
        ("c-virt-v-any", "virt-v:any (>= 2)"),
        ("c-alt", "py-no:any | py-none"),
    ] {
        amd64.push_str(&pkg(name, "1.0", "amd64", &dep(d)));
    }
    for (name, f) in [
        (
            "d-conf-any-none",
            &[("Depends", "py-none"), ("Conflicts", "py-none:any")][..],
        ),
        (
            "d-conf-any-allowed",
            &[("Depends", "py-allowed"), ("Conflicts", "py-allowed:any")],
        ),
        (
            "d-breaks-any-allowed",
            &[
                ("Depends", "py-allowed"),
                ("Breaks", "py-allowed:any (<< 4)"),
            ],
        ),
        (
            "d-conf-native",
            &[("Depends", "py-none"), ("Conflicts", "py-none:native")],
        ),
        (
            "d-conf-amd64",
            &[("Depends", "py-none"), ("Conflicts", "py-none:amd64")],
        ),
        (
            "d-conf-arm64",
            &[("Depends", "py-none"), ("Conflicts", "py-none:arm64")],
        ),
        (
            "d-conf-virt-a-any",
            &[("Depends", "prov-allowed"), ("Conflicts", "virt-a:any")],
        ),
        (
            "d-conf-virt-f-any",
            &[("Depends", "prov-foreign"), ("Conflicts", "virt-f:any")],
        ),
    ] {
        amd64.push_str(&pkg(name, "1.0", "amd64", f));
    }
    amd64.push_str(&pkg(
        "e-all-consumer",
        "1.0",
        "all",
        &dep("py-none, py-same"),
    ));
    amd64.push_str(&pkg("e-all-any", "1.0", "all", &dep("py-allowed:any")));
    let arm64 = pkg("py-none", "1.0", "arm64", &[])
        + &pkg("py-foreign", "1.0", "arm64", &ma("foreign"))
        + &pkg("py-no", "1.0", "arm64", &ma("no"));
    let mut suite = Suite::new("bookworm", amd64);
    suite.indexes.push(("arm64", arm64));
    let world = World::new(&[suite]);

    let cases = [
        ok("c-any-allowed", &["c-any-allowed=1.0", "py-allowed=3.11"]),
        ok(
            "c-any-allowed-ver",
            &["c-any-allowed-ver=1.0", "py-allowed=3.11"],
        ),
        fails("c-any-allowed-verbad"),
        fails("c-any-no"),
        fails("c-any-none"),
        fails("c-any-same"),
        fails("c-any-foreign"),
        fails("c-any-all-foreign"),
        fails("c-any-all-plain"),
        ok(
            "c-any-all-allowed",
            &["c-any-all-allowed=1.0", "all-allowed=1.0"],
        ),
        ok("c-native-none", &["c-native-none=1.0", "py-none=1.0"]),
        ok(
            "c-native-allowed",
            &["c-native-allowed=1.0", "py-allowed=3.11"],
        ),
        ok("c-native-all", &["c-native-all=1.0", "all-plain=1.0"]),
        ok("c-amd64-none", &["c-amd64-none=1.0", "py-none=1.0"]),
        ok("c-amd64-all", &["c-amd64-all=1.0", "all-plain=1.0"]),
        ok(
            "c-amd64-foreign",
            &["c-amd64-foreign=1.0", "py-foreign=1.0"],
        ),
        fails("c-arm64-none"),
        fails("c-arm64-foreign"),
        fails("c-arm64-all-foreign"),
        ok("c-all-plain", &["c-all-plain=1.0", "all-plain=1.0"]),
        ok("c-all-none", &["c-all-none=1.0", "py-none=1.0"]),
        ok("c-virt-a-any", &["c-virt-a-any=1.0", "prov-allowed=1.0"]),
        fails("c-virt-a-any-ver"),
        ok(
            "c-virt-a-native",
            &["c-virt-a-native=1.0", "prov-allowed=1.0"],
        ),
        ok("c-virt-f", &["c-virt-f=1.0", "prov-foreign=1.0"]),
        fails("c-virt-f-any"),
        fails("c-virt-n-any"),
        ok("c-virt-n-native", &["c-virt-n-native=1.0", "prov-none=1.0"]),
        ok("c-virt-n-amd64", &["c-virt-n-amd64=1.0", "prov-none=1.0"]),
        ok("c-virt-v-any", &["c-virt-v-any=1.0", "prov-allowed-v=1.0"]),
        ok("c-alt", &["c-alt=1.0", "py-none=1.0"]),
        ok("d-conf-any-none", &["d-conf-any-none=1.0", "py-none=1.0"]),
        fails("d-conf-any-allowed"),
        fails("d-breaks-any-allowed"),
        fails("d-conf-native"),
        fails("d-conf-amd64"),
        ok("d-conf-arm64", &["d-conf-arm64=1.0", "py-none=1.0"]),
        fails("d-conf-virt-a-any"),
        ok(
            "d-conf-virt-f-any",
            &["d-conf-virt-f-any=1.0", "prov-foreign=1.0"],
        ),
        ok(
            "e-all-consumer",
            &["e-all-consumer=1.0", "py-none=1.0", "py-same=1.0"],
        ),
        ok("e-all-any", &["e-all-any=1.0", "py-allowed=3.11"]),
    ];
    assert_eq!(world.check(&cases), 41);
}

/// Provides with versions, Conflicts/Breaks against provided names, a real package that is too
/// old next to a provider, Essential, and a NotAutomatic + ButAutomaticUpgrades suite
/// (`bookworm-backports`, priority 100 in apt and pinlock).
///
/// Known differences, on purpose: apt 2.6 installs a dependency only at its *candidate*
/// version, so `Depends: cb (<< 2)` fails when the candidate is cb 2.0, and a dependency that
/// only a NotAutomatic version satisfies fails too; pinlock takes the best version that
/// satisfies the relation (and moves co-versioned siblings together: `sa=1.0` takes sb 1.0
/// where apt picks sb 2.0, which breaks sa 1.0). The locks are installable with every version
/// pinned (`apt-get install cb=1.0 c-needs-old` works).
#[test]
fn provides_conflicts_and_candidates_like_apt() {
    if !require_apt_tools() {
        return;
    }
    let p = |name, ver, f: &[(&str, &str)]| pkg(name, ver, "amd64", f);
    let mut main = String::new();
    for s in [
        p("foo", "1.0", &[]),
        p("bar", "1.0", &[("Provides", "foo (= 2.0)")]),
        p("p-ver-real-old", "1.0", &[("Depends", "foo (>= 2)")]),
        p(
            "p-conf-vprov",
            "1.0",
            &[("Depends", "bar"), ("Conflicts", "foo (<< 3)")],
        ),
        p(
            "p-conf-vprov-ok",
            "1.0",
            &[("Depends", "bar"), ("Conflicts", "foo (<< 2)")],
        ),
        p(
            "p-breaks-vprov",
            "1.0",
            &[("Depends", "bar"), ("Breaks", "foo (>= 2)")],
        ),
        p(
            "p-conf-unver",
            "1.0",
            &[("Depends", "bar"), ("Conflicts", "foo")],
        ),
        p("vxprov", "1.0", &[("Provides", "vx")]),
        p("p-prov-unver", "1.0", &[("Depends", "vx (>= 1)")]),
        p("vwprov", "1.0", &[("Provides", "vw (= 1.5)")]),
        p("p-prov-ver", "1.0", &[("Depends", "vw (>= 1)")]),
        p("p-prov-ver-bad", "1.0", &[("Depends", "vw (>> 1.5)")]),
        p("cb", "1.0", &[]),
        p("cb", "2.0", &[]),
        p("c-needs-old", "1.0", &[("Depends", "cb (<< 2)")]),
        p("sa", "1.0", &[("Source", "s"), ("Depends", "sb")]),
        p("sa", "2.0", &[("Source", "s"), ("Depends", "sb")]),
        p("sb", "1.0", &[("Source", "s")]),
        p("sb", "2.0", &[("Source", "s"), ("Breaks", "sa (<< 2)")]),
        p("base-ess", "1.0", &[("Essential", "yes")]),
        p("hello", "1.0", &[]),
        p("needs-ess", "1.0", &[("Depends", "base-ess")]),
        p("bp", "1.0", &[]),
        p("bp-dep-new", "1.0", &[("Depends", "bp (>= 2)")]),
        p("bp-only-dep", "1.0", &[("Depends", "bponly")]),
        p("rv", "1.0", &[]),
        p("rvprov", "1.0", &[("Provides", "rv (= 5)")]),
        p("need-rv5", "1.0", &[("Depends", "rv (>= 5)")]),
        p("need-rv", "1.0", &[("Depends", "rv")]),
    ] {
        main.push_str(&s);
    }
    let backports = p("bp", "2.0", &[]) + &p("bponly", "1.0", &[]);
    let world = World::new(&[
        Suite::new("bookworm", main),
        Suite {
            name: "bookworm-backports",
            release_in: "NotAutomatic: yes\nButAutomaticUpgrades: yes\n",
            indexes: vec![("amd64", backports)],
        },
    ]);
    let cases = [
        ok("p-ver-real-old", &["p-ver-real-old=1.0", "bar=1.0"]),
        fails("p-conf-vprov"),
        ok("p-conf-vprov-ok", &["p-conf-vprov-ok=1.0", "bar=1.0"]),
        fails("p-breaks-vprov"),
        fails("p-conf-unver"),
        fails("p-prov-unver"),
        ok("p-prov-ver", &["p-prov-ver=1.0", "vwprov=1.0"]),
        fails("p-prov-ver-bad"),
        differs("c-needs-old", &["c-needs-old=1.0", "cb=1.0"]),
        ok("sa", &["sa=2.0", "sb=2.0"]),
        ok("hello", &["hello=1.0"]),
        ok("needs-ess", &["needs-ess=1.0", "base-ess=1.0"]),
        ok("bp", &["bp=1.0"]),
        differs("bp-dep-new", &["bp-dep-new=1.0", "bp=2.0"]),
        ok("bp-only-dep", &["bp-only-dep=1.0", "bponly=1.0"]),
        ok("bponly", &["bponly=1.0"]),
        ok("need-rv5", &["need-rv5=1.0", "rvprov=1.0"]),
        ok("need-rv", &["need-rv=1.0", "rv=1.0"]),
    ];
    assert_eq!(world.check(&cases), 18);

    // sa=1.0: apt keeps the candidate sb 2.0, which breaks sa 1.0; pinlock moves the sibling.
    assert!(world.apt.simulate(&["sa=1.0"]).is_err());
    let m = manifest(world.dir.path(), &world.sources, "sa");
    let text = std::fs::read_to_string(&m.path)
        .unwrap()
        .replace("sa: \"*\"", "sa: \"= 1.0\"");
    let m = Manifest::parse(&text, &m.path).unwrap();
    let l = lock(&m, &world.suites, None, LockOptions::default()).unwrap();
    let t = l.targets.values().next().unwrap();
    assert_eq!(t.packages["sb"].version, "1.0");
    // and apt installs that lock when every version is given
    let plan = world.apt.simulate(&["sa=1.0", "sb=1.0"]).unwrap();
    assert_eq!(plan.len(), 2, "{plan:?}");
    let plan = world.apt.simulate(&["c-needs-old", "cb=1.0"]).unwrap();
    assert_eq!(plan.len(), 2, "{plan:?}");
}

/// Which provider of a virtual package apt 2.6 takes, and what it does when the virtual package
/// itself is requested.
///
/// apt sorts the providers of a dependency (`CompareProviders` in its depcache): a package of
/// the dependency's own name first, then `Essential: yes`, then `Important: yes`, then the
/// native architecture, then the higher `Priority` (required > important > standard >
/// optional > extra), and last the package apt's cache created *last* (the highest internal
/// id: roughly, the name first mentioned last while apt read its lists). pinlock takes the
/// provider whose name sorts first. Its index keeps neither `Priority` nor `Essential` nor
/// `Important`, so it cannot follow apt here: these cases record the differences.
///
/// `apt-get install VIRTUAL` installs the provider when exactly one package's *candidate*
/// provides VIRTUAL ("Note, selecting ..."), and fails when several do; pinlock fails in both
/// cases (the lockfile names what the manifest requests, and a virtual name has no version to
/// pin).
#[test]
fn provider_choice_like_apt() {
    if !require_apt_tools() {
        return;
    }
    let p = |name, ver, f: &[(&str, &str)]| pkg(name, ver, "amd64", f);
    let mut main = String::new();
    for s in [
        // two equal providers: apt takes the one created last, pinlock the first by name
        p("aprov", "1.0", &[("Provides", "virt-ab")]),
        p("bprov", "1.0", &[("Provides", "virt-ab")]),
        p("need-ab", "1.0", &[("Depends", "virt-ab")]),
        // the same, listed in the other order: both take aa-second
        p("zz-first", "1.0", &[("Provides", "virt-za")]),
        p("aa-second", "1.0", &[("Provides", "virt-za")]),
        p("need-za", "1.0", &[("Depends", "virt-za")]),
        // Priority decides before the creation order
        p(
            "imp-b",
            "1.0",
            &[("Priority", "important"), ("Provides", "virt-p")],
        ),
        p(
            "imp-a",
            "1.0",
            &[("Priority", "optional"), ("Provides", "virt-p")],
        ),
        p("need-p", "1.0", &[("Depends", "virt-p")]),
        // and Essential before that
        p(
            "ess-z",
            "1.0",
            &[("Essential", "yes"), ("Provides", "virt-e")],
        ),
        p("ess-a", "1.0", &[("Provides", "virt-e")]),
        p("need-e", "1.0", &[("Depends", "virt-e")]),
        // a real package of the dependency's name wins over a provider created later
        p("realv", "1.0", &[]),
        p("prov-realv", "1.0", &[("Provides", "realv")]),
        p("need-realv", "1.0", &[("Depends", "realv")]),
        // exactly one provider
        p("solo", "1.0", &[("Provides", "virt-solo")]),
        p("need-solo", "1.0", &[("Depends", "virt-solo")]),
        // only an older version provides it
        p("oldprov", "1.0", &[("Provides", "virt-old")]),
        p("oldprov", "2.0", &[]),
        p("need-old", "1.0", &[("Depends", "virt-old")]),
    ] {
        main.push_str(&s);
    }
    let world = World::new(&[Suite::new("bookworm", main)]);
    let cases = [
        known_difference(
            "need-ab",
            &["need-ab=1.0", "bprov=1.0"],
            Apt::Installs(&["need-ab=1.0", "aprov=1.0"]),
        ),
        ok("need-za", &["need-za=1.0", "aa-second=1.0"]),
        known_difference(
            "need-p",
            &["need-p=1.0", "imp-b=1.0"],
            Apt::Installs(&["need-p=1.0", "imp-a=1.0"]),
        ),
        known_difference(
            "need-e",
            &["need-e=1.0", "ess-z=1.0"],
            Apt::Installs(&["need-e=1.0", "ess-a=1.0"]),
        ),
        ok("need-realv", &["need-realv=1.0", "realv=1.0"]),
        ok("need-solo", &["need-solo=1.0", "solo=1.0"]),
        known_difference("virt-solo", &["solo=1.0"], Apt::Fails),
        fails("virt-ab"),
        fails("virt-old"),
        differs("need-old", &["need-old=1.0", "oldprov=1.0"]),
    ];
    assert_eq!(world.check(&cases), 10);
}

/// Tag-file syntax as apt reads it: a whitespace-only line does not end a stanza (apt 2.6 ends
/// one only at an empty line), so `a`'s fields and `b`'s are one stanza whose later `Package`
/// and `Version` win: apt knows no `a`, and `b` carries `a`'s `Depends`. A whitespace-only line
/// between stanzas (after an empty one) is skipped. `c` needs the `a` apt does not know: apt
/// cannot install it, pinlock locks it with `a` listed as unresolved (never dropped), which
/// `lock --locked` and the host preflight then refuse.
#[test]
fn whitespace_only_line_is_not_a_stanza_separator_like_apt() {
    if !require_apt_tools() {
        return;
    }
    let mut amd64 = String::from("Package: a\nVersion: 1\nArchitecture: all\nDepends: x\n \t\n");
    amd64.push_str(&pkg("b", "2", "all", &[]));
    amd64.push_str(" \n");
    amd64.push_str(&pkg("x", "3", "all", &[]));
    amd64.push_str(&pkg("c", "1", "all", &[("Depends", "a")]));
    let w = World::new(&[Suite::new("bookworm", amd64)]);
    let n = w.check(&[
        ok("b", &["b=2", "x=3"]),
        ok("x", &["x=3"]),
        fails("a"),
        differs("c", &["c=1"]),
    ]);
    assert_eq!(n, 4);
    assert_eq!(w.apt.versions("a").unwrap(), Vec::<String>::new());
    let m = manifest(w.dir.path(), &w.sources, "c");
    let l = lock(&m, &w.suites, None, LockOptions::default()).unwrap();
    let t = l.targets.values().next().unwrap();
    let u: Vec<(&String, &str)> = t
        .unresolved
        .iter()
        .map(|(k, u)| (k, u.kind.as_str()))
        .collect();
    assert_eq!(u, [(&"a".to_string(), "depends")]);
}
