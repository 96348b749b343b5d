//! UDP port 4500 framing (RFC 3948 2, RFC 3947 4).
//!
//! Three things share port 4500 and are told apart by their first bytes:
//!
//! - a NAT keepalive: the single octet 0xFF (RFC 3948 2.3);
//! - IKE: a four-octet Non-ESP Marker of zeros, then the ISAKMP message (2.2);
//! - ESP: the SPI in the first four octets, never zero (2.1).

use crate::error::{Error, ErrorKind};

pub const NAT_T_PORT: u16 = 4500;
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];
pub const KEEPALIVE: [u8; 1] = [0xff];

/// A UDP payload received on port 4500, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Port4500<'a> {
    Keepalive,
    /// The ISAKMP message after the marker, and the marker's length (4).
    Ike(&'a [u8]),
    /// The ESP packet: SPI, sequence number, payload and trailer.
    Esp(&'a [u8]),
}

impl<'a> Port4500<'a> {
    /// Classifies a port-4500 payload (RFC 3948 2.1-2.3).
    pub fn classify(payload: &'a [u8]) -> Result<Self, Error> {
        if payload == KEEPALIVE {
            return Ok(Self::Keepalive);
        }
        if payload.len() < NON_ESP_MARKER.len() {
            return Err(Error::new(
                0,
                ErrorKind::Truncated {
                    field: "non-ESP marker or SPI",
                    needed: NON_ESP_MARKER.len(),
                    available: payload.len(),
                },
            ));
        }
        let (marker, rest) = payload.split_at(NON_ESP_MARKER.len());
        if marker == NON_ESP_MARKER {
            return Ok(Self::Ike(rest));
        }
        // An ESP header is SPI + sequence number (RFC 4303 2).
        if payload.len() < crate::esp::HEADER_LEN {
            return Err(Error::new(
                NON_ESP_MARKER.len(),
                ErrorKind::Truncated {
                    field: "ESP sequence number",
                    needed: crate::esp::HEADER_LEN,
                    available: payload.len(),
                },
            ));
        }
        Ok(Self::Esp(payload))
    }
}

/// The IKE port (RFC 2408 2.5.2 via IANA).
pub const IKE_PORT: u16 = 500;

/// What a UDP datagram between IKE peers carries, judged by its ports: 4500
/// on either end means RFC 3948 framing, otherwise 500 means a bare ISAKMP
/// message. A NAT may rewrite one end's port but not both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IkeDatagram<'a> {
    /// An ISAKMP message; `behind_marker` if it came after a Non-ESP Marker.
    Ike {
        message: &'a [u8],
        behind_marker: bool,
    },
    Esp(&'a [u8]),
    Keepalive,
}

impl<'a> IkeDatagram<'a> {
    /// `None` when neither port is an IKE port.
    pub fn classify(
        source_port: u16,
        destination_port: u16,
        payload: &'a [u8],
    ) -> Option<Result<Self, Error>> {
        let either = |port| source_port == port || destination_port == port;
        if either(NAT_T_PORT) {
            Some(Port4500::classify(payload).map(|kind| match kind {
                Port4500::Keepalive => Self::Keepalive,
                Port4500::Ike(message) => Self::Ike { message, behind_marker: true },
                Port4500::Esp(packet) => Self::Esp(packet),
            }))
        } else if either(IKE_PORT) {
            Some(Ok(Self::Ike { message: payload, behind_marker: false }))
        } else {
            None
        }
    }
}

/// Frames an ISAKMP message for port 4500: the Non-ESP Marker, then the message.
pub fn frame_ike(message: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(NON_ESP_MARKER.len() + message.len());
    framed.extend_from_slice(&NON_ESP_MARKER);
    framed.extend_from_slice(message);
    framed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_each_kind_of_port_4500_payload() {
        assert_eq!(Port4500::classify(&[0xff]).unwrap(), Port4500::Keepalive);
        assert_eq!(Port4500::classify(&[0, 0, 0, 0, 7]).unwrap(), Port4500::Ike(&[7]));
        let esp = [0, 0, 1, 0, 0, 0, 0, 1, 0xaa];
        assert_eq!(Port4500::classify(&esp).unwrap(), Port4500::Esp(&esp));
        assert_eq!(frame_ike(&[1, 2]), vec![0, 0, 0, 0, 1, 2]);
    }

    #[test]
    fn too_short_payloads_are_errors_not_panics() {
        assert!(Port4500::classify(&[]).is_err());
        assert!(Port4500::classify(&[0, 0]).is_err());
        assert!(Port4500::classify(&[0, 0, 1, 0, 0]).is_err());
    }
}
