//! Real peers and the network topologies they run in.
//!
//! Everything here creates something outside the process (network namespaces, daemons,
//! temp folders) and owns it through a guard whose `Drop` removes it, also on panic.
//! [`guard::sweep`] removes what a crashed run left behind.

pub mod guard;
pub mod topology;

pub use guard::{ChildProcess, Error, Namespace, Result, TempDir};
pub use topology::{Direct, Host, NatInFront, NatOf, Side};
