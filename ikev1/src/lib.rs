//! The sans-IO reference IKEv1 + ESP engine.

pub mod crypto;
pub mod keys;
