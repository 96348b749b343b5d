//! What an operator (or the interop harness) does to a running tunnel: delete the
//! ISAKMP SA only, delete the IPsec SAs only, and run a connection without re-keying.

mod common;

use std::time::Duration;

use common::*;
use ikev1::policy::{DhGroup, ExchangeMode, IpsecLifetime};
use ikev1::sim::{Side, Simulation};
use ikev1::trace::show_ipsec::SessionStatus;

fn tunnel(change: impl Fn(&mut ikev1::policy::Connection)) -> Simulation {
    let mut sim = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048")
        .a(|c| {
            c.children.push(child(Side::A, &["aes128-sha256"], Some(DhGroup::Modp2048)));
            change(c);
        })
        .b(|c| {
            c.children.push(child(Side::B, &["aes128-sha256"], Some(DhGroup::Modp2048)));
            change(c);
        })
        .build();
    sim.initiate(Side::A, "peer");
    sim.run_for(Duration::from_secs(5));
    assert_eq!(sim.a.ipsec_sas().len(), 1, "the tunnel is up");
    sim
}

fn session(sim: &mut Simulation, side: Side) -> SessionStatus {
    sim.act(side, |endpoint, now| endpoint.show_session(now)[0].status)
}

/// RFC 2409 5.5: IPsec SAs have keys of their own; deleting the ISAKMP SA
/// leaves them in place on both sides (IOS: UP-NO-IKE).
#[test]
fn deleting_the_isakmp_sa_keeps_the_ipsec_sas_on_both_sides() {
    let mut sim = tunnel(|_| {});
    sim.act(Side::A, |endpoint, now| endpoint.delete_ike_sas(now, "peer"));
    sim.run_for(Duration::from_secs(2));
    assert_eq!(deletions(&sim, Side::A), ["deleted by operator"]);
    assert_eq!(deletions(&sim, Side::B), ["deleted by peer"]);
    for side in [Side::A, Side::B] {
        assert!(sim.endpoint(side).established().is_empty(), "{side:?} has no ISAKMP SA");
        assert_eq!(sim.endpoint(side).ipsec_sas().len(), 1, "{side:?} keeps its IPsec SA");
        assert_eq!(session(&mut sim, side), SessionStatus::UpNoIke, "{side:?}");
    }
}

/// RFC 2408 3.15: a Delete for ESP names our inbound SPI; the ISAKMP SA stays
/// and a new Quick Mode can run over it.
#[test]
fn deleting_the_ipsec_sas_keeps_the_isakmp_sa() {
    let mut sim = tunnel(|_| {});
    sim.act(Side::A, |endpoint, now| endpoint.delete_ipsec_sas(now, "peer"));
    sim.run_for(Duration::from_secs(2));
    for side in [Side::A, Side::B] {
        assert_eq!(sim.endpoint(side).established().len(), 1, "{side:?} keeps the ISAKMP SA");
        assert!(sim.endpoint(side).ipsec_sas().is_empty(), "{side:?} dropped the IPsec SA");
    }
    assert!(deletions(&sim, Side::A).is_empty() && deletions(&sim, Side::B).is_empty());
}

/// Without re-keying, the initiator lets both phases run out: the IPsec SA is
/// deleted at its hard lifetime and no second one is negotiated.
#[test]
fn a_connection_without_rekeying_lets_its_sas_expire() {
    let mut sim = tunnel(|c| {
        c.rekey = false;
        c.children[0].lifetime = IpsecLifetime { seconds: 20, kilobytes: None };
    });
    sim.run_for(Duration::from_secs(30));
    let established = sim
        .events(Side::A)
        .iter()
        .filter(|event| matches!(event, ikev1::Event::IpsecSaEstablished(_)))
        .count();
    assert_eq!(established, 1, "no re-key");
    assert!(sim.a.ipsec_sas().is_empty() && sim.b.ipsec_sas().is_empty(), "expired on both sides");
    assert_eq!(sim.a.poll_timeout().map(|at| at > sim.now), Some(true), "no timer stuck in the past");
}
