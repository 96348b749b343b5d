//! The IANA registries of IKEv1, each an open registry.

mod attributes;
mod certificate;
mod doi;
mod exchange;
mod identification;
mod notify;
mod payload_type;
mod transform;

pub use attributes::{
    AuthenticationAlgorithm, AuthenticationMethod, EncapsulationMode, EncryptionAlgorithm, GroupDescription,
    GroupType, HashAlgorithm, IpsecAttributeType, LifeType, Phase1AttributeType,
};
pub use certificate::CertificateEncoding;
pub use doi::{Doi, ProtocolId, Situation};
pub use exchange::ExchangeType;
pub use identification::IdType;
pub use notify::NotifyType;
pub use payload_type::PayloadType;
pub use transform::{AhTransformId, EspTransformId, IpcompTransformId, IsakmpTransformId};
