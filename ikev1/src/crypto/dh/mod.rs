//! MODP Diffie-Hellman (RFC 2409 6.1, 6.2; RFC 3526): the primes as the RFCs print
//! them, exponentiation in Montgomery form, and private exponents drawn from the
//! caller's generator.

mod exponent_length;
mod modp;
mod montgomery;
mod primes;

pub use exponent_length::default_private_exponent_bits;
pub use modp::{ModpGroup, ModpKeyPair};
