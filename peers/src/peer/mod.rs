//! Real IKEv1 implementations behind one trait, configured from the shared policy
//! model (`ikev1::policy`).
//!
//! A driver's constructor is its `start`: it takes the topology [`Host`] the peer
//! stands in for and returns once the daemon answers its control socket. Everything
//! it started (daemon, guest, TAP, temp folder) belongs to the driver value, whose
//! `Drop` tears it down, also on panic; [`Peer::stop`] does the same in order and
//! reports problems.

pub mod error;
pub mod installation;
pub mod keys;
pub mod status;
pub(crate) mod view;
pub(crate) mod wait;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use ikev1::policy::Policy;

use crate::topology::Host;
pub use error::{PeerError, PeerResult};
pub use installation::Installation;
pub use keys::{EspSaKeys, IkeSaKeys, KeyMaterial};
pub use status::PeerStatus;

/// Which implementation, and how it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PeerKind {
    /// charon with kernel-libipsec in a namespace.
    #[serde(rename = "strongswan")]
    StrongSwan,
    /// pluto in a user-mode-linux guest with kernel ESP.
    #[serde(rename = "libreswan")]
    LibreswanGuest,
    /// pluto on the host kernel: Phase 1 only (the host has no ESP).
    #[serde(rename = "libreswan-host")]
    LibreswanHost,
}

impl PeerKind {
    pub const ALL: [PeerKind; 3] = [PeerKind::StrongSwan, PeerKind::LibreswanGuest, PeerKind::LibreswanHost];

    /// The short name used in test names and result tables.
    pub fn label(self) -> &'static str {
        match self {
            PeerKind::StrongSwan => "strongswan",
            PeerKind::LibreswanGuest => "libreswan",
            PeerKind::LibreswanHost => "libreswan-host",
        }
    }

    /// Whether it can carry traffic (Quick Mode SAs installed in a data plane).
    pub fn has_data_plane(self) -> bool {
        !matches!(self, PeerKind::LibreswanHost)
    }
}

/// One running peer.
pub trait Peer: Send {
    /// Starts the peer as `host` (its namespace and addresses), ready for [`load`].
    ///
    /// [`load`]: Peer::load
    fn start(host: &Host) -> PeerResult<Self>
    where
        Self: Sized;

    fn kind(&self) -> PeerKind;

    /// Replaces the peer's connections and secrets with `policy`'s.
    fn load(&mut self, policy: &Policy) -> PeerResult<()>;

    /// Brings up a connection of the loaded policy: Phase 1, then every child's Quick
    /// Mode. Returns when the peer says it is done, or fails after `timeout`.
    fn initiate(&mut self, connection: &str, timeout: Duration) -> PeerResult<()>;

    /// The SAs as the peer reports them now.
    fn status(&mut self) -> PeerResult<PeerStatus>;

    /// Sends one ICMP echo from the peer's `source` address to `destination` and says
    /// whether the reply came within `timeout`.
    fn ping(&mut self, source: Ipv4Addr, destination: Ipv4Addr, timeout: Duration) -> PeerResult<bool>;

    /// The peer's log so far.
    fn log(&self) -> String;

    /// Keys of the SAs negotiated so far, as far as this peer reveals them.
    fn keys(&mut self) -> PeerResult<KeyMaterial>;

    /// Files worth keeping with a case's results (configurations, logs, status
    /// snapshots), valid until the peer is dropped.
    fn artifacts(&self) -> Vec<PathBuf>;

    /// Shuts the peer down cleanly (deleting its SAs) and releases what it started.
    fn stop(&mut self) -> PeerResult<()>;
}

/// One ICMP echo with iputils ping inside a namespace.
pub(crate) fn ping_in_namespace(
    namespace: &str,
    source: Ipv4Addr,
    destination: Ipv4Addr,
    timeout: Duration,
) -> PeerResult<bool> {
    let seconds = timeout.as_secs().max(1).to_string();
    let status = Command::new("ip")
        .args(["netns", "exec", namespace, "ping", "-c", "1", "-n", "-q", "-W", &seconds, "-I"])
        .arg(source.to_string())
        .arg(destination.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|source| crate::guard::Error::Spawn { command: "ping".into(), source })?;
    Ok(status.success())
}
