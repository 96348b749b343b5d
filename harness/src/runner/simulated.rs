//! The embedded default without root: the same cases, with a second reference engine
//! standing in for the peer, in the in-process two-party simulation (ikev1::sim). The
//! checks are the same; those that need what the simulation does not have yet (Quick
//! Mode, a capture) fail and say so.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ikev1::sim::{Nat, Side as SimSide, Simulation};
use ikev1::{EndpointConfig, Event, IkeSaInfo};
use peers::Side;

use super::engine_api;
use super::report::CaseReport;
use crate::cases::catalogue::{PEER_IDENTITY, REFERENCE_IDENTITY};
use crate::cases::{Addresses, Case, Check, Initiator, TopologySpec};

const SEED_REFERENCE: u64 = 0x1ce1ab;
const SEED_STAND_IN: u64 = 0x5eed;

/// A side's own address and the address the other side reaches it at, as the real
/// topologies assign them.
fn own_and_public(case: &Case, side: Side) -> (Ipv4Addr, Ipv4Addr) {
    let initiator_side = match case.initiator {
        Initiator::Reference => Side::Left,
        Initiator::Peer => Side::Right,
    };
    match case.topology {
        TopologySpec::Direct => (side.private().address, side.private().address),
        TopologySpec::NatInFrontOfInitiator if side == initiator_side => {
            (side.private().address, side.public().address)
        }
        TopologySpec::NatInFrontOfInitiator => (side.public().address, side.public().address),
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

/// Runs `case` in the simulation; the reference is the left side, the stand-in the right.
pub fn run(case: &Case, report: &mut CaseReport) -> Result<(), String> {
    let reference = case.reference.policy("peer", addresses(case, Side::Left), PEER_IDENTITY);
    let stand_in = case.peer_side.policy("reference", addresses(case, Side::Right), REFERENCE_IDENTITY);
    let reference = (EndpointConfig::new(reference), SEED_REFERENCE, "peer");
    let stand_in = (EndpointConfig::new(stand_in), SEED_STAND_IN, "reference");
    // The simulation's NAT sits in front of side A: make the initiator A.
    let ((a, seed_a, a_connection), (b, seed_b, _)) = match case.initiator {
        Initiator::Reference => (reference, stand_in),
        Initiator::Peer => (stand_in, reference),
    };
    let mut simulation = Simulation::new(a, seed_a, b, seed_b);
    if case.topology == TopologySpec::NatInFrontOfInitiator {
        let initiator_side = if case.initiator == Initiator::Reference { Side::Left } else { Side::Right };
        simulation.nat = Some(Nat::new(IpAddr::V4(initiator_side.public().address)));
    }
    simulation.initiate(SimSide::A, a_connection);
    let limit = case.timeout();
    simulation.run_until_condition(limit, |sim| {
        [SimSide::A, SimSide::B].iter().all(|&side| established(sim.events(side)).is_some())
    });
    simulation.run_for(Duration::from_millis(100));
    let (reference_side, stand_in_side) = match case.initiator {
        Initiator::Reference => (SimSide::A, SimSide::B),
        Initiator::Peer => (SimSide::B, SimSide::A),
    };
    for check in &case.checks {
        let result = match check {
            Check::Phase1 { proposal } => phase1(&simulation, reference_side, stand_in_side, proposal),
            Check::NatTraversal => nat_traversal(&simulation, reference_side, stand_in_side),
            Check::Phase2 { .. } | Check::PingReferenceToPeer | Check::PingPeerToReference => {
                engine_api::quick_mode_support()
                    .map(|()| String::new())
                    .map_err(|pending| pending.to_string())
            }
            Check::CaptureDecrypts => Err("the simulation writes no capture yet".to_owned()),
        };
        if !report.record(check.label(), result) {
            break;
        }
    }
    Ok(())
}

fn established(events: &[Event]) -> Option<&IkeSaInfo> {
    events.iter().find_map(|event| match event {
        Event::IkeSaEstablished(info) => Some(info),
        _ => None,
    })
}

fn failure(events: &[Event]) -> Option<String> {
    events.iter().find_map(|event| match event {
        Event::IkeSaFailed { reason, .. } => Some(reason.clone()),
        _ => None,
    })
}

fn phase1(sim: &Simulation, reference: SimSide, stand_in: SimSide, proposal: &str) -> Result<String, String> {
    for (side, who) in [(reference, "the reference"), (stand_in, "the stand-in peer")] {
        let Some(info) = established(sim.events(side)) else {
            let why = failure(sim.events(side)).unwrap_or_else(|| "no ISAKMP SA".into());
            return Err(format!("{who}: {why}"));
        };
        if info.proposal != proposal {
            return Err(format!("{who} negotiated {} instead of {proposal}", info.proposal));
        }
    }
    Ok(format!("both sides established {proposal} (simulated)"))
}

fn nat_traversal(sim: &Simulation, reference: SimSide, stand_in: SimSide) -> Result<String, String> {
    for (side, who) in [(reference, "the reference"), (stand_in, "the stand-in peer")] {
        let info = established(sim.events(side)).ok_or_else(|| format!("{who} has no ISAKMP SA"))?;
        // Its own port; the far side of the NAT sees a mapped one.
        if !info.nat_detected || info.local.port() != 4500 {
            return Err(format!("{who} did not float to 4500: {} -> {}", info.local, info.remote));
        }
    }
    Ok("both sides detected the NAT and floated to 4500 (simulated)".into())
}
