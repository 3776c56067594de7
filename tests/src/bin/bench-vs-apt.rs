//! `bench-vs-apt`: pinlock against apt, side by side, in one run (issue 6). Run it through
//! `bench/run`, which builds everything in release mode and runs the criterion parse bench
//! first; see `BENCHMARKS.md`.
//!
//! ```text
//! bench-vs-apt --packages PLAIN_PACKAGES --pinlock PATH [--rounds N] [--criterion ESTIMATES_JSON]
//!              [--out BENCHMARKS.md]
//! ```
//!
//! It builds a signed repository (`bookworm main amd64`, xz and gz indexes) from the uncompressed
//! Packages file with the harness's [`RepoBuilder`], listing the digests Debian's own Release
//! files list ([`DEBIAN_DIGESTS`]: MD5Sum and SHA256), serves it on loopback with [`Server`], and
//! times, alternating which tool goes first, `--rounds` rounds of:
//!
//! * cold: `apt-get update` + `apt-cache policy` of ten packages in a fresh [`AptSandbox`] vs
//!   `pinlock lock` of the same ten packages (with their dependency closure) with a fresh cache
//!   directory and no lockfile;
//! * warm: the same again, nothing changed on the server;
//! * `pinlock pin --check` over a generated tree of 1,000 playbooks.
//!
//! Wall time is measured around each process; peak memory (max RSS) with `/usr/bin/time -f %M`.
//! Medians are reported. Every server it starts is stopped when it returns.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use pinlock_tests::{AptSandbox, Compression, HashKind, RepoBuilder, Server, TestKey};

/// The digests Debian's Release files list (bookworm: `MD5Sum:` and `SHA256:`; no SHA1, no
/// SHA512). apt and pinlock both check every strong digest listed, so a repository listing SHA512
/// too (as Docker's does) would make both hash the index twice: the bench models Debian's.
const DEBIAN_DIGESTS: [HashKind; 2] = [HashKind::Md5, HashKind::Sha256];

/// Ten real packages with dependencies.
const PACKAGES: [&str; 10] = [
    "curl",
    "git",
    "openssh-server",
    "nginx",
    "python3",
    "iptables",
    "apparmor",
    "ca-certificates",
    "rsync",
    "sudo",
];

const PLAYBOOKS: usize = 1000;

struct Args {
    packages: PathBuf,
    pinlock: PathBuf,
    rounds: usize,
    criterion: Option<PathBuf>,
    out: Option<PathBuf>,
    repo: Option<PathBuf>,
}

fn usage() -> ! {
    eprintln!(
        "usage: bench-vs-apt --packages PLAIN_PACKAGES --pinlock PATH [--rounds N] [--criterion ESTIMATES_JSON] [--out BENCHMARKS.md] [--repo DIR]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        packages: PathBuf::new(),
        pinlock: PathBuf::new(),
        rounds: 5,
        criterion: None,
        out: None,
        repo: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| usage());
        match k.as_str() {
            "--packages" => a.packages = v.into(),
            "--pinlock" => a.pinlock = v.into(),
            "--rounds" => a.rounds = v.parse().unwrap_or_else(|_| usage()),
            "--criterion" => a.criterion = Some(v.into()),
            "--out" => a.out = Some(v.into()),
            "--repo" => a.repo = Some(v.into()),
            _ => usage(),
        }
    }
    if a.packages.as_os_str().is_empty() || a.pinlock.as_os_str().is_empty() || a.rounds == 0 {
        usage();
    }
    a
}

/// One measured process run: wall seconds and peak RSS in KiB.
#[derive(Clone, Copy, Debug)]
struct Sample {
    secs: f64,
    kib: u64,
}

/// Runs `cmd` under `/usr/bin/time -f %M`, checks its exit status, returns wall time and max RSS.
fn measure(cmd: Command, what: &str, expect_ok: bool) -> Sample {
    let memfile = tempfile::NamedTempFile::new().expect("temp file");
    let prog = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(memfile.path())
        .arg(prog)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    if let Some(d) = cmd.get_current_dir() {
        timed.current_dir(d);
    }
    let t = Instant::now();
    let out = timed.output().expect("run /usr/bin/time");
    let secs = t.elapsed().as_secs_f64();
    if out.status.success() != expect_ok {
        panic!(
            "{what}: exit status {} (expected {})\n{}{}",
            out.status,
            if expect_ok { "success" } else { "failure" },
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let kib = std::fs::read_to_string(memfile.path())
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or_else(|| panic!("{what}: no max RSS from /usr/bin/time"));
    Sample { secs, kib }
}

/// `apt-get update` then `apt-cache policy PACKAGES`: summed wall time, max of the peaks.
fn apt_round(sb: &AptSandbox) -> Sample {
    let u = measure(
        sb.command("apt-get", &["-q", "update", "--error-on=any"]),
        "apt-get update",
        true,
    );
    let mut args = vec!["policy"];
    args.extend(PACKAGES);
    let p = measure(sb.command("apt-cache", &args), "apt-cache policy", true);
    Sample {
        secs: u.secs + p.secs,
        kib: u.kib.max(p.kib),
    }
}

fn pinlock_cmd(pinlock: &Path, cache: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(pinlock);
    c.arg("-q")
        .arg("--color")
        .arg("never")
        .arg("--cache-dir")
        .arg(cache)
        .args(args);
    c
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn median_secs(s: &[Sample]) -> f64 {
    median(&s.iter().map(|x| x.secs).collect::<Vec<_>>())
}

fn max_mib(s: &[Sample]) -> f64 {
    s.iter().map(|x| x.kib).max().unwrap_or(0) as f64 / 1024.0
}

/// Writes `PLAYBOOKS` playbooks into `root` (100 directories of 10), each installing two or three
/// of the locked packages.
fn write_playbooks(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for i in 0..PLAYBOOKS {
        let dir = root.join(format!("team{:02}/service{:02}", i / 100, (i / 10) % 10));
        std::fs::create_dir_all(&dir).expect("create playbook dir");
        let a = PACKAGES[i % PACKAGES.len()];
        let b = PACKAGES[(i + 3) % PACKAGES.len()];
        let c = PACKAGES[(i + 7) % PACKAGES.len()];
        let text = format!(
            "---\n# generated playbook {i}\n- name: service {i}\n  hosts: group{g}\n  become: true\n  vars:\n    port: {port}\n  tasks:\n    - name: base packages\n      ansible.builtin.apt:\n        name: [\"{a}\", \"{b}\"]\n        state: present\n        update_cache: true\n\n    - name: tool\n      ansible.builtin.apt:\n        name: {c}\n        state: present\n\n    - name: config\n      ansible.builtin.template:\n        src: app.conf.j2\n        dest: /etc/app-{i}.conf\n        mode: \"0644\"\n",
            g = i % 7,
            port = 8000 + i
        );
        let f = dir.join(format!("site{i:04}.yml"));
        std::fs::write(&f, text).expect("write playbook");
        files.push(f);
    }
    files
}

/// The median parse time from criterion's `estimates.json` (nanoseconds).
fn criterion_median_ns(path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let at = text.find("\"median\"")?;
    let rest = &text[at..];
    let pe = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let num: String = rest[pe..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        .collect();
    num.parse().ok()
}

/// The median of another benchmark of the same criterion group: `--criterion` names
/// `.../packages/parse/new/estimates.json`; `name` replaces `parse`.
fn criterion_sibling_ns(parse: &Path, name: &str) -> Option<f64> {
    let group = parse.parent()?.parent()?.parent()?;
    criterion_median_ns(&group.join(name).join("new").join("estimates.json"))
}

/// The 1-minute load average (the machine may be shared with other work).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn cmd_out(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map(|k| format!("{:.0} GiB RAM", k as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_default();
    let apt = cmd_out("apt-get", &["--version"])
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    format!(
        "{} cores ({}), {cpu}, {mem}, {os}, {apt}",
        cmd_out("nproc", &[]),
        std::env::consts::ARCH
    )
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

fn main() -> ExitCode {
    let a = parse_args();
    let load_start = load_average();
    let pinlock = std::fs::canonicalize(&a.pinlock).expect("--pinlock exists");
    let plain = std::fs::read(&a.packages).expect("read --packages");
    let stanzas = plain
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"Package:"))
        .count();
    eprintln!(
        "bench: {} packages, {:.1} MB uncompressed; building the signed repository (xz, gz)...",
        stanzas,
        plain.len() as f64 / 1e6
    );

    let work = tempfile::Builder::new()
        .prefix("plk-bench.")
        .tempdir()
        .expect("temp dir");
    let fixture = work.path().join("fixture");
    std::fs::create_dir_all(fixture.join("bookworm/main")).expect("fixture dir");
    std::fs::write(fixture.join("bookworm/main/amd64.Packages"), &plain).expect("fixture index");
    // identifies what the kept repository was built from and how
    let index_sha = format!(
        "{} {:?} {:?}",
        HashKind::Sha256.hex(&plain),
        DEBIAN_DIGESTS,
        [Compression::Xz, Compression::Gz]
    );
    drop(plain);
    std::fs::write(
        fixture.join("bookworm/Release.in"),
        "Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: bookworm\nArchitectures: amd64\nComponents: main\n",
    )
    .expect("Release.in");
    // the repository (built once; `--repo DIR` keeps it for the next run: building is
    // deterministic, and xz-compressing 50 MB takes a while)
    let kept = a
        .repo
        .as_ref()
        .filter(|d| {
            d.join("dists/bookworm/InRelease").is_file() && d.join("index.sha256").is_file()
        })
        .filter(|d| {
            std::fs::read_to_string(d.join("index.sha256")).ok() == Some(index_sha.clone())
        });
    let built;
    let root = match kept {
        Some(d) => {
            eprintln!("bench: reusing the repository in {}", d.display());
            d.clone()
        }
        None => {
            let t = Instant::now();
            built = RepoBuilder::new(&fixture)
                .compress(&[Compression::Xz, Compression::Gz])
                .hashes(&DEBIAN_DIGESTS)
                .build()
                .expect("build repository");
            eprintln!(
                "bench: repository built in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            match &a.repo {
                Some(d) => {
                    let _ = std::fs::remove_dir_all(d);
                    let ok = Command::new("cp")
                        .arg("-a")
                        .arg(built.path())
                        .arg(d)
                        .status()
                        .is_ok_and(|s| s.success());
                    assert!(ok, "copy the repository to {}", d.display());
                    std::fs::write(d.join("index.sha256"), &index_sha).expect("index.sha256");
                    d.clone()
                }
                None => built.path().to_path_buf(),
            }
        }
    };
    let srv = Server::serve(&root);
    let url = srv.url();
    let source = format!(
        "deb [arch=amd64 signed-by={}] {url} bookworm main",
        TestKey::Repo.public_asc().display()
    );

    // pinlock project
    let proj = work.path().join("project");
    std::fs::create_dir_all(&proj).expect("project dir");
    let mut manifest = format!("sources:\n  - \"{source}\"\npackages:\n");
    for p in PACKAGES {
        manifest.push_str(&format!("  {p}: \"*\"\n"));
    }
    manifest.push_str("recommends: false\n");
    std::fs::write(proj.join("pinlock.yml"), &manifest).expect("manifest");
    let manifest_path = proj.join("pinlock.yml");
    let lockfile = proj.join("pinlock.lock");
    let m = manifest_path.to_str().unwrap();

    let mut apt_cold = Vec::new();
    let mut apt_warm = Vec::new();
    let mut pl_cold = Vec::new();
    let mut pl_warm = Vec::new();
    for round in 0..a.rounds {
        let cache = work.path().join(format!("cache{round}"));
        let _ = std::fs::remove_file(&lockfile);
        let sb = AptSandbox::new(&[source.as_str()], &["amd64"]).expect("apt sandbox");
        let apt_first = round % 2 == 0;
        let run_apt = |out: &mut Vec<Sample>| out.push(apt_round(&sb));
        let run_pl = |out: &mut Vec<Sample>| {
            out.push(measure(
                pinlock_cmd(&pinlock, &cache, &["lock", "-m", m]),
                "pinlock lock",
                true,
            ))
        };
        // cold, then warm, alternating which tool goes first
        if apt_first {
            run_apt(&mut apt_cold);
            run_pl(&mut pl_cold);
            run_apt(&mut apt_warm);
            run_pl(&mut pl_warm);
        } else {
            run_pl(&mut pl_cold);
            run_apt(&mut apt_cold);
            run_pl(&mut pl_warm);
            run_apt(&mut apt_warm);
        }
        eprintln!(
            "bench: round {}: cold apt {:.3} s / pinlock {:.3} s; warm apt {:.3} s / pinlock {:.3} s",
            round + 1,
            apt_cold[round].secs,
            pl_cold[round].secs,
            apt_warm[round].secs,
            pl_warm[round].secs
        );
        let _ = std::fs::remove_dir_all(&cache);
    }
    let lock_text = std::fs::read_to_string(&lockfile).expect("pinlock wrote a lockfile");
    let locked = lock_text.matches("\n        version: ").count();

    // 1,000 playbooks: pin once, then time `pin --check` (must pass)
    let books = proj.join("playbooks");
    write_playbooks(&books);
    let cache = work.path().join("cache-pin");
    let b = books.to_str().unwrap();
    measure(
        pinlock_cmd(&pinlock, &cache, &["pin", "-m", m, b]),
        "pinlock pin",
        true,
    );
    let mut pin_check = Vec::new();
    for _ in 0..a.rounds {
        pin_check.push(measure(
            pinlock_cmd(&pinlock, &cache, &["pin", "--check", "-m", m, b]),
            "pinlock pin --check",
            true,
        ));
    }
    drop(srv);

    let parse = a
        .criterion
        .as_deref()
        .and_then(criterion_median_ns)
        .map(|ns| {
            let bytes = std::fs::metadata(&a.packages).map(|m| m.len()).unwrap_or(0);
            (bytes as f64 / (ns / 1e9) / 1e9, ns / 1e6)
        });

    let (ac, pc) = (median_secs(&apt_cold), median_secs(&pl_cold));
    let (aw, pw) = (median_secs(&apt_warm), median_secs(&pl_warm));
    let (am, pm) = (
        max_mib(&apt_cold).max(max_mib(&apt_warm)),
        max_mib(&pl_cold).max(max_mib(&pl_warm)),
    );
    let pcheck = median_secs(&pin_check);
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Run: {} UTC, {} rounds (medians), index: {stanzas} packages, {:.1} MB uncompressed, served as xz and gz over loopback; pinlock locked {locked} packages (10 requested + closure, no recommends).\n",
        cmd_out("date", &["-u", "+%Y-%m-%d %H:%M"]),
        a.rounds,
        std::fs::metadata(&a.packages).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
    );
    let _ = writeln!(
        t,
        "Machine: {}; load average (1 min) {load_start} at the start, {} at the end: the machine is shared, so absolute times vary between runs; apt and pinlock alternate within each round.\n",
        machine(),
        load_average()
    );
    let _ = writeln!(
        t,
        "| measure | apt | pinlock | ratio (pinlock/apt) | target | verdict |"
    );
    let _ = writeln!(t, "| --- | ---: | ---: | ---: | --- | --- |");
    let _ = writeln!(
        t,
        "| cold: update + policy of 10 / lock of 10 + closure | {ac:.3} s | {pc:.3} s | {:.3} | ≤ 0.25 | {} |",
        pc / ac,
        verdict(pc <= ac / 4.0)
    );
    let _ = writeln!(
        t,
        "| warm: the same, server unchanged | {aw:.3} s | {pw:.3} s | {:.3} | ≤ 0.10 | {} |",
        pw / aw,
        verdict(pw <= aw / 10.0)
    );
    let _ = writeln!(
        t,
        "| peak memory (max RSS, cold and warm) | {am:.1} MiB | {pm:.1} MiB | {:.3} | < 1 | {} |",
        pm / am,
        verdict(pm < am)
    );
    match parse {
        Some((gbs, ms)) => {
            let _ = writeln!(
                t,
                "| parse throughput (criterion median) | | {gbs:.2} GB/s ({ms:.1} ms) | | ≥ 1 GB/s | {} |",
                verdict(gbs >= 1.0)
            );
        }
        None => {
            let _ = writeln!(
                t,
                "| parse throughput (criterion median) | | not measured | | ≥ 1 GB/s | NOT measured |"
            );
        }
    }
    let bytes = std::fs::metadata(&a.packages).map(|m| m.len()).unwrap_or(0) as f64;
    for (name, what) in [
        (
            "stream",
            "parse, streamed on one core (the cold path's parser thread)",
        ),
        (
            "gz_pipeline",
            "gzip decode + both SHA256 + streamed parse, one core",
        ),
    ] {
        if let Some(ns) = a
            .criterion
            .as_deref()
            .and_then(|p| criterion_sibling_ns(p, name))
        {
            let _ = writeln!(
                t,
                "| {what} (criterion median) | | {:.2} GB/s ({:.1} ms) | | (information) | |",
                bytes / (ns / 1e9) / 1e9,
                ns / 1e6
            );
        }
    }
    let _ = writeln!(
        t,
        "| `pin --check` of {PLAYBOOKS} playbooks | | {pcheck:.3} s | | < 1 s | {} |",
        verdict(pcheck < 1.0)
    );
    let _ = writeln!(t, "\nPer round (seconds):\n");
    let _ = writeln!(
        t,
        "| round | first | apt cold | pinlock cold | apt warm | pinlock warm |"
    );
    let _ = writeln!(t, "| ---: | --- | ---: | ---: | ---: | ---: |");
    for i in 0..a.rounds {
        let _ = writeln!(
            t,
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
            i + 1,
            if i % 2 == 0 { "apt" } else { "pinlock" },
            apt_cold[i].secs,
            pl_cold[i].secs,
            apt_warm[i].secs,
            pl_warm[i].secs
        );
    }
    println!("{t}");
    if let Some(out) = &a.out {
        write_report(out, &t);
        eprintln!("bench: wrote {}", out.display());
    }
    ExitCode::SUCCESS
}

const BEGIN: &str = "<!-- bench-vs-apt: begin (generated by bench/run; do not edit) -->";
const END: &str = "<!-- bench-vs-apt: end -->";

/// Replaces the generated section of `out` (between the markers) with `table`, or creates the
/// file with just that section.
fn write_report(out: &Path, table: &str) {
    let section = format!("{BEGIN}\n{table}{END}");
    let text = match std::fs::read_to_string(out) {
        Ok(old) => match (old.find(BEGIN), old.find(END)) {
            (Some(b), Some(e)) if e > b => {
                format!("{}{section}{}", &old[..b], &old[e + END.len()..])
            }
            _ => format!("{old}\n{section}\n"),
        },
        Err(_) => format!("# Benchmarks\n\n{section}\n"),
    };
    std::fs::write(out, text).expect("write report");
}
