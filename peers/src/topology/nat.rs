//! Hosts behind NATs: a middle namespace per NATed side that masquerades its host onto
//! the public link 203.0.113.0/24, mapping UDP sources to ports 40000-40099 (so 500 and
//! 4500 are visibly rewritten), and forwarding UDP 500/4500 back to its host so the
//! host can also respond to an initiator outside. [`Nat::rebind`] moves every mapping
//! to new ports, as a NAT that lost its state does.

use std::cell::Cell;
use std::net::Ipv4Addr;
use std::ops::RangeInclusive;

use super::addresses::{Cidr, IKE_PORTS, NAT_INSIDE, NAT_PORTS, NAT_PORTS_REBOUND, Side};
use super::host::{HOST_INTERFACE, Host};
use super::link::veth;
use super::loss::Loss;
use crate::guard::{Error, Namespace, Result};

/// The NAT's interface toward its host.
pub const NAT_INSIDE_INTERFACE: &str = "in0";
/// The NAT's interface on the public link.
pub const NAT_OUTSIDE_INTERFACE: &str = "out0";

/// Which hosts sit behind a NAT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NatOf {
    Left,
    Right,
    Both,
}

impl NatOf {
    pub fn includes(self, side: Side) -> bool {
        matches!((self, side), (NatOf::Both, _) | (NatOf::Left, Side::Left) | (NatOf::Right, Side::Right))
    }
}

/// A NAT box: a namespace routing between its host (inside) and the public link.
#[derive(Debug)]
pub struct Nat {
    namespace: Namespace,
    outside: Cidr,
    host: Cell<Option<Ipv4Addr>>,
    rebound: Cell<bool>,
}

impl Nat {
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// Its address on the public link: what the far side sees as the host's address.
    pub fn public_address(&self) -> Ipv4Addr {
        self.outside.address
    }

    /// Loss on the NAT's public interface, both directions.
    pub fn loss_outside(&self) -> Loss<'_> {
        Loss::on(&self.namespace, NAT_OUTSIDE_INTERFACE)
    }

    /// Forgets every mapping and maps to the other port range from now on
    /// ([`NAT_PORTS_REBOUND`] and back), as a NAT that rebooted or timed out would:
    /// the far side sees the host's packets come from a new port.
    pub fn rebind(&self) -> Result<()> {
        self.rebound.set(!self.rebound.get());
        self.apply_rules()?;
        self.forget_mappings()
    }

    /// Back to the first port range with no mappings, as freshly built.
    pub fn reset(&self) -> Result<()> {
        if self.rebound.replace(false) {
            self.apply_rules()?;
        }
        self.forget_mappings()
    }

    /// Drops the connection-tracking entries, so the next packets get new mappings.
    pub fn forget_mappings(&self) -> Result<()> {
        match self.namespace.exec("conntrack", ["-F"]) {
            Ok(_) => Ok(()),
            // conntrack -F exits 1 when the table is already empty.
            Err(Error::Failed { stderr, .. }) if stderr.contains("0 flow entries") => Ok(()),
            Err(error) => Err(error),
        }
    }

    fn create(side: Side) -> Result<Self> {
        let namespace = Namespace::create(&format!("nat-{}", side.label()))?;
        Ok(Nat { namespace, outside: side.public(), host: Cell::new(None), rebound: Cell::new(false) })
    }

    fn configure(&self, host: Ipv4Addr) -> Result<()> {
        let namespace = &self.namespace;
        namespace.ip(["addr", "add", &NAT_INSIDE.to_string(), "dev", NAT_INSIDE_INTERFACE])?;
        namespace.ip(["addr", "add", &self.outside.to_string(), "dev", NAT_OUTSIDE_INTERFACE])?;
        namespace.sysctl("net.ipv4.ip_forward", "1")?;
        self.host.set(Some(host));
        self.apply_rules()
    }

    /// (Re)writes the NAT table, atomically, for the current port range.
    fn apply_rules(&self) -> Result<()> {
        let Some(host) = self.host.get() else { return Ok(()) };
        let ports = if self.rebound.get() { NAT_PORTS_REBOUND } else { NAT_PORTS };
        let replace = "table ip ikelab_nat {}\ndelete table ip ikelab_nat\n";
        self.namespace.nft(&format!("{replace}{}", nat_rules(self.outside.address, host, ports)))
    }
}

fn nat_rules(public: Ipv4Addr, host: Ipv4Addr, ports_mapped: RangeInclusive<u16>) -> String {
    let ports = IKE_PORTS.map(|port| port.to_string()).join(", ");
    let (low, high) = (ports_mapped.start(), ports_mapped.end());
    format!(
        "table ip ikelab_nat {{
  chain prerouting {{
    type nat hook prerouting priority dstnat; policy accept;
    iifname \"{NAT_OUTSIDE_INTERFACE}\" ip daddr {public} udp dport {{ {ports} }} dnat to {host}
  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname \"{NAT_OUTSIDE_INTERFACE}\" meta l4proto udp masquerade to :{low}-{high}
    oifname \"{NAT_OUTSIDE_INTERFACE}\" masquerade
  }}
}}
"
    )
}

/// Left and right hosts with a NAT in front of one or both.
#[derive(Debug)]
pub struct NatInFront {
    left: Host,
    right: Host,
    left_nat: Option<Nat>,
    right_nat: Option<Nat>,
}

impl NatInFront {
    pub fn new(of: NatOf) -> Result<Self> {
        let (left, left_nat) = side_of(Side::Left, of)?;
        let (right, right_nat) = side_of(Side::Right, of)?;
        let (left_face, left_interface) = public_face(&left, &left_nat);
        let (right_face, right_interface) = public_face(&right, &right_nat);
        veth(left_face, left_interface, right_face, right_interface)?;
        for (host, nat) in [(&left, &left_nat), (&right, &right_nat)] {
            if let Some(nat) = nat {
                veth(host.namespace(), HOST_INTERFACE, &nat.namespace, NAT_INSIDE_INTERFACE)?;
                nat.configure(host.address())?;
            }
            host.configure()?;
        }
        Ok(NatInFront { left, right, left_nat, right_nat })
    }

    pub fn left(&self) -> &Host {
        &self.left
    }

    pub fn right(&self) -> &Host {
        &self.right
    }

    pub fn host(&self, side: Side) -> &Host {
        match side {
            Side::Left => &self.left,
            Side::Right => &self.right,
        }
    }

    /// The NAT in front of `side`, if there is one.
    pub fn nat(&self, side: Side) -> Option<&Nat> {
        match side {
            Side::Left => self.left_nat.as_ref(),
            Side::Right => self.right_nat.as_ref(),
        }
    }
}

/// The host of one side and, if that side is NATed, its NAT (namespaces only, no links).
fn side_of(side: Side, of: NatOf) -> Result<(Host, Option<Nat>)> {
    if of.includes(side) {
        let host = Host::create(side, side.private(), Some(NAT_INSIDE.address), side.public().address)?;
        Ok((host, Some(Nat::create(side)?)))
    } else {
        let public = side.public();
        Ok((Host::create(side, public, None, public.address)?, None))
    }
}

/// The namespace and interface by which a side is on the public link.
fn public_face<'a>(host: &'a Host, nat: &'a Option<Nat>) -> (&'a Namespace, &'static str) {
    match nat {
        Some(nat) => (&nat.namespace, NAT_OUTSIDE_INTERFACE),
        None => (host.namespace(), HOST_INTERFACE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nat_of_names_the_sides_behind_a_nat() {
        assert!(NatOf::Left.includes(Side::Left) && !NatOf::Left.includes(Side::Right));
        assert!(NatOf::Right.includes(Side::Right) && !NatOf::Right.includes(Side::Left));
        assert!(NatOf::Both.includes(Side::Left) && NatOf::Both.includes(Side::Right));
    }

    #[test]
    fn rules_masquerade_into_the_port_range_and_forward_ike() {
        let rules = nat_rules(Ipv4Addr::new(203, 0, 113, 1), Ipv4Addr::new(192, 0, 2, 1), NAT_PORTS);
        assert!(rules.contains("masquerade to :40000-40099"));
        assert!(rules.contains("ip daddr 203.0.113.1 udp dport { 500, 4500 } dnat to 192.0.2.1"));
    }
}
