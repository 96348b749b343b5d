//! Structure-aware fuzzing of the engine (issue 7), behind the `fuzz`
//! feature: scaffolding shared by the cargo-fuzz targets and by the tests
//! that replay their corpora.
//!
//! An input is a [`script::Script`]: which negotiation scripted peers run,
//! then steps that deliver their datagrams mutated, drop, replay, forge,
//! let time pass. Peers and subject run on the null crypto, so the peers'
//! messages carry the right cookies and HASHes, and so do forgeries when
//! the script wants them authentic. After every call into the subject the
//! [`watch::Watch`] checks the invariants against the [`ledger::Ledger`] of
//! what was really delivered.

pub mod bytes;
pub mod cast;
pub mod cve;
pub mod forge;
pub mod ledger;
pub mod mutate;
pub mod rig;
pub mod script;
pub mod seeds;
pub mod targets;
pub mod watch;
pub mod wire;
