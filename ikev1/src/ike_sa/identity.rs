//! Phase 1 identification payloads (RFC 2407 4.6.2, RFC 2409 5).

use isakmp::payload::{Identification, Identity};

use crate::policy::IdentityConfig;

/// Our ID payload. Protocol and port are zero, as strongSwan and Libreswan
/// send them; RFC 2407 4.6.2 allows zero or UDP/500 in Phase 1.
pub fn ours(identity: &IdentityConfig) -> Identification {
    Identification::new(identity.to_identity())
}

/// Whether the peer's identity is acceptable: any, when none is configured.
pub fn acceptable(expected: Option<&IdentityConfig>, received: &Identity) -> bool {
    expected.is_none_or(|expected| expected.matches(received))
}
