//! One side's policy as a case states it, before the topology gives it addresses.

use std::net::IpAddr;

use ikev1::impairment::Impairment;
use ikev1::policy::{
    ChildPolicy, Connection, DhGroup, Dpd, EspProposal, ExchangeMode, IdentityConfig, IkeProposal,
    IpsecLifetime, IpsecMode, Keyring, LifetimeRule, NatTraversal, PeerSelector, Policy, ResponderChoice,
    TrafficSelector,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SideTemplate {
    pub exchange: ExchangeMode,
    /// In priority order; each carries the ISAKMP lifetime.
    pub ike_proposals: Vec<IkeProposal>,
    pub esp_proposals: Vec<EspProposal>,
    pub pfs: Option<DhGroup>,
    /// This side's FQDN identity (ID_FQDN).
    pub identity: String,
    /// The identity this side requires of the other; `None`: the one the other sends.
    pub expects_identity: Option<String>,
    pub psk: String,
    pub ipsec_lifetime: IpsecLifetime,
    /// Selector overrides; `None`: this side's inner host, and the other side's.
    pub local_ts: Option<TrafficSelector>,
    pub remote_ts: Option<TrafficSelector>,
    pub nat_traversal: NatTraversal,
    pub dpd: Option<Dpd>,
    pub initial_contact: bool,
    pub invalid_spi_recovery: bool,
    pub responder_choice: ResponderChoice,
    pub lifetime_rule: LifetimeRule,
    pub rekey: bool,
    pub impairments: Vec<Impairment>,
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

/// The child name every rendered policy uses.
pub const CHILD: &str = "inner";

impl SideTemplate {
    /// The policy of this side: one connection `name` to the other side, which sends
    /// `remote_identity`, with one tunnel between the inner addresses.
    pub fn policy(&self, name: &str, addresses: Addresses, remote_identity: &str) -> Policy {
        let mut connection =
            Connection::new(name, addresses.local, Some(addresses.remote), self.ike_proposals.clone());
        connection.exchange = self.exchange;
        connection.local_id = Some(IdentityConfig::Fqdn(self.identity.clone()));
        let required = self.expects_identity.as_deref().unwrap_or(remote_identity);
        let remote_id = IdentityConfig::Fqdn(required.to_owned());
        connection.remote_id = Some(remote_id.clone());
        connection.nat_traversal = self.nat_traversal.clone();
        connection.dpd = self.dpd;
        connection.initial_contact = self.initial_contact;
        connection.invalid_spi_recovery = self.invalid_spi_recovery;
        connection.responder_choice = self.responder_choice;
        connection.lifetime_rule = self.lifetime_rule;
        connection.rekey = self.rekey;
        connection.impairments = self.impairments.clone();
        connection.children.push(ChildPolicy {
            name: CHILD.to_owned(),
            mode: IpsecMode::Tunnel,
            local_ts: self.local_ts.unwrap_or_else(|| TrafficSelector::host(addresses.local_inner)),
            remote_ts: self.remote_ts.unwrap_or_else(|| TrafficSelector::host(addresses.remote_inner)),
            esp_proposals: self.esp_proposals.clone(),
            pfs: self.pfs,
            lifetime: self.ipsec_lifetime,
        });
        // Main Mode responders pick the key by address, Aggressive Mode by identity.
        let keyring = Keyring::default()
            .with(PeerSelector::Address(addresses.remote), &self.psk)
            .with(PeerSelector::Identity(remote_id), &self.psk);
        Policy { connections: vec![connection], keyring }
    }

    /// The same side without its deliberate misbehaviour.
    pub fn without_impairments(&self) -> SideTemplate {
        SideTemplate { impairments: Vec::new(), ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn template() -> SideTemplate {
        SideTemplate {
            exchange: ExchangeMode::Aggressive,
            ike_proposals: vec!["aes128-sha256-modp2048".parse().unwrap()],
            esp_proposals: vec!["aes128-sha256".parse().unwrap()],
            pfs: Some(DhGroup::Modp2048),
            identity: "reference.ikelab.example".into(),
            expects_identity: None,
            psk: "k".into(),
            ipsec_lifetime: IpsecLifetime { seconds: 1800, kilobytes: None },
            local_ts: None,
            remote_ts: None,
            nat_traversal: NatTraversal::default(),
            dpd: None,
            initial_contact: true,
            invalid_spi_recovery: false,
            responder_choice: ResponderChoice::OwnPriority,
            lifetime_rule: LifetimeRule::AcceptShorter,
            rekey: true,
            impairments: Vec::new(),
        }
    }

    fn addresses() -> Addresses {
        Addresses {
            local: "192.0.2.1".parse().unwrap(),
            remote: "203.0.113.2".parse().unwrap(),
            local_inner: "198.51.100.1".parse().unwrap(),
            remote_inner: "198.51.100.129".parse().unwrap(),
        }
    }

    #[test]
    fn a_template_becomes_a_one_tunnel_policy_with_keys_by_address_and_identity() {
        let addresses = addresses();
        let policy = template().policy("peer", addresses, "peer.ikelab.example");
        let connection = &policy.connections[0];
        assert_eq!(connection.exchange, ExchangeMode::Aggressive);
        assert_eq!(connection.remote_address, Some(addresses.remote));
        assert_eq!(connection.children[0].remote_ts, TrafficSelector::host(addresses.remote_inner));
        assert_eq!(policy.keyring.lookup(addresses.remote, None), Some("k"));
        let identity = IdentityConfig::Fqdn("peer.ikelab.example".into()).to_identity();
        assert_eq!(policy.keyring.lookup("192.0.2.99".parse().unwrap(), Some(&identity)), Some("k"));
    }

    #[test]
    fn an_expected_identity_and_selectors_override_the_defaults() {
        let mut side = template();
        side.expects_identity = Some("someone.else.example".into());
        side.remote_ts = Some(TrafficSelector::subnet("198.51.100.64".parse().unwrap(), 26));
        let policy = side.policy("peer", addresses(), "peer.ikelab.example");
        let connection = &policy.connections[0];
        assert_eq!(connection.remote_id, Some(IdentityConfig::Fqdn("someone.else.example".into())));
        assert_eq!(connection.children[0].remote_ts.prefix_len, 26);
    }
}
