//! The NAT-T data plane with a masquerading NAT in front of A (RFC 3947 5,
//! RFC 3948): ESP in UDP on port 4500 both ways, keepalives, a NAT mapping
//! that changes under a live tunnel, and transport mode with NAT-OA.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::keys::SaKeys;
use common::phase2::*;
use common::*;
use ikev1::Protocol;
use ikev1::counters::DropReason;
use ikev1::policy::{ChildPolicy, Dpd, IpsecMode, TrafficSelector};
use ikev1::sim::{Side, Simulation};
use ikev1::trace::Trace;
use ikev1::trace::show_ipsec::render_ipsec_sa;
use isakmp::numbers::{EncapsulationMode, IpsecAttributeType as Attr, PayloadType};

/// A's sockets as the NAT maps them: 500 first, then 4500.
fn public_port(n: u16) -> SocketAddr {
    SocketAddr::new(nat_public(), 40_000 + n)
}

fn tunnel_behind_nat() -> Simulation {
    let mut sim = Peers::tunnel(&["aes128-sha256"], None).behind_nat();
    let (on_a, on_b) = bring_up(&mut sim, Side::A);
    assert!(on_a.udp_encapsulated && on_b.udp_encapsulated);
    sim
}

/// RFC 3948 2.1: ESP goes in UDP between the ports IKE floated to, with
/// the SPI where IKE on 4500 has its zero marker.
mod esp_in_udp {
    use super::*;

    #[test]
    fn esp_travels_in_udp_on_4500_both_ways_through_the_nat() {
        let mut sim = tunnel_behind_nat();
        let qm1 = &SaKeys::of(&sim, Side::A, SEED_A, PSK).quick_mode(&sim, 0)[0];
        let mode = wire::ipsec_attribute(wire::transforms(&qm1.payloads)[0], Attr::ENCAPSULATION_MODE);
        assert_eq!(mode, Some(u64::from(EncapsulationMode::UDP_ENCAPSULATED_TUNNEL.0)), "RFC 3947 5.1");
        assert_pings_both_ways(&mut sim, 3);
        assert!(sim.wire.iter().all(|r| r.packet.protocol == Protocol::Udp), "no raw ESP through a NAT");
        let (from_a, from_b) = (wire::esp_from(&sim, Side::A), wire::esp_from(&sim, Side::B));
        assert_eq!((from_a.len(), from_b.len()), (6, 6));
        let spi_a = active_spis(&sim, Side::A).unwrap().1;
        for record in &from_a {
            assert_eq!(
                (record.packet.source, record.packet.destination),
                (public_port(1), on_port(b(), 4500))
            );
            assert_eq!(isakmp::hex::encode(&record.packet.payload[..4]), spi_a, "the SPI, no marker");
        }
        for record in &from_b {
            // Recorded after the NAT mapped it back to A's own socket.
            assert_eq!(
                (record.packet.source, record.packet.destination),
                (on_port(b(), 4500), on_port(a(), 4500))
            );
        }
        let views = ipsec_views(&sim, Side::B);
        assert_eq!((views[0].peer, views[0].peer_port), (nat_public(), 40_001));
        let shown = render_ipsec_sa(&views);
        assert!(shown.contains("in use settings ={Tunnel UDP-Encaps, }"), "{shown}");
        assert!(shown.contains("current_peer 203.0.113.254 port 40001"), "{shown}");
    }

    #[test]
    fn keepalives_keep_the_mapping_of_an_idle_tunnel() {
        let mut sim = tunnel_behind_nat();
        let before = sim.wire.len();
        sim.run_for(Duration::from_secs(65));
        let keepalives: Vec<_> = sim.wire[before..].iter().filter(|r| r.packet.payload == [0xff]).collect();
        assert_eq!(keepalives.len(), 3, "one per 20 s (RFC 3948 4)");
        assert!(keepalives.iter().all(|r| r.packet.from == Side::A && r.packet.source == public_port(1)));
        assert_eq!(sim.wire.len() - before, 3, "nothing else while idle");
        assert_eq!(dropped(&sim, Side::B, DropReason::NotIke), 3, "B reads and drops them");
        assert_pings_both_ways(&mut sim, 1);
    }

    /// RFC 3948 4: a keepalive only when nothing else went to the peer for
    /// 20 s; traffic keeps the mapping alive by itself.
    #[test]
    fn traffic_makes_keepalives_unnecessary() {
        let mut sim = tunnel_behind_nat();
        let before = sim.wire.len();
        let mut pinger = Pinger::new(&sim, Side::A);
        pinger.every(&mut sim, Duration::from_secs(5), Duration::from_secs(60));
        assert!(pinger.lost().is_empty());
        let keepalive = |r: &&ikev1::sim::WireRecord| r.packet.payload == [0xff];
        assert_eq!(sim.wire[before..].iter().filter(keepalive).count(), 0, "none while pinging every 5 s");
        let quiet_from = sim.now;
        sim.run_for(Duration::from_secs(25));
        let first = sim.wire[before..].iter().find(keepalive).expect("one after 20 s of quiet");
        let gap = first.at.as_millis() - quiet_from.as_millis();
        assert!((15_000..=20_000).contains(&gap), "20 s after the last packet A sent: {gap} ms");
    }
}

/// The NAT forgets A's mapping under a live tunnel (RFC 3947 4: the
/// responder follows the peer to where a valid packet came from).
mod mapping_change {
    use super::*;

    #[test]
    fn the_peer_follows_the_new_port_on_the_first_authentic_esp() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None)
            .a(|c| c.dpd = Some(Dpd { interval_secs: 10, retry_secs: 2, retries: 3, on_demand: true }))
            .behind_nat();
        bring_up(&mut sim, Side::A);
        let mut pinger = Pinger::new(&sim, Side::A);
        pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(5));
        assert_eq!(pinger.lost(), Vec::<u16>::new());
        let flushed_at = sim.now;
        sim.nat.as_mut().expect("a NAT").flush();
        let before = sim.wire.len();
        pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(20));

        // A's packets now leave from a new public port. B, outside the NAT,
        // follows the first valid ESP-in-UDP from there (RFC 3947 7): no reply
        // goes to the old port, no ping is lost, DPD has nothing to ask.
        let after = &sim.wire[before..];
        let first_esp = after.iter().find(|r| r.packet.from == Side::A && wire::is_esp(&r.packet)).unwrap();
        assert_eq!(first_esp.packet.source, public_port(2));
        assert!(after.iter().all(|r| r.delivered), "nothing dies at the NAT");
        let floated =
            traces_where(&sim, Side::B, |t| matches!(t, Trace::PortFloat { peer_port: 40_002, .. }));
        assert_eq!(floated.len(), 1);
        assert!(floated[0].at.saturating_since(flushed_at) <= Duration::from_secs(1), "on the first ping");
        assert_eq!(ipsec_views(&sim, Side::B)[0].peer_port, 40_002);
        assert_eq!(pinger.lost(), Vec::<u16>::new());
        let asked = traces_where(
            &sim,
            Side::A,
            |t| matches!(t, Trace::NotifySent { notify, .. } if notify == "R-U-THERE"),
        );
        assert!(asked.iter().all(|t| t.at < flushed_at), "no R-U-THERE needed after the flush");
    }

    #[test]
    fn an_unauthenticated_keepalive_from_the_new_port_does_not_move_the_peer() {
        let mut sim = tunnel_behind_nat();
        let flushed_at = sim.now;
        sim.nat.as_mut().expect("a NAT").flush();
        sim.run_for(Duration::from_secs(25));
        let keepalive = sim.wire.iter().rev().find(|r| r.packet.payload == [0xff]).expect("a keepalive");
        assert_eq!(keepalive.packet.source, public_port(2), "from the new mapping");
        let moved = traces_where(&sim, Side::B, |t| matches!(t, Trace::PortFloat { .. }));
        assert!(moved.iter().all(|t| t.at < flushed_at), "only Phase 1's float to 4500");
        assert_eq!(
            ipsec_views(&sim, Side::B)[0].peer_port,
            40_001,
            "RFC 3948 4: no conclusions from keepalives"
        );
        let mut pinger = Pinger::new(&sim, Side::B);
        assert!(!pinger.ping(&mut sim), "B's traffic still goes to the old port");
        assert!(!sim.wire.last().expect("B's request").delivered);
    }
}

/// Transport mode behind a NAT (RFC 3947 5.2): both Quick Mode messages
/// carry the original addresses, and the peers' own packets cross.
mod transport_with_nat_oa {
    use super::*;

    fn transport(side: Side) -> ChildPolicy {
        let (own, peer) = if side == Side::A { (a(), b()) } else { (b(), a()) };
        ChildPolicy {
            mode: IpsecMode::Transport,
            local_ts: TrafficSelector::host(own),
            remote_ts: TrafficSelector::host(peer),
            ..child(side, &["aes128-sha256"], None)
        }
    }

    #[test]
    fn quick_mode_carries_nat_oa_and_the_peers_own_traffic_crosses() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None)
            .a(|c| c.children = vec![transport(Side::A)])
            .b(|c| c.children = vec![transport(Side::B)])
            .behind_nat();
        let (on_a, on_b) = bring_up(&mut sim, Side::A);
        assert_eq!((on_a.mode, on_b.mode), (IpsecMode::Transport, IpsecMode::Transport));
        assert!(on_a.udp_encapsulated && on_b.udp_encapsulated);
        let qm = SaKeys::of(&sim, Side::A, SEED_A, PSK).quick_mode(&sim, 0);
        let mode = wire::ipsec_attribute(wire::transforms(&qm[0].payloads)[0], Attr::ENCAPSULATION_MODE);
        assert_eq!(mode, Some(u64::from(EncapsulationMode::UDP_ENCAPSULATED_TRANSPORT.0)));
        let oa = |index: usize| {
            let payloads = &qm[index].payloads;
            let types: Vec<PayloadType> =
                wire::types_of(payloads).into_iter().filter(|t| *t == PayloadType::NAT_OA).collect();
            assert_eq!(types.len(), 2, "NAT-OA as payload 21 (RFC 3947 numbering)");
            wire::nat_original_addresses(payloads).iter().map(|oa| oa.address).collect::<Vec<_>>()
        };
        assert_eq!(oa(0), [a(), b()], "QM1: NAT-OAi = A's own address, NAT-OAr = B as A sees it");
        assert_eq!(oa(1), [nat_public(), b()], "QM2: NAT-OAi = A as B sees it, NAT-OAr = B's own");
        assert_eq!(on_b.remote_ts, "203.0.113.254/32", "B's SA protects what comes from the NAT");
        for from in [Side::A, Side::B] {
            let (src, dst) = if from == Side::A { (a(), b()) } else { (b(), nat_public()) };
            assert!(Pinger::between(&sim, from, src, dst).ping(&mut sim), "from {from:?}");
        }
        let (_, first) = &inner_packets(&sim, Side::B)[0];
        let (_, _, src, dst) = echo_of(first).expect("an echo");
        assert_eq!((src, dst), (nat_public(), b()), "rebuilt from the outer header (RFC 3948 3.3)");
        let (_, reply) = &inner_packets(&sim, Side::A)[0];
        let (_, _, src, dst) = echo_of(reply).expect("an echo");
        assert_eq!((src, dst), (b(), a()));
    }
}
