//! Real peers and the network topologies they run in.
//!
//! Everything here creates something outside the process (network namespaces, daemons,
//! guests, temp folders) and owns it through a guard whose `Drop` removes it, also on
//! panic. [`guard::sweep`] removes what a crashed run left behind.

pub mod guard;
pub mod libreswan;
pub mod peer;
pub mod strongswan;
pub mod topology;

pub use guard::{ChildProcess, Error, Namespace, Result, TempDir};
pub use libreswan::{LibreswanGuest, LibreswanHost};
pub use peer::{
    EspSaKeys, Health, IkeSaKeys, Installation, KeyMaterial, Peer, PeerError, PeerKind, PeerResult,
    PeerStatus, SaScope, Traffic,
};
pub use strongswan::StrongSwan;
pub use topology::{Direct, Host, Nat, NatInFront, NatOf, Side};
