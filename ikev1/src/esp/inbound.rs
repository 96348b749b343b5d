//! Inbound processing (RFC 4303 3.4): replay check, ICV, window update,
//! decryption, padding and Next Header, then the inner packet.

use serde::Serialize;

use super::{EspError, InboundSa, LifetimeState, OuterAddresses, transport, tunnel};
use crate::crypto::CryptoError;
use crate::ip::{IpVersion, protocol};
use crate::policy::IpsecMode;
use crate::time::Timestamp;
use isakmp::esp::{EspPacket, EspTrailer, HEADER_LEN};

/// One packet accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Decapsulated {
    pub sequence: u32,
    pub inner: Inner,
    /// The SA's lifetime state after this packet.
    pub lifetime: LifetimeState,
}

/// What the buffer holds after decapsulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Inner {
    /// An IP packet: tunnel mode's inner packet, or transport mode's payload
    /// behind a header rebuilt from the outer addresses.
    Packet(IpVersion),
    /// A dummy packet (Next Header 59), to be dropped without error (RFC 4303
    /// 2.6). The buffer is empty.
    Dummy,
}

impl InboundSa {
    /// Decapsulates the ESP packet `esp` (from the SPI on, as it arrived over IP
    /// protocol 50 or as a UDP payload on port 4500) into `out`, which is cleared
    /// first and reused.
    pub fn decapsulate(
        &mut self,
        now: Timestamp,
        outer: OuterAddresses,
        esp: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Decapsulated, EspError> {
        out.clear();
        out.extend_from_slice(esp);
        self.decapsulate_in_place(now, outer, out)
    }

    /// Decapsulates the ESP packet in `packet`, leaving the inner packet there.
    /// On an error found before decryption (malformed, replayed, ICV) the packet
    /// is as it came; after it, the buffer holds the plaintext.
    pub fn decapsulate_in_place(
        &mut self,
        now: Timestamp,
        outer: OuterAddresses,
        packet: &mut Vec<u8>,
    ) -> Result<Decapsulated, EspError> {
        let result = self.open(now, outer, packet);
        self.counters.record_receive(&result, packet.len());
        result
    }

    fn open(
        &mut self,
        now: Timestamp,
        outer: OuterAddresses,
        packet: &mut Vec<u8>,
    ) -> Result<Decapsulated, EspError> {
        let len = packet.len();
        let malformed = || EspError::Malformed { len };
        let EspPacket { spi, sequence, .. } = EspPacket::parse(packet).map_err(|_| malformed())?;
        if spi != self.config.spi {
            return Err(EspError::WrongSpi { expected: self.config.spi, received: spi });
        }
        // RFC 4303 3.4.3: the cheap check first, on a number not yet authenticated...
        let replay = |reason| EspError::Replay { sequence, reason };
        self.direction.replay.check(sequence).map_err(replay)?;
        // ...then the ICV, in constant time, before anything is decrypted (3.4.4)...
        self.transform.open(packet, None).map_err(|error| match error {
            CryptoError::IntegrityCheckFailed => EspError::IntegrityCheckFailed { sequence },
            CryptoError::InvalidPacketLength { .. } => malformed(),
            other => EspError::Crypto(other),
        })?;
        self.counters.record_opened();
        // ...and only an authenticated number moves the window.
        self.direction.replay.accept(sequence).map_err(replay)?;

        // The transform has checked the layout; a short packet cannot get here.
        let encrypted_start = HEADER_LEN + self.transform.iv_len();
        let encrypted_end = len.checked_sub(self.transform.icv_len()).filter(|end| *end >= encrypted_start);
        let encrypted = encrypted_start..encrypted_end.ok_or_else(malformed)?;
        self.lifetime.record(now, encrypted.len());
        let trailer =
            EspTrailer::split(&packet[encrypted.clone()]).map_err(|_| EspError::BadPadding { sequence })?;
        if !trailer.has_default_padding() {
            return Err(EspError::BadPadding { sequence });
        }
        let (next_header, payload) =
            (trailer.next_header, encrypted.start..encrypted.start + trailer.payload.len());

        // RFC 4303 3.4.4.1 steps 4 and 5.
        let inner = match (next_header, self.config.mode) {
            (protocol::NO_NEXT_HEADER, _) => {
                packet.clear();
                Inner::Dummy
            }
            (_, IpsecMode::Tunnel) => tunnel::extract(packet, payload, sequence, next_header)?,
            (_, IpsecMode::Transport) => {
                transport::rebuild(packet, payload, next_header, outer, self.config.udp.is_some())?
            }
        };
        Ok(Decapsulated { sequence, inner, lifetime: self.lifetime_state(now) })
    }
}
