//! From frame bytes to the UDP datagram or ESP packet inside, or why there is none.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;

use super::ip::{IpPacket, ip_packet};
use super::link::network_layer;
use super::transport::{esp, udp};
use super::{LinkType, NotDissected, Reason};

const IP_PROTOCOL_UDP: u8 = 17;
const IP_PROTOCOL_ESP: u8 = 50;

/// Everything the dissector found in one frame. Ranges are offsets into the frame bytes
/// and always lie inside them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dissection {
    /// The IP packet, from its header to the end of its payload, when an IP header was read.
    pub ip_packet: Option<Range<usize>>,
    pub dissected: Dissected,
}

/// What a frame carries, as far as IKE and ESP tooling cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dissected {
    Udp(UdpDatagram),
    Esp(EspPacket),
    /// Part of a fragmented IP datagram; it is not reassembled.
    IpFragment(IpFragment),
    Other(NotDissected),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UdpDatagram {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The UDP payload, bounded by the UDP length field.
    pub payload: Range<usize>,
}

/// An ESP packet carried directly in IP (protocol 50), not UDP-encapsulated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EspPacket {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// From the SPI to the end of the IP payload.
    pub payload: Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpFragment {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The protocol of the datagram this fragment belongs to.
    pub protocol: u8,
    /// IPv4's 16-bit identification or IPv6's 32-bit one.
    pub identification: u32,
    /// Where this fragment's data goes in the reassembled payload, in bytes.
    pub fragment_offset: u16,
    pub more_fragments: bool,
    /// This fragment's share of the datagram's payload.
    pub data: Range<usize>,
}

/// Dissects one frame of the given link type. Never panics; anything unexpected ends up
/// in [`Dissected::Other`] with the offset where it was found.
pub fn dissect(link_type: LinkType, frame: &[u8]) -> Dissection {
    let found_ip =
        network_layer(link_type, frame).and_then(|network| ip_packet(frame, network.offset, network.version));
    match found_ip {
        Ok(ip) => Dissection { ip_packet: Some(ip.packet.clone()), dissected: transport(frame, &ip) },
        Err(stop) => Dissection { ip_packet: None, dissected: Dissected::Other(stop) },
    }
}

fn transport(frame: &[u8], ip: &IpPacket) -> Dissected {
    if let Some(fragment) = ip.fragment {
        return Dissected::IpFragment(IpFragment {
            src: ip.src,
            dst: ip.dst,
            protocol: ip.protocol,
            identification: fragment.identification,
            fragment_offset: fragment.offset,
            more_fragments: fragment.more_fragments,
            data: ip.payload.clone(),
        });
    }
    // Upper layers must not read link-layer padding after the IP packet.
    let within_packet = &frame[..ip.packet.end];
    match ip.protocol {
        IP_PROTOCOL_UDP => udp(within_packet, ip).map_or_else(Dissected::Other, Dissected::Udp),
        IP_PROTOCOL_ESP => Dissected::Esp(esp(ip)),
        other => Dissected::Other(NotDissected {
            offset: ip.payload.start,
            reason: Reason::OtherIpProtocol(other),
        }),
    }
}

impl fmt::Display for Dissected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dissected::Udp(udp) => {
                write!(f, "UDP {} -> {}, {} bytes", udp.src, udp.dst, udp.payload.len())
            }
            Dissected::Esp(esp) => write!(f, "ESP {} -> {}, {} bytes", esp.src, esp.dst, esp.payload.len()),
            Dissected::IpFragment(fragment) => write!(
                f,
                "IP fragment {} -> {}, protocol {}, id 0x{:x}, offset {}{}",
                fragment.src,
                fragment.dst,
                fragment.protocol,
                fragment.identification,
                fragment.fragment_offset,
                if fragment.more_fragments { ", more follow" } else { "" }
            ),
            Dissected::Other(stop) => write!(f, "not dissected at {stop}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::super::test_packets::*;
    use super::*;

    const ETHERTYPE_IPV4: u16 = 0x0800;
    const ETHERTYPE_IPV6: u16 = 0x86dd;
    const ICMP: u8 = 1;

    fn udp_of(dissection: &Dissection) -> &UdpDatagram {
        match &dissection.dissected {
            Dissected::Udp(udp) => udp,
            other => panic!("expected UDP, got {other:?}"),
        }
    }

    fn stop_of(dissection: &Dissection) -> &NotDissected {
        match &dissection.dissected {
            Dissected::Other(stop) => stop,
            other => panic!("expected Other, got {other:?}"),
        }
    }

    #[test]
    fn ethernet_ipv4_udp_gives_endpoints_and_payload() {
        let packet = Ipv4::new(UDP, udp_datagram(500, 4500, b"isakmp")).bytes();
        let frame = ethernet(ETHERTYPE_IPV4, &packet);
        let dissection = dissect(LinkType::ETHERNET, &frame);
        let udp = udp_of(&dissection);
        assert_eq!(udp.src, SocketAddr::new(IpAddr::V4(SRC_V4), 500));
        assert_eq!(udp.dst, SocketAddr::new(IpAddr::V4(DST_V4), 4500));
        assert_eq!(&frame[udp.payload.clone()], b"isakmp");
        assert_eq!(dissection.ip_packet, Some(14..14 + packet.len()));
    }

    #[test]
    fn ethernet_padding_is_not_part_of_ip_or_udp() {
        let packet = Ipv4::new(UDP, udp_datagram(4500, 4500, &[0xff])).bytes();
        let mut frame = ethernet(ETHERTYPE_IPV4, &packet);
        frame.resize(60, 0xee);
        let dissection = dissect(LinkType::ETHERNET, &frame);
        assert_eq!(dissection.ip_packet, Some(14..14 + 29));
        assert_eq!(&frame[udp_of(&dissection).payload.clone()], &[0xff]);
    }

    #[test]
    fn ipv4_options_move_the_payload() {
        let mut packet = Ipv4::new(UDP, udp_datagram(500, 500, b"x"));
        packet.options = vec![1, 1, 1, 0]; // NOP NOP NOP EOL
        let frame = packet.bytes();
        let dissection = dissect(LinkType::RAW, &frame);
        assert_eq!(udp_of(&dissection).payload, 32..33);
    }

    #[test]
    fn esp_payload_starts_at_the_spi() {
        let esp_packet = [0x3d, 0xd0, 0x39, 0xa8, 0, 0, 0, 1, 0xaa, 0xbb];
        let frame = Ipv4::new(ESP, esp_packet.to_vec()).bytes();
        let dissection = dissect(LinkType::IPV4, &frame);
        let Dissected::Esp(esp) = &dissection.dissected else { panic!("expected ESP: {dissection:?}") };
        assert_eq!((esp.src, esp.dst), (IpAddr::V4(SRC_V4), IpAddr::V4(DST_V4)));
        assert_eq!(&frame[esp.payload.clone()], &esp_packet);
    }

    #[test]
    fn ipv4_first_and_later_fragments_are_reported_not_dissected() {
        let mut first = Ipv4::new(UDP, udp_datagram(500, 500, &[0; 16]));
        first.flags_and_offset = 0x2000; // MF
        let dissection = dissect(LinkType::RAW, &first.bytes());
        let Dissected::IpFragment(fragment) = &dissection.dissected else { panic!("{dissection:?}") };
        assert_eq!(
            (fragment.protocol, fragment.identification, fragment.fragment_offset, fragment.more_fragments),
            (UDP, 0x1234, 0, true)
        );
        assert_eq!(fragment.data, 20..44);

        let mut last = Ipv4::new(UDP, vec![0; 8]);
        last.flags_and_offset = 185; // offset 1480 bytes, MF clear
        let dissection = dissect(LinkType::RAW, &last.bytes());
        let Dissected::IpFragment(fragment) = &dissection.dissected else { panic!("{dissection:?}") };
        assert_eq!((fragment.fragment_offset, fragment.more_fragments), (1480, false));
    }

    #[test]
    fn ipv4_total_length_beyond_capture_is_truncation_at_the_ip_header() {
        let packet = Ipv4::new(UDP, udp_datagram(500, 500, &[0; 100])).bytes();
        let frame = ethernet(ETHERTYPE_IPV4, &packet[..60]);
        let dissection = dissect(LinkType::ETHERNET, &frame);
        assert_eq!(dissection.ip_packet, None);
        assert_eq!(
            stop_of(&dissection),
            &NotDissected {
                offset: 14,
                reason: Reason::Truncated { header: "IPv4 packet", needed: 128, available: 60 }
            }
        );
    }

    #[test]
    fn ipv4_header_length_below_five_words_is_bad() {
        let mut frame = Ipv4::new(UDP, udp_datagram(500, 500, b"")).bytes();
        frame[0] = 0x44;
        let dissection = dissect(LinkType::RAW, &frame);
        assert_eq!(
            stop_of(&dissection).reason,
            Reason::BadLength { field: "IPv4 header length", value: 16, min: 20, max: 60 }
        );
    }

    #[test]
    fn udp_length_must_fit_the_ip_payload() {
        let mut datagram = udp_datagram(500, 500, b"abc");
        datagram[5] = 12; // claims 12 bytes, IP carries 11
        let frame = Ipv4::new(UDP, datagram).bytes();
        let dissection = dissect(LinkType::RAW, &frame);
        assert_eq!(dissection.ip_packet, Some(0..31));
        assert_eq!(
            stop_of(&dissection),
            &NotDissected {
                offset: 20,
                reason: Reason::BadLength { field: "UDP length", value: 12, min: 8, max: 11 }
            }
        );

        let mut datagram = udp_datagram(500, 500, b"abc");
        datagram[5] = 7;
        let dissection = dissect(LinkType::RAW, &Ipv4::new(UDP, datagram).bytes());
        assert!(matches!(stop_of(&dissection).reason, Reason::BadLength { value: 7, .. }));
    }

    #[test]
    fn udp_length_shorter_than_ip_payload_bounds_the_payload() {
        let mut datagram = udp_datagram(4500, 4500, &[1, 2, 3, 4]);
        datagram[5] = 10;
        let dissection = dissect(LinkType::RAW, &Ipv4::new(UDP, datagram).bytes());
        assert_eq!(udp_of(&dissection).payload, 28..30);
    }

    #[test]
    fn ipv6_skips_hop_by_hop_and_destination_options() {
        let mut rest = ipv6_extension(60, 1); // hop-by-hop -> destination options
        rest.extend(ipv6_extension(UDP, 2)); // destination options -> UDP
        rest.extend(udp_datagram(500, 500, b"v6"));
        let frame = ethernet(ETHERTYPE_IPV6, &ipv6(0, &rest));
        let dissection = dissect(LinkType::ETHERNET, &frame);
        let udp = udp_of(&dissection);
        assert_eq!(udp.src.ip(), IpAddr::V6(SRC_V6));
        assert_eq!(udp.payload, 14 + 40 + 24 + 8..frame.len());
        assert_eq!(&frame[udp.payload.clone()], b"v6");
    }

    #[test]
    fn ipv6_fragment_header_gives_a_fragment() {
        let mut rest = vec![UDP, 0, 0x05, 0xc9, 0xde, 0xad, 0xbe, 0xef]; // offset 185 units, M set
        rest.extend_from_slice(&[0; 16]);
        let frame = ipv6(43, &[ipv6_extension(44, 1), rest].concat());
        let dissection = dissect(LinkType::IPV6, &frame);
        let Dissected::IpFragment(fragment) = &dissection.dissected else { panic!("{dissection:?}") };
        assert_eq!(
            (fragment.protocol, fragment.identification, fragment.fragment_offset, fragment.more_fragments),
            (UDP, 0xdead_beef, 1480, true)
        );
        assert_eq!(fragment.data, 56..72);
    }

    #[test]
    fn ipv6_extension_header_may_not_run_past_the_packet() {
        let mut extension = ipv6_extension(UDP, 1);
        extension[1] = 3; // claims 32 bytes, the packet has 8
        let mut frame = ipv6(0, &extension);
        frame.extend_from_slice(&[0; 32]); // trailing bytes outside the IP packet
        let dissection = dissect(LinkType::RAW, &frame);
        assert_eq!(
            stop_of(&dissection),
            &NotDissected {
                offset: 40,
                reason: Reason::Truncated { header: "IPv6 extension header", needed: 32, available: 8 }
            }
        );
    }

    #[test]
    fn other_ip_protocols_are_named() {
        let frame = Ipv4::new(ICMP, vec![8, 0, 0, 0]).bytes();
        let dissection = dissect(LinkType::RAW, &frame);
        assert_eq!(dissection.ip_packet, Some(0..24));
        assert_eq!(stop_of(&dissection), &NotDissected { offset: 20, reason: Reason::OtherIpProtocol(ICMP) });
    }

    #[test]
    fn ip_version_must_match_the_link_type() {
        let frame = ipv6(UDP, &udp_datagram(500, 500, b""));
        assert!(matches!(dissect(LinkType::RAW, &frame).dissected, Dissected::Udp(_)));
        assert_eq!(
            stop_of(&dissect(LinkType::IPV4, &frame)),
            &NotDissected { offset: 0, reason: Reason::UnexpectedIpVersion(6) }
        );
    }

    #[test]
    fn display_names_the_frame_offset_and_reason() {
        let frame = crate::capture::Frame::new(7, Default::default(), LinkType::ETHERNET, 13, vec![0; 13]);
        assert_eq!(
            frame.to_string(),
            "frame 7: not dissected at byte 0: truncated Ethernet header: 14 bytes needed, 13 left"
        );
        let frame = crate::capture::Frame::new(8, Default::default(), LinkType::RAW, 13, vec![0x45; 13]);
        assert_eq!(
            frame.to_string(),
            "frame 8: not dissected at byte 0: truncated IPv4 header: 20 bytes needed, 13 left"
        );
    }
}
