//! The ESP data plane (RFC 4303) with UDP encapsulation (RFC 3948): an
//! [`EspSa`] per direction and SPI, held in an [`SaDatabase`].
//!
//! Outbound, [`OutboundSa::encapsulate`] turns an inner IP packet into an ESP
//! packet and says which [`OuterHeader`] to send it in (ESP directly as the UDP
//! payload when encapsulated: no marker). Inbound,
//! [`SaDatabase::decapsulate`] finds the SA by SPI and
//! [`InboundSa::decapsulate`] checks the replay window, verifies the ICV,
//! moves the window, decrypts, checks the padding and Next Header and hands
//! back the inner packet.
//!
//! Sans-IO like the rest of the engine: time comes in as a [`Timestamp`], CBC
//! IVs from the caller's generator (GCM's from the sequence number), and
//! packets go through buffers the caller owns and reuses. Nothing panics on any
//! input: every refusal is an [`EspError`], counted in the SA's [`EspCounters`].
//!
//! Sequence numbers are 32 bits: extended sequence numbers (RFC 4304) are not
//! negotiated by the IKEv1 peers this engine meets.
//!
//! [`Timestamp`]: crate::time::Timestamp

mod config;
mod counters;
mod database;
mod error;
mod inbound;
mod iv;
mod lifetime;
mod outbound;
mod outer;
mod replay;
mod sa;
mod sequence;
mod status;
mod transport;
mod tunnel;

pub use config::{EspSaConfig, UdpPorts};
pub use counters::EspCounters;
pub use database::{DatabaseCounters, InboundError, SaDatabase, SpiInUse};
pub use error::EspError;
pub use inbound::{Decapsulated, Inner};
pub use lifetime::{Lifetime, LifetimeLimits, LifetimeState, Limits};
pub use outbound::Encapsulated;
pub use outer::{OuterAddresses, OuterHeader};
pub use replay::{InvalidWindowSize, ReplayError, ReplayWindow};
pub use sa::{Direction, EspSa, Inbound, InboundSa, Outbound, OutboundSa};
pub use status::{EspSaStatus, SaDirection};
