//! The embedded default without root: cases against a second reference engine standing
//! in for the peer, in the in-process two-party simulation (ikev1::sim), on a virtual
//! clock. It plays the steps a stand-in engine can answer for (initiate, wait, the
//! Phase 1 and 2 checks, NAT detection, pings); a case with any other step is reported
//! `not-run` with the step named. Capture checks are left out: the simulation writes
//! no capture.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ikev1::sim::{Nat, Side as SimSide, Simulation};
use ikev1::{EndpointConfig, Event, IkeSaInfo};
use peers::Side;
use serde_json::json;

use super::engine_api;
use super::icmp::Echo;
use super::report::{CaseReport, StepOutcome, StepReport, Verdict};
use crate::cases::{Addresses, Case, Initiator, Shape, TopologySpec};
use crate::scenario::{Action, Actor, Check, Step};

const SEED_REFERENCE: u64 = 0x1ce1ab;
const SEED_STAND_IN: u64 = 0x5eed;

/// Whether the simulation can play a step; capture checks are left out, not refused.
fn playable(step: &Step) -> bool {
    matches!(
        step,
        Step::Do(Action::Initiate { by: None | Some(Actor::Initiator) } | Action::Wait { .. })
            | Step::Check(
                Check::Phase1 { .. }
                    | Check::Phase1Fails { notify: None, .. }
                    | Check::Phase2 { .. }
                    | Check::Ping { .. }
                    | Check::Nat { .. }
                    | Check::CaptureDecrypts
            )
    )
}

/// A side's own address and the address the other side reaches it at, as the real
/// topologies assign them.
fn own_and_public(case: &Case, side: Side) -> (Ipv4Addr, Ipv4Addr) {
    let reference_side = side == Side::Left;
    let behind_nat = match case.shape() {
        Shape::Direct => return (side.private().address, side.private().address),
        shape => {
            if reference_side {
                shape.reference_behind_nat()
            } else {
                shape.peer_behind_nat()
            }
        }
    };
    if behind_nat {
        (side.private().address, side.public().address)
    } else {
        (side.public().address, side.public().address)
    }
}

fn addresses(case: &Case, side: Side) -> Addresses {
    Addresses {
        local: IpAddr::V4(own_and_public(case, side).0),
        remote: IpAddr::V4(own_and_public(case, side.other()).1),
        local_inner: IpAddr::V4(side.inner()),
        remote_inner: IpAddr::V4(side.other().inner()),
    }
}

/// Why the simulation does not play a case: the first step (or the topology) it
/// cannot stand in for.
pub fn unplayable(case: &Case) -> Option<String> {
    // The simulation's one NAT sits in front of the initiator (side A).
    let shape_fits = case.shape() == Shape::Direct || case.topology == TopologySpec::NatInitiator;
    let step =
        case.timeline.iter().chain(&case.finally).find(|step| !playable(step)).map(|step| step.label());
    step.or((!shape_fits).then(|| "topology".to_owned()))
}

/// Runs `case` in the simulation; the reference is the left side, the stand-in the right.
pub fn run(case: &Case, report: &mut CaseReport) -> Result<(), String> {
    if let Some(step) = unplayable(case) {
        report.verdict = Verdict::NotRun;
        report.verdict_detail = Some(format!("the simulation cannot play `{step}`; it needs a real peer"));
        return Ok(());
    }
    let mut play = Play::new(case);
    let steps: Vec<&Step> = case.timeline.iter().chain(&case.finally).collect();
    for (number, step) in steps.into_iter().enumerate() {
        if matches!(step, Step::Check(Check::CaptureDecrypts)) {
            continue;
        }
        if !report.record(play.step(number, step)) {
            break;
        }
    }
    Ok(())
}

/// The reference's trace of a case the simulation plays, as IOS prints it: the same
/// seed and inputs give the same text, so it can be locked by a snapshot.
pub fn reference_trace(case: &Case) -> Option<String> {
    if unplayable(case).is_some() {
        return None;
    }
    let mut play = Play::new(case);
    let steps: Vec<&Step> = case.timeline.iter().chain(&case.finally).collect();
    for (number, step) in steps.into_iter().enumerate() {
        if !matches!(step, Step::Check(Check::CaptureDecrypts))
            && play.step(number, step).outcome == StepOutcome::Failed
        {
            break;
        }
    }
    let traces = play.simulation.traces(play.reference);
    Some(ikev1::trace::ios::render_all(traces))
}

struct Play<'a> {
    case: &'a Case,
    simulation: Simulation,
    reference: SimSide,
}

impl<'a> Play<'a> {
    fn new(case: &'a Case) -> Play<'a> {
        let reference = case.reference.policy("peer", addresses(case, Side::Left), &case.peer_side.identity);
        let stand_in =
            case.peer_side.policy("reference", addresses(case, Side::Right), &case.reference.identity);
        let reference = (EndpointConfig::new(reference), SEED_REFERENCE);
        let stand_in = (EndpointConfig::new(stand_in), SEED_STAND_IN);
        let ((a, seed_a), (b, seed_b)) = match case.initiator {
            Initiator::Reference => (reference, stand_in),
            Initiator::Peer => (stand_in, reference),
        };
        let mut simulation = Simulation::new(a, seed_a, b, seed_b);
        if case.shape() != Shape::Direct {
            let initiator_side =
                if case.initiator == Initiator::Reference { Side::Left } else { Side::Right };
            simulation.nat = Some(Nat::new(IpAddr::V4(initiator_side.public().address)));
        }
        let reference = if case.initiator == Initiator::Reference { SimSide::A } else { SimSide::B };
        Play { case, simulation, reference }
    }

    /// Plays one step; `number` counts from 0.
    fn step(&mut self, number: usize, step: &Step) -> StepReport {
        let (outcome, result) = match step {
            Step::Do(action) => (StepOutcome::Done, self.act(action)),
            Step::Check(check) => (StepOutcome::Passed, self.check(check)),
        };
        let (outcome, detail) = match result {
            Ok(detail) => (outcome, detail),
            Err(detail) => (StepOutcome::Failed, detail),
        };
        StepReport {
            number: number + 1,
            label: step.label(),
            step: step.describe(),
            in_finally: number >= self.case.timeline.len(),
            outcome,
            detail,
            at_secs: self.simulation.now.as_millis() as f64 / 1000.0,
            values: json!(null),
        }
    }

    fn stand_in(&self) -> SimSide {
        self.reference.other()
    }

    fn act(&mut self, action: &Action) -> Result<String, String> {
        match action {
            Action::Initiate { .. } => {
                let connection = if self.reference == SimSide::A { "peer" } else { "reference" };
                self.simulation.initiate(SimSide::A, connection);
                let limit = self.case.timeout();
                self.simulation.run_until_condition(limit, |sim| {
                    [SimSide::A, SimSide::B].iter().all(|&side| ipsec_sa(sim.events(side)).is_some())
                        || [SimSide::A, SimSide::B].iter().any(|&side| failure(sim.events(side)).is_some())
                });
                self.simulation.run_for(Duration::from_millis(100));
                Ok("initiated (simulated)".into())
            }
            Action::Wait { secs } => {
                self.simulation.run_for(Duration::from_secs_f64(*secs));
                Ok(format!("waited {secs} s (virtual)"))
            }
            _ => Err("not simulated".into()),
        }
    }

    fn check(&mut self, check: &Check) -> Result<String, String> {
        let expect = &self.case.expect;
        match check {
            Check::Phase1 { proposal, .. } => self.phase1(proposal.as_deref().unwrap_or(&expect.ike)),
            Check::Phase1Fails { .. } => match established(self.simulation.events(self.reference)) {
                Some(info) => Err(format!("Phase 1 completed: {}", info.proposal)),
                None => Ok("no ISAKMP SA (simulated)".into()),
            },
            Check::Phase2 { proposal, .. } => {
                let pfs = expect.pfs.map(|group| group.token());
                self.phase2(proposal.as_deref().unwrap_or(&expect.esp), pfs)
            }
            Check::Ping { from, .. } => {
                let from = match (from, self.case.initiator) {
                    (Actor::Reference, _) => self.reference,
                    (Actor::Peer, _) => self.stand_in(),
                    (Actor::Initiator, _) => SimSide::A,
                    (Actor::Responder, _) => SimSide::B,
                };
                ping(&mut self.simulation, from)
            }
            Check::Nat { detected } => self.nat(*detected),
            _ => Err("not simulated".into()),
        }
    }

    fn sides(&self) -> [(SimSide, &'static str); 2] {
        [(self.reference, "the reference"), (self.stand_in(), "the stand-in peer")]
    }

    fn phase1(&self, proposal: &str) -> Result<String, String> {
        for (side, who) in self.sides() {
            let Some(info) = established(self.simulation.events(side)) else {
                let why = failure(self.simulation.events(side)).unwrap_or_else(|| "no ISAKMP SA".into());
                return Err(format!("{who}: {why}"));
            };
            if info.proposal != proposal {
                return Err(format!("{who} negotiated {} instead of {proposal}", info.proposal));
            }
        }
        Ok(format!("both sides established {proposal} (simulated)"))
    }

    fn phase2(&self, proposal: &str, pfs: Option<&str>) -> Result<String, String> {
        let mut spis = Vec::new();
        for (side, who) in self.sides() {
            let sa =
                ipsec_sa(self.simulation.events(side)).ok_or_else(|| format!("{who} has no IPsec SA"))?;
            if sa.proposal != proposal || sa.pfs_group.as_deref() != pfs {
                return Err(format!("{who} negotiated {} PFS {:?}", sa.proposal, sa.pfs_group));
            }
            spis.push((sa.spi_in, sa.spi_out));
        }
        if spis[0] != (spis[1].1, spis[1].0) {
            return Err(format!("SPIs disagree: {spis:08x?}"));
        }
        Ok(format!("{proposal} PFS {pfs:?}, SPIs {:08x}/{:08x} (simulated)", spis[0].0, spis[0].1))
    }

    fn nat(&self, detected: bool) -> Result<String, String> {
        for (side, who) in self.sides() {
            let info =
                established(self.simulation.events(side)).ok_or_else(|| format!("{who} has no ISAKMP SA"))?;
            // Its own port; the far side of the NAT sees a mapped one.
            let floated = info.local.port() == 4500;
            if info.nat_detected != detected || floated != detected {
                return Err(format!(
                    "{who}: NAT detected {}, {} -> {}",
                    info.nat_detected, info.local, info.remote
                ));
            }
        }
        Ok(format!("both sides: NAT detected {detected} (simulated)"))
    }
}

fn established(events: &[Event]) -> Option<&IkeSaInfo> {
    events.iter().find_map(|event| match event {
        Event::IkeSaEstablished(info) => Some(info),
        _ => None,
    })
}

fn ipsec_sa(events: &[Event]) -> Option<engine_api::IpsecSaUp> {
    events.iter().find_map(engine_api::ipsec_sa_established)
}

fn failure(events: &[Event]) -> Option<String> {
    events.iter().find_map(|event| match event {
        Event::IkeSaFailed { reason, .. } => Some(reason.clone()),
        _ => None,
    })
}

/// An echo request from `from`'s inner address to the other side's, answered by the
/// other side's stack, both through the tunnel.
fn ping(sim: &mut Simulation, from: SimSide) -> Result<String, String> {
    let selectors =
        sim.endpoint(from).ipsec_sas().first().map(|sa| (sa.local_ts.clone(), sa.remote_ts.clone()));
    let (local_ts, remote_ts) = selectors.ok_or("no IPsec SA to ping through")?;
    let host = |selector: &str| selector.split('/').next().and_then(|a| a.parse::<Ipv4Addr>().ok());
    let (Some(source), Some(destination)) = (host(&local_ts), host(&remote_ts)) else {
        return Err(format!("not IPv4 hosts: {local_ts} -> {remote_ts}"));
    };
    let request = Echo {
        source,
        destination,
        request: true,
        identifier: 0x1ce1,
        sequence: 1,
        data: b"ikelab".to_vec(),
    };
    let replies_before = echoes(sim.events(from), false).len();
    let requests_before = echoes(sim.events(from.other()), true).len();
    sim.act(from, |endpoint, now| {
        endpoint.send_inner(now, &request.to_packet()).map_err(|e| format!("{e:?}"))
    })?;
    sim.run_for(Duration::from_millis(50));
    let arrived = echoes(sim.events(from.other()), true).split_off(requests_before);
    let Some(delivered) = arrived.into_iter().find(|echo| *echo == request) else {
        return Err("the echo request did not come out of the tunnel".into());
    };
    sim.act(from.other(), |endpoint, now| {
        endpoint.send_inner(now, &delivered.reply().to_packet()).map_err(|e| format!("{e:?}"))
    })?;
    sim.run_for(Duration::from_millis(50));
    let replies = echoes(sim.events(from), false).split_off(replies_before);
    if replies.iter().any(|reply| *reply == request.reply()) {
        Ok(format!("{source} -> {destination}: echo request and reply through the tunnel (simulated)"))
    } else {
        Err("no echo reply came back".into())
    }
}

/// The echo requests or replies that came out of the tunnel on one side.
fn echoes(events: &[Event], requests: bool) -> Vec<Echo> {
    events
        .iter()
        .filter_map(engine_api::inner_packet)
        .filter_map(Echo::parse)
        .filter(|echo| echo.request == requests)
        .collect()
}
