//! A case is one scenario played against one peer in one role: both sides' policy
//! templates, the topology, and the timeline of actions and checks that decides it.
//! [`catalogue`] expands the scenario files into every case.

pub mod catalogue;
mod template;

use std::time::Duration;

use peers::PeerKind;
use serde::{Deserialize, Serialize};

use crate::scenario::{Expected, Step};
pub use template::{Addresses, CHILD, SideTemplate};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The scenario's name, e.g. `main-mode` or `nat-mapping-change`.
    pub name: String,
    pub theme: String,
    pub summary: String,
    pub rfc: Vec<String>,
    pub peer: PeerKind,
    pub initiator: Initiator,
    pub topology: TopologySpec,
    /// The reference engine's side (always the topology's left host).
    pub reference: SideTemplate,
    /// The real peer's side (the right host).
    pub peer_side: SideTemplate,
    pub expect: Expected,
    /// In order; the first failed step ends the timeline.
    pub timeline: Vec<Step>,
    /// Run after the timeline whether it failed or not.
    pub finally: Vec<Step>,
    /// The bound for each wait of the case (initiation, a ping) unless a step names one.
    pub timeout_secs: u64,
}

/// Who starts Phase 1; files and reports spell it as [`Initiator::label`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Initiator {
    #[serde(rename = "reference-initiates")]
    Reference,
    #[serde(rename = "peer-initiates")]
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

/// Where NATs sit. The names that say `initiator`/`responder` follow the case's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopologySpec {
    /// Both hosts on one link.
    Direct,
    NatInitiator,
    NatResponder,
    NatBoth,
    NatReference,
    NatPeer,
}

/// Which hosts sit behind a NAT once the role is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    Direct,
    NatReference,
    NatPeer,
    NatBoth,
}

impl TopologySpec {
    pub fn shape(self, initiator: Initiator) -> Shape {
        let reference_initiates = initiator == Initiator::Reference;
        match self {
            TopologySpec::Direct => Shape::Direct,
            TopologySpec::NatBoth => Shape::NatBoth,
            TopologySpec::NatReference => Shape::NatReference,
            TopologySpec::NatPeer => Shape::NatPeer,
            TopologySpec::NatInitiator if reference_initiates => Shape::NatReference,
            TopologySpec::NatInitiator => Shape::NatPeer,
            TopologySpec::NatResponder if reference_initiates => Shape::NatPeer,
            TopologySpec::NatResponder => Shape::NatReference,
        }
    }
}

impl Shape {
    pub fn reference_behind_nat(self) -> bool {
        matches!(self, Shape::NatReference | Shape::NatBoth)
    }

    pub fn peer_behind_nat(self) -> bool {
        matches!(self, Shape::NatPeer | Shape::NatBoth)
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

    pub fn shape(&self) -> Shape {
        self.topology.shape(self.initiator)
    }
}
