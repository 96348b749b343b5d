//! The topology of a case: the reference on the left host, the peer on the right.

use std::net::IpAddr;

use peers::{Direct, Host, NatInFront, NatOf, Side};

use crate::cases::{Addresses, Initiator, TopologySpec};

pub enum Network {
    Direct(Direct),
    Nat(NatInFront),
}

pub const REFERENCE_SIDE: Side = Side::Left;
pub const PEER_SIDE: Side = Side::Right;

impl Network {
    pub fn build(spec: TopologySpec, initiator: Initiator) -> Result<Self, String> {
        let built = match (spec, initiator) {
            (TopologySpec::Direct, _) => Direct::new().map(Network::Direct),
            (TopologySpec::NatInFrontOfInitiator, Initiator::Reference) => {
                NatInFront::new(NatOf::Left).map(Network::Nat)
            }
            (TopologySpec::NatInFrontOfInitiator, Initiator::Peer) => {
                NatInFront::new(NatOf::Right).map(Network::Nat)
            }
        };
        built.map_err(|error| format!("building the topology: {error}"))
    }

    pub fn host(&self, side: Side) -> &Host {
        match self {
            Network::Direct(direct) => direct.host(side),
            Network::Nat(nat) => nat.host(side),
        }
    }

    pub fn reference(&self) -> &Host {
        self.host(REFERENCE_SIDE)
    }

    pub fn peer(&self) -> &Host {
        self.host(PEER_SIDE)
    }

    /// The addresses one side's policy is rendered with.
    pub fn addresses(&self, side: Side) -> Addresses {
        let (local, remote) = (self.host(side), self.host(side.other()));
        Addresses {
            local: IpAddr::V4(local.address()),
            remote: IpAddr::V4(remote.public_address()),
            local_inner: IpAddr::V4(local.inner()),
            remote_inner: IpAddr::V4(remote.inner()),
        }
    }
}
