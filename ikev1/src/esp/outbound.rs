//! Outbound processing (RFC 4303 3.3): number, pad, encrypt and authenticate an
//! inner packet into an ESP packet, in a buffer the caller owns and reuses.

use rand_core::RngCore;
use serde::Serialize;

use super::{EspError, LifetimeState, OutboundSa, OuterHeader, transport};
use crate::ip::IpPacket;
use crate::policy::IpsecMode;
use crate::time::Timestamp;

/// SPI and sequence number (RFC 4303 2).
const HEADER_LEN: usize = isakmp::esp::HEADER_LEN;
/// Pad Length and Next Header (RFC 4303 2.5, 2.6).
const TRAILER_LEN: usize = isakmp::esp::TRAILER_LEN;
/// ESP ends on a 4-byte boundary whatever the cipher (RFC 4303 2.4), and one
/// Pad Length byte counts at most 255 bytes of padding.
const MIN_ALIGNMENT: usize = 4;
const MAX_ALIGNMENT: usize = 256;

/// One packet protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Encapsulated {
    pub sequence: u32,
    /// The header to send the ESP packet in.
    pub outer: OuterHeader,
    /// The SA's lifetime state after this packet: the engine rekeys on soft,
    /// stops on hard.
    pub lifetime: LifetimeState,
}

/// What goes inside the ESP packet and what the outer header keeps.
struct Plaintext<'a> {
    next_header: u8,
    payload: &'a [u8],
    traffic_class: u8,
    hop_limit: u8,
}

impl OutboundSa {
    /// Protects the IP packet `inner` into `out` (cleared first; its capacity is
    /// reused, so a long-lived buffer makes this allocation-free).
    ///
    /// Tunnel mode carries the whole packet with Next Header 4 or 41 (RFC 4303
    /// 3.1.2). Transport mode carries the packet's payload with Next Header = its
    /// protocol (RFC 4303 3.1.1), and the returned [`OuterHeader`] keeps the
    /// original header's traffic class and TTL; IPv4 options are not carried.
    /// Either way the outer addresses are the SA's.
    /// IVs come from `rng` (CBC) or the sequence number (GCM, see `IvSource`).
    pub fn encapsulate(
        &mut self,
        now: Timestamp,
        rng: &mut dyn RngCore,
        inner: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Encapsulated, EspError> {
        let result = self.plaintext(inner).and_then(|plaintext| self.seal(now, rng, plaintext, out));
        self.counters.record_send(&result, inner.len());
        result
    }

    /// Protects any `payload` under any `next_header`, unchecked: dummy packets
    /// (Next Header 59, which RFC 4303 2.6 says a transmitter MUST be able to
    /// send) and deliberately odd traffic for impairments.
    pub fn encapsulate_payload(
        &mut self,
        now: Timestamp,
        rng: &mut dyn RngCore,
        next_header: u8,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Encapsulated, EspError> {
        let plaintext =
            Plaintext { next_header, payload, traffic_class: 0, hop_limit: OuterHeader::DEFAULT_HOP_LIMIT };
        let result = self.seal(now, rng, plaintext, out);
        self.counters.record_send(&result, payload.len());
        result
    }

    /// Uses up `count` sequence numbers without sending, as if their packets had
    /// been lost: an impairment that makes the peer's replay window jump, and the
    /// quick way to the end of the sequence space. It never goes back.
    pub fn skip_sequence_numbers(&mut self, count: u32) {
        self.direction.sequence.skip(count);
    }

    fn plaintext<'a>(&self, inner: &'a [u8]) -> Result<Plaintext<'a>, EspError> {
        let packet = IpPacket::parse(inner)?;
        match self.config.mode {
            IpsecMode::Tunnel => Ok(Plaintext {
                next_header: packet.version().encapsulation_protocol(),
                payload: inner,
                // RFC 4301 5.1.2.1: DS and ECN copied from the inner header, TTL constructed.
                traffic_class: packet.traffic_class(),
                hop_limit: OuterHeader::DEFAULT_HOP_LIMIT,
            }),
            IpsecMode::Transport if transport::is_fragment(&packet) => Err(EspError::FragmentInTransportMode),
            IpsecMode::Transport => Ok(Plaintext {
                next_header: packet.protocol(),
                payload: packet.payload(),
                traffic_class: packet.traffic_class(),
                hop_limit: packet.hop_limit(),
            }),
        }
    }

    /// Lays out `SPI | Sequence Number | IV | payload | padding | Pad Length |
    /// Next Header | ICV` (RFC 4303 2) in `out` and has the transform encrypt and
    /// authenticate it (RFC 4303 3.3.2).
    fn seal(
        &mut self,
        now: Timestamp,
        rng: &mut dyn RngCore,
        plaintext: Plaintext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<Encapsulated, EspError> {
        let sequence = self.direction.sequence.next().ok_or(EspError::SequenceNumberExhausted)?;
        let transform = self.transform.as_ref();
        let (iv_len, icv_len) = (transform.iv_len(), transform.icv_len());
        let pad_len = default_padding_len(plaintext.payload.len(), transform.payload_alignment());
        let encrypted_len = plaintext.payload.len() + pad_len + TRAILER_LEN;

        out.clear();
        out.reserve(HEADER_LEN + iv_len + encrypted_len + icv_len);
        out.extend_from_slice(&self.config.spi.to_be_bytes());
        out.extend_from_slice(&sequence.to_be_bytes());
        self.direction.iv.append(sequence, rng, iv_len, out);
        out.extend_from_slice(plaintext.payload);
        // RFC 4303 2.4: default padding 1, 2, 3, ...
        out.extend((1..=pad_len).map(|byte| byte as u8));
        out.extend_from_slice(&[pad_len as u8, plaintext.next_header]);
        out.resize(out.len() + icv_len, 0);
        transform.seal(out, None).map_err(EspError::Crypto)?;

        self.lifetime.record(now, encrypted_len);
        let outer = OuterHeader {
            src: self.config.local,
            dst: self.config.peer,
            udp: self.config.udp,
            traffic_class: plaintext.traffic_class,
            hop_limit: plaintext.hop_limit,
        };
        Ok(Encapsulated { sequence, outer, lifetime: self.lifetime_state(now) })
    }
}

/// The padding that makes payload, padding, Pad Length and Next Header a
/// multiple of `alignment` (RFC 4303 2.4), at most 255 bytes.
fn default_padding_len(payload_len: usize, alignment: usize) -> usize {
    let alignment = alignment.clamp(MIN_ALIGNMENT, MAX_ALIGNMENT);
    (payload_len + TRAILER_LEN).next_multiple_of(alignment) - (payload_len + TRAILER_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_reaches_the_alignment_and_no_further() {
        assert_eq!(default_padding_len(14, 16), 0);
        assert_eq!(default_padding_len(15, 16), 15);
        assert_eq!(default_padding_len(0, 16), 14);
        assert_eq!(default_padding_len(84, 16), 10, "case A's 84-byte ping: 10 bytes, as strongSwan sent");
        assert_eq!(default_padding_len(84, 4), 2);
        assert_eq!(default_padding_len(1, 8), 5);
        assert_eq!(default_padding_len(3, 1), 3, "never below ESP's own 4-byte alignment");
        assert_eq!(default_padding_len(0, 100_000), 254, "never more than one byte can count");
    }
}
