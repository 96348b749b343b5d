//! Identification payload (RFC 2408 3.8, RFC 2407 4.6.2).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !   ID Type     !  Protocol ID  !             Port              !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                     Identification Data                       ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::codec::{Reader, Writer};
use crate::error::{EmitError, Error, ErrorKind};
use crate::numbers::IdType;

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Identification {
    /// IP protocol (RFC 2407 4.6.2: 0 means any; Phase 1 uses 0 or 17).
    pub protocol: u8,
    /// Port (0 means any; Phase 1 uses 0 or 500).
    pub port: u16,
    pub identity: Identity,
}

/// The identification data, typed by ID type (RFC 2407 4.6.2.2-4.6.2.12).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Identity {
    Ipv4(Ipv4Addr),
    Fqdn(Vec<u8>),
    UserFqdn(Vec<u8>),
    Ipv4Subnet {
        address: Ipv4Addr,
        mask: Ipv4Addr,
    },
    Ipv6(Ipv6Addr),
    Ipv6Subnet {
        address: Ipv6Addr,
        mask: Ipv6Addr,
    },
    Ipv4Range {
        start: Ipv4Addr,
        end: Ipv4Addr,
    },
    Ipv6Range {
        start: Ipv6Addr,
        end: Ipv6Addr,
    },
    DerAsn1Dn(Vec<u8>),
    DerAsn1Gn(Vec<u8>),
    KeyId(Vec<u8>),
    /// A type this crate does not interpret; must not be one it does.
    Other {
        id_type: IdType,
        data: Vec<u8>,
    },
}

impl Identity {
    pub fn id_type(&self) -> IdType {
        match self {
            Self::Ipv4(_) => IdType::IPV4_ADDR,
            Self::Fqdn(_) => IdType::FQDN,
            Self::UserFqdn(_) => IdType::USER_FQDN,
            Self::Ipv4Subnet { .. } => IdType::IPV4_ADDR_SUBNET,
            Self::Ipv6(_) => IdType::IPV6_ADDR,
            Self::Ipv6Subnet { .. } => IdType::IPV6_ADDR_SUBNET,
            Self::Ipv4Range { .. } => IdType::IPV4_ADDR_RANGE,
            Self::Ipv6Range { .. } => IdType::IPV6_ADDR_RANGE,
            Self::DerAsn1Dn(_) => IdType::DER_ASN1_DN,
            Self::DerAsn1Gn(_) => IdType::DER_ASN1_GN,
            Self::KeyId(_) => IdType::KEY_ID,
            Self::Other { id_type, .. } => *id_type,
        }
    }

    /// Reads identification data of type `id_type`, which must fill `data`.
    pub fn decode(id_type: IdType, data: &[u8], offset: usize) -> Result<Self, Error> {
        let wrong_length =
            || Error::new(offset, ErrorKind::BadIdentification { id_type: id_type.0, length: data.len() });
        let v4 = |bytes: &[u8]| Ipv4Addr::from(<[u8; 4]>::try_from(bytes).unwrap_or_default());
        let v6 = |bytes: &[u8]| Ipv6Addr::from(<[u8; 16]>::try_from(bytes).unwrap_or_default());
        let expect = |length: usize| {
            if data.len() == length { Ok(()) } else { Err(wrong_length()) }
        };
        Ok(match id_type {
            IdType::IPV4_ADDR => {
                expect(4)?;
                Self::Ipv4(v4(data))
            }
            IdType::IPV4_ADDR_SUBNET => {
                expect(8)?;
                Self::Ipv4Subnet { address: v4(&data[..4]), mask: v4(&data[4..]) }
            }
            IdType::IPV4_ADDR_RANGE => {
                expect(8)?;
                Self::Ipv4Range { start: v4(&data[..4]), end: v4(&data[4..]) }
            }
            IdType::IPV6_ADDR => {
                expect(16)?;
                Self::Ipv6(v6(data))
            }
            IdType::IPV6_ADDR_SUBNET => {
                expect(32)?;
                Self::Ipv6Subnet { address: v6(&data[..16]), mask: v6(&data[16..]) }
            }
            IdType::IPV6_ADDR_RANGE => {
                expect(32)?;
                Self::Ipv6Range { start: v6(&data[..16]), end: v6(&data[16..]) }
            }
            IdType::FQDN => Self::Fqdn(data.to_vec()),
            IdType::USER_FQDN => Self::UserFqdn(data.to_vec()),
            IdType::DER_ASN1_DN => Self::DerAsn1Dn(data.to_vec()),
            IdType::DER_ASN1_GN => Self::DerAsn1Gn(data.to_vec()),
            IdType::KEY_ID => Self::KeyId(data.to_vec()),
            other => Self::Other { id_type: other, data: data.to_vec() },
        })
    }

    /// The identification data as it goes on the wire.
    pub fn encode(&self, writer: &mut Writer) -> Result<(), EmitError> {
        match self {
            Self::Ipv4(address) => writer.bytes(&address.octets()),
            Self::Ipv6(address) => writer.bytes(&address.octets()),
            Self::Ipv4Subnet { address: first, mask: second }
            | Self::Ipv4Range { start: first, end: second } => {
                writer.bytes(&first.octets());
                writer.bytes(&second.octets());
            }
            Self::Ipv6Subnet { address: first, mask: second }
            | Self::Ipv6Range { start: first, end: second } => {
                writer.bytes(&first.octets());
                writer.bytes(&second.octets());
            }
            Self::Fqdn(data)
            | Self::UserFqdn(data)
            | Self::DerAsn1Dn(data)
            | Self::DerAsn1Gn(data)
            | Self::KeyId(data) => writer.bytes(data),
            Self::Other { id_type, data } => {
                if IdType::KNOWN.contains(id_type) {
                    return Err(EmitError::Inconsistent {
                        what: "an uninterpreted identity carries a known ID type",
                    });
                }
                writer.bytes(data);
            }
        }
        Ok(())
    }
}

impl Identification {
    /// An identification with protocol and port left as "any".
    pub fn new(identity: Identity) -> Self {
        Self { protocol: 0, port: 0, identity }
    }

    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let id_type = IdType(reader.u8("ID type")?);
        let protocol = reader.u8("protocol id")?;
        let port = reader.u16("port")?;
        let offset = reader.offset();
        let identity = Identity::decode(id_type, reader.rest(), offset)?;
        Ok(Self { protocol, port, identity })
    }

    pub(crate) fn emit(&self, writer: &mut Writer) -> Result<(), EmitError> {
        writer.u8(self.identity.id_type().0);
        writer.u8(self.protocol);
        writer.u16(self.port);
        self.identity.encode(writer)
    }
}

impl core::fmt::Display for Identity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        match self {
            Self::Ipv4(address) => write!(f, "{address}"),
            Self::Ipv6(address) => write!(f, "{address}"),
            Self::Ipv4Subnet { address, mask } => write!(f, "{address}/{mask}"),
            Self::Ipv6Subnet { address, mask } => write!(f, "{address}/{mask}"),
            Self::Ipv4Range { start, end } => write!(f, "{start}-{end}"),
            Self::Ipv6Range { start, end } => write!(f, "{start}-{end}"),
            Self::Fqdn(name) | Self::UserFqdn(name) => f.write_str(&text(name)),
            Self::DerAsn1Dn(data) | Self::DerAsn1Gn(data) | Self::KeyId(data) => crate::hex::write(f, data),
            Self::Other { data, .. } => crate::hex::write(f, data),
        }
    }
}
