//! The byte format of a fuzz script: read through `arbitrary`'s
//! [`Unstructured`], written by [`ScriptWriter`] for the seed corpora.
//!
//! Every value is a byte, a big-endian integer (so dictionary entries in wire
//! order land as whole values) or a length-prefixed blob; a choice among `n`
//! variants is one byte modulo `n`. Reading never fails: an exhausted input
//! reads as zeros, as `arbitrary` does, so every byte string is a script.

use arbitrary::{Arbitrary, Unstructured};

pub struct ScriptReader<'a> {
    input: Unstructured<'a>,
}

impl<'a> ScriptReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { input: Unstructured::new(data) }
    }

    pub fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    pub fn byte(&mut self) -> u8 {
        u8::arbitrary(&mut self.input).unwrap_or(0)
    }

    pub fn be16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    pub fn be32(&mut self) -> u32 {
        u32::from_be_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// One of `count` variants.
    pub fn choice(&mut self, count: u8) -> u8 {
        self.byte() % count
    }

    pub fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// A length byte, then that many bytes (fewer if the input ends).
    pub fn blob(&mut self) -> Vec<u8> {
        let wanted = usize::from(self.byte());
        let available = wanted.min(self.input.len());
        self.input.bytes(available).map(<[u8]>::to_vec).unwrap_or_default()
    }

    /// Structured data for `arbitrary`, from a blob of its own so that what
    /// it consumes never shifts the rest of the script.
    pub fn arbitrary_blob<T: for<'b> Arbitrary<'b>>(&mut self) -> Option<T> {
        let blob = self.blob();
        T::arbitrary(&mut Unstructured::new(&blob)).ok()
    }
}

#[derive(Default)]
pub struct ScriptWriter {
    bytes: Vec<u8>,
}

impl ScriptWriter {
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    pub fn byte(&mut self, value: u8) {
        self.bytes.push(value);
    }

    /// Several single-byte values in a row.
    pub fn bytes(&mut self, values: &[u8]) {
        self.bytes.extend_from_slice(values);
    }

    pub fn be16(&mut self, value: u16) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    pub fn be32(&mut self, value: u32) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    pub fn flag(&mut self, value: bool) {
        self.byte(u8::from(value));
    }

    /// At most 255 bytes: longer blobs are cut, as a reader would see them.
    pub fn blob(&mut self, blob: &[u8]) {
        let blob = &blob[..blob.len().min(usize::from(u8::MAX))];
        self.byte(blob.len() as u8);
        self.bytes.extend_from_slice(blob);
    }
}

/// A script element with a byte form.
pub trait Encode: Sized {
    fn read(reader: &mut ScriptReader<'_>) -> Self;
    fn write(&self, writer: &mut ScriptWriter);
}

impl<T: Encode> Encode for Vec<T> {
    /// A count byte (at most [`MAX_LIST`] elements), then the elements.
    fn read(reader: &mut ScriptReader<'_>) -> Self {
        let count = reader.byte() % (MAX_LIST + 1);
        (0..count).map(|_| T::read(reader)).collect()
    }

    fn write(&self, writer: &mut ScriptWriter) {
        let count = self.len().min(usize::from(MAX_LIST));
        writer.byte(count as u8);
        self.iter().take(count).for_each(|element| element.write(writer));
    }
}

/// The longest list a script carries (payloads of a forged message, SPIs of
/// a Delete): enough for duplicates and floods, small enough to stay fast.
pub const MAX_LIST: u8 = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exhausted_input_reads_as_zeros_and_blobs_stop_at_the_end() {
        let mut reader = ScriptReader::new(&[0x12, 0x34, 5, 0xaa, 0xbb]);
        assert_eq!(reader.be16(), 0x1234);
        assert_eq!(reader.blob(), vec![0xaa, 0xbb], "a blob of 5 with 2 bytes left");
        assert!(reader.is_empty());
        assert_eq!((reader.byte(), reader.be32(), reader.blob()), (0, 0, Vec::new()));
    }

    #[test]
    fn written_values_read_back() {
        let mut writer = ScriptWriter::default();
        writer.be32(0xdead_beef);
        writer.blob(&[1, 2, 3]);
        writer.flag(true);
        let bytes = writer.into_bytes();
        let mut reader = ScriptReader::new(&bytes);
        assert_eq!((reader.be32(), reader.blob(), reader.flag()), (0xdead_beef, vec![1, 2, 3], true));
    }
}
