//! The Internet checksum (RFC 1071): the ones' complement of the ones'
//! complement sum of 16-bit big-endian words, used by the IPv4 header, ICMP,
//! ICMPv6, UDP and TCP.

/// A running ones' complement sum over one or more parts (a pseudo header, then
/// a segment). Parts may have odd lengths: a leftover byte pairs with the first
/// byte of the next part, as if the parts were one buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checksum {
    /// Unfolded sum; 64 bits cannot overflow for any packet IP can carry.
    sum: u64,
    /// The high byte of a word whose low byte is in the next part.
    pending: Option<u8>,
}

impl Checksum {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, mut bytes: &[u8]) -> &mut Self {
        if let (Some(high), Some((&low, rest))) = (self.pending, bytes.split_first()) {
            self.sum += u64::from(u16::from_be_bytes([high, low]));
            self.pending = None;
            bytes = rest;
        }
        let mut words = bytes.chunks_exact(2);
        self.sum += words.by_ref().map(|word| u64::from(u16::from_be_bytes([word[0], word[1]]))).sum::<u64>();
        if let [last] = words.remainder() {
            self.pending = Some(*last);
        }
        self
    }

    pub fn add_u16(&mut self, value: u16) -> &mut Self {
        self.add(&value.to_be_bytes())
    }

    pub fn add_u32(&mut self, value: u32) -> &mut Self {
        self.add(&value.to_be_bytes())
    }

    /// The checksum field value: a trailing odd byte is padded with zero
    /// (RFC 1071 4.1), the sum folded to 16 bits and complemented. Summing data
    /// that already holds a correct checksum gives 0.
    pub fn finish(&self) -> u16 {
        let mut sum = self.sum + self.pending.map_or(0, |high| u64::from(u16::from_be_bytes([high, 0])));
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }
}

/// The checksum of one buffer.
pub fn internet_checksum(bytes: &[u8]) -> u16 {
    Checksum::new().add(bytes).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_1071_example() {
        // RFC 1071 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (after the end-around
        // carry), whose complement is 220d.
        assert_eq!(internet_checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), 0x220d);
    }

    #[test]
    fn odd_parts_sum_like_one_buffer() {
        let data: Vec<u8> = (0u8..=200).map(|byte| byte.wrapping_mul(37)).collect();
        let whole = internet_checksum(&data);
        for split in [0, 1, 2, 3, 99, 100, 200, 201] {
            let (first, second) = data.split_at(split);
            assert_eq!(Checksum::new().add(first).add(second).finish(), whole, "split at {split}");
        }
        let mut three = Checksum::new();
        three.add(&data[..5]).add(&data[5..6]).add(&data[6..]);
        assert_eq!(three.finish(), whole);
    }

    #[test]
    fn a_filled_in_checksum_sums_to_zero() {
        let mut data =
            vec![0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0, 0, 0x40, 0x01, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let checksum = internet_checksum(&data);
        data[10..12].copy_from_slice(&checksum.to_be_bytes());
        assert_eq!(internet_checksum(&data), 0);
        assert_eq!(Checksum::new().add(&data[..8]).add_u16(0x4001).add(&data[10..]).finish(), 0);
    }
}
