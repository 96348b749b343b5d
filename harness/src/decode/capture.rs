//! What a capture holds for IKE tooling: ISAKMP messages (port 500 or behind
//! the Non-ESP Marker on 4500) and ESP packets (UDP-encapsulated on 4500, or
//! IP protocol 50). Frames that are neither are skipped; a frame on an IKE port
//! that fits none of the framings is reported with its number.

use std::io;
use std::net::{IpAddr, SocketAddr};

use isakmp::Message;
use isakmp::natt::IkeDatagram;
use vectors::capture::{Frame, FrameReader};

/// One ISAKMP datagram found in a capture, decoded or not.
#[derive(Clone, Debug)]
pub struct Found {
    pub frame: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The message came after a Non-ESP Marker on port 4500 (RFC 3948 2.2).
    pub behind_marker: bool,
    pub message: Result<Message, isakmp::Error>,
    /// Offset of the ISAKMP message in the UDP payload, to report absolute offsets.
    pub offset_in_payload: usize,
    pub bytes: Vec<u8>,
}

impl Found {
    /// The error with its offset counted from the start of the UDP payload.
    pub fn absolute(&self, err: &isakmp::Error) -> isakmp::Error {
        let mut shifted = err.clone();
        shifted.offset += self.offset_in_payload;
        shifted
    }
}

/// One ESP packet, from its SPI to the end of the ICV.
#[derive(Clone, Debug)]
pub struct FoundEsp {
    pub frame: u64,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// UDP source and destination ports when UDP-encapsulated (RFC 3948).
    pub udp_ports: Option<(u16, u16)>,
    pub bytes: Vec<u8>,
}

pub enum CaptureItem {
    Isakmp(Found),
    Esp(FoundEsp),
}

/// Calls `visit` with every item of the capture in frame order. Returns whether
/// the file was damaged (decoding stopped at the damage, which was reported).
pub fn walk(capture: &[u8], mut visit: impl FnMut(CaptureItem) -> io::Result<()>) -> io::Result<bool> {
    let reader = FrameReader::new(capture)
        .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err.to_string()))?;
    for frame in reader {
        let frame = match frame {
            Ok(frame) => frame,
            Err(err) => {
                // The file itself is damaged past this point: say so and stop.
                eprintln!("ikelab decode: {err}");
                return Ok(true);
            }
        };
        if let Some(item) = item_of(&frame) {
            visit(item)?;
        }
    }
    Ok(false)
}

fn item_of(frame: &Frame) -> Option<CaptureItem> {
    if let Some(esp) = frame.esp() {
        let bytes = frame.payload()?.to_vec();
        return Some(CaptureItem::Esp(FoundEsp {
            frame: frame.number,
            src: esp.src,
            dst: esp.dst,
            udp_ports: None,
            bytes,
        }));
    }
    let (udp, payload) = (frame.udp()?, frame.payload()?);
    match IkeDatagram::classify(udp.src.port(), udp.dst.port(), payload)? {
        Ok(IkeDatagram::Ike { message, behind_marker }) => Some(CaptureItem::Isakmp(Found {
            frame: frame.number,
            src: udp.src,
            dst: udp.dst,
            behind_marker,
            message: Message::parse(message),
            offset_in_payload: payload.len() - message.len(),
            bytes: message.to_vec(),
        })),
        Ok(IkeDatagram::Esp(packet)) => Some(CaptureItem::Esp(FoundEsp {
            frame: frame.number,
            src: udp.src.ip(),
            dst: udp.dst.ip(),
            udp_ports: Some((udp.src.port(), udp.dst.port())),
            bytes: packet.to_vec(),
        })),
        Ok(IkeDatagram::Keepalive) => None,
        Err(err) => {
            eprintln!("frame {}: byte {}: not IKE, ESP or a keepalive: {}", frame.number, err.offset, err);
            None
        }
    }
}
