//! Invalid-SPI recovery (IOS `crypto isakmp invalid-spi-recovery`) after a reboot:
//! ESP arrives for SPIs the rebooted side no longer knows, it sets up an ISAKMP SA
//! with the sender to tell it INVALID-SPI (RFC 2408 3.14.1), and the sender replaces
//! its stale IPsec SA.

mod common;

use std::time::Duration;

use common::*;
use ikev1::Event;
use ikev1::ip::{EchoKind, IcmpEcho};
use ikev1::policy::{DhGroup, ExchangeMode};
use ikev1::sim::{Side, Simulation};

fn tunnel(b_recovers: bool) -> Simulation {
    let mut sim = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048")
        .a(|c| c.children.push(child(Side::A, &["aes128-sha256"], Some(DhGroup::Modp2048))))
        .b(|c| {
            c.children.push(child(Side::B, &["aes128-sha256"], Some(DhGroup::Modp2048)));
            c.invalid_spi_recovery = b_recovers;
        })
        .build();
    sim.initiate(Side::A, "peer");
    sim.run_for(Duration::from_secs(5));
    assert_eq!(sim.b.ipsec_sas().len(), 1, "the tunnel is up");
    sim
}

/// A sends an echo request through the tunnel (or starts negotiating one).
fn a_sends(sim: &mut Simulation, sequence: u16) {
    let echo = IcmpEcho { kind: EchoKind::Request, identifier: 9, sequence, data: b"spi" };
    let packet = echo.to_packet(inner(Side::A), inner(Side::B)).unwrap();
    let _ = sim.act(Side::A, |endpoint, now| endpoint.send_inner(now, &packet));
    sim.run_for(Duration::from_millis(500));
}

fn delivered_to_b(sim: &Simulation) -> usize {
    sim.events(Side::B).iter().filter(|event| matches!(event, Event::InnerPacket { .. })).count()
}

#[test]
fn a_rebooted_side_with_recovery_tells_the_sender_and_traffic_flows_again() {
    let mut sim = tunnel(true);
    sim.b.forget_all();
    for sequence in 1..=20 {
        a_sends(&mut sim, sequence);
    }
    assert!(notifies_sent(&sim, Side::B, "INVALID-SPI") >= 1, "B reports the unknown SPI");
    assert!(notifies_received(&sim, Side::A, "INVALID-SPI") >= 1);
    let before = delivered_to_b(&sim);
    a_sends(&mut sim, 21);
    assert_eq!(delivered_to_b(&sim), before + 1, "A's traffic reaches B over a new IPsec SA");
}

#[test]
fn without_recovery_the_rebooted_side_stays_silent() {
    let mut sim = tunnel(false);
    sim.b.forget_all();
    for sequence in 1..=5 {
        a_sends(&mut sim, sequence);
    }
    assert_eq!(notifies_sent(&sim, Side::B, "INVALID-SPI"), 0);
    assert!(sim.b.established().is_empty(), "no ISAKMP SA is set up just to report");
}
