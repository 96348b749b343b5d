//! Network topologies for interop cases, built from namespaces, veth cables, nft NAT and
//! loss rules, and TAP devices for user-mode-linux guests. Every topology is a set of
//! guards: dropping it removes its namespaces and everything running in them.
//!
//! The address plan is in [`addresses`].

pub mod addresses;
pub mod direct;
pub mod host;
pub mod link;
pub mod loss;
pub mod nat;
pub mod tap;

pub use addresses::{Cidr, Side};
pub use direct::Direct;
pub use host::Host;
pub use loss::Loss;
pub use nat::{Nat, NatInFront, NatOf};
pub use tap::{GuestPort, Tap};
