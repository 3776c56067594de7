//! Only the version ordering and source parsing of pinlock-core: no network, no files.
//!
//! ```text
//! cargo run -p pinlock-core --example versions [VERSION...]
//! ```
//!
//! Sorts the given Debian versions (or a built-in list) as `dpkg --compare-versions` would,
//! and parses an apt one-line source.

use pinlock_core::source::parse_one_line;
use pinlock_core::Version;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut input: Vec<String> = std::env::args().skip(1).collect();
    if input.is_empty() {
        input = [
            "5:23.0.1-1~debian.10~buster",
            "5:20.10.23~3-0~debian-buster",
            "5:20.10.9~3-0~debian-buster",
            "1.6.18-1",
            "1.0~rc1",
            "1.0",
        ]
        .map(String::from)
        .to_vec();
    }
    let mut versions = input
        .iter()
        .map(|s| Version::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    versions.sort();
    println!("oldest to newest:");
    for v in &versions {
        println!("  {v}");
    }

    let line = "deb [arch=amd64,arm64 signed-by=/etc/apt/keyrings/docker.asc] https://example.org/linux/debian buster stable";
    let spec = parse_one_line(line)?.ok_or("not a deb line")?;
    println!(
        "source: {} suites={:?} components={:?} architectures={:?}",
        spec.uri, spec.suites, spec.components, spec.architectures
    );
    Ok(())
}
