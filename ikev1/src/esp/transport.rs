//! Transport mode (RFC 4303 3.1.1): the IP header stays outside, its payload
//! goes inside with Next Header = its protocol. Outbound takes the header off;
//! inbound builds one from the outer addresses.

use std::net::IpAddr;
use std::ops::Range;

use super::{EspError, Inner, OuterAddresses};
use crate::ip::{Checksum, IpError, IpPacket, IpVersion, Ipv4Header, Ipv6Header, protocol};

/// Where TCP and UDP keep their checksums (RFC 793 3.1, RFC 768).
const TCP_CHECKSUM_AT: usize = 16;
const UDP_CHECKSUM_AT: usize = 6;

/// Transport mode applies to whole datagrams only (RFC 4303 3.3.4). An IPv6
/// fragment is recognised by a Fragment header right after the fixed header.
pub(crate) fn is_fragment(packet: &IpPacket<'_>) -> bool {
    match packet {
        IpPacket::V4(ipv4) => ipv4.header.is_fragment(),
        IpPacket::V6(ipv6) => ipv6.header.next_header == protocol::IPV6_FRAGMENT,
    }
}

/// Inbound: puts a fresh IP header from `outer`, carrying `next_header`, in
/// front of the decrypted `payload`, so that `packet` holds the datagram the
/// sender protected (RFC 4303 3.4.4.1 step 5). With UDP encapsulation a NAT may
/// have changed the addresses that TCP and UDP checksums cover, so those are
/// computed again over the new header (RFC 3948 3.1.2, second option).
pub(crate) fn rebuild(
    packet: &mut Vec<u8>,
    payload: Range<usize>,
    next_header: u8,
    outer: OuterAddresses,
    behind_nat: bool,
) -> Result<Inner, EspError> {
    let payload_len = payload.len();
    // Both headers carry the payload length in 16 bits.
    let upper_layer_len = u16::try_from(payload_len).map_err(|_| IpError::TooLong { len: payload_len })?;
    let (version, pseudo_header) = match (outer.src, outer.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let header = Ipv4Header::new(src, dst, next_header);
            place_behind(packet, &header.to_bytes(payload_len)?, payload);
            (IpVersion::V4, header.pseudo_header(upper_layer_len))
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            let header = Ipv6Header::new(src, dst, next_header);
            place_behind(packet, &header.to_bytes(payload_len)?, payload);
            (IpVersion::V6, header.pseudo_header(u32::from(upper_layer_len)))
        }
        _ => return Err(IpError::MixedFamilies.into()),
    };
    if behind_nat {
        let header_len = packet.len() - payload_len;
        recompute_checksum(&mut packet[header_len..], next_header, version, pseudo_header);
    }
    Ok(Inner::Packet(version))
}

/// Makes `packet` = `header` | `packet[payload]`, moving the payload in place.
fn place_behind(packet: &mut Vec<u8>, header: &[u8], payload: Range<usize>) {
    let total_len = header.len() + payload.len();
    if packet.len() < total_len {
        packet.resize(total_len, 0);
    }
    packet.copy_within(payload, header.len());
    packet[..header.len()].copy_from_slice(header);
    packet.truncate(total_len);
}

/// Sets the TCP or UDP checksum of `segment` for the pseudo header it now
/// travels under. Other protocols, and segments too short to hold a checksum,
/// are left alone: they are the receiving stack's business.
fn recompute_checksum(segment: &mut [u8], protocol: u8, version: IpVersion, mut pseudo_header: Checksum) {
    let at = match protocol {
        protocol::TCP => TCP_CHECKSUM_AT,
        protocol::UDP => UDP_CHECKSUM_AT,
        _ => return,
    };
    let Some(field) = segment.get(at..at + 2) else { return };
    // RFC 768: over IPv4, a zero UDP checksum means none was computed.
    if protocol == protocol::UDP && version == IpVersion::V4 && field == [0, 0] {
        return;
    }
    segment[at..at + 2].fill(0);
    let checksum = match (pseudo_header.add(segment).finish(), protocol) {
        // RFC 768: a computed zero is sent as all ones.
        (0, protocol::UDP) => 0xffff,
        (checksum, _) => checksum,
    };
    segment[at..at + 2].copy_from_slice(&checksum.to_be_bytes());
}
