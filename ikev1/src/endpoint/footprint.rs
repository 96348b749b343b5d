//! How much state an endpoint holds, counted the way its limits are stated,
//! so tests and fuzz invariants can check that no input makes it grow
//! without bound.

use super::Endpoint;

/// A count of what the endpoint keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// IKE SAs in the table, whatever their state.
    pub ike_sas: usize,
    /// Responder IKE SAs whose peer is not authenticated yet
    /// (bounded by `Limits::max_half_open`).
    pub half_open: usize,
    /// The most Quick Mode exchanges any one IKE SA keeps.
    pub max_quick_modes_per_sa: usize,
    /// IPsec SA pairs installed, in use or still waiting for their exchange
    /// to be confirmed.
    pub ipsec_sa_pairs: usize,
}

impl Endpoint {
    pub fn footprint(&self) -> Footprint {
        Footprint {
            ike_sas: self.sas.len(),
            half_open: self.sas.values().filter(|sa| sa.is_half_open()).count(),
            max_quick_modes_per_sa: self.sas.values().map(|sa| sa.quick_mode_count()).max().unwrap_or(0),
            ipsec_sa_pairs: self.children.iter().count(),
        }
    }
}
