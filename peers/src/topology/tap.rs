//! TAP devices that connect a user-mode-linux guest (`vec0:transport=tap,ifname=...`)
//! to a namespace.

use std::process::Command;

use super::host::{HOST_INTERFACE, Host};
use crate::guard::command::run;
use crate::guard::{Namespace, Result};

/// The guest's interface name for its first `vec` device.
pub const GUEST_INTERFACE: &str = "vec0";

const BRIDGE: &str = "br0";

/// A persistent TAP device inside a namespace, deleted when the guard drops (or with
/// the namespace, whichever comes first).
#[derive(Debug)]
pub struct Tap {
    namespace: String,
    name: String,
}

impl Tap {
    /// Creates `name` (at most 15 bytes) inside `namespace`, up, without addresses.
    pub fn create(namespace: &Namespace, name: &str) -> Result<Self> {
        namespace.ip(["tuntap", "add", name, "mode", "tap"])?;
        let tap = Tap { namespace: namespace.name().to_owned(), name: name.to_owned() };
        namespace.ip(["link", "set", name, "up"])?;
        Ok(tap)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The kernel argument that attaches the guest's `vec0` to this device.
    pub fn uml_argument(&self) -> String {
        format!("{GUEST_INTERFACE}:transport=tap,ifname={}", self.name)
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        if std::path::Path::new("/run/netns").join(&self.namespace).exists() {
            // The namespace may be on its way out; a failure here changes nothing.
            let _ = run(Command::new("ip").args(["-n", &self.namespace, "link", "del", &self.name]));
        }
    }
}

/// A guest standing in for a [`Host`]: the host's namespace bridges its link with the
/// TAP, and the guest configures the host's addresses on `vec0` from [`network_ip`].
///
/// [`network_ip`]: GuestPort::network_ip
#[derive(Debug)]
pub struct GuestPort {
    tap: Tap,
    network_ip: String,
}

impl GuestPort {
    pub(crate) fn attach(host: &Host) -> Result<Self> {
        let namespace = host.namespace();
        let tap = Tap::create(namespace, "tap0")?;
        namespace.ip(["link", "add", BRIDGE, "type", "bridge"])?;
        namespace.ip(["link", "set", HOST_INTERFACE, "master", BRIDGE])?;
        namespace.ip(["link", "set", tap.name(), "master", BRIDGE])?;
        namespace.ip(["link", "set", BRIDGE, "up"])?;
        // The addresses (and the routes through them) now belong to the guest.
        namespace.ip(["addr", "flush", "dev", HOST_INTERFACE])?;
        namespace.ip(["addr", "del", &format!("{}/32", host.inner()), "dev", "lo"])?;
        Ok(GuestPort { tap, network_ip: guest_network_ip(host) })
    }

    pub fn tap(&self) -> &Tap {
        &self.tap
    }

    /// The guest's `network.ip`: one `ip` command per line (see peers/guest/README.md).
    pub fn network_ip(&self) -> &str {
        &self.network_ip
    }
}

fn guest_network_ip(host: &Host) -> String {
    let mut lines = vec![
        format!("link set {GUEST_INTERFACE} up"),
        format!("addr add {} dev {GUEST_INTERFACE}", host.cidr()),
        format!("addr add {}/32 dev lo", host.inner()),
    ];
    if let Some(gateway) = host.gateway() {
        lines.push(format!("route add default via {gateway}"));
    }
    lines.join("\n") + "\n"
}
