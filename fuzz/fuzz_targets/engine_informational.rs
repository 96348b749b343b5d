//! Established SAs with two peers fed forged Informational exchanges:
//! only authentic ones may change state (see ikev1::fuzz).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ikev1::fuzz::targets::engine_informational(data));
