//! Replays every committed seed (`corpus/<target>/seed-*`) through its target's body, in the
//! normal test suite (without libFuzzer): the targets keep compiling against pinlock-core's API,
//! and each seed still satisfies its target's properties. Run by `scripts/test`:
//! `cargo test --manifest-path fuzz/Cargo.toml --no-default-features`.

use std::path::Path;

use pinlock_core::ansible::PinOptions;

/// The seeds of `target`, sorted; panics when there are none (a target without seeds would
/// replay nothing).
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("seed-"))
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

fn replay(target: &str, body: impl Fn(&[u8])) {
    let seeds = seeds(target);
    for (name, data) in &seeds {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(data)));
        assert!(
            r.is_ok(),
            "{target}: seed {name} violates the target's properties"
        );
    }
    eprintln!("{target}: {} seeds replayed", seeds.len());
}

#[test]
fn index_seeds() {
    replay("index", pinlock_fuzz::index::fuzz_index);
}

#[test]
fn version_seeds() {
    replay("version", pinlock_fuzz::version::fuzz_version);
}

#[test]
fn constraint_seeds() {
    replay("constraint", pinlock_fuzz::constraint::fuzz_constraint);
}

#[test]
fn sources_seeds() {
    replay("sources", pinlock_fuzz::sources::fuzz_sources);
}

#[test]
fn pin_seeds() {
    replay("pin", |d| {
        pinlock_fuzz::fuzz_pin(d, &pinlock_fuzz::docker_pins(), &PinOptions::default())
    });
}

#[test]
fn pin_multi_seeds() {
    replay("pin_multi", |d| {
        pinlock_fuzz::fuzz_pin(
            d,
            &pinlock_fuzz::docker_pins_multi(),
            &PinOptions::default(),
        )
    });
}
