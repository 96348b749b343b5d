//! How an outbound SA makes each packet's IV.

use rand_core::RngCore;

use crate::crypto::EspSuite;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IvSource {
    /// CBC needs an unpredictable IV per packet (RFC 3602 3, RFC 2451 3): drawn
    /// from the caller's generator (the engine's public stream).
    Random,
    /// GCM needs an IV that never repeats under one key, and a counter is "the
    /// most natural way" (RFC 4106 3.1). The sequence number is one: it is unique
    /// per packet of the SA and never cycles (RFC 4303 3.3.3), and each SA has its
    /// own key (KEYMAT covers the SPI, RFC 2409 5.5). The IV is the sequence
    /// number as a 64-bit big-endian integer.
    SequenceNumber,
}

impl IvSource {
    pub(crate) fn for_suite(suite: EspSuite) -> Self {
        if suite.encryption().is_aead() { Self::SequenceNumber } else { Self::Random }
    }

    /// Appends `len` bytes of IV for the packet numbered `sequence`.
    pub(crate) fn append(&self, sequence: u32, rng: &mut dyn RngCore, len: usize, out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + len, 0);
        let iv = &mut out[start..];
        match self {
            Self::Random => rng.fill_bytes(iv),
            Self::SequenceNumber => {
                // Right-aligned, should a transform ever want other than 8 bytes.
                let counter = u64::from(sequence).to_be_bytes();
                let used = len.min(counter.len());
                iv[len - used..].copy_from_slice(&counter[counter.len() - used..]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{AesKeySize, EspEncryption, EspIntegrity};
    use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};

    #[test]
    fn gcm_counts_and_cbc_draws() {
        let gcm = EspSuite::new(EspEncryption::AesGcm16(AesKeySize::Bits128), None).unwrap();
        let cbc = EspSuite::new(EspEncryption::TripleDesCbc, Some(EspIntegrity::HmacSha1_96)).unwrap();
        assert_eq!(
            (IvSource::for_suite(gcm), IvSource::for_suite(cbc)),
            (IvSource::SequenceNumber, IvSource::Random)
        );

        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut out = vec![0xee];
        IvSource::SequenceNumber.append(0x0102_0304, &mut rng, 8, &mut out);
        assert_eq!(out, [0xee, 0, 0, 0, 0, 1, 2, 3, 4]);
        out.clear();
        IvSource::SequenceNumber.append(0x0102_0304, &mut rng, 2, &mut out);
        assert_eq!(out, [3, 4]);

        let (mut first, mut second) = (Vec::new(), Vec::new());
        IvSource::Random.append(1, &mut rng, 16, &mut first);
        IvSource::Random.append(1, &mut rng, 16, &mut second);
        assert_eq!(first.len(), 16);
        assert_ne!(first, second, "fresh per packet");
    }
}
