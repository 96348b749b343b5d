//! NAT-T payloads: NAT-D (RFC 3947 3.2) and NAT-OA (RFC 3947 5.2), under the
//! RFC numbers 20/21 or the draft numbers 130/131 that older peers still send.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::codec::{Reader, Writer};
use crate::error::{Error, ErrorKind};
use crate::numbers::{IdType, PayloadType};

/// Which payload numbers a NAT-T payload travels under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum NatTNumbering {
    /// RFC 3947: NAT-D 20, NAT-OA 21.
    Rfc3947,
    /// draft-ietf-ipsec-nat-t-ike-02/03: NAT-D 130, NAT-OA 131.
    Draft,
}

impl NatTNumbering {
    pub fn nat_d_type(self) -> PayloadType {
        match self {
            Self::Rfc3947 => PayloadType::NAT_D,
            Self::Draft => PayloadType::NAT_D_DRAFT,
        }
    }

    pub fn nat_oa_type(self) -> PayloadType {
        match self {
            Self::Rfc3947 => PayloadType::NAT_OA,
            Self::Draft => PayloadType::NAT_OA_DRAFT,
        }
    }
}

/// NAT-D: HASH(CKY-I | CKY-R | IP | Port) of one end (RFC 3947 3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct NatDiscovery {
    pub numbering: NatTNumbering,
    pub hash: Vec<u8>,
}

impl NatDiscovery {
    pub(crate) fn parse(numbering: NatTNumbering, reader: &mut Reader<'_>) -> Self {
        Self { numbering, hash: reader.rest().to_vec() }
    }

    pub(crate) fn emit(&self, writer: &mut Writer) {
        writer.bytes(&self.hash);
    }
}

/// NAT-OA: the original address of the sender (RFC 3947 5.2).
///
/// ```text
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// !    ID Type    !   RESERVED    !            RESERVED           !
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// !         IPv4 (4 octets) or IPv6 address (16 octets)           !
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct NatOriginalAddress {
    pub numbering: NatTNumbering,
    pub reserved: [u8; 3],
    pub address: IpAddr,
}

impl NatOriginalAddress {
    pub(crate) fn parse(numbering: NatTNumbering, reader: &mut Reader<'_>) -> Result<Self, Error> {
        let id_type = IdType(reader.u8("ID type")?);
        let reserved = reader.array("reserved")?;
        let address_at = reader.offset();
        let data = reader.rest();
        let address = match (id_type, data.len()) {
            (IdType::IPV4_ADDR, 4) => IpAddr::V4(Ipv4Addr::new(data[0], data[1], data[2], data[3])),
            (IdType::IPV6_ADDR, 16) => {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(data);
                IpAddr::V6(Ipv6Addr::from(octets))
            }
            _ => {
                return Err(Error::new(
                    address_at,
                    ErrorKind::BadIdentification { id_type: id_type.0, length: data.len() },
                ));
            }
        };
        Ok(Self { numbering, reserved, address })
    }

    pub(crate) fn emit(&self, writer: &mut Writer) {
        match self.address {
            IpAddr::V4(address) => {
                writer.u8(IdType::IPV4_ADDR.0);
                writer.bytes(&self.reserved);
                writer.bytes(&address.octets());
            }
            IpAddr::V6(address) => {
                writer.u8(IdType::IPV6_ADDR.0);
                writer.bytes(&self.reserved);
                writer.bytes(&address.octets());
            }
        }
    }
}
