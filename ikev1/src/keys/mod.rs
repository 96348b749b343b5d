//! IKEv1 key derivation (RFC 2409): SKEYID and its three children, the Phase 1
//! encryption key, the CBC IVs, the authentication hashes of Main, Aggressive,
//! Quick and Informational exchanges, and the KEYMAT of IPsec SAs.
//!
//! Every function takes the negotiated PRF as a [`HashFunction`](crate::crypto::HashFunction)
//! (IKEv1 uses the HMAC of the negotiated hash, RFC 2409 5) and returns key material
//! as a [`Secret`](crate::crypto::Secret). Payload bodies named `*_b` are payloads
//! without their generic header, as RFC 2409 5 defines them.

mod encryption_key;
mod exchange_hashes;
mod expand;
mod iv;
mod keymat;
mod skeyid;

pub use encryption_key::encryption_key;
pub use exchange_hashes::{
    Phase1Transcript, hash_i, hash_r, informational_hash, quick_mode_hash_1, quick_mode_hash_2,
    quick_mode_hash_3,
};
pub use iv::{IvChain, MessageIvs, exchange_iv, phase1_iv};
pub use keymat::{EspKeys, KeymatInput, PROTO_IPSEC_ESP, esp_keys, keymat};
pub use skeyid::{Cookies, Phase1Keys, skeyid_pre_shared_key};

/// An ISAKMP message ID (M-ID), which RFC 2409 feeds to the PRF as 4 bytes in
/// network order.
pub(crate) fn message_id_bytes(message_id: u32) -> [u8; 4] {
    message_id.to_be_bytes()
}
