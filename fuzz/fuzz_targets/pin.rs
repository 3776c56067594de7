//! The playbook rewriter (`pin_source`) with one target's literal pins.
//!
//! Properties, for any UTF-8 input ([`pinlock_fuzz::fuzz_pin`]):
//! - nothing panics;
//! - when the input is YAML that serde_yaml reads too, the output is as well, with the same number
//!   of documents, and it differs from the input only in what pinning may change, where the
//!   rewriter changes it ([`pinlock_fuzz::check_pin_diff`]): pinned package entries get
//!   `=<pinned version>`, `latest` becomes `present`, `allow_downgrade`/`allow_change_held_packages`
//!   are set or added, free-form arguments are read only in an apt module's free-form string, and
//!   hold tasks are added or updated;
//! - pinning the output again changes nothing (pin twice == pin once).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinlock_core::ansible::PinOptions;

fuzz_target!(|data: &[u8]| {
    pinlock_fuzz::fuzz_pin(data, &pinlock_fuzz::docker_pins(), &PinOptions::default());
});
