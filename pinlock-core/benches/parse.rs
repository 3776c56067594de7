//! Parse throughput of a real Packages index (issue: at least 1 GB/s of uncompressed index).
//!
//! The index is not shipped. Point `PINLOCK_BENCH_PACKAGES` at a Packages file (plain, `.xz` or
//! `.gz`), e.g. Debian bookworm main amd64 (50 MB uncompressed):
//!
//! ```text
//! PINLOCK_BENCH_PACKAGES=/path/to/bookworm-main-amd64.Packages.xz cargo bench -p pinlock-core --bench parse
//! ```
//!
//! Without it the bench looks for `../shared/testdata/debian/bookworm-main-amd64.Packages.xz`
//! and otherwise skips with a message.
//!
//! What is measured (throughput = uncompressed bytes / time), each including the check of every
//! stanza's version that the repository reader runs (`version::compare`; in the streamed
//! benches after each piece, for the stanzas it completed, as the reader does):
//! - `packages/parse`: [`PackageIndex::parse`] of the whole text in memory, split at stanza
//!   boundaries and parsed on all cores (2 here), into the compact owned store;
//! - `packages/stream`: [`IndexBuilder`] fed 256 KiB chunks on one thread: exactly what the
//!   parser thread of a cold read does with the decompressor's output (the decompressor runs
//!   on the other core; see BENCHMARKS.md);
//! - `packages/gz_pipeline`: the whole cold-read CPU work for a `.gz` index on one thread:
//!   gzip decoding, SHA256 of the compressed and the uncompressed bytes, streaming parse.
//!
//! `PINLOCK_BENCH_CPU=N` also prints, before the criterion runs, the CPU time of N runs of
//! `parse` and `stream` (median, min, max; `CLOCK_PROCESS_CPUTIME_ID`, all threads), which a
//! shared machine distorts less than wall time; `PINLOCK_BENCH_CPU_ONLY=stream` limits that to
//! the reports whose name contains `stream`. In `parse`, as in criterion's `iter_batched`, the
//! clone of the input is made before the clock starts; dropping the input and the index is
//! counted (a caller of `PackageIndex::parse` pays both).

use std::io::Read;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pinlock_core::packages::{IndexBuilder, PackageIndex, PackageRef, PkgField};
use sha2::{Digest, Sha256};

fn load() -> Option<(PathBuf, Vec<u8>)> {
    let path = std::env::var_os("PINLOCK_BENCH_PACKAGES")
        .map(PathBuf::from)
        .or_else(|| {
            let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/testdata/debian/bookworm-main-amd64.Packages.xz");
            p.exists().then_some(p)
        })?;
    let raw = std::fs::read(&path).ok()?;
    let name = path.to_string_lossy();
    // The decoders pinlock's reader uses (several concatenated streams read as one).
    let mut out = Vec::new();
    if name.ends_with(".xz") {
        liblzma::read::XzDecoder::new_multi_decoder(&raw[..])
            .read_to_end(&mut out)
            .ok()?;
    } else if name.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .ok()?;
    } else {
        out = raw;
    }
    Some((path, out))
}

/// The reader's version check of one stanza, and a checksum of extracted fields so nothing is
/// optimised away.
fn check_one(p: PackageRef<'_>) -> usize {
    pinlock_core::version::compare(p.version(), "0").expect("valid version");
    p.name().len() + p.get(PkgField::Depends).map_or(0, str::len)
}

/// [`check_one`] of every stanza: (stanzas, checksum).
fn check(idx: &PackageIndex) -> (usize, usize) {
    (idx.len(), idx.iter().map(check_one).sum())
}

/// Streams `text` in 256 KiB pieces: (stanzas, checksum).
fn stream(text: &[u8]) -> (usize, usize) {
    let mut s = Streamed::new(text.len());
    for chunk in text.chunks(256 << 10) {
        s.push(chunk);
    }
    s.finish()
}

/// An [`IndexBuilder`] whose stanzas are checked as they complete, after each piece, as the
/// repository reader's parser thread does (while they are still in the cache).
struct Streamed {
    builder: IndexBuilder,
    checked: usize,
    sum: usize,
}

impl Streamed {
    fn new(size: usize) -> Self {
        Streamed {
            builder: IndexBuilder::new("Packages", Some(size as u64)),
            checked: 0,
            sum: 0,
        }
    }

    fn push(&mut self, chunk: &[u8]) {
        self.builder.push(chunk).unwrap();
        let parsed = self.builder.parsed();
        self.sum += parsed.iter_from(self.checked).map(check_one).sum::<usize>();
        self.checked = parsed.len();
    }

    fn finish(self) -> (usize, usize) {
        let idx = self.builder.finish().unwrap();
        let rest: usize = idx.iter_from(self.checked).map(check_one).sum();
        (idx.len(), self.sum + rest)
    }
}

/// CPU time (user + system, all threads, including finished ones) of this process so far, in
/// nanoseconds (`CLOCK_PROCESS_CPUTIME_ID`).
fn cpu_time() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the libc knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// With `PINLOCK_BENCH_CPU=N`, prints the CPU time of `run(setup())` over N runs (median and
/// range): on a machine shared with other work, wall times (what criterion reports) include
/// waiting for a core. Only `run` is measured, not `setup` (e.g. cloning the input); `run`
/// includes dropping what it consumes and returns, as a caller would pay.
fn cpu_report<I, O>(
    name: &str,
    bytes: usize,
    mut setup: impl FnMut() -> I,
    mut run: impl FnMut(I) -> O,
) {
    let Some(n) = std::env::var("PINLOCK_BENCH_CPU")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|&n| n > 0)
    else {
        return;
    };
    // `PINLOCK_BENCH_CPU_ONLY=stream` (e.g. for a profiler): only the reports naming it
    if std::env::var("PINLOCK_BENCH_CPU_ONLY").is_ok_and(|only| !name.contains(&only)) {
        return;
    }
    let mut cpu = Vec::with_capacity(n as usize);
    let mut wall = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let input = setup();
        let (c0, w0) = (cpu_time(), std::time::Instant::now());
        drop(std::hint::black_box(run(input)));
        cpu.push(cpu_time() - c0);
        wall.push(w0.elapsed());
    }
    cpu.sort();
    wall.sort();
    let med = cpu[cpu.len() / 2];
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    eprintln!(
        "cpu: {name}: median {:.1} ms CPU per run ({:.2} GB/s of CPU; min {:.1}, max {:.1} ms over {n} runs), median {:.1} ms wall",
        ms(med),
        bytes as f64 / med.as_secs_f64() / 1e9,
        ms(cpu[0]),
        ms(cpu[cpu.len() - 1]),
        ms(wall[wall.len() / 2]),
    );
}

fn bench(c: &mut Criterion) {
    let Some((path, text)) = load() else {
        eprintln!("parse bench skipped: set PINLOCK_BENCH_PACKAGES to a Packages file");
        return;
    };
    let text = String::from_utf8(text).expect("index is UTF-8");
    eprintln!("parse bench: {} ({} bytes)", path.display(), text.len());
    cpu_report(
        "parse (all cores; CPU summed; the input clone not counted)",
        text.len(),
        || text.clone(),
        |t| check(&PackageIndex::parse(t, "Packages").unwrap()),
    );
    cpu_report(
        "stream (one core)",
        text.len(),
        || (),
        |()| stream(text.as_bytes()),
    );
    let mut g = c.benchmark_group("packages");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(20);
    g.bench_function("parse", |b| {
        b.iter_batched(
            || text.clone(),
            |t| check(&PackageIndex::parse(t, "Packages").unwrap()),
            criterion::BatchSize::LargeInput,
        )
    });
    g.bench_function("stream", |b| b.iter(|| stream(text.as_bytes())));
    g.sample_size(10);
    g.bench_function("gz_pipeline", |b| {
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(9));
            std::io::Write::write_all(&mut e, text.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        b.iter(|| {
            let comp = Sha256::digest(&gz);
            let mut dec = flate2::read::MultiGzDecoder::new(&gz[..]);
            let mut plain = Sha256::new();
            let mut streamed = Streamed::new(text.len());
            let mut buf = vec![0u8; 256 << 10];
            loop {
                let n = dec.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                plain.update(&buf[..n]);
                streamed.push(&buf[..n]);
            }
            (comp, plain.finalize(), streamed.finish())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
