//! The IKE fragmentation payload (type 132), as Cisco, strongSwan and
//! Libreswan send it for IKEv1. The fragment data stays opaque here;
//! reassembly belongs to the engine.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !          Fragment ID          !  Fragment #   !     Flags     !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                         Fragment Data                         ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use crate::codec::{Reader, Writer};
use crate::error::Error;

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Fragment {
    pub id: u16,
    pub number: u8,
    pub flags: u8,
    pub data: Vec<u8>,
}

impl Fragment {
    /// Flag bit marking the last fragment of a message.
    pub const LAST: u8 = 0x01;

    pub fn is_last(&self) -> bool {
        self.flags & Self::LAST != 0
    }

    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let id = reader.u16("fragment id")?;
        let number = reader.u8("fragment number")?;
        let flags = reader.u8("fragment flags")?;
        Ok(Self { id, number, flags, data: reader.rest().to_vec() })
    }

    pub(crate) fn emit(&self, writer: &mut Writer) {
        writer.u16(self.id);
        writer.u8(self.number);
        writer.u8(self.flags);
        writer.bytes(&self.data);
    }
}
