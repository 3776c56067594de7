//! Differential tests of `pinlock_core::version` against the real `dpkg --compare-versions`.
//!
//! Every check asks dpkg one question per pair: our comparator's claim (`A lt B`, `A eq B` or
//! `A gt B`) must hold for dpkg (exit 0), and dpkg's stderr must be exactly the warnings and the
//! error our parser predicts (invalid versions make dpkg exit 2). One process per pair, several
//! pairs in flight at once.
//!
//! Needs dpkg (always there on Debian). Without it the tests skip with a printed reason, except
//! under `CI=true`, where they fail.

use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use pinlock_core::version::{compare, Version};

/// Serialises the tests that run thousands of dpkg processes, so that each one's measured time
/// is its own (they would only share the same cores otherwise).
static DPKG_HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Returns `true` if the test should go on; skips (prints why) or panics under CI otherwise.
fn require(available: bool, what: &str) -> bool {
    if available {
        return true;
    }
    if in_ci() {
        panic!("{what} is required under CI=true");
    }
    println!("skipped: {what} is not available");
    false
}

fn dpkg_available() -> bool {
    Command::new("dpkg")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `dpkg --compare-versions -- A OP B`; returns its exit code and stderr.
fn dpkg(a: &str, op: &str, b: &str) -> (i32, String) {
    let out = Command::new("dpkg")
        .args(["--compare-versions", "--", a, op, b])
        .env("LC_ALL", "C")
        .env("DPKG_COLORS", "never")
        .output()
        .expect("run dpkg --compare-versions");
    let code = out.status.code().expect("dpkg exited by a signal");
    (code, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// dpkg's own three-way answer (for failure reports), or `None` if it rejects a version.
fn dpkg_ordering(a: &str, b: &str) -> Option<Ordering> {
    match dpkg(a, "lt", b).0 {
        0 => Some(Ordering::Less),
        1 => Some(if dpkg(a, "eq", b).0 == 0 {
            Ordering::Equal
        } else {
            Ordering::Greater
        }),
        _ => None,
    }
}

fn op_for(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "lt",
        Ordering::Equal => "eq",
        Ordering::Greater => "gt",
    }
}

/// What our parser predicts for one `dpkg --compare-versions A op B` run.
struct Prediction {
    /// `Some(ordering)` when both versions are valid; `None` when dpkg must exit 2.
    ordering: Option<Ordering>,
    /// dpkg's exact stderr: its warnings, then the error for the first invalid version.
    stderr: String,
    warnings: usize,
}

fn predict(a: &str, b: &str) -> Prediction {
    let mut stderr = String::new();
    let mut warnings = 0;
    for s in [a, b] {
        match Version::parse(s) {
            Ok(v) => {
                if let Some(w) = v.dpkg_warning() {
                    stderr.push_str(&format!(
                        "dpkg: warning: version '{s}' has bad syntax: {}\n",
                        w.message()
                    ));
                    warnings += 1;
                }
            }
            Err(e) => {
                stderr.push_str(&format!(
                    "dpkg: error: version '{s}' has bad syntax: {}\n",
                    e.kind.message()
                ));
                return Prediction {
                    ordering: None,
                    stderr,
                    warnings,
                };
            }
        }
    }
    let ordering = compare(a, b).expect("both parsed");
    Prediction {
        ordering: Some(ordering),
        stderr,
        warnings,
    }
}

/// Checks one pair against dpkg; returns a description of any disagreement.
fn check_pair(a: &str, b: &str) -> Result<Prediction, String> {
    let p = predict(a, b);
    let op = p.ordering.map_or("eq", op_for);
    let (code, stderr) = dpkg(a, op, b);
    let expected_code = if p.ordering.is_some() { 0 } else { 2 };
    if code != expected_code || stderr != p.stderr {
        return Err(format!(
            "{a:?} vs {b:?}: we predicted {:?} (dpkg {op} exit {expected_code}, stderr {:?}); \
             dpkg exited {code} with stderr {stderr:?}; dpkg's ordering: {:?}",
            p.ordering,
            p.stderr,
            dpkg_ordering(a, b)
        ));
    }
    Ok(p)
}

/// Runs `check` over `items` on several threads; returns the results in order.
fn parallel_map<T: Sync, R: Send>(items: &[T], check: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get() * 2)
        .clamp(2, 16);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&check).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker thread panicked"))
            .collect()
    })
}

/// A tiny deterministic PRNG (xorshift64*), so the generated pairs are the same every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Separator characters, weighted towards the ones that matter to dpkg; the rare ones at the end
/// (blanks, `_`, non-ASCII, newline) exercise the error and warning paths.
const PUNCT: &[&str] = &[
    "~", "~", "~", "+", "+", ".", ".", ".", "-", "-", ":", "a", "z", "A", "Z", "a", "~~", "+~",
];
const RARE: &[&str] = &[" ", "\t", "_", "é", "\n", "%"];

fn digits(r: &mut XorShift) -> String {
    match r.below(12) {
        0 => String::new(),
        1 => "0".into(),
        2 => "9".into(),
        3 => "00".into(),
        4 => {
            // a long run, sometimes with leading zeros, sometimes near another long run
            let len = 21 + r.below(20);
            let mut s: String = "0".repeat(r.below(3));
            s.push(r.pick(&["1", "9"]).chars().next().unwrap());
            for _ in 1..len {
                s.push(r.pick(&["0", "9", "5"]).chars().next().unwrap());
            }
            s
        }
        _ => {
            let len = 1 + r.below(3);
            (0..len).map(|_| r.pick(&["0", "1", "2", "9"])).collect()
        }
    }
}

fn nondigits(r: &mut XorShift) -> String {
    if r.percent(4) {
        return r.pick(RARE).into();
    }
    let len = 1 + r.below(2);
    (0..len).map(|_| r.pick(PUNCT)).collect()
}

fn gen_version(r: &mut XorShift) -> String {
    let mut s = String::new();
    if r.percent(3) {
        s.push_str(r.pick(&[" ", "\t"]));
    }
    if r.percent(40) {
        s.push_str(r.pick(&[
            "0",
            "1",
            "1",
            "5",
            "2",
            "00",
            "007",
            "10",
            "2147483647",
            "2147483648",
            "99999999999999999999999",
            "+1",
            "-0",
            "-1",
            "",
            "a",
            "1a",
            "\n2",
        ]));
        s.push(':');
    }
    if r.percent(90) {
        let mut d = digits(r);
        if d.is_empty() {
            d.push('1');
        }
        s.push_str(&d);
    }
    for _ in 0..r.below(5) {
        s.push_str(&nondigits(r));
        s.push_str(&digits(r));
    }
    if r.percent(55) {
        s.push('-');
        for _ in 0..r.below(3) {
            s.push_str(&digits(r));
            s.push_str(&nondigits(r));
        }
        s.push_str(&digits(r));
    }
    if r.percent(3) {
        s.push_str(r.pick(&[" ", "\t "]));
    }
    s
}

/// A small edit of `a`, to get pairs that are equal or nearly so.
fn mutate(r: &mut XorShift, a: &str) -> String {
    let mut c: Vec<char> = a.chars().collect();
    for _ in 0..1 + r.below(2) {
        let at = r.below(c.len() + 1);
        match r.below(11) {
            0 if at < c.len() => {
                c.remove(at);
            }
            1 => c.insert(at, r.pick(PUNCT).chars().next().unwrap()),
            2 if at < c.len() => c[at] = r.pick(PUNCT).chars().next().unwrap(),
            3 => c.insert(at, '0'),
            4 => {
                // another number of leading zeros in front of a digit run
                if let Some(i) = (at..c.len()).find(|&i| c[i].is_ascii_digit()) {
                    c.insert(i, '0');
                }
            }
            5 if at < c.len() && c[at].is_ascii_digit() => {
                c[at] = if c[at] == '9' { '0' } else { '9' };
            }
            6 => c.extend(
                r.pick(&["~", "0", "-0", ".0", "a", "+", "-1", "~~"])
                    .chars(),
            ),
            7 => {
                let mut v: Vec<char> = r.pick(&["0:", "00:", "1:", "+0:"]).chars().collect();
                v.extend(c);
                c = v;
            }
            8 if at + 1 < c.len() => c.swap(at, at + 1),
            9 => c.truncate(at),
            _ => {} // unchanged: an identical pair
        }
    }
    c.into_iter().collect()
}

fn generated_pairs(count: usize) -> Vec<(String, String)> {
    let mut r = XorShift(0x5eed_1234_abcd_0042);
    let mut pairs = Vec::with_capacity(count);
    while pairs.len() < count {
        let a = gen_version(&mut r);
        let b = if r.percent(35) {
            gen_version(&mut r)
        } else {
            mutate(&mut r, &a)
        };
        // dpkg's command line treats "" as "no version" instead of parsing it; Version::parse
        // rejects it (unit-tested), so it has no dpkg counterpart to compare with here.
        if a.is_empty() || b.is_empty() {
            continue;
        }
        pairs.push((a, b));
    }
    pairs
}

#[test]
fn generated_tricky_pairs_agree_with_dpkg() {
    if !require(dpkg_available(), "dpkg") {
        return;
    }
    let pairs = generated_pairs(17_000);
    let _serial = DPKG_HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let started = Instant::now();
    let results = parallel_map(&pairs, |(a, b)| check_pair(a, b));
    let elapsed = started.elapsed();

    let (mut lt, mut eq, mut gt, mut invalid, mut warnings, mut long_runs) = (0, 0, 0, 0, 0, 0);
    let mut failures = Vec::new();
    for ((a, b), result) in pairs.iter().zip(&results) {
        match result {
            Ok(p) => {
                match p.ordering {
                    Some(Ordering::Less) => lt += 1,
                    Some(Ordering::Equal) => {
                        eq += 1;
                        // dpkg confirmed the equality; Eq and Hash must agree with it.
                        let (va, vb) = (Version::parse(a).unwrap(), Version::parse(b).unwrap());
                        if va != vb || hash_of(&va) != hash_of(&vb) {
                            failures.push(format!("{a:?} == {b:?} for dpkg but Eq/Hash differ"));
                        }
                    }
                    Some(Ordering::Greater) => gt += 1,
                    None => invalid += 1,
                }
                warnings += p.warnings;
                let has_long_run = |s: &str| {
                    s.as_bytes()
                        .split(|c| !c.is_ascii_digit())
                        .any(|run| run.len() > 20)
                };
                if p.ordering.is_some() && (has_long_run(a) || has_long_run(b)) {
                    long_runs += 1;
                }
            }
            Err(e) => failures.push(e.clone()),
        }
    }
    println!(
        "{} generated pairs checked with dpkg in {:.1?}: {lt} lt, {eq} eq, {gt} gt, \
         {invalid} with an invalid version, {warnings} dpkg warnings, {long_runs} valid pairs \
         with digit runs over 20 digits",
        pairs.len(),
        elapsed
    );
    assert!(
        failures.is_empty(),
        "{} of {} pairs disagree with dpkg, first ones:\n{}",
        failures.len(),
        pairs.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    // The generator must actually reach the tricky cases.
    assert!(
        lt + eq + gt >= 10_000,
        "only {} pairs of valid versions",
        lt + eq + gt
    );
    for (what, n, min) in [
        ("lt", lt, 1000),
        ("eq", eq, 500),
        ("gt", gt, 1000),
        ("invalid", invalid, 500),
        ("warnings", warnings, 300),
        ("long digit runs", long_runs, 300),
    ] {
        assert!(n >= min, "only {n} {what} pairs generated, want {min}");
    }
}

/// Real version strings from Docker's apt repository: all pairs, checked with dpkg.
#[test]
fn docker_repository_versions_agree_with_dpkg() {
    if !require(dpkg_available(), "dpkg") {
        return;
    }
    let versions = [
        "17.03.0~ce-0~ubuntu-trusty",
        "18.03.1~ce-0~debian",
        "18.06.3~ce~3-0~debian",
        "18.06.3~ce~3-0~ubuntu",
        "5:18.09.0~3-0~debian-stretch",
        "5:18.09.1~3-0~debian-stretch",
        "5:19.03.15~3-0~debian-buster",
        "5:20.10.9~3-0~debian-buster",
        "5:20.10.17~3-0~ubuntu-jammy",
        "5:20.10.23~3-0~debian-buster",
        "5:20.10.24~3-0~debian-buster",
        "5:20.10.24~3-0~ubuntu-focal",
        "5:23.0.0-1~debian.10~buster",
        "5:23.0.1-1~debian.10~buster",
        "5:24.0.7-1~debian.12~bookworm",
        "5:26.0.0-1~ubuntu.24.04~noble",
        "5:26.1.4-1~debian.10~buster",
        "5:26.1.4-1~debian.12~bookworm",
        "5:29.1.5-1~debian.12~bookworm",
        "0.17.0~debian-bullseye",
        "0.10.2-1~debian.10~buster",
        "2.6.0~ubuntu-jammy",
        "2.16.0-1~debian.10~buster",
        "1.2.13-2",
        "1.6.18-1",
        "1.6.9-1",
        "1.7.27-1",
        "1.7.28-0~debian.12~bookworm",
        "1.7.28-1~debian.12~bookworm",
        "1.7.28-1",
        "1.7.28-2~debian.12~bookworm",
        "2.2.1-1~ubuntu.24.04~noble",
    ];
    let pairs: Vec<(&str, &str)> = versions
        .iter()
        .flat_map(|a| versions.iter().map(move |b| (*a, *b)))
        .collect();
    let failures: Vec<String> = parallel_map(&pairs, |(a, b)| check_pair(a, b).err())
        .into_iter()
        .flatten()
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        compare(
            "5:20.10.24~3-0~debian-buster",
            "5:23.0.1-1~debian.10~buster"
        )
        .unwrap(),
        Ordering::Less
    );
}

/// Decompresses one Packages index file. apt-helper reads every format apt writes to its lists
/// directory (lz4, xz, gz, zst, plain); xz and gz also work without it.
fn read_index(path: &Path) -> Result<String, String> {
    let name = path.to_string_lossy();
    let helper = Path::new("/usr/lib/apt/apt-helper");
    if helper.exists() {
        let out = Command::new(helper)
            .arg("cat-file")
            .arg(path)
            .output()
            .map_err(|e| format!("run apt-helper: {e}"))?;
        if out.status.success() {
            return String::from_utf8(out.stdout).map_err(|e| format!("{name}: {e}"));
        }
    }
    let raw = std::fs::read(path).map_err(|e| format!("read {name}: {e}"))?;
    let mut text = String::new();
    let res = if name.ends_with(".xz") {
        liblzma::read::XzDecoder::new(&raw[..]).read_to_string(&mut text)
    } else if name.ends_with(".gz") {
        flate2::read::GzDecoder::new(&raw[..]).read_to_string(&mut text)
    } else if name.ends_with(".lz4") {
        let out = Command::new("lz4")
            .args(["-dc"])
            .arg(path)
            .output()
            .map_err(|e| format!("{name}: no apt-helper and no lz4 to decompress it: {e}"))?;
        text = String::from_utf8(out.stdout).map_err(|e| format!("{name}: {e}"))?;
        Ok(0)
    } else {
        text = String::from_utf8(raw).map_err(|e| format!("{name}: {e}"))?;
        Ok(0)
    };
    res.map_err(|e| format!("decompress {name}: {e}"))?;
    Ok(text)
}

/// The Packages indexes to read: `$PINLOCK_DEBIAN_PACKAGES` if set, else apt's lists.
fn index_files() -> Vec<PathBuf> {
    if let Some(p) = std::env::var_os("PINLOCK_DEBIAN_PACKAGES") {
        return vec![PathBuf::from(p)];
    }
    let Ok(dir) = std::fs::read_dir("/var/lib/apt/lists") else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.contains("_Packages"))
        })
        .collect();
    files.sort();
    files
}

fn hash_of(v: &Version) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

#[test]
fn real_packages_index_sorts_like_dpkg() {
    if !require(dpkg_available(), "dpkg") {
        return;
    }
    let files = index_files();
    if !require(
        !files.is_empty(),
        "a Debian Packages index (/var/lib/apt/lists/*_Packages*: run apt-get update, \
         or set PINLOCK_DEBIAN_PACKAGES to a plain or .xz Packages file)",
    ) {
        return;
    }
    let _serial = DPKG_HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let started = Instant::now();
    let mut distinct = BTreeSet::new();
    for f in &files {
        let text = read_index(f).unwrap_or_else(|e| panic!("{e}"));
        let before = distinct.len();
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("Version:") {
                distinct.insert(v.trim().to_owned());
            }
        }
        println!(
            "{}: {} new distinct versions",
            f.display(),
            distinct.len() - before
        );
    }
    assert!(
        distinct.len() > 100,
        "only {} versions found in {files:?}",
        distinct.len()
    );

    // Anything we reject, dpkg must reject too (real indexes should have none).
    let mut versions = Vec::with_capacity(distinct.len());
    let mut rejected = Vec::new();
    for s in &distinct {
        match Version::parse(s) {
            Ok(v) => versions.push(v),
            Err(_) => rejected.push(s.as_str()),
        }
    }
    let read_time = started.elapsed();

    let sort_started = Instant::now();
    versions.sort();
    let sort_time = sort_started.elapsed();

    // Sorted right <=> every adjacent pair is "<" or "=" for dpkg too (dpkg's order is a total
    // preorder, so this fixes the order of every pair), and equal neighbours hash alike.
    let windows: Vec<(&Version, &Version)> = versions.windows(2).map(|w| (&w[0], &w[1])).collect();
    let dpkg_started = Instant::now();
    let mut failures: Vec<String> = parallel_map(&windows, |(a, b)| {
        let claim = a.cmp(b);
        if claim == Ordering::Greater {
            return Some(format!("not sorted: {a} > {b}"));
        }
        if claim == Ordering::Equal && hash_of(a) != hash_of(b) {
            return Some(format!("{a} == {b} but their hashes differ"));
        }
        check_pair(a.as_str(), b.as_str()).err()
    })
    .into_iter()
    .flatten()
    .collect();
    failures.extend(
        parallel_map(&rejected, |s| check_pair(s, "1").err())
            .into_iter()
            .flatten(),
    );
    let dpkg_time = dpkg_started.elapsed();
    let equal = windows.iter().filter(|(a, b)| a == b).count();
    println!(
        "{} distinct versions from {} index files: read {read_time:.1?}, sorted in \
         {sort_time:.1?}, {} adjacent pairs ({equal} equal) checked with dpkg in \
         {dpkg_time:.1?}; {} rejected",
        distinct.len(),
        files.len(),
        windows.len(),
        rejected.len()
    );
    assert!(
        failures.is_empty(),
        "{} disagreements with dpkg, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

/// Counts allocations made by the current thread, to prove comparison never allocates.
struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { std::alloc::System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

#[test]
fn comparison_does_not_allocate() {
    let pairs = generated_pairs(2_000);
    let mut versions: Vec<Version> = pairs
        .iter()
        .flat_map(|(a, b)| [a, b])
        .filter_map(|s| Version::parse(s).ok())
        .collect();
    versions.reverse();
    let allocations = || ALLOCATIONS.with(|c| c.get());
    let before = allocations();
    let mut less = 0usize;
    for (a, b) in &pairs {
        if compare(a, b).is_ok_and(|o| o == Ordering::Less) {
            less += 1;
        }
    }
    versions.sort_unstable();
    let after = allocations();
    assert!(less > 100 && versions.len() > 2_000);
    assert!(versions.windows(2).all(|w| w[0] <= w[1]));
    // Only the errors for invalid versions may allocate (their message carries the string).
    let invalid = pairs.iter().filter(|(a, b)| compare(a, b).is_err()).count();
    assert!(
        after - before <= invalid,
        "{} allocations for {} comparisons with {invalid} errors",
        after - before,
        pairs.len()
    );
    let before = allocations();
    let valid: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(a, b)| Version::parse(a).is_ok() && Version::parse(b).is_ok())
        .collect();
    let between = allocations();
    for (a, b) in &valid {
        let _ = compare(a, b);
    }
    assert_eq!(
        allocations(),
        between,
        "compare of valid versions allocated"
    );
    assert!(between > before, "the counter must see allocations at all");
}
