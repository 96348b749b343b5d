//! What the reference engine did, as the case driver polls it while the case runs.

use std::time::Instant;

use ikev1::IkeSaInfo;
use serde::Serialize;

use super::super::engine_api::IpsecSaUp;
use super::super::icmp::Echo;

#[derive(Debug, Default)]
pub struct Observed {
    /// Every ISAKMP SA established, in order.
    pub ike_sas: Vec<IkeSaInfo>,
    /// Every IPsec SA pair established, in order.
    pub ipsec_sas: Vec<IpsecSaUp>,
    /// SAs deleted, expired or refused, with the engine's reason.
    pub sa_events: Vec<SaEvent>,
    pub echo_replies: Vec<(Instant, Echo)>,
    /// When echo requests from the peer to our inner address were answered.
    pub echo_requests_answered: Vec<Instant>,
    /// Echo requests of background streams: (identifier, sequence, when sent, sent at all).
    pub stream_requests: Vec<StreamRequest>,
    pub keepalives_sent: u32,
    /// The names of the Vendor IDs the peer sent (NAT-T versions, DPD...).
    pub peer_vendor_ids: Vec<String>,
    /// `show crypto session` status changes: (when, IOS status).
    pub session_history: Vec<(Instant, String)>,
    /// The `Mutate` impairments applied, as the trace details them (message number,
    /// authentic, the mutation).
    pub mutations_applied: Vec<String>,
    /// Packets the engine could not take or send.
    pub unhandled: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SaEventKind {
    IkeSaDeleted,
    IkeSaFailed,
    IpsecSaDeleted,
    IpsecSaFailed,
}

#[derive(Clone, Debug)]
pub struct SaEvent {
    pub at: Instant,
    pub kind: SaEventKind,
    pub reason: String,
}

#[derive(Clone, Copy, Debug)]
pub struct StreamRequest {
    pub identifier: u16,
    pub sequence: u16,
    pub sent_at: Instant,
    /// Whether the engine took it (an IPsec SA covered it).
    pub protected: bool,
}

impl Observed {
    /// The ISAKMP SA failures, as `connection with peer: reason`.
    pub fn failures(&self) -> impl Iterator<Item = &SaEvent> {
        self.sa_events.iter().filter(|event| event.kind == SaEventKind::IkeSaFailed)
    }

    /// Whether an echo reply of this stream and sequence arrived, and when.
    pub fn reply_to(&self, identifier: u16, sequence: u16) -> Option<Instant> {
        self.echo_replies
            .iter()
            .find(|(_, echo)| echo.identifier == identifier && echo.sequence == sequence)
            .map(|(at, _)| *at)
    }

    /// The latest session status, if one was sampled.
    pub fn session_status(&self) -> Option<&str> {
        self.session_history.last().map(|(_, status)| status.as_str())
    }
}
