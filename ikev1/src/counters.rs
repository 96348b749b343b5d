//! Why messages were dropped or refused, counted per reason, so tests and
//! reports can assert on the engine's reaction to bad input without parsing
//! traces.

use std::collections::BTreeMap;

use isakmp::numbers::NotifyType;
use serde::Serialize;

/// Every way the engine can decline a datagram (RFC 2408 5 names most).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// The datagram is not a well-formed ISAKMP message (RFC 2408 5.1-5.3).
    Malformed,
    /// Major version other than 1 (RFC 2408 5.2).
    InvalidMajorVersion,
    /// Reserved flag bits set (RFC 2408 3.1, 5.2 step 5: INVALID FLAGS).
    InvalidFlags,
    /// No IKE SA has these cookies (RFC 2408 5.2: INVALID-COOKIE).
    UnknownCookies,
    /// An exchange type this state does not expect (RFC 2408 5.2).
    UnexpectedExchange,
    /// A message this state does not expect (wrong direction, wrong time).
    UnexpectedMessage,
    /// A required payload is missing or an unexpected one is present.
    MissingPayload,
    /// Plaintext where RFC 2409 requires encryption, or the reverse.
    EncryptionMismatch,
    /// The body does not decrypt to a parseable payload chain.
    DecryptionFailed,
    /// A HASH payload does not verify (RFC 2408 5.11).
    HashMismatch,
    /// No acceptable proposal (RFC 2408 5.4-5.6).
    NoProposalChosen,
    /// A KE payload of the wrong length or value (RFC 2409 5, CVE-2015-3240).
    InvalidKeyExchange,
    /// A nonce outside 8..=256 bytes (RFC 2409 5).
    InvalidNonce,
    /// The peer's identity is not the configured one (RFC 2408 5.8).
    InvalidIdentity,
    /// No pre-shared key for this peer.
    NoPreSharedKey,
    /// No connection is configured for this peer.
    NoPolicy,
    /// The half-open responder table is full.
    HalfOpenLimit,
    /// The IKE SA keeps as many Quick Mode exchanges as it may.
    QuickModeLimit,
    /// An ESP packet's inner packet is outside its IPsec SA's traffic
    /// selectors (RFC 4301 5.2).
    OutsideSelectors,
    /// An unauthenticated Informational after keys exist (CVE-2020-1763 shape).
    UnauthenticatedInformational,
    /// A message with a nonzero message ID in Phase 1, or an unknown one later.
    InvalidMessageId,
    /// An ESP packet the anti-replay window refused (RFC 4303 3.4.3).
    EspReplay,
    /// An ESP packet whose ICV did not verify (RFC 4303 3.4.4).
    EspIntegrity,
    /// A retransmission we already answered.
    Duplicate,
    /// A NAT keepalive or other non-IKE datagram that needs no answer.
    NotIke,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub datagrams_received: u64,
    pub datagrams_sent: u64,
    pub retransmissions: u64,
    pub phase1_established: u64,
    pub phase1_failed: u64,
    pub dropped: BTreeMap<DropReason, u64>,
    pub notifies_sent: BTreeMap<String, u64>,
    pub notifies_received: BTreeMap<String, u64>,
}

impl Counters {
    pub fn drop(&mut self, reason: DropReason) {
        *self.dropped.entry(reason).or_default() += 1;
    }

    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped.get(&reason).copied().unwrap_or(0)
    }

    pub fn notify_sent(&mut self, notify: NotifyType) {
        *self.notifies_sent.entry(notify.to_string()).or_default() += 1;
    }

    pub fn notify_received(&mut self, notify: NotifyType) {
        *self.notifies_received.entry(notify.to_string()).or_default() += 1;
    }
}
