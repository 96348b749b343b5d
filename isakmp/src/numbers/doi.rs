use crate::registry::open_registry;

open_registry! {
    /// Domain of Interpretation (RFC 2408 A.2, RFC 2407 4.2, RFC 3547 for GDOI).
    pub struct Doi(u32) {
        ISAKMP = 0 => "ISAKMP",
        IPSEC = 1 => "IPsec",
        GDOI = 2 => "GDOI",
    }
}

open_registry! {
    /// Security protocol identifiers (RFC 2408 A.3, RFC 2407 4.4.1).
    pub struct ProtocolId(u8) {
        RESERVED = 0 => "RESERVED",
        ISAKMP = 1 => "PROTO_ISAKMP",
        AH = 2 => "PROTO_IPSEC_AH",
        ESP = 3 => "PROTO_IPSEC_ESP",
        IPCOMP = 4 => "PROTO_IPCOMP",
    }
}

/// The IPsec DOI situation bitmap (RFC 2407 4.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Situation(pub u32);

impl Situation {
    pub const IDENTITY_ONLY: Self = Self(0x01);
    pub const SECRECY: Self = Self(0x02);
    pub const INTEGRITY: Self = Self(0x04);

    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether a Labeled Domain Identifier follows the bitmap (RFC 2407 4.2).
    pub fn has_labeled_domain(self) -> bool {
        self.0 & (Self::SECRECY.0 | Self::INTEGRITY.0) != 0
    }

    /// Bits that RFC 2407 4.2 leaves unassigned (CVE-2015-3204 territory).
    pub fn unassigned_bits(self) -> u32 {
        self.0 & !0x07
    }
}

impl core::fmt::Debug for Situation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Situation({:#010x})", self.0)
    }
}

impl core::fmt::Display for Situation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:#010x}", self.0)?;
        let names: Vec<&str> = [
            (Self::IDENTITY_ONLY, "SIT_IDENTITY_ONLY"),
            (Self::SECRECY, "SIT_SECRECY"),
            (Self::INTEGRITY, "SIT_INTEGRITY"),
        ]
        .into_iter()
        .filter(|(bit, _)| self.contains(*bit))
        .map(|(_, name)| name)
        .collect();
        if !names.is_empty() {
            write!(f, " ({})", names.join("|"))?;
        }
        Ok(())
    }
}
