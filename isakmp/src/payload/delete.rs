//! Delete payload (RFC 2408 3.15).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !              Domain of Interpretation  (DOI)                  !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !  Protocol-Id  !   SPI Size    !           # of SPIs           !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~               Security Parameter Index(es) (SPI)              ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use crate::codec::{Reader, Writer};
use crate::error::{Error, ErrorKind};
use crate::numbers::{Doi, ProtocolId};

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Delete {
    pub doi: Doi,
    pub protocol: ProtocolId,
    pub spis: SpiList,
}

/// `count` SPIs of `size` bytes each, stored back to back.
///
/// The count is kept even when the size is zero (a degenerate but parseable
/// Delete), so a huge count never turns into a huge allocation
/// (CVE-2004-0183 sent exactly that).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SpiList {
    size: u8,
    count: u16,
    bytes: Vec<u8>,
}

impl SpiList {
    /// SPIs of equal size; `None` if they differ in size or exceed the counts.
    pub fn new<'a>(spis: impl IntoIterator<Item = &'a [u8]>) -> Option<Self> {
        let mut list = Self::default();
        for (index, spi) in spis.into_iter().enumerate() {
            if index == 0 {
                list.size = u8::try_from(spi.len()).ok()?;
            } else if spi.len() != usize::from(list.size) {
                return None;
            }
            list.count = list.count.checked_add(1)?;
            list.bytes.extend_from_slice(spi);
        }
        Some(list)
    }

    /// `count` zero-length SPIs.
    pub fn empty_spis(count: u16) -> Self {
        Self { size: 0, count, bytes: Vec::new() }
    }

    pub fn size(&self) -> u8 {
        self.size
    }

    pub fn count(&self) -> u16 {
        self.count
    }

    /// The SPIs (nothing when the size is zero).
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.bytes.chunks_exact(usize::from(self.size.max(1))).take(usize::from(self.count))
    }
}

impl Delete {
    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let doi = Doi(reader.u32("DOI")?);
        let protocol = ProtocolId(reader.u8("protocol id")?);
        let size = reader.u8("SPI size")?;
        let count_at = reader.offset();
        let count = reader.u16("number of SPIs")?;
        let expected = usize::from(size) * usize::from(count);
        if reader.remaining() != expected {
            return Err(Error::new(
                count_at,
                ErrorKind::CountMismatch {
                    field: "number of SPIs times SPI size",
                    declared: expected,
                    found: reader.remaining(),
                },
            ));
        }
        let bytes = reader.rest().to_vec();
        Ok(Self { doi, protocol, spis: SpiList { size, count, bytes } })
    }

    pub(crate) fn emit(&self, writer: &mut Writer) {
        writer.u32(self.doi.0);
        writer.u8(self.protocol.0);
        writer.u8(self.spis.size);
        writer.u16(self.spis.count);
        writer.bytes(&self.spis.bytes);
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for SpiList {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let size = u.int_in_range(0..=16u8)?;
        if size == 0 {
            return Ok(Self::empty_spis(u.arbitrary()?));
        }
        let count = u.int_in_range(0..=8u16)?;
        let bytes = u.bytes(usize::from(size) * usize::from(count))?.to_vec();
        Ok(Self { size, count, bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_spi_count_with_no_spis_is_refused_without_allocating() {
        // CVE-2004-0183 shape: SPI size 4, 65535 SPIs, none present.
        let body = [0, 0, 0, 1, 3, 4, 0xff, 0xff];
        let err = Delete::parse(&mut Reader::new(&body)).unwrap_err();
        assert_eq!(err.offset, 6);
    }

    #[test]
    fn isakmp_sa_delete_carries_both_cookies_as_one_spi() {
        let mut body = vec![0, 0, 0, 1, 1, 16, 0, 1];
        body.extend(1..=16u8);
        let delete = Delete::parse(&mut Reader::new(&body)).unwrap();
        let spis: Vec<&[u8]> = delete.spis.iter().collect();
        assert_eq!(spis, vec![&body[8..]]);
    }
}
