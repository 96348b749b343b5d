//! Configurations shared by the simulation tests: two peers on the
//! documentation network, A = 192.0.2.1 and B = 192.0.2.2, one PSK.

#![allow(dead_code)]

use std::net::IpAddr;
use std::time::Duration;

use ikev1::policy::{
    ChildPolicy, Connection, DhGroup, ExchangeMode, IkeProposal, IpsecLifetime, IpsecMode, Keyring,
    PeerSelector, Policy, TrafficSelector,
};
use ikev1::sim::{Side, Simulation};
use ikev1::{EndpointConfig, Event};

pub const PSK: &str = "sim-psk-0123456789";

pub fn a() -> IpAddr {
    "192.0.2.1".parse().unwrap()
}

pub fn b() -> IpAddr {
    "192.0.2.2".parse().unwrap()
}

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

/// Two peers with these proposals, A initiating to B.
pub fn pair(mode: ExchangeMode, a_proposals: &[&str], b_proposals: &[&str]) -> Simulation {
    let a_config = config(connection(a(), b(), mode, proposals(a_proposals)), PSK);
    let b_config = config(connection(b(), a(), mode, proposals(b_proposals)), PSK);
    Simulation::new(a_config, 1, b_config, 2)
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

/// Initiates from A and runs up to a minute of virtual time.
pub fn run_phase1(sim: &mut Simulation) {
    sim.initiate(Side::A, "peer");
    sim.run_for(Duration::from_secs(60));
}
