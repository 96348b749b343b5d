//! Decapsulating the ESP packets of a capture with the derived IPsec SAs:
//! authenticate, decrypt (RFC 4303 3.4.4), strip the trailer (RFC 4303 2.4) and
//! read the inner packet of tunnel mode. ESP-in-UDP (RFC 3948) and bare
//! protocol 50 packets are the same from the SPI on.

use std::fmt;

use ikev1::crypto::{CryptoError, CryptoProvider, EspTransform};
use isakmp::esp::{EspPacket, EspTrailer, HEADER_LEN};

use super::capture::FoundEsp;
use super::inner_packet::{InnerPacket, InnerPacketError};
use super::ipsec_keys::IpsecSaKeys;

/// A keyed transform per SPI.
pub struct EspSas {
    sas: Vec<(u32, Box<dyn EspTransform>)>,
}

impl EspSas {
    /// Keys a transform for every derived IPsec SA; an SA whose keys the
    /// transform refuses is reported and left out.
    pub fn new<'a>(
        provider: &dyn CryptoProvider,
        derived: impl IntoIterator<Item = &'a IpsecSaKeys>,
    ) -> (Self, Vec<String>) {
        let mut sas = Vec::new();
        let mut problems = Vec::new();
        for sa in derived {
            let keys = &sa.keys;
            match provider.esp_transform(sa.suite, keys.encryption.as_bytes(), keys.integrity.as_bytes()) {
                Ok(transform) => sas.push((sa.spi, transform)),
                Err(error) => problems.push(format!("IPsec SA {:08x}: {error}", sa.spi)),
            }
        }
        (Self { sas }, problems)
    }

    /// Decapsulates one packet. With several SAs on one SPI (SPIs are only
    /// unique per receiver) the one whose ICV verifies wins.
    pub fn decapsulate(&self, found: &FoundEsp) -> EspReport {
        let header = match EspPacket::parse(&found.bytes) {
            Ok(header) => header,
            Err(error) => {
                return EspReport {
                    spi: None,
                    sequence: None,
                    outcome: EspOutcome::Malformed(error.to_string()),
                };
            }
        };
        let (spi, sequence) = (Some(header.spi), Some(header.sequence));
        let mut outcome = EspOutcome::UnknownSpi;
        for (_, transform) in self.sas.iter().filter(|(candidate, _)| *candidate == header.spi) {
            outcome = open(transform.as_ref(), &found.bytes);
            if !matches!(outcome, EspOutcome::IcvInvalid) {
                break;
            }
        }
        EspReport { spi, sequence, outcome }
    }
}

/// What became of one ESP packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EspReport {
    pub spi: Option<u32>,
    pub sequence: Option<u32>,
    pub outcome: EspOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EspOutcome {
    /// No derived IPsec SA has this SPI.
    UnknownSpi,
    /// Too short for its header, or not laid out as its SA requires.
    Malformed(String),
    IcvInvalid,
    /// Authenticated and decrypted.
    Opened {
        next_header: u8,
        default_padding: bool,
        inner: Result<InnerPacket, InnerPacketError>,
    },
}

impl EspOutcome {
    /// The ICV verdict: `None` when no SA could check it.
    pub fn icv_valid(&self) -> Option<bool> {
        match self {
            Self::UnknownSpi | Self::Malformed(_) => None,
            Self::IcvInvalid => Some(false),
            Self::Opened { .. } => Some(true),
        }
    }

    /// The inner packet, when the packet was opened into one.
    pub fn inner(&self) -> Option<&InnerPacket> {
        match self {
            Self::Opened { inner: Ok(inner), .. } => Some(inner),
            _ => None,
        }
    }
}

impl fmt::Display for EspOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownSpi => f.write_str("no derived IPsec SA has this SPI"),
            Self::Malformed(error) => write!(f, "malformed ESP packet: {error}"),
            Self::IcvInvalid => f.write_str("ICV invalid"),
            Self::Opened { inner: Ok(_), .. } => f.write_str("ICV valid, decapsulated"),
            Self::Opened { inner: Err(error), .. } => write!(f, "ICV valid, but the plaintext: {error}"),
        }
    }
}

fn open(transform: &dyn EspTransform, packet: &[u8]) -> EspOutcome {
    let mut opened = packet.to_vec();
    // No extended sequence numbers: nothing in IKEv1's SA payloads of the captures negotiates them.
    match transform.open(&mut opened, None) {
        Ok(()) => {}
        Err(CryptoError::IntegrityCheckFailed) => return EspOutcome::IcvInvalid,
        Err(error) => return EspOutcome::Malformed(error.to_string()),
    }
    let payload_start = HEADER_LEN + transform.iv_len();
    let payload_end = opened.len().saturating_sub(transform.icv_len());
    let Some(plaintext) = opened.get(payload_start..payload_end) else {
        return EspOutcome::Malformed("shorter than its IV and ICV".to_owned());
    };
    match EspTrailer::split(plaintext) {
        Ok(trailer) => EspOutcome::Opened {
            next_header: trailer.next_header,
            default_padding: trailer.has_default_padding(),
            inner: InnerPacket::parse(trailer.next_header, trailer.payload),
        },
        Err(error) => EspOutcome::Malformed(format!("trailer: {error}")),
    }
}
