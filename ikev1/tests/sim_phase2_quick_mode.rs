//! Quick Mode between two engines (RFC 2409 5.5): PFS in every MODP group
//! and in both roles, PFS mismatches, the responder's choice among ESP
//! transforms, every ESP suite carrying traffic, tunnel and transport mode,
//! client identities, and lost Quick Mode messages.
//!
//! What the wire carried is read back with the keys rebuilt from a side's
//! seed (tests/common/keys.rs): Quick Mode is encrypted end to end.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::keys::{Decrypted, SaKeys};
use common::phase2::*;
use common::*;
use ikev1::counters::DropReason;
use ikev1::policy::{ChildPolicy, DhGroup, EspProposal, IpsecMode, ResponderChoice, TrafficSelector};
use ikev1::sim::{Rule, Rules, Side, Simulation};
use ikev1::trace::Trace;
use ikev1::trace::show_ipsec::{ios_transform, render_ipsec_sa};
use isakmp::numbers::{EncapsulationMode, IpsecAttributeType as Attr, PayloadType};
use isakmp::payload::Identity;

/// The Quick Mode messages of the `index`th exchange, read with the keys of
/// `initiator` (the side that sent MM1).
fn quick_mode(sim: &Simulation, initiator: Side, index: usize) -> Vec<Decrypted> {
    SaKeys::of(sim, initiator, seed_of(initiator), PSK).quick_mode(sim, index)
}

fn types(message: &Decrypted) -> Vec<PayloadType> {
    wire::types_of(&message.payloads)
}

/// A refused Quick Mode: the responder sent `notify`, the initiator took it
/// as the end of its exchange, and no IPsec SA came up on either side.
fn assert_refused(sim: &Simulation, notify: &str) {
    assert_eq!(notifies_sent(sim, Side::B, notify), 1, "B refused once");
    assert_eq!(notifies_received(sim, Side::A, notify), 1);
    assert_eq!(ipsec_failures(sim, Side::A), [format!("peer refused: {notify}")]);
    assert!(ipsec_up(sim, Side::A).is_empty() && ipsec_up(sim, Side::B).is_empty());
    assert!(sim.a.ipsec_sas().is_empty() && sim.b.ipsec_sas().is_empty());
    assert_eq!(sim.a.counters().retransmissions, 0, "no retransmission into a refusal");
    assert_eq!((sim.a.established().len(), sim.b.established().len()), (1, 1), "Phase 1 stays up");
}

/// The refusal notify on the wire names the SPI A proposed (RFC 2408 3.14).
fn assert_refusal_names_the_proposed_spi(sim: &Simulation, notify: &str) {
    let keys = SaKeys::of(sim, Side::A, SEED_A, PSK);
    let qm1 = &keys.quick_mode(sim, 0)[0];
    let proposed = &wire::security_association(&qm1.payloads).expect("SA").proposals()[0].spi;
    let from_b: Vec<Decrypted> = keys.informationals(sim).into_iter().filter(|m| m.from == Side::B).collect();
    assert_eq!(from_b.len(), 1);
    let notification = wire::notifications(&from_b[0].payloads)[0].clone();
    assert_eq!(notification.notify_type.to_string(), notify);
    assert_eq!(&notification.spi, proposed);
}

/// RFC 2409 5.5 with RFC 2409 6 and RFC 3526: a KE payload in Quick Mode
/// gives PFS, in each MODP group, whoever initiates.
mod pfs_in_every_group {
    use super::*;

    /// A second pair of inner hosts, for a child without PFS.
    fn plain_host(side: Side) -> IpAddr {
        match side {
            Side::A => "198.51.100.2".parse().unwrap(),
            Side::B => "198.51.100.130".parse().unwrap(),
        }
    }

    fn plain_child(side: Side) -> ChildPolicy {
        ChildPolicy {
            name: "plain".into(),
            local_ts: TrafficSelector::host(plain_host(side)),
            remote_ts: TrafficSelector::host(plain_host(side.other())),
            ..child(side, &["aes128-sha256"], None)
        }
    }

    /// The length of a public value: the modulus's (RFC 2409 5: left-padded).
    fn modulus_len(group: DhGroup) -> usize {
        let bits = match group {
            DhGroup::Modp768 => 768,
            DhGroup::Modp1024 => 1024,
            DhGroup::Modp1536 => 1536,
            DhGroup::Modp2048 => 2048,
            DhGroup::Modp3072 => 3072,
            DhGroup::Modp4096 => 4096,
            DhGroup::Modp6144 => 6144,
            DhGroup::Modp8192 => 8192,
        };
        bits / 8
    }

    /// Two children, "net" with PFS and "plain" without, negotiated by
    /// `initiator`; checked on the wire, in KEYMAT and with traffic.
    fn pfs_in_group(group: DhGroup, initiator: Side) {
        let mut sim = Peers::tunnel(&["aes128-sha256"], Some(group))
            .a(|c| c.children.push(plain_child(Side::A)))
            .b(|c| c.children.push(plain_child(Side::B)))
            .build();
        sim.initiate(initiator, "peer");
        sim.run_for(Duration::from_secs(2));
        for side in [Side::A, Side::B] {
            let up = ipsec_up(&sim, side);
            assert_eq!(up.len(), 2, "{side:?}: {:?}", ipsec_failures(&sim, side));
            let net = up.iter().find(|info| info.child == "net").expect("net");
            let plain = up.iter().find(|info| info.child == "plain").expect("plain");
            assert_eq!(net.pfs.as_deref(), Some(group.token()));
            assert_eq!(plain.pfs, None);
            assert!(up.iter().all(|info| info.we_initiated == (side == initiator)));
        }

        // The wire: KE in QM1 and QM2 of the PFS exchange only, as long as
        // the modulus, and the group in every transform of the offer.
        let mut keys = SaKeys::of(&sim, initiator, seed_of(initiator), PSK);
        let with_pfs = keys.quick_mode(&sim, 0);
        let without = keys.quick_mode(&sim, 1);
        let senders: Vec<Side> = with_pfs.iter().map(|m| m.from).collect();
        assert_eq!(senders, [initiator, initiator.other(), initiator]);
        use PayloadType as P;
        let full = [P::HASH, P::SA, P::NONCE, P::KE, P::ID, P::ID];
        assert_eq!(
            (types(&with_pfs[0]), types(&with_pfs[1]), types(&with_pfs[2])),
            (full.to_vec(), full.to_vec(), vec![P::HASH])
        );
        assert_eq!(types(&without[0]), [P::HASH, P::SA, P::NONCE, P::ID, P::ID]);
        assert_eq!(types(&without[1]), [P::HASH, P::SA, P::NONCE, P::ID, P::ID]);
        let (qm1, qm2) = (&with_pfs[0].payloads, &with_pfs[1].payloads);
        let (ke_i, ke_r) = (wire::ke(qm1).expect("KEi"), wire::ke(qm2).expect("KEr"));
        assert_eq!((ke_i.len(), ke_r.len()), (modulus_len(group), modulus_len(group)));
        for transform in wire::transforms(qm1) {
            assert_eq!(
                wire::ipsec_attribute(transform, Attr::GROUP_DESCRIPTION),
                Some(u64::from(group.number()))
            );
        }
        for transform in wire::transforms(&without[0].payloads) {
            assert_eq!(wire::ipsec_attribute(transform, Attr::GROUP_DESCRIPTION), None);
        }

        // KEYMAT = prf(SKEYID_d, g(qm)^xy | protocol | SPI | Ni_b | Nr_b):
        // the initiator's PFS exponent is the next one its seed gives.
        let key_pair = keys.next_key_pair(group);
        assert_eq!(key_pair.public_value(), ke_i, "the initiator's QM key pair comes from its seed");
        let g_xy = key_pair.shared_secret(ke_r).expect("a valid public value");
        let suite: EspProposal = "aes128-sha256".parse().unwrap();
        let exported = match initiator {
            Side::A => sim.a.key_material(),
            Side::B => sim.b.key_material(),
        };
        let exported_key = |spi: u32| {
            exported
                .esp_sas
                .iter()
                .find(|k| k.spi == spi)
                .map(|k| k.encryption_key.clone())
                .expect("exported")
        };
        let proposed_spi = |qm: &[isakmp::Payload]| {
            let spi = &wire::security_association(qm).expect("SA").proposals()[0].spi;
            u32::from_be_bytes(spi.as_slice().try_into().unwrap())
        };
        let nonces = |m: &[Decrypted]| {
            (wire::nonce(&m[0].payloads).unwrap().to_vec(), wire::nonce(&m[1].payloads).unwrap().to_vec())
        };
        let (ni, nr) = nonces(&with_pfs);
        for spi in [proposed_spi(qm1), proposed_spi(qm2)] {
            let hex = |keys: ikev1::keys::EspKeys| isakmp::hex::encode(keys.encryption.as_bytes());
            let pfs_key = hex(keys.esp_keys(suite, spi, &ni, &nr, Some(g_xy.as_bytes())));
            assert_eq!(pfs_key, exported_key(spi), "PFS KEYMAT");
            assert_ne!(hex(keys.esp_keys(suite, spi, &ni, &nr, None)), exported_key(spi));
        }
        let (ni, nr) = nonces(&without);
        let spi = proposed_spi(&without[0].payloads);
        let plain_key = isakmp::hex::encode(keys.esp_keys(suite, spi, &ni, &nr, None).encryption.as_bytes());
        assert_eq!(plain_key, exported_key(spi), "KEYMAT without PFS");

        // Both pairs carry traffic both ways.
        assert_pings_both_ways(&mut sim, 1);
        for from in [Side::A, Side::B] {
            let mut pinger = Pinger::between(&sim, from, plain_host(from), plain_host(from.other()));
            assert!(pinger.ping(&mut sim), "through the pair without PFS from {from:?}");
        }
        let shown = render_ipsec_sa(&ipsec_views(&sim, initiator.other()));
        assert!(shown.contains(&format!("PFS (Y/N): Y, DH group: group{}", group.number())), "{shown}");
        assert!(shown.contains("PFS (Y/N): N, DH group: none"), "{shown}");
    }

    macro_rules! every_group {
        ($($name:ident => $group:expr),* $(,)?) => {$(
            #[test]
            fn $name() {
                pfs_in_group($group, Side::A);
                pfs_in_group($group, Side::B);
            }
        )*};
    }

    every_group! {
        group_1_modp768_both_roles => DhGroup::Modp768,
        group_2_modp1024_both_roles => DhGroup::Modp1024,
        group_5_modp1536_both_roles => DhGroup::Modp1536,
        group_14_modp2048_both_roles => DhGroup::Modp2048,
        group_15_modp3072_both_roles => DhGroup::Modp3072,
        group_16_modp4096_both_roles => DhGroup::Modp4096,
        group_17_modp6144_both_roles => DhGroup::Modp6144,
        group_18_modp8192_both_roles => DhGroup::Modp8192,
    }
}

/// PFS that does not match. RFC 2409 5.5: Quick Mode KE is optional but
/// MUST be supported, and when a KE is sent the group MUST be in every
/// transform; whether a responder insists on PFS is its policy (IOS `set
/// pfs`): without it, it follows the initiator's KE; with it, it refuses an
/// offer in another group or without a KE.
mod pfs_mismatch {
    use super::*;

    #[test]
    fn different_groups_are_refused_with_no_proposal_chosen() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], Some(DhGroup::Modp1536))
            .children(Side::B, |c| c.pfs = Some(DhGroup::Modp2048))
            .build();
        sim.initiate(Side::A, "peer");
        sim.run_for(Duration::from_secs(120));
        assert_refused(&sim, "NO-PROPOSAL-CHOSEN");
        assert_refusal_names_the_proposed_spi(&sim, "NO-PROPOSAL-CHOSEN");
        let why = traces_where(&sim, Side::B, |t| matches!(t, Trace::AttributesNotAcceptable { .. }));
        assert!(
            matches!(&why[0].trace, Trace::AttributesNotAcceptable { reason } if reason == "PFS group does not match policy")
        );
        let qm1 = &quick_mode(&sim, Side::A, 0)[0];
        assert_eq!(wire::ke(&qm1.payloads).map(<[u8]>::len), Some(192), "A offered a group 5 KE");
    }

    #[test]
    fn a_responder_without_pfs_accepts_the_initiators_pfs() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], Some(DhGroup::Modp2048))
            .children(Side::B, |c| c.pfs = None)
            .build();
        let (on_a, on_b) = bring_up(&mut sim, Side::A);
        assert_eq!((on_a.pfs.as_deref(), on_b.pfs.as_deref()), (Some("modp2048"), Some("modp2048")));
        let qm = quick_mode(&sim, Side::A, 0);
        assert_eq!(wire::ke(&qm[1].payloads).map(<[u8]>::len), Some(256), "B answered with its own KE");
        assert_pings_both_ways(&mut sim, 2);
    }

    #[test]
    fn an_initiator_without_pfs_is_refused_by_a_responder_that_requires_it() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], Some(DhGroup::Modp2048))
            .children(Side::A, |c| c.pfs = None)
            .build();
        sim.initiate(Side::A, "peer");
        sim.run_for(Duration::from_secs(120));
        assert_refused(&sim, "NO-PROPOSAL-CHOSEN");
        let qm1 = &quick_mode(&sim, Side::A, 0)[0];
        assert_eq!(wire::ke(&qm1.payloads), None);
        assert!(
            wire::transforms(&qm1.payloads)
                .iter()
                .all(|t| wire::ipsec_attribute(t, Attr::GROUP_DESCRIPTION).is_none())
        );
    }
}

/// The responder picks one transform of the initiator's offer (RFC 2408
/// 4.2, RFC 2409 5.5) and returns it alone in QM2; which one depends on its
/// choice rule.
mod responder_choice {
    use super::*;

    /// A offers `offer`, B has `own`; returns the simulation, the suite both
    /// sides agreed on, and the number of the transform B returned.
    fn negotiate(offer: &[&str], own: &[&str], rule: ResponderChoice) -> (Simulation, String, u8) {
        let mut sim = Peers::tunnel(offer, None)
            .children(Side::B, |c| c.esp_proposals = own.iter().map(|p| p.parse().unwrap()).collect())
            .b(|c| c.responder_choice = rule)
            .build();
        let (on_a, on_b) = bring_up(&mut sim, Side::A);
        assert_eq!(on_a.proposal, on_b.proposal);
        let qm = quick_mode(&sim, Side::A, 0);
        let offered = wire::transforms(&qm[0].payloads);
        assert_eq!(
            offered.iter().map(|t| t.number).collect::<Vec<_>>(),
            (1..=offer.len() as u8).collect::<Vec<_>>()
        );
        let returned = wire::transforms(&qm[1].payloads);
        assert_eq!(returned.len(), 1, "exactly one transform in QM2");
        assert_pings_both_ways(&mut sim, 1);
        let number = returned[0].number;
        (sim, on_a.proposal, number)
    }

    #[test]
    fn own_priority_takes_the_responders_first_transform_set_that_was_offered() {
        let (_, chosen, number) = negotiate(
            &["aes128-sha1", "aes256-sha256"],
            &["aes256-sha256", "aes128-sha1"],
            ResponderChoice::OwnPriority,
        );
        assert_eq!((chosen.as_str(), number), ("aes256-sha256", 2));
    }

    #[test]
    fn initiator_order_takes_the_initiators_first_acceptable_transform_set() {
        let (_, chosen, number) = negotiate(
            &["aes128-sha1", "aes256-sha256"],
            &["aes256-sha256", "aes128-sha1"],
            ResponderChoice::InitiatorOrder,
        );
        assert_eq!((chosen.as_str(), number), ("aes128-sha1", 1));
    }

    #[test]
    fn a_transform_set_the_responder_lacks_is_passed_over() {
        let (sim, chosen, number) =
            negotiate(&["3des-md5", "aes128gcm16"], &["aes128gcm16"], ResponderChoice::InitiatorOrder);
        assert_eq!((chosen.as_str(), number), ("aes128gcm16", 2));
        let not_acceptable =
            traces_where(&sim, Side::B, |t| matches!(t, Trace::AttributesNotAcceptable { .. }));
        assert_eq!(not_acceptable.len(), 1, "3des-md5 was checked and refused");
    }

    #[test]
    fn no_common_transform_set_is_no_proposal_chosen() {
        let mut sim = Peers::tunnel(&["3des-md5"], None)
            .children(Side::B, |c| c.esp_proposals = vec!["aes256-sha512".parse().unwrap()])
            .build();
        sim.initiate(Side::A, "peer");
        sim.run_for(Duration::from_secs(120));
        assert_refused(&sim, "NO-PROPOSAL-CHOSEN");
        assert_eq!(dropped(&sim, Side::B, DropReason::NoProposalChosen), 1);
    }
}

/// Every ESP suite negotiates and carries traffic: 3DES (RFC 2451), AES-CBC
/// (RFC 3602) with HMAC-MD5-96, HMAC-SHA-1-96 (RFC 2403, 2404) and
/// HMAC-SHA2-256/384/512 (RFC 4868), AES-GCM with a 16-byte ICV (RFC 4106).
/// Each ESP packet on the wire has exactly the length RFC 4303 2 gives:
/// SPI, sequence number, IV, the payload padded to the cipher's alignment
/// with Pad Length and Next Header, and the ICV.
mod esp_suites {
    use super::*;
    use ikev1::policy::{EspCipher, EspIntegrityAlgorithm};

    /// An IPv4 echo of "ikelab ping": 20 + 8 + 11 bytes.
    const PING_LEN: usize = 39;

    pub fn esp_len(suite: EspProposal, payload_len: usize) -> usize {
        let (iv, alignment) = match suite.cipher {
            EspCipher::TripleDes => (8, 8),
            EspCipher::Aes128 | EspCipher::Aes192 | EspCipher::Aes256 => (16, 16),
            EspCipher::Aes128gcm16 | EspCipher::Aes192gcm16 | EspCipher::Aes256gcm16 => (8, 4),
        };
        let icv = match suite.integrity {
            Some(EspIntegrityAlgorithm::Md5 | EspIntegrityAlgorithm::Sha1) => 12,
            Some(EspIntegrityAlgorithm::Sha256) | None => 16,
            Some(EspIntegrityAlgorithm::Sha384) => 24,
            Some(EspIntegrityAlgorithm::Sha512) => 32,
        };
        8 + iv + (payload_len + 2).next_multiple_of(alignment) + icv
    }

    fn suite_carries_traffic(suite: &str) {
        let proposal: EspProposal = suite.parse().unwrap();
        let mut sim = Peers::tunnel(&[suite], None).build();
        let (on_a, on_b) = bring_up(&mut sim, Side::A);
        assert_eq!((on_a.proposal.as_str(), on_b.proposal.as_str()), (suite, suite));
        assert_pings_both_ways(&mut sim, 2);
        for (side, info) in [(Side::A, &on_a), (Side::B, &on_b)] {
            let sent = wire::esp_from(&sim, side);
            assert_eq!(sent.len(), 4, "two requests and two replies from {side:?}");
            for (index, record) in sent.iter().enumerate() {
                let packet = &record.packet.payload;
                assert_eq!(packet.len(), esp_len(proposal, PING_LEN), "{suite} from {side:?}");
                assert_eq!(hex(&packet[..4]), info.outbound_spi, "the receiver's SPI");
                assert_eq!(
                    u32::from_be_bytes(packet[4..8].try_into().unwrap()),
                    index as u32 + 1,
                    "sequence"
                );
            }
            assert_eq!(inbound_total(&sim, side, |c| c.pkts_decaps), 4);
            assert_eq!(inbound_total(&sim, side, |c| c.auth_failures + c.recv_errors), 0);
        }
        let shown = render_ipsec_sa(&ipsec_views(&sim, Side::A));
        assert!(shown.contains(&format!("transform: {} ,", ios_transform(&proposal))), "{shown}");
    }

    fn hex(bytes: &[u8]) -> String {
        isakmp::hex::encode(bytes)
    }

    macro_rules! every_suite {
        ($($name:ident => $suite:expr),* $(,)?) => {$(
            #[test]
            fn $name() {
                suite_carries_traffic($suite);
            }
        )*};
    }

    every_suite! {
        triple_des_hmac_md5 => "3des-md5",
        triple_des_hmac_sha1 => "3des-sha1",
        triple_des_hmac_sha256 => "3des-sha256",
        triple_des_hmac_sha384 => "3des-sha384",
        triple_des_hmac_sha512 => "3des-sha512",
        aes128_cbc_hmac_md5 => "aes128-md5",
        aes128_cbc_hmac_sha1 => "aes128-sha1",
        aes128_cbc_hmac_sha256 => "aes128-sha256",
        aes128_cbc_hmac_sha384 => "aes128-sha384",
        aes128_cbc_hmac_sha512 => "aes128-sha512",
        aes192_cbc_hmac_md5 => "aes192-md5",
        aes192_cbc_hmac_sha1 => "aes192-sha1",
        aes192_cbc_hmac_sha256 => "aes192-sha256",
        aes192_cbc_hmac_sha384 => "aes192-sha384",
        aes192_cbc_hmac_sha512 => "aes192-sha512",
        aes256_cbc_hmac_md5 => "aes256-md5",
        aes256_cbc_hmac_sha1 => "aes256-sha1",
        aes256_cbc_hmac_sha256 => "aes256-sha256",
        aes256_cbc_hmac_sha384 => "aes256-sha384",
        aes256_cbc_hmac_sha512 => "aes256-sha512",
        aes128_gcm_16 => "aes128gcm16",
        aes192_gcm_16 => "aes192gcm16",
        aes256_gcm_16 => "aes256gcm16",
    }
}

/// Tunnel and transport mode (RFC 2407 4.5 Encapsulation Mode, RFC 4303
/// 3.1): a tunnel carries the whole inner packet, transport mode only what
/// follows the IP header, between the IKE peers themselves.
mod encapsulation_modes {
    use super::*;

    fn transport(side: Side) -> ChildPolicy {
        let own = match side {
            Side::A => a(),
            Side::B => b(),
        };
        let peer = match side {
            Side::A => b(),
            Side::B => a(),
        };
        ChildPolicy {
            mode: IpsecMode::Transport,
            local_ts: TrafficSelector::host(own),
            remote_ts: TrafficSelector::host(peer),
            ..child(side, &["aes128-sha256"], None)
        }
    }

    fn offered_mode(sim: &Simulation) -> Option<u64> {
        let qm1 = &quick_mode(sim, Side::A, 0)[0];
        wire::ipsec_attribute(wire::transforms(&qm1.payloads)[0], Attr::ENCAPSULATION_MODE)
    }

    #[test]
    fn tunnel_mode_wraps_the_whole_inner_packet() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None).build();
        let (on_a, _) = bring_up(&mut sim, Side::A);
        assert_eq!(on_a.mode, IpsecMode::Tunnel);
        assert_eq!(offered_mode(&sim), Some(u64::from(EncapsulationMode::TUNNEL.0)));
        let request = echo_request_between(inner(Side::A), inner(Side::B), 7);
        sim.act(Side::A, |endpoint, now| endpoint.send_inner(now, &request)).expect("an SA covers it");
        sim.run_for(Duration::from_millis(10));
        assert_eq!(
            inner_packets(&sim, Side::B).last().map(|(_, p)| p.clone()),
            Some(request.clone()),
            "byte for byte"
        );
        let esp = wire::esp_from(&sim, Side::A);
        let suite = "aes128-sha256".parse().unwrap();
        assert_eq!(esp[0].packet.payload.len(), esp_suites::esp_len(suite, request.len()));
        assert_eq!((esp[0].packet.source.ip(), esp[0].packet.destination.ip()), (a(), b()));
    }

    #[test]
    fn transport_mode_carries_the_peers_own_traffic_without_a_second_ip_header() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None)
            .a(|c| c.children = vec![transport(Side::A)])
            .b(|c| c.children = vec![transport(Side::B)])
            .build();
        let (on_a, on_b) = bring_up(&mut sim, Side::A);
        assert_eq!((on_a.mode, on_b.mode), (IpsecMode::Transport, IpsecMode::Transport));
        assert_eq!(offered_mode(&sim), Some(u64::from(EncapsulationMode::TRANSPORT.0)));
        for from in [Side::A, Side::B] {
            let (src, dst) = if from == Side::A { (a(), b()) } else { (b(), a()) };
            let mut pinger = Pinger::between(&sim, from, src, dst);
            assert!(pinger.ping(&mut sim), "transport mode from {from:?}");
        }
        let (_, first) = &inner_packets(&sim, Side::B)[0];
        let (_, _, src, dst) = echo_of(first).expect("an echo");
        assert_eq!((src, dst), (a(), b()), "B rebuilt the IP header from the outer one");
        let suite = "aes128-sha256".parse().unwrap();
        let esp = wire::esp_from(&sim, Side::A);
        assert_eq!(
            esp[0].packet.payload.len(),
            esp_suites::esp_len(suite, first.len() - 20),
            "no inner IP header"
        );
        let shown = render_ipsec_sa(&ipsec_views(&sim, Side::B));
        assert!(shown.contains("in use settings ={Transport, }"), "{shown}");
    }

    #[test]
    fn a_mode_mismatch_is_no_proposal_chosen() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None)
            .a(|c| c.children = vec![transport(Side::A)])
            .b(|c| c.children = vec![ChildPolicy { mode: IpsecMode::Tunnel, ..transport(Side::B) }])
            .build();
        sim.initiate(Side::A, "peer");
        sim.run_for(Duration::from_secs(10));
        assert_refused(&sim, "NO-PROPOSAL-CHOSEN");
        let why = traces_where(
            &sim,
            Side::B,
            |t| matches!(t, Trace::AttributesNotAcceptable { reason } if reason == "encapsulation mode does not match"),
        );
        assert_eq!(why.len(), 1);
    }
}

/// Client identities (RFC 2409 5.5): IDci and IDcr name the traffic; without
/// them the ISAKMP peers' addresses do; identities the responder's policy
/// does not cover are refused with INVALID-ID-INFORMATION.
mod client_identities {
    use super::*;

    fn peers_as_selectors(side: Side) -> ChildPolicy {
        let (own, peer) = if side == Side::A { (a(), b()) } else { (b(), a()) };
        ChildPolicy {
            local_ts: TrafficSelector::host(own),
            remote_ts: TrafficSelector::host(peer),
            ..child(side, &["aes128-sha256"], None)
        }
    }

    #[test]
    fn client_ids_name_the_inner_hosts_and_the_responder_echoes_them() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None).build();
        bring_up(&mut sim, Side::A);
        let qm = quick_mode(&sim, Side::A, 0);
        let ids = |m: &Decrypted| wire::identifications(&m.payloads).into_iter().cloned().collect::<Vec<_>>();
        let sent = ids(&qm[0]);
        let identities: Vec<&Identity> = sent.iter().map(|id| &id.identity).collect();
        let host = |side| match inner(side) {
            IpAddr::V4(v4) => Identity::Ipv4(v4),
            IpAddr::V6(_) => unreachable!(),
        };
        assert_eq!(identities, [&host(Side::A), &host(Side::B)], "IDci then IDcr");
        assert_eq!(ids(&qm[1]), sent, "echoed in QM2");
    }

    #[test]
    fn subnets_travel_as_address_and_mask_and_cover_every_host_in_them() {
        let low = TrafficSelector::subnet("198.51.100.0".parse().unwrap(), 25);
        let high = TrafficSelector::subnet("198.51.100.128".parse().unwrap(), 25);
        let mut sim = Peers::tunnel(&["aes128-sha256"], None)
            .children(Side::A, |c| (c.local_ts, c.remote_ts) = (low, high))
            .children(Side::B, |c| (c.local_ts, c.remote_ts) = (high, low))
            .build();
        let (on_a, _) = bring_up(&mut sim, Side::A);
        assert_eq!(
            (on_a.local_ts.as_str(), on_a.remote_ts.as_str()),
            ("198.51.100.0/25", "198.51.100.128/25")
        );
        let qm1 = &quick_mode(&sim, Side::A, 0)[0];
        let mask = "255.255.255.128".parse().unwrap();
        let identities: Vec<Identity> =
            wire::identifications(&qm1.payloads).iter().map(|id| id.identity.clone()).collect();
        assert_eq!(
            identities,
            [
                Identity::Ipv4Subnet { address: "198.51.100.0".parse().unwrap(), mask },
                Identity::Ipv4Subnet { address: "198.51.100.128".parse().unwrap(), mask },
            ]
        );
        for (src, dst) in [("198.51.100.1", "198.51.100.129"), ("198.51.100.77", "198.51.100.200")] {
            let mut pinger = Pinger::between(&sim, Side::A, src.parse().unwrap(), dst.parse().unwrap());
            assert!(pinger.ping(&mut sim), "{src} -> {dst}");
        }
    }

    #[test]
    fn a_narrower_proposal_inside_the_responders_subnets_is_accepted_as_proposed() {
        let low = TrafficSelector::subnet("198.51.100.0".parse().unwrap(), 25);
        let high = TrafficSelector::subnet("198.51.100.128".parse().unwrap(), 25);
        let mut sim = Peers::tunnel(&["aes128-sha256"], None)
            .children(Side::B, |c| (c.local_ts, c.remote_ts) = (high, low))
            .build();
        let (_, on_b) = bring_up(&mut sim, Side::A);
        assert_eq!(
            (on_b.local_ts.as_str(), on_b.remote_ts.as_str()),
            ("198.51.100.129/32", "198.51.100.1/32")
        );
        assert_pings_both_ways(&mut sim, 1);
    }

    #[test]
    fn without_client_ids_the_isakmp_peers_addresses_are_the_selectors() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None)
            .a(|c| {
                c.children = vec![peers_as_selectors(Side::A)];
                c.impairments = vec![ikev1::impairment::Impairment::OmitClientIds];
            })
            .b(|c| c.children = vec![peers_as_selectors(Side::B)])
            .build();
        let (_, on_b) = bring_up(&mut sim, Side::A);
        assert_eq!((on_b.local_ts.as_str(), on_b.remote_ts.as_str()), ("192.0.2.2/32", "192.0.2.1/32"));
        let qm = quick_mode(&sim, Side::A, 0);
        assert_eq!(types(&qm[0]), [PayloadType::HASH, PayloadType::SA, PayloadType::NONCE]);
        assert_eq!(
            types(&qm[1]),
            [PayloadType::HASH, PayloadType::SA, PayloadType::NONCE],
            "nothing to echo"
        );
        let impaired = traces_where(
            &sim,
            Side::A,
            |t| matches!(t, Trace::Impaired { impairment, .. } if impairment == "omit_client_ids"),
        );
        assert_eq!(impaired.len(), 1);
        for from in [Side::A, Side::B] {
            let (src, dst) = if from == Side::A { (a(), b()) } else { (b(), a()) };
            assert!(Pinger::between(&sim, from, src, dst).ping(&mut sim));
        }
    }

    #[test]
    fn without_client_ids_a_responder_with_inner_host_policies_only_refuses() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None)
            .a(|c| c.impairments = vec![ikev1::impairment::Impairment::OmitClientIds])
            .build();
        sim.initiate(Side::A, "peer");
        sim.run_for(Duration::from_secs(10));
        assert_refused(&sim, "INVALID-ID-INFORMATION");
        assert_eq!(dropped(&sim, Side::B, DropReason::InvalidIdentity), 1);
    }

    #[test]
    fn a_traffic_selector_mismatch_is_refused_with_invalid_id_information() {
        let elsewhere = TrafficSelector::host("198.51.100.200".parse().unwrap());
        let mut sim =
            Peers::tunnel(&["aes128-sha256"], None).children(Side::B, |c| c.local_ts = elsewhere).build();
        sim.initiate(Side::A, "peer");
        sim.run_for(Duration::from_secs(10));
        assert_refused(&sim, "INVALID-ID-INFORMATION");
        assert_refusal_names_the_proposed_spi(&sim, "INVALID-ID-INFORMATION");
        let refused = traces_where(&sim, Side::B, |t| {
            matches!(t, Trace::Dropped { reason: DropReason::InvalidIdentity, .. })
        });
        assert_eq!(refused.len(), 1);
    }
}

/// A lost Quick Mode message is recovered by retransmission: the peer
/// retransmits its last message and gets the cached answer (RFC 2408 3.1),
/// recognised before decryption because the running IV has moved on
/// (RFC 2409 8).
mod lost_messages {
    use super::*;

    fn with_loss(rule: Rule) -> Simulation {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None).build();
        sim.interceptor = Box::new(Rules::new(vec![rule]));
        sim.initiate(Side::A, "peer");
        sim.run_for(Duration::from_secs(5));
        sim
    }

    fn assert_recovered(sim: &mut Simulation) {
        for side in [Side::A, Side::B] {
            assert_eq!(ipsec_up(sim, side).len(), 1, "{side:?}: {:?}", ipsec_failures(sim, side));
            assert!(ipsec_deleted(sim, side).is_empty() && ipsec_failures(sim, side).is_empty());
        }
        assert_eq!(dropped(sim, Side::A, DropReason::DecryptionFailed), 0, "A read every message");
        assert_pings_both_ways(sim, 1);
    }

    #[test]
    fn a_lost_qm2_is_sent_again() {
        // B's datagrams: MM2, MM4, MM6, QM2. After 1 s A retransmits QM1 and
        // B, on its own timer, QM2: B answers the QM1 from its cache, A the
        // second QM2 with QM3 again.
        let mut sim = with_loss(Rule::drop(Side::B, 4));
        assert_eq!((sim.a.counters().retransmissions, sim.b.counters().retransmissions), (1, 1));
        assert_eq!(dropped(&sim, Side::B, DropReason::Duplicate), 1, "B answered QM1 from its cache");
        assert_eq!(dropped(&sim, Side::A, DropReason::Duplicate), 1, "A answered QM2 from its cache");
        // The second QM3 reaches a finished exchange whose IV chain is gone:
        // B cannot read it and drops it, harmlessly.
        assert_eq!(dropped(&sim, Side::B, DropReason::DecryptionFailed), 1);
        assert_recovered(&mut sim);
    }

    #[test]
    fn a_lost_qm3_is_sent_again_when_the_responder_retransmits_qm2() {
        // A's datagrams: MM1, MM3, MM5, QM1, QM3.
        let mut sim = with_loss(Rule::drop(Side::A, 5));
        assert_eq!(sim.b.counters().retransmissions, 1, "B retransmitted QM2");
        assert_eq!(dropped(&sim, Side::A, DropReason::Duplicate), 1, "A answered it with QM3 again");
        assert_eq!(dropped(&sim, Side::B, DropReason::DecryptionFailed), 0);
        assert_recovered(&mut sim);
    }
}
