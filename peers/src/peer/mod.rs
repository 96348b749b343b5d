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
pub(crate) mod traffic;
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

/// Which SAs a Delete covers (RFC 2408 3.15, RFC 2409 5.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SaScope {
    /// The ISAKMP SA only: in IKEv1 the IPsec SAs have keys of their own and can live on.
    #[serde(rename = "phase-1")]
    Phase1,
    /// The IPsec SAs only: the ISAKMP SA stays for the next Quick Mode.
    #[serde(rename = "phase-2")]
    Phase2,
    #[serde(rename = "both")]
    Both,
}

/// Whether a peer is still in business.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "health", content = "detail", rename_all = "kebab-case")]
pub enum Health {
    /// The process runs and answers its control socket.
    Alive,
    /// The process is gone.
    Crashed(String),
    /// The process runs but its control socket does not answer in time.
    Hung(String),
}

/// A background stream of ICMP echo requests from the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Traffic {
    pub source: Ipv4Addr,
    pub destination: Ipv4Addr,
    pub count: u32,
    pub interval: Duration,
    /// ICMP data bytes per echo.
    pub payload: usize,
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

    /// The peer's configuration files as loaded (a subset of [`artifacts`]).
    ///
    /// [`artifacts`]: Peer::artifacts
    fn config_files(&self) -> Vec<PathBuf>;

    /// Shuts the peer down cleanly (deleting its SAs) and releases what it started.
    fn stop(&mut self) -> PeerResult<()>;

    /// From now on [`log`](Peer::log) and [`keys`](Peer::keys) cover only what follows,
    /// so one running peer can serve several cases.
    fn mark_log(&mut self);

    /// Back to a freshly started peer: every SA gone (without waiting for the other
    /// side), every connection unloaded, background traffic stopped.
    fn reset(&mut self) -> PeerResult<()>;

    /// Deletes the SAs of `connection` in `scope`, sending Delete payloads.
    fn delete(&mut self, connection: &str, scope: SaScope) -> PeerResult<()>;

    /// Kills the daemon without a word to anyone (no Delete), drops every SA it had
    /// installed, and starts it again with `policy`: a crash and restart.
    fn restart(&mut self, policy: &Policy) -> PeerResult<()>;

    /// Whether the process lives and answers its control socket within `timeout`.
    fn health(&mut self, timeout: Duration) -> Health;

    /// Starts a background stream of echo requests; [`reset`](Peer::reset) ends it.
    fn start_traffic(&mut self, traffic: Traffic) -> PeerResult<()>;
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
