//! Phase 1 between two reference engines in the simulation.

mod common;

use common::*;
use ikev1::policy::ExchangeMode;
use ikev1::sim::Side;
use ikev1::trace::ios;

#[test]
fn main_mode_completes_between_two_engines() {
    let mut sim = pair(ExchangeMode::Main, &["aes128-sha256-modp2048"], &["aes128-sha256-modp2048"]);
    run_phase1(&mut sim);
    let a = established(&sim, Side::A);
    let b = established(&sim, Side::B);
    assert_eq!(a.len(), 1, "A: {:?}", failures(&sim, Side::A));
    assert_eq!(b.len(), 1, "B: {:?}", failures(&sim, Side::B));
    assert_eq!(a[0].proposal, "aes128-sha256-modp2048");
    assert_eq!(a[0].initiator_cookie, b[0].initiator_cookie);
    assert_eq!(a[0].responder_cookie, b[0].responder_cookie);
    assert_eq!(sim.wire.len(), 6, "six Main Mode messages");
    println!("{}", ios::render_all(sim.traces(Side::A)));
    println!("{}", ios::render_all(sim.traces(Side::B)));
}

#[test]
fn aggressive_mode_completes_between_two_engines() {
    let mut sim = pair(ExchangeMode::Aggressive, &["aes256-sha1-modp1024"], &["aes256-sha1-modp1024"]);
    run_phase1(&mut sim);
    assert_eq!(established(&sim, Side::A).len(), 1, "A: {:?}", failures(&sim, Side::A));
    assert_eq!(established(&sim, Side::B).len(), 1, "B: {:?}", failures(&sim, Side::B));
    assert_eq!(sim.wire.len(), 3, "three Aggressive Mode messages");
}
