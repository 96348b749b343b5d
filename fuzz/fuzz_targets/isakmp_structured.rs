//! An arbitrary message -> emit -> parse must give the same message back.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| isakmp::invariants::structured_round_trip(data));
