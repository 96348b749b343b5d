//! Dead Peer Detection with IPsec SAs up (RFC 3706): periodic probes of a
//! quiet peer, on-demand probes only when our ESP goes unanswered, a silent
//! peer declared dead with its IPsec SAs cleared, and a peer that never
//! answers (the IgnoreDpd impairment).

mod common;

use std::time::Duration;

use common::keys::{Decrypted, SaKeys};
use common::phase2::*;
use common::*;
use ikev1::Event;
use ikev1::endpoint::SendError;
use ikev1::impairment::Impairment;
use ikev1::policy::Dpd;
use ikev1::sim::{Rule, Rules, Side, Simulation};
use ikev1::trace::Trace;
use ikev1::trace::show_ipsec::SessionStatus;
use isakmp::numbers::NotifyType;

const INTERVAL: u32 = 10;
const RETRY: u32 = 2;
const RETRIES: u32 = 3;

fn dpd(on_demand: bool) -> Dpd {
    Dpd { interval_secs: INTERVAL, retry_secs: RETRY, retries: RETRIES, on_demand }
}

/// A tunnel up, A running DPD.
fn tunnel_with_dpd(on_demand: bool) -> Simulation {
    let mut sim = Peers::tunnel(&["aes128-sha256"], None).a(|c| c.dpd = Some(dpd(on_demand))).build();
    bring_up(&mut sim, Side::A);
    sim
}

/// The DPD notifies on the wire, decrypted: (sender, type, sequence, when).
fn dpd_on_wire(sim: &Simulation) -> Vec<(Side, NotifyType, u32)> {
    let keys = SaKeys::of(sim, Side::A, SEED_A, PSK);
    keys.informationals(sim)
        .iter()
        .flat_map(|m: &Decrypted| {
            wire::notifications(&m.payloads)
                .into_iter()
                .filter(|n| matches!(n.notify_type, NotifyType::R_U_THERE | NotifyType::R_U_THERE_ACK))
                .map(|n| (m.from, n.notify_type, n.dpd_sequence().expect("a sequence number")))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// When A sent each R-U-THERE (ms).
fn probes_at(sim: &Simulation) -> Vec<u64> {
    traces_where(sim, Side::A, |t| matches!(t, Trace::NotifySent { notify, .. } if notify == "R-U-THERE"))
        .iter()
        .map(|t| t.at.as_millis())
        .collect()
}

fn ike_deleted_at(sim: &Simulation, side: Side) -> Option<u64> {
    traces_where(
        sim,
        side,
        |t| matches!(t, Trace::Deleted { reason, .. } if reason == "DPD: peer not responding"),
    )
    .first()
    .map(|t| t.at.as_millis())
}

/// RFC 3706 5: with periodic DPD a quiet peer is asked R-U-THERE every
/// `interval` seconds of silence, and each ACK echoes the sequence number.
mod periodic {
    use super::*;

    #[test]
    fn a_quiet_peer_is_probed_every_interval_and_each_ack_echoes_the_sequence() {
        let mut sim = tunnel_with_dpd(false);
        sim.run_for(Duration::from_secs(55));
        let seen = dpd_on_wire(&sim);
        assert_eq!(seen.len(), 10, "five probes and five acks: {seen:?}");
        for pair in seen.chunks(2) {
            assert_eq!((pair[0].0, pair[0].1), (Side::A, NotifyType::R_U_THERE));
            assert_eq!((pair[1].0, pair[1].1), (Side::B, NotifyType::R_U_THERE_ACK));
            assert_eq!(pair[0].2, pair[1].2, "the ACK echoes the sequence number");
        }
        let sequences: Vec<u32> = seen.iter().step_by(2).map(|s| s.2).collect();
        assert!(sequences.windows(2).all(|w| w[1] == w[0] + 1), "one more each time: {sequences:?}");
        let gaps: Vec<u64> = probes_at(&sim).windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|gap| (10_000..10_010).contains(gap)), "every 10 s of quiet: {gaps:?}");
        assert_eq!(sim.a.ipsec_sas().len(), 1, "the tunnel stays");
        assert_pings_both_ways(&mut sim, 1);
    }

    #[test]
    fn esp_from_the_peer_counts_as_hearing_from_it() {
        let mut sim = tunnel_with_dpd(false);
        let mut pinger = Pinger::new(&sim, Side::A);
        pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(60));
        assert_eq!(pinger.lost(), Vec::<u16>::new());
        assert!(probes_at(&sim).is_empty(), "replies through the tunnel are proof of life");
    }

    #[test]
    fn a_silent_peer_is_declared_dead_and_its_ipsec_sas_are_cleared() {
        let mut sim = tunnel_with_dpd(false);
        let old = active_spis(&sim, Side::A).expect("a pair up");
        assert!(Pinger::new(&sim, Side::A).ping(&mut sim));
        let last_heard = sim.now.as_millis() - 4;
        sim.interceptor = Box::new(Rules::new(vec![Rule::silence(Side::B)]));
        sim.run_for(Duration::from_secs(30));
        // One probe after 10 s of silence, three retries 2 s apart, dead 2 s
        // after the last (RFC 3706 5.5 leaves the schedule to us).
        let probes = probes_at(&sim);
        assert_eq!(probes.len(), 4);
        let first = probes[0];
        assert!((last_heard + 10_000..last_heard + 10_010).contains(&first), "{first} after {last_heard}");
        assert_eq!(probes.iter().map(|p| p - first).collect::<Vec<_>>(), [0, 2_000, 4_000, 6_000]);
        assert_eq!(ike_deleted_at(&sim, Side::A), Some(first + 8_000));
        let deleted_ike = sim
            .events(Side::A)
            .iter()
            .any(|e| matches!(e, Event::IkeSaDeleted { reason, .. } if reason == "DPD: peer not responding"));
        assert!(deleted_ike);
        let gone = ipsec_deleted(&sim, Side::A);
        assert_eq!(gone.len(), 1);
        assert_eq!((gone[0].inbound_spi.clone(), gone[0].outbound_spi.clone()), old);
        assert_eq!(gone[0].reason, "DPD: peer not responding");
        assert!(sim.a.ipsec_sas().is_empty() && sim.a.established().is_empty());
        assert_eq!(session_status(&sim, Side::A), SessionStatus::Down);
        // Traffic now asks for a new negotiation, which the silent peer
        // leaves unanswered.
        let refused = Pinger::new(&sim, Side::A).send(&mut sim);
        assert_eq!(refused, Err(SendError::NoIpsecSa { negotiating: true }));
        assert_eq!(session_status(&sim, Side::A), SessionStatus::DownNegotiating);
    }
}

/// RFC 3706 5.3: on-demand DPD only asks when it has sent traffic and heard
/// nothing back since.
mod on_demand {
    use super::*;

    #[test]
    fn no_probe_while_idle_or_while_traffic_is_answered() {
        let mut sim = tunnel_with_dpd(true);
        sim.run_for(Duration::from_secs(60));
        let mut pinger = Pinger::new(&sim, Side::A);
        pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(60));
        assert_eq!(pinger.lost(), Vec::<u16>::new());
        assert!(probes_at(&sim).is_empty());
    }

    #[test]
    fn unanswered_esp_brings_a_probe_and_the_ack_is_enough() {
        let mut sim = tunnel_with_dpd(true);
        // B's ESP is lost, its IKE is not: our pings go unanswered, but the
        // peer is alive and says so.
        sim.interceptor = Box::new(DropEspFrom(Side::B));
        let mut pinger = Pinger::new(&sim, Side::A);
        pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(35));
        assert_eq!(pinger.replies.len(), 0);
        // B was last heard at its QM2 (a few ms in); our pings from 2 s on
        // go unanswered, so 10 s after B was last heard A asks, and again
        // 10 s after each ACK.
        let probes = probes_at(&sim);
        assert_eq!(probes.len(), 3, "one per 10 s of unanswered traffic: {probes:?}");
        assert!((10_000..10_010).contains(&probes[0]), "{probes:?}");
        assert!(probes.windows(2).all(|w| (10_000..10_010).contains(&(w[1] - w[0]))), "{probes:?}");
        let acks = dpd_on_wire(&sim).iter().filter(|s| s.1 == NotifyType::R_U_THERE_ACK).count();
        assert_eq!(acks, 3);
        assert_eq!(ike_deleted_at(&sim, Side::A), None, "an answered probe keeps the peer alive");
        assert_eq!(sim.a.ipsec_sas().len(), 1);
    }

    #[test]
    fn a_silent_peer_with_traffic_outstanding_is_declared_dead() {
        let mut sim = tunnel_with_dpd(true);
        sim.interceptor = Box::new(Rules::new(vec![Rule::silence(Side::B)]));
        let mut pinger = Pinger::new(&sim, Side::A);
        pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(25));
        assert_eq!(probes_at(&sim).len(), 4);
        assert!(ike_deleted_at(&sim, Side::A).is_some());
        assert!(sim.a.ipsec_sas().is_empty());
        assert!(matches!(pinger.refused.last(), Some((_, SendError::NoIpsecSa { negotiating: true }))));
    }
}

/// The IgnoreDpd impairment: B never answers R-U-THERE, so A declares a
/// live peer dead; B, not told, keeps its SAs and its session looks up.
mod ignore_dpd {
    use super::*;

    #[test]
    fn the_unanswered_probes_end_the_tunnel_at_one_end_only() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None)
            .a(|c| c.dpd = Some(dpd(false)))
            .b(|c| c.impairments = vec![Impairment::IgnoreDpd])
            .build();
        bring_up(&mut sim, Side::A);
        sim.run_for(Duration::from_secs(25));
        let seen = dpd_on_wire(&sim);
        assert_eq!(seen.iter().filter(|s| s.0 == Side::A).count(), 4);
        assert!(seen.iter().all(|s| s.0 == Side::A && s.1 == NotifyType::R_U_THERE), "no ACK on the wire");
        let impaired = traces_where(
            &sim,
            Side::B,
            |t| matches!(t, Trace::Impaired { impairment, .. } if impairment == "ignore_dpd"),
        );
        assert_eq!(impaired.len(), 4);
        assert!(ike_deleted_at(&sim, Side::A).is_some());
        assert!(sim.a.ipsec_sas().is_empty());
        assert_eq!((sim.b.ipsec_sas().len(), sim.b.established().len()), (1, 1), "B was not told");
        // B's traffic now meets an SPI A forgot, and A has no ISAKMP SA to say so.
        assert!(Pinger::new(&sim, Side::B).send(&mut sim).is_ok());
        sim.run_for(Duration::from_millis(10));
        assert_eq!(sim.a.esp_counters().unknown_spi, 1);
        let unreported =
            traces_where(&sim, Side::A, |t| matches!(t, Trace::InvalidSpi { reported: false, .. }));
        assert_eq!(unreported.len(), 1);
        assert_eq!(session_status(&sim, Side::B), SessionStatus::UpActive);
    }
}
