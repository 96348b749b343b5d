//! Dead Peer Detection (RFC 3706) and NAT keepalives (RFC 3948 2.3) between
//! two engines in the simulation.

mod common;

use std::time::Duration;

use common::*;
use ikev1::Event;
use ikev1::policy::{Dpd, ExchangeMode};
use ikev1::sim::{Nat, Rule, Rules, Side, Simulation};

fn with_dpd(dpd: Dpd) -> Simulation {
    let mut side_a = connection(a(), b(), ExchangeMode::Main, proposals(&["aes128-sha256-modp2048"]));
    side_a.dpd = Some(dpd);
    let side_b = connection(b(), a(), ExchangeMode::Main, proposals(&["aes128-sha256-modp2048"]));
    Simulation::new(config(side_a, PSK), 21, config(side_b, PSK), 22)
}

fn notifies_sent(sim: &Simulation, side: Side, name: &str) -> u64 {
    let endpoint = match side {
        Side::A => &sim.a,
        Side::B => &sim.b,
    };
    endpoint.counters().notifies_sent.get(name).copied().unwrap_or(0)
}

#[test]
fn periodic_dpd_is_answered_while_the_peer_lives() {
    let mut sim = with_dpd(Dpd { interval_secs: 10, retry_secs: 2, retries: 3, on_demand: false });
    run_phase1(&mut sim);
    sim.run_for(Duration::from_secs(60));
    let probes = notifies_sent(&sim, Side::A, "R-U-THERE");
    assert!(probes >= 5, "an R-U-THERE every 10 s of quiet: {probes}");
    assert_eq!(notifies_sent(&sim, Side::B, "R-U-THERE-ACK"), probes, "each answered");
    assert_eq!(sim.a.established().len(), 1);
}

#[test]
fn a_silent_peer_is_declared_dead_after_the_retries() {
    let mut sim = with_dpd(Dpd { interval_secs: 10, retry_secs: 2, retries: 3, on_demand: false });
    run_phase1(&mut sim);
    assert_eq!(sim.a.established().len(), 1);
    let probes_before = notifies_sent(&sim, Side::A, "R-U-THERE");
    sim.interceptor = Box::new(Rules::new(vec![Rule::silence(Side::B)]));
    sim.run_for(Duration::from_secs(30));
    assert!(sim.a.established().is_empty(), "A gave up on B");
    let deleted = sim
        .events(Side::A)
        .iter()
        .any(|event| matches!(event, Event::IkeSaDeleted { reason, .. } if reason.contains("DPD")));
    assert!(deleted, "the SA was deleted for DPD");
    // 1 probe + 3 retries, then dead.
    assert_eq!(notifies_sent(&sim, Side::A, "R-U-THERE") - probes_before, 4);
}

#[test]
fn on_demand_dpd_stays_quiet_without_traffic() {
    let mut sim = with_dpd(Dpd { interval_secs: 10, retry_secs: 2, retries: 3, on_demand: true });
    run_phase1(&mut sim);
    sim.run_for(Duration::from_secs(60));
    assert_eq!(notifies_sent(&sim, Side::A, "R-U-THERE"), 0);
}

#[test]
fn the_side_behind_a_nat_sends_keepalives_on_4500() {
    let mut sim = pair(ExchangeMode::Main, &["aes128-sha256-modp2048"], &["aes128-sha256-modp2048"]);
    sim.nat = Some(Nat::new("203.0.113.254".parse().unwrap()));
    // B knows A only by its public address.
    let public: std::net::IpAddr = "203.0.113.254".parse().unwrap();
    let mut b_connection =
        connection(b(), public, ExchangeMode::Main, proposals(&["aes128-sha256-modp2048"]));
    b_connection.remote_address = Some(public);
    sim.b = ikev1::Endpoint::new(config(b_connection, PSK), 2);
    run_phase1(&mut sim);
    assert_eq!(established(&sim, Side::A).len(), 1, "{:?}", failures(&sim, Side::A));
    assert!(established(&sim, Side::A)[0].nat_detected);
    let before = sim.wire.len();
    sim.run_for(Duration::from_secs(65));
    let keepalives: Vec<_> = sim.wire[before..].iter().filter(|r| r.packet.payload == [0xff]).collect();
    assert!(keepalives.len() >= 3, "{} keepalives in 65 s", keepalives.len());
    let gaps: Vec<u64> = keepalives.windows(2).map(|w| w[1].at.as_millis() - w[0].at.as_millis()).collect();
    assert!(gaps.iter().all(|gap| *gap == 20_000), "one every 20 s: {gaps:?}");
    assert!(keepalives.iter().all(|r| r.packet.from == Side::A && r.packet.destination.port() == 4500));
}
