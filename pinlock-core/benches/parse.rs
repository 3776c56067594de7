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

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pinlock_core::compress::Compression;
use pinlock_core::packages::{PackageIndex, PkgField};

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

fn bench(c: &mut Criterion) {
    let Some((path, text)) = load() else {
        eprintln!("parse bench skipped: set PINLOCK_BENCH_PACKAGES to a Packages file");
        return;
    };
    let text = String::from_utf8(text).expect("index is UTF-8");
    eprintln!("parse bench: {} ({} bytes)", path.display(), text.len());
    let mut g = c.benchmark_group("packages");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(20);
    g.bench_function("parse", |b| {
        b.iter_batched(
            || text.clone(),
            |t| {
                let idx = PackageIndex::parse(t, "Packages").unwrap();
                // Touch the extracted fields so nothing is optimised away.
                let n: usize = idx
                    .iter()
                    .map(|p| p.name().len() + p.get(PkgField::Depends).map_or(0, str::len))
                    .sum();
                (idx.len(), n)
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
