//! `bench-live`: a cold `pinlock lock` against the machine's real Debian mirror next to apt doing
//! the same (issue 16). Network-dependent, so noisy; see `BENCHMARKS.md` ("Live: the real
//! Debian archive").
//!
//! ```text
//! bench-live --pinlock PATH [--rounds N] [--release NAME]
//! ```
//!
//! The sources are the machine's own Debian archives (`pinlock_tests::live`; no mirror is named
//! here): `<release>`, `<release>-updates` and `<release>-security`, `main`, amd64, the release
//! being the machine's. Each round, alternating which tool goes first:
//!
//! * apt: a fresh [`AptSandbox`] (empty lists, empty dpkg status), `apt-get update` then
//!   `apt-get install --simulate` of [`LIVE_PACKAGES`] (Recommends followed, apt's default);
//! * pinlock: `pinlock lock` of the same packages (`recommends: true`) with a fresh cache
//!   directory and no lockfile.
//!
//! Wall time around each process (apt: the sum of its two), peak RSS from `wait4`. Bytes
//! downloaded are read from the signed Releases apt fetched: every InRelease plus the
//! `main/binary-amd64/Packages` variant each tool fetches (apt: `.xz` first; pinlock: `.gz` first, see
//! "Which index variant" in BENCHMARKS.md); apt's own `Fetched` line is printed next to it.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use pinlock_tests::live::{DebianArchive, LiveRelease, LIVE_PACKAGES};
use pinlock_tests::{run_measured, AptSandbox};

struct Sample {
    secs: f64,
    mib: u64,
}

fn usage() -> ! {
    eprintln!("usage: bench-live --pinlock PATH [--rounds N] [--release NAME]");
    std::process::exit(2)
}

fn run(cmd: &mut Command, what: &str) -> (Sample, String) {
    let m = run_measured(cmd).unwrap_or_else(|e| panic!("{what}: {e}"));
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&m.stdout),
        String::from_utf8_lossy(&m.stderr)
    );
    assert!(m.status.success(), "{what}: {}\n{out}", m.status);
    (
        Sample {
            secs: m.elapsed.as_secs_f64(),
            mib: m.max_rss_mb(),
        },
        out,
    )
}

/// apt cold: update + simulate in a fresh sandbox; also returns the sandbox and apt's `Fetched`.
fn apt_round(rel: &LiveRelease) -> (Sample, AptSandbox, String) {
    let sb = AptSandbox::new(&rel.apt_sources(), &["amd64"]).unwrap();
    let (u, log) = run(
        &mut sb.command("apt-get", &["-q", "update", "--error-on=any"]),
        "apt-get update",
    );
    let fetched = log
        .lines()
        .find_map(|l| l.strip_prefix("Fetched "))
        .and_then(|l| l.split(" in ").next())
        .unwrap_or("?")
        .to_string();
    let mut args = vec!["-q=2", "install", "--simulate"];
    args.extend(LIVE_PACKAGES);
    let (s, _) = run(
        &mut sb.command("apt-get", &args),
        "apt-get install --simulate",
    );
    (
        Sample {
            secs: u.secs + s.secs,
            mib: u.mib.max(s.mib),
        },
        sb,
        fetched,
    )
}

fn pinlock_round(pinlock: &Path, rel: &LiveRelease) -> Sample {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("pinlock.yml");
    std::fs::write(&manifest, rel.manifest(&LIVE_PACKAGES, true)).unwrap();
    let mut c = Command::new(pinlock);
    c.arg("-q")
        .args(["--color", "never", "--cache-dir"])
        .arg(dir.path().join("cache"))
        .arg("lock")
        .arg("-m")
        .arg(&manifest);
    for v in ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"] {
        c.env_remove(v);
    }
    run(&mut c, "pinlock lock").0
}

/// Bytes of every InRelease in the sandbox's lists plus, per suite, the size its Release lists
/// for `main/binary-amd64/Packages<ext>`, `ext` the first of `prefer` the Release lists.
fn bytes_fetched(sb: &AptSandbox, prefer: &[&str]) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(sb.path().join("state/lists"))
        .unwrap()
        .flatten()
    {
        if !e.file_name().to_string_lossy().ends_with("_InRelease") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        total += text.len() as u64;
        let sha256: Vec<&str> = text
            .split("\nSHA256:\n")
            .nth(1)
            .unwrap_or("")
            .lines()
            .take_while(|l| l.starts_with(' '))
            .collect();
        total += prefer
            .iter()
            .find_map(|ext| {
                let want = format!(" main/binary-amd64/Packages{ext}");
                sha256
                    .iter()
                    .find(|l| l.ends_with(&want))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|n| n.parse::<u64>().ok())
            })
            .unwrap_or_else(|| {
                panic!(
                    "{}: no main/binary-amd64/Packages{prefer:?}",
                    e.path().display()
                )
            });
    }
    total
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() -> ExitCode {
    let mut pinlock = None;
    let mut rounds = 5usize;
    let mut release = None;
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| usage());
        match k.as_str() {
            "--pinlock" => pinlock = Some(PathBuf::from(v)),
            "--rounds" => rounds = v.parse().unwrap_or_else(|_| usage()),
            "--release" => release = Some(v),
            _ => usage(),
        }
    }
    let pinlock = pinlock.unwrap_or_else(|| usage());
    let archive = match DebianArchive::from_machine() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench-live: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rel = archive.release(release.as_deref().unwrap_or(&archive.codename));
    let load = || {
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .next()
            .unwrap_or("?")
            .to_string()
    };
    let load_start = load();
    let (mut apt, mut pl) = (Vec::new(), Vec::new());
    let mut bytes = (0, 0, String::new());
    println!("| round | first | apt cold (s) | pinlock cold (s) | apt Fetched |");
    println!("| ---: | --- | ---: | ---: | ---: |");
    for r in 0..rounds {
        let apt_first = r % 2 == 0;
        let mut a = None;
        let mut p = None;
        for turn in 0..2 {
            if (turn == 0) == apt_first {
                a = Some(apt_round(&rel));
            } else {
                p = Some(pinlock_round(&pinlock, &rel));
            }
        }
        let (a, sb, fetched) = a.unwrap();
        let p = p.unwrap();
        println!(
            "| {} | {} | {:.3} | {:.3} | {fetched} |",
            r + 1,
            if apt_first { "apt" } else { "pinlock" },
            a.secs,
            p.secs
        );
        bytes = (
            bytes_fetched(&sb, &[".xz", ".gz", ""]),
            bytes_fetched(&sb, &[".gz", ".xz", ""]),
            fetched,
        );
        apt.push(a);
        pl.push(p);
    }
    let (am, pm) = (
        median(apt.iter().map(|s| s.secs).collect()),
        median(pl.iter().map(|s| s.secs).collect()),
    );
    let range = |v: &[Sample]| {
        let mut s: Vec<f64> = v.iter().map(|x| x.secs).collect();
        s.sort_by(|a, b| a.partial_cmp(b).unwrap());
        format!("{:.2}-{:.2}", s[0], s[s.len() - 1])
    };
    println!();
    println!(
        "release {} (+ -updates, -security), main, amd64, {} packages requested; {rounds} rounds; load average {load_start} at the start, {} at the end",
        rel.release,
        LIVE_PACKAGES.len(),
        load()
    );
    println!("| measure | apt | pinlock | ratio (pinlock/apt) |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| cold, real mirror: update + simulate / lock (median; range) | {am:.2} s ({}) | {pm:.2} s ({}) | {:.2} |",
        range(&apt),
        range(&pl),
        pm / am
    );
    println!(
        "| bytes downloaded (InRelease + the Packages variant each reads, sizes from the Releases) | {:.1} MB (apt says {}) | {:.1} MB | {:.2} |",
        bytes.0 as f64 / 1e6,
        bytes.2,
        bytes.1 as f64 / 1e6,
        bytes.1 as f64 / bytes.0 as f64
    );
    println!(
        "| peak memory (max RSS) | {} MiB | {} MiB | {:.2} |",
        apt.iter().map(|s| s.mib).max().unwrap_or(0),
        pl.iter().map(|s| s.mib).max().unwrap_or(0),
        pl.iter().map(|s| s.mib).max().unwrap_or(0) as f64
            / apt.iter().map(|s| s.mib).max().unwrap_or(1) as f64
    );
    ExitCode::SUCCESS
}
