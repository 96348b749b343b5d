//! Bytes -> ISAKMP parse; whatever parses must re-emit byte for byte.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| isakmp::invariants::parse_round_trip(data));
