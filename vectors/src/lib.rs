//! Test vectors for ikelab: real IKEv1/ESP captures and the key material that decrypts them.
//!
//! - [`capture`] reads pcap/pcapng files into [`Frame`]s and dissects each frame down to the
//!   UDP datagram or ESP packet that IKE/ESP tooling consumes.
//! - [`keys`] models the `keys.json` schema (vectors/real/README.md). It is also the key file
//!   format users hand to `ikelab decode`, so only the inputs of key derivation are required.
//! - [`tshark`] loads `tshark -T json` output for comparison with our own decoding.
//! - [`cases`] enumerates the real captures shipped in `vectors/real`.
//!
//! This crate is a leaf: it knows nothing of ISAKMP or ESP semantics beyond framing.

pub mod capture;
pub mod cases;
pub mod hex;
pub mod keys;
pub mod tshark;

pub use capture::{Dissected, Frame, LinkType};
pub use cases::Case;
pub use hex::Hex;
pub use keys::KeyFile;
