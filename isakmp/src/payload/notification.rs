//! Notification payload (RFC 2408 3.14, RFC 2407 4.6.3, RFC 3706).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !              Domain of Interpretation  (DOI)                  !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !  Protocol-ID  !   SPI Size    !      Notify Message Type      !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                Security Parameter Index (SPI)                 ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                       Notification Data                       ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use crate::attribute::Attribute;
use crate::codec::{Reader, Writer, fits};
use crate::error::{EmitError, Error};
use crate::numbers::{Doi, NotifyType, ProtocolId};

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Notification {
    pub doi: Doi,
    pub protocol: ProtocolId,
    pub notify_type: NotifyType,
    pub spi: Vec<u8>,
    pub data: Vec<u8>,
}

impl Notification {
    /// A notification under the IPsec DOI.
    pub fn ipsec(protocol: ProtocolId, notify_type: NotifyType, spi: Vec<u8>, data: Vec<u8>) -> Self {
        Self { doi: Doi::IPSEC, protocol, notify_type, spi, data }
    }

    /// The DPD sequence number of an R-U-THERE or R-U-THERE-ACK (RFC 3706 5).
    pub fn dpd_sequence(&self) -> Option<u32> {
        let is_dpd = matches!(self.notify_type, NotifyType::R_U_THERE | NotifyType::R_U_THERE_ACK);
        let bytes: [u8; 4] = self.data.as_slice().try_into().ok()?;
        is_dpd.then(|| u32::from_be_bytes(bytes))
    }

    /// The attributes of a RESPONDER-LIFETIME (RFC 2407 4.6.3.1), read from
    /// the data, whose offset in the datagram is `data_offset`.
    pub fn lifetime_attributes(&self, data_offset: usize) -> Result<Vec<Attribute>, Error> {
        Attribute::parse_all(&mut Reader::at(&self.data, data_offset))
    }

    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let doi = Doi(reader.u32("DOI")?);
        let protocol = ProtocolId(reader.u8("protocol id")?);
        let spi_size = reader.u8("SPI size")?;
        let notify_type = NotifyType(reader.u16("notify message type")?);
        let spi = reader.bytes(usize::from(spi_size), "SPI")?.to_vec();
        let data = reader.rest().to_vec();
        Ok(Self { doi, protocol, notify_type, spi, data })
    }

    pub(crate) fn emit(&self, writer: &mut Writer) -> Result<(), EmitError> {
        writer.u32(self.doi.0);
        writer.u8(self.protocol.0);
        writer.u8(fits(self.spi.len(), "SPI size")?);
        writer.u16(self.notify_type.0);
        writer.bytes(&self.spi);
        writer.bytes(&self.data);
        Ok(())
    }
}
