//! IPsec SA policy: what Quick Mode negotiates (RFC 2409 5.5), as an IOS crypto
//! map entry: traffic selectors (the ACL), transform sets, PFS and lifetimes.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{DhGroup, EspProposal};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildPolicy {
    pub name: String,
    #[serde(default)]
    pub mode: IpsecMode,
    pub local_ts: TrafficSelector,
    pub remote_ts: TrafficSelector,
    /// Transform sets in order of preference.
    pub esp_proposals: Vec<EspProposal>,
    /// `set pfs groupN`: a KE payload in Quick Mode with this group.
    #[serde(default)]
    pub pfs: Option<DhGroup>,
    #[serde(default)]
    pub lifetime: IpsecLifetime,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IpsecMode {
    #[default]
    Tunnel,
    Transport,
}

/// A subnet with an optional protocol and port (RFC 2407 4.6.2 client IDs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficSelector {
    pub address: IpAddr,
    pub prefix_len: u8,
    #[serde(default)]
    pub protocol: u8,
    #[serde(default)]
    pub port: u16,
}

impl TrafficSelector {
    /// A single host (/32 or /128).
    pub fn host(address: IpAddr) -> Self {
        let prefix_len = if address.is_ipv4() { 32 } else { 128 };
        Self { address, prefix_len, protocol: 0, port: 0 }
    }

    pub fn subnet(address: IpAddr, prefix_len: u8) -> Self {
        Self { address, prefix_len, protocol: 0, port: 0 }
    }

    /// Whether `address` lies inside this selector's subnet.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.address, address) {
            (IpAddr::V4(net), IpAddr::V4(candidate)) => {
                let shift = 32u32.saturating_sub(u32::from(self.prefix_len));
                let mask = if shift >= 32 { 0 } else { u32::MAX << shift };
                u32::from(net) & mask == u32::from(candidate) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(candidate)) => {
                let shift = 128u32.saturating_sub(u32::from(self.prefix_len));
                let mask = if shift >= 128 { 0 } else { u128::MAX << shift };
                u128::from(net) & mask == u128::from(candidate) & mask
            }
            _ => false,
        }
    }
}

/// IPsec SA lifetimes (RFC 2407 4.5): IOS defaults 3600 s and 4,608,000 KB.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpsecLifetime {
    #[serde(default = "default_seconds")]
    pub seconds: u32,
    #[serde(default)]
    pub kilobytes: Option<u32>,
}

fn default_seconds() -> u32 {
    3600
}

impl Default for IpsecLifetime {
    fn default() -> Self {
        Self { seconds: default_seconds(), kilobytes: None }
    }
}
