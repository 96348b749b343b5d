//! After Phase 1: Informational exchanges under the ISAKMP SA (RFC 2408
//! 4.8, RFC 2409 5.7) carrying Delete and DPD notifies (RFC 3706), and the
//! SA's lifetime: re-keyed before it runs out, deleted when it does.

mod common;

use std::time::Duration;

use common::keys::SaKeys;
use common::*;
use ikev1::policy::ExchangeMode;
use ikev1::sim::{Side, Simulation};
use ikev1::trace::Trace;
use isakmp::numbers::{ExchangeType, NotifyType, ProtocolId};
use isakmp::payload::Notification;
use isakmp::{Payload, PayloadBody};

fn established_pair(mode: ExchangeMode) -> Simulation {
    let mut sim = Peers::same(mode, "aes128-sha256-modp2048").build();
    run_established(&mut sim);
    sim
}

/// The protected Informationals one side sent after `from` on the wire.
fn informationals_after(sim: &Simulation, side: Side, from: usize) -> Vec<isakmp::Message> {
    sim.wire[from..]
        .iter()
        .filter(|r| r.packet.from == side)
        .map(|r| wire::parse(&r.packet))
        .filter(|m| m.header.exchange == ExchangeType::INFORMATIONAL)
        .collect()
}

/// RFC 2408 3.15 and 5.15: a Delete travels under the ISAKMP SA, names the
/// SA by both cookies, and the receiver cleans up its SA database.
mod delete {
    use super::*;

    fn delete_from_a(mode: ExchangeMode) {
        let mut sim = established_pair(mode);
        let keys = SaKeys::of_initiator(&sim, SEED_A, PSK);
        let before = sim.wire.len();
        sim.act(Side::A, |endpoint, now| endpoint.delete_connection(now, "peer"));
        sim.run_for(Duration::from_secs(5));
        let sent = informationals_after(&sim, Side::A, before);
        assert_eq!(sent.len(), 1, "{mode:?}: one Informational");
        assert!(sent[0].is_encrypted(), "{mode:?}: RFC 2408 5.15: under the ISAKMP SA's protection");
        assert_ne!(sent[0].header.message_id.0, 0, "{mode:?}: a fresh message ID");
        let payloads = keys.decrypt_informational(&sent[0]);
        assert!(matches!(payloads[0].body, PayloadBody::Hash(_)), "{mode:?}: HASH(1) first");
        let PayloadBody::Delete(delete) = &payloads[1].body else { panic!("{mode:?}: a Delete") };
        assert_eq!(delete.protocol, ProtocolId::ISAKMP);
        assert_eq!(delete.spis.iter().collect::<Vec<_>>(), [keys.cookie_spi().as_slice()]);
        assert_eq!(deletions(&sim, Side::A), ["deleted by operator"], "{mode:?}");
        assert_eq!(deletions(&sim, Side::B), ["deleted by peer"], "{mode:?}");
        let received = traces_where(&sim, Side::B, |t| matches!(t, Trace::DeleteReceived { .. }));
        assert_eq!(received.len(), 1, "{mode:?}");
        assert!(sim.a.isakmp_sa_rows().is_empty() && sim.b.isakmp_sa_rows().is_empty(), "{mode:?}");
        assert_eq!(
            informationals_after(&sim, Side::B, before).len(),
            0,
            "{mode:?}: a Delete is not answered"
        );
    }

    #[test]
    fn deleting_a_main_mode_sa_tells_the_peer_which_forgets_it_too() {
        delete_from_a(ExchangeMode::Main);
    }

    #[test]
    fn deleting_an_aggressive_mode_sa_tells_the_peer_which_forgets_it_too() {
        delete_from_a(ExchangeMode::Aggressive);
    }

    #[test]
    fn shutting_the_responder_down_deletes_its_sa_on_both_sides() {
        let mut sim = established_pair(ExchangeMode::Main);
        sim.act(Side::B, |endpoint, now| endpoint.shutdown(now));
        sim.run_for(Duration::from_secs(5));
        assert_eq!(deletions(&sim, Side::B), ["shutdown"]);
        assert_eq!(deletions(&sim, Side::A), ["deleted by peer"]);
        assert!(sim.a.established().is_empty() && sim.b.established().is_empty());
    }
}

/// RFC 3706: Dead Peer Detection. An R-U-THERE under the ISAKMP SA is
/// answered with an R-U-THERE-ACK carrying the same sequence number (5.1).
mod dead_peer_detection {
    use super::*;

    fn dpd(notify: NotifyType, spi: Vec<u8>, sequence: u32) -> Payload {
        Payload::from(PayloadBody::Notification(Notification::ipsec(
            ProtocolId::ISAKMP,
            notify,
            spi,
            sequence.to_be_bytes().to_vec(),
        )))
    }

    #[test]
    fn r_u_there_is_answered_with_an_ack_of_the_same_sequence_number() {
        let mut sim = established_pair(ExchangeMode::Main);
        let keys = SaKeys::of_initiator(&sim, SEED_A, PSK);
        let before = sim.wire.len();
        let r_u_there =
            keys.protected_informational(0x0102_0304, vec![dpd(NotifyType::R_U_THERE, keys.cookie_spi(), 7)]);
        sim.inject(Side::A, on_port(a(), 500), on_port(b(), 500), r_u_there);
        sim.run_for(Duration::from_secs(5));
        assert_eq!(notifies_received(&sim, Side::B, "R-U-THERE"), 1);
        assert_eq!(notifies_sent(&sim, Side::B, "R-U-THERE-ACK"), 1);
        let answers = informationals_after(&sim, Side::B, before);
        assert_eq!(answers.len(), 1);
        assert!(answers[0].is_encrypted());
        let payloads = keys.decrypt_informational(&answers[0]);
        let ack = wire::notifications(&payloads);
        assert_eq!(ack.len(), 1);
        assert_eq!(ack[0].notify_type, NotifyType::R_U_THERE_ACK);
        assert_eq!(ack[0].dpd_sequence(), Some(7), "RFC 3706 5.1: the same sequence number");
        assert_eq!(ack[0].spi, keys.cookie_spi(), "RFC 3706 5.1: the SPI is the cookie pair");
        // A's engine reads the ACK, drops it (it never asked: the R-U-THERE
        // was forged in its name) and keeps its SA.
        assert_eq!(notifies_received(&sim, Side::A, "R-U-THERE-ACK"), 1);
        assert_eq!(dropped(&sim, Side::A, ikev1::counters::DropReason::UnexpectedMessage), 1);
        assert_eq!((sim.a.established().len(), sim.b.established().len()), (1, 1));
    }

    #[test]
    fn every_r_u_there_gets_its_own_ack() {
        let mut sim = established_pair(ExchangeMode::Aggressive);
        let keys = SaKeys::of_initiator(&sim, SEED_A, PSK);
        for (message_id, sequence) in [(11, 100), (12, 101), (13, 102)] {
            let r_u_there = keys.protected_informational(
                message_id,
                vec![dpd(NotifyType::R_U_THERE, keys.cookie_spi(), sequence)],
            );
            sim.inject(Side::A, on_port(a(), 500), on_port(b(), 500), r_u_there);
            sim.run_for(Duration::from_secs(10));
        }
        let sequences: Vec<Option<u32>> = informationals_after(&sim, Side::B, 0)
            .iter()
            .flat_map(|m| {
                let payloads = keys.decrypt_informational(m);
                wire::notifications(&payloads).iter().map(|n| n.dpd_sequence()).collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(sequences, [Some(100), Some(101), Some(102)]);
        assert_eq!(notifies_received(&sim, Side::A, "R-U-THERE-ACK"), 3);
    }
}

/// The ISAKMP SA's lifetime (RFC 2409 Appendix A Life Duration; RFC 2408
/// 5.15): the initiator re-keys at 90 % with a new Main Mode, and at 100 %
/// the old SA is deleted and the peer told with a Delete.
mod lifetime {
    use super::*;

    const LIFETIME: u32 = 600;

    fn short_lived() -> Simulation {
        Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048")
            .a(|c| c.ike_proposals[0].lifetime_secs = LIFETIME)
            .b(|c| c.ike_proposals[0].lifetime_secs = LIFETIME)
            .build()
    }

    #[test]
    fn soft_expiry_starts_a_new_main_mode_while_the_old_sa_still_lives() {
        let mut sim = short_lived();
        sim.initiate(Side::A, "peer");
        // Just past 90 % of the lifetime: the re-key has run, the old SA lives.
        sim.run_for(Duration::from_secs(u64::from(LIFETIME) * 9 / 10 + 10));
        let soft = traces_where(&sim, Side::A, |t| matches!(t, Trace::Expired { soft: true }));
        assert_eq!(soft.len(), 1);
        assert_eq!(soft[0].at.as_millis() / 1000, u64::from(LIFETIME) * 9 / 10);
        let on_a = established(&sim, Side::A);
        let on_b = established(&sim, Side::B);
        assert_eq!((on_a.len(), on_b.len()), (2, 2), "a second SA on both sides");
        assert_ne!(on_a[0].initiator_cookie, on_a[1].initiator_cookie, "new cookies");
        assert_eq!((sim.a.established().len(), sim.b.established().len()), (2, 2), "the old SA still lives");
        assert!(deletions(&sim, Side::A).is_empty() && deletions(&sim, Side::B).is_empty());
        // RFC 2407 4.6.3.3: only the first SA with B says INITIAL-CONTACT.
        assert_eq!(notifies_received(&sim, Side::B, "INITIAL-CONTACT"), 1);
        let main_mode_starts = wire::main_mode_from(&sim, Side::A)
            .iter()
            .filter(|m| m.header.responder_cookie.is_zero())
            .count();
        assert_eq!(main_mode_starts, 2, "two MM1s");
    }

    #[test]
    fn hard_expiry_deletes_the_old_sa_with_a_delete_and_the_new_one_remains() {
        let mut sim = short_lived();
        sim.initiate(Side::A, "peer");
        sim.run_for(Duration::from_secs(u64::from(LIFETIME) + 30));
        let on_a = established(&sim, Side::A);
        assert_eq!(on_a.len(), 2);
        let (old, new) = (&on_a[0], &on_a[1]);
        let hard = traces_where(&sim, Side::A, |t| matches!(t, Trace::Expired { soft: false })).len()
            + traces_where(&sim, Side::B, |t| matches!(t, Trace::Expired { soft: false })).len();
        assert!(hard >= 1, "one side's hard expiry fired");
        // Whoever expired first told the other with a Delete naming the old cookies.
        let old_spi = format!("{}{}", old.initiator_cookie, old.responder_cookie);
        let deletes_sent: Vec<String> = [Side::A, Side::B]
            .into_iter()
            .flat_map(|side| traces_where(&sim, side, |t| matches!(t, Trace::DeleteSent { .. })))
            .flat_map(|e| match e.trace {
                Trace::DeleteSent { spis, .. } => spis,
                _ => unreachable!(),
            })
            .collect();
        assert!(deletes_sent.contains(&old_spi), "a Delete for {old_spi}: {deletes_sent:?}");
        for side in [Side::A, Side::B] {
            let endpoint = if side == Side::A { &sim.a } else { &sim.b };
            let left = endpoint.established();
            assert_eq!(left.len(), 1, "{side:?}: only the new SA");
            assert_eq!(left[0].initiator_cookie, new.initiator_cookie, "{side:?}");
            assert_eq!(deletions(&sim, side).len(), 1, "{side:?}: the old SA deleted once");
        }
    }
}
