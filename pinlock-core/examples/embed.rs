//! Embedding pinlock-core: read a manifest's sources, resolve, write a lockfile.
//!
//! ```text
//! cargo run -p pinlock-core --example embed [MANIFEST] [OUT_DIR]
//! ```
//!
//! Defaults to the bundled example (`examples/docker-buster/pinlock.yml`, a signed local copy
//! of Docker's buster repository; no network) and a fresh temporary directory. Prints the
//! locked versions and the lockfile's path; reports progress through the callback.

use std::path::PathBuf;
use std::sync::Arc;

use pinlock_core::{lock, read_sources_blocking, LockOptions, Manifest, Progress, ReadOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let manifest_path = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/docker-buster/pinlock.yml"
        ))
    });
    let out_dir = match args.next() {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join(format!("pinlock-embed-{}", std::process::id())),
    };

    let manifest = Manifest::load(&manifest_path)?;
    let opts = ReadOptions {
        cache: None,
        base_dir: manifest.dir.clone(),
        // The library never prints: progress and warnings come through this callback.
        progress: Some(Arc::new(|p: &Progress| match p {
            Progress::Parsed { url, packages } => eprintln!("parsed {url}: {packages} packages"),
            Progress::Warning { message } => eprintln!("warning: {message}"),
            _ => {}
        })),
        ..ReadOptions::default()
    };
    let suites = read_sources_blocking(&manifest.specs(), &opts)?;
    let locked = lock(&manifest, &suites, None, LockOptions::default())?;

    for (target, t) in &locked.targets {
        for (name, pkg) in &t.packages {
            println!("{target} {name} {}", pkg.version);
        }
        for name in t.unresolved.keys() {
            println!("{target} {name} (unresolved: in no configured source)");
        }
    }
    std::fs::create_dir_all(&out_dir)?;
    let path = out_dir.join("pinlock.lock");
    locked.write(&path)?;
    println!("wrote {}", path.display());
    Ok(())
}
