//! One side's policy as a case states it, before the topology gives it addresses.

use std::net::IpAddr;

use ikev1::policy::{
    ChildPolicy, Connection, DhGroup, EspProposal, ExchangeMode, IdentityConfig, IkeProposal, IpsecLifetime,
    IpsecMode, Keyring, PeerSelector, Policy, TrafficSelector,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SideTemplate {
    pub exchange: ExchangeMode,
    pub ike_proposals: Vec<IkeProposal>,
    pub esp_proposals: Vec<EspProposal>,
    pub pfs: Option<DhGroup>,
    /// This side's FQDN identity (ID_FQDN).
    pub identity: String,
    pub psk: String,
    pub ipsec_lifetime_secs: u32,
}

/// Where a side sits once the topology exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addresses {
    /// Its own link address.
    pub local: IpAddr,
    /// The address it reaches the other side at (that side's NAT, if it has one).
    pub remote: IpAddr,
    /// The tunnelled hosts: its own and the other side's inner addresses.
    pub local_inner: IpAddr,
    pub remote_inner: IpAddr,
}

/// The connection name and child name every rendered policy uses.
pub const CHILD: &str = "inner";

impl SideTemplate {
    /// The policy of this side: one connection `name` to the other side, whose
    /// identity is `remote_identity`, with one tunnel between the inner addresses.
    pub fn policy(&self, name: &str, addresses: Addresses, remote_identity: &str) -> Policy {
        let mut connection =
            Connection::new(name, addresses.local, Some(addresses.remote), self.ike_proposals.clone());
        connection.exchange = self.exchange;
        connection.local_id = Some(IdentityConfig::Fqdn(self.identity.clone()));
        let remote_id = IdentityConfig::Fqdn(remote_identity.to_owned());
        connection.remote_id = Some(remote_id.clone());
        connection.children.push(ChildPolicy {
            name: CHILD.to_owned(),
            mode: IpsecMode::Tunnel,
            local_ts: TrafficSelector::host(addresses.local_inner),
            remote_ts: TrafficSelector::host(addresses.remote_inner),
            esp_proposals: self.esp_proposals.clone(),
            pfs: self.pfs,
            lifetime: IpsecLifetime { seconds: self.ipsec_lifetime_secs, kilobytes: None },
        });
        // Main Mode responders pick the key by address, Aggressive Mode by identity.
        let keyring = Keyring::default()
            .with(PeerSelector::Address(addresses.remote), &self.psk)
            .with(PeerSelector::Identity(remote_id), &self.psk);
        Policy { connections: vec![connection], keyring }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_becomes_a_one_tunnel_policy_with_keys_by_address_and_identity() {
        let template = SideTemplate {
            exchange: ExchangeMode::Aggressive,
            ike_proposals: vec!["aes128-sha256-modp2048".parse().unwrap()],
            esp_proposals: vec!["aes128-sha256".parse().unwrap()],
            pfs: Some(DhGroup::Modp2048),
            identity: "reference.ikelab.example".into(),
            psk: "k".into(),
            ipsec_lifetime_secs: 1800,
        };
        let addresses = Addresses {
            local: "192.0.2.1".parse().unwrap(),
            remote: "203.0.113.2".parse().unwrap(),
            local_inner: "198.51.100.1".parse().unwrap(),
            remote_inner: "198.51.100.129".parse().unwrap(),
        };
        let policy = template.policy("peer", addresses, "peer.ikelab.example");
        let connection = &policy.connections[0];
        assert_eq!(connection.exchange, ExchangeMode::Aggressive);
        assert_eq!(connection.remote_address, Some(addresses.remote));
        assert_eq!(connection.children[0].remote_ts, TrafficSelector::host(addresses.remote_inner));
        assert_eq!(policy.keyring.lookup(addresses.remote, None), Some("k"));
        let identity = IdentityConfig::Fqdn("peer.ikelab.example".into()).to_identity();
        assert_eq!(policy.keyring.lookup("192.0.2.99".parse().unwrap(), Some(&identity)), Some("k"));
    }
}
