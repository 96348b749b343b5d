//! Bad input at the responder (RFC 2408 5: "ISAKMP Payload Processing"),
//! delivered by mutating A's datagrams on the simulated wire or by
//! injecting crafted ones. Each case checks the drop reason counted, whether
//! a Notify went back, and that the responder's state survived: a correct
//! exchange afterwards still succeeds.

mod common;

use std::time::Duration;

use common::keys::SaKeys;
use common::*;
use ikev1::counters::DropReason;
use ikev1::policy::ExchangeMode;
use ikev1::sim::{Rule, Rules, Side, Simulation};
use isakmp::numbers::{NotifyType, PayloadType, ProtocolId};
use isakmp::payload::{Delete, Notification, SpiList};
use isakmp::{Payload, PayloadBody};

fn main_mode() -> Simulation {
    Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048").build()
}

/// Main Mode with A's `nth` datagram changed on the wire.
fn with_mutation(nth: u32, change: impl FnMut(&mut Vec<u8>) + 'static) -> Simulation {
    let mut sim = main_mode();
    sim.interceptor = Box::new(Rules::new(vec![Rule::mutate(Side::A, nth, change)]));
    sim
}

/// No Informational went from B to A.
fn b_sent_no_notify(sim: &Simulation) -> bool {
    sim.b.counters().notifies_sent.is_empty()
}

/// The refused exchange is over; a new one from A completes.
fn a_new_exchange_succeeds(sim: &mut Simulation) {
    let before = sim.b.counters().phase1_established;
    sim.initiate(Side::A, "peer");
    sim.run_for(SETTLE);
    assert_eq!(sim.b.counters().phase1_established, before + 1, "B still serves a correct initiator");
    assert!(!sim.a.established().is_empty());
}

/// RFC 2408 5.1 and 5.2: header and length checks, each a silent discard
/// (the Notify is a MAY; we do not answer unauthenticated strangers). The
/// mutated MM1 is dropped before any state exists, so A's retransmission
/// of the intact MM1 completes the exchange.
mod header {
    use super::*;

    fn dropped_then_recovered_by_retransmission(sim: &mut Simulation, reason: DropReason) {
        run_established(sim);
        assert_eq!(dropped(sim, Side::B, reason), 1, "{reason:?}");
        assert!(b_sent_no_notify(sim), "{reason:?}: discarded silently");
        assert_eq!(sim.a.counters().retransmissions, 1, "{reason:?}: A's retransmission got through");
        assert_eq!(sim.b.isakmp_sa_rows().len(), 1, "{reason:?}: the bad MM1 left no SA");
    }

    /// RFC 2408 5.2 step 3: a wrong major version is discarded.
    #[test]
    fn a_major_version_other_than_1_is_discarded() {
        let mut sim = with_mutation(1, |bytes| bytes[17] = 0x20);
        dropped_then_recovered_by_retransmission(&mut sim, DropReason::InvalidMajorVersion);
    }

    /// RFC 2408 5.1: a message shorter than its header's length MUST be rejected.
    #[test]
    fn a_truncated_message_is_discarded() {
        let mut sim = with_mutation(1, |bytes| bytes.truncate(bytes.len() - 10));
        dropped_then_recovered_by_retransmission(&mut sim, DropReason::Malformed);
    }

    /// RFC 2408 5.3: a payload length that does not fit the chain.
    #[test]
    fn a_wrong_payload_length_is_discarded() {
        let mut sim = with_mutation(1, |bytes| {
            let length = u16::from_be_bytes([bytes[30], bytes[31]]);
            bytes[30..32].copy_from_slice(&(length + 4).to_be_bytes());
        });
        dropped_then_recovered_by_retransmission(&mut sim, DropReason::Malformed);
    }

    /// RFC 2408 5.2 step 1: cookies of no SA are INVALID COOKIE, discarded.
    #[test]
    fn a_message_for_unknown_cookies_is_discarded() {
        let mut sim = main_mode();
        run_established(&mut sim);
        let mut stray = wire::sent_by(&sim, Side::A)[1].packet.payload.clone();
        stray[..16].copy_from_slice(&[0x77; 16]);
        sim.inject(Side::A, on_port(a(), 500), on_port(b(), 500), stray);
        sim.run_for(Duration::from_secs(5));
        assert_eq!(dropped(&sim, Side::B, DropReason::UnknownCookies), 1);
        assert!(b_sent_no_notify(&sim));
        assert_eq!(sim.b.established().len(), 1, "the real SA is untouched");
    }
}

/// RFC 2408 5.2 step 2 and 5.3 step 1: a payload type that does not
/// exist in IKEv1 is INVALID-PAYLOAD-TYPE.
mod payload_types {
    use super::*;

    #[test]
    fn an_unknown_payload_type_in_mm1_is_refused_with_invalid_payload_type() {
        let mut sim = with_mutation(1, |bytes| {
            *bytes = wire::rewritten(bytes, |message| {
                let unknown = PayloadBody::Unknown { payload_type: PayloadType(99), data: vec![1, 2, 3, 4] };
                wire::payloads_mut(message).push(Payload::from(unknown));
            });
        });
        run_phase1(&mut sim);
        assert_nothing_established(&sim);
        assert_eq!(notifies_sent(&sim, Side::B, "INVALID-PAYLOAD-TYPE"), 1);
        let refusal = wire::plain_notifies_from(&sim, Side::B);
        assert_eq!(refusal[0].notify_type, NotifyType::INVALID_PAYLOAD_TYPE);
        assert_eq!(failures(&sim, Side::A), ["peer refused: INVALID-PAYLOAD-TYPE"]);
        assert!(sim.b.isakmp_sa_rows().is_empty(), "no half-open SA left behind");
        a_new_exchange_succeeds(&mut sim);
    }
}

/// RFC 2409 5: MM1-MM4 are plain, MM5 and MM6 encrypted; a message that
/// disagrees is dropped without touching the exchange.
mod encryption {
    use super::*;

    #[test]
    fn an_encrypted_mm3_is_dropped_and_the_intact_retransmission_completes() {
        let mut sim = with_mutation(2, |bytes| bytes[19] |= 0x01);
        run_established(&mut sim);
        assert_eq!(dropped(&sim, Side::B, DropReason::EncryptionMismatch), 1);
        assert!(b_sent_no_notify(&sim));
        assert_eq!(sim.a.counters().retransmissions, 1);
    }

    #[test]
    fn a_plain_mm5_is_dropped_and_the_encrypted_retransmission_completes() {
        // Clearing E makes the ciphertext read as a plain payload chain,
        // which does not parse: discarded as malformed before any state.
        let mut sim = with_mutation(3, |bytes| bytes[19] &= !0x01);
        run_established(&mut sim);
        assert_eq!(dropped(&sim, Side::B, DropReason::Malformed), 1);
        assert!(b_sent_no_notify(&sim));
        assert_eq!(sim.a.counters().retransmissions, 1);
    }
}

/// RFC 2408 5.7 (b) and RFC 2409 5: key exchange data of the right length
/// but outside 1 < g^x < p-1 is INVALID-KEY-INFORMATION (CVE-2015-3240:
/// a zero KE made a shared secret of zero); a nonce outside 8..256 bytes is
/// malformed (RFC 2409 5).
mod key_exchange {
    use super::*;

    fn rewrite_mm3(change: fn(&mut Payload)) -> Simulation {
        with_mutation(2, move |bytes| {
            *bytes =
                wire::rewritten(bytes, |message| wire::payloads_mut(message).iter_mut().for_each(change));
        })
    }

    #[test]
    fn an_all_zero_ke_is_refused_with_invalid_key_information() {
        let mut sim = rewrite_mm3(|payload| {
            if let PayloadBody::KeyExchange(data) = &mut payload.body {
                data.fill(0);
            }
        });
        run_phase1(&mut sim);
        assert_nothing_established(&sim);
        assert_eq!(dropped(&sim, Side::B, DropReason::InvalidKeyExchange), 1);
        assert_eq!(notifies_sent(&sim, Side::B, "INVALID-KEY-INFORMATION"), 1);
        assert_eq!(failures(&sim, Side::A), ["peer refused: INVALID-KEY-INFORMATION"]);
        assert!(sim.b.isakmp_sa_rows().is_empty());
        a_new_exchange_succeeds(&mut sim);
    }

    #[test]
    fn a_four_byte_nonce_is_refused_as_malformed() {
        let mut sim = rewrite_mm3(|payload| {
            if let PayloadBody::Nonce(data) = &mut payload.body {
                data.truncate(4);
            }
        });
        run_phase1(&mut sim);
        assert_nothing_established(&sim);
        assert_eq!(dropped(&sim, Side::B, DropReason::InvalidNonce), 1);
        assert_eq!(notifies_sent(&sim, Side::B, "PAYLOAD-MALFORMED"), 1);
        assert_eq!(failures(&sim, Side::A), ["peer refused: PAYLOAD-MALFORMED"]);
        a_new_exchange_succeeds(&mut sim);
    }
}

/// RFC 2408 4.8 and 5.15, RFC 2409 5.7: once keys exist an Informational
/// MUST be protected and carry a valid HASH(1); and a Delete acts only on
/// the SAs it names.
mod informational {
    use super::*;

    fn delete_of(spi: &[u8]) -> Payload {
        let spis = SpiList::new([spi]).unwrap();
        Payload::from(PayloadBody::Delete(Delete {
            doi: isakmp::numbers::Doi::IPSEC,
            protocol: ProtocolId::ISAKMP,
            spis,
        }))
    }

    fn established() -> (Simulation, SaKeys) {
        let mut sim = main_mode();
        run_established(&mut sim);
        let keys = SaKeys::of_initiator(&sim, SEED_A, PSK);
        (sim, keys)
    }

    fn inject_from_a(sim: &mut Simulation, datagram: Vec<u8>) {
        sim.inject(Side::A, on_port(a(), 500), on_port(b(), 500), datagram);
        sim.run_for(Duration::from_secs(5));
    }

    /// The CVE-2020-1763 shape: an unprotected Informational for a live SA.
    #[test]
    fn a_plain_delete_after_keys_exist_is_dropped() {
        let (mut sim, keys) = established();
        let header = wire::parse(&sim.wire[4].packet).header;
        let plain = isakmp::Message {
            header: isakmp::Header {
                exchange: isakmp::numbers::ExchangeType::INFORMATIONAL,
                flags: isakmp::Flags::default(),
                message_id: isakmp::MessageId(0x1234),
                ..header
            },
            body: isakmp::Body::Plain(vec![delete_of(&keys.cookie_spi())]),
            trailing: Vec::new(),
        };
        inject_from_a(&mut sim, plain.emit().unwrap());
        assert_eq!(dropped(&sim, Side::B, DropReason::UnauthenticatedInformational), 1);
        assert!(b_sent_no_notify(&sim));
        assert!(deletions(&sim, Side::B).is_empty());
        assert_eq!(sim.b.established().len(), 1, "the SA survives");
    }

    #[test]
    fn a_protected_delete_with_a_wrong_hash_is_dropped() {
        let (mut sim, keys) = established();
        let forged =
            keys.informational_with_hash(0x5678, vec![0xab; 32], vec![delete_of(&keys.cookie_spi())]);
        inject_from_a(&mut sim, forged);
        assert_eq!(dropped(&sim, Side::B, DropReason::HashMismatch), 1);
        assert!(b_sent_no_notify(&sim), "RFC 2409 9: no answer to an Informational");
        assert!(deletions(&sim, Side::B).is_empty());
        assert_eq!(sim.b.established().len(), 1, "the SA survives");
        // The same Delete with the right HASH(1) does delete: only the hash differed.
        inject_from_a(&mut sim, keys.protected_informational(0x5679, vec![delete_of(&keys.cookie_spi())]));
        assert_eq!(deletions(&sim, Side::B), ["deleted by peer"]);
    }

    /// RFC 2408 5.15 step 4: each SPI is checked; one that is not ours is
    /// logged (INVALID SPI) and nothing is deleted.
    #[test]
    fn a_protected_delete_for_someone_elses_cookies_is_ignored() {
        let (mut sim, keys) = established();
        inject_from_a(&mut sim, keys.protected_informational(0x4242, vec![delete_of(&[0x5a; 16])]));
        let logged = traces_where(&sim, Side::B, |t| matches!(t, ikev1::trace::Trace::DeleteReceived { .. }));
        assert_eq!(logged.len(), 1, "authentic, read and logged");
        assert!(deletions(&sim, Side::B).is_empty(), "but nothing deleted");
        assert_eq!(sim.b.established().len(), 1);
        assert!(b_sent_no_notify(&sim));
    }

    #[test]
    fn an_error_notify_under_the_sa_does_not_tear_down_an_established_sa() {
        let (mut sim, keys) = established();
        let notify = Payload::from(PayloadBody::Notification(Notification::ipsec(
            ProtocolId::ISAKMP,
            NotifyType::INVALID_PAYLOAD_TYPE,
            keys.cookie_spi(),
            Vec::new(),
        )));
        inject_from_a(&mut sim, keys.protected_informational(0x99, vec![notify]));
        assert_eq!(notifies_received(&sim, Side::B, "INVALID-PAYLOAD-TYPE"), 1);
        assert_eq!(sim.b.established().len(), 1);
        assert!(b_sent_no_notify(&sim));
    }
}
