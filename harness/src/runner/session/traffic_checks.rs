//! Checks on traffic through the tunnel: single echoes, recovery after a disruption
//! (the invalid-SPI, DPD and restart cases), black holes, and background streams.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{Found, Session, StepResult};
use crate::scenario::Actor;

/// One echo's wait for its reply.
const PING_TIMEOUT: Duration = Duration::from_secs(2);
/// While waiting for recovery: each echo's wait, then the pause before the next.
const PROBE_TIMEOUT: Duration = Duration::from_millis(800);
const PROBE_PAUSE: Duration = Duration::from_millis(200);
/// After a stream's last echo, how long its replies may take.
const STREAM_DRAIN: Duration = Duration::from_secs(2);

impl Session<'_> {
    /// One echo from `from`'s inner address through the tunnel; whether it came back.
    fn echo(&mut self, from: Actor, timeout: Duration) -> Result<Option<Duration>, String> {
        let (reference, peer) =
            (self.station.network.reference().inner(), self.station.network.peer().inner());
        match self.resolve(from) {
            Actor::Reference => Ok(self.node_mut()?.ping(reference, peer, timeout).ok()),
            _ => {
                let started = Instant::now();
                let replied =
                    self.station.peer.ping(peer, reference, timeout).map_err(|error| error.to_string())?;
                Ok(replied.then(|| started.elapsed()))
            }
        }
    }

    pub(super) fn ping(&mut self, from: Actor, attempts: u32) -> StepResult {
        let from = self.resolve(from);
        for attempt in 1..=attempts.max(1) {
            if let Some(rtt) = self.echo(from, PING_TIMEOUT)? {
                let detail = format!(
                    "{from:?} -> the other side: reply in {:.1} ms (attempt {attempt})",
                    rtt.as_secs_f64() * 1000.0
                );
                return Ok(Found::new(
                    detail,
                    json!({ "rtt_ms": rtt.as_secs_f64() * 1000.0, "attempt": attempt }),
                ));
            }
        }
        let unhandled = self.node().map(|node| node.observed().unhandled.join("; ")).unwrap_or_default();
        Err(format!(
            "{from:?} -> the other side: no reply in {attempts} attempt(s) of {PING_TIMEOUT:?}. {unhandled}"
        ))
    }

    /// Echoes until one is answered; the time is counted from the last disruptive step.
    pub(super) fn traffic_recovers(&mut self, from: Actor, within_secs: u64) -> StepResult {
        let from = self.resolve(from);
        let deadline = self.last_disruption + Duration::from_secs(within_secs);
        let mut attempts = 0;
        while Instant::now() < deadline {
            attempts += 1;
            if self.echo(from, PROBE_TIMEOUT)?.is_some() {
                let after = self.last_disruption.elapsed().as_secs_f64();
                return Ok(Found::new(
                    format!(
                        "{from:?}'s traffic flows again {after:.1} s after the disruption ({attempts} echoes)"
                    ),
                    json!({ "recovered_after_secs": after, "echoes": attempts }),
                ));
            }
            thread::sleep(PROBE_PAUSE);
        }
        Err(format!(
            "{from:?}'s traffic did not recover within {within_secs} s ({attempts} echoes unanswered){}",
            self.failure_since()
        ))
    }

    /// Not a single echo answered for `secs`.
    pub(super) fn traffic_stays_down(&mut self, from: Actor, secs: u64) -> StepResult {
        let from = self.resolve(from);
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut attempts = 0;
        while Instant::now() < deadline {
            attempts += 1;
            if let Some(rtt) = self.echo(from, PROBE_TIMEOUT)? {
                return Err(format!(
                    "{from:?}'s echo {attempts} was answered in {:.1} ms",
                    rtt.as_secs_f64() * 1000.0
                ));
            }
            thread::sleep(PROBE_PAUSE);
        }
        Ok(Found::new(
            format!("{attempts} echoes from {from:?} over {secs} s, none answered"),
            json!({ "echoes": attempts }),
        ))
    }

    /// The last stream from `from` ended with at most `max_lost` echoes unanswered.
    pub(super) fn traffic_delivered(&mut self, from: Actor, max_lost: u32) -> StepResult {
        let from = self.resolve(from);
        let Some(stream) = self.streams.iter().rev().find(|stream| stream.from == from) else {
            return Err(format!("no `traffic` step from {from:?} before this check"));
        };
        let (identifier, count, started, ends) =
            (stream.identifier, stream.count, stream.started, stream.ends);
        let wait = (ends + STREAM_DRAIN).saturating_duration_since(Instant::now());
        thread::sleep(wait);
        let delivered = match from {
            Actor::Reference => {
                let node = self.node()?;
                let observed = node.observed();
                let sent = observed.stream_requests.iter().filter(|request| request.identifier == identifier);
                sent.filter(|request| observed.reply_to(identifier, request.sequence).is_some()).count()
                    as u32
            }
            // The peer's pings are seen where the reference answers them.
            _ => {
                let node = self.node()?;
                let observed = node.observed();
                let answered = observed
                    .echo_requests_answered
                    .iter()
                    .filter(|at| **at >= started && **at <= ends + STREAM_DRAIN);
                answered.count() as u32
            }
        };
        let lost = count.saturating_sub(delivered);
        let detail = format!("{delivered} of {count} echoes from {from:?} answered, {lost} lost");
        let values = json!({ "sent": count, "answered": delivered, "lost": lost, "stream": stream_label(from, identifier) });
        if lost <= max_lost {
            Ok(Found::new(detail, values))
        } else {
            Err(format!("{detail}, at most {max_lost} allowed"))
        }
    }
}

fn stream_label(from: Actor, identifier: u16) -> String {
    format!("{from:?}#{identifier:04x}")
}
