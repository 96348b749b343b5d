//! Bounded reads from a frame: every read either yields the bytes or says what was cut short.
//!
//! Callers pass the frame already cut at the end of the enclosing IP packet (when one is
//! known), so a header can never be read from link-layer padding. Offsets stay relative
//! to the frame start.

use std::ops::Range;

use super::{NotDissected, Reason};

/// The fixed-size header `header` at `offset`.
pub(super) fn fixed<'a, const N: usize>(
    data: &'a [u8],
    offset: usize,
    header: &'static str,
) -> Result<&'a [u8; N], NotDissected> {
    data.get(offset..)
        .and_then(|rest| rest.first_chunk::<N>())
        .ok_or_else(|| truncated(data, offset, N, header))
}

/// The range of `len` bytes at `offset`, checked to lie inside `data`.
pub(super) fn span(
    data: &[u8],
    offset: usize,
    len: usize,
    header: &'static str,
) -> Result<Range<usize>, NotDissected> {
    offset
        .checked_add(len)
        .filter(|&end| end <= data.len())
        .map(|end| offset..end)
        .ok_or_else(|| truncated(data, offset, len, header))
}

fn truncated(data: &[u8], offset: usize, needed: usize, header: &'static str) -> NotDissected {
    NotDissected {
        offset,
        reason: Reason::Truncated { header, needed, available: data.len().saturating_sub(offset) },
    }
}

pub(super) fn be16(bytes: [u8; 2]) -> u16 {
    u16::from_be_bytes(bytes)
}

pub(super) fn be32(bytes: [u8; 4]) -> u32 {
    u32::from_be_bytes(bytes)
}
