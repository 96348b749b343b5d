//! Snapshots of the IOS-style traces (`debug crypto isakmp`) of both sides
//! for the exchanges of the other simulation tests, of `show crypto isakmp
//! sa`, of the JSON form of trace events, and of the per-peer filter
//! (`debug crypto condition peer`).
//!
//! Same seeds, same inputs, same bytes: the traces hold cookies but need no
//! redaction. A mismatch fails the test; under `CI=true` insta never writes
//! a new snapshot, so CI fails too (run `cargo insta review`, or set
//! `INSTA_UPDATE=always`, to accept an intended change).

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use common::keys::SaKeys;
use common::*;
use ikev1::policy::{
    Connection, ExchangeMode, IdentityConfig, Keyring, PeerSelector, Policy, ResponderChoice,
};
use ikev1::sim::{Nat, Rule, Rules, Side, Simulation};
use ikev1::trace::filter::DebugCondition;
use ikev1::trace::show::render_isakmp_sa;
use ikev1::trace::{TraceEvent, ios};
use ikev1::{Endpoint, EndpointConfig, Event, Timestamp};
use isakmp::numbers::{NotifyType, ProtocolId};
use isakmp::payload::Notification;
use isakmp::{Payload, PayloadBody};

/// Both sides' traces, A first, as one text.
fn both_traces(sim: &Simulation) -> String {
    format!(
        "==== A (192.0.2.1) ====\n{}\n==== B (192.0.2.2) ====\n{}",
        ios::render_all(sim.traces(Side::A)),
        ios::render_all(sim.traces(Side::B))
    )
}

fn main_mode() -> Peers {
    Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048")
}

fn settled(peers: Peers) -> Simulation {
    let mut sim = peers.build();
    run_phase1(&mut sim);
    sim
}

/// RFC 2409 5: the two exchanges, both roles in one snapshot each.
#[test]
fn main_mode_initiator_and_responder() {
    let sim = settled(main_mode());
    insta::assert_snapshot!(both_traces(&sim));
}

#[test]
fn aggressive_mode_initiator_and_responder() {
    let sim = settled(Peers::same(ExchangeMode::Aggressive, "aes256-sha1-modp1024"));
    insta::assert_snapshot!(both_traces(&sim));
}

#[test]
fn responder_choice_walks_its_own_policies() {
    let sim = settled(
        Peers::new(
            ExchangeMode::Main,
            &["aes128-sha1-modp1024", "aes256-sha256-modp2048"],
            &["aes256-sha256-modp2048", "aes128-sha1-modp1024"],
        )
        .b(|c| c.responder_choice = ResponderChoice::OwnPriority),
    );
    insta::assert_snapshot!(both_traces(&sim));
}

#[test]
fn no_proposal_chosen() {
    let sim = settled(Peers::new(ExchangeMode::Main, &["aes128-sha1-modp1024"], &["3des-md5-modp768"]));
    insta::assert_snapshot!(both_traces(&sim));
}

#[test]
fn pre_shared_key_mismatch() {
    let sim = settled(main_mode().b_psk("not-the-same"));
    insta::assert_snapshot!(both_traces(&sim));
}

#[test]
fn identity_mismatch() {
    let sim = settled(main_mode().b(|c| c.remote_id = Some(IdentityConfig::Fqdn("vpn.example".into()))));
    insta::assert_snapshot!(both_traces(&sim));
}

#[test]
fn lost_mm4_and_retransmission() {
    let mut sim = main_mode().build();
    sim.interceptor = Box::new(Rules::new(vec![Rule::drop(Side::B, 2)]));
    run_phase1(&mut sim);
    insta::assert_snapshot!(both_traces(&sim));
}

#[test]
fn duplicated_mm3() {
    let mut sim = main_mode().build();
    sim.interceptor = Box::new(Rules::new(vec![Rule::duplicate(Side::A, 2)]));
    run_phase1(&mut sim);
    insta::assert_snapshot!(both_traces(&sim));
}

#[test]
fn delete_by_the_initiator() {
    let mut sim = settled(main_mode());
    sim.act(Side::A, |endpoint, now| endpoint.delete_connection(now, "peer"));
    sim.run_for(Duration::from_secs(5));
    insta::assert_snapshot!(both_traces(&sim));
}

#[test]
fn dead_peer_detection_r_u_there() {
    let mut sim = settled(main_mode());
    let keys = SaKeys::of_initiator(&sim, SEED_A, PSK);
    let r_u_there = Payload::from(PayloadBody::Notification(Notification::ipsec(
        ProtocolId::ISAKMP,
        NotifyType::R_U_THERE,
        keys.cookie_spi(),
        42u32.to_be_bytes().to_vec(),
    )));
    let datagram = keys.protected_informational(0x0a0b_0c0d, vec![r_u_there]);
    sim.inject(Side::A, on_port(a(), 500), on_port(b(), 500), datagram);
    sim.run_for(Duration::from_secs(5));
    insta::assert_snapshot!(both_traces(&sim));
}

#[test]
fn nat_in_front_of_the_initiator() {
    let public: IpAddr = "198.51.100.1".parse().unwrap();
    let mut peers = main_mode().b(|c| c.remote_address = Some(public));
    peers.b.policy.keyring = Keyring::default().with(PeerSelector::Address(public), PSK);
    let mut sim = peers.build();
    sim.nat = Some(Nat::new(public));
    run_phase1(&mut sim);
    insta::assert_snapshot!(both_traces(&sim));
}

#[test]
fn lifetime_rekey_and_expiry() {
    let mut sim = main_mode()
        .a(|c| c.ike_proposals[0].lifetime_secs = 600)
        .b(|c| c.ike_proposals[0].lifetime_secs = 600)
        .build();
    sim.initiate(Side::A, "peer");
    sim.run_for(Duration::from_secs(700));
    insta::assert_snapshot!(both_traces(&sim));
}

/// `show crypto isakmp sa` on both sides: during Main Mode (after MM4, in
/// MM_KEY_EXCH), once established, and after a second SA is negotiated.
#[test]
fn show_crypto_isakmp_sa() {
    let mut sim = main_mode().build();
    sim.initiate(Side::A, "peer");
    let after_mm4 = sim.run_until_condition(Duration::from_secs(5), |s| s.wire.len() == 4);
    assert!(after_mm4);
    let mut views = String::new();
    let mut show = |title: &str, sim: &Simulation| {
        views += &format!("---- {title}: A ----\n{}", render_isakmp_sa(&sim.a.isakmp_sa_rows()));
        views += &format!("---- {title}: B ----\n{}", render_isakmp_sa(&sim.b.isakmp_sa_rows()));
    };
    show("after MM4", &sim);
    sim.run_for(Duration::from_secs(5));
    show("established", &sim);
    sim.initiate(Side::A, "peer");
    sim.run_for(Duration::from_secs(5));
    show("a second SA", &sim);
    insta::assert_snapshot!(views);
}

/// The machine form: every trace event as JSON, with its time, conn-id,
/// peer and a tagged event.
#[test]
fn trace_events_as_json() {
    let sim = settled(Peers::same(ExchangeMode::Aggressive, "aes256-sha1-modp1024"));
    let events: Vec<&TraceEvent> = sim.traces(Side::B);
    let json = serde_json::to_value(&events).unwrap();
    let array = json.as_array().unwrap();
    assert_eq!(array.len(), events.len());
    for value in array {
        for field in ["at", "conn_id", "peer", "event"] {
            assert!(value.get(field).is_some(), "{field} in {value}");
        }
    }
    insta::assert_json_snapshot!(json);
}

/// `debug crypto condition peer ipv4 X` on a responder talking to three
/// initiators at once.
mod per_peer_filter {
    use super::*;

    fn initiator(address: IpAddr, seed: u64) -> Endpoint {
        let connection = connection(address, b(), ExchangeMode::Main, proposals(&["aes128-sha256-modp2048"]));
        Endpoint::new(config(connection, PSK), seed)
    }

    /// B accepts any peer with one key.
    fn responder() -> Endpoint {
        let connection = Connection::new("any", b(), None, proposals(&["aes128-sha256-modp2048"]));
        let keyring = Keyring::default().with(PeerSelector::Any, PSK);
        Endpoint::new(EndpointConfig::new(Policy { connections: vec![connection], keyring }), SEED_B)
    }

    /// Relays datagrams between the responder and the initiators until all
    /// is quiet; returns the responder's trace events.
    fn three_peers(peers: &[IpAddr]) -> Vec<TraceEvent> {
        let now = Timestamp::ZERO;
        let mut responder = responder();
        let mut initiators: Vec<Endpoint> =
            peers.iter().enumerate().map(|(i, address)| initiator(*address, 10 + i as u64)).collect();
        for endpoint in &mut initiators {
            endpoint.initiate(now, "peer").unwrap();
        }
        let mut events = Vec::new();
        loop {
            let mut moved = false;
            for endpoint in &mut initiators {
                while let Some(transmit) = endpoint.poll_transmit() {
                    responder.handle_datagram(now, transmit.remote, transmit.local, &transmit.payload);
                    moved = true;
                }
            }
            while let Some(transmit) = responder.poll_transmit() {
                let index = peers.iter().position(|p| *p == transmit.remote.ip()).unwrap();
                initiators[index].handle_datagram(now, transmit.remote, transmit.local, &transmit.payload);
                moved = true;
            }
            while let Some(event) = responder.poll_event() {
                if let Event::Trace(trace) = event {
                    events.push(trace);
                }
            }
            if !moved {
                break;
            }
        }
        assert_eq!(responder.established().len(), 3, "three SAs at the responder");
        events
    }

    #[test]
    fn only_the_chosen_peers_lines_are_shown() {
        let peers: [IpAddr; 3] = [a(), c(), "192.0.2.4".parse().unwrap()];
        let events = three_peers(&peers);
        let peer_of = |event: &TraceEvent| event.peer.map(|p: SocketAddr| p.ip());
        for peer in peers {
            assert!(events.iter().any(|e| peer_of(e) == Some(peer)), "{peer} traced");
        }
        let only_c = DebugCondition::peer(c());
        let shown: Vec<&TraceEvent> = events.iter().filter(|e| only_c.matches(e)).collect();
        assert!(!shown.is_empty());
        assert!(shown.iter().all(|e| peer_of(e) == Some(c())));
        assert_eq!(shown.len(), events.iter().filter(|e| peer_of(e) == Some(c())).count(), "none lost");
        let two = DebugCondition { peers: vec![a(), c()] };
        let shown_two = events.iter().filter(|e| two.matches(e)).count();
        let of_two = events.iter().filter(|e| matches!(peer_of(e), Some(p) if p == a() || p == c())).count();
        assert_eq!(shown_two, of_two);
        let reset = DebugCondition::default();
        assert_eq!(events.iter().filter(|e| reset.matches(e)).count(), events.len(), "reset shows all");
        insta::assert_snapshot!(ios::render_all(shown));
    }
}
