//! Checks for replays of malformed or forged input (`ikelab cve`): that the
//! reference's mutations reached the wire, and what the peer sent back.

use serde_json::json;

use super::{Found, REFERENCE_SIDE, Session, StepResult};
use crate::runner::peer_messages::PeerMessages;

impl Session<'_> {
    /// The reference applied at least `at_least` `Mutate` impairments: a replay that
    /// counts on a mutated message must not pass when the message never went out.
    pub(super) fn mutated(&mut self, at_least: u32) -> StepResult {
        let applied = self.node()?.observed().mutations_applied.clone();
        if applied.len() >= at_least as usize {
            Ok(Found::new(
                format!("{} mutations applied: {}", applied.len(), applied.join("; ")),
                json!(applied),
            ))
        } else {
            Err(format!("{} mutations applied, {at_least} wanted: {applied:?}", applied.len()))
        }
    }

    /// What the peer sent the reference so far: from the capture, and the notifies the
    /// reference's engine decrypted. An observation: it fails only if the capture
    /// cannot be read.
    pub(super) fn peer_messages(&mut self) -> StepResult {
        let peer = self.station.network.addresses(REFERENCE_SIDE).remote;
        let messages = PeerMessages::read(&self.folder.join("capture.pcap"), peer)?;
        let received = self.snapshot()?.counters.notifies_received;
        let detail = format!(
            "from the peer: {:?}; notifies in the clear {:?}, decrypted by the reference {:?}; \
             {} MM2/AM2",
            messages.by_exchange, messages.plain_notifies, received, messages.first_responses
        );
        Ok(Found::new(detail, json!({ "capture": messages, "decrypted_notifies": received })))
    }
}
