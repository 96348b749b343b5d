//! Snapshots of the IOS traces (`debug crypto isakmp`) of both sides for the
//! Phase 2 scenarios, and of the three status views (`show crypto isakmp
//! sa`, `show crypto ipsec sa`, `show crypto session`) at the moments an
//! engineer would look: up and idle, carrying traffic, re-keying, after a
//! reboot on the other side, without an ISAKMP SA, recovered, behind a NAT.
//!
//! Same seeds, same inputs, same bytes: cookies, SPIs and times need no
//! redaction. Under `CI=true` insta never writes a new snapshot, so a
//! mismatch fails CI (`cargo insta review` to accept an intended change).

mod common;

use std::time::Duration;

use common::phase2::*;
use common::*;
use ikev1::Timestamp;
use ikev1::policy::{DhGroup, Dpd, IpsecLifetime};
use ikev1::sim::{Rule, Rules, Side, Simulation};
use ikev1::trace::show::render_isakmp_sa;
use ikev1::trace::show_ipsec::{render_ipsec_sa, render_session};
use ikev1::trace::{TraceEvent, ios};

/// Both sides' traces from `since` on, A first.
fn traces_since(sim: &Simulation, since: Timestamp) -> String {
    let render = |side| {
        let events: Vec<&TraceEvent> = sim.traces(side).into_iter().filter(|t| t.at >= since).collect();
        ios::render_all(events)
    };
    format!("==== A (192.0.2.1) ====\n{}\n==== B (192.0.2.2) ====\n{}", render(Side::A), render(Side::B))
}

fn both_traces(sim: &Simulation) -> String {
    traces_since(sim, Timestamp::ZERO)
}

/// The three views of both sides, under a title.
fn views(title: &str, sim: &Simulation) -> String {
    let now = sim.now;
    let mut out = String::new();
    for (name, endpoint) in [("A", &sim.a), ("B", &sim.b)] {
        out += &format!("---- {title}: {name} at {} ms ----\n", now.as_millis());
        out += &format!("# show crypto isakmp sa\n{}", render_isakmp_sa(&endpoint.isakmp_sa_rows()));
        out += &format!("# show crypto ipsec sa\n{}", render_ipsec_sa(&endpoint.show_ipsec_sa(now)));
        out += &format!("# show crypto session\n{}", render_session(&endpoint.show_session(now)));
    }
    out
}

fn tunnel(pfs: Option<DhGroup>) -> common::Peers {
    Peers::tunnel(&["aes128-sha256"], pfs)
}

/// RFC 2409 5.5 with PFS: A's trace is the initiator's, B's the responder's.
#[test]
fn quick_mode_with_pfs_initiator_and_responder() {
    let mut sim = tunnel(Some(DhGroup::Modp2048)).build();
    bring_up(&mut sim, Side::A);
    insta::assert_snapshot!(both_traces(&sim));
}

/// The same with B initiating: the roles swap sides.
#[test]
fn quick_mode_with_pfs_roles_swapped() {
    let mut sim = tunnel(Some(DhGroup::Modp1536)).build();
    bring_up(&mut sim, Side::B);
    insta::assert_snapshot!(both_traces(&sim));
}

#[test]
fn pfs_group_mismatch() {
    let mut sim =
        tunnel(Some(DhGroup::Modp1536)).children(Side::B, |c| c.pfs = Some(DhGroup::Modp2048)).build();
    sim.initiate(Side::A, "peer");
    sim.run_for(Duration::from_secs(10));
    assert_eq!(ipsec_failures(&sim, Side::A).len(), 1);
    insta::assert_snapshot!(both_traces(&sim));
}

/// RFC 2407 4.6.3.1: A proposes 3600 s, B answers 1200 s.
#[test]
fn responder_lifetime() {
    let mut sim = tunnel(None)
        .children(Side::A, |c| c.lifetime = IpsecLifetime { seconds: 3600, kilobytes: None })
        .children(Side::B, |c| c.lifetime = IpsecLifetime { seconds: 1200, kilobytes: Some(4608) })
        .build();
    let (on_a, _) = bring_up(&mut sim, Side::A);
    assert_eq!(on_a.lifetime_secs, 1200);
    insta::assert_snapshot!(both_traces(&sim));
}

/// A 120 s pair under a ping a second: the re-key at 108 s, the old pair's
/// Delete at 120 s.
#[test]
fn rekey_and_expiry_of_an_ipsec_sa() {
    let lifetime = IpsecLifetime { seconds: 120, kilobytes: None };
    let mut sim = tunnel(None)
        .children(Side::A, |c| c.lifetime = lifetime)
        .children(Side::B, |c| c.lifetime = lifetime)
        .build();
    bring_up(&mut sim, Side::A);
    let mut pinger = Pinger::new(&sim, Side::A);
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(125));
    assert_eq!(pinger.lost(), Vec::<u16>::new());
    insta::assert_snapshot!(traces_since(&sim, Timestamp::from_millis(100_000)));
}

/// RFC 3706: B goes silent under traffic; A probes, retries, declares it
/// dead and clears its IPsec SAs.
#[test]
fn dpd_declares_a_silent_peer_dead() {
    let mut sim = tunnel(None)
        .a(|c| c.dpd = Some(Dpd { interval_secs: 10, retry_secs: 2, retries: 3, on_demand: false }))
        .build();
    bring_up(&mut sim, Side::A);
    let since = sim.now;
    sim.interceptor = Box::new(Rules::new(vec![Rule::silence(Side::B)]));
    sim.run_for(Duration::from_secs(25));
    assert!(sim.a.ipsec_sas().is_empty());
    insta::assert_snapshot!(traces_since(&sim, since));
}

/// B reboots; with `crypto isakmp invalid-spi-recovery` it sets up an
/// ISAKMP SA and sends INVALID-SPI; A re-keys.
#[test]
fn invalid_spi_recovery() {
    let mut sim = tunnel(None)
        .b(|c| {
            c.invalid_spi_recovery = true;
            c.initial_contact = false;
        })
        .build();
    bring_up(&mut sim, Side::A);
    let mut pinger = Pinger::new(&sim, Side::A);
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(2));
    let since = sim.now;
    sim.reboot(Side::B);
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(3));
    assert_eq!(pinger.lost().len(), 1);
    insta::assert_snapshot!(traces_since(&sim, since));
}

/// A behind a NAT: Phase 1 floats to 4500, Quick Mode negotiates
/// UDP-Encapsulated-Tunnel, and after the NAT forgets A's mapping B follows
/// A's next ESP-in-UDP to the new port (RFC 3947 7).
#[test]
fn nat_t_data_plane_and_a_mapping_change() {
    let mut sim = tunnel(None)
        .a(|c| c.dpd = Some(Dpd { interval_secs: 10, retry_secs: 2, retries: 3, on_demand: true }))
        .behind_nat();
    bring_up(&mut sim, Side::A);
    let mut pinger = Pinger::new(&sim, Side::A);
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(3));
    sim.nat.as_mut().expect("a NAT").flush();
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(12));
    assert!(pinger.replies.last().is_some_and(|(s, _)| usize::from(*s) == pinger.sent.len()));
    insta::assert_snapshot!(both_traces(&sim));
}

/// The views through a tunnel's life: up and idle, carrying traffic,
/// overlapping during a re-key, and after the re-key.
#[test]
fn show_views_through_a_rekey() {
    let lifetime = IpsecLifetime { seconds: 120, kilobytes: None };
    let mut sim = tunnel(Some(DhGroup::Modp2048))
        .children(Side::A, |c| c.lifetime = lifetime)
        .children(Side::B, |c| c.lifetime = lifetime)
        .build();
    bring_up(&mut sim, Side::A);
    let mut out = views("up, idle", &sim);
    let mut pinger = Pinger::new(&sim, Side::A);
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(5));
    out += &views("after five pings", &sim);
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(105));
    out += &views("re-keyed, old pair still in place", &sim);
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(15));
    out += &views("old pair deleted", &sim);
    insta::assert_snapshot!(out);
}

/// The views when B forgets everything while A keeps sending: A's session
/// still up, then UP-NO-IKE once its ISAKMP SA is gone too; then the same
/// with invalid-SPI recovery on B, after recovery.
#[test]
fn show_views_after_a_reboot() {
    let mut sim = tunnel(None).build();
    bring_up(&mut sim, Side::A);
    let mut pinger = Pinger::new(&sim, Side::A);
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(3));
    sim.reboot(Side::B);
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(3));
    let mut out = views("B rebooted, A still sending", &sim);
    sim.a.forget_ike_sas();
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(3));
    out += &views("A without its ISAKMP SA", &sim);

    let mut sim = tunnel(None).b(|c| c.invalid_spi_recovery = true).build();
    bring_up(&mut sim, Side::A);
    let mut pinger = Pinger::new(&sim, Side::A);
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(3));
    sim.reboot(Side::B);
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(3));
    out += &views("invalid-SPI recovery done", &sim);
    insta::assert_snapshot!(out);
}

/// The views behind a NAT: UDP-Encaps and the peer's mapped port.
#[test]
fn show_views_behind_a_nat() {
    let mut sim = tunnel(None).behind_nat();
    bring_up(&mut sim, Side::A);
    let mut pinger = Pinger::new(&sim, Side::A);
    pinger.every(&mut sim, Duration::from_secs(1), Duration::from_secs(3));
    insta::assert_snapshot!(views("behind a NAT", &sim));
}
