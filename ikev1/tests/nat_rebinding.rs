//! RFC 3947 7: when a NAT loses its mappings, the end that is not behind it follows
//! the peer to where its last valid UDP-encapsulated ESP came from, so the tunnel
//! carries on without waiting for an IKE message.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::*;
use ikev1::Event;
use ikev1::ip::{EchoKind, IcmpEcho};
use ikev1::policy::{DhGroup, ExchangeMode, Keyring, PeerSelector};
use ikev1::sim::{Nat, Side, Simulation};

fn nat_public() -> IpAddr {
    "203.0.113.1".parse().unwrap()
}

/// A, behind a NAT, has a tunnel up with B.
fn tunnel_behind_nat() -> Simulation {
    let mut peers = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048")
        .a(|c| c.children.push(child(Side::A, &["aes128-sha256"], Some(DhGroup::Modp2048))))
        .b(|c| {
            c.remote_address = Some(nat_public());
            c.children.push(child(Side::B, &["aes128-sha256"], Some(DhGroup::Modp2048)));
        });
    peers.b.policy.keyring = Keyring::default().with(PeerSelector::Address(nat_public()), PSK);
    let mut sim = peers.build();
    sim.nat = Some(Nat::new(nat_public()));
    sim.initiate(Side::A, "peer");
    sim.run_for(Duration::from_secs(5));
    assert_eq!(sim.b.ipsec_sas().len(), 1, "the tunnel is up");
    sim
}

/// An echo request from `from`'s inner host to the other's.
fn echo(sim: &mut Simulation, from: Side, sequence: u16) {
    let (IpAddr::V4(source), IpAddr::V4(destination)) = (inner(from), inner(from.other())) else {
        unreachable!("IPv4 inner hosts")
    };
    let echo = IcmpEcho { kind: EchoKind::Request, identifier: 7, sequence, data: b"rebind" };
    let packet = echo.to_packet(IpAddr::V4(source), IpAddr::V4(destination)).unwrap();
    sim.act(from, |endpoint, now| endpoint.send_inner(now, &packet).unwrap());
    sim.run_for(Duration::from_millis(50));
}

fn inner_packets(sim: &Simulation, side: Side) -> usize {
    sim.events(side).iter().filter(|event| matches!(event, Event::InnerPacket { .. })).count()
}

/// The port B's ISAKMP SA (and with it the ESP) sends to.
fn b_sends_to_port(sim: &Simulation) -> u16 {
    sim.b.established()[0].remote.port()
}

#[test]
fn the_end_outside_the_nat_follows_valid_esp_to_the_new_mapping() {
    let mut sim = tunnel_behind_nat();
    let before = b_sends_to_port(&sim);
    sim.nat.as_mut().unwrap().flush();
    // A's packet leaves through a new mapping; B follows it and its reply reaches A.
    echo(&mut sim, Side::A, 1);
    let after = b_sends_to_port(&sim);
    assert_ne!(before, after, "B follows A's new NAT port");
    let received_by_a = inner_packets(&sim, Side::A);
    echo(&mut sim, Side::B, 2);
    assert_eq!(
        inner_packets(&sim, Side::A),
        received_by_a + 1,
        "B's traffic reaches A through the new mapping"
    );
}
