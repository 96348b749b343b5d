//! The ESP data plane of an endpoint with IPsec SAs up: the peers' ESP
//! packets (raw or UDP-encapsulated) mutated, replayed and dropped
//! (see ikev1::fuzz).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ikev1::fuzz::targets::esp_decap(data));
