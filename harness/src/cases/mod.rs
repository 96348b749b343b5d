//! Interop cases as data: who talks to whom over which topology, each side's policy
//! template, and the checks that decide pass or fail. Cases serialize (serde), so the
//! catalogue can grow from files; [`catalogue`] holds the built-in ones.

pub mod catalogue;
mod template;

use std::time::Duration;

use ikev1::policy::{DhGroup, ExchangeMode};
use peers::PeerKind;
use serde::{Deserialize, Serialize};

pub use template::{Addresses, SideTemplate};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What is being shown, e.g. `main-mode` or `aggressive-mode-nat`.
    pub name: String,
    pub peer: PeerKind,
    pub initiator: Initiator,
    pub topology: TopologySpec,
    /// The reference engine's side (always the topology's left host).
    pub reference: SideTemplate,
    /// The real peer's side (the right host).
    pub peer_side: SideTemplate,
    /// In order; the first failure ends the case.
    pub checks: Vec<Check>,
    /// The bound for each wait of the case (initiation, a ping).
    pub timeout_secs: u64,
}

/// Who starts Phase 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Initiator {
    Reference,
    Peer,
}

impl Initiator {
    pub fn label(self) -> &'static str {
        match self {
            Initiator::Reference => "reference-initiates",
            Initiator::Peer => "peer-initiates",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopologySpec {
    /// Both hosts on one link.
    Direct,
    /// The initiator behind a masquerading NAT: NAT-T floats to 4500 and ESP goes in UDP.
    NatInFrontOfInitiator,
}

/// What a case verifies, in the order given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Check {
    /// Both sides have the ISAKMP SA up with this proposal (`aes128-sha256-modp2048`).
    Phase1 { proposal: String },
    /// Both sides moved to UDP 4500 and the reference detected the NAT.
    NatTraversal,
    /// Both sides have the IPsec SA pair up with this ESP proposal and PFS group.
    Phase2 { proposal: String, pfs: Option<DhGroup> },
    /// The reference's stack pings the peer's inner address through the tunnel.
    PingReferenceToPeer,
    /// The peer pings the reference's inner address through the tunnel.
    PingPeerToReference,
    /// tshark with the written key files decrypts the Quick Mode messages and the inner
    /// ICMP packets of the capture.
    CaptureDecrypts,
}

impl Check {
    pub fn label(&self) -> &'static str {
        match self {
            Check::Phase1 { .. } => "phase-1",
            Check::NatTraversal => "nat-traversal",
            Check::Phase2 { .. } => "phase-2",
            Check::PingReferenceToPeer => "ping-reference-to-peer",
            Check::PingPeerToReference => "ping-peer-to-reference",
            Check::CaptureDecrypts => "capture-decrypts",
        }
    }
}

impl Case {
    /// `peer::role::case`, the name tests and tables use.
    pub fn id(&self) -> String {
        format!("{}::{}::{}", self.peer.label(), self.initiator.label(), self.name)
    }

    /// The id as a folder name.
    pub fn folder(&self) -> String {
        self.id().replace("::", "--")
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    /// Whether `filter` selects this case: a substring of its id, as cargo test filters.
    pub fn matches(&self, filter: Option<&str>) -> bool {
        filter.is_none_or(|filter| self.id().contains(filter))
    }

    pub fn exchange(&self) -> ExchangeMode {
        self.reference.exchange
    }
}
