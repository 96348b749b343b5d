//! Phase 1 between two reference engines in the simulation (RFC 2409 5):
//! Main and Aggressive Mode over every supported algorithm, the responder's
//! choice among several proposals, lifetimes, and the ways a negotiation is
//! refused (no proposal, wrong key, wrong identity).

mod common;

use common::*;
use ikev1::counters::DropReason;
use ikev1::policy::{DhGroup, ExchangeMode, IkeCipher, IkeHash, IkeProposal};
use ikev1::sim::Side;
use ikev1::trace::SaState;
use isakmp::numbers::{ExchangeType, NotifyType};

/// Runs one Phase 1 with the same single proposal on both sides and checks
/// it is what both agreed on, with KE data as long as the group's modulus
/// (RFC 2409 5: g^x padded to the prime's length).
fn handshake(mode: ExchangeMode, proposal: IkeProposal) {
    let text = proposal.to_string();
    let mut sim = Peers::same(mode, &text).build();
    let (on_a, on_b) = run_established(&mut sim);
    assert_eq!((on_a.proposal.as_str(), on_b.proposal.as_str()), (text.as_str(), text.as_str()));
    let modulus_bytes = match proposal.group {
        DhGroup::Modp768 => 96,
        DhGroup::Modp1024 => 128,
        DhGroup::Modp1536 => 192,
        DhGroup::Modp2048 => 256,
        DhGroup::Modp3072 => 384,
        DhGroup::Modp4096 => 512,
        DhGroup::Modp6144 => 768,
        DhGroup::Modp8192 => 1024,
    };
    for side in [Side::A, Side::B] {
        let kes: Vec<usize> = wire::messages_from(&sim, side)
            .iter()
            .filter_map(|m| wire::ke(m.payloads()).map(<[u8]>::len))
            .collect();
        assert_eq!(kes, vec![modulus_bytes], "{text}: one KE from {side:?}");
    }
    let expected_datagrams = match mode {
        ExchangeMode::Main => 6,
        ExchangeMode::Aggressive => 3,
    };
    assert_eq!(sim.wire.len(), expected_datagrams, "{text}: no retransmission, no notify");
}

/// RFC 2409 5: the two exchanges that establish an ISAKMP SA.
mod exchanges {
    use super::*;

    #[test]
    fn main_mode_sends_six_messages_and_both_sides_reach_qm_idle() {
        let mut sim = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048").build();
        let (on_a, on_b) = run_established(&mut sim);
        assert_eq!(on_a.proposal, "aes128-sha256-modp2048");
        assert!(on_a.we_initiated && !on_b.we_initiated);
        assert!(!on_a.aggressive && !on_b.aggressive);
        assert_eq!(on_a.lifetime_secs, 86_400);
        let directions: Vec<Side> = sim.wire.iter().map(|r| r.packet.from).collect();
        assert_eq!(directions, [Side::A, Side::B, Side::A, Side::B, Side::A, Side::B]);
        let encrypted: Vec<bool> = sim.wire.iter().map(|r| wire::parse(&r.packet).is_encrypted()).collect();
        assert_eq!(encrypted, [false, false, false, false, true, true], "MM5 and MM6 are encrypted");
        for side in [Side::A, Side::B] {
            let rows = match side {
                Side::A => sim.a.isakmp_sa_rows(),
                Side::B => sim.b.isakmp_sa_rows(),
            };
            assert_eq!(rows.len(), 1);
            assert_eq!((rows[0].state, rows[0].status), (SaState::QmIdle, "ACTIVE"));
            assert_eq!((rows[0].dst, rows[0].src), (b(), a()), "IOS lists responder, then initiator");
        }
        assert_eq!(sim.a.counters().phase1_established, 1);
        assert_eq!(sim.b.counters().phase1_established, 1);
    }

    #[test]
    fn aggressive_mode_sends_three_messages_and_only_the_third_is_encrypted() {
        let mut sim = Peers::same(ExchangeMode::Aggressive, "aes256-sha1-modp1024").build();
        let (on_a, on_b) = run_established(&mut sim);
        assert!(on_a.aggressive && on_b.aggressive);
        let encrypted: Vec<bool> = sim.wire.iter().map(|r| wire::parse(&r.packet).is_encrypted()).collect();
        assert_eq!(encrypted, [false, false, true]);
        let am1 = wire::parse(&sim.wire[0].packet);
        let identity = wire::identification(am1.payloads()).expect("AM1 carries IDii in the clear");
        assert_eq!(identity.identity, isakmp::payload::Identity::Ipv4("192.0.2.1".parse().unwrap()));
    }
}

/// RFC 2409 Appendix A and RFC 3526: every cipher, hash and MODP group we
/// implement, in both exchanges.
mod algorithms {
    use super::*;

    fn every_cipher_and_hash(mode: ExchangeMode) {
        for cipher in IkeCipher::ALL {
            for hash in IkeHash::ALL {
                handshake(mode, IkeProposal::new(cipher, hash, DhGroup::Modp1024));
            }
        }
    }

    fn every_group(mode: ExchangeMode) {
        for group in DhGroup::ALL {
            handshake(mode, IkeProposal::new(IkeCipher::Aes128, IkeHash::Sha256, group));
        }
    }

    #[test]
    fn main_mode_with_every_cipher_and_hash_over_modp1024() {
        every_cipher_and_hash(ExchangeMode::Main);
    }

    #[test]
    fn aggressive_mode_with_every_cipher_and_hash_over_modp1024() {
        every_cipher_and_hash(ExchangeMode::Aggressive);
    }

    #[test]
    fn main_mode_with_every_modp_group() {
        every_group(ExchangeMode::Main);
    }

    #[test]
    fn aggressive_mode_with_every_modp_group() {
        every_group(ExchangeMode::Aggressive);
    }
}

/// RFC 2408 5.4-5.6 and RFC 2409 5: the initiator offers its policies in
/// priority order; the responder picks one transform and returns it as is.
mod proposal_choice {
    use super::*;
    use ikev1::policy::ResponderChoice;
    use ikev1::trace::Trace;
    use isakmp::PayloadBody;
    use isakmp::payload::SaContent;

    /// The transform numbers of the (single) proposal in an SA payload.
    fn transform_numbers(message: &isakmp::Message) -> Vec<u8> {
        message
            .payloads()
            .iter()
            .find_map(|p| match &p.body {
                PayloadBody::SecurityAssociation(sa) => match &sa.content {
                    SaContent::Ipsec(ipsec) => {
                        Some(ipsec.proposals[0].transforms.iter().map(|t| t.number).collect())
                    }
                    _ => None,
                },
                _ => None,
            })
            .expect("an SA payload")
    }

    /// A prefers aes128-sha1-modp1024, B prefers aes256-sha256-modp2048;
    /// both have both.
    fn crossed_preferences(rule: ResponderChoice) -> ikev1::sim::Simulation {
        Peers::new(
            ExchangeMode::Main,
            &["aes128-sha1-modp1024", "aes256-sha256-modp2048"],
            &["aes256-sha256-modp2048", "aes128-sha1-modp1024"],
        )
        .b(|c| c.responder_choice = rule)
        .build()
    }

    #[test]
    fn the_initiator_offers_one_proposal_with_a_transform_per_policy_in_priority_order() {
        let mut sim = Peers::new(
            ExchangeMode::Main,
            &["aes256-sha512-modp4096", "aes128-sha1-modp1024", "3des-md5-modp768"],
            &["3des-md5-modp768"],
        )
        .build();
        run_established(&mut sim);
        let mm1 = wire::parse(&sim.wire[0].packet);
        assert_eq!(transform_numbers(&mm1), [1, 2, 3]);
        let mm2 = wire::parse(&sim.wire[1].packet);
        assert_eq!(transform_numbers(&mm2), [3], "B returns the one transform it chose, numbered as offered");
        assert_eq!(established(&sim, Side::A)[0].proposal, "3des-md5-modp768");
    }

    #[test]
    fn own_priority_takes_the_responders_first_policy_the_initiator_offered() {
        let mut sim = crossed_preferences(ResponderChoice::OwnPriority);
        let (on_a, on_b) = run_established(&mut sim);
        assert_eq!(
            (on_a.proposal.as_str(), on_b.proposal.as_str()),
            ("aes256-sha256-modp2048", "aes256-sha256-modp2048")
        );
        assert_eq!(transform_numbers(&wire::parse(&sim.wire[1].packet)), [2]);
        // IOS walks its policies: priority 10 is checked against transform 1 (no), then 2 (yes).
        let checks: Vec<(u8, u16)> =
            traces_where(&sim, Side::B, |t| matches!(t, Trace::CheckingTransform { .. }))
                .iter()
                .map(|e| match &e.trace {
                    Trace::CheckingTransform { transform, priority, .. } => (*transform, *priority),
                    _ => unreachable!(),
                })
                .collect();
        assert_eq!(checks, [(1, 10), (2, 10)]);
    }

    #[test]
    fn initiator_order_takes_the_initiators_first_transform_the_responder_accepts() {
        let mut sim = crossed_preferences(ResponderChoice::InitiatorOrder);
        let (on_a, on_b) = run_established(&mut sim);
        assert_eq!(
            (on_a.proposal.as_str(), on_b.proposal.as_str()),
            ("aes128-sha1-modp1024", "aes128-sha1-modp1024")
        );
        assert_eq!(transform_numbers(&wire::parse(&sim.wire[1].packet)), [1]);
    }

    /// RFC 2408 5.4 (b): NO-PROPOSAL-CHOSEN, unprotected because no keys
    /// exist yet (RFC 2408 4.8); the initiator gives up on receipt.
    #[test]
    fn no_common_proposal_is_refused_with_no_proposal_chosen() {
        let mut sim = pair(ExchangeMode::Main, &["aes128-sha1-modp1024"], &["aes256-sha256-modp2048"]);
        run_phase1(&mut sim);
        assert_nothing_established(&sim);
        assert_eq!(dropped(&sim, Side::B, DropReason::NoProposalChosen), 1);
        assert_eq!(notifies_sent(&sim, Side::B, "NO-PROPOSAL-CHOSEN"), 1);
        assert_eq!(failures(&sim, Side::B), ["no offered transform matches a policy"]);
        assert_eq!((sim.a.counters().phase1_failed, sim.b.counters().phase1_failed), (1, 1));
        let refusals = wire::plain_notifies_from(&sim, Side::B);
        assert_eq!(refusals.len(), 1);
        assert_eq!(refusals[0].notify_type, NotifyType::NO_PROPOSAL_CHOSEN);
        let mm1 = wire::parse(&sim.wire[0].packet);
        assert_eq!(&refusals[0].spi[..8], &mm1.header.initiator_cookie.0, "the SPI names A's cookie");
        assert_eq!(notifies_received(&sim, Side::A, "NO-PROPOSAL-CHOSEN"), 1);
        assert_eq!(failures(&sim, Side::A), ["peer refused: NO-PROPOSAL-CHOSEN"]);
        assert_eq!(sim.a.counters().retransmissions, 0, "A stops instead of retransmitting MM1");
        assert_eq!(sim.wire.len(), 2, "MM1 and the refusal");
        assert!(sim.a.isakmp_sa_rows().is_empty() && sim.b.isakmp_sa_rows().is_empty());
    }

    #[test]
    fn aggressive_mode_offers_only_transforms_of_the_first_policys_group() {
        // RFC 2409 5: AM1 carries one KE, so every transform must use its group.
        let mut sim = Peers::new(
            ExchangeMode::Aggressive,
            &["aes128-sha256-modp2048", "aes256-sha1-modp1024", "3des-sha1-modp2048"],
            &["3des-sha1-modp2048"],
        )
        .build();
        let (on_a, _) = run_established(&mut sim);
        assert_eq!(transform_numbers(&wire::parse(&sim.wire[0].packet)), [1, 2]);
        assert_eq!(on_a.proposal, "3des-sha1-modp2048");
        let am1 = wire::parse(&sim.wire[0].packet);
        assert_eq!(am1.header.exchange, ExchangeType::AGGRESSIVE);
    }
}

/// RFC 2409 Appendix A (Life Type / Life Duration) against the responder's
/// lifetime rule: the offered lifetime is the SA's lifetime when accepted.
mod lifetimes {
    use super::*;
    use ikev1::policy::LifetimeRule;

    const OWN: u32 = 3600;

    fn negotiate(offered: u32, rule: LifetimeRule) -> ikev1::sim::Simulation {
        let mut sim = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048")
            .a(|c| c.ike_proposals[0].lifetime_secs = offered)
            .b(|c| {
                c.ike_proposals[0].lifetime_secs = OWN;
                c.lifetime_rule = rule;
            })
            .build();
        run_phase1(&mut sim);
        sim
    }

    #[test]
    fn each_rule_against_a_shorter_an_equal_and_a_longer_lifetime() {
        use LifetimeRule::*;
        let table = [
            (AcceptShorter, [true, true, false]),
            (RequireEqual, [false, true, false]),
            (AcceptAny, [true, true, true]),
        ];
        for (rule, verdicts) in table {
            for (offered, accepted) in [OWN / 2, OWN, OWN * 2].into_iter().zip(verdicts) {
                let sim = negotiate(offered, rule);
                let context = format!("{rule:?} with {offered} s offered against {OWN} s");
                if accepted {
                    let on_a = established(&sim, Side::A);
                    let on_b = established(&sim, Side::B);
                    assert_eq!(on_a.len(), 1, "{context}: A {:?}", failures(&sim, Side::A));
                    assert_eq!(on_b.len(), 1, "{context}");
                    assert_eq!(
                        (on_a[0].lifetime_secs, on_b[0].lifetime_secs),
                        (offered, offered),
                        "{context}"
                    );
                } else {
                    assert_nothing_established(&sim);
                    assert_eq!(notifies_sent(&sim, Side::B, "NO-PROPOSAL-CHOSEN"), 1, "{context}");
                    assert_eq!(failures(&sim, Side::A), ["peer refused: NO-PROPOSAL-CHOSEN"], "{context}");
                }
            }
        }
    }
}

/// RFC 2409 5.4: with a pre-shared key, SKEYID = prf(key, Ni_b | Nr_b), so
/// a wrong key shows as a body that does not decrypt (Main Mode, where MM5
/// is the first encrypted message) or a HASH that does not verify
/// (Aggressive Mode, where HASH_R travels in the clear).
mod authentication {
    use super::*;

    #[test]
    fn main_mode_with_different_keys_fails_on_mm5_without_a_notify_war() {
        let mut sim = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048").b_psk("not-the-same").build();
        run_phase1(&mut sim);
        assert_nothing_established(&sim);
        // B cannot read MM5 (nor any retransmission of it).
        let mm5s = wire::main_mode_from(&sim, Side::A).iter().filter(|m| m.is_encrypted()).count();
        assert!(mm5s >= 1);
        assert_eq!(dropped(&sim, Side::B, DropReason::DecryptionFailed), mm5s as u64);
        assert_eq!(notifies_sent(&sim, Side::B, "PAYLOAD-MALFORMED"), mm5s as u64);
        // A cannot read B's protected notifies either, and (RFC 2409 9) does
        // not answer them: no notify war.
        assert_eq!(dropped(&sim, Side::A, DropReason::DecryptionFailed), mm5s as u64);
        assert_eq!(notifies_sent(&sim, Side::A, "PAYLOAD-MALFORMED"), 0);
        // A gives up after its retransmissions; B after its own.
        assert_eq!(failures(&sim, Side::A), ["Death by retransmission P1"]);
        assert_eq!(failures(&sim, Side::B), ["Death by retransmission P1"]);
        assert!(sim.a.isakmp_sa_rows().is_empty() && sim.b.isakmp_sa_rows().is_empty());
    }

    #[test]
    fn aggressive_mode_with_different_keys_fails_on_hash_r() {
        let mut sim =
            Peers::same(ExchangeMode::Aggressive, "aes128-sha256-modp2048").b_psk("not-the-same").build();
        run_phase1(&mut sim);
        assert_nothing_established(&sim);
        assert_eq!(dropped(&sim, Side::A, DropReason::HashMismatch), 1);
        assert_eq!(notifies_sent(&sim, Side::A, "INVALID-HASH-INFORMATION"), 1);
        assert_eq!(failures(&sim, Side::A), ["HASH_R does not verify"]);
        // B cannot decrypt A's protected notify, ignores it, and times out.
        assert_eq!(dropped(&sim, Side::B, DropReason::DecryptionFailed), 1);
        assert_eq!(notifies_sent(&sim, Side::B, "PAYLOAD-MALFORMED"), 0);
        assert_eq!(failures(&sim, Side::B), ["Death by retransmission P1"]);
    }

    /// RFC 2408 5.8 (b): an identity we do not accept is refused with
    /// INVALID-ID-INFORMATION.
    #[test]
    fn main_mode_responder_refuses_an_unexpected_identity() {
        use ikev1::policy::IdentityConfig;
        let mut sim = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048")
            .b(|c| c.remote_id = Some(IdentityConfig::Fqdn("someone-else.example".into())))
            .build();
        run_phase1(&mut sim);
        assert_nothing_established(&sim);
        assert_eq!(dropped(&sim, Side::B, DropReason::InvalidIdentity), 1);
        assert_eq!(notifies_sent(&sim, Side::B, "INVALID-ID-INFORMATION"), 1);
        assert_eq!(failures(&sim, Side::B), ["peer identity not acceptable"]);
        // The refusal is protected (keys exist) and A can read it.
        assert_eq!(notifies_received(&sim, Side::A, "INVALID-ID-INFORMATION"), 1);
        assert_eq!(failures(&sim, Side::A), ["peer refused: INVALID-ID-INFORMATION"]);
    }

    #[test]
    fn aggressive_mode_responder_refuses_an_unexpected_identity_in_am1() {
        use ikev1::policy::IdentityConfig;
        let mut sim = Peers::same(ExchangeMode::Aggressive, "aes128-sha256-modp2048")
            .b(|c| c.remote_id = Some(IdentityConfig::Fqdn("someone-else.example".into())))
            .build();
        run_phase1(&mut sim);
        assert_nothing_established(&sim);
        assert_eq!(dropped(&sim, Side::B, DropReason::InvalidIdentity), 1);
        assert_eq!(notifies_sent(&sim, Side::B, "INVALID-ID-INFORMATION"), 1);
        assert_eq!(
            wire::plain_notifies_from(&sim, Side::B)[0].notify_type,
            NotifyType::INVALID_ID_INFORMATION
        );
        assert_eq!(failures(&sim, Side::A), ["peer refused: INVALID-ID-INFORMATION"]);
    }

    #[test]
    fn initiator_refuses_a_responder_with_an_unexpected_identity() {
        use ikev1::policy::IdentityConfig;
        let mut sim = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048")
            .a(|c| c.remote_id = Some(IdentityConfig::Fqdn("someone-else.example".into())))
            .build();
        run_phase1(&mut sim);
        assert!(established(&sim, Side::A).is_empty());
        assert_eq!(dropped(&sim, Side::A, DropReason::InvalidIdentity), 1);
        assert_eq!(notifies_sent(&sim, Side::A, "INVALID-ID-INFORMATION"), 1);
        assert_eq!(failures(&sim, Side::A), ["peer identity not acceptable"]);
        // B had already completed (MM6 is its last word) and learns of the
        // refusal from the protected notify.
        assert_eq!(notifies_received(&sim, Side::B, "INVALID-ID-INFORMATION"), 1);
    }
}
