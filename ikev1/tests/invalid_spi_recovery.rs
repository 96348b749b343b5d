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
use ikev1::trace::Trace;

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

/// How many Main Modes a side has begun as initiator.
fn main_modes_begun(sim: &Simulation, side: Side) -> usize {
    traces_where(sim, side, |trace| matches!(trace, Trace::BeginExchange { exchange: "Main Mode", .. })).len()
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

/// B's own traffic starts a Phase 1 before A's stale ESP arrives: the report waits
/// for that ISAKMP SA instead of starting a second Phase 1, whose INITIAL-CONTACT
/// would make A drop the first (RFC 2407 4.6.3.3).
#[test]
fn the_report_waits_for_a_phase_1_already_under_way() {
    let mut sim = tunnel(true);
    sim.b.forget_all();
    let echo = IcmpEcho { kind: EchoKind::Request, identifier: 9, sequence: 1, data: b"spi" };
    let from_b = echo.to_packet(inner(Side::B), inner(Side::A)).unwrap();
    let established_before = established(&sim, Side::B).len();
    assert_eq!(main_modes_begun(&sim, Side::B), 0, "B responded the first time");
    let _ = sim.act(Side::B, |endpoint, now| endpoint.send_inner(now, &from_b));
    // A's stale ESP reaches B while B's Main Mode is still in flight.
    let from_a = IcmpEcho { sequence: 2, ..echo }.to_packet(inner(Side::A), inner(Side::B)).unwrap();
    let _ = sim.act(Side::A, |endpoint, now| endpoint.send_inner(now, &from_a));
    for sequence in 3..=10 {
        a_sends(&mut sim, sequence);
    }
    assert_eq!(main_modes_begun(&sim, Side::B), 1, "B began one Main Mode");
    assert_eq!(established(&sim, Side::B).len(), established_before + 1);
    assert!(notifies_sent(&sim, Side::B, "INVALID-SPI") >= 1, "the report went over it");
    let before = delivered_to_b(&sim);
    a_sends(&mut sim, 11);
    assert_eq!(delivered_to_b(&sim), before + 1, "A's traffic reaches B again");
}
