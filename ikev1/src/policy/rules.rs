//! Negotiation rules that differ between implementations; interop testing
//! needs both behaviours of each.

use serde::{Deserialize, Serialize};

/// How a responder picks among the initiator's transforms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponderChoice {
    /// Walk our own policies in priority order and take the first one the
    /// initiator offered: what IOS and strongSwan do.
    #[default]
    OwnPriority,
    /// Walk the initiator's transforms in its order and take the first we
    /// accept (RFC 2408 leaves the choice to the responder).
    InitiatorOrder,
}

/// How a responder treats a proposed lifetime against its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifetimeRule {
    /// Accept a proposed lifetime up to our own; refuse a longer one (IOS
    /// ISAKMP policy matching).
    #[default]
    AcceptShorter,
    /// Accept only exactly our own lifetime.
    RequireEqual,
    /// Accept any lifetime the initiator proposes.
    AcceptAny,
}

impl LifetimeRule {
    /// Whether a proposed lifetime is acceptable against our own.
    pub fn accepts(self, proposed: u32, own: u32) -> bool {
        match self {
            Self::AcceptShorter => proposed <= own,
            Self::RequireEqual => proposed == own,
            Self::AcceptAny => true,
        }
    }
}

/// NAT traversal (RFC 3947).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatTraversal {
    #[serde(default)]
    pub mode: NatTMode,
    /// Announce the RFC 3947 vendor ID.
    #[serde(default = "yes")]
    pub rfc3947: bool,
    /// Announce the draft-ietf-ipsec-nat-t-ike-02 and -03 vendor IDs.
    #[serde(default = "yes")]
    pub drafts: bool,
    /// Seconds between NAT keepalives when behind a NAT (RFC 3948 2.3).
    #[serde(default = "default_keepalive")]
    pub keepalive_secs: u32,
}

fn yes() -> bool {
    true
}

fn default_keepalive() -> u32 {
    20
}

impl Default for NatTraversal {
    fn default() -> Self {
        Self { mode: NatTMode::Auto, rfc3947: true, drafts: true, keepalive_secs: default_keepalive() }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NatTMode {
    /// Detect NATs with NAT-D and encapsulate only behind one.
    #[default]
    Auto,
    /// Always float to port 4500 and UDP-encapsulate, by announcing a fake
    /// NAT-D hash (what strongSwan's `encap = yes` does).
    Force,
    /// Neither announce NAT-T nor process NAT-D.
    Off,
}

/// Dead Peer Detection (RFC 3706).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dpd {
    /// Seconds without hearing from the peer before an R-U-THERE is sent
    /// (IOS `crypto isakmp keepalive <interval>`).
    pub interval_secs: u32,
    /// Seconds between unanswered R-U-THEREs (IOS `keepalive ... <retry>`).
    #[serde(default = "default_dpd_retry")]
    pub retry_secs: u32,
    /// Unanswered R-U-THEREs before the peer is declared dead.
    #[serde(default = "default_dpd_retries")]
    pub retries: u32,
    /// Only when we have traffic to send and hear nothing back (IOS
    /// `on-demand`); otherwise whenever the peer is quiet (`periodic`).
    #[serde(default)]
    pub on_demand: bool,
}

fn default_dpd_retry() -> u32 {
    2
}

fn default_dpd_retries() -> u32 {
    3
}
