//! One test per impairment kind (ikev1::impairment): what it changes on the
//! wire, shown against an unimpaired run with the same seeds (which is
//! byte-identical up to the impaired message), and how the peer engine
//! reacts to it.

mod common;

use std::time::Duration;

use common::keys::SaKeys;
use common::*;
use ikev1::counters::DropReason;
use ikev1::impairment::Impairment;
use ikev1::policy::ExchangeMode;
use ikev1::sim::{Side, Simulation};
use ikev1::trace::Trace;
use isakmp::numbers::{ExchangeType, PayloadType};
use isakmp::{Message, PayloadsExt};

const PROPOSAL: &str = "aes128-sha256-modp2048";

/// Main Mode with A impaired, run until it settled.
fn impaired_a(impairment: Impairment) -> Simulation {
    let mut sim = Peers::same(ExchangeMode::Main, PROPOSAL).a(|c| c.impairments = vec![impairment]).build();
    run_phase1(&mut sim);
    sim
}

/// The same Main Mode, same seeds, no impairment.
fn baseline() -> Simulation {
    let mut sim = Peers::same(ExchangeMode::Main, PROPOSAL).build();
    run_established(&mut sim);
    sim
}

/// A's Main Mode message `n` (1, 3 or 5) as A first sent it.
fn from_a(sim: &Simulation, n: usize) -> Message {
    wire::messages_from(sim, Side::A)[(n - 1) / 2].clone()
}

fn impaired_traces(sim: &Simulation, side: Side, name: &str) -> usize {
    traces_where(sim, side, |t| matches!(t, Trace::Impaired { impairment, .. } if impairment == name)).len()
}

/// Transmission: drop, duplicate, replay (counted per SA from 1).
mod transmission {
    use super::*;

    #[test]
    fn drop_message_withholds_the_first_datagram_until_the_retransmission() {
        let sim = impaired_a(Impairment::DropMessage { nth: 1 });
        assert_eq!(impaired_traces(&sim, Side::A, "drop_message"), 1);
        let first = &wire::sent_by(&sim, Side::A)[0];
        assert_eq!(
            first.at.as_millis(),
            1000,
            "nothing at 0 ms: the first MM1 on the wire is the retransmission"
        );
        assert_eq!(first.packet.payload, baseline().wire[0].packet.payload, "the same MM1");
        assert_eq!(sim.a.counters().retransmissions, 1);
        assert_eq!(established(&sim, Side::B).len(), 1, "B never knew");
    }

    #[test]
    fn silent_after_sends_mm1_once_and_nothing_after_it() {
        let sim = impaired_a(Impairment::SilentAfter { nth: 1 });
        let from_a = wire::sent_by(&sim, Side::A);
        assert_eq!(from_a.len(), 1, "MM1 only: neither MM3 nor a retransmission");
        assert_eq!(from_a[0].packet.payload, baseline().wire[0].packet.payload);
        assert!(impaired_traces(&sim, Side::A, "silent_after") >= 1, "MM3 and its resends withheld");
        assert_eq!(sim.b.counters().datagrams_sent, 1, "B answers MM1 once and does not resend MM2");
        assert_nothing_established(&sim);
    }

    #[test]
    fn duplicate_message_sends_the_first_datagram_twice_back_to_back() {
        let sim = impaired_a(Impairment::DuplicateMessage { nth: 1 });
        let from_a = wire::sent_by(&sim, Side::A);
        assert_eq!((from_a[0].at, &from_a[0].packet.payload), (from_a[1].at, &from_a[1].packet.payload));
        assert_eq!(
            dropped(&sim, Side::B, DropReason::Duplicate),
            3,
            "B answers the copy from its cache (and the echo follows)"
        );
        assert_eq!(sim.b.isakmp_sa_rows().len(), 1, "one SA");
        assert_eq!(established(&sim, Side::B).len(), 1);
    }

    #[test]
    fn replay_message_sends_mm1_again_later_which_the_established_responder_drops() {
        let sim = impaired_a(Impairment::ReplayMessage { nth: 1, after_ms: 30_000 });
        let from_a = wire::sent_by(&sim, Side::A);
        let replay = from_a.iter().find(|r| r.at.as_millis() == 30_000).expect("a datagram at 30 s");
        assert_eq!(replay.packet.payload, from_a[0].packet.payload, "MM1 again");
        assert_eq!(
            dropped(&sim, Side::B, DropReason::UnexpectedMessage),
            1,
            "no Main Mode message expected now"
        );
        assert_eq!((sim.a.established().len(), sim.b.established().len()), (1, 1), "the SA is unharmed");
    }
}

/// Payload content: HASH, KE, nonce.
mod payloads {
    use super::*;

    #[test]
    fn corrupt_hash_flips_one_bit_of_hash_i_and_the_responder_refuses_it() {
        let sim = impaired_a(Impairment::CorruptHash);
        let clean = baseline();
        let hash_of = |sim: &Simulation| {
            let keys = SaKeys::of_initiator(sim, SEED_A, PSK);
            wire::hash(&keys.phase1_plaintexts[0]).unwrap().to_vec()
        };
        let (bad, good) = (hash_of(&sim), hash_of(&clean));
        assert_eq!(bad[0], good[0] ^ 0x01);
        assert_eq!(bad[1..], good[1..]);
        assert!(dropped(&sim, Side::B, DropReason::HashMismatch) >= 1);
        assert!(notifies_sent(&sim, Side::B, "INVALID-HASH-INFORMATION") >= 1);
        assert_nothing_established(&sim);
    }

    #[test]
    fn omit_ke_leaves_the_ke_payload_out_of_mm3() {
        let sim = impaired_a(Impairment::OmitKe);
        let (bad, good) = (from_a(&sim, 3), from_a(&baseline(), 3));
        let without_ke: Vec<PayloadType> =
            good.payloads().types().into_iter().filter(|t| *t != PayloadType::KE).collect();
        assert_eq!(bad.payloads().types(), without_ke);
        assert_eq!(dropped(&sim, Side::B, DropReason::MissingPayload), 1);
        assert_eq!(notifies_sent(&sim, Side::B, "INVALID-KEY-INFORMATION"), 1);
        assert_eq!(failures(&sim, Side::A), ["peer refused: INVALID-KEY-INFORMATION"]);
    }

    #[test]
    fn zero_ke_sends_ke_data_of_the_right_length_all_zeros() {
        let sim = impaired_a(Impairment::ZeroKe);
        let (bad, good) = (from_a(&sim, 3), from_a(&baseline(), 3));
        let (bad_ke, good_ke) = (wire::ke(bad.payloads()).unwrap(), wire::ke(good.payloads()).unwrap());
        assert_eq!(bad_ke.len(), good_ke.len());
        assert!(bad_ke.iter().all(|byte| *byte == 0));
        assert_eq!(dropped(&sim, Side::B, DropReason::InvalidKeyExchange), 1);
        assert_eq!(notifies_sent(&sim, Side::B, "INVALID-KEY-INFORMATION"), 1);
        assert_nothing_established(&sim);
    }

    #[test]
    fn omit_nonce_leaves_the_nonce_out_of_mm3() {
        let sim = impaired_a(Impairment::OmitNonce);
        let (bad, good) = (from_a(&sim, 3), from_a(&baseline(), 3));
        assert!(wire::nonce(bad.payloads()).is_none() && wire::nonce(good.payloads()).is_some());
        assert_eq!(wire::ke(bad.payloads()), wire::ke(good.payloads()), "the KE is untouched");
        assert_eq!(dropped(&sim, Side::B, DropReason::MissingPayload), 1);
        assert_eq!(notifies_sent(&sim, Side::B, "PAYLOAD-MALFORMED"), 1);
        assert_nothing_established(&sim);
    }

    #[test]
    fn short_nonce_cuts_the_nonce_to_its_first_four_bytes() {
        let sim = impaired_a(Impairment::ShortNonce);
        let (bad, good) = (from_a(&sim, 3), from_a(&baseline(), 3));
        assert_eq!(wire::nonce(bad.payloads()).unwrap(), &wire::nonce(good.payloads()).unwrap()[..4]);
        assert_eq!(dropped(&sim, Side::B, DropReason::InvalidNonce), 1);
        assert_eq!(notifies_sent(&sim, Side::B, "PAYLOAD-MALFORMED"), 1);
        assert_nothing_established(&sim);
    }

    #[test]
    fn unknown_payload_appends_a_payload_of_that_type_and_is_refused() {
        let sim = impaired_a(Impairment::UnknownPayload { payload_type: 99 });
        let (bad, good) = (from_a(&sim, 1), from_a(&baseline(), 1));
        let mut expected = good.payloads().types();
        expected.push(PayloadType(99));
        assert_eq!(bad.payloads().types(), expected);
        assert_eq!(notifies_sent(&sim, Side::B, "INVALID-PAYLOAD-TYPE"), 1);
        assert_eq!(failures(&sim, Side::A), ["peer refused: INVALID-PAYLOAD-TYPE"]);
    }
}

/// The ISAKMP header: flags, version, exchange type, message ID, cookies.
mod header {
    use super::*;

    #[test]
    fn bogus_flags_set_reserved_bits_in_every_header() {
        let sim = impaired_a(Impairment::BogusFlags { flags: 0x80 });
        for message in wire::messages_from(&sim, Side::A) {
            assert_eq!(message.header.flags.0 & 0x80, 0x80);
        }
        let good = from_a(&baseline(), 1);
        assert_eq!(from_a(&sim, 1).header.flags.0, good.header.flags.0 | 0x80);
        // RFC 2408 5.2 step 5: invalid flags are discarded, every copy.
        let sent = wire::sent_by(&sim, Side::A).len() as u64;
        assert_eq!(dropped(&sim, Side::B, DropReason::InvalidFlags), sent);
        assert!(sim.b.isakmp_sa_rows().is_empty());
        assert_nothing_established(&sim);
    }

    #[test]
    fn version_puts_another_version_octet_in_every_header() {
        let sim = impaired_a(Impairment::Version { version: 0x20 });
        for record in wire::sent_by(&sim, Side::A) {
            assert_eq!(record.packet.payload[17], 0x20);
        }
        let sent = wire::sent_by(&sim, Side::A).len() as u64;
        assert_eq!(dropped(&sim, Side::B, DropReason::InvalidMajorVersion), sent, "every copy discarded");
        assert!(sim.b.isakmp_sa_rows().is_empty());
        assert_eq!(failures(&sim, Side::A), ["Death by retransmission P1"]);
    }

    #[test]
    fn wrong_exchange_type_names_another_exchange_in_every_header() {
        let sim = impaired_a(Impairment::WrongExchangeType { exchange: 3 });
        assert!(wire::messages_from(&sim, Side::A).iter().all(|m| m.header.exchange == ExchangeType(3)));
        let sent = wire::sent_by(&sim, Side::A).len() as u64;
        assert_eq!(dropped(&sim, Side::B, DropReason::UnexpectedExchange), sent);
        assert!(sim.b.isakmp_sa_rows().is_empty());
        assert_nothing_established(&sim);
    }

    #[test]
    fn nonzero_phase1_message_id_puts_a_message_id_in_mm1() {
        let sim = impaired_a(Impairment::NonzeroPhase1MessageId);
        assert_eq!(from_a(&sim, 1).header.message_id.0, 0x1b1b_1b1b);
        assert_eq!(from_a(&baseline(), 1).header.message_id.0, 0);
        let sent = wire::sent_by(&sim, Side::A).len() as u64;
        assert_eq!(dropped(&sim, Side::B, DropReason::InvalidMessageId), sent);
        assert_nothing_established(&sim);
    }

    #[test]
    fn zero_responder_cookie_makes_the_responder_send_mm2_without_its_cookie() {
        let mut sim = Peers::same(ExchangeMode::Main, PROPOSAL)
            .b(|c| c.impairments = vec![Impairment::ZeroResponderCookie])
            .build();
        run_phase1(&mut sim);
        let mm2 = wire::messages_from(&sim, Side::B)[0].clone();
        assert!(mm2.header.responder_cookie.is_zero());
        assert!(!wire::messages_from(&baseline(), Side::B)[0].header.responder_cookie.is_zero());
        assert!(
            dropped(&sim, Side::A, DropReason::UnexpectedMessage) >= 1,
            "A cannot use an MM2 without a cookie"
        );
        assert_nothing_established(&sim);
    }
}

/// Whole-datagram damage.
mod framing {
    use super::*;

    #[test]
    fn wrong_payload_length_shifts_the_first_payloads_length_field() {
        let sim = impaired_a(Impairment::WrongPayloadLength { delta: 4 });
        let (bad, good) =
            (&wire::sent_by(&sim, Side::A)[0].packet.payload, &baseline().wire[0].packet.payload);
        let length = |bytes: &[u8]| u16::from_be_bytes([bytes[30], bytes[31]]);
        assert_eq!(length(bad), length(good) + 4);
        assert_eq!((&bad[..30], &bad[32..]), (&good[..30], &good[32..]), "nothing else differs");
        assert!(dropped(&sim, Side::B, DropReason::Malformed) >= 1);
        assert!(sim.b.isakmp_sa_rows().is_empty());
    }

    #[test]
    fn truncate_cuts_every_datagram_short() {
        let sim = impaired_a(Impairment::Truncate { bytes: 8 });
        let (bad, good) =
            (&wire::sent_by(&sim, Side::A)[0].packet.payload, &baseline().wire[0].packet.payload);
        assert_eq!(bad.as_slice(), &good[..good.len() - 8]);
        let sent = wire::sent_by(&sim, Side::A).len() as u64;
        assert_eq!(dropped(&sim, Side::B, DropReason::Malformed), sent);
        assert!(sim.b.isakmp_sa_rows().is_empty());
    }
}

/// Protection: encryption and Delete.
mod protection {
    use super::*;

    #[test]
    fn cleartext_sends_mm5_without_the_e_flag_and_with_readable_id_and_hash() {
        let sim = impaired_a(Impairment::Cleartext);
        let mm5 = from_a(&sim, 5);
        assert!(!mm5.header.flags.is_encrypted());
        // The very payloads the unimpaired MM5 carries encrypted.
        let clean = baseline();
        let keys = SaKeys::of_initiator(&clean, SEED_A, PSK);
        assert_eq!(mm5.payloads(), keys.phase1_plaintexts[0].as_slice());
        assert_eq!(
            mm5.payloads().types(),
            [PayloadType::ID, PayloadType::HASH, PayloadType::NOTIFICATION],
            "IDii, HASH_I, INITIAL-CONTACT"
        );
        assert!(dropped(&sim, Side::B, DropReason::EncryptionMismatch) >= 1, "MM5 must be encrypted");
        assert_nothing_established(&sim);
    }

    #[test]
    fn no_delete_deletes_silently() {
        let mut sim = Peers::same(ExchangeMode::Main, PROPOSAL)
            .a(|c| c.impairments = vec![Impairment::NoDelete])
            .build();
        run_established(&mut sim);
        let before = sim.wire.len();
        sim.act(Side::A, |endpoint, now| endpoint.delete_connection(now, "peer"));
        sim.run_for(Duration::from_secs(5));
        assert_eq!(sim.wire.len(), before, "no Informational on the wire");
        assert_eq!(impaired_traces(&sim, Side::A, "no_delete"), 1);
        assert_eq!(deletions(&sim, Side::A), ["deleted by operator"]);
        assert_eq!(sim.b.established().len(), 1, "B still believes in the SA");
    }
}

/// Mutate: the fuzz mutations, applied by the engine itself so a payload edit
/// happens before encryption.
mod mutate {
    use super::*;
    use ikev1::impairment::{HeaderField, Mutation, PayloadEdit};
    use isakmp::PayloadBody;
    use isakmp::payload::SaContent;

    fn mutated_a(nth: u32, mutation: Mutation) -> Simulation {
        impaired_a(Impairment::Mutate { nth, mutation, authentic: false })
    }

    #[test]
    fn a_payload_edit_of_mm5_happens_before_encryption() {
        let sim = mutated_a(3, Mutation::Payload(PayloadEdit::Duplicate(0)));
        assert_eq!(impaired_traces(&sim, Side::A, "mutate"), 1, "MM5 is the third message A builds");
        let keys = SaKeys::of_initiator(&sim, SEED_A, PSK);
        assert_eq!(
            keys.phase1_plaintexts[0].types(),
            [PayloadType::ID, PayloadType::ID, PayloadType::HASH, PayloadType::NOTIFICATION],
            "B can decrypt it and finds IDii twice"
        );
        assert_eq!(sim.b.counters().dropped, Default::default(), "nothing B could not read");
        assert_eq!(established(&sim, Side::B).len(), 1, "B authenticates the first IDii and goes on");
    }

    #[test]
    fn a_patch_lands_in_the_emitted_payload_of_a_plain_message() {
        // Byte 3 of the SA body is the low octet of the DOI (RFC 2408 3.4).
        let sim = mutated_a(1, Mutation::Payload(PayloadEdit::Patch { payload: 0, offset: 3, value: 2 }));
        let mm1 = from_a(&sim, 1);
        let PayloadBody::SecurityAssociation(sa) = &mm1.payloads()[0].body else { panic!("an SA first") };
        assert_eq!(sa.doi.0, 2, "GDOI instead of IPsec");
        assert!(!matches!(sa.content, SaContent::Ipsec(_)), "no longer read as an IPsec situation");
        assert_eq!(sim.b.counters().notifies_sent.get("DOI-NOT-SUPPORTED"), Some(&1), "RFC 2408 5.6.1");
        assert_nothing_established(&sim);
    }

    #[test]
    fn a_header_edit_changes_the_nth_message_and_its_retransmissions_only() {
        let sim = mutated_a(1, Mutation::Header { field: HeaderField::MessageId, value: 7 });
        let from_a = wire::sent_by(&sim, Side::A);
        assert!(from_a.len() > 1, "MM1 and its retransmissions");
        for record in &from_a {
            assert_eq!(wire::parse(&record.packet).header.message_id.0, 7, "resent as built");
        }
        assert_eq!(
            dropped(&sim, Side::B, DropReason::InvalidMessageId),
            from_a.len() as u64,
            "Phase 1 with a nonzero message ID (RFC 2409 5)"
        );
        assert_nothing_established(&sim);
    }

    /// A's Delete Informational (the fourth message it builds: MM1, MM3, MM5,
    /// then the Delete) with its Delete payload duplicated.
    fn delete_twice(authentic: bool) -> Simulation {
        let mutation = Mutation::Payload(PayloadEdit::Duplicate(if authentic { 0 } else { 1 }));
        let mut sim = Peers::same(ExchangeMode::Main, PROPOSAL)
            .a(|c| c.impairments = vec![Impairment::Mutate { nth: 4, mutation, authentic }])
            .build();
        run_established(&mut sim);
        sim.act(Side::A, |endpoint, now| endpoint.delete_connection(now, "peer"));
        sim.run_for(Duration::from_secs(5));
        sim
    }

    #[test]
    fn an_authentic_edit_is_covered_by_the_informational_hash() {
        let sim = delete_twice(true);
        let informational = wire::sent_by(&sim, Side::A).last().map(|r| wire::parse(&r.packet)).unwrap();
        assert_eq!(informational.header.exchange, ExchangeType::INFORMATIONAL);
        assert_eq!(impaired_traces(&sim, Side::A, "mutate"), 1);
        assert_eq!(sim.b.counters().dropped, Default::default(), "HASH(1) verifies");
        assert_eq!(deletions(&sim, Side::B), ["deleted by peer"], "two Deletes of one SA delete it once");
    }

    #[test]
    fn an_edit_made_after_the_hash_breaks_it() {
        let sim = delete_twice(false);
        assert_eq!(dropped(&sim, Side::B, DropReason::HashMismatch), 1, "RFC 2409 5.7");
        assert!(deletions(&sim, Side::B).is_empty(), "B keeps the SA");
    }
}
