//! Constraint parser. Input: a constraint, then versions, separated by `\n`.
//! Properties: parsing never panics; a parsed constraint's text re-parses to a constraint that
//! matches exactly the same versions; `*` matches everything; errors name the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pinlock_fuzz::constraint::fuzz_constraint(data));
