//! Messages made up from nothing on the cookies of an SA the subject knows:
//! Informational exchanges with every Notify and Delete shape, DPD, Quick
//! Mode fragments, each authentic (a valid HASH) or not.

use serde::{Deserialize, Serialize};

use super::Mutation;
use crate::fuzz::bytes::{Encode, ScriptReader, ScriptWriter};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Forgery {
    /// Which SA's cookies (and peer address): modulo the SAs the subject knows.
    pub sa: u8,
    /// The raw exchange type (5 Informational, 32 Quick Mode ...).
    pub exchange: u8,
    pub message_id: MessageIdChoice,
    pub protection: Protection,
    pub payloads: Vec<Template>,
    /// Applied to the finished message, as to a peer's.
    pub edit: Mutation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageIdChoice {
    Zero,
    /// The message ID of the last datagram a peer sent: a message inside an
    /// exchange in progress.
    Current,
    Value(u32),
}

/// How the made-up message is protected (RFC 2409 5.5, 5.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protection {
    Plain,
    /// Encrypted, no HASH payload.
    NoHash,
    /// Encrypted, HASH first with the value the null PRF gives: authentic.
    ValidHash,
    /// Encrypted, HASH first, right length, wrong value.
    WrongHash,
    /// Encrypted, HASH first, the null PRF's value but cut short.
    ShortHash,
}

/// One payload of a made-up message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Template {
    /// Notify under the IPsec DOI (RFC 2408 3.14).
    Notify {
        notify: u16,
        protocol: u8,
        spi: Spi,
        #[serde(with = "crate::impairment::hex_field")]
        data: Vec<u8>,
    },
    /// Delete under the IPsec DOI (RFC 2408 3.15); SPIs of unequal sizes are
    /// cut or padded to the first one's.
    Delete { protocol: u8, spis: Vec<Spi> },
    /// R-U-THERE or R-U-THERE-ACK on the SA's cookies (RFC 3706 5).
    Dpd { ack: bool, sequence: u32 },
    /// Any payload `arbitrary` makes from the blob.
    Arbitrary(#[serde(with = "crate::impairment::hex_field")] Vec<u8>),
}

/// An SPI worth naming: the SA's own cookies, an SPI of an IPsec SA the
/// subject has, or raw bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Spi {
    IkeCookies,
    /// The subject's inbound SPI of its n-th IPsec SA (modulo their number).
    Inbound(u8),
    /// The subject's outbound SPI (the peer's inbound one) of its n-th IPsec SA.
    Outbound(u8),
    Raw(#[serde(with = "crate::impairment::hex_field")] Vec<u8>),
}

impl Encode for Forgery {
    fn read(reader: &mut ScriptReader<'_>) -> Self {
        Self {
            sa: reader.byte(),
            exchange: reader.byte(),
            message_id: MessageIdChoice::read(reader),
            protection: Protection::read(reader),
            payloads: Vec::read(reader),
            edit: Mutation::read(reader),
        }
    }

    fn write(&self, writer: &mut ScriptWriter) {
        writer.bytes(&[self.sa, self.exchange]);
        self.message_id.write(writer);
        self.protection.write(writer);
        self.payloads.write(writer);
        self.edit.write(writer);
    }
}

impl Encode for MessageIdChoice {
    fn read(reader: &mut ScriptReader<'_>) -> Self {
        match reader.choice(3) {
            0 => Self::Zero,
            1 => Self::Current,
            _ => Self::Value(reader.be32()),
        }
    }

    fn write(&self, writer: &mut ScriptWriter) {
        match self {
            Self::Zero => writer.byte(0),
            Self::Current => writer.byte(1),
            Self::Value(id) => {
                writer.byte(2);
                writer.be32(*id);
            }
        }
    }
}

impl Encode for Protection {
    fn read(reader: &mut ScriptReader<'_>) -> Self {
        match reader.choice(5) {
            0 => Self::Plain,
            1 => Self::NoHash,
            2 => Self::ValidHash,
            3 => Self::WrongHash,
            _ => Self::ShortHash,
        }
    }

    fn write(&self, writer: &mut ScriptWriter) {
        writer.byte(*self as u8);
    }
}

impl Encode for Template {
    fn read(reader: &mut ScriptReader<'_>) -> Self {
        match reader.choice(4) {
            0 => Self::Notify {
                notify: reader.be16(),
                protocol: reader.byte(),
                spi: Spi::read(reader),
                data: reader.blob(),
            },
            1 => Self::Delete { protocol: reader.byte(), spis: Vec::read(reader) },
            2 => Self::Dpd { ack: reader.flag(), sequence: reader.be32() },
            _ => Self::Arbitrary(reader.blob()),
        }
    }

    fn write(&self, writer: &mut ScriptWriter) {
        match self {
            Self::Notify { notify, protocol, spi, data } => {
                writer.byte(0);
                writer.be16(*notify);
                writer.byte(*protocol);
                spi.write(writer);
                writer.blob(data);
            }
            Self::Delete { protocol, spis } => {
                writer.bytes(&[1, *protocol]);
                spis.write(writer);
            }
            Self::Dpd { ack, sequence } => {
                writer.byte(2);
                writer.flag(*ack);
                writer.be32(*sequence);
            }
            Self::Arbitrary(blob) => {
                writer.byte(3);
                writer.blob(blob);
            }
        }
    }
}

impl Encode for Spi {
    fn read(reader: &mut ScriptReader<'_>) -> Self {
        match reader.choice(4) {
            0 => Self::IkeCookies,
            1 => Self::Inbound(reader.byte()),
            2 => Self::Outbound(reader.byte()),
            _ => Self::Raw(reader.blob()),
        }
    }

    fn write(&self, writer: &mut ScriptWriter) {
        match self {
            Self::IkeCookies => writer.byte(0),
            Self::Inbound(index) => writer.bytes(&[1, *index]),
            Self::Outbound(index) => writer.bytes(&[2, *index]),
            Self::Raw(bytes) => {
                writer.byte(3);
                writer.blob(bytes);
            }
        }
    }
}
