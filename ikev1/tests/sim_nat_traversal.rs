//! NAT traversal in Phase 1 (RFC 3947): vendor IDs announce support, NAT-D
//! hashes in MM3/MM4 (AM2/AM3) reveal address rewriting, and with a NAT on
//! the path both sides move to port 4500 from MM5 on, with the Non-ESP
//! Marker (RFC 3948 2.2).

mod common;

use std::net::IpAddr;

use common::*;
use ikev1::policy::{ExchangeMode, NatTMode, PeerSelector};
use ikev1::sim::{Nat, Side, Simulation, WireRecord};
use ikev1::trace::Trace;
use isakmp::numbers::PayloadType;
use isakmp::vendor_id;

fn nat_public() -> IpAddr {
    "198.51.100.1".parse().unwrap()
}

/// A behind a masquerading NAT: B knows A by the NAT's public address.
fn behind_nat(mode: ExchangeMode) -> Simulation {
    let mut peers = Peers::same(mode, "aes128-sha256-modp2048").b(|c| c.remote_address = Some(nat_public()));
    peers.b.policy.keyring = ikev1::policy::Keyring::default().with(PeerSelector::Address(nat_public()), PSK);
    let mut sim = peers.build();
    sim.nat = Some(Nat::new(nat_public()));
    sim
}

fn nat_detected(sim: &Simulation, side: Side) -> (bool, bool) {
    let found = traces_where(sim, side, |t| matches!(t, Trace::NatDetected { .. }));
    assert_eq!(found.len(), 1, "{side:?} compares NAT-D once");
    match found[0].trace {
        Trace::NatDetected { local_behind_nat, peer_behind_nat } => (local_behind_nat, peer_behind_nat),
        _ => unreachable!(),
    }
}

/// A NAT keepalive: the single octet 0xFF (RFC 3948 2.3).
fn is_keepalive(record: &WireRecord) -> bool {
    record.packet.payload == isakmp::natt::KEEPALIVE
}

/// The ports of every IKE datagram, as (source, destination).
fn ports(sim: &Simulation) -> Vec<(u16, u16)> {
    sim.wire
        .iter()
        .filter(|r| !is_keepalive(r))
        .map(|r| (r.packet.source.port(), r.packet.destination.port()))
        .collect()
}

/// When A sent NAT keepalives, in seconds since the start.
fn keepalives_from_a(sim: &Simulation) -> Vec<u64> {
    sim.wire
        .iter()
        .filter(|r| is_keepalive(r))
        .map(|r| {
            assert_eq!(r.packet.from, Side::A, "only the side behind the NAT keeps it open");
            assert_eq!(r.packet.destination.port(), 4500);
            r.at.as_millis() / 1000
        })
        .collect()
}

/// RFC 3947 3 and 4: detection, then the float to 4500.
mod detection {
    use super::*;

    #[test]
    fn a_nat_in_front_of_the_initiator_is_seen_by_both_and_both_float_to_4500() {
        let mut sim = behind_nat(ExchangeMode::Main);
        let (on_a, on_b) = run_established(&mut sim);
        assert_eq!(nat_detected(&sim, Side::A), (true, false), "A: my hash no match, I am inside the NAT");
        assert_eq!(nat_detected(&sim, Side::B), (false, true), "B: his hash no match, he is behind a NAT");
        assert!(on_a.nat_detected && on_b.nat_detected);
        assert_eq!((on_a.local.port(), on_a.remote.port()), (4500, 4500));
        assert_eq!(on_b.local.port(), 4500);
        assert_eq!(on_b.remote.ip(), nat_public(), "B talks to the NAT's public address");
        // As recorded past the NAT: A's 500 is mapped to 40000, its 4500 to
        // 40001; replies are mapped back to A's private ports.
        assert_eq!(
            ports(&sim),
            [(40_000, 500), (500, 500), (40_000, 500), (500, 500), (40_001, 4500), (4500, 4500)]
        );
        for record in sim.wire[4..].iter().filter(|r| !is_keepalive(r)) {
            assert_eq!(&record.packet.payload[..4], &[0; 4], "the Non-ESP Marker precedes IKE on 4500");
        }
        // RFC 3948 2.3: A, behind the NAT, keeps its mapping open every 20 s.
        let keepalives = keepalives_from_a(&sim);
        assert!(keepalives.len() >= 2, "{keepalives:?}");
        assert!(keepalives.windows(2).all(|w| w[1] - w[0] == 20), "{keepalives:?}");
    }

    #[test]
    fn aggressive_mode_behind_a_nat_floats_for_am3() {
        let mut sim = behind_nat(ExchangeMode::Aggressive);
        let (on_a, on_b) = run_established(&mut sim);
        assert!(on_a.nat_detected && on_b.nat_detected);
        assert_eq!(nat_detected(&sim, Side::A), (true, false));
        assert_eq!(nat_detected(&sim, Side::B), (false, true));
        assert_eq!(ports(&sim), [(40_000, 500), (500, 500), (40_001, 4500)], "AM3 to 4500 (RFC 3947 4)");
        assert_eq!(on_b.local.port(), 4500, "B follows A to 4500");
    }

    #[test]
    fn without_a_nat_both_see_none_and_stay_on_500() {
        let mut sim = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048").build();
        let (on_a, on_b) = run_established(&mut sim);
        assert_eq!(nat_detected(&sim, Side::A), (false, false));
        assert_eq!(nat_detected(&sim, Side::B), (false, false));
        assert!(!on_a.nat_detected && !on_b.nat_detected);
        assert!(ports(&sim).iter().all(|p| *p == (500, 500)));
        // NAT-D were exchanged nonetheless (both announced RFC 3947).
        let mm3 = wire::parse(&sim.wire[2].packet);
        assert_eq!(wire::nat_d_types(mm3.payloads()), [PayloadType::NAT_D, PayloadType::NAT_D]);
    }
}

/// Forced encapsulation: a fake NAT-D for ourselves makes the peer see a
/// NAT, so both float without one (strongSwan's `encap = yes`).
mod forced {
    use super::*;

    #[test]
    fn forced_nat_t_floats_to_4500_without_a_nat() {
        let mut sim = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048")
            .a(|c| c.nat_traversal.mode = NatTMode::Force)
            .build();
        let (on_a, on_b) = run_established(&mut sim);
        assert_eq!(nat_detected(&sim, Side::B), (false, true), "B cannot match A's fake hash");
        assert_eq!(nat_detected(&sim, Side::A), (false, false), "A itself sees no NAT");
        assert!(on_a.nat_detected && on_b.nat_detected, "both encapsulate");
        let ports = ports(&sim);
        assert!(ports[..4].iter().all(|p| *p == (500, 500)));
        assert!(ports[4..].iter().all(|p| *p == (4500, 4500)));
    }
}

/// NAT-T off: nothing announced, nothing detected, no float.
mod off {
    use super::*;

    #[test]
    fn with_nat_t_off_on_the_initiator_no_vendor_id_no_nat_d_no_float() {
        let mut sim = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048")
            .a(|c| c.nat_traversal.mode = NatTMode::Off)
            .build();
        let (on_a, on_b) = run_established(&mut sim);
        let mm1 = wire::parse(&sim.wire[0].packet);
        assert_eq!(wire::vendor_ids(mm1.payloads()), [vendor_id::DPD.as_slice()], "only DPD announced");
        let mm2 = wire::parse(&sim.wire[1].packet);
        assert_eq!(wire::vendor_ids(mm2.payloads()), [vendor_id::DPD.as_slice()], "B echoes no NAT-T");
        for record in &sim.wire {
            assert!(wire::nat_d_types(wire::parse(&record.packet).payloads()).is_empty());
        }
        assert!(traces_where(&sim, Side::A, |t| matches!(t, Trace::NatDetected { .. })).is_empty());
        assert!(!on_a.nat_detected && !on_b.nat_detected);
        assert!(ports(&sim).iter().all(|p| *p == (500, 500)));
    }
}

/// RFC 3947 and its drafts number NAT-D differently: 20 in the RFC, 130 in
/// draft-ietf-ipsec-nat-t-ike-02/03. The version both announce decides.
mod numbering {
    use super::*;

    fn drafts_only(mode: ExchangeMode) -> Simulation {
        let mut sim =
            Peers::same(mode, "aes128-sha256-modp2048").a(|c| c.nat_traversal.rfc3947 = false).build();
        run_established(&mut sim);
        sim
    }

    #[test]
    fn an_initiator_without_rfc3947_gets_draft_03_and_nat_d_130_in_main_mode() {
        let sim = drafts_only(ExchangeMode::Main);
        let mm1 = wire::parse(&sim.wire[0].packet);
        assert!(!wire::vendor_ids(mm1.payloads()).contains(&vendor_id::NAT_T_RFC3947.as_slice()));
        let mm2 = wire::parse(&sim.wire[1].packet);
        assert_eq!(
            wire::vendor_ids(mm2.payloads()),
            [vendor_id::NAT_T_DRAFT_03.as_slice(), vendor_id::DPD.as_slice()],
            "B answers with the best common version"
        );
        for (n, index) in [(3, 2), (4, 3)] {
            let message = wire::parse(&sim.wire[index].packet);
            assert_eq!(
                wire::nat_d_types(message.payloads()),
                [PayloadType::NAT_D_DRAFT, PayloadType::NAT_D_DRAFT],
                "MM{n}"
            );
        }
    }

    #[test]
    fn rfc3947_on_both_sides_uses_nat_d_20() {
        let mut sim = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048").build();
        run_established(&mut sim);
        let mm2 = wire::parse(&sim.wire[1].packet);
        assert_eq!(wire::vendor_ids(mm2.payloads())[0], vendor_id::NAT_T_RFC3947.as_slice());
        let mm4 = wire::parse(&sim.wire[3].packet);
        assert_eq!(wire::nat_d_types(mm4.payloads()), [PayloadType::NAT_D, PayloadType::NAT_D]);
    }

    #[test]
    fn draft_numbering_in_aggressive_mode_am2() {
        let sim = drafts_only(ExchangeMode::Aggressive);
        let am2 = wire::parse(&sim.wire[1].packet);
        assert_eq!(wire::nat_d_types(am2.payloads()), [PayloadType::NAT_D_DRAFT, PayloadType::NAT_D_DRAFT]);
    }
}
