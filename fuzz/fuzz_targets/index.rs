//! Packages and Release parsers (and the deb822 scanner under both): any text either parses or
//! is an error with a line number inside the text; nothing panics. Every field of every parsed
//! package is read, so lazy field access is exercised too. The streaming parser
//! (`IndexBuilder`, fed the raw bytes in chunks of varying size) gives the same packages, field
//! values, line numbers and errors as `PackageIndex::parse` of the whole text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pinlock_fuzz::index::fuzz_index(data));
