//! What a host has installed against what the lockfile pins for its target: the drift.
//!
//! ```text
//! dpkg-query -W | cargo run -p pinlock-core --example drift -- [--check] LOCKFILE TARGET -
//! cargo run -p pinlock-core --example drift -- [--check] [LOCKFILE [TARGET [DPKG_QUERY_OUTPUT]]]
//! ```
//!
//! The host's side is `dpkg-query -W` output (`name<TAB>version` per line, the name possibly
//! `name:arch`; a line with no version is a package dpkg knows but has not installed), read from
//! a file or from stdin (`-`). Defaults: the bundled example's lockfile
//! (`examples/docker-buster/pinlock.lock`), its target `buster/amd64`, and a captured
//! `dpkg-query -W` of a host whose Docker was upgraded behind the lock's back
//! (`examples/data/dpkg-query-W.txt`).
//!
//! Prints one line per locked package that is missing or at another version than locked
//! (newer or older, by dpkg's ordering), then a summary. Packages the lockfile does not know are
//! not pinlock's and are ignored. With `--check` the exit status is 1 when anything drifted.
//!
//! Uses only the offline parts of the crate (lockfile, version ordering): it builds with
//! `default-features = false`.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use pinlock_core::{Lockfile, Version};

/// What the host reports for one package: installed versions by architecture (`None` when the
/// name carried no `:arch`).
type Installed = BTreeMap<String, Vec<(Option<String>, String)>>;

/// Parses `dpkg-query -W` output; lines without a version (known, not installed) are skipped.
fn parse_dpkg_query(text: &str) -> Result<Installed, String> {
    let mut installed = Installed::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let (name, version) = line
            .split_once('\t')
            .ok_or_else(|| format!("line {}: not `name<TAB>version`: {line:?}", n + 1))?;
        let version = version.trim();
        if version.is_empty() {
            continue;
        }
        let (name, arch) = match name.split_once(':') {
            Some((name, arch)) => (name, Some(arch.to_string())),
            None => (name, None),
        };
        installed
            .entry(name.to_string())
            .or_default()
            .push((arch, version.to_string()));
    }
    Ok(installed)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let check = match args.iter().position(|a| a == "--check") {
        Some(i) => {
            args.remove(i);
            true
        }
        None => false,
    };
    let mut args = args.into_iter();
    let bundled = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/docker-buster/pinlock.lock"
    );
    let lock_path = PathBuf::from(args.next().unwrap_or_else(|| bundled.to_string()));
    let target = args.next().unwrap_or_else(|| "buster/amd64".to_string());
    let host = match args.next().as_deref() {
        Some("-") => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            s
        }
        Some(path) => std::fs::read_to_string(path)?,
        None => std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/data/dpkg-query-W.txt"
        ))?,
    };

    let lockfile = Lockfile::load(&lock_path)?
        .ok_or_else(|| format!("{}: no such lockfile", lock_path.display()))?;
    let Some(locked) = lockfile.targets.get(&target) else {
        let known: Vec<&str> = lockfile.targets.keys().map(String::as_str).collect();
        return Err(format!(
            "no target {target} in the lockfile (it has: {})",
            known.join(", ")
        )
        .into());
    };
    let installed = parse_dpkg_query(&host)?;

    let (mut same, mut drifted) = (0usize, 0usize);
    for (name, pkg) in &locked.packages {
        let want = Version::parse(&pkg.version)?;
        // An `Architecture: all` package is reported without its architecture; a `Multi-Arch:
        // same` one with it: either is the locked package when the architecture fits.
        let have: Vec<&String> = installed
            .get(name)
            .into_iter()
            .flatten()
            .filter(|(arch, _)| {
                arch.as_deref()
                    .is_none_or(|a| a == pkg.architecture || pkg.architecture == "all")
            })
            .map(|(_, v)| v)
            .collect();
        let Some(have) = have.first() else {
            drifted += 1;
            println!("missing  {name}: locked {want}, not installed");
            continue;
        };
        match Version::parse(have)?.cmp(&want) {
            Ordering::Equal => same += 1,
            Ordering::Greater => {
                drifted += 1;
                println!("newer    {name}: locked {want}, installed {have}");
            }
            Ordering::Less => {
                drifted += 1;
                println!("older    {name}: locked {want}, installed {have}");
            }
        }
    }
    println!(
        "{target}: {same} as locked, {drifted} drifted, {} unresolved in the lock",
        locked.unresolved.len()
    );
    if check && drifted > 0 {
        std::process::exit(1);
    }
    Ok(())
}
