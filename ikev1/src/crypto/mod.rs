//! Cryptography for IKEv1 and ESP behind small object-safe traits
//! ([`CryptoProvider`] and the keyed objects it makes), with one real provider on
//! RustCrypto (and num-bigint for MODP set-up) and, for fuzzing only
//! (`cfg(fuzzing)` or the `fuzz` feature), a null provider.
//!
//! Nothing here reads a clock or the OS: randomness comes in as a
//! `rand_core::RngCore` from the caller. Key material is a [`Secret`], wiped on drop;
//! every MAC comparison is constant time.

mod algorithms;
mod cbc;
pub mod dh;
mod error;
mod esp;
mod hash;
mod iv;
#[cfg(any(fuzzing, feature = "fuzz"))]
mod null;
mod provider;
mod rustcrypto;
mod secret;

pub use algorithms::{
    AesKeySize, DhGroupId, EncryptionAlgorithm, EspEncryption, EspIntegrity, EspSuite, HashAlgorithm,
};
pub use error::CryptoError;
pub use iv::Iv;
#[cfg(any(fuzzing, feature = "fuzz"))]
pub use null::NullProvider;
pub use provider::{CryptoProvider, DhGroup, DhKeyPair, EspTransform, HashFunction, IkeCipher};
pub use rustcrypto::RustCryptoProvider;
pub use secret::Secret;
