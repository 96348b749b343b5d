//! The outer header of an ESP packet: what encapsulation says to build, and the
//! addresses decapsulation needs from the header a packet came in.

use std::net::IpAddr;

use serde::Serialize;

use super::UdpPorts;
use crate::ip::{IpError, Ipv4Header, Ipv6Header, protocol};

/// UDP source port, destination port, length, checksum (RFC 768).
const UDP_HEADER_LEN: usize = 8;

/// The header to send an ESP packet in, as values: a runner hands them to a raw
/// or UDP socket, a simulation or a pcap writer builds the bytes with
/// [`OuterHeader::write_packet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OuterHeader {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// ESP as the payload of UDP between these ports (RFC 3948 2.1), or, when
    /// `None`, directly as IP protocol 50.
    pub udp: Option<UdpPorts>,
    /// DSCP and ECN: copied from the inner header in tunnel mode (RFC 4301
    /// 5.1.2.1), kept from the original header in transport mode.
    pub traffic_class: u8,
    /// TTL or Hop Limit: constructed in tunnel mode (RFC 4301 5.1.2.1), kept from
    /// the original header in transport mode.
    pub hop_limit: u8,
}

impl OuterHeader {
    /// The TTL or Hop Limit of a tunnel-mode outer header (the Linux default).
    pub const DEFAULT_HOP_LIMIT: u8 = 64;

    /// The IP protocol of the outer header: UDP or ESP.
    pub fn protocol(&self) -> u8 {
        match self.udp {
            Some(_) => protocol::UDP,
            None => protocol::ESP,
        }
    }

    /// Appends the whole datagram to `out`: IP header, UDP header when
    /// encapsulated, then `esp`. The UDP checksum is zero over IPv4, as RFC 3948
    /// 2.1 says it SHOULD be, and computed over IPv6, where zero is not allowed
    /// (RFC 8200 8.1).
    pub fn write_packet(&self, esp: &[u8], out: &mut Vec<u8>) -> Result<(), IpError> {
        let udp_len = self.udp.map_or(0, |_| UDP_HEADER_LEN);
        let ip_payload_len = udp_len + esp.len();
        let ipv6 = match (self.src, self.dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                let header = Ipv4Header {
                    traffic_class: self.traffic_class,
                    ttl: self.hop_limit,
                    ..Ipv4Header::new(src, dst, self.protocol())
                };
                out.extend_from_slice(&header.to_bytes(ip_payload_len)?);
                None
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                let header = Ipv6Header {
                    traffic_class: self.traffic_class,
                    hop_limit: self.hop_limit,
                    ..Ipv6Header::new(src, dst, self.protocol())
                };
                out.extend_from_slice(&header.to_bytes(ip_payload_len)?);
                Some(header)
            }
            _ => return Err(IpError::MixedFamilies),
        };
        let Some(ports) = self.udp else {
            out.extend_from_slice(esp);
            return Ok(());
        };
        let udp_at = out.len();
        let length = u16::try_from(ip_payload_len).map_err(|_| IpError::TooLong { len: ip_payload_len })?;
        out.extend_from_slice(&ports.local.to_be_bytes());
        out.extend_from_slice(&ports.peer.to_be_bytes());
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(esp);
        if let Some(header) = ipv6 {
            let checksum = match header.pseudo_header(u32::from(length)).add(&out[udp_at..]).finish() {
                // RFC 768: a computed zero is sent as all ones.
                0 => 0xffff,
                checksum => checksum,
            };
            out[udp_at + 6..udp_at + 8].copy_from_slice(&checksum.to_be_bytes());
        }
        Ok(())
    }
}

/// The addresses of the header an ESP packet arrived in. Transport mode rebuilds
/// the IP header from them (RFC 4303 3.4.4.1 step 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OuterAddresses {
    pub src: IpAddr,
    pub dst: IpAddr,
}
