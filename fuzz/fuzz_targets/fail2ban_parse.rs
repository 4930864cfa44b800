//! fail2ban_parse: see `mxlint::fuzzing::fail2ban_parse` (shared with the corpus replay test, tests/fuzz_corpus.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mxlint::fuzzing::fail2ban_parse(data));
