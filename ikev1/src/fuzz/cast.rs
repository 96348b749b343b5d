//! Who takes part: the subject (the endpoint under test) and its scripted
//! peers, on the documentation network, each with a Main Mode and an
//! Aggressive Mode connection to the other side and one child policy, so
//! every exchange the engine knows can be reached.

use std::net::IpAddr;

use crate::config::{EndpointConfig, Limits};
use crate::policy::{
    ChildPolicy, Connection, DhGroup, Dpd, ExchangeMode, IkeProposal, IpsecLifetime, IpsecMode, Keyring,
    NatTMode, PeerSelector, Policy, TrafficSelector,
};

use super::script::Setup;

pub const PSK: &str = "fuzz-psk-0123456789";

/// Limits small enough that inputs reach them and their enforcement is
/// exercised: half-open SAs, Quick Modes per SA.
pub const LIMITS: Limits =
    Limits { max_half_open: 4, max_retransmitted_responses: 16, max_quick_modes_per_sa: 8 };

/// One participant: its IKE address and the inner host behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Party {
    pub address: IpAddr,
    pub inner: IpAddr,
}

impl Party {
    pub const fn new(address: [u8; 4], inner: [u8; 4]) -> Self {
        Self { address: ip(address), inner: ip(inner) }
    }
}

const fn ip([a, b, c, d]: [u8; 4]) -> IpAddr {
    IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d))
}

pub const INITIATOR: Party = Party::new([192, 0, 2, 1], [198, 51, 100, 1]);
pub const RESPONDER: Party = Party::new([192, 0, 2, 2], [198, 51, 100, 129]);
/// A second peer of the responder, for what one peer must not do to another's SAs.
pub const THIRD: Party = Party::new([192, 0, 2, 3], [198, 51, 100, 3]);

/// The name of a party's connection of `mode` to its n-th remote party.
pub fn connection_name(mode: ExchangeMode, remote: usize) -> String {
    match mode {
        ExchangeMode::Main => format!("main-{remote}"),
        ExchangeMode::Aggressive => format!("aggr-{remote}"),
    }
}

/// A party's configuration towards each of `remotes`.
pub fn config(local: Party, remotes: &[Party], setup: Setup) -> EndpointConfig {
    let mut keyring = Keyring::default();
    let mut connections = Vec::new();
    for (index, remote) in remotes.iter().enumerate() {
        keyring = keyring.with(PeerSelector::Address(remote.address), PSK);
        for mode in [ExchangeMode::Main, ExchangeMode::Aggressive] {
            connections.push(connection(local, *remote, mode, setup, connection_name(mode, index)));
        }
    }
    EndpointConfig { policy: Policy { connections, keyring }, limits: LIMITS, ..EndpointConfig::default() }
}

fn connection(local: Party, remote: Party, mode: ExchangeMode, setup: Setup, name: String) -> Connection {
    let proposals = ["aes128-sha256-modp1024", "3des-sha1-modp1024"];
    let proposals = proposals
        .iter()
        .enumerate()
        .map(|(i, p)| p.parse::<IkeProposal>().expect("a proposal").with_priority(10 * (i as u16 + 1)))
        .collect();
    let mut connection = Connection::new(&name, local.address, Some(remote.address), proposals);
    connection.exchange = mode;
    connection.dpd = Some(Dpd { interval_secs: 30, retry_secs: 5, retries: 2, on_demand: false });
    if setup.has(Setup::FORCE_NAT_T) {
        connection.nat_traversal.mode = NatTMode::Force;
    }
    connection.children.push(ChildPolicy {
        name: "net".into(),
        mode: IpsecMode::Tunnel,
        local_ts: TrafficSelector::host(local.inner),
        remote_ts: TrafficSelector::host(remote.inner),
        esp_proposals: ["aes128-sha256", "aes256gcm16"].iter().map(|p| p.parse().expect("ESP")).collect(),
        pfs: setup.has(Setup::PFS).then_some(DhGroup::Modp1024),
        lifetime: IpsecLifetime::default(),
    });
    connection
}
