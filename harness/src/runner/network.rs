//! The topology of a case: the reference on the left host, the peer on the right,
//! NATs where the case's shape puts them.

use std::net::IpAddr;

use peers::{Direct, Host, Nat, NatInFront, NatOf, Side};

use crate::cases::{Addresses, Shape};

pub enum Network {
    Direct(Direct),
    Nat(NatInFront),
}

pub const REFERENCE_SIDE: Side = Side::Left;
pub const PEER_SIDE: Side = Side::Right;

impl Network {
    pub fn build(shape: Shape) -> Result<Self, String> {
        let built = match shape {
            Shape::Direct => Direct::new().map(Network::Direct),
            Shape::NatReference => NatInFront::new(NatOf::Left).map(Network::Nat),
            Shape::NatPeer => NatInFront::new(NatOf::Right).map(Network::Nat),
            Shape::NatBoth => NatInFront::new(NatOf::Both).map(Network::Nat),
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

    /// The NAT in front of `side`, if there is one.
    pub fn nat(&self, side: Side) -> Option<&Nat> {
        match self {
            Network::Direct(_) => None,
            Network::Nat(nat) => nat.nat(side),
        }
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

    /// As built: no loss on either link, every NAT mapping forgotten.
    pub fn reset(&self, lossy: &[Side]) -> Result<(), String> {
        for &side in lossy {
            self.host(side).loss().set_percent(0).map_err(|error| format!("clearing loss: {error}"))?;
        }
        for side in [Side::Left, Side::Right] {
            if let Some(nat) = self.nat(side) {
                nat.reset().map_err(|error| format!("resetting the NAT: {error}"))?;
            }
        }
        Ok(())
    }
}
