//! Secret byte strings: zeroized on drop, compared in constant time, never printed.

use core::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Key material (SKEYIDs, Ka, KEYMAT, g^xy, DH private values). Its `Debug` shows
/// only the length, so a trace or a panic message cannot leak it.
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// In-place access, for filling fresh key material within the crate.
    pub(crate) fn as_bytes_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time comparison (subtle): the time taken does not depend on where the
    /// first differing byte is, only on the lengths.
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        self.as_bytes().ct_eq(other).into()
    }

    /// Keeps the first `len` bytes (no-op when already shorter); the cut bytes are wiped.
    pub fn truncate(&mut self, len: usize) {
        if len < self.0.len() {
            self.0[len..].zeroize();
            self.0.truncate(len);
        }
    }

    /// Appends bytes, reallocating without leaving a stale copy behind.
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        let mut grown = Zeroizing::new(Vec::with_capacity(self.0.len() + bytes.len()));
        grown.extend_from_slice(&self.0);
        grown.extend_from_slice(bytes);
        self.0 = grown;
    }

    /// Splits into `[..at]` and `[at..]` (all of it and nothing when `at` is past the end).
    pub fn split_at(&self, at: usize) -> (Secret, Secret) {
        let (head, tail) = self.as_bytes().split_at(at.min(self.len()));
        (Self::from_slice(head), Self::from_slice(tail))
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other.as_bytes())
    }
}

impl Eq for Secret {}

impl ZeroizeOnDrop for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret([REDACTED; {} bytes])", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_bytes() {
        let secret = Secret::from_slice(b"hunter2");
        assert_eq!(format!("{secret:?}"), "Secret([REDACTED; 7 bytes])");
    }

    #[test]
    fn comparisons_and_edits() {
        let mut secret = Secret::from_slice(&[1, 2, 3, 4]);
        assert!(secret.ct_eq(&[1, 2, 3, 4]));
        assert!(!secret.ct_eq(&[1, 2, 3, 5]));
        assert!(!secret.ct_eq(&[1, 2, 3]));
        secret.extend_from_slice(&[5, 6]);
        secret.truncate(5);
        assert_eq!(secret.as_bytes(), &[1, 2, 3, 4, 5]);
        let (head, tail) = secret.split_at(2);
        assert_eq!((head.as_bytes(), tail.as_bytes()), (&[1, 2][..], &[3, 4, 5][..]));
        assert_eq!(secret.split_at(9).1.len(), 0);
        assert_eq!(Secret::from_slice(&[7]), Secret::from_slice(&[7]));
    }
}
