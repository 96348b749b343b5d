//! IPsec SA lifetimes (RFC 2407 4.5): what the responder does with a
//! proposed lifetime (RESPONDER-LIFETIME, RFC 2407 4.6.3.1), kilobyte and
//! seconds limits, re-keying at 90 % of them under traffic without losing a
//! packet, the overlap of old and new SAs, and the Delete that ends the old
//! ones (RFC 2408 3.15).

mod common;

use std::time::Duration;

use common::keys::SaKeys;
use common::phase2::*;
use common::*;
use ikev1::endpoint::SendError;
use ikev1::ip::EchoKind;
use ikev1::policy::{IpsecLifetime, LifetimeRule};
use ikev1::sim::{Rule, Rules, Side, Simulation};
use ikev1::trace::Trace;
use ikev1::trace::show_ipsec::render_ipsec_sa;
use isakmp::numbers::{IpsecAttributeType as Attr, LifeType, NotifyType, ProtocolId};

fn lifetime(seconds: u32, kilobytes: Option<u32>) -> IpsecLifetime {
    IpsecLifetime { seconds, kilobytes }
}

/// A tunnel whose children have these lifetimes on A and B.
fn with_lifetimes(on_a: IpsecLifetime, on_b: IpsecLifetime) -> common::Peers {
    Peers::tunnel(&["aes128-sha256"], None)
        .children(Side::A, |c| c.lifetime = on_a)
        .children(Side::B, |c| c.lifetime = on_b)
}

fn hex_spi(text: &str) -> u32 {
    u32::from_str_radix(text, 16).expect("an SPI in hex")
}

/// The responder's answer to a proposed lifetime (RFC 2407 4.5: the
/// initiator proposes, the responder may shorten and says so).
mod responder_lifetime {
    use super::*;

    /// The RESPONDER-LIFETIME notify B put in QM2, decrypted.
    fn notify_in_qm2(sim: &Simulation) -> Option<isakmp::payload::Notification> {
        let qm = SaKeys::of(sim, Side::A, SEED_A, PSK).quick_mode(sim, 0);
        assert_eq!(qm[1].from, Side::B);
        wire::notifications(&qm[1].payloads)
            .into_iter()
            .find(|n| n.notify_type == NotifyType::RESPONDER_LIFETIME)
            .cloned()
    }

    /// The (type, duration) pairs of a RESPONDER-LIFETIME attribute list.
    fn lifetimes_in(notification: &isakmp::payload::Notification) -> Vec<(u64, u64)> {
        let attributes = isakmp::Attribute::parse_all(&mut isakmp::codec::Reader::new(&notification.data))
            .expect("an attribute list");
        attributes
            .chunks(2)
            .map(|pair| {
                assert_eq!((pair[0].kind, pair[1].kind), (Attr::SA_LIFE_TYPE.0, Attr::SA_LIFE_DURATION.0));
                (pair[0].as_integer().unwrap(), pair[1].as_integer().unwrap())
            })
            .collect()
    }

    #[test]
    fn a_longer_proposal_is_answered_with_the_responders_lifetime_and_both_sides_use_it() {
        let mut sim = with_lifetimes(lifetime(3600, None), lifetime(1200, None)).build();
        let (on_a, on_b) = bring_up(&mut sim, Side::A);
        assert_eq!((on_a.lifetime_secs, on_b.lifetime_secs), (1200, 1200));
        let notification = notify_in_qm2(&sim).expect("RESPONDER-LIFETIME in QM2");
        assert_eq!(notification.protocol, ProtocolId::ESP);
        assert_eq!(isakmp::hex::encode(&notification.spi), on_b.inbound_spi, "the sender's inbound SPI");
        assert_eq!(lifetimes_in(&notification), [(u64::from(LifeType::SECONDS.0), 1200)]);
        assert_eq!(notifies_sent(&sim, Side::B, "RESPONDER-LIFETIME"), 1);
        assert_eq!(notifies_received(&sim, Side::A, "RESPONDER-LIFETIME"), 1);
        for side in [Side::A, Side::B] {
            let shown = render_ipsec_sa(&ipsec_views(&sim, side));
            assert!(shown.contains("remaining key lifetime (k/sec): (4608000/1199)"), "{shown}");
        }
        // A re-keys at 90 % of what it was told, not of what it proposed.
        sim.run_for(Duration::from_secs(1080));
        assert_eq!(ipsec_up(&sim, Side::A).len(), 2, "re-keyed at 1080 s");
    }

    #[test]
    fn a_kilobyte_limit_only_the_responder_has_is_imposed_the_same_way() {
        let mut sim = with_lifetimes(lifetime(3600, None), lifetime(3600, Some(4608))).build();
        let (on_a, on_b) = bring_up(&mut sim, Side::A);
        assert_eq!((on_a.lifetime_kilobytes, on_b.lifetime_kilobytes), (Some(4608), Some(4608)));
        let notification = notify_in_qm2(&sim).expect("RESPONDER-LIFETIME in QM2");
        let (seconds, kilobytes) = (u64::from(LifeType::SECONDS.0), u64::from(LifeType::KILOBYTES.0));
        assert_eq!(lifetimes_in(&notification), [(seconds, 3600), (kilobytes, 4608)]);
        let shown = render_ipsec_sa(&ipsec_views(&sim, Side::A));
        assert!(shown.contains("(k/sec): (4608/3599)"), "{shown}");
    }

    #[test]
    fn a_shorter_proposal_is_taken_as_it_is_without_a_notify() {
        let mut sim = with_lifetimes(lifetime(600, None), lifetime(3600, None)).build();
        let (on_a, on_b) = bring_up(&mut sim, Side::A);
        assert_eq!((on_a.lifetime_secs, on_b.lifetime_secs), (600, 600));
        assert_eq!(notify_in_qm2(&sim), None);
        let qm1 = &SaKeys::of(&sim, Side::A, SEED_A, PSK).quick_mode(&sim, 0)[0];
        let durations = wire::ipsec_attributes(wire::transforms(&qm1.payloads)[0], Attr::SA_LIFE_DURATION);
        assert_eq!(durations, [600]);
    }

    #[test]
    fn require_equal_refuses_any_other_lifetime() {
        let mut sim = with_lifetimes(lifetime(3600, None), lifetime(1200, None))
            .b(|c| c.lifetime_rule = LifetimeRule::RequireEqual)
            .build();
        sim.initiate(Side::A, "peer");
        sim.run_for(Duration::from_secs(10));
        assert_eq!(notifies_sent(&sim, Side::B, "NO-PROPOSAL-CHOSEN"), 1);
        assert_eq!(ipsec_failures(&sim, Side::A), ["peer refused: NO-PROPOSAL-CHOSEN"]);
        let why = traces_where(
            &sim,
            Side::B,
            |t| matches!(t, Trace::AttributesNotAcceptable { reason } if reason == "lifetime does not match policy"),
        );
        assert_eq!(why.len(), 1);
        assert!(ipsec_up(&sim, Side::B).is_empty());
    }

    #[test]
    fn accept_any_takes_a_longer_proposal_as_it_is() {
        let mut sim = with_lifetimes(lifetime(7200, None), lifetime(1200, None))
            .b(|c| c.lifetime_rule = LifetimeRule::AcceptAny)
            .build();
        let (on_a, on_b) = bring_up(&mut sim, Side::A);
        assert_eq!((on_a.lifetime_secs, on_b.lifetime_secs), (7200, 7200));
        assert_eq!(notify_in_qm2(&sim), None);
    }
}

/// Kilobyte lifetimes (RFC 2407 4.5 SA Life Type 2): bytes through an SA
/// count against them; at 90 % the side that negotiated the pair re-keys,
/// at 100 % the SA goes and its peer is told with a Delete.
mod kilobytes {
    use super::*;

    /// A 1400-byte echo request is a 1428-byte packet, 1440 bytes under
    /// AES-CBC with its trailer: a 64 KB SA soft-expires at the 41st
    /// (57.6 KB) and hard-expires at the 46th (64.7 KB).
    const DATA: usize = 1400;

    #[test]
    fn crossing_the_soft_limit_rekeys_and_no_ping_is_lost() {
        let mut sim = with_lifetimes(lifetime(3600, Some(64)), lifetime(3600, Some(64))).build();
        let (old_a, _) = bring_up(&mut sim, Side::A);
        let mut pinger = Pinger::new(&sim, Side::A).with_data(DATA);
        pinger.every(&mut sim, Duration::from_millis(100), Duration::from_secs(8));
        assert_eq!(pinger.sent.len(), 80);
        assert_eq!(pinger.lost(), Vec::<u16>::new(), "refused {:?}", pinger.refused);
        let up = ipsec_up(&sim, Side::A);
        assert_eq!(up.len(), 2, "one re-key");
        assert!(up[1].we_initiated && up[1].inbound_spi != old_a.inbound_spi);
        // The re-key came right after the 41st request.
        let installed: Vec<u64> =
            traces_where(&sim, Side::A, |t| matches!(t, Trace::Lifetime { seconds: 3600 }))
                .iter()
                .map(|t| t.at.as_millis())
                .collect();
        let forty_first = pinger.sent[40].1.as_millis();
        assert_eq!(installed.len(), 2);
        assert!(
            installed[1] > forty_first && installed[1] < forty_first + 10,
            "{installed:?} vs {forty_first}"
        );
        // Until its hard limit the old pair is still there on both sides.
        assert_eq!((sim.a.ipsec_sas().len(), sim.b.ipsec_sas().len()), (2, 2));
        assert!(ipsec_deleted(&sim, Side::A).is_empty() && ipsec_deleted(&sim, Side::B).is_empty());
        assert_eq!(active_spis(&sim, Side::A).unwrap().0, up[1].inbound_spi, "A sends on the new pair");
    }

    #[test]
    fn crossing_the_hard_limit_deletes_the_sa_with_a_delete_the_peer_processes() {
        let mut sim = with_lifetimes(lifetime(3600, Some(64)), lifetime(3600, Some(64))).build();
        let (old_a, old_b) = bring_up(&mut sim, Side::A);
        // A's first ESP packet is lost (rules count from their installation),
        // so B's inbound SA is one packet behind A's outbound one and only A
        // reaches the hard limit.
        sim.interceptor = Box::new(Rules::new(vec![Rule::drop(Side::A, 1)]));
        // A burst of 50 one-way packets: the re-key A starts at the 41st
        // cannot finish before the 46th crosses the hard limit.
        let data = vec![0x5a; DATA];
        let mut outcomes = Vec::new();
        for sequence in 1..=50 {
            let packet = echo_between(EchoKind::Reply, inner(Side::A), inner(Side::B), sequence, &data);
            outcomes.push(sim.act(Side::A, |endpoint, now| endpoint.send_inner(now, &packet)));
        }
        assert!(outcomes[..46].iter().all(Result::is_ok));
        assert!(
            outcomes[46..].iter().all(|o| *o == Err(SendError::NoIpsecSa { negotiating: true })),
            "{outcomes:?}"
        );
        let gone = ipsec_deleted(&sim, Side::A);
        assert_eq!(gone.len(), 1);
        assert_eq!(
            (gone[0].inbound_spi.as_str(), gone[0].reason.as_str()),
            (old_a.inbound_spi.as_str(), "lifetime expired")
        );
        sim.run_for(Duration::from_secs(1));

        // The Delete on the wire names A's old inbound SPI (RFC 2408 3.15).
        let keys = SaKeys::of(&sim, Side::A, SEED_A, PSK);
        let deletes: Vec<_> = keys
            .informationals(&sim)
            .into_iter()
            .filter(|m| m.from == Side::A)
            .flat_map(|m| wire::deletes(&m.payloads).into_iter().cloned().collect::<Vec<_>>())
            .collect();
        assert_eq!(deletes.len(), 1);
        assert_eq!(deletes[0].protocol, ProtocolId::ESP);
        let spis: Vec<String> = deletes[0].spis.iter().map(isakmp::hex::encode).collect();
        assert_eq!(spis, std::slice::from_ref(&old_a.inbound_spi));
        // B processed it: its pair went, for that reason, without a Delete of its own.
        let at_b = ipsec_deleted(&sim, Side::B);
        assert_eq!(at_b.len(), 1);
        assert_eq!(
            (at_b[0].inbound_spi.as_str(), at_b[0].reason.as_str()),
            (old_b.inbound_spi.as_str(), "deleted by peer")
        );
        let received = traces_where(&sim, Side::B, |t| matches!(t, Trace::DeleteReceived { .. }));
        assert_eq!(received.len(), 1);
        assert_eq!(inner_packets(&sim, Side::B).len(), 45, "46 sent, the first lost");
        // The re-key went on: a new pair on both sides carries traffic.
        assert_eq!((ipsec_up(&sim, Side::A).len(), ipsec_up(&sim, Side::B).len()), (2, 2));
        assert_eq!((sim.a.ipsec_sas().len(), sim.b.ipsec_sas().len()), (1, 1));
        assert_ne!(hex_spi(&sim.a.ipsec_sas()[0].inbound_spi), hex_spi(&old_a.inbound_spi));
        assert_pings_both_ways(&mut sim, 1);
    }
}

/// Seconds lifetimes (RFC 2407 4.5 SA Life Type 1): the initiator re-keys at
/// 90 %, the new pair takes the traffic while the old one still accepts
/// what was sent on it, and at 100 % the old pair is deleted.
mod seconds {
    use super::*;

    /// The shortest lifetime IOS accepts.
    const LIFETIME: u32 = 120;

    fn short_lived() -> Simulation {
        with_lifetimes(lifetime(LIFETIME, None), lifetime(LIFETIME, None)).build()
    }

    #[test]
    fn rekey_under_continuous_traffic_loses_no_packet() {
        let mut sim = short_lived();
        let (old_a, old_b) = bring_up(&mut sim, Side::A);
        // A ping every 100 ms across the re-key (108 s) and the old pair's
        // expiry (120 s), and on to 150 s.
        let mut pinger = Pinger::new(&sim, Side::A);
        pinger.every(&mut sim, Duration::from_millis(100), Duration::from_secs(150));
        assert_eq!(pinger.sent.len(), 1500);
        assert!(pinger.refused.is_empty() && pinger.unanswered.is_empty());
        assert_eq!(pinger.lost(), Vec::<u16>::new(), "every request got its reply");
        // One re-key, at 90 % of the lifetime after the pair was installed.
        let up = ipsec_up(&sim, Side::A);
        assert_eq!(up.len(), 2);
        assert_ne!(up[1].inbound_spi, old_a.inbound_spi);
        assert_ne!(up[1].outbound_spi, old_a.outbound_spi);
        let installed = traces_where(&sim, Side::A, |t| matches!(t, Trace::Lifetime { seconds: LIFETIME }));
        let started =
            traces_where(&sim, Side::A, |t| matches!(t, Trace::BeginExchange { exchange: "Quick Mode", .. }));
        assert_eq!(started.len(), 2);
        assert_eq!(started[1].at.as_millis() - installed[0].at.as_millis(), 108_000);
        // The old pair is gone on both sides, the replies used both pairs.
        let (gone_a, gone_b) = (ipsec_deleted(&sim, Side::A), ipsec_deleted(&sim, Side::B));
        assert_eq!((gone_a.len(), gone_b.len()), (1, 1));
        assert_eq!(
            (gone_a[0].inbound_spi.as_str(), gone_b[0].inbound_spi.as_str()),
            (old_a.inbound_spi.as_str(), old_b.inbound_spi.as_str())
        );
        let spis: std::collections::BTreeSet<u32> =
            inner_packets(&sim, Side::A).iter().map(|(spi, _)| *spi).collect();
        assert_eq!(spis, [hex_spi(&old_a.inbound_spi), hex_spi(&up[1].inbound_spi)].into_iter().collect());
        assert_eq!(active_spis(&sim, Side::A), Some((up[1].inbound_spi.clone(), up[1].outbound_spi.clone())));
        assert_eq!(active_spis(&sim, Side::B), Some((up[1].outbound_spi.clone(), up[1].inbound_spi.clone())));
    }

    #[test]
    fn the_old_inbound_sa_accepts_until_it_is_deleted_and_not_after() {
        let mut sim = short_lived();
        let (old_a, _) = bring_up(&mut sim, Side::A);
        // Two one-way packets from B on the old pair are held back (dropped
        // on the wire, kept in its record) to be delivered late.
        sim.interceptor = Box::new(Rules::new(vec![Rule::drop(Side::B, 1), Rule::drop(Side::B, 2)]));
        for sequence in [1, 2] {
            let packet = echo_between(EchoKind::Reply, inner(Side::B), inner(Side::A), sequence, b"late");
            sim.act(Side::B, |endpoint, now| endpoint.send_inner(now, &packet)).expect("the old pair");
        }
        let held: Vec<Vec<u8>> = wire::esp_from(&sim, Side::B)
            .iter()
            .filter(|r| !r.delivered)
            .map(|r| r.packet.payload.clone())
            .collect();
        assert_eq!(held.len(), 2);
        sim.interceptor = Box::new(ikev1::sim::Pass);

        sim.run_for(Duration::from_secs(110));
        assert_eq!(ipsec_up(&sim, Side::A).len(), 2, "re-keyed at 108 s");
        assert_eq!(sim.a.ipsec_sas().len(), 2, "old and new overlap");
        sim.act(Side::A, |endpoint, now| endpoint.handle_esp(now, b(), a(), &held[0]));
        let (spi, packet) = inner_packets(&sim, Side::A).pop().expect("accepted");
        assert_eq!(spi, hex_spi(&old_a.inbound_spi), "taken by the old inbound SA");
        assert_eq!(echo_of(&packet).map(|(_, sequence, _, _)| sequence), Some(1));

        sim.run_for(Duration::from_secs(15));
        assert_eq!(sim.a.ipsec_sas().len(), 1, "the old pair expired at 120 s");
        sim.act(Side::A, |endpoint, now| endpoint.handle_esp(now, b(), a(), &held[1]));
        assert_eq!(inner_packets(&sim, Side::A).len(), 1, "refused after the delete");
        assert_eq!(sim.a.esp_counters().unknown_spi, 1);
        let invalid = traces_where(&sim, Side::A, |t| matches!(t, Trace::InvalidSpi { reported: true, .. }));
        assert_eq!(invalid.len(), 1, "reported to B through the ISAKMP SA");
    }
}
