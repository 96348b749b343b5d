//! Known answers from real peers: every ESP packet of vectors/real (strongSwan
//! and Libreswan over the Linux kernel, 74 packets on 18 SAs) goes through an
//! inbound SA keyed from keys.json and comes out as the very inner packet tshark
//! decrypted; the replay window takes each exactly once. An outbound SA with the
//! same keys, handed the packet's IV, encapsulates the inner packet back into
//! the captured bytes, and our answer to each tunnelled ping is the peer's.

mod crypto_support;

use std::collections::BTreeMap;

use crypto_support::{cases_with_keys, esp_packet, frame, names, provider};
use ikev1::crypto::{CryptoProvider, EspTransform};
use ikev1::esp::{
    EspError, EspSaConfig, InboundSa, Inner, OutboundSa, OuterAddresses, ReplayError, ReplayWindow, UdpPorts,
};
use ikev1::ip::{IcmpEcho, IpPacket, IpVersion, Ipv4Packet, answer_echo, protocol};
use ikev1::policy::IpsecMode;
use ikev1::time::Timestamp;
use rand_core::RngCore;
use vectors::Frame;
use vectors::keys::IpsecSa;
use vectors::tshark::{TsharkPacket, colon_hex};

/// One ESP packet of a capture with what tshark made of it.
struct Captured {
    frame: u64,
    outer: OuterAddresses,
    ports: UdpPorts,
    esp: Vec<u8>,
    sequence: u32,
    /// `esp.contained_data`: the inner packet tshark decrypted.
    inner: Vec<u8>,
}

/// One SA of a case with its packets in capture order.
struct CapturedSa {
    case: String,
    keys: IpsecSa,
    packets: Vec<Captured>,
}

fn captured_sas() -> Vec<CapturedSa> {
    let mut sas = Vec::new();
    for (case, key_file) in cases_with_keys() {
        if key_file.ipsec_sas.is_empty() {
            continue;
        }
        let frames = case.frames().expect("capture readable");
        let tshark = case.tshark().expect("tshark.json readable");
        for keys in key_file.ipsec_sas {
            let observed = keys.observed.as_ref().expect("frames of this SPI");
            let packets =
                observed.frames.iter().map(|&number| captured(frame(&frames, number), &tshark)).collect();
            sas.push(CapturedSa { case: case.name.clone(), keys, packets });
        }
    }
    sas
}

fn captured(frame: &Frame, tshark: &[TsharkPacket]) -> Captured {
    let udp = frame.udp().expect("ESP in UDP");
    let decoded =
        tshark.iter().find(|packet| packet.number == frame.number).expect("tshark decoded the frame");
    let field =
        |name| decoded.field("esp", name).unwrap_or_else(|| panic!("frame {}: no {name}", frame.number));
    Captured {
        frame: frame.number,
        outer: OuterAddresses { src: udp.src.ip(), dst: udp.dst.ip() },
        ports: UdpPorts { local: udp.dst.port(), peer: udp.src.port() },
        esp: esp_packet(frame).to_vec(),
        sequence: field("esp.sequence").parse().expect("decimal sequence number"),
        inner: colon_hex(field("esp.contained_data")).expect("tshark hex"),
    }
}

fn transform(sa: &CapturedSa) -> Box<dyn EspTransform> {
    let keys = &sa.keys;
    let suite = names::esp_suite(&keys.encryption, keys.encryption_key_bits, &keys.integrity);
    let (encryption_key, integrity_key) = (keys.encryption_key.as_deref(), keys.integrity_key.as_deref());
    provider()
        .esp_transform(suite, encryption_key.expect("encryption key"), integrity_key.expect("integrity key"))
        .expect("keys fit")
}

/// The receiving end of a captured SA, as the side that chose its SPI.
fn inbound(sa: &CapturedSa) -> InboundSa {
    let first = &sa.packets[0];
    let spi = sa.keys.spi_u32().expect("4-byte SPI");
    let config =
        EspSaConfig::new(spi, IpsecMode::Tunnel, first.outer.dst, first.outer.src).with_udp(first.ports);
    InboundSa::new(config, transform(sa), ReplayWindow::default(), Timestamp::ZERO)
}

#[test]
fn every_real_packet_decapsulates_into_what_tshark_saw_and_only_once() {
    let sas = captured_sas();
    let mut opened = 0;
    for sa in &sas {
        let mut inbound = inbound(sa);
        let mut inner = Vec::new();
        for packet in &sa.packets {
            let context = format!("{} frame {}", sa.case, packet.frame);
            let decapsulated =
                inbound.decapsulate(Timestamp::ZERO, packet.outer, &packet.esp, &mut inner).expect(&context);
            assert_eq!(decapsulated.sequence, packet.sequence, "{context}");
            assert_eq!(decapsulated.inner, Inner::Packet(IpVersion::V4), "{context}");
            assert_eq!(inner, packet.inner, "{context}: the inner packet tshark decrypted");
            let ipv4 = Ipv4Packet::parse(&inner).expect(&context);
            assert!(ipv4.checksum_valid, "{context}");
            assert_eq!(ipv4.header.protocol, protocol::ICMP, "{context}: pings");
            opened += 1;
        }
        // The same packets again: every one is a replay, counted, nothing delivered.
        for packet in &sa.packets {
            let again = inbound.decapsulate(Timestamp::ZERO, packet.outer, &packet.esp, &mut inner);
            let duplicate = EspError::Replay { sequence: packet.sequence, reason: ReplayError::Duplicate };
            assert_eq!(again, Err(duplicate), "{} frame {}", sa.case, packet.frame);
        }
        let counters = inbound.counters();
        let count = sa.packets.len() as u64;
        assert_eq!(
            (counters.pkts_verify, counters.pkts_decrypt, counters.pkts_decaps),
            (count, count, count)
        );
        assert_eq!((counters.replay_failures, counters.recv_errors), (count, count), "{}", sa.case);
        assert_eq!((counters.auth_failures, counters.padding_errors), (0, 0));
        assert_eq!(inbound.replay_window().highest(), sa.packets.last().unwrap().sequence);
    }
    assert_eq!((sas.len(), opened), (18, 74), "A-D, F, K, L: one SA pair each; G: two");
}

/// A generator that hands out the IV a real packet carried.
struct CapturedIv<'a>(&'a [u8]);

impl RngCore for CapturedIv<'_> {
    fn next_u32(&mut self) -> u32 {
        unreachable!("ESP only fills IVs")
    }

    fn next_u64(&mut self) -> u64 {
        unreachable!("ESP only fills IVs")
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.copy_from_slice(self.0);
    }
}

#[test]
fn encapsulation_rebuilds_every_real_packet_byte_for_byte() {
    let mut rebuilt = 0;
    for sa in captured_sas() {
        let first = &sa.packets[0];
        let spi = sa.keys.spi_u32().expect("4-byte SPI");
        let config = EspSaConfig::new(spi, IpsecMode::Tunnel, first.outer.src, first.outer.dst);
        let mut outbound = OutboundSa::new(config, transform(&sa), Timestamp::ZERO);
        let iv_len = transform(&sa).iv_len();
        let mut esp = Vec::new();
        for packet in &sa.packets {
            // The captures number from 1 without gaps, except where a packet was
            // not captured; catch up on those.
            let skipped = packet.sequence - outbound.status(Timestamp::ZERO).sequence - 1;
            outbound.skip_sequence_numbers(skipped);
            let mut iv = CapturedIv(&packet.esp[8..8 + iv_len]);
            let sent = outbound
                .encapsulate(Timestamp::ZERO, &mut iv, &packet.inner, &mut esp)
                .expect("encapsulates");
            assert_eq!(sent.sequence, packet.sequence);
            assert_eq!(
                esp, packet.esp,
                "{} frame {}: default padding, minimal length",
                sa.case, packet.frame
            );
            rebuilt += 1;
        }
    }
    assert_eq!(rebuilt, 74);
}

#[test]
fn our_answer_to_every_tunnelled_ping_is_the_peers() {
    // Every inner packet of every case, keyed by (case, ICMP identifier, sequence, type).
    let mut echoes = BTreeMap::new();
    for sa in captured_sas() {
        for packet in sa.packets {
            let ip = IpPacket::parse(&packet.inner).expect("IPv4");
            let echo = IcmpEcho::from_packet(&ip).expect("a ping");
            let key =
                (sa.case.clone(), echo.identifier, echo.sequence, echo.kind == ikev1::ip::EchoKind::Reply);
            echoes.insert(key, packet.inner.clone());
        }
    }
    let mut answered = 0;
    for ((case, identifier, sequence, is_reply), request) in &echoes {
        if *is_reply {
            continue;
        }
        let peer_reply = &echoes[&(case.clone(), *identifier, *sequence, true)];
        let ours = answer_echo(request).expect("an echo request");
        assert_eq!(&ours[20..], &peer_reply[20..], "{case} ping {identifier}/{sequence}: ICMP byte for byte");
        assert_eq!((&ours[12..16], &ours[16..20]), (&request[16..20], &request[12..16]), "addresses swapped");
        answered += 1;
    }
    assert_eq!(answered, 37, "every request had its reply in the capture");
}
