//! The sender's sequence number counter (RFC 4303 3.3.3): starts at 0, so the
//! first packet carries 1, and never cycles.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SequenceCounter {
    /// The number of the last packet sent, 0 before the first.
    last: u32,
}

impl SequenceCounter {
    /// The number for the next packet, or `None` once 2^32-1 has been used: "the
    /// sender MUST NOT send a packet on an SA if doing so would cause the
    /// sequence number to cycle" (RFC 4303 3.3.3). A new SA must take over.
    pub(crate) fn next(&mut self) -> Option<u32> {
        self.last = self.last.checked_add(1)?;
        Some(self.last)
    }

    pub(crate) fn last(&self) -> u32 {
        self.last
    }

    pub(crate) fn is_exhausted(&self) -> bool {
        self.last == u32::MAX
    }

    /// Uses up `count` numbers as if their packets had been lost. Only forward,
    /// so no number, and no IV derived from one, is ever used twice.
    pub(crate) fn skip(&mut self, count: u32) {
        self.last = self.last.saturating_add(count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_one_and_stops_before_cycling() {
        let mut counter = SequenceCounter::default();
        assert_eq!((counter.next(), counter.next(), counter.last()), (Some(1), Some(2), 2));
        counter.skip(u32::MAX - 3);
        assert_eq!(counter.last(), u32::MAX - 1);
        assert!(!counter.is_exhausted());
        assert_eq!(counter.next(), Some(u32::MAX));
        assert!(counter.is_exhausted());
        assert_eq!(counter.next(), None);
        assert_eq!(counter.last(), u32::MAX, "a refused packet uses no number");
        counter.skip(5);
        assert_eq!(counter.next(), None);
    }
}
