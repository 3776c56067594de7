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
//! stanza's version that the repository reader runs (`version::compare`):
//! - `packages/parse`: [`PackageIndex::parse`] of the whole text in memory, split at stanza
//!   boundaries and parsed on all cores (2 here), into the compact owned store;
//! - `packages/stream`: [`IndexBuilder`] fed 256 KiB chunks on one thread: exactly what the
//!   parser thread of a cold read does with the decompressor's output (the decompressor runs
//!   on the other core; see BENCHMARKS.md);
//! - `packages/gz_pipeline`: the whole cold-read CPU work for a `.gz` index on one thread:
//!   gzip decoding, SHA256 of the compressed and the uncompressed bytes, streaming parse.

use std::io::Read;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pinlock_core::compress::Compression;
use pinlock_core::packages::{IndexBuilder, PackageIndex, PkgField};
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
    let kind = if name.ends_with(".xz") {
        Compression::Xz
    } else if name.ends_with(".gz") {
        Compression::Gz
    } else {
        Compression::None
    };
    Some((path, kind.decompress(&raw, None).ok()?))
}

/// The reader's version check, and a checksum of the extracted fields so nothing is optimised
/// away.
fn check(idx: &PackageIndex) -> (usize, usize) {
    let mut n = 0;
    for p in idx.iter() {
        pinlock_core::version::compare(p.version(), "0").expect("valid version");
        n += p.name().len() + p.get(PkgField::Depends).map_or(0, str::len);
    }
    (idx.len(), n)
}

fn stream(text: &[u8]) -> PackageIndex {
    let mut b = IndexBuilder::new("Packages", Some(text.len() as u64));
    for chunk in text.chunks(256 << 10) {
        b.push(chunk).unwrap();
    }
    b.finish().unwrap()
}

/// CPU time (user + system, all threads) of this process so far, from `/proc/self/stat`.
fn cpu_time() -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on Linux
    Some(std::time::Duration::from_millis(ticks * 10))
}

/// With `PINLOCK_BENCH_CPU=N`, prints the CPU time per run of `f` over N runs: on a machine
/// shared with other work, wall times (what criterion reports) include waiting for a core.
fn cpu_report(name: &str, bytes: usize, mut f: impl FnMut()) {
    let Some(n) = std::env::var("PINLOCK_BENCH_CPU")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
    else {
        return;
    };
    let (Some(t0), w0) = (cpu_time(), std::time::Instant::now()) else {
        return;
    };
    for _ in 0..n {
        f();
    }
    let (cpu, wall) = (cpu_time().unwrap() - t0, w0.elapsed());
    let per = cpu / n;
    eprintln!(
        "cpu: {name}: {:.1} ms CPU per run ({:.2} GB/s of CPU), {:.1} ms wall per run",
        per.as_secs_f64() * 1e3,
        bytes as f64 / per.as_secs_f64() / 1e9,
        (wall / n).as_secs_f64() * 1e3
    );
}

fn bench(c: &mut Criterion) {
    let Some((path, text)) = load() else {
        eprintln!("parse bench skipped: set PINLOCK_BENCH_PACKAGES to a Packages file");
        return;
    };
    let text = String::from_utf8(text).expect("index is UTF-8");
    eprintln!("parse bench: {} ({} bytes)", path.display(), text.len());
    cpu_report("parse (all cores; CPU summed)", text.len(), || {
        check(&PackageIndex::parse(text.clone(), "Packages").unwrap());
    });
    cpu_report("stream (one core)", text.len(), || {
        check(&stream(text.as_bytes()));
    });
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
    g.bench_function("stream", |b| b.iter(|| check(&stream(text.as_bytes()))));
    g.sample_size(10);
    g.bench_function("gz_pipeline", |b| {
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(9));
            std::io::Write::write_all(&mut e, text.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        b.iter(|| {
            let comp = Sha256::digest(&gz);
            let mut dec = Compression::Gz.reader(&gz[..]);
            let mut plain = Sha256::new();
            let mut builder = IndexBuilder::new("Packages", Some(text.len() as u64));
            let mut buf = vec![0u8; 256 << 10];
            loop {
                let n = dec.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                plain.update(&buf[..n]);
                builder.push(&buf[..n]).unwrap();
            }
            (comp, plain.finalize(), check(&builder.finish().unwrap()))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
