//! Bounded reading and length-patching writing of wire structures.
//!
//! Every payload is parsed through a [`Reader`] limited to that payload's
//! declared length, so a lying length field can never make the parser read a
//! neighbour's bytes or allocate more than the input holds. The [`Writer`]
//! reserves length fields and fills them in once the body is written.

use crate::error::{EmitError, Error, ErrorKind};

/// A cursor over a byte slice that knows its absolute offset in the datagram.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    position: usize,
    /// Offset of `data[0]` in the outermost input, for error messages.
    origin: usize,
}

impl<'a> Reader<'a> {
    /// A reader over a whole datagram (offsets count from its first byte).
    pub fn new(data: &'a [u8]) -> Self {
        Self::at(data, 0)
    }

    /// A reader over `data` whose first byte sits at `origin` in the datagram.
    pub fn at(data: &'a [u8], origin: usize) -> Self {
        Self { data, position: 0, origin }
    }

    /// Absolute offset of the next unread byte.
    pub fn offset(&self) -> usize {
        self.origin + self.position
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.position
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Reads `n` bytes or fails with the field's name and what was missing.
    pub fn bytes(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], Error> {
        if n > self.remaining() {
            return Err(Error::new(
                self.offset(),
                ErrorKind::Truncated { field, needed: n, available: self.remaining() },
            ));
        }
        let taken = &self.data[self.position..self.position + n];
        self.position += n;
        Ok(taken)
    }

    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], Error> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N, field)?);
        Ok(out)
    }

    pub fn u8(&mut self, field: &'static str) -> Result<u8, Error> {
        Ok(self.bytes(1, field)?[0])
    }

    pub fn u16(&mut self, field: &'static str) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub fn u32(&mut self, field: &'static str) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// Everything not yet read.
    pub fn rest(&mut self) -> &'a [u8] {
        let taken = &self.data[self.position..];
        self.position = self.data.len();
        taken
    }

    /// A reader over the next `n` bytes, which this reader skips.
    pub fn sub(&mut self, n: usize, field: &'static str) -> Result<Reader<'a>, Error> {
        let origin = self.offset();
        let data = self.bytes(n, field)?;
        Ok(Reader::at(data, origin))
    }

    /// Fails unless every byte has been consumed.
    pub fn expect_end(&self, structure: &'static str) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::new(self.offset(), ErrorKind::TrailingBytes { structure, count: self.remaining() }))
        }
    }
}

/// A growable output buffer with back-patched length fields.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

/// The position of a length field reserved by [`Writer::reserve_u16`].
#[derive(Debug, Clone, Copy)]
#[must_use = "a reserved length must be filled in"]
pub struct LengthSlot {
    at: usize,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Self { buf: Vec::with_capacity(capacity) }
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn u8(&mut self, value: u8) {
        self.buf.push(value);
    }

    pub fn u16(&mut self, value: u16) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    pub fn u32(&mut self, value: u32) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    pub fn bytes(&mut self, value: &[u8]) {
        self.buf.extend_from_slice(value);
    }

    /// Writes a placeholder for a 16-bit length field.
    pub fn reserve_u16(&mut self) -> LengthSlot {
        let at = self.buf.len();
        self.u16(0);
        LengthSlot { at }
    }

    /// Fills `slot` with the number of bytes written since `start`.
    pub fn patch_length_since(
        &mut self,
        slot: LengthSlot,
        start: usize,
        field: &'static str,
    ) -> Result<(), EmitError> {
        let length = self.buf.len() - start;
        let value = u16::try_from(length).map_err(|_| EmitError::TooLong {
            field,
            length,
            maximum: u16::MAX as usize,
        })?;
        self.buf[slot.at..slot.at + 2].copy_from_slice(&value.to_be_bytes());
        Ok(())
    }

    /// Overwrites a big-endian u32 at `at` (the ISAKMP header length).
    pub fn patch_u32(&mut self, at: usize, value: u32) {
        self.buf[at..at + 4].copy_from_slice(&value.to_be_bytes());
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }
}

/// Converts a length to the width of its wire field, or explains why it cannot.
pub fn fits<T: TryFrom<usize>>(length: usize, field: &'static str) -> Result<T, EmitError> {
    let maximum = match core::mem::size_of::<T>() {
        1 => u8::MAX as usize,
        2 => u16::MAX as usize,
        _ => u32::MAX as usize,
    };
    T::try_from(length).map_err(|_| EmitError::TooLong { field, length, maximum })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reports_absolute_offsets_from_sub_readers() {
        let data = [1, 2, 3, 4, 5, 6];
        let mut outer = Reader::new(&data);
        outer.u8("first").unwrap();
        let mut inner = outer.sub(3, "inner").unwrap();
        assert_eq!(inner.offset(), 1);
        inner.u16("pair").unwrap();
        let err = inner.u16("too far").unwrap_err();
        assert_eq!(err.offset, 3);
        assert_eq!(outer.offset(), 4);
    }

    #[test]
    fn truncated_read_names_the_field_and_the_shortfall() {
        let mut reader = Reader::new(&[0u8; 3]);
        let err = reader.u32("message id").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Truncated { field: "message id", needed: 4, available: 3 });
    }

    #[test]
    fn writer_patches_lengths_and_refuses_overflow() {
        let mut w = Writer::new();
        let start = w.len();
        let slot = w.reserve_u16();
        w.bytes(&[9; 10]);
        w.patch_length_since(slot, start, "payload length").unwrap();
        assert_eq!(&w.as_slice()[..2], &[0, 12]);

        let mut big = Writer::new();
        let slot = big.reserve_u16();
        big.bytes(&vec![0; 70_000]);
        assert!(big.patch_length_since(slot, 0, "payload length").is_err());
    }
}
