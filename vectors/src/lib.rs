//! Test vectors for ikelab: real IKEv1/ESP captures and the key material that decrypts them.
//!
//! - [`capture`] reads pcap/pcapng files into [`Frame`]s and dissects each frame down to the
//!   UDP datagram or ESP packet that IKE/ESP tooling consumes.
//!
//! This crate is a leaf: it knows nothing of ISAKMP or ESP semantics beyond framing.

pub mod capture;
pub mod hex;

pub use capture::{Dissected, Frame, LinkType};
pub use hex::Hex;
