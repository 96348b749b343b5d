//! The engine as responder: a scripted initiator's Main/Aggressive/Quick Mode
//! messages, mutated, dropped, replayed and forged (see ikev1::fuzz).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ikev1::fuzz::targets::engine_responder(data));
