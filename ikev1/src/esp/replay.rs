//! The anti-replay window of an inbound SA (RFC 4303 3.4.3).
//!
//! The decisions are those of RFC 4303 Appendix A2.1 for 32-bit sequence
//! numbers: the right edge is the highest authenticated sequence number, a
//! number left of the window is too old, one inside it is accepted once. The
//! bitmap is a ring of 64-bit words with one word more than the window needs,
//! so sliding the window clears whole words instead of shifting every bit.

use core::fmt;

use serde::Serialize;

const WORD_BITS: u32 = u64::BITS;

/// Why a sequence number is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplayError {
    /// Left of the window, or 0, which no sender uses (RFC 4303 3.3.3: the
    /// first packet carries 1).
    TooOld,
    /// Inside the window and already received.
    Duplicate,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooOld => "left of the replay window",
            Self::Duplicate => "already received",
        })
    }
}

/// A window size outside [`ReplayWindow::MIN_SIZE`]..=[`ReplayWindow::MAX_SIZE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidWindowSize(pub u32);

impl fmt::Display for InvalidWindowSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "replay window of {} packets is outside {}..={}",
            self.0,
            ReplayWindow::MIN_SIZE,
            ReplayWindow::MAX_SIZE
        )
    }
}

impl std::error::Error for InvalidWindowSize {}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayWindow {
    size: u32,
    /// The right edge: highest authenticated sequence number, 0 before any.
    highest: u32,
    /// Bit `n % 64` of word `(n / 64) % ring.len()` says whether `n` was received.
    ring: Box<[u64]>,
}

impl ReplayWindow {
    /// "A window size of 64 is preferred and SHOULD be employed as the default"
    /// (RFC 4303 3.4.3); smaller ones are not offered.
    pub const DEFAULT_SIZE: u32 = 64;
    pub const MIN_SIZE: u32 = 64;
    pub const MAX_SIZE: u32 = 4096;

    pub fn new(size: u32) -> Result<Self, InvalidWindowSize> {
        if !(Self::MIN_SIZE..=Self::MAX_SIZE).contains(&size) {
            return Err(InvalidWindowSize(size));
        }
        Ok(Self::empty(size))
    }

    /// A window of a size already checked, before any packet.
    fn empty(size: u32) -> Self {
        // A window of `size` bits touches at most size/64 + 1 words, whatever its
        // alignment; all of them must be distinct slots of the ring.
        let words = size.div_ceil(WORD_BITS) as usize + 1;
        Self { size, highest: 0, ring: vec![0; words].into_boxed_slice() }
    }

    pub fn size(&self) -> u32 {
        self.size
    }

    /// The highest authenticated sequence number, 0 before the first.
    pub fn highest(&self) -> u32 {
        self.highest
    }

    /// The check before the ICV (RFC 4303 3.4.3: "the first ESP check applied to
    /// a packet"): whether `sequence` could be accepted. Changes nothing, since the
    /// sequence number is not authenticated yet.
    pub fn check(&self, sequence: u32) -> Result<(), ReplayError> {
        if sequence == 0 {
            return Err(ReplayError::TooOld);
        }
        if sequence > self.highest {
            return Ok(());
        }
        if self.highest - sequence >= self.size {
            return Err(ReplayError::TooOld);
        }
        let (word, bit) = self.slot(sequence);
        if self.ring[word] & bit != 0 { Err(ReplayError::Duplicate) } else { Ok(()) }
    }

    /// Records an authenticated sequence number (RFC 4303 Appendix A2.1): a new
    /// highest slides the window right. Checks again, so a number is accepted at
    /// most once however it is called.
    pub fn accept(&mut self, sequence: u32) -> Result<(), ReplayError> {
        self.check(sequence)?;
        if sequence > self.highest {
            self.slide_to(sequence);
        }
        let (word, bit) = self.slot(sequence);
        self.ring[word] |= bit;
        Ok(())
    }

    /// Moves the right edge to `sequence`: the words it passes into are cleared,
    /// since none of their numbers has been received yet.
    fn slide_to(&mut self, sequence: u32) {
        let ring_len = self.ring.len();
        let from_word = (self.highest / WORD_BITS) as usize;
        let to_word = (sequence / WORD_BITS) as usize;
        for word in from_word + 1..=to_word.min(from_word + ring_len) {
            self.ring[word % ring_len] = 0;
        }
        self.highest = sequence;
    }

    fn slot(&self, sequence: u32) -> (usize, u64) {
        let word = (sequence / WORD_BITS) as usize % self.ring.len();
        (word, 1 << (sequence % WORD_BITS))
    }
}

impl Default for ReplayWindow {
    fn default() -> Self {
        Self::empty(Self::DEFAULT_SIZE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept_all(window: &mut ReplayWindow, sequences: impl IntoIterator<Item = u32>) {
        for sequence in sequences {
            assert_eq!(window.accept(sequence), Ok(()), "sequence {sequence}");
        }
    }

    #[test]
    fn sizes_are_bounded() {
        assert_eq!(ReplayWindow::new(63), Err(InvalidWindowSize(63)));
        assert_eq!(ReplayWindow::new(4097), Err(InvalidWindowSize(4097)));
        assert_eq!(ReplayWindow::new(64).unwrap(), ReplayWindow::default());
        assert_eq!(ReplayWindow::new(100).unwrap().ring.len(), 3);
        assert_eq!(ReplayWindow::new(4096).unwrap().size(), 4096);
    }

    #[test]
    fn in_order_packets_are_each_accepted_once() {
        let mut window = ReplayWindow::default();
        accept_all(&mut window, 1..=1000);
        assert_eq!(window.highest(), 1000);
        assert_eq!(window.accept(1000), Err(ReplayError::Duplicate));
        assert_eq!(window.accept(937), Err(ReplayError::Duplicate), "the left edge, 1000 - 64 + 1");
        assert_eq!(window.accept(936), Err(ReplayError::TooOld));
    }

    #[test]
    fn zero_is_never_accepted() {
        let mut window = ReplayWindow::default();
        assert_eq!(window.check(0), Err(ReplayError::TooOld));
        assert_eq!(window.accept(0), Err(ReplayError::TooOld));
        assert_eq!(window.highest(), 0);
    }

    #[test]
    fn out_of_order_within_the_window() {
        let mut window = ReplayWindow::default();
        accept_all(&mut window, [5, 3, 4, 1, 2, 70, 7, 69, 8]);
        assert_eq!(window.accept(4), Err(ReplayError::TooOld), "70 - 64 + 1 = 7 is the left edge");
        assert_eq!(window.accept(69), Err(ReplayError::Duplicate));
        assert_eq!(window.check(7), Err(ReplayError::Duplicate));
        assert_eq!(window.check(6), Err(ReplayError::TooOld));
        assert_eq!(window.check(9), Ok(()));
    }

    #[test]
    fn check_changes_nothing() {
        let mut window = ReplayWindow::default();
        accept_all(&mut window, [10]);
        let before = window.clone();
        assert_eq!(window.check(500), Ok(()));
        assert_eq!(window.check(9), Ok(()));
        assert_eq!(window, before);
        assert_eq!(window.accept(9), Ok(()));
    }

    #[test]
    fn big_jumps_clear_what_they_pass() {
        let mut window = ReplayWindow::new(128).unwrap();
        accept_all(&mut window, 1..=200);
        // One word further, then far beyond the ring: old bits must not come back.
        accept_all(&mut window, [264, 1_000_000]);
        for earlier in 1_000_000 - 127..1_000_000 {
            assert_eq!(window.check(earlier), Ok(()), "{earlier} was never received");
        }
        assert_eq!(window.check(1_000_000 - 128), Err(ReplayError::TooOld));
        accept_all(&mut window, [999_990, 1_000_064, 1_000_001]);
        assert_eq!(window.accept(999_990), Err(ReplayError::Duplicate));
    }

    #[test]
    fn the_window_reaches_the_last_sequence_number() {
        let mut window = ReplayWindow::default();
        accept_all(&mut window, [u32::MAX - 100, u32::MAX, u32::MAX - 1]);
        assert_eq!(window.accept(u32::MAX), Err(ReplayError::Duplicate));
        assert_eq!(window.check(u32::MAX - 63), Ok(()));
        assert_eq!(window.check(u32::MAX - 64), Err(ReplayError::TooOld));
    }

    #[test]
    fn an_unaligned_window_keeps_exactly_its_size() {
        // 100 bits over 3 words: every number of the window is remembered, none beyond.
        let mut window = ReplayWindow::new(100).unwrap();
        accept_all(&mut window, 1..=1000);
        for sequence in 901..=1000 {
            assert_eq!(window.check(sequence), Err(ReplayError::Duplicate), "{sequence}");
        }
        assert_eq!(window.check(900), Err(ReplayError::TooOld));
    }
}
