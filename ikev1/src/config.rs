//! Endpoint-wide settings: the policy plus the engine's own limits.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::policy::Policy;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointConfig {
    #[serde(default)]
    pub policy: Policy,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub retransmission: Retransmission,
}

impl EndpointConfig {
    pub fn new(policy: Policy) -> Self {
        Self { policy, ..Self::default() }
    }
}

/// Bounds that keep a flood of first messages from growing state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Responder IKE SAs not yet authenticated (half-open) kept at once.
    pub max_half_open: usize,
    /// Informational exchanges answered per IKE SA and second before dropping.
    pub max_retransmitted_responses: u32,
    /// Quick Mode exchanges one IKE SA keeps (in progress, or finished and
    /// kept to answer retransmissions); a peer's QM1 beyond it is dropped.
    #[serde(default = "default_max_quick_modes_per_sa")]
    pub max_quick_modes_per_sa: usize,
}

fn default_max_quick_modes_per_sa() -> usize {
    32
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_half_open: 1024,
            max_retransmitted_responses: 16,
            max_quick_modes_per_sa: default_max_quick_modes_per_sa(),
        }
    }
}

/// RFC 2408 5.1: retransmit with increasing intervals, then give up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retransmission {
    pub initial_timeout_ms: u64,
    /// Each retransmission waits this many times longer than the previous.
    pub backoff: u32,
    /// Retransmissions before the exchange is abandoned.
    pub max_retransmissions: u32,
}

impl Default for Retransmission {
    fn default() -> Self {
        Self { initial_timeout_ms: 1000, backoff: 2, max_retransmissions: 5 }
    }
}

impl Retransmission {
    /// How long to wait after the `attempt`th transmission (0 = the original).
    pub fn timeout(&self, attempt: u32) -> Duration {
        let factor = u64::from(self.backoff.max(1)).saturating_pow(attempt);
        Duration::from_millis(self.initial_timeout_ms.saturating_mul(factor))
    }
}
