//! What rides on IP for IKE and ESP: UDP (RFC 768) and ESP (IP protocol 50, RFC 4303).

use std::net::SocketAddr;

use super::bytes::{be16, fixed};
use super::dissect::{EspPacket, UdpDatagram};
use super::ip::IpPacket;
use super::{NotDissected, Reason};

const UDP_HEADER: usize = 8;

/// `within_packet` is the frame cut at the end of the IP packet.
pub(super) fn udp(within_packet: &[u8], ip: &IpPacket) -> Result<UdpDatagram, NotDissected> {
    let offset = ip.payload.start;
    let header = fixed::<UDP_HEADER>(within_packet, offset, "UDP header")?;
    let udp_len = usize::from(be16([header[4], header[5]]));
    let room = ip.payload.len();
    if !(UDP_HEADER..=room).contains(&udp_len) {
        return Err(NotDissected {
            offset,
            reason: Reason::BadLength { field: "UDP length", value: udp_len, min: UDP_HEADER, max: room },
        });
    }
    Ok(UdpDatagram {
        src: SocketAddr::new(ip.src, be16([header[0], header[1]])),
        dst: SocketAddr::new(ip.dst, be16([header[2], header[3]])),
        payload: offset + UDP_HEADER..offset + udp_len,
    })
}

/// ESP needs no parsing here: SPI, sequence number and the rest are the consumer's business.
pub(super) fn esp(ip: &IpPacket) -> EspPacket {
    EspPacket { src: ip.src, dst: ip.dst, payload: ip.payload.clone() }
}
