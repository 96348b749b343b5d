//! The embedded default without root: the same cases, with a second reference engine
//! standing in for the peer, in the in-process two-party simulation (ikev1::sim). The
//! checks are the same, but for the capture, which the simulation does not write.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ikev1::sim::{Nat, Side as SimSide, Simulation};
use ikev1::{EndpointConfig, Event, IkeSaInfo};
use peers::Side;

use super::engine_api;
use super::icmp::Echo;
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
            Check::Phase2 { proposal, pfs } => {
                phase2(&simulation, reference_side, stand_in_side, proposal, pfs.map(|g| g.token()))
            }
            Check::PingReferenceToPeer => ping(&mut simulation, reference_side),
            Check::PingPeerToReference => ping(&mut simulation, stand_in_side),
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

fn phase2(
    sim: &Simulation,
    reference: SimSide,
    stand_in: SimSide,
    proposal: &str,
    pfs: Option<&str>,
) -> Result<String, String> {
    let mut spis = Vec::new();
    for (side, who) in [(reference, "the reference"), (stand_in, "the stand-in peer")] {
        let sa = sim
            .events(side)
            .iter()
            .find_map(engine_api::ipsec_sa_established)
            .ok_or_else(|| format!("{who} has no IPsec SA"))?;
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

/// An echo request from `from`'s inner address to the other side's, answered
/// by the other side's stack, both through the tunnel.
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
