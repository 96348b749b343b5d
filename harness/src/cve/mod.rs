//! `ikelab cve`: the CVE cases of vectors/cve replayed against the real peers.
//! [`vector`] reads a case, [`mapping`] turns its script into a live case of the
//! scenario runner (or says why it cannot), [`reach`] says where a peer stops an
//! input before the code a CVE is about, [`outcome`] reads what the run shows:
//! the peer's reaction and notifies, and whether it survived.

pub mod mapping;
pub mod outcome;
pub mod reach;
pub mod report;
pub mod vector;

pub use mapping::{Fidelity, Replay, base_case, replay};
pub use outcome::CveOutcome;
pub use report::CveReport;
pub use vector::{CveVector, load_all};
