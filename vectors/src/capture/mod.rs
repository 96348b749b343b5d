//! Capture files (pcap, pcapng) read into frames, each dissected down to UDP or ESP.
//!
//! The dissector understands Ethernet (with VLAN tags), Linux cooked SLL/SLL2, raw IP and
//! loopback link layers; IPv4 with options and IPv6 with hop-by-hop, routing and destination
//! options headers. Fragments are reported, not reassembled. Nothing here panics on bad
//! input: malformed frames become [`Dissected::Other`] with the byte offset and the reason,
//! malformed files a [`CaptureError`] with the frame number and byte offset.

mod bytes;
mod dissect;
mod file;
mod ip;
mod link;
mod link_type;
mod reason;
mod transport;

use std::fmt;
use std::ops::Range;
use std::time::Duration;

pub use dissect::{Dissected, Dissection, EspPacket, IpFragment, UdpDatagram, dissect};
pub use file::{CaptureError, CaptureErrorKind, FrameReader, parse_frames, read_frames};
pub use link_type::LinkType;
pub use reason::{NotDissected, Reason};

/// One captured frame with its dissection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// 1-based position in the capture, as Wireshark numbers frames.
    pub number: u64,
    /// Capture time since the Unix epoch.
    pub timestamp: Duration,
    pub link_type: LinkType,
    /// Length on the wire; `data` may be shorter when the capture had a snap length.
    pub original_len: u32,
    /// The captured bytes, from the link-layer header on.
    pub data: Vec<u8>,
    /// The IP packet inside `data`, kept for ESP decapsulation and tunnel checks.
    pub ip_packet: Option<Range<usize>>,
    pub dissected: Dissected,
}

impl Frame {
    /// A frame from its captured bytes, dissected at once.
    pub fn new(
        number: u64,
        timestamp: Duration,
        link_type: LinkType,
        original_len: u32,
        data: Vec<u8>,
    ) -> Frame {
        let Dissection { ip_packet, dissected } = dissect(link_type, &data);
        Frame { number, timestamp, link_type, original_len, data, ip_packet, dissected }
    }

    /// The bytes of a range from this frame's dissection; empty if the range is not inside
    /// the frame (it always is for ranges the dissector produced).
    pub fn bytes(&self, range: &Range<usize>) -> &[u8] {
        self.data.get(range.clone()).unwrap_or_default()
    }

    /// The IP packet from its header to the end of its payload, without link-layer padding.
    pub fn ip_packet_bytes(&self) -> Option<&[u8]> {
        self.ip_packet.as_ref().map(|range| self.bytes(range))
    }

    pub fn udp(&self) -> Option<&UdpDatagram> {
        match &self.dissected {
            Dissected::Udp(udp) => Some(udp),
            _ => None,
        }
    }

    pub fn esp(&self) -> Option<&EspPacket> {
        match &self.dissected {
            Dissected::Esp(esp) => Some(esp),
            _ => None,
        }
    }

    /// The UDP payload of a UDP frame, or the ESP packet (from the SPI on) of an ESP frame.
    pub fn payload(&self) -> Option<&[u8]> {
        match &self.dissected {
            Dissected::Udp(udp) => Some(self.bytes(&udp.payload)),
            Dissected::Esp(esp) => Some(self.bytes(&esp.payload)),
            Dissected::IpFragment(_) | Dissected::Other(_) => None,
        }
    }
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "frame {}: {}", self.number, self.dissected)
    }
}

#[cfg(test)]
mod robustness;
#[cfg(test)]
mod test_packets;
