//! apt source parsers: every line through the one-line parser, the whole text through the
//! deb822 `.sources` parser. Properties: nothing panics; a parsed source has a URI, at least one
//! suite, and its displayed URI is redacted; a spec's `Debug` output does not depend on the
//! URI's credentials, and a one-line error never shows a (distinctive, once-written) password
//! of any `user:password@` URI on the line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pinlock_fuzz::sources::fuzz_sources(data));
