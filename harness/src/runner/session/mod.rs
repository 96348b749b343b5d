//! One case on a station: the capture, the peer's policy, the reference engine on
//! real sockets, then the timeline step by step and `finally`, then keys, traces,
//! logs, views and the peer's health into the results folder. Everything started
//! here is owned by a guard, so an early return or a panic still tears it down.

mod actions;
mod nat_checks;
mod peer_checks;
mod replay_checks;
mod sa_checks;
mod status_checks;
mod traffic_checks;

pub use peer_checks::is_error as is_error_notify;

use std::thread;
use std::time::{Duration, Instant};

use ikev1::policy::Policy;
use ikev1::{EndpointConfig, Event};
use peers::{KeyMaterial, Side};
use serde_json::{Value, json};

use super::capture::Capture;
use super::network::{PEER_SIDE, REFERENCE_SIDE};
use super::reference::{ReferenceNode, Snapshot};
use super::report::{CaseReport, Observations, StepOutcome, StepReport, TimedText};
use super::results::ResultsFolder;
use super::station::Station;
use crate::cases::{Case, Initiator};
use crate::scenario::{Actor, Check, Reaction, Step};

/// The reference's connection to the peer, and the peer's to the reference.
pub const REFERENCE_CONNECTION: &str = "peer";
pub const PEER_CONNECTION: &str = "reference";
/// Between two looks at a condition that is waited for.
const POLL: Duration = Duration::from_millis(50);

/// What a check found when it passed: one line, and the values behind it.
pub struct Found {
    pub detail: String,
    pub values: Value,
}

impl Found {
    pub fn new(detail: impl Into<String>, values: Value) -> Found {
        Found { detail: detail.into(), values }
    }
}

type StepResult = Result<Found, String>;

/// A background echo stream started by a `traffic` step.
struct Stream {
    from: Actor,
    identifier: u16,
    count: u32,
    started: Instant,
    ends: Instant,
}

pub struct Session<'a> {
    case: &'a Case,
    station: &'a mut Station,
    folder: &'a ResultsFolder,
    node: Option<ReferenceNode>,
    capture: Option<Capture>,
    reference_policy: Policy,
    peer_policy: Policy,
    started: Instant,
    /// When the last step that disrupts the tunnel began; recovery is timed from it.
    last_disruption: Instant,
    peer_initiate_error: Option<String>,
    streams: Vec<Stream>,
    /// Events and observations of reference engines that were restarted.
    earlier_events: Vec<Event>,
    earlier_observations: Observations,
    keys: KeyMaterial,
    restarts: u64,
    /// What the `peer-reaction` check classified.
    reaction: Option<Reaction>,
    /// What the peer was seen to hold at some point: an SA it accepted and deleted
    /// again before a check looked still counts as accepted.
    peer_seen: PeerSeen,
}

#[derive(Clone, Copy, Debug, Default)]
struct PeerSeen {
    ike_established: bool,
    child_installed: bool,
}

/// Runs `case` on `station`; whatever happens, the folder gets what there is.
pub fn run(
    case: &Case,
    station: &mut Station,
    folder: &ResultsFolder,
    report: &mut CaseReport,
) -> Result<(), String> {
    let started = Instant::now();
    folder.write_json("case.json", case);
    station.prepare()?;
    let reference_host = station.network.reference();
    let capture =
        Capture::start(reference_host.namespace(), reference_host.interface(), &folder.join("capture.pcap"))?;
    let reference_policy = case.reference.policy(
        REFERENCE_CONNECTION,
        station.network.addresses(REFERENCE_SIDE),
        &case.peer_side.identity,
    );
    let peer_policy = case.peer_side.policy(
        PEER_CONNECTION,
        station.network.addresses(PEER_SIDE),
        &case.reference.identity,
    );
    folder.write_json("reference.policy.json", &reference_policy);
    folder.write_json("peer.policy.json", &peer_policy);
    let mut session = Session {
        case,
        station,
        folder,
        node: None,
        capture: Some(capture),
        reference_policy,
        peer_policy,
        started,
        last_disruption: started,
        peer_initiate_error: None,
        streams: Vec::new(),
        earlier_events: Vec::new(),
        earlier_observations: Observations::default(),
        keys: KeyMaterial::default(),
        restarts: 0,
        reaction: None,
        peer_seen: PeerSeen::default(),
    };
    let setup = session.set_up();
    report.setup_secs = started.elapsed().as_secs_f64();
    if setup.is_ok() {
        session.play(report);
    }
    session.finish(report);
    setup
}

impl Session<'_> {
    fn set_up(&mut self) -> Result<(), String> {
        self.station
            .peer
            .load(&self.peer_policy)
            .map_err(|error| format!("loading the peer's policy: {error}"))?;
        self.node = Some(self.start_reference(self.reference_policy.clone())?);
        self.last_disruption = Instant::now();
        Ok(())
    }

    fn start_reference(&mut self, policy: Policy) -> Result<ReferenceNode, String> {
        let host = self.station.network.reference();
        let seed = seed_of(&self.case.id()) ^ self.restarts;
        ReferenceNode::start(
            host.namespace(),
            host.address(),
            host.inner(),
            EndpointConfig::new(policy),
            seed,
        )
    }

    /// The timeline until a step fails, then `finally` until one of its steps fails.
    fn play(&mut self, report: &mut CaseReport) {
        let case = self.case;
        let mut number = 0;
        let mut failed = false;
        for step in &case.timeline {
            number += 1;
            if failed {
                report.record(self.not_reached(number, step, false));
            } else {
                let recorded = self.step(number, step, false);
                failed = !report.record(recorded);
            }
        }
        for step in &case.finally {
            number += 1;
            let recorded = self.step(number, step, true);
            if !report.record(recorded) {
                break;
            }
        }
    }

    fn step(&mut self, number: usize, step: &Step, in_finally: bool) -> StepReport {
        let began = Instant::now();
        let (outcome, result) = match step {
            Step::Do(action) => (StepOutcome::Done, self.act(action)),
            Step::Check(check) => (StepOutcome::Passed, self.check(check)),
        };
        if step.disrupts() {
            self.last_disruption = began;
        }
        let (outcome, detail, values) = match result {
            Ok(found) => (outcome, found.detail, found.values),
            Err(detail) => (StepOutcome::Failed, detail, Value::Null),
        };
        StepReport {
            number,
            label: step.label(),
            step: step.describe(),
            in_finally,
            outcome,
            detail,
            at_secs: self.since_start(Instant::now()),
            values,
        }
    }

    fn check(&mut self, check: &Check) -> StepResult {
        match check {
            Check::Phase1 { proposal, lifetime_secs, within_secs } => {
                self.phase1(proposal.as_deref(), *lifetime_secs, *within_secs)
            }
            Check::Phase1Fails { notify, within_secs } => self.phase1_fails(notify.as_deref(), *within_secs),
            Check::Phase2 { proposal, lifetime_secs, lifetime_kilobytes, within_secs } => {
                self.phase2(proposal.as_deref(), *lifetime_secs, *lifetime_kilobytes, *within_secs)
            }
            Check::Phase2Fails { notify, within_secs } => self.phase2_fails(notify.as_deref(), *within_secs),
            Check::Ping { from, attempts } => self.ping(*from, *attempts),
            Check::Nat { detected } => self.nat(*detected),
            Check::UdpEncapsulation { expected } => self.udp_encapsulation(*expected),
            Check::NatTVersion { version } => self.nat_t_version(version),
            Check::Notify { name, direction, at_least, within_secs } => {
                self.notify(name, *direction, *at_least, *within_secs)
            }
            Check::NoNotify { name, direction } => self.no_notify(name, *direction),
            Check::Session { status, within_secs } => self.session(status, *within_secs),
            Check::SessionSeen { status } => self.session_seen(status),
            Check::TrafficRecovers { from, within_secs } => self.traffic_recovers(*from, *within_secs),
            Check::TrafficStaysDown { from, secs } => self.traffic_stays_down(*from, *secs),
            Check::TrafficDelivered { from, max_lost } => self.traffic_delivered(*from, *max_lost),
            Check::Rekeyed { phase, at_least } => self.rekeyed(*phase, *at_least),
            Check::ReferenceSas { ike, ipsec, within_secs } => self.reference_sas(*ike, *ipsec, *within_secs),
            Check::PeerSas { ike, ipsec, within_secs } => self.peer_sas(*ike, *ipsec, *within_secs),
            Check::ReferenceEvent { kind, reason, within_secs } => {
                self.reference_event(*kind, reason.as_deref(), *within_secs)
            }
            Check::Keepalives { from, at_least } => self.keepalives(*from, *at_least),
            Check::PeerAlive => self.peer_alive(),
            Check::PeerReaction { expect, accepted_if } => self.peer_reaction(expect, *accepted_if),
            Check::CaptureDecrypts => self.capture_decrypts(),
            Check::Mutated { at_least } => self.mutated(*at_least),
            Check::PeerMessages => self.peer_messages(),
        }
    }

    fn not_reached(&self, number: usize, step: &Step, in_finally: bool) -> StepReport {
        StepReport {
            number,
            label: step.label(),
            step: step.describe(),
            in_finally,
            outcome: StepOutcome::NotReached,
            detail: "not reached: an earlier step failed".into(),
            at_secs: self.since_start(Instant::now()),
            values: Value::Null,
        }
    }

    fn since_start(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.started).as_secs_f64()
    }

    /// `reference` or `peer`, with `initiator`/`responder` resolved by the case's role.
    fn resolve(&self, actor: Actor) -> Actor {
        let reference_initiates = self.case.initiator == Initiator::Reference;
        match actor {
            Actor::Initiator if reference_initiates => Actor::Reference,
            Actor::Responder if !reference_initiates => Actor::Reference,
            Actor::Initiator | Actor::Responder => Actor::Peer,
            other => other,
        }
    }

    fn side_of(&self, actor: Actor) -> Side {
        match self.resolve(actor) {
            Actor::Reference => REFERENCE_SIDE,
            _ => PEER_SIDE,
        }
    }

    fn node(&self) -> Result<&ReferenceNode, String> {
        self.node
            .as_ref()
            .filter(|node| node.is_running())
            .ok_or_else(|| "the reference engine is not running".into())
    }

    fn node_mut(&mut self) -> Result<&mut ReferenceNode, String> {
        match self.node.as_mut() {
            Some(node) if node.is_running() => Ok(node),
            _ => Err("the reference engine is not running".into()),
        }
    }

    fn snapshot(&self) -> Result<Snapshot, String> {
        self.node()?.snapshot()
    }

    fn within(&self, secs: Option<u64>) -> Duration {
        secs.map_or_else(|| self.case.timeout(), Duration::from_secs)
    }

    /// Calls `probe` until it finds something or `timeout` passes.
    fn poll<T>(
        &mut self,
        timeout: Duration,
        mut probe: impl FnMut(&mut Self) -> Result<Option<T>, String>,
    ) -> Result<Option<T>, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = probe(self)? {
                return Ok(Some(found));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            thread::sleep(POLL);
        }
    }

    /// Looks at the peer's SAs once and remembers what it held.
    fn sample_peer(&mut self) {
        if let Ok(status) = self.station.peer.status() {
            self.peer_seen.ike_established |= status.established(PEER_CONNECTION).next().is_some();
            self.peer_seen.child_installed |= status.installed_children().next().is_some();
        }
    }

    fn peer_said(&self) -> String {
        self.peer_initiate_error
            .as_ref()
            .map(|error| format!("; the peer's initiation failed: {}", first_line(error)))
            .unwrap_or_default()
    }

    /// Keys from the reference(s) and the peer so far, into keys.json and the
    /// Wireshark profile.
    fn write_keys(&mut self) -> Vec<String> {
        let mut notes = Vec::new();
        match self.station.peer.keys() {
            Ok(keys) => self.keys.merge(keys),
            Err(error) => notes.push(format!("peer keys: {error}")),
        }
        if let Some(node) = self.node.as_ref() {
            match node.keys() {
                Ok(keys) => self.keys.merge(keys),
                Err(error) => notes.push(format!("reference keys: {error}")),
            }
        }
        if let Err(error) = self.keys.write_wireshark_profile(&self.folder.join("wireshark")) {
            notes.push(format!("writing the Wireshark files: {error}"));
        }
        self.folder.write_json("keys.json", &json!({ "keys": self.keys, "notes": notes }));
        notes
    }

    /// Stops the current reference engine (without a word to the peer when `quietly`),
    /// keeping its events, keys and observations.
    fn retire_reference(&mut self, quietly: bool) {
        let Some(node) = self.node.take() else { return };
        if let Ok(keys) = node.keys() {
            self.keys.merge(keys);
        }
        let mut observations = std::mem::take(&mut self.earlier_observations);
        self.absorb(&node, &mut observations);
        self.earlier_observations = observations;
        if quietly {
            let _ = node.forget(crate::scenario::Forget::All);
        }
        self.earlier_events.extend(node.finish());
    }

    /// Everything into the folder and the report, then the reference and capture stop.
    fn finish(&mut self, report: &mut CaseReport) {
        let snapshot = self.snapshot().ok();
        if let Some(snapshot) = &snapshot {
            self.folder.write("reference.show.txt", &views(snapshot));
        }
        let status = self.station.peer.status();
        match &status {
            Ok(status) => self.folder.write_json("peer/status.json", status),
            Err(error) => self.folder.write("peer/status.error.txt", &error.to_string()),
        }
        self.write_keys();
        self.retire_reference(false);
        report.observations = std::mem::take(&mut self.earlier_observations);
        report.observations.counters = snapshot.map(|snapshot| snapshot.counters);
        report.observations.peer_status = status.ok();
        report.observations.peer_reaction = self.reaction;
        self.folder.write_trace(&self.earlier_events);
        let log = self.station.peer.log();
        self.folder.write("peer/log.txt", &log);
        self.folder.write("peer-log.txt", &crate::report::sanitise::peer_log(&log));
        self.folder.keep_peer_files(&self.station.peer.config_files());
        if let Some(capture) = self.capture.take() {
            capture.stop();
        }
        report.peer_health = Some(self.station.health());
    }

    /// What a reference engine observed, added to `observations`.
    fn absorb(&self, node: &ReferenceNode, observations: &mut Observations) {
        let observed = node.observed();
        let timed = |at: Instant, text: String| TimedText { at_secs: self.since_start(at), text };
        observations.ike_sas.extend(observed.ike_sas.iter().cloned());
        observations.ipsec_sas.extend(observed.ipsec_sas.iter().cloned());
        let events = observed
            .sa_events
            .iter()
            .map(|event| timed(event.at, format!("{:?}: {}", event.kind, event.reason)));
        observations.sa_events.extend(events);
        let statuses = observed.session_history.iter().map(|(at, status)| timed(*at, status.clone()));
        observations.session_history.extend(statuses);
        observations.peer_vendor_ids.extend(observed.peer_vendor_ids.iter().cloned());
        observations.keepalives_sent += observed.keepalives_sent;
        observations.echo_requests_answered += observed.echo_requests_answered.len();
    }
}

/// `show crypto isakmp sa`, `show crypto ipsec sa` and `show crypto session` at the
/// end of the case, as IOS prints them.
fn views(snapshot: &Snapshot) -> String {
    let sessions: Vec<String> = snapshot
        .sessions
        .iter()
        .map(|session| {
            format!(
                "{} {}:{} {}",
                session.connection,
                session.peer,
                session.peer_port,
                session.status.ios_name()
            )
        })
        .collect();
    let established: Vec<String> = snapshot
        .established
        .iter()
        .map(|sa| {
            format!(
                "{} {} -> {} {} (lifetime {} s)",
                sa.conn_id, sa.local, sa.remote, sa.proposal, sa.lifetime_secs
            )
        })
        .collect();
    let ipsec: Vec<String> = snapshot
        .ipsec_sas
        .iter()
        .map(|sa| {
            format!(
                "{} in {} out {} {} (lifetime {} s)",
                sa.conn_id, sa.inbound_spi, sa.outbound_spi, sa.proposal, sa.lifetime_secs
            )
        })
        .collect();
    format!(
        "show crypto session\n{}\n\nISAKMP SAs\n{}\n\nIPsec SAs\n{}\n\ncounters\n{}\n",
        sessions.join("\n"),
        established.join("\n"),
        ipsec.join("\n"),
        serde_json::to_string_pretty(&snapshot.counters).unwrap_or_default()
    )
}

/// A per-case seed: the reference's cookies, nonces and SPIs differ between cases
/// (a reused peer never sees the same cookies twice) and repeat run after run.
fn seed_of(id: &str) -> u64 {
    // FNV-1a.
    id.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}
