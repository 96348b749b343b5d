//! Where things are in an ESP packet (RFC 4303 2, figure 1):
//! `SPI | Sequence Number | IV | payload | ICV`.

use crate::crypto::CryptoError;

/// SPI (4 bytes) and Sequence Number (4 bytes).
pub(crate) const HEADER_LEN: usize = 8;

/// The parts of one packet, borrowed from it.
pub(crate) struct EspSections<'a> {
    /// SPI and low 32 bits of the sequence number.
    pub(crate) header: &'a [u8; HEADER_LEN],
    pub(crate) iv: &'a [u8],
    pub(crate) payload: &'a mut [u8],
    pub(crate) icv: &'a mut [u8],
}

impl<'a> EspSections<'a> {
    /// Splits `packet`; refuses a packet with no payload or one not a multiple of
    /// `alignment` (RFC 4303 2.4), whatever its length field said.
    pub(crate) fn split(
        packet: &'a mut [u8],
        iv_len: usize,
        icv_len: usize,
        alignment: usize,
    ) -> Result<Self, CryptoError> {
        let invalid = CryptoError::InvalidPacketLength { len: packet.len() };
        let payload_len = packet.len().checked_sub(HEADER_LEN + iv_len + icv_len).ok_or(invalid.clone())?;
        if payload_len == 0 || payload_len % alignment != 0 {
            return Err(invalid);
        }
        let (header, rest) = packet.split_at_mut(HEADER_LEN);
        let (iv, rest) = rest.split_at_mut(iv_len);
        let (payload, icv) = rest.split_at_mut(payload_len);
        let header = <&[u8; HEADER_LEN]>::try_from(&*header).map_err(|_| invalid)?;
        Ok(Self { header, iv, payload, icv })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_refuses_short_or_misaligned_packets() {
        let mut packet: Vec<u8> = (0..68).collect();
        let sections = EspSections::split(&mut packet, 16, 12, 16).expect("8 + 16 + 32 + 12");
        assert_eq!(sections.header, &[0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!((sections.iv[0], sections.payload.len(), sections.icv[0]), (8, 32, 56));
        // 8 + 16 + 28 + 12: payload not a multiple of the block.
        assert_eq!(
            EspSections::split(&mut packet[..64], 16, 12, 16).err(),
            Some(CryptoError::InvalidPacketLength { len: 64 })
        );
        // 8 + 16 + 0 + 12: no payload; 10 bytes: not even the IV.
        assert!(EspSections::split(&mut packet[..36], 16, 12, 16).is_err());
        assert!(EspSections::split(&mut packet[..10], 16, 12, 16).is_err());
        // GCM: 8 + 8 + 20 + 16, 4-byte alignment.
        assert!(EspSections::split(&mut packet[..52], 8, 16, 4).is_ok());
    }
}
