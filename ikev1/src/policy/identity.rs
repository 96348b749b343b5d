//! Phase 1 identities (RFC 2407 4.6.2): what we send in IDii/IDir and what we
//! expect from the peer.

use core::fmt;
use std::net::IpAddr;

use isakmp::payload::Identity;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum IdentityConfig {
    /// ID_IPV4_ADDR / ID_IPV6_ADDR.
    Address(IpAddr),
    /// ID_FQDN, e.g. `vpn.example`.
    Fqdn(String),
    /// ID_USER_FQDN, e.g. `alice@example.org`.
    UserFqdn(String),
}

impl IdentityConfig {
    pub fn to_identity(&self) -> Identity {
        match self {
            Self::Address(IpAddr::V4(address)) => Identity::Ipv4(*address),
            Self::Address(IpAddr::V6(address)) => Identity::Ipv6(*address),
            Self::Fqdn(name) => Identity::Fqdn(name.as_bytes().to_vec()),
            Self::UserFqdn(name) => Identity::UserFqdn(name.as_bytes().to_vec()),
        }
    }

    /// Whether a received identity is this one.
    pub fn matches(&self, identity: &Identity) -> bool {
        self.to_identity() == *identity
    }
}

/// As strongSwan writes identities: `192.0.2.1`, `@vpn.example`, `alice@example.org`.
impl fmt::Display for IdentityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Address(address) => write!(f, "{address}"),
            Self::Fqdn(name) => write!(f, "@{name}"),
            Self::UserFqdn(name) => f.write_str(name),
        }
    }
}
