//! A CBC IV (or, what is the same in IKEv1, the last ciphertext block of a message).

use super::CryptoError;
use core::fmt;

/// One cipher block: 8 bytes for 3DES, 16 for AES. Not secret (it travels as
/// ciphertext), so it prints as hex.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Iv {
    bytes: [u8; Iv::MAX_LEN],
    len: u8,
}

impl Iv {
    /// The largest block this crate uses (AES).
    pub const MAX_LEN: usize = 16;

    /// An IV from one block of bytes; refuses an empty or longer-than-AES slice.
    pub fn from_slice(block: &[u8]) -> Result<Self, CryptoError> {
        if block.is_empty() || block.len() > Self::MAX_LEN {
            return Err(CryptoError::InvalidIvLength { expected: Self::MAX_LEN, actual: block.len() });
        }
        let mut bytes = [0; Self::MAX_LEN];
        bytes[..block.len()].copy_from_slice(block);
        Ok(Self { bytes, len: block.len() as u8 })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for Iv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Iv(")?;
        self.as_bytes().iter().try_for_each(|byte| write!(f, "{byte:02x}"))?;
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_one_block() {
        let iv = Iv::from_slice(&[0xab; 8]).expect("8 bytes");
        assert_eq!((iv.len(), iv.as_bytes()), (8, &[0xab; 8][..]));
        assert_eq!(format!("{:?}", Iv::from_slice(&[1, 0xff]).expect("2 bytes")), "Iv(01ff)");
        assert!(Iv::from_slice(&[]).is_err());
        assert!(Iv::from_slice(&[0; 17]).is_err());
    }
}
