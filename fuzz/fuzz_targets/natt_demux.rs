//! UDP port 4500 classification: keepalive, non-ESP marker + IKE, or ESP.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| isakmp::invariants::natt_demux(data));
