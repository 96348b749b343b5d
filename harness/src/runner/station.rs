//! A station: one topology with one running peer in it, ready for a case. Building
//! one costs a namespace set-up and a daemon start (a whole guest boot for
//! Libreswan), so stations are reused across cases of the same peer and topology
//! shape, after a reset that proves the peer holds no SA and loads no connection.

use std::time::{Duration, Instant};

use peers::{Health, LibreswanGuest, LibreswanHost, Peer, PeerKind, Side, StrongSwan};

use super::network::Network;
use crate::cases::Shape;

/// How long a peer gets to show it is alive after a case.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);

/// What makes two stations interchangeable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StationKey {
    pub peer: PeerKind,
    pub shape: Shape,
}

/// Fields drop in order: the peer (daemon, guest) before the namespaces it lives in.
pub struct Station {
    pub key: StationKey,
    pub peer: Box<dyn Peer>,
    pub network: Network,
    /// Sides whose link got loss rules during the current case.
    pub lossy: Vec<Side>,
    /// Cases run on this station so far.
    pub served: u32,
    pub built_in: Duration,
}

pub fn start_peer(kind: PeerKind, host: &peers::Host) -> Result<Box<dyn Peer>, String> {
    let started: peers::PeerResult<Box<dyn Peer>> = match kind {
        PeerKind::StrongSwan => StrongSwan::start(host).map(|peer| Box::new(peer) as Box<dyn Peer>),
        PeerKind::LibreswanGuest => LibreswanGuest::start(host).map(|peer| Box::new(peer) as Box<dyn Peer>),
        PeerKind::LibreswanHost => LibreswanHost::start(host).map(|peer| Box::new(peer) as Box<dyn Peer>),
    };
    started.map_err(|error| error.to_string())
}

impl Station {
    pub fn build(key: StationKey) -> Result<Station, String> {
        let started = Instant::now();
        let network = Network::build(key.shape)?;
        let peer = start_peer(key.peer, network.peer())?;
        Ok(Station { key, peer, network, lossy: Vec::new(), served: 0, built_in: started.elapsed() })
    }

    /// Ready for the next case: for a used station, the peer reset and the links clean.
    pub fn prepare(&mut self) -> Result<(), String> {
        if self.served > 0 {
            self.peer.reset().map_err(|error| format!("resetting the peer for reuse: {error}"))?;
            self.network.reset(&self.lossy)?;
            self.lossy.clear();
        }
        self.served += 1;
        self.peer.mark_log();
        Ok(())
    }

    pub fn health(&mut self) -> Health {
        self.peer.health(HEALTH_TIMEOUT)
    }

    /// Stops the peer in order (deleting its SAs); the namespaces go when dropped.
    pub fn stop(mut self) {
        if let Err(error) = self.peer.stop() {
            eprintln!("ikelab: stopping {}: {error}", self.key.peer.label());
        }
    }
}
