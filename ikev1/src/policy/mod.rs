//! The policy model, shared with `peers` (which renders strongSwan and
//! Libreswan configurations from it) and with the scenarios of `harness`.
//!
//! The shape follows what IPsec engineers configure on Cisco IOS: ordered
//! ISAKMP policies (`crypto isakmp policy 10/20/30`), transform sets, a PSK
//! keyring by peer address or identity, PFS and lifetimes per crypto map
//! entry, plus the knobs interop testing needs (responder choice rule,
//! lifetime rule, NAT-T mode, impairments).

mod algorithms;
mod child;
mod connection;
mod identity;
mod keyring;
mod proposals;
mod rules;

pub use algorithms::{DhGroup, EspCipher, EspIntegrityAlgorithm, IkeCipher, IkeHash};
pub use child::{ChildPolicy, IpsecLifetime, IpsecMode, TrafficSelector};
pub use connection::{Connection, ExchangeMode};
pub use identity::IdentityConfig;
pub use keyring::{Keyring, PeerSelector, PskEntry};
pub use proposals::{EspProposal, IkeProposal, ProposalParseError};
pub use rules::{Dpd, LifetimeRule, NatTMode, NatTraversal, ResponderChoice};

use serde::{Deserialize, Serialize};

/// Everything one endpoint is configured with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub connections: Vec<Connection>,
    #[serde(default)]
    pub keyring: Keyring,
}

impl Policy {
    pub fn connection(&self, name: &str) -> Option<&Connection> {
        self.connections.iter().find(|connection| connection.name == name)
    }
}
