//! The script encoding of a [`Mutation`]: how a fuzz input names the way a
//! datagram is changed on its way to the subject.

use crate::fuzz::bytes::{Encode, ScriptReader, ScriptWriter};
pub use crate::impairment::mutation::{HeaderField, Mutation, PayloadEdit};

impl Encode for Mutation {
    fn read(reader: &mut ScriptReader<'_>) -> Self {
        match reader.choice(7) {
            0 => Self::None,
            1 => Self::FlipBit { at: reader.be16(), bit: reader.byte() },
            2 => Self::SetByte { at: reader.be16(), value: reader.byte() },
            3 => Self::Truncate { keep: reader.be16() },
            4 => Self::Append(reader.blob()),
            5 => Self::Header { field: HeaderField::read(reader), value: reader.be32() },
            _ => Self::Payload(PayloadEdit::read(reader)),
        }
    }

    fn write(&self, writer: &mut ScriptWriter) {
        match self {
            Self::None => writer.byte(0),
            Self::FlipBit { at, bit } => {
                writer.byte(1);
                writer.be16(*at);
                writer.byte(*bit);
            }
            Self::SetByte { at, value } => {
                writer.byte(2);
                writer.be16(*at);
                writer.byte(*value);
            }
            Self::Truncate { keep } => {
                writer.byte(3);
                writer.be16(*keep);
            }
            Self::Append(bytes) => {
                writer.byte(4);
                writer.blob(bytes);
            }
            Self::Header { field, value } => {
                writer.byte(5);
                field.write(writer);
                writer.be32(*value);
            }
            Self::Payload(edit) => {
                writer.byte(6);
                edit.write(writer);
            }
        }
    }
}

impl Encode for HeaderField {
    fn read(reader: &mut ScriptReader<'_>) -> Self {
        match reader.choice(8) {
            0 => Self::Exchange,
            1 => Self::Flags,
            2 => Self::MessageId,
            3 => Self::Version,
            4 => Self::NextPayload,
            5 => Self::InitiatorCookie,
            6 => Self::ResponderCookie,
            _ => Self::Length,
        }
    }

    fn write(&self, writer: &mut ScriptWriter) {
        writer.byte(*self as u8);
    }
}

impl Encode for PayloadEdit {
    fn read(reader: &mut ScriptReader<'_>) -> Self {
        match reader.choice(11) {
            0 => Self::Remove(reader.byte()),
            1 => Self::Duplicate(reader.byte()),
            2 => Self::Swap(reader.byte(), reader.byte()),
            3 => Self::Insert { at: reader.byte(), blob: reader.blob() },
            4 => Self::Replace { at: reader.byte(), blob: reader.blob() },
            5 => Self::Truncate { payload: reader.byte(), keep: reader.be16() },
            6 => Self::Zero(reader.byte()),
            7 => Self::Attribute {
                payload: reader.byte(),
                proposal: reader.byte(),
                transform: reader.byte(),
                attribute: reader.byte(),
                value: reader.be16(),
            },
            8 => Self::Patch { payload: reader.byte(), offset: reader.byte(), value: reader.byte() },
            9 => Self::Length { payload: reader.byte(), value: reader.be16() },
            _ => Self::Padding(reader.blob()),
        }
    }

    fn write(&self, writer: &mut ScriptWriter) {
        match self {
            Self::Remove(at) => writer.bytes(&[0, *at]),
            Self::Duplicate(at) => writer.bytes(&[1, *at]),
            Self::Swap(a, b) => {
                writer.byte(2);
                writer.byte(*a);
                writer.byte(*b);
            }
            Self::Insert { at, blob } => {
                writer.bytes(&[3, *at]);
                writer.blob(blob);
            }
            Self::Replace { at, blob } => {
                writer.bytes(&[4, *at]);
                writer.blob(blob);
            }
            Self::Truncate { payload, keep } => {
                writer.byte(5);
                writer.byte(*payload);
                writer.be16(*keep);
            }
            Self::Zero(at) => writer.bytes(&[6, *at]),
            Self::Attribute { payload, proposal, transform, attribute, value } => {
                writer.byte(7);
                writer.bytes(&[*payload, *proposal, *transform, *attribute]);
                writer.be16(*value);
            }
            Self::Patch { payload, offset, value } => {
                writer.byte(8);
                writer.bytes(&[*payload, *offset, *value]);
            }
            Self::Length { payload, value } => {
                writer.byte(9);
                writer.byte(*payload);
                writer.be16(*value);
            }
            Self::Padding(bytes) => {
                writer.byte(10);
                writer.blob(bytes);
            }
        }
    }
}
