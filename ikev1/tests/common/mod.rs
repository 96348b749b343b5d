//! Configurations and look-ups shared by the simulation tests: two peers on
//! the documentation network, A = 192.0.2.1 and B = 192.0.2.2, one PSK.
//!
//! [`wire`] reads the datagrams a simulation carried; [`keys`] rebuilds the
//! keys of an ISAKMP SA from a side's seed and the wire, as a decryption
//! table would, so tests can read encrypted messages and forge protected ones.

#![allow(dead_code)]

pub mod keys;
pub mod phase2;
pub mod wire;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ikev1::counters::DropReason;
use ikev1::policy::{
    ChildPolicy, Connection, DhGroup, ExchangeMode, IkeProposal, IpsecLifetime, IpsecMode, Keyring,
    PeerSelector, Policy, TrafficSelector,
};
use ikev1::sim::{Side, Simulation};
use ikev1::trace::{Trace, TraceEvent};
use ikev1::{EndpointConfig, Event};

pub const PSK: &str = "sim-psk-0123456789";
pub const SEED_A: u64 = 1;
pub const SEED_B: u64 = 2;

/// The seed a side's endpoint is built with by [`Peers::build`].
pub fn seed_of(side: Side) -> u64 {
    match side {
        Side::A => SEED_A,
        Side::B => SEED_B,
    }
}

pub fn a() -> IpAddr {
    "192.0.2.1".parse().unwrap()
}

pub fn b() -> IpAddr {
    "192.0.2.2".parse().unwrap()
}

/// A third address, for strangers and extra peers.
pub fn c() -> IpAddr {
    "192.0.2.3".parse().unwrap()
}

pub fn on_port(address: IpAddr, port: u16) -> SocketAddr {
    SocketAddr::new(address, port)
}

/// ISAKMP policies with priorities 10, 20, 30... in the order given.
pub fn proposals(list: &[&str]) -> Vec<IkeProposal> {
    list.iter()
        .enumerate()
        .map(|(i, p)| p.parse::<IkeProposal>().unwrap().with_priority(10 * (i as u16 + 1)))
        .collect()
}

/// A connection named "peer" from `local` to `remote`.
pub fn connection(local: IpAddr, remote: IpAddr, mode: ExchangeMode, ike: Vec<IkeProposal>) -> Connection {
    let mut connection = Connection::new("peer", local, Some(remote), ike);
    connection.exchange = mode;
    connection
}

/// The inner hosts of the captures: A's side 198.51.100.1, B's 198.51.100.129.
pub fn inner(side: Side) -> IpAddr {
    match side {
        Side::A => "198.51.100.1".parse().unwrap(),
        Side::B => "198.51.100.129".parse().unwrap(),
    }
}

/// A tunnel between the inner hosts, seen from `side`.
pub fn child(side: Side, esp: &[&str], pfs: Option<DhGroup>) -> ChildPolicy {
    ChildPolicy {
        name: "net".into(),
        mode: IpsecMode::Tunnel,
        local_ts: TrafficSelector::host(inner(side)),
        remote_ts: TrafficSelector::host(inner(side.other())),
        esp_proposals: esp.iter().map(|p| p.parse().unwrap()).collect(),
        pfs,
        lifetime: IpsecLifetime::default(),
    }
}

pub fn config(connection: Connection, psk: &str) -> EndpointConfig {
    let peer = connection.remote_address.unwrap();
    let keyring = Keyring::default().with(PeerSelector::Address(peer), psk);
    EndpointConfig::new(Policy { connections: vec![connection], keyring })
}

/// Two peers A and B with one connection each, to be adjusted before the
/// simulation is built.
pub struct Peers {
    pub a: EndpointConfig,
    pub b: EndpointConfig,
}

impl Peers {
    pub fn new(mode: ExchangeMode, a_proposals: &[&str], b_proposals: &[&str]) -> Self {
        Self {
            a: config(connection(a(), b(), mode, proposals(a_proposals)), PSK),
            b: config(connection(b(), a(), mode, proposals(b_proposals)), PSK),
        }
    }

    /// Both sides with the same single proposal.
    pub fn same(mode: ExchangeMode, proposal: &str) -> Self {
        Self::new(mode, &[proposal], &[proposal])
    }

    /// Changes A's connection.
    pub fn a(mut self, change: impl FnOnce(&mut Connection)) -> Self {
        change(&mut self.a.policy.connections[0]);
        self
    }

    /// Changes B's connection.
    pub fn b(mut self, change: impl FnOnce(&mut Connection)) -> Self {
        change(&mut self.b.policy.connections[0]);
        self
    }

    /// Changes B's endpoint configuration (limits, retransmission...).
    pub fn b_config(mut self, change: impl FnOnce(&mut EndpointConfig)) -> Self {
        change(&mut self.b);
        self
    }

    /// B's keyring holds `psk` for A instead of the shared one.
    pub fn b_psk(mut self, psk: &str) -> Self {
        self.b.policy.keyring = Keyring::default().with(PeerSelector::Address(a()), psk);
        self
    }

    pub fn build(self) -> Simulation {
        Simulation::new(self.a, SEED_A, self.b, SEED_B)
    }
}

/// Two peers with these proposals, A initiating to B.
pub fn pair(mode: ExchangeMode, a_proposals: &[&str], b_proposals: &[&str]) -> Simulation {
    Peers::new(mode, a_proposals, b_proposals).build()
}

pub fn established(sim: &Simulation, side: Side) -> Vec<ikev1::IkeSaInfo> {
    sim.events(side)
        .iter()
        .filter_map(|event| match event {
            Event::IkeSaEstablished(info) => Some(info.clone()),
            _ => None,
        })
        .collect()
}

pub fn failures(sim: &Simulation, side: Side) -> Vec<String> {
    sim.events(side)
        .iter()
        .filter_map(|event| match event {
            Event::IkeSaFailed { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

pub fn deletions(sim: &Simulation, side: Side) -> Vec<String> {
    sim.events(side)
        .iter()
        .filter_map(|event| match event {
            Event::IkeSaDeleted { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

/// Virtual time after which a negotiation has either completed or given
/// up: the default schedule waits 1 + 2 + 4 + 8 + 16 + 32 s (RFC 2408 5.1).
pub const SETTLE: Duration = Duration::from_secs(120);

/// Initiates from A and runs until the negotiation has settled.
pub fn run_phase1(sim: &mut Simulation) {
    sim.initiate(Side::A, "peer");
    sim.run_for(SETTLE);
}

/// Runs Phase 1 and checks that both sides hold exactly one established SA
/// with the same cookies; returns A's and B's view of it.
pub fn run_established(sim: &mut Simulation) -> (ikev1::IkeSaInfo, ikev1::IkeSaInfo) {
    run_phase1(sim);
    let (on_a, on_b) = (established(sim, Side::A), established(sim, Side::B));
    assert_eq!(on_a.len(), 1, "A established {on_a:?}; failures {:?}", failures(sim, Side::A));
    assert_eq!(on_b.len(), 1, "B established {on_b:?}; failures {:?}", failures(sim, Side::B));
    assert_eq!(
        (&on_a[0].initiator_cookie, &on_a[0].responder_cookie),
        (&on_b[0].initiator_cookie, &on_b[0].responder_cookie),
        "both sides name the SA by the same cookies"
    );
    assert_eq!(sim.a.established().len(), 1);
    assert_eq!(sim.b.established().len(), 1);
    (on_a[0].clone(), on_b[0].clone())
}

/// Nothing is established on either side and no SA is left in either table.
pub fn assert_nothing_established(sim: &Simulation) {
    assert!(established(sim, Side::A).is_empty(), "A established an SA");
    assert!(established(sim, Side::B).is_empty(), "B established an SA");
    assert!(sim.a.established().is_empty() && sim.b.established().is_empty());
}

pub fn dropped(sim: &Simulation, side: Side, reason: DropReason) -> u64 {
    match side {
        Side::A => sim.a.counters().dropped(reason),
        Side::B => sim.b.counters().dropped(reason),
    }
}

pub fn notifies_sent(sim: &Simulation, side: Side, notify: &str) -> u64 {
    let counters = match side {
        Side::A => sim.a.counters(),
        Side::B => sim.b.counters(),
    };
    counters.notifies_sent.get(notify).copied().unwrap_or(0)
}

pub fn notifies_received(sim: &Simulation, side: Side, notify: &str) -> u64 {
    let counters = match side {
        Side::A => sim.a.counters(),
        Side::B => sim.b.counters(),
    };
    counters.notifies_received.get(notify).copied().unwrap_or(0)
}

/// The traces of one side that match `wanted`.
pub fn traces_where(sim: &Simulation, side: Side, wanted: impl Fn(&Trace) -> bool) -> Vec<TraceEvent> {
    sim.traces(side).into_iter().filter(|event| wanted(&event.trace)).cloned().collect()
}
