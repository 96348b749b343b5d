//! A veth cable between two namespaces.

use std::process::Command;

use crate::guard::Namespace;
use crate::guard::command::{Result, run};

/// Connects `a_interface` in `a` with `b_interface` in `b`. Both ends are created
/// directly inside their namespaces, so the names never meet on the host and parallel
/// topologies can all use `eth0`. The cable goes when either namespace goes.
pub fn veth(a: &Namespace, a_interface: &str, b: &Namespace, b_interface: &str) -> Result<()> {
    run(Command::new("ip").args(["link", "add", a_interface, "netns", a.name(), "type", "veth"]).args([
        "peer",
        "name",
        b_interface,
        "netns",
        b.name(),
    ]))?;
    a.ip(["link", "set", a_interface, "up"])?;
    b.ip(["link", "set", b_interface, "up"])
}
