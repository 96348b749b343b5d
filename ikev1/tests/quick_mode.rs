//! Quick Mode between two reference engines in the simulation.

mod common;

use std::time::Duration;

use common::*;
use ikev1::Event;
use ikev1::policy::{DhGroup, ExchangeMode};
use ikev1::sim::{Side, Simulation};

fn with_children(
    mode: ExchangeMode,
    esp_a: &[&str],
    esp_b: &[&str],
    pfs_a: Option<DhGroup>,
    pfs_b: Option<DhGroup>,
) -> Simulation {
    let mut side_a = connection(a(), b(), mode, proposals(&["aes128-sha256-modp2048"]));
    side_a.children.push(child(Side::A, esp_a, pfs_a));
    let mut side_b = connection(b(), a(), mode, proposals(&["aes128-sha256-modp2048"]));
    side_b.children.push(child(Side::B, esp_b, pfs_b));
    Simulation::new(config(side_a, PSK), 11, config(side_b, PSK), 12)
}

fn ipsec_up(sim: &Simulation, side: Side) -> Vec<ikev1::child_sa::IpsecSaInfo> {
    sim.events(side)
        .iter()
        .filter_map(|event| match event {
            Event::IpsecSaEstablished(info) => Some(info.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn quick_mode_with_pfs_brings_up_a_pair_of_ipsec_sas() {
    let pfs = Some(DhGroup::Modp2048);
    let mut sim = with_children(ExchangeMode::Main, &["aes128-sha256"], &["aes128-sha256"], pfs, pfs);
    sim.initiate(Side::A, "peer");
    sim.run_for(Duration::from_secs(30));
    let a = ipsec_up(&sim, Side::A);
    let b = ipsec_up(&sim, Side::B);
    assert_eq!(
        a.len(),
        1,
        "{:?}",
        sim.events(Side::A).iter().filter(|e| !matches!(e, Event::Trace(_))).collect::<Vec<_>>()
    );
    assert_eq!(b.len(), 1);
    assert_eq!(a[0].inbound_spi, b[0].outbound_spi);
    assert_eq!(a[0].outbound_spi, b[0].inbound_spi);
    assert_eq!(a[0].pfs.as_deref(), Some("modp2048"));
    assert_eq!(sim.wire.len(), 9, "six Main Mode messages and three Quick Mode messages");
    println!("{}", ikev1::trace::ios::render_all(sim.traces(Side::B)));
}

fn inner_packets(sim: &Simulation, side: Side) -> Vec<Vec<u8>> {
    sim.events(side)
        .iter()
        .filter_map(|event| match event {
            Event::InnerPacket { packet, .. } => Some(packet.clone()),
            _ => None,
        })
        .collect()
}

fn echo_request(from: Side, sequence: u16) -> Vec<u8> {
    let echo = ikev1::ip::IcmpEcho {
        kind: ikev1::ip::EchoKind::Request,
        identifier: 0x1234,
        sequence,
        data: b"ikelab ping",
    };
    echo.to_packet(inner(from), inner(from.other())).expect("an IPv4 echo")
}

#[test]
fn pings_cross_the_tunnel_both_ways() {
    let pfs = Some(DhGroup::Modp2048);
    let mut sim = with_children(ExchangeMode::Main, &["aes128-sha256"], &["aes128-sha256"], pfs, pfs);
    sim.initiate(Side::A, "peer");
    sim.run_for(Duration::from_secs(5));
    for sequence in 1..=3 {
        let request = echo_request(Side::A, sequence);
        sim.act(Side::A, |endpoint, now| endpoint.send_inner(now, &request).expect("an IPsec SA covers it"));
        sim.run_for(Duration::from_millis(10));
    }
    let at_b = inner_packets(&sim, Side::B);
    assert_eq!(at_b.len(), 3, "B received the three requests");
    for request in &at_b {
        let reply = ikev1::ip::answer_echo(request).expect("an echo request");
        sim.act(Side::B, |endpoint, now| endpoint.send_inner(now, &reply).expect("B's SA covers the reply"));
    }
    sim.run_for(Duration::from_millis(10));
    let at_a = inner_packets(&sim, Side::A);
    assert_eq!(at_a.len(), 3, "A received the three replies");
    let esp: Vec<_> = sim.wire.iter().filter(|r| r.packet.protocol == ikev1::Protocol::Esp).collect();
    assert_eq!(esp.len(), 6, "raw ESP (protocol 50) without a NAT");
}

#[test]
fn both_sides_export_the_same_keys_for_wireshark() {
    let mut sim = with_children(ExchangeMode::Main, &["aes256gcm16"], &["aes256gcm16"], None, None);
    sim.initiate(Side::A, "peer");
    sim.run_for(Duration::from_secs(5));
    let (a, b) = (sim.a.key_material(), sim.b.key_material());
    assert_eq!(a.ike_sas.len(), 1);
    assert_eq!(a.ike_sas, b.ike_sas, "one ISAKMP SA, one Ka");
    assert_eq!(a.ike_sas[0].encryption_key.len(), 32, "AES-128 Ka in hex");
    assert_eq!(a.esp_sas.len(), 2);
    for direction in &a.esp_sas {
        let same =
            b.esp_sas.iter().find(|other| other.spi == direction.spi).expect("the peer has the same SPI");
        assert_eq!(same, direction, "identical keys, addresses and algorithms");
        assert_eq!(direction.encryption_key.len(), 2 * (32 + 4), "AES-256 key and GCM salt");
        assert_eq!(direction.integrity, None);
    }
}

#[test]
fn show_views_follow_the_session_through_its_life() {
    use ikev1::trace::show_ipsec::{SessionStatus, render_ipsec_sa, render_session};
    let mut sim = with_children(ExchangeMode::Main, &["aes128-sha256"], &["aes128-sha256"], None, None);
    let status = |sim: &mut Simulation| {
        let now = sim.now;
        sim.a.show_session(now)[0].status
    };
    assert_eq!(status(&mut sim), SessionStatus::Down);
    sim.initiate(Side::A, "peer");
    assert_eq!(status(&mut sim), SessionStatus::DownNegotiating);
    sim.run_for(Duration::from_secs(1));
    assert_eq!(status(&mut sim), SessionStatus::UpIdle, "SAs up, no traffic yet");
    let request = echo_request(Side::A, 1);
    sim.act(Side::A, |endpoint, now| endpoint.send_inner(now, &request).expect("SA up"));
    sim.run_for(Duration::from_millis(10));
    assert_eq!(status(&mut sim), SessionStatus::UpActive);
    let now = sim.now;
    let ipsec = render_ipsec_sa(&sim.a.show_ipsec_sa(now));
    assert!(ipsec.contains("#pkts encaps: 1, #pkts encrypt: 1, #pkts digest: 1"), "{ipsec}");
    assert!(ipsec.contains("transform: esp-aes esp-sha256-hmac ,"), "{ipsec}");
    let at_b = sim.b.show_ipsec_sa(now);
    assert_eq!(at_b[0].inbound.counters.pkts_decaps, 1);
    sim.run_for(Duration::from_secs(30));
    assert_eq!(status(&mut sim), SessionStatus::UpIdle, "quiet for 30 s");
    // B reboots and A keeps its IPsec SAs but loses the ISAKMP SA: UP-NO-IKE.
    sim.a.forget_ike_sas();
    assert_eq!(status(&mut sim), SessionStatus::UpNoIke);
    let now = sim.now;
    assert!(render_session(&sim.a.show_session(now)).contains("Session status: UP-NO-IKE"));
}
