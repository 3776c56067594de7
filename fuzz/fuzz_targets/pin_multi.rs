//! The playbook rewriter (`pin_source`) with two targets of different versions: package entries
//! are written `name={{ pinlock_pins['name'] }}` (looked up per host) and free-form arguments are
//! refused (left unchanged).
//!
//! Same properties as the `pin` target ([`pinlock_fuzz::fuzz_pin`]), with
//! [`pinlock_fuzz::docker_pins_multi`]: the output differs from the input only in what pinning
//! may change, each pinned entry carries its lookup, and pinning it again changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinlock_core::ansible::PinOptions;

fuzz_target!(|data: &[u8]| {
    pinlock_fuzz::fuzz_pin(
        data,
        &pinlock_fuzz::docker_pins_multi(),
        &PinOptions::default(),
    );
});
