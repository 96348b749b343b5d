//! Tunnel mode (RFC 4303 3.1.2): the whole inner IP packet is the payload.

use std::ops::Range;

use super::{EspError, Inner};
use crate::ip::{IpPacket, IpVersion, protocol};

/// Inbound: the IP packet Next Header announces, cut out of the decrypted
/// `payload` and moved to the front of `packet`. The inner header's own length
/// bounds it, which drops any TFC padding (RFC 4303 2.7).
pub(crate) fn extract(
    packet: &mut Vec<u8>,
    payload: Range<usize>,
    sequence: u32,
    next_header: u8,
) -> Result<Inner, EspError> {
    let version = match next_header {
        protocol::IPV4 => IpVersion::V4,
        protocol::IPV6 => IpVersion::V6,
        _ => return Err(EspError::UnknownNextHeader { sequence, next_header }),
    };
    let inner_len = IpPacket::parse_as(version, &packet[payload.clone()])?.total_len();
    packet.copy_within(payload.start..payload.start + inner_len, 0);
    packet.truncate(inner_len);
    Ok(Inner::Packet(version))
}
