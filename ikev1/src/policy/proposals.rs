//! IKE (Phase 1) and ESP (Phase 2) proposals, writable in the compact
//! strongSwan notation (`aes128-sha256-modp2048`, `aes128gcm16`) that both
//! peers' configuration files use.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use super::algorithms::{DhGroup, EspCipher, EspIntegrityAlgorithm, IkeCipher, IkeHash};

/// Default ISAKMP SA lifetime of Cisco IOS and RFC 2407's suggestion: one day.
pub const DEFAULT_IKE_LIFETIME_SECS: u32 = 86_400;

/// One ISAKMP policy, as IOS `crypto isakmp policy <priority>`: lower
/// priority numbers are preferred.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IkeProposal {
    #[serde(default)]
    pub priority: u16,
    pub cipher: IkeCipher,
    pub hash: IkeHash,
    pub group: DhGroup,
    #[serde(default = "default_ike_lifetime")]
    pub lifetime_secs: u32,
}

fn default_ike_lifetime() -> u32 {
    DEFAULT_IKE_LIFETIME_SECS
}

impl IkeProposal {
    pub fn new(cipher: IkeCipher, hash: IkeHash, group: DhGroup) -> Self {
        Self { priority: 0, cipher, hash, group, lifetime_secs: DEFAULT_IKE_LIFETIME_SECS }
    }

    pub fn with_priority(mut self, priority: u16) -> Self {
        self.priority = priority;
        self
    }

    pub fn with_lifetime(mut self, seconds: u32) -> Self {
        self.lifetime_secs = seconds;
        self
    }

    /// Whether the algorithms (not the lifetime) are the same.
    pub fn same_algorithms(&self, other: &Self) -> bool {
        (self.cipher, self.hash, self.group) == (other.cipher, other.hash, other.group)
    }
}

/// `aes128-sha256-modp2048`
impl fmt::Display for IkeProposal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.cipher.token(), self.hash.token(), self.group.token())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalParseError(pub String);

impl fmt::Display for ProposalParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a proposal: {}", self.0)
    }
}

impl std::error::Error for ProposalParseError {}

fn token<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str, text: &str) -> Option<T> {
    all.iter().copied().find(|candidate| name(*candidate) == text)
}

impl FromStr for IkeProposal {
    type Err = ProposalParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ProposalParseError(text.to_owned());
        let parts: Vec<&str> = text.split('-').collect();
        let [cipher, hash, group] = parts.as_slice() else { return Err(error()) };
        Ok(Self::new(
            token(&IkeCipher::ALL, IkeCipher::token, cipher).ok_or_else(error)?,
            token(&IkeHash::ALL, IkeHash::token, hash).ok_or_else(error)?,
            token(&DhGroup::ALL, DhGroup::token, group).ok_or_else(error)?,
        ))
    }
}

/// One ESP transform, as an IOS transform set (`esp-aes esp-sha256-hmac`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EspProposal {
    pub cipher: EspCipher,
    /// None for AEAD ciphers, which authenticate by themselves (RFC 4106).
    #[serde(default)]
    pub integrity: Option<EspIntegrityAlgorithm>,
}

/// `aes128-sha256` or `aes128gcm16`
impl fmt::Display for EspProposal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.cipher.token())?;
        if let Some(integrity) = self.integrity {
            write!(f, "-{}", integrity.token())?;
        }
        Ok(())
    }
}

impl FromStr for EspProposal {
    type Err = ProposalParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ProposalParseError(text.to_owned());
        let mut parts = text.split('-');
        let cipher =
            token(&EspCipher::ALL, EspCipher::token, parts.next().ok_or_else(error)?).ok_or_else(error)?;
        let integrity = parts
            .next()
            .map(|name| {
                token(&EspIntegrityAlgorithm::ALL, EspIntegrityAlgorithm::token, name).ok_or_else(error)
            })
            .transpose()?;
        if parts.next().is_some() || cipher.is_aead() == integrity.is_some() {
            return Err(error());
        }
        Ok(Self { cipher, integrity })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_notation_round_trips() {
        let ike: IkeProposal = "aes256-sha1-modp1024".parse().unwrap();
        assert_eq!((ike.cipher, ike.hash, ike.group), (IkeCipher::Aes256, IkeHash::Sha1, DhGroup::Modp1024));
        assert_eq!(ike.lifetime_secs, 86_400);
        assert_eq!(ike.to_string(), "aes256-sha1-modp1024");
        for esp in ["aes128-sha256", "3des-sha1", "aes256gcm16"] {
            assert_eq!(esp.parse::<EspProposal>().unwrap().to_string(), esp);
        }
        assert!("aes128gcm16-sha1".parse::<EspProposal>().is_err());
        assert!("aes128".parse::<EspProposal>().is_err());
        assert!("aes128-sha256".parse::<IkeProposal>().is_err());
    }
}
