//! Conditional debugging, as IOS `debug crypto condition peer ipv4 X`: with a
//! router talking to a hundred peers, only the one you care about.

use std::net::IpAddr;

use super::TraceEvent;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DebugCondition {
    /// Peers to show; empty shows everything (`debug crypto condition reset`).
    pub peers: Vec<IpAddr>,
}

impl DebugCondition {
    pub fn peer(address: IpAddr) -> Self {
        Self { peers: vec![address] }
    }

    pub fn matches(&self, event: &TraceEvent) -> bool {
        self.peers.is_empty() || event.peer.is_some_and(|peer| self.peers.contains(&peer.ip()))
    }
}
