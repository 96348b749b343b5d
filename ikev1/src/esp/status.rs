//! A snapshot of one SA for `show crypto ipsec sa` and for JSON reports.

use std::net::IpAddr;

use serde::Serialize;

use super::{EspCounters, LifetimeState, Limits, UdpPorts};
use crate::policy::{EspProposal, IpsecMode};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SaDirection {
    Inbound,
    Outbound,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EspSaStatus {
    pub spi: u32,
    pub direction: SaDirection,
    /// The transform set, e.g. `aes128-sha256`.
    pub transform: EspProposal,
    pub mode: IpsecMode,
    pub local: IpAddr,
    pub peer: IpAddr,
    pub udp: Option<UdpPorts>,
    pub state: LifetimeState,
    /// Left before the hard limits (IOS "remaining key lifetime (k/sec)").
    pub remaining: Limits,
    /// Outbound: the last sequence number sent; inbound: the highest authenticated.
    pub sequence: u32,
    /// Inbound only.
    pub replay_window: Option<u32>,
    pub counters: EspCounters,
}
