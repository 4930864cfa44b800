//! firewalld_service: see `mxlint::fuzzing::firewalld_service` (shared with the corpus replay test, tests/fuzz_corpus.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mxlint::fuzzing::firewalld_service(data));
