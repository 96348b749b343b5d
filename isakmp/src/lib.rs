//! The IKEv1 / ISAKMP wire format: parse and emit every message byte for byte.
//!
//! No I/O, no crypto, no clock. [`Message::parse`] reads one datagram into a
//! model, [`Message::emit`] writes it back; for any well-formed datagram `b`,
//! `emit(parse(b)) == b`, and for any message `m` that emits,
//! `parse(emit(m)) == m`, including unknown payload types, unknown attribute
//! types and reserved bits. Encrypted bodies stay opaque until the engine
//! decrypts them and hands the plaintext to [`Plaintext::parse`].
//!
//! Errors carry the byte offset of the fault; nothing panics on any input,
//! and no length field can make the parser allocate beyond the input size.

pub mod attribute;
pub mod codec;
pub mod error;
pub mod esp;
pub mod header;
pub mod hex;
pub mod invariants;
pub mod message;
pub mod natt;
pub mod numbers;
pub mod payload;
pub mod pretty;
mod registry;
pub mod vendor_id;

#[cfg(feature = "arbitrary")]
mod arbitrary_impls;

pub use attribute::{Attribute, AttributeValue};
pub use error::{EmitError, Error, ErrorKind};
pub use header::{Cookie, Flags, Header, MessageId, RawHeader, Version};
pub use message::{Body, Message, PayloadsExt, Plaintext};
pub use payload::{Payload, PayloadBody};
