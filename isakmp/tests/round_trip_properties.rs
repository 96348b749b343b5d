//! Property tests of the wire format's two round trips (DESIGN.md, isakmp):
//! any generated message survives emit -> parse unchanged, and any byte
//! string either parses to something that emits back to the same bytes or is
//! refused with an error; nothing panics.
//!
//! Messages are generated with the crate's `Arbitrary` impls (the same ones the
//! structured fuzz target uses) from proptest-chosen bytes, so one generator
//! serves both.

use arbitrary::{Arbitrary, Unstructured};
use isakmp::natt::Port4500;
use isakmp::{Message, Plaintext};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig { cases: 2048, ..ProptestConfig::default() }
}

fn message_from(seed: &[u8]) -> Option<Message> {
    Message::arbitrary(&mut Unstructured::new(seed)).ok()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_emittable_message_parses_back_to_itself(seed in prop::collection::vec(any::<u8>(), 0..2048)) {
        if let Some(message) = message_from(&seed)
            && let Ok(bytes) = message.emit() {
                let parsed = Message::parse(&bytes);
                prop_assert_eq!(parsed.as_ref(), Ok(&message), "bytes: {:02x?}", bytes);
            }
    }

    #[test]
    fn any_bytes_either_parse_and_re_emit_identically_or_fail(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(message) = Message::parse(&bytes) {
            prop_assert_eq!(message.emit().unwrap(), bytes);
        }
    }

    /// Mutations of a valid message reach deeper than random bytes do.
    #[test]
    fn mutated_valid_messages_never_panic(
        seed in prop::collection::vec(any::<u8>(), 0..1024),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        if let Some(Ok(mut bytes)) = message_from(&seed).map(|m| m.emit()) {
            if bytes.is_empty() { return Ok(()); }
            for (index, value) in flips {
                let at = index.index(bytes.len());
                bytes[at] = value;
            }
            if let Ok(message) = Message::parse(&bytes) {
                prop_assert_eq!(message.emit().unwrap(), bytes);
            }
        }
    }

    #[test]
    fn decrypted_bodies_keep_their_padding(seed in prop::collection::vec(any::<u8>(), 0..1024), padding in prop::collection::vec(any::<u8>(), 0..16)) {
        if let Some(message) = message_from(&seed) {
            let payloads = message.payloads().to_vec();
            if payloads.is_empty() { return Ok(()); }
            let plaintext = Plaintext { payloads, padding };
            if let Ok(bytes) = plaintext.emit() {
                let first = plaintext.payloads[0].payload_type();
                prop_assert_eq!(Plaintext::parse(first, &bytes, 28), Ok(plaintext));
            }
        }
    }

    #[test]
    fn port_4500_classification_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        match Port4500::classify(&bytes) {
            Ok(Port4500::Ike(message)) => prop_assert_eq!(message, &bytes[4..]),
            Ok(Port4500::Esp(packet)) => prop_assert_eq!(packet, &bytes[..]),
            Ok(Port4500::Keepalive) => prop_assert_eq!(&bytes[..], &[0xff][..]),
            Err(_) => prop_assert!(bytes.len() < 8),
        }
    }
}

/// Most generated messages must be emittable, or the first property would
/// prove little.
#[test]
fn the_generator_mostly_produces_emittable_messages() {
    let mut emitted = 0;
    let mut generated = 0;
    for seed_len in 0..400usize {
        let seed: Vec<u8> = (0..seed_len).map(|i| (i * 131 + seed_len * 7) as u8).collect();
        if let Some(message) = message_from(&seed) {
            generated += 1;
            if message.emit().is_ok() {
                emitted += 1;
            }
        }
    }
    assert!(generated > 300, "generated {generated}");
    assert!(emitted * 10 >= generated * 9, "only {emitted} of {generated} emit");
}
