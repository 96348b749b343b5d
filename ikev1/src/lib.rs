//! A sans-IO reference IKEv1 + ESP engine: time and randomness come from the
//! caller, datagrams go in and out through [`Endpoint`]; no sockets, threads,
//! clock or OS randomness inside, so the same seed and inputs always give the
//! same bytes and the same trace.

pub mod child_sa;
pub mod config;
pub mod counters;
pub mod crypto;
pub mod endpoint;
pub mod esp;
#[cfg(feature = "fuzz")]
pub mod fuzz;
mod ike_sa;
pub mod impairment;
pub mod ip;
pub mod keys;
pub mod policy;
pub mod random;
pub mod sim;
pub mod time;
pub mod trace;

pub use config::EndpointConfig;
pub use endpoint::io::{Event, IkeSaInfo, Protocol, Transmit};
pub use endpoint::{Endpoint, InitiateError};
pub use time::Timestamp;
