//! UDP encapsulation (RFC 3948): the outer datagram an encapsulated packet goes
//! in, and transport mode behind a NAT, whose TCP and UDP checksums are
//! recomputed for the addresses the packet arrives with (RFC 3948 3.1.2).

mod esp_support;

use std::net::{IpAddr, Ipv4Addr};

use esp_support::*;
use ikev1::esp::{OuterAddresses, OuterHeader, UdpPorts};
use ikev1::ip::{IpError, IpPacket, IpVersion, Ipv4Header, Ipv4Packet, Ipv6Header, protocol};
use ikev1::policy::IpsecMode;
use ikev1::time::Timestamp;
use isakmp::natt::{IkeDatagram, Port4500};

const NOW: Timestamp = Timestamp::ZERO;

#[test]
fn an_encapsulated_packet_is_the_whole_udp_payload_on_port_4500() {
    let ports = UdpPorts { local: 4500, peer: 40_123 };
    let config = config(IpsecMode::Tunnel, IpVersion::V4).with_udp(ports);
    let (mut outbound, mut inbound) = pair(aes128_sha256(), config);
    let inner = inner_packet(IpVersion::V4, protocol::ICMP, 56);
    let mut esp = Vec::new();
    let sent = outbound.encapsulate(NOW, &mut rng(), &inner, &mut esp).unwrap();
    assert_eq!((sent.outer.protocol(), sent.outer.udp), (protocol::UDP, Some(ports)));

    let mut datagram = Vec::new();
    sent.outer.write_packet(&esp, &mut datagram).unwrap();
    let ip = Ipv4Packet::parse(&datagram).unwrap();
    assert!(ip.checksum_valid);
    assert_eq!((ip.header.protocol, ip.header.traffic_class, ip.header.ttl), (17, 0x28, 64));
    let udp = ip.payload;
    assert_eq!(
        &udp[..8],
        [
            &4500u16.to_be_bytes()[..],
            &40_123u16.to_be_bytes(),
            &(8 + esp.len() as u16).to_be_bytes(),
            &[0, 0]
        ]
        .concat(),
        "IPv4 UDP checksum zero (RFC 3948 2.1)"
    );
    // No Non-ESP Marker: the port-4500 demultiplexer sees ESP by its non-zero SPI.
    assert_eq!(Port4500::classify(&udp[8..]), Ok(Port4500::Esp(&esp[..])));
    assert_eq!(IkeDatagram::classify(4500, 40_123, &udp[8..]), Some(Ok(IkeDatagram::Esp(&esp[..]))));

    let mut out = Vec::new();
    inbound
        .decapsulate(NOW, OuterAddresses { src: config.local, dst: config.peer }, &udp[8..], &mut out)
        .unwrap();
    assert_eq!(out, inner);
}

#[test]
fn a_peer_that_a_nat_moved_is_followed() {
    let config = nat_t_config(IpsecMode::Tunnel, IpVersion::V4);
    let (mut outbound, _) = pair(aes128_gcm(), config);
    let moved = UdpPorts { local: 4500, peer: 61_001 };
    let public: IpAddr = Ipv4Addr::new(203, 0, 113, 9).into();
    outbound.update_peer(public, Some(moved));
    let sent =
        outbound.encapsulate(NOW, &mut rng(), &inner_packet(IpVersion::V4, 1, 8), &mut Vec::new()).unwrap();
    assert_eq!((sent.outer.src, sent.outer.dst, sent.outer.udp), (config.local, public, Some(moved)));
    assert_eq!(outbound.config().peer, public);
}

#[test]
fn plain_esp_and_ipv6_datagrams() {
    let esp = [0x11, 0x22, 0x33, 0x44, 0, 0, 0, 1, 0xaa, 0xbb];
    let plain = OuterHeader { src: local_v4(), dst: peer_v4(), udp: None, traffic_class: 0, hop_limit: 64 };
    let mut datagram = Vec::new();
    plain.write_packet(&esp, &mut datagram).unwrap();
    let ip = IpPacket::parse(&datagram).unwrap();
    assert_eq!((ip.protocol(), ip.payload()), (protocol::ESP, &esp[..]));

    let ipv6 = OuterHeader {
        src: local_v6(),
        dst: peer_v6(),
        udp: Some(UdpPorts::NAT_T),
        traffic_class: 0xb8,
        hop_limit: 9,
    };
    datagram.clear();
    ipv6.write_packet(&esp, &mut datagram).unwrap();
    let ip = IpPacket::parse(&datagram).unwrap();
    assert_eq!((ip.protocol(), ip.traffic_class(), ip.hop_limit()), (protocol::UDP, 0xb8, 9));
    let IpPacket::V6(v6) = ip else { panic!("IPv6") };
    let sum = v6.header.pseudo_header(ip.payload().len() as u32).add(ip.payload()).finish();
    assert_eq!(sum, 0, "IPv6 UDP checksum computed and verifying (RFC 8200 8.1)");
    assert_ne!(&ip.payload()[6..8], &[0, 0]);

    let mixed = OuterHeader { dst: peer_v6(), ..plain };
    assert_eq!(mixed.write_packet(&esp, &mut datagram), Err(IpError::MixedFamilies));
}

/// A UDP or TCP segment with its checksum computed over `src` and `dst`.
fn segment(protocol: u8, src: Ipv4Addr, dst: Ipv4Addr, payload_len: usize) -> Vec<u8> {
    let checksum_at = if protocol == protocol::TCP { 16 } else { 6 };
    let header_len = if protocol == protocol::TCP { 20 } else { 8 };
    let mut segment = vec![0; header_len];
    segment[..4].copy_from_slice(&[0x13, 0x88, 0x00, 0x35]); // ports 5000 -> 53
    if protocol == protocol::UDP {
        segment[4..6].copy_from_slice(&((header_len + payload_len) as u16).to_be_bytes());
    } else {
        segment[12] = 5 << 4; // data offset
    }
    segment.extend(pattern(payload_len));
    let checksum =
        Ipv4Header::new(src, dst, protocol).pseudo_header(segment.len() as u16).add(&segment).finish();
    segment[checksum_at..checksum_at + 2].copy_from_slice(&checksum.to_be_bytes());
    segment
}

fn verifies(packet: &[u8]) -> bool {
    let IpPacket::V4(ip) = IpPacket::parse(packet).unwrap() else { panic!("IPv4") };
    ip.header.pseudo_header(ip.payload.len() as u16).add(ip.payload).finish() == 0
}

#[test]
fn transport_mode_behind_a_nat_fixes_tcp_and_udp_checksums() {
    // The sender, 10.0.0.1 behind a NAT, computed its checksums over its private
    // address; the packet arrives from the NAT's public address.
    let private = Ipv4Addr::new(10, 0, 0, 1);
    let (public, ours) = (Ipv4Addr::new(203, 0, 113, 5), LOCAL_V4);
    let received = OuterAddresses { src: IpAddr::V4(public), dst: IpAddr::V4(ours) };
    let sender = ikev1::esp::EspSaConfig::new(SPI, IpsecMode::Transport, private.into(), ours.into());
    for udp_encapsulated in [true, false] {
        let config = if udp_encapsulated { sender.with_udp(UdpPorts::NAT_T) } else { sender };
        let (mut outbound, mut inbound) = pair(aes128_gcm(), config);
        for protocol in [protocol::UDP, protocol::TCP] {
            let segment = segment(protocol, private, ours, 33);
            let mut packet =
                Ipv4Header::new(private, ours, protocol).to_bytes(segment.len()).unwrap().to_vec();
            packet.extend_from_slice(&segment);
            let (mut esp, mut out) = (Vec::new(), Vec::new());
            outbound.encapsulate(NOW, &mut rng(), &packet, &mut esp).unwrap();
            inbound.decapsulate(NOW, received, &esp, &mut out).unwrap();
            let rebuilt = IpPacket::parse(&out).unwrap();
            assert_eq!(
                (rebuilt.src(), rebuilt.dst(), rebuilt.protocol()),
                (received.src, received.dst, protocol)
            );
            assert!(Ipv4Packet::parse(&out).unwrap().checksum_valid);
            // Fixed only when UDP encapsulation says a NAT may be in between.
            assert_eq!(verifies(&out), udp_encapsulated, "protocol {protocol}, NAT-T {udp_encapsulated}");
            assert_eq!(rebuilt.payload().len(), segment.len());
            let checksum_at = if protocol == protocol::TCP { 16 } else { 6 };
            assert_eq!(
                rebuilt.payload()[checksum_at + 2..],
                segment[checksum_at + 2..],
                "only the checksum changes"
            );
        }
    }
}

#[test]
fn a_udp_datagram_without_checksum_keeps_none() {
    let private = Ipv4Addr::new(10, 0, 0, 1);
    let config = ikev1::esp::EspSaConfig::new(SPI, IpsecMode::Transport, private.into(), peer_v4())
        .with_udp(UdpPorts::NAT_T);
    let (mut outbound, mut inbound) = pair(aes128_sha256(), config);
    let mut segment = segment(protocol::UDP, private, PEER_V4, 5);
    segment[6..8].fill(0);
    let mut packet =
        Ipv4Header::new(private, PEER_V4, protocol::UDP).to_bytes(segment.len()).unwrap().to_vec();
    packet.extend_from_slice(&segment);
    let (mut esp, mut out) = (Vec::new(), Vec::new());
    outbound.encapsulate(NOW, &mut rng(), &packet, &mut esp).unwrap();
    let received = OuterAddresses { src: local_v4(), dst: peer_v4() };
    inbound.decapsulate(NOW, received, &esp, &mut out).unwrap();
    assert_eq!(&out[20..], &segment[..], "RFC 768: zero means no checksum");

    // A rebuilt IPv6 transport packet: fresh header, same payload.
    let v6_config = nat_t_config(IpsecMode::Transport, IpVersion::V6);
    let (mut outbound, mut inbound) = pair(aes128_sha256(), v6_config);
    let packet = ip_packet(IpVersion::V6, protocol::ICMPV6, &[128, 0, 0, 0, 0, 1, 0, 1]);
    outbound.encapsulate(NOW, &mut rng(), &packet, &mut esp).unwrap();
    inbound.decapsulate(NOW, as_received(&v6_config), &esp, &mut out).unwrap();
    let expected_header = Ipv6Header::new(LOCAL_V6, PEER_V6, protocol::ICMPV6);
    assert_eq!(&out[..40], &expected_header.to_bytes(8).unwrap());
    assert_eq!(&out[40..], &packet[40..]);
}
