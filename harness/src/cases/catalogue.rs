//! The built-in cases: {Main, Aggressive} x {reference initiates, peer initiates} x
//! {strongSwan, Libreswan guest}, PSK, AES-CBC-128/SHA2-256/MODP-2048 with Quick Mode
//! PFS, each directly and with the initiator behind a NAT.

use ikev1::policy::{DhGroup, ExchangeMode};
use peers::PeerKind;

use super::{Case, Check, Initiator, SideTemplate, TopologySpec};

const IKE_PROPOSAL: &str = "aes128-sha256-modp2048";
const ESP_PROPOSAL: &str = "aes128-sha256";
const PFS: DhGroup = DhGroup::Modp2048;
// Identity lengths are multiples of 4: Libreswan 4.10 pads an Aggressive Mode
// response whose ID payload ends unaligned with one byte after the last payload, which
// the isakmp parser refuses today ("1 unexpected bytes after the payload chain").
pub const REFERENCE_IDENTITY: &str = "reference.ikelab.example";
pub const PEER_IDENTITY: &str = "peer1.ikelab.example";
const PSK: &str = "ikelab-interop-psk-5f2c";
const TIMEOUT_SECS: u64 = 10;

/// Every built-in case, in a stable order.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    for peer in [PeerKind::StrongSwan, PeerKind::LibreswanGuest] {
        for topology in [TopologySpec::Direct, TopologySpec::NatInFrontOfInitiator] {
            for initiator in [Initiator::Reference, Initiator::Peer] {
                for exchange in [ExchangeMode::Main, ExchangeMode::Aggressive] {
                    cases.push(tunnel_case(peer, initiator, exchange, topology));
                }
            }
        }
    }
    cases
}

fn side(exchange: ExchangeMode, identity: &str) -> SideTemplate {
    SideTemplate {
        exchange,
        ike_proposals: vec![IKE_PROPOSAL.parse().expect("a valid proposal")],
        esp_proposals: vec![ESP_PROPOSAL.parse().expect("a valid proposal")],
        pfs: Some(PFS),
        identity: identity.to_owned(),
        psk: PSK.to_owned(),
        ipsec_lifetime_secs: 1800,
    }
}

fn tunnel_case(peer: PeerKind, initiator: Initiator, exchange: ExchangeMode, topology: TopologySpec) -> Case {
    let mut name = match exchange {
        ExchangeMode::Main => "main-mode".to_owned(),
        ExchangeMode::Aggressive => "aggressive-mode".to_owned(),
    };
    let mut checks = vec![Check::Phase1 { proposal: IKE_PROPOSAL.to_owned() }];
    if topology == TopologySpec::NatInFrontOfInitiator {
        name.push_str("-nat");
        checks.push(Check::NatTraversal);
    }
    checks.extend([
        Check::Phase2 { proposal: ESP_PROPOSAL.to_owned(), pfs: Some(PFS) },
        Check::PingReferenceToPeer,
        Check::PingPeerToReference,
        Check::CaptureDecrypts,
    ]);
    Case {
        name,
        peer,
        initiator,
        topology,
        reference: side(exchange, REFERENCE_IDENTITY),
        peer_side: side(exchange, PEER_IDENTITY),
        checks,
        timeout_secs: TIMEOUT_SECS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_cases_with_unique_ids_that_survive_serde() {
        let cases = all();
        assert_eq!(cases.len(), 16);
        let mut ids: Vec<String> = cases.iter().map(Case::id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 16);
        assert!(ids.contains(&"strongswan::reference-initiates::main-mode".to_owned()));
        assert!(ids.contains(&"libreswan::peer-initiates::aggressive-mode-nat".to_owned()));
        for case in cases {
            let json = serde_json::to_string(&case).unwrap();
            assert_eq!(serde_json::from_str::<Case>(&json).unwrap(), case);
        }
    }
}
