//! One side forgets its SAs (a reboot) while the other keeps sending on
//! them. ESP for an unknown SPI is dropped and is an auditable event (RFC
//! 4303 3.4.2); INVALID-SPI (RFC 2408 3.14.1) can tell the sender, but only
//! through an ISAKMP SA, which IOS sets up first when `crypto isakmp
//! invalid-spi-recovery` is configured. The sender then drops the stale
//! pair and negotiates a new one. INITIAL-CONTACT (RFC 2407 4.6.3.3) from
//! the rebooted side clears the survivor's stale SAs too. The sessions go
//! through the IOS statuses on the way (`show crypto session`).

mod common;

use std::time::Duration;

use common::keys::SaKeys;
use common::phase2::*;
use common::*;
use ikev1::endpoint::SendError;
use ikev1::sim::{Side, Simulation};
use ikev1::trace::Trace;
use ikev1::trace::show_ipsec::SessionStatus::{self, *};
use isakmp::numbers::{NotifyType, ProtocolId};

/// Pings every 20 ms: fine enough to see recovery to a few milliseconds.
const TICK: Duration = Duration::from_millis(20);

/// A tunnel up and carrying A's pings for a second; B configured by `b`.
fn tunnel_in_use(b: impl FnOnce(&mut ikev1::policy::Connection)) -> (Simulation, Pinger) {
    let mut sim = Peers::tunnel(&["aes128-sha256"], None).b(b).build();
    bring_up(&mut sim, Side::A);
    let mut pinger = Pinger::new(&sim, Side::A);
    pinger.every(&mut sim, TICK, Duration::from_secs(1));
    assert_eq!(pinger.lost(), Vec::<u16>::new());
    (sim, pinger)
}

/// Pings on for `span`, recording A's session status whenever it changes.
fn ping_watching_a(sim: &mut Simulation, pinger: &mut Pinger, span: Duration) -> Vec<SessionStatus> {
    let mut seen = vec![session_status(sim, Side::A)];
    pinger.every_observed(sim, TICK, span, |s| {
        let now = session_status(s, Side::A);
        if seen.last() != Some(&now) {
            seen.push(now);
        }
    });
    seen
}

/// From the first lost ping to the reply of the first ping after it.
fn time_to_recovery(pinger: &Pinger) -> Duration {
    let lost = pinger.lost();
    let first_lost = pinger.sent.iter().find(|(s, _)| *s == lost[0]).expect("sent").1;
    let recovered = pinger.replies.iter().find(|(s, _)| *s > lost[0]).expect("traffic flows again").1;
    recovered.saturating_since(first_lost)
}

/// From the first lost ping to the moment A installed its new pair (its
/// QM2 arrived): what the protocol itself takes.
fn time_to_new_pair(sim: &Simulation, pinger: &Pinger) -> Duration {
    let lost = pinger.lost();
    let first_lost = pinger.sent.iter().find(|(s, _)| *s == lost[0]).expect("sent").1;
    let installed = traces_where(sim, Side::A, |t| matches!(t, Trace::Lifetime { seconds: 3600 }));
    installed.last().expect("a new pair").at.saturating_since(first_lost)
}

/// Without recovery on the rebooted side nothing can tell the sender.
mod without_recovery {
    use super::*;

    #[test]
    fn the_rebooted_side_only_counts_and_traces_the_unknown_spi() {
        let (mut sim, mut pinger) = tunnel_in_use(|_| {});
        let before = sim.wire.len();
        sim.reboot(Side::B);
        let seen = ping_watching_a(&mut sim, &mut pinger, Duration::from_secs(60));
        let lost = pinger.lost();
        assert_eq!(lost.len(), 3000, "every ping from the reboot on");
        assert_eq!(sim.b.esp_counters().unknown_spi, 3000);
        let traced = traces_where(&sim, Side::B, |t| matches!(t, Trace::InvalidSpi { reported: false, .. }));
        assert_eq!(traced.len(), 3000, "%CRYPTO-4-RECVD_PKT_INV_SPI each time");
        assert!(sim.wire[before..].iter().all(|r| r.packet.from == Side::A), "B says nothing");
        assert_eq!(notifies_sent(&sim, Side::B, "INVALID-SPI"), 0);
        // A still has its ISAKMP SA and sends: IOS shows the session up.
        assert_eq!(seen, [UpActive]);
        assert_eq!(session_status(&sim, Side::B), Down);
    }

    #[test]
    fn a_sender_without_an_isakmp_sa_is_up_no_ike_and_stays_broken() {
        let (mut sim, mut pinger) = tunnel_in_use(|_| {});
        sim.reboot(Side::B);
        // A's ISAKMP SA is gone too (it expired unrenewed): its IPsec SAs
        // live on, and nothing can reach it.
        sim.a.forget_ike_sas();
        let seen = ping_watching_a(&mut sim, &mut pinger, Duration::from_secs(10));
        assert_eq!(seen, [UpNoIke]);
        assert_eq!(pinger.lost().len(), 500);
        assert_eq!(sim.b.esp_counters().unknown_spi, 500);
        assert_eq!(session_status(&sim, Side::B), Down);
        assert!(sim.a.established().is_empty() && sim.b.established().is_empty());
    }
}

/// `crypto isakmp invalid-spi-recovery` on the rebooted side.
mod with_recovery {
    use super::*;

    /// B, rebooted, sets up an ISAKMP SA with A (Main Mode, B initiating),
    /// sends INVALID-SPI through it, A drops the named pair and negotiates a
    /// new one at once.
    #[test]
    fn invalid_spi_makes_the_sender_drop_its_stale_pair_and_renegotiate() {
        let (mut sim, mut pinger) = tunnel_in_use(|c| {
            c.invalid_spi_recovery = true;
            c.initial_contact = false;
        });
        let (stale_in, stale_out) = active_spis(&sim, Side::A).expect("a pair");
        sim.reboot(Side::B);
        let seen = ping_watching_a(&mut sim, &mut pinger, Duration::from_secs(2));
        assert_eq!(pinger.lost().len(), 1, "only the ping that found B rebooted");
        assert!(pinger.refused.is_empty());
        // 1 ms a hop: the lost packet, MM1-MM6 (B initiating), INVALID-SPI,
        // QM1 and QM2; the pings, 20 ms apart, see it one tick later.
        let protocol = time_to_new_pair(&sim, &pinger);
        assert_eq!(protocol, Duration::from_millis(10));
        let recovery = time_to_recovery(&pinger);
        assert!(recovery <= Duration::from_millis(40), "traffic flows again after {recovery:?}");
        println!("time to recovery (INVALID-SPI): new pair after {protocol:?}, traffic after {recovery:?}");
        assert_eq!(seen, [UpActive, DownNegotiating, UpIdle, UpActive]);

        // B reported the SPI it did not know: A's outbound one.
        assert_eq!(sim.b.esp_counters().unknown_spi, 1);
        let reported = traces_where(&sim, Side::B, |t| matches!(t, Trace::InvalidSpi { reported: true, .. }));
        assert!(matches!(&reported[0].trace, Trace::InvalidSpi { spi, .. } if *spi == stale_out));
        // On the wire, under the new ISAKMP SA (B's second DH key pair).
        let keys = SaKeys::of_sa(&sim, Side::B, SEED_B, PSK, 1, 1);
        assert_eq!(keys.initiator, Side::B, "B set the ISAKMP SA up");
        let notes: Vec<_> = keys
            .informationals(&sim)
            .into_iter()
            .filter(|m| m.from == Side::B)
            .flat_map(|m| wire::notifications(&m.payloads).into_iter().cloned().collect::<Vec<_>>())
            .collect();
        assert_eq!(notes.len(), 1);
        assert_eq!((notes[0].notify_type, notes[0].protocol), (NotifyType::INVALID_SPI, ProtocolId::ESP));
        assert_eq!(isakmp::hex::encode(&notes[0].spi), stale_out);
        // A dropped exactly the stale pair, for that reason, and re-keyed.
        let gone = ipsec_deleted(&sim, Side::A);
        assert_eq!(gone.len(), 1);
        assert_eq!((&gone[0].inbound_spi, &gone[0].outbound_spi), (&stale_in, &stale_out));
        assert_eq!(gone[0].reason, "INVALID-SPI from the peer");
        let new = active_spis(&sim, Side::A).expect("a new pair");
        assert_ne!(new, (stale_in, stale_out));
        assert_eq!(ipsec_up(&sim, Side::B).last().map(|i| i.we_initiated), Some(false), "A negotiated it");
    }

    /// With INITIAL-CONTACT in B's new Main Mode (the default) A clears its
    /// stale SAs before the INVALID-SPI arrives; the next packet asks for a
    /// new pair.
    #[test]
    fn with_initial_contact_the_stale_pair_goes_first_and_traffic_brings_the_new_one() {
        let (mut sim, mut pinger) = tunnel_in_use(|c| c.invalid_spi_recovery = true);
        let (stale_in, _) = active_spis(&sim, Side::A).expect("a pair");
        sim.reboot(Side::B);
        let seen = ping_watching_a(&mut sim, &mut pinger, Duration::from_secs(2));
        assert_eq!(pinger.lost().len(), 1);
        assert_eq!(pinger.refused.len(), 1, "the next ping found no pair and started one");
        assert!(matches!(pinger.refused[0].1, SendError::NoIpsecSa { negotiating: true }));
        let protocol = time_to_new_pair(&sim, &pinger);
        let recovery = time_to_recovery(&pinger);
        assert!(recovery <= Duration::from_millis(60), "traffic flows again after {recovery:?}");
        println!(
            "time to recovery (INITIAL-CONTACT): new pair after {protocol:?}, traffic after {recovery:?}"
        );
        assert_eq!(seen, [UpActive, UpIdle, DownNegotiating, UpIdle, UpActive]);
        let gone = ipsec_deleted(&sim, Side::A);
        assert_eq!((gone.len(), gone[0].inbound_spi.as_str()), (1, stale_in.as_str()));
        assert_eq!(gone[0].reason, "INITIAL-CONTACT from the peer");
        assert_eq!(notifies_received(&sim, Side::A, "INVALID-SPI"), 1, "still told, too late to matter");
        assert_eq!(sim.a.established().len(), 1, "the stale ISAKMP SA went too");
    }

    /// The sender may have lost its ISAKMP SA as well (UP-NO-IKE): recovery
    /// still reaches it, as responder of B's new Main Mode.
    #[test]
    fn recovery_reaches_a_sender_that_has_no_isakmp_sa_left() {
        let (mut sim, mut pinger) = tunnel_in_use(|c| c.invalid_spi_recovery = true);
        sim.reboot(Side::B);
        sim.a.forget_ike_sas();
        let seen = ping_watching_a(&mut sim, &mut pinger, Duration::from_secs(2));
        assert_eq!(seen, [UpNoIke, UpIdle, DownNegotiating, UpIdle, UpActive]);
        assert_eq!(pinger.lost().len(), 1);
        assert!(time_to_recovery(&pinger) <= Duration::from_millis(60));
        assert_eq!((sim.a.established().len(), sim.b.established().len()), (1, 1));
    }
}

/// RFC 2407 4.6.3.3: INITIAL-CONTACT tells the peer this is the first SA
/// with it, so it deletes everything it still holds for us.
mod initial_contact {
    use super::*;

    #[test]
    fn initial_contact_after_a_reboot_clears_the_survivors_stale_sas() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None).build();
        let (old_a, _) = bring_up(&mut sim, Side::A);
        let old_ike = sim.a.established()[0].clone();
        sim.reboot(Side::B);
        sim.initiate(Side::B, "peer");
        sim.run_for(Duration::from_secs(2));
        let contact = traces_where(
            &sim,
            Side::A,
            |t| matches!(t, Trace::NotifyReceived { notify, .. } if notify == "INITIAL-CONTACT"),
        );
        assert_eq!(contact.len(), 1, "in B's MM5 after the reboot");
        let ike_gone = deletions(&sim, Side::A);
        assert_eq!(ike_gone, ["INITIAL-CONTACT from the peer"]);
        let gone = ipsec_deleted(&sim, Side::A);
        assert_eq!(gone.len(), 1);
        assert_eq!(
            (gone[0].inbound_spi.as_str(), gone[0].reason.as_str()),
            (old_a.inbound_spi.as_str(), "INITIAL-CONTACT from the peer")
        );
        let now_up = sim.a.established();
        assert_eq!(now_up.len(), 1);
        assert_ne!(now_up[0].initiator_cookie, old_ike.initiator_cookie);
        assert!(!now_up[0].we_initiated);
        assert_eq!(sim.a.isakmp_sa_rows().len(), 1, "no stale row in show crypto isakmp sa");
        let (in_spi, _) = active_spis(&sim, Side::A).expect("B's new pair");
        assert_ne!(in_spi, old_a.inbound_spi);
        assert_pings_both_ways(&mut sim, 1);
    }
}
