//! ESP packet layout (RFC 4303 2). No cryptography here: the engine decrypts
//! and checks the ICV; this module only knows where the fields are.
//!
//! ```text
//! +---------------------------------------------------------------+
//! |               Security Parameters Index (SPI)                 |
//! +---------------------------------------------------------------+
//! |                      Sequence Number                          |
//! +---------------------------------------------------------------+
//! |      Payload Data (IV, if any, then the encrypted part)       |
//! ~               Padding (0-255 bytes) | Pad Length | Next Header |
//! +---------------------------------------------------------------+
//! |         Integrity Check Value-ICV   (variable)                |
//! +---------------------------------------------------------------+
//! ```

use crate::codec::Reader;
use crate::error::{Error, ErrorKind};

/// SPI and sequence number.
pub const HEADER_LEN: usize = 8;
/// Pad Length and Next Header.
pub const TRAILER_LEN: usize = 2;

/// The cleartext fields of an ESP packet and its protected remainder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EspPacket<'a> {
    pub spi: u32,
    pub sequence: u32,
    /// IV, ciphertext and ICV, undivided: their sizes depend on the SA.
    pub protected: &'a [u8],
}

impl<'a> EspPacket<'a> {
    pub fn parse(packet: &'a [u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(packet);
        let spi_at = reader.offset();
        let spi = reader.u32("SPI")?;
        // RFC 4303 2.1: SPI 0 is reserved for local use and never on the wire;
        // on port 4500 it would be the Non-ESP Marker.
        if spi == 0 {
            return Err(Error::new(spi_at, ErrorKind::InvalidValue { field: "SPI", value: 0 }));
        }
        let sequence = reader.u32("sequence number")?;
        Ok(Self { spi, sequence, protected: reader.rest() })
    }

    /// Splits the protected part into IV, ciphertext and ICV for an SA with
    /// these sizes.
    pub fn split(&self, iv_len: usize, icv_len: usize) -> Result<EspParts<'a>, Error> {
        let needed = iv_len + icv_len;
        if self.protected.len() < needed {
            return Err(Error::new(
                HEADER_LEN,
                ErrorKind::Truncated { field: "ESP IV and ICV", needed, available: self.protected.len() },
            ));
        }
        let (iv, rest) = self.protected.split_at(iv_len);
        let (ciphertext, icv) = rest.split_at(rest.len() - icv_len);
        Ok(EspParts { iv, ciphertext, icv })
    }
}

/// The protected part of an ESP packet, divided for a particular SA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EspParts<'a> {
    pub iv: &'a [u8],
    pub ciphertext: &'a [u8],
    pub icv: &'a [u8],
}

/// The decrypted payload of an ESP packet, split at its trailer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EspTrailer<'a> {
    pub payload: &'a [u8],
    pub padding: &'a [u8],
    pub next_header: u8,
}

impl<'a> EspTrailer<'a> {
    /// Splits `plaintext` = payload | padding | pad length | next header.
    pub fn split(plaintext: &'a [u8]) -> Result<Self, Error> {
        if plaintext.len() < TRAILER_LEN {
            return Err(Error::new(
                0,
                ErrorKind::Truncated {
                    field: "ESP trailer",
                    needed: TRAILER_LEN,
                    available: plaintext.len(),
                },
            ));
        }
        let pad_length = usize::from(plaintext[plaintext.len() - 2]);
        let next_header = plaintext[plaintext.len() - 1];
        let body_len = plaintext.len() - TRAILER_LEN;
        if pad_length > body_len {
            return Err(Error::new(
                plaintext.len() - 2,
                ErrorKind::Truncated { field: "ESP padding", needed: pad_length, available: body_len },
            ));
        }
        let (payload, padding) = plaintext[..body_len].split_at(body_len - pad_length);
        Ok(Self { payload, padding, next_header })
    }

    /// RFC 4303 2.4: the default padding is 1, 2, 3, ...; a receiver that
    /// uses the default SHOULD check it.
    pub fn has_default_padding(&self) -> bool {
        self.padding.iter().zip(1u8..).all(|(byte, expected)| *byte == expected)
    }
}

/// Appends the default padding (1, 2, 3, ...) and the trailer so that the
/// result plus `extra` is a multiple of `block` (RFC 4303 2.4).
pub fn append_trailer(buffer: &mut Vec<u8>, next_header: u8, block: usize, extra: usize) {
    let unpadded = buffer.len() + TRAILER_LEN + extra;
    let pad_length = unpadded.next_multiple_of(block.max(4)) - unpadded;
    buffer.extend((1..=pad_length).map(|byte| byte as u8));
    buffer.push(pad_length as u8);
    buffer.push(next_header);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailer_round_trips_with_default_padding() {
        let mut buffer = vec![0x45; 13];
        append_trailer(&mut buffer, 4, 16, 0);
        assert_eq!(buffer.len() % 16, 0);
        let trailer = EspTrailer::split(&buffer).unwrap();
        assert_eq!(trailer.payload, &[0x45; 13][..]);
        assert_eq!(trailer.next_header, 4);
        assert!(trailer.has_default_padding());
    }

    #[test]
    fn a_pad_length_beyond_the_payload_is_an_error() {
        assert!(EspTrailer::split(&[1, 2, 200, 4]).is_err());
        assert!(EspTrailer::split(&[4]).is_err());
    }

    #[test]
    fn header_and_split() {
        let packet = [0, 0, 0x10, 0, 0, 0, 0, 7, 1, 1, 2, 2, 2, 3];
        let esp = EspPacket::parse(&packet).unwrap();
        assert_eq!((esp.spi, esp.sequence), (0x1000, 7));
        let parts = esp.split(2, 1).unwrap();
        assert_eq!((parts.iv, parts.ciphertext, parts.icv), (&[1, 1][..], &[2, 2, 2][..], &[3][..]));
        assert!(esp.split(5, 5).is_err());
        assert!(EspPacket::parse(&[0; 8]).is_err());
    }
}
