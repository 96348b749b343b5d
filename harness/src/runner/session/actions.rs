//! The `do` steps: what the scenario does to the reference, the peer and the network.

use std::net::SocketAddrV4;
use std::thread;
use std::time::{Duration, Instant};

use peers::Traffic;
use serde_json::json;

use super::{Found, PEER_CONNECTION, REFERENCE_CONNECTION, Session, StepResult, Stream};
use crate::runner::reference::StreamSpec;

/// ISAKMP's port (RFC 2408 2.5.2).
const IKE_PORT: u16 = 500;
use crate::scenario::{Action, Actor};

/// Identifiers of the reference's echo streams start here (pings use the pid's).
const FIRST_STREAM_ID: u16 = 0x5100;
/// How often a `wait` looks at the peer's SAs.
const PEER_SAMPLE: Duration = Duration::from_millis(250);

impl Session<'_> {
    pub(super) fn act(&mut self, action: &Action) -> StepResult {
        match action {
            Action::Initiate { by } => self.initiate(by.unwrap_or(Actor::Initiator)),
            Action::Wait { secs } => {
                // The peer is watched while we wait, for SAs that come and go.
                let deadline = Instant::now() + Duration::from_secs_f64(*secs);
                while Instant::now() < deadline {
                    self.sample_peer();
                    thread::sleep(PEER_SAMPLE.min(deadline.saturating_duration_since(Instant::now())));
                }
                Ok(Found::new(format!("waited {secs} s"), json!(null)))
            }
            Action::Traffic { from, secs, interval_ms, payload } => self.traffic(
                *from,
                Duration::from_secs_f64(*secs),
                Duration::from_millis(*interval_ms),
                *payload,
            ),
            Action::ReferenceForgets { what } => {
                self.node()?.forget(*what)?;
                Ok(Found::new(
                    format!("the reference forgot its SAs ({what:?}) without telling the peer"),
                    json!(null),
                ))
            }
            Action::ReferenceRestarts { keep_impairments } => self.restart_reference(*keep_impairments),
            Action::PeerRestarts => {
                let started = Instant::now();
                self.station
                    .peer
                    .restart(&self.peer_policy)
                    .map_err(|error| format!("restarting the peer: {error}"))?;
                let secs = started.elapsed().as_secs_f64();
                Ok(Found::new(
                    format!("the peer was killed and started again in {secs:.1} s"),
                    json!({ "secs": secs }),
                ))
            }
            Action::Delete { by, scope } => {
                match self.resolve(*by) {
                    Actor::Reference => self.node()?.delete(*scope, REFERENCE_CONNECTION)?,
                    _ => self
                        .station
                        .peer
                        .delete(PEER_CONNECTION, *scope)
                        .map_err(|error| format!("the peer's delete: {error}"))?,
                }
                Ok(Found::new(format!("{:?} deleted {scope:?}", self.resolve(*by)), json!(null)))
            }
            Action::NatRebind { side } => {
                let side = self.side_of(*side);
                let nat = self
                    .station
                    .network
                    .nat(side)
                    .ok_or_else(|| format!("no NAT in front of the {side:?} side"))?;
                nat.rebind().map_err(|error| format!("rebinding the NAT: {error}"))?;
                Ok(Found::new(
                    format!("the NAT in front of the {side:?} side maps to new ports"),
                    json!(null),
                ))
            }
            Action::Loss { percent, side, random } => self.loss(*percent, *side, *random),
            Action::SendDatagrams { hex } => self.send_datagrams(hex),
            Action::Impair { impairments } => {
                self.node()?.set_impairments(REFERENCE_CONNECTION, impairments.clone())?;
                let names: Vec<String> = impairments.iter().map(|impairment| impairment.name()).collect();
                Ok(Found::new(format!("the reference's impairments now: {names:?}"), json!(impairments)))
            }
        }
    }

    fn initiate(&mut self, by: Actor) -> StepResult {
        match self.resolve(by) {
            Actor::Reference => {
                self.node()?.initiate(REFERENCE_CONNECTION)?;
                Ok(Found::new("the reference started Phase 1", json!(null)))
            }
            _ => {
                // The peer's own verdict is kept for the checks to report: Phase 1 may be
                // up even when the peer's initiation as a whole (Quick Mode) failed.
                let timeout = self.case.timeout();
                let started = Instant::now();
                self.peer_initiate_error =
                    self.station.peer.initiate(PEER_CONNECTION, timeout).err().map(|error| error.to_string());
                let secs = started.elapsed().as_secs_f64();
                self.sample_peer();
                let outcome = match &self.peer_initiate_error {
                    None => "the peer initiated and reports success".to_owned(),
                    Some(error) => {
                        format!("the peer initiated and reports failure: {}", super::first_line(error))
                    }
                };
                Ok(Found::new(outcome, json!({ "secs": secs, "error": self.peer_initiate_error })))
            }
        }
    }

    fn traffic(&mut self, from: Actor, span: Duration, interval: Duration, payload: usize) -> StepResult {
        let count = (span.as_millis() / interval.as_millis().max(1)).max(1) as u32;
        let from = self.resolve(from);
        let (source, destination) = match from {
            Actor::Reference => {
                (self.station.network.reference().inner(), self.station.network.peer().inner())
            }
            _ => (self.station.network.peer().inner(), self.station.network.reference().inner()),
        };
        let identifier = FIRST_STREAM_ID + self.streams.len() as u16;
        // Before the start: the first echo may be answered before the call returns.
        let started = Instant::now();
        match from {
            Actor::Reference => self.node()?.stream(StreamSpec {
                source,
                destination,
                identifier,
                interval,
                count: u16::try_from(count).map_err(|_| "too many echoes for one stream")?,
                payload,
            })?,
            _ => self
                .station
                .peer
                .start_traffic(Traffic { source, destination, count, interval, payload })
                .map_err(|error| format!("starting the peer's pings: {error}"))?,
        }
        self.streams.push(Stream { from, identifier, count, started, ends: started + interval * count });
        Ok(Found::new(
            format!(
                "{count} echoes of {payload} bytes from {source} to {destination}, one every {interval:?}"
            ),
            json!({ "count": count, "interval_ms": interval.as_millis() as u64 }),
        ))
    }

    /// Each datagram as it is, from the reference's port 500 to the peer's.
    fn send_datagrams(&mut self, hex: &[String]) -> StepResult {
        let peer = match self.station.network.addresses(super::REFERENCE_SIDE).remote {
            std::net::IpAddr::V4(address) => SocketAddrV4::new(address, IKE_PORT),
            std::net::IpAddr::V6(address) => return Err(format!("the peer is at {address}: IPv4 only")),
        };
        let mut lengths = Vec::new();
        for (index, text) in hex.iter().enumerate() {
            let datagram = text
                .parse::<vectors::Hex>()
                .map_err(|error| format!("datagram {}: not hex: {error}", index + 1))?
                .into_vec();
            lengths.push(datagram.len());
            self.node()?.send_raw(datagram, peer)?;
        }
        Ok(Found::new(
            format!("{} datagrams ({lengths:?} bytes) from the reference's port 500 to {peer}", hex.len()),
            json!({ "lengths": lengths }),
        ))
    }

    fn loss(&mut self, percent: u8, side: Actor, random: bool) -> StepResult {
        let side = self.side_of(side);
        let loss = self.station.network.host(side).loss();
        let applied = match (percent, random) {
            (0, _) | (_, true) => loss.set_percent(percent),
            (percent, false) if percent <= 100 && 100 % u32::from(percent) == 0 => {
                loss.set_every_nth(100 / u32::from(percent))
            }
            _ => return Err(format!("{percent} % is not 100/n: say `random = true` for random loss")),
        };
        applied.map_err(|error| format!("setting loss: {error}"))?;
        if !self.station.lossy.contains(&side) {
            self.station.lossy.push(side);
        }
        let how = if random || percent == 0 {
            "at random".to_owned()
        } else {
            format!("every {}th frame", 100 / percent)
        };
        Ok(Found::new(format!("{percent} % loss on the {side:?} link, each way, {how}"), json!(null)))
    }

    /// A new reference engine as after a reboot: no Delete for the old SAs, a new
    /// seed, and the policy without impairments unless they are kept.
    fn restart_reference(&mut self, keep_impairments: bool) -> StepResult {
        self.retire_reference(true);
        self.restarts += 1;
        let side = if keep_impairments {
            self.case.reference.clone()
        } else {
            self.case.reference.without_impairments()
        };
        let policy = side.policy(
            REFERENCE_CONNECTION,
            self.station.network.addresses(super::REFERENCE_SIDE),
            &self.case.peer_side.identity,
        );
        self.node = Some(self.start_reference(policy)?);
        let impairments = if keep_impairments { "kept" } else { "dropped" };
        Ok(Found::new(format!("a fresh reference engine (impairments {impairments})"), json!(null)))
    }
}
