//! The address plan every topology follows (documentation ranges only, RFC 5737).
//!
//! | what | left | right |
//! | --- | --- | --- |
//! | inner (on `lo`, what the tunnel protects) | 198.51.100.1/32 | 198.51.100.129/32 |
//! | link address, direct or behind a NAT | 192.0.2.1/24 | 192.0.2.2/24 |
//! | gateway when behind a NAT (the NAT's inside) | 192.0.2.254 | 192.0.2.254 |
//! | public face in a NAT topology (host or its NAT) | 203.0.113.1/24 | 203.0.113.2/24 |
//!
//! NATs map UDP sources to ports [`NAT_PORTS`], so 500 and 4500 are visibly rewritten.

use std::fmt;
use std::net::Ipv4Addr;
use std::ops::RangeInclusive;

/// An address with its prefix length, as `ip addr add` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub address: Ipv4Addr,
    pub prefix: u8,
}

impl Cidr {
    pub const fn new(address: Ipv4Addr, prefix: u8) -> Self {
        Cidr { address, prefix }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// One end of a topology. By convention the reference engine sits on the left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Left,
    Right,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }

    /// The address the tunnel protects, on `lo`.
    pub fn inner(self) -> Ipv4Addr {
        match self {
            Side::Left => Ipv4Addr::new(198, 51, 100, 1),
            Side::Right => Ipv4Addr::new(198, 51, 100, 129),
        }
    }

    /// The link address when on the direct link or behind a NAT.
    pub fn private(self) -> Cidr {
        match self {
            Side::Left => Cidr::new(Ipv4Addr::new(192, 0, 2, 1), 24),
            Side::Right => Cidr::new(Ipv4Addr::new(192, 0, 2, 2), 24),
        }
    }

    /// The address the other side sees in a NAT topology.
    pub fn public(self) -> Cidr {
        match self {
            Side::Left => Cidr::new(Ipv4Addr::new(203, 0, 113, 1), 24),
            Side::Right => Cidr::new(Ipv4Addr::new(203, 0, 113, 2), 24),
        }
    }
}

/// The inside address of a NAT, the gateway of the host behind it.
pub const NAT_INSIDE: Cidr = Cidr::new(Ipv4Addr::new(192, 0, 2, 254), 24);

/// The UDP source ports a NAT maps to.
pub const NAT_PORTS: RangeInclusive<u16> = 40000..=40099;

/// The ports a NAT maps to after a rebind, so every mapping visibly changes.
pub const NAT_PORTS_REBOUND: RangeInclusive<u16> = 41000..=41099;

/// The IKE ports a NAT forwards to the host behind it, so that host can also respond.
pub const IKE_PORTS: [u16; 2] = [500, 4500];
