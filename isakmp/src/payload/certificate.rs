//! Certificate and Certificate Request payloads (RFC 2408 3.9, 3.10).

use crate::codec::{Reader, Writer};
use crate::error::Error;
use crate::numbers::CertificateEncoding;

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Certificate {
    pub encoding: CertificateEncoding,
    pub data: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct CertificateRequest {
    pub certificate_type: CertificateEncoding,
    pub authority: Vec<u8>,
}

impl Certificate {
    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let encoding = CertificateEncoding(reader.u8("certificate encoding")?);
        Ok(Self { encoding, data: reader.rest().to_vec() })
    }

    pub(crate) fn emit(&self, writer: &mut Writer) {
        writer.u8(self.encoding.0);
        writer.bytes(&self.data);
    }
}

impl CertificateRequest {
    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let certificate_type = CertificateEncoding(reader.u8("certificate type")?);
        Ok(Self { certificate_type, authority: reader.rest().to_vec() })
    }

    pub(crate) fn emit(&self, writer: &mut Writer) {
        writer.u8(self.certificate_type.0);
        writer.bytes(&self.authority);
    }
}
