//! The pre-shared key keyring, as IOS `crypto keyring` / `crypto isakmp key`.
//!
//! In Main Mode the responder must pick the key before it learns the peer's
//! identity (MM5 is encrypted with keys derived from it), so it looks up by
//! address; Aggressive Mode carries the identity in the first message and can
//! look up by ID. A wildcard entry matches any peer.

use std::net::IpAddr;

use isakmp::payload::Identity;
use serde::{Deserialize, Serialize};

use super::IdentityConfig;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyring {
    #[serde(default)]
    pub entries: Vec<PskEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PskEntry {
    pub peer: PeerSelector,
    pub secret: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerSelector {
    /// IOS `crypto isakmp key X address A`.
    Address(IpAddr),
    /// IOS `crypto isakmp key X hostname H`, or an FQDN/USER_FQDN identity.
    Identity(IdentityConfig),
    /// IOS `address 0.0.0.0 0.0.0.0`.
    Any,
}

impl Keyring {
    pub fn with(mut self, peer: PeerSelector, secret: &str) -> Self {
        self.entries.push(PskEntry { peer, secret: secret.to_owned() });
        self
    }

    /// The key for a peer: its address first, then its identity (when
    /// known), then the wildcard.
    pub fn lookup(&self, address: IpAddr, identity: Option<&Identity>) -> Option<&str> {
        let by = |wanted: &dyn Fn(&PeerSelector) -> bool| {
            self.entries.iter().find(|entry| wanted(&entry.peer)).map(|entry| entry.secret.as_str())
        };
        by(&|peer| *peer == PeerSelector::Address(address))
            .or_else(|| {
                identity.and_then(|id| by(&|peer| matches!(peer, PeerSelector::Identity(c) if c.matches(id))))
            })
            .or_else(|| by(&|peer| *peer == PeerSelector::Any))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_beats_identity_beats_wildcard() {
        let peer: IpAddr = "192.0.2.2".parse().unwrap();
        let fqdn = IdentityConfig::Fqdn("b.example".into());
        let keyring = Keyring::default()
            .with(PeerSelector::Any, "wild")
            .with(PeerSelector::Identity(fqdn.clone()), "by-id")
            .with(PeerSelector::Address(peer), "by-address");
        assert_eq!(keyring.lookup(peer, None), Some("by-address"));
        let other: IpAddr = "192.0.2.9".parse().unwrap();
        assert_eq!(keyring.lookup(other, Some(&fqdn.to_identity())), Some("by-id"));
        assert_eq!(keyring.lookup(other, None), Some("wild"));
        assert_eq!(Keyring::default().lookup(other, None), None);
    }
}
