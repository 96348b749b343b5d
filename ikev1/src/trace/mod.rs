//! Traces: every state change, message and decision is an event.
//!
//! Events are structured ([`TraceEvent`], serialisable to JSON for machines)
//! and rendered for people in the style of Cisco IOS `debug crypto isakmp`
//! ([`ios`]), with the IOS state names, so that engineers who debug IPsec on
//! routers read them without a glossary. [`filter`] is `debug crypto
//! condition peer`; [`show`] renders `show crypto isakmp sa`.

pub mod filter;
pub mod ios;
pub mod show;
pub mod show_ipsec;
mod states;

use std::net::SocketAddr;

use serde::Serialize;

pub use states::{IkeState, Input, Role, SaState};

use crate::counters::DropReason;
use crate::time::Timestamp;

/// One traced event of one IKE SA (or of the endpoint, with conn-id 0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceEvent {
    pub at: Timestamp,
    /// IOS conn-id: 0 until keys exist, then 1001, 1002, ...
    pub conn_id: u32,
    pub peer: Option<SocketAddr>,
    #[serde(flatten)]
    pub trace: Trace,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Trace {
    /// `Input = ...` followed by `Old State = ... New State = ...`.
    StateChange {
        input: Input,
        old: IkeState,
        new: IkeState,
        node: Option<u32>,
    },
    Sent {
        state: SaState,
        role: Role,
        local_port: u16,
        peer_port: u16,
        retransmission: bool,
    },
    Received {
        state: SaState,
        role: Role,
        local_port: u16,
        peer_port: u16,
    },
    BeginExchange {
        exchange: &'static str,
        message_id: u32,
    },
    Processing {
        payload: String,
        message_id: u32,
    },
    VendorId {
        name: String,
    },
    ConstructedVendorId {
        name: String,
    },
    CheckingTransform {
        transform: u8,
        priority: u16,
        attributes: Vec<String>,
    },
    AttributesAcceptable,
    AttributesNotAcceptable {
        reason: String,
    },
    PskFound {
        peer: String,
    },
    PskNotFound {
        peer: String,
    },
    NatDetected {
        local_behind_nat: bool,
        peer_behind_nat: bool,
    },
    PortFloat {
        local_port: u16,
        peer_port: u16,
    },
    IdentityPayload {
        id_type: String,
        identity: String,
        protocol: u8,
        port: u16,
    },
    Authenticated,
    AuthenticationFailed {
        reason: String,
    },
    SendInitialContact,
    NotifySent {
        notify: String,
        protocol: String,
        encrypted: bool,
    },
    NotifyReceived {
        notify: String,
        protocol: String,
        encrypted: bool,
    },
    DeleteSent {
        protocol: String,
        spis: Vec<String>,
    },
    DeleteReceived {
        protocol: String,
        spis: Vec<String>,
    },
    Retransmit {
        count: u32,
        limit: u32,
        state: SaState,
    },
    DuplicateRequest,
    Dropped {
        reason: DropReason,
        detail: String,
    },
    Deleted {
        reason: String,
        state: SaState,
        role: Role,
    },
    Expired {
        soft: bool,
    },
    Impaired {
        impairment: String,
        detail: String,
    },
    Lifetime {
        seconds: u32,
    },
    /// An ESP packet for an SPI we do not have (IOS %CRYPTO-4-RECVD_PKT_INV_SPI).
    InvalidSpi {
        spi: String,
        reported: bool,
    },
}
