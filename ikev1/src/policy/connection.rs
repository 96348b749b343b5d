//! One configured peer relationship, as an IOS crypto map entry plus its
//! ISAKMP profile.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{ChildPolicy, Dpd, IdentityConfig, IkeProposal, LifetimeRule, NatTraversal, ResponderChoice};
use crate::impairment::Impairment;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeMode {
    /// Identity Protection, six messages (RFC 2409 5).
    #[default]
    Main,
    /// Three messages, identities in the clear (RFC 2409 5).
    Aggressive,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    pub name: String,
    pub local_address: IpAddr,
    /// The peer; `None` accepts any peer (a responder-only connection).
    #[serde(default)]
    pub remote_address: Option<IpAddr>,
    #[serde(default)]
    pub exchange: ExchangeMode,
    /// ISAKMP policies; sent and matched in ascending priority order.
    pub ike_proposals: Vec<IkeProposal>,
    /// Our identity; `None` means our address (IOS `crypto isakmp identity address`).
    #[serde(default)]
    pub local_id: Option<IdentityConfig>,
    /// The identity we require of the peer; `None` accepts any.
    #[serde(default)]
    pub remote_id: Option<IdentityConfig>,
    #[serde(default)]
    pub children: Vec<ChildPolicy>,
    #[serde(default)]
    pub nat_traversal: NatTraversal,
    #[serde(default)]
    pub dpd: Option<Dpd>,
    /// Send INITIAL-CONTACT in the first Phase 1 with this peer (RFC 2407 4.6.3.3).
    #[serde(default = "yes")]
    pub initial_contact: bool,
    /// IOS `crypto isakmp invalid-spi-recovery`.
    #[serde(default)]
    pub invalid_spi_recovery: bool,
    #[serde(default)]
    pub responder_choice: ResponderChoice,
    #[serde(default)]
    pub lifetime_rule: LifetimeRule,
    /// Re-key the ISAKMP and IPsec SAs we initiated before they expire (strongSwan's
    /// `rekey_time`, Libreswan's `rekey=`); without it they expire and are deleted.
    #[serde(default = "yes")]
    pub rekey: bool,
    /// Deliberate misbehaviour, for testing how the peer reacts.
    #[serde(default)]
    pub impairments: Vec<Impairment>,
}

fn yes() -> bool {
    true
}

impl Connection {
    /// A Main Mode connection with defaults everywhere else.
    pub fn new(name: &str, local: IpAddr, remote: Option<IpAddr>, ike_proposals: Vec<IkeProposal>) -> Self {
        Self {
            name: name.to_owned(),
            local_address: local,
            remote_address: remote,
            exchange: ExchangeMode::Main,
            ike_proposals,
            local_id: None,
            remote_id: None,
            children: Vec::new(),
            nat_traversal: NatTraversal::default(),
            dpd: None,
            initial_contact: true,
            invalid_spi_recovery: false,
            responder_choice: ResponderChoice::OwnPriority,
            lifetime_rule: LifetimeRule::AcceptShorter,
            rekey: true,
            impairments: Vec::new(),
        }
    }

    /// The identity we send.
    pub fn local_identity(&self) -> IdentityConfig {
        self.local_id.clone().unwrap_or(IdentityConfig::Address(self.local_address))
    }

    /// The ISAKMP policies in the order they are offered and matched.
    pub fn ordered_proposals(&self) -> Vec<IkeProposal> {
        let mut proposals = self.ike_proposals.clone();
        proposals.sort_by_key(|proposal| proposal.priority);
        proposals
    }

    /// Whether this connection applies to a peer at `address`.
    pub fn accepts_peer(&self, address: IpAddr) -> bool {
        self.remote_address.is_none_or(|remote| remote == address)
    }
}
