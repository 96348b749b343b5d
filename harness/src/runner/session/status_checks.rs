//! Checks on what the reference counted and shows: notifies sent and received (RFC
//! 2408 3.14, RFC 2407 4.6.3) and `show crypto session` statuses.

use serde_json::json;

use super::{Found, Session, StepResult};
use crate::scenario::Direction;

impl Session<'_> {
    /// How often the reference sent or received this notify.
    pub(super) fn notified(&self, name: &str) -> Result<u64, String> {
        self.notify_count(name, Direction::Either)
    }

    pub(super) fn notify_count(&self, name: &str, direction: Direction) -> Result<u64, String> {
        let counters = self.snapshot()?.counters;
        let sent = counters.notifies_sent.get(name).copied().unwrap_or(0);
        let received = counters.notifies_received.get(name).copied().unwrap_or(0);
        Ok(match direction {
            Direction::Sent => sent,
            Direction::Received => received,
            Direction::Either => sent + received,
        })
    }

    /// With a name, the reference must have sent or received that notify.
    pub(super) fn expect_notify(&self, name: Option<&str>) -> Result<(), String> {
        let Some(name) = name else { return Ok(()) };
        if self.notified(name)? > 0 {
            return Ok(());
        }
        let counters = self.snapshot()?.counters;
        Err(format!(
            "no {name} notify either way; sent {:?}, received {:?}",
            counters.notifies_sent, counters.notifies_received
        ))
    }

    pub(super) fn notify(
        &mut self,
        name: &str,
        direction: Direction,
        at_least: u32,
        within: Option<u64>,
    ) -> StepResult {
        let wanted = u64::from(at_least);
        let timeout = within.map(std::time::Duration::from_secs).unwrap_or_default();
        self.poll(timeout, |session| Ok((session.notify_count(name, direction)? >= wanted).then_some(())))?;
        let count = self.notify_count(name, direction)?;
        let counters = self.snapshot()?.counters;
        let values = json!({ "sent": counters.notifies_sent, "received": counters.notifies_received });
        if count >= u64::from(at_least) {
            Ok(Found::new(format!("{name} {direction:?}: {count}"), values))
        } else {
            Err(format!(
                "{name} {direction:?} {count} times, expected at least {at_least}; sent {:?}, received {:?}",
                counters.notifies_sent, counters.notifies_received
            ))
        }
    }

    pub(super) fn no_notify(&mut self, name: &str, direction: Direction) -> StepResult {
        match self.notify_count(name, direction)? {
            0 => Ok(Found::new(format!("no {name} {direction:?}"), json!(null))),
            count => Err(format!("{name} {direction:?} {count} times")),
        }
    }

    /// `show crypto session` shows `status` within the bound.
    pub(super) fn session(&mut self, status: &str, within: Option<u64>) -> StepResult {
        let timeout = self.within(within);
        let current = |session: &mut Self| -> Result<String, String> {
            let snapshot = session.snapshot()?;
            Ok(snapshot
                .sessions
                .first()
                .map_or_else(|| "none".to_owned(), |view| view.status.ios_name().to_owned()))
        };
        let reached =
            self.poll(timeout, |session| Ok(Some(current(session)?).filter(|now| now == status)))?;
        let history = self.history();
        match reached {
            Some(_) => {
                Ok(Found::new(format!("show crypto session: {status}; history {history:?}"), json!(history)))
            }
            None => {
                Err(format!("show crypto session: {} after {timeout:?}; history {history:?}", current(self)?))
            }
        }
    }

    /// The status appeared in the sampled history of this reference engine.
    pub(super) fn session_seen(&mut self, status: &str) -> StepResult {
        let history = self.history();
        if history.iter().any(|(_, seen)| seen == status) {
            Ok(Found::new(format!("{status} was seen; history {history:?}"), json!(history)))
        } else {
            Err(format!("{status} never showed; history {history:?}"))
        }
    }

    /// The session status changes so far: seconds since the case started, status.
    fn history(&self) -> Vec<(String, String)> {
        let Ok(node) = self.node() else { return Vec::new() };
        let observed = node.observed();
        observed
            .session_history
            .iter()
            .map(|(at, status)| (format!("{:.1}s", self.since_start(*at)), status.clone()))
            .collect()
    }
}
