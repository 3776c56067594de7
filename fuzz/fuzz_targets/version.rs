//! Version parser and comparator. Input: up to three versions separated by `\n`.
//! Properties: parsing never panics; `compare` agrees with `Version`'s `Ord` and with itself
//! reversed (antisymmetry); a version equals itself; `Display` re-parses to an equal version;
//! the order is transitive over the three; equal versions hash equally.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pinlock_fuzz::version::fuzz_version(data));
