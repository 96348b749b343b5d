//! IPv4 (RFC 791) and IPv6 (RFC 8200) headers: addresses, payload bounds, fragmentation.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use super::bytes::{be16, be32, fixed, span};
use super::link::IpVersion;
use super::{NotDissected, Reason};

/// An IP packet found in a frame. All ranges are frame offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct IpPacket {
    /// From the IP header to the end of the IP payload (link-layer padding excluded).
    pub packet: Range<usize>,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The upper-layer protocol, after any IPv6 extension headers.
    pub protocol: u8,
    pub payload: Range<usize>,
    pub fragment: Option<Fragmentation>,
}

/// Fragmentation fields of a packet that is only part of a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Fragmentation {
    pub identification: u32,
    /// Offset of this fragment's data in the reassembled payload, in bytes.
    pub offset: u16,
    pub more_fragments: bool,
}

const IPV4_MIN_HEADER: usize = 20;
const IPV4_MAX_HEADER: usize = 60;
const IPV6_HEADER: usize = 40;

const IPV6_HOP_BY_HOP: u8 = 0;
const IPV6_ROUTING: u8 = 43;
const IPV6_FRAGMENT: u8 = 44;
const IPV6_DESTINATION_OPTIONS: u8 = 60;

pub(super) fn ip_packet(frame: &[u8], offset: usize, version: IpVersion) -> Result<IpPacket, NotDissected> {
    let first = fixed::<1>(frame, offset, "IP header")?[0];
    let found = first >> 4;
    match (version, found) {
        (IpVersion::V4 | IpVersion::Either, 4) => ipv4(frame, offset),
        (IpVersion::V6 | IpVersion::Either, 6) => ipv6(frame, offset),
        _ => Err(NotDissected { offset, reason: Reason::UnexpectedIpVersion(found) }),
    }
}

fn ipv4(frame: &[u8], offset: usize) -> Result<IpPacket, NotDissected> {
    let header = fixed::<IPV4_MIN_HEADER>(frame, offset, "IPv4 header")?;
    let header_len = usize::from(header[0] & 0x0f) * 4;
    if header_len < IPV4_MIN_HEADER {
        return Err(bad_length(offset, "IPv4 header length", header_len, IPV4_MIN_HEADER, IPV4_MAX_HEADER));
    }
    let total_len = usize::from(be16([header[2], header[3]]));
    if total_len < header_len {
        return Err(bad_length(offset, "IPv4 total length", total_len, header_len, usize::from(u16::MAX)));
    }
    span(frame, offset, header_len, "IPv4 options")?;
    let packet = span(frame, offset, total_len, "IPv4 packet")?;

    let flags_and_offset = be16([header[6], header[7]]);
    let more_fragments = flags_and_offset & 0x2000 != 0;
    let fragment_offset = (flags_and_offset & 0x1fff) * 8;
    let fragment = (more_fragments || fragment_offset != 0).then(|| Fragmentation {
        identification: u32::from(be16([header[4], header[5]])),
        offset: fragment_offset,
        more_fragments,
    });

    let address = |at: usize| Ipv4Addr::new(header[at], header[at + 1], header[at + 2], header[at + 3]);
    Ok(IpPacket {
        payload: offset + header_len..packet.end,
        packet,
        src: IpAddr::V4(address(12)),
        dst: IpAddr::V4(address(16)),
        protocol: header[9],
        fragment,
    })
}

fn ipv6(frame: &[u8], offset: usize) -> Result<IpPacket, NotDissected> {
    let header = fixed::<IPV6_HEADER>(frame, offset, "IPv6 header")?;
    let payload_len = usize::from(be16([header[4], header[5]]));
    let packet = span(frame, offset, IPV6_HEADER + payload_len, "IPv6 packet")?;
    // Extension headers may not reach past the packet into link-layer padding.
    let within_packet = &frame[..packet.end];

    let mut next_header = header[6];
    let mut cursor = offset + IPV6_HEADER;
    let mut fragment = None;
    loop {
        match next_header {
            IPV6_HOP_BY_HOP | IPV6_ROUTING | IPV6_DESTINATION_OPTIONS => {
                let extension = fixed::<2>(within_packet, cursor, "IPv6 extension header")?;
                let extension_len = (usize::from(extension[1]) + 1) * 8;
                span(within_packet, cursor, extension_len, "IPv6 extension header")?;
                next_header = extension[0];
                cursor += extension_len;
            }
            IPV6_FRAGMENT => {
                let extension = fixed::<8>(within_packet, cursor, "IPv6 fragment header")?;
                let offset_and_flag = be16([extension[2], extension[3]]);
                fragment = Some(Fragmentation {
                    identification: be32([extension[4], extension[5], extension[6], extension[7]]),
                    offset: offset_and_flag & 0xfff8,
                    more_fragments: offset_and_flag & 1 != 0,
                });
                next_header = extension[0];
                cursor += 8;
                // The rest belongs to a datagram that only reassembly can follow.
                break;
            }
            _ => break,
        }
    }

    let address = |at: usize| {
        let mut octets = [0u8; 16];
        octets.copy_from_slice(&header[at..at + 16]);
        IpAddr::V6(Ipv6Addr::from(octets))
    };
    Ok(IpPacket {
        payload: cursor..packet.end,
        packet,
        src: address(8),
        dst: address(24),
        protocol: next_header,
        fragment,
    })
}

fn bad_length(offset: usize, field: &'static str, value: usize, min: usize, max: usize) -> NotDissected {
    NotDissected { offset, reason: Reason::BadLength { field, value, min, max } }
}
