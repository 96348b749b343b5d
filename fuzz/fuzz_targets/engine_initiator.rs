//! The engine as initiator: a scripted responder's answers, mutated,
//! dropped, replayed and forged (see ikev1::fuzz).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ikev1::fuzz::targets::engine_initiator(data));
