//! One end of a topology: a namespace with a link address, an inner address on `lo`,
//! and what the other end must send to.

use std::net::Ipv4Addr;

use super::addresses::{Cidr, Side};
use super::loss::Loss;
use super::tap::GuestPort;
use crate::guard::{Namespace, Result};

/// The interface that connects a host to its link.
pub const HOST_INTERFACE: &str = "eth0";

#[derive(Debug)]
pub struct Host {
    namespace: Namespace,
    side: Side,
    address: Cidr,
    gateway: Option<Ipv4Addr>,
    public_address: Ipv4Addr,
}

impl Host {
    /// Makes the namespace for `side`; [`configure`](Self::configure) follows once its
    /// link exists.
    pub(crate) fn create(
        side: Side,
        address: Cidr,
        gateway: Option<Ipv4Addr>,
        public_address: Ipv4Addr,
    ) -> Result<Self> {
        let namespace = Namespace::create(side.label())?;
        Ok(Host { namespace, side, address, gateway, public_address })
    }

    /// Puts the addresses and the default route on the interfaces.
    pub(crate) fn configure(&self) -> Result<()> {
        let address = self.address.to_string();
        self.namespace.ip(["addr", "add", &address, "dev", HOST_INTERFACE])?;
        let inner = format!("{}/32", self.inner());
        self.namespace.ip(["addr", "add", &inner, "dev", "lo"])?;
        if let Some(gateway) = self.gateway {
            self.namespace.ip(["route", "add", "default", "via", &gateway.to_string()])?;
        }
        Ok(())
    }

    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    pub fn side(&self) -> Side {
        self.side
    }

    /// The address on its link interface (a peer's `local_addrs` / `left=`).
    pub fn address(&self) -> Ipv4Addr {
        self.address.address
    }

    pub fn cidr(&self) -> Cidr {
        self.address
    }

    /// The default gateway, when the host sits behind a NAT.
    pub fn gateway(&self) -> Option<Ipv4Addr> {
        self.gateway
    }

    /// Where the other end sends to reach this host (its own address, or its NAT's).
    pub fn public_address(&self) -> Ipv4Addr {
        self.public_address
    }

    /// The address the tunnel protects, on `lo`.
    pub fn inner(&self) -> Ipv4Addr {
        self.side.inner()
    }

    pub fn interface(&self) -> &'static str {
        HOST_INTERFACE
    }

    /// Loss on this host's link interface, both directions.
    pub fn loss(&self) -> Loss<'_> {
        Loss::on(&self.namespace, HOST_INTERFACE)
    }

    /// Hands this host's addresses to a user-mode-linux guest: the namespace becomes a
    /// switch between its link and a TAP device, and stops answering for the addresses.
    /// The returned port names the TAP and the guest's `network.ip` lines.
    pub fn attach_guest(&self) -> Result<GuestPort> {
        GuestPort::attach(self)
    }

    /// Sends one ICMP echo from the namespace (from `source` if given) and says whether
    /// the reply came within a second.
    pub fn ping(&self, destination: Ipv4Addr, source: Option<Ipv4Addr>) -> Result<bool> {
        let mut command = self.namespace.command("ping");
        command.args(["-c", "1", "-W", "1", "-n", "-q"]);
        if let Some(source) = source {
            command.args(["-I", &source.to_string()]);
        }
        let output = command
            .arg(destination.to_string())
            .output()
            .map_err(|source| crate::guard::Error::Spawn { command: "ping".into(), source })?;
        Ok(output.status.success())
    }
}
