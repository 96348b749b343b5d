//! Checks on the peer as a process and as a protocol citizen: alive, how it took a
//! deliberate violation, and whether the capture opens decrypted with its keys.

use std::time::Duration;

use isakmp::numbers::NotifyType;
use peers::Health;
use serde_json::json;

use super::{Found, PEER_CONNECTION, Session, StepResult};
use crate::runner::station::HEALTH_TIMEOUT;
use crate::runner::tshark;
use crate::scenario::{Acceptance, Direction, Reaction};

/// How long the reference's echo waits when traffic decides acceptance.
const TRAFFIC_PROBE: Duration = Duration::from_secs(2);

impl Session<'_> {
    pub(super) fn peer_alive(&mut self) -> StepResult {
        match self.station.peer.health(HEALTH_TIMEOUT) {
            Health::Alive => Ok(Found::new("the peer runs and answers its control socket", json!("alive"))),
            Health::Crashed(detail) => Err(format!("the peer CRASHED: {detail}")),
            Health::Hung(detail) => Err(format!("the peer HUNG: {detail}")),
        }
    }

    /// Crashed or hung if so; accepted if what the impairment spoils worked anyway;
    /// rejected if the peer sent an error notify (RFC 2408 3.14.1); else ignored.
    pub(super) fn peer_reaction(&mut self, expect: &[Reaction], accepted_if: Acceptance) -> StepResult {
        let errors = self.error_notifies_received()?;
        let reaction = match self.station.peer.health(HEALTH_TIMEOUT) {
            Health::Crashed(_) => Reaction::Crashed,
            Health::Hung(_) => Reaction::Hung,
            Health::Alive if self.accepted(accepted_if)? => Reaction::Accepted,
            Health::Alive if !errors.is_empty() => Reaction::Rejected,
            Health::Alive => Reaction::Ignored,
        };
        self.reaction = Some(reaction);
        let with = if errors.is_empty() {
            String::new()
        } else {
            format!(" (error notifies received: {})", errors.join(", "))
        };
        let detail = format!("{reaction:?}{with}");
        let values = json!({ "reaction": reaction, "error_notifies": errors });
        if expect.contains(&reaction) {
            Ok(Found::new(detail, values))
        } else {
            Err(format!("the peer's reaction: {detail}; expected one of {expect:?}"))
        }
    }

    /// Judged on the peer's side, now or at any time it was looked at: a responding
    /// reference counts its SA established once it has sent MM6 or QM2, whether the
    /// peer accepts them or not, and a peer may accept and then drop an SA.
    fn accepted(&mut self, accepted_if: Acceptance) -> Result<bool, String> {
        self.sample_peer();
        Ok(match accepted_if {
            Acceptance::Phase1 => self.peer_seen.ike_established,
            Acceptance::Phase2 => self.peer_seen.child_installed,
            Acceptance::Traffic => {
                let (source, destination) =
                    (self.station.network.reference().inner(), self.station.network.peer().inner());
                self.node_mut()?.ping(source, destination, TRAFFIC_PROBE).is_ok()
            }
            Acceptance::IkeSaDeleted => {
                let status =
                    self.station.peer.status().map_err(|error| format!("the peer's status: {error}"))?;
                status.established(PEER_CONNECTION).next().is_none()
            }
            Acceptance::DpdAnswered => self.notify_count("R-U-THERE-ACK", Direction::Received)? > 0,
        })
    }

    /// The error notify types the reference received from the peer.
    fn error_notifies_received(&self) -> Result<Vec<String>, String> {
        let counters = self.snapshot()?.counters;
        Ok(counters.notifies_received.keys().filter(|name| is_error(name)).cloned().collect())
    }

    /// tshark, with the case's key files written now, decrypts the live capture.
    pub(super) fn capture_decrypts(&mut self) -> StepResult {
        let notes = self.write_keys();
        let found = tshark::check(&self.folder.join("capture.pcap"), &self.folder.join("wireshark"));
        let notes = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) };
        found.map(|detail| Found::new(detail, json!(null))).map_err(|detail| format!("{detail}{notes}"))
    }
}

/// RFC 2408 3.14.1: types below 8192 are errors; the counters name them as
/// [`NotifyType`] prints them.
pub fn is_error(name: &str) -> bool {
    match name.parse::<u16>() {
        Ok(number) => NotifyType(number).is_error(),
        Err(_) => (1..8192).map(NotifyType).take(31).any(|notify| notify.to_string() == name),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_notifies_are_told_from_statuses() {
        assert!(super::is_error("NO-PROPOSAL-CHOSEN"));
        assert!(super::is_error("INVALID-PAYLOAD-TYPE"));
        assert!(super::is_error("4000"));
        assert!(!super::is_error("R-U-THERE"));
        assert!(!super::is_error("RESPONDER-LIFETIME"));
        assert!(!super::is_error("INITIAL-CONTACT"));
    }
}
