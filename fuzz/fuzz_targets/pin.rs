//! The playbook rewriter (`pin_source`) with one target's literal pins.
//!
//! Properties, for any UTF-8 input:
//! - nothing panics;
//! - when the input is YAML that serde_yaml reads too, the output is as well, with the same number
//!   of documents, and it differs from the input only in what pinning may change
//!   ([`pinlock_fuzz::check_pin_diff`]): pinned package tokens get `=<pinned version>`,
//!   `latest` becomes `present`, `allow_downgrade`/`allow_change_held_packages` are added, and
//!   hold tasks are added or updated;
//! - pinning the output again changes nothing (pin twice == pin once).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pinlock_core::ansible::{pin_source, PinOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let pins = pinlock_fuzz::docker_pins();
    let opts = PinOptions::default();
    let path = Path::new("fuzz.yml");
    let Ok(out) = pin_source(path, text, &pins, &opts) else {
        return;
    };
    let Some(new) = out.new_text else {
        return;
    };
    assert_ne!(new, text, "new_text is only set when the text changes");
    if let Err(why) = pinlock_fuzz::check_pin_diff(text, &new, &pins) {
        panic!("{why}\n--- input\n{text}\n--- output\n{new}");
    }
    let again = pin_source(path, &new, &pins, &opts)
        .unwrap_or_else(|e| panic!("pinned output does not pin again: {e}\n--- output\n{new}"));
    if let Some(third) = again.new_text {
        panic!("pin twice != pin once\n--- once\n{new}\n--- twice\n{third}");
    }
});
