//! The outcome of a Quick Mode: one IPsec SA pair (RFC 2409 5.5), keyed by
//! KEYMAT for each direction, ready for the ESP data plane.

use std::net::SocketAddr;

use isakmp::Cookie;
use serde::Serialize;

use crate::crypto::Secret;
use crate::policy::{EspProposal, IpsecLifetime, IpsecMode, TrafficSelector};

/// One direction's SPI and keys.
pub struct ChildKeys {
    /// The SPI the receiver of this direction chose.
    pub spi: u32,
    pub encryption: Secret,
    pub integrity: Secret,
}

/// An IPsec SA pair negotiated by Quick Mode.
pub struct NegotiatedChild {
    pub connection: String,
    pub child: String,
    /// The ISAKMP SA that negotiated it (our cookie): deletes go through it.
    pub ike_sa: Cookie,
    pub conn_id: u32,
    pub message_id: u32,
    pub we_initiated: bool,
    pub proposal: EspProposal,
    pub pfs: Option<crate::policy::DhGroup>,
    pub mode: IpsecMode,
    /// ESP-in-UDP on port 4500 (RFC 3948).
    pub udp_encapsulated: bool,
    /// The IKE endpoints, which are also ESP's (with ports when encapsulated).
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub local_ts: TrafficSelector,
    pub remote_ts: TrafficSelector,
    pub lifetime: IpsecLifetime,
    pub inbound: ChildKeys,
    pub outbound: ChildKeys,
}

impl NegotiatedChild {
    pub fn info(&self) -> IpsecSaInfo {
        IpsecSaInfo {
            conn_id: self.conn_id,
            connection: self.connection.clone(),
            child: self.child.clone(),
            inbound_spi: format!("{:08x}", self.inbound.spi),
            outbound_spi: format!("{:08x}", self.outbound.spi),
            proposal: self.proposal.to_string(),
            pfs: self.pfs.map(|group| group.token().to_owned()),
            mode: self.mode,
            udp_encapsulated: self.udp_encapsulated,
            lifetime_secs: self.lifetime.seconds,
            lifetime_kilobytes: self.lifetime.kilobytes,
            local_ts: format!("{}/{}", self.local_ts.address, self.local_ts.prefix_len),
            remote_ts: format!("{}/{}", self.remote_ts.address, self.remote_ts.prefix_len),
            we_initiated: self.we_initiated,
        }
    }
}

/// What an event says about an IPsec SA pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IpsecSaInfo {
    pub conn_id: u32,
    pub connection: String,
    pub child: String,
    pub inbound_spi: String,
    pub outbound_spi: String,
    pub proposal: String,
    pub pfs: Option<String>,
    pub mode: IpsecMode,
    pub udp_encapsulated: bool,
    pub lifetime_secs: u32,
    pub lifetime_kilobytes: Option<u32>,
    pub local_ts: String,
    pub remote_ts: String,
    pub we_initiated: bool,
}
