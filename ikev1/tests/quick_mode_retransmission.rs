//! RFC 2408 5.1 and RFC 2409 5.5: when the last Quick Mode message is lost, the
//! responder retransmits QM2 and the initiator answers it with QM3 again. The
//! retransmitted QM2 is byte for byte the first one, which no longer decrypts once
//! the message ID's IV has moved on, so it has to be recognised before decryption.

mod common;

use std::time::Duration;

use common::*;
use ikev1::policy::{DhGroup, ExchangeMode};
use ikev1::sim::{Rule, Rules, Side, Simulation};

fn tunnel_losing(from: Side, nth: u32) -> Simulation {
    let mut sim = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048")
        .a(|c| c.children.push(child(Side::A, &["aes128-sha256"], Some(DhGroup::Modp2048))))
        .b(|c| c.children.push(child(Side::B, &["aes128-sha256"], Some(DhGroup::Modp2048))))
        .build();
    sim.interceptor = Box::new(Rules::new(vec![Rule::drop(from, nth)]));
    sim.initiate(Side::A, "peer");
    sim.run_for(Duration::from_secs(10));
    sim
}

/// A sends MM1, MM3, MM5, QM1, QM3: its fifth datagram is QM3.
#[test]
fn a_lost_qm3_is_sent_again_when_qm2_comes_again() {
    let sim = tunnel_losing(Side::A, 5);
    assert_eq!(sim.a.ipsec_sas().len(), 1, "the initiator's SA is up");
    assert_eq!(sim.b.ipsec_sas().len(), 1, "the responder activated its outbound SA on the second QM3");
}

/// B sends MM2, MM4, MM6, QM2: its fourth datagram is QM2.
#[test]
fn a_lost_qm2_is_sent_again_when_qm1_comes_again() {
    let sim = tunnel_losing(Side::B, 4);
    assert_eq!(sim.a.ipsec_sas().len(), 1, "the initiator got QM2 after retransmitting QM1");
    assert_eq!(sim.b.ipsec_sas().len(), 1);
}
