//! Builders for hand-made frames in the dissector's tests.

use std::net::{Ipv4Addr, Ipv6Addr};

pub(crate) const SRC_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
pub(crate) const DST_V4: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 2);
pub(crate) const SRC_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
pub(crate) const DST_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);

pub(crate) const UDP: u8 = 17;
pub(crate) const ESP: u8 = 50;

/// An IPv4 packet from `SRC_V4` to `DST_V4`; fields are public so tests can break them.
pub(crate) struct Ipv4 {
    pub protocol: u8,
    pub options: Vec<u8>,
    pub identification: u16,
    pub flags_and_offset: u16,
    pub payload: Vec<u8>,
}

impl Ipv4 {
    pub fn new(protocol: u8, payload: Vec<u8>) -> Self {
        // Don't Fragment set, as the peers in the real captures send it.
        Ipv4 { protocol, options: Vec::new(), identification: 0x1234, flags_and_offset: 0x4000, payload }
    }

    pub fn bytes(&self) -> Vec<u8> {
        let header_len = 20 + self.options.len();
        let total_len = header_len + self.payload.len();
        let mut packet = vec![0x40 | (header_len / 4) as u8, 0];
        packet.extend_from_slice(&(total_len as u16).to_be_bytes());
        packet.extend_from_slice(&self.identification.to_be_bytes());
        packet.extend_from_slice(&self.flags_and_offset.to_be_bytes());
        packet.extend_from_slice(&[64, self.protocol, 0, 0]);
        packet.extend_from_slice(&SRC_V4.octets());
        packet.extend_from_slice(&DST_V4.octets());
        packet.extend_from_slice(&self.options);
        packet.extend_from_slice(&self.payload);
        packet
    }
}

/// An IPv6 packet from `SRC_V6` to `DST_V6`; `rest` holds extension headers and payload.
pub(crate) fn ipv6(next_header: u8, rest: &[u8]) -> Vec<u8> {
    let mut packet = vec![0x60, 0, 0, 0];
    packet.extend_from_slice(&(rest.len() as u16).to_be_bytes());
    packet.extend_from_slice(&[next_header, 64]);
    packet.extend_from_slice(&SRC_V6.octets());
    packet.extend_from_slice(&DST_V6.octets());
    packet.extend_from_slice(rest);
    packet
}

/// An IPv6 hop-by-hop, routing or destination options header of `8 * units` bytes.
pub(crate) fn ipv6_extension(next_header: u8, units: u8) -> Vec<u8> {
    let mut extension = vec![next_header, units - 1];
    extension.resize(usize::from(units) * 8, 0);
    extension
}

pub(crate) fn udp_datagram(src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
    let mut datagram = src_port.to_be_bytes().to_vec();
    datagram.extend_from_slice(&dst_port.to_be_bytes());
    datagram.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    datagram.extend_from_slice(&[0, 0]);
    datagram.extend_from_slice(payload);
    datagram
}

pub(crate) fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02];
    frame.extend_from_slice(&ethertype.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}
