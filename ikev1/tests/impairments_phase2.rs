//! The Phase 2 and ESP impairments (ikev1::impairment), one module each:
//! what each changes on the wire (Quick Mode read with the rebuilt keys) and
//! how the peer engine reacts. Also ESP damaged by the network (the
//! interceptor's bit flips, duplicates and delays): refused, counted, never
//! delivered (RFC 4303 3.4.3, 3.4.4).
//!
//! Elsewhere: OmitClientIds in sim_phase2_quick_mode.rs (client_identities),
//! IgnoreDpd in sim_phase2_dpd.rs (ignore_dpd).
//!
//! CorruptHash, OmitKe, ZeroKe, OmitNonce and ShortNonce also break Phase 1,
//! so they are switched on after it (Endpoint::set_impairments) and hit the
//! Quick Mode of the next re-key.

mod common;

use std::time::Duration;

use common::keys::{Decrypted, SaKeys};
use common::phase2::*;
use common::*;
use ikev1::counters::DropReason;
use ikev1::impairment::Impairment;
use ikev1::ip::EchoKind;
use ikev1::policy::{DhGroup, IpsecLifetime};
use ikev1::sim::{Rule, Rules, Side, Simulation};
use ikev1::trace::Trace;
use isakmp::numbers::{IpsecAttributeType as Attr, NotifyType, PayloadType};
use isakmp::{Flags, Payload, PayloadBody, Plaintext};

fn impaired_traces(sim: &Simulation, side: Side, name: &str) -> usize {
    traces_where(sim, side, |t| matches!(t, Trace::Impaired { impairment, .. } if impairment == name)).len()
}

/// A tunnel up with A's ESP impaired from the start (ESP impairments act
/// on nothing else).
fn esp_impaired(impairment: Impairment) -> Simulation {
    let mut sim = Peers::tunnel(&["aes128-sha256"], None).a(|c| c.impairments = vec![impairment]).build();
    bring_up(&mut sim, Side::A);
    sim
}

/// `count` one-way packets from A, 10 ms apart.
fn stream_from_a(sim: &mut Simulation, count: u16) {
    for sequence in 1..=count {
        let packet = echo_between(EchoKind::Reply, inner(Side::A), inner(Side::B), sequence, b"stream");
        sim.act(Side::A, |endpoint, now| endpoint.send_inner(now, &packet)).expect("an SA covers it");
        sim.run_for(Duration::from_millis(10));
    }
}

fn delivered_at_b(sim: &Simulation) -> Vec<u16> {
    inner_packets(sim, Side::B)
        .iter()
        .filter_map(|(_, p)| echo_of(p))
        .map(|(_, sequence, _, _)| sequence)
        .collect()
}

/// RFC 4303 3.4.3: the receiver's sliding window refuses a sequence number
/// it has seen or that fell behind the window.
mod replay {
    use super::*;

    #[test]
    fn esp_replay_sends_the_nth_packet_twice_and_the_copy_is_refused() {
        let mut sim = esp_impaired(Impairment::EspReplay { nth: 3 });
        stream_from_a(&mut sim, 5);
        let sent = wire::esp_from(&sim, Side::A);
        assert_eq!(sent.len(), 6);
        assert_eq!(sent[2].packet.payload, sent[3].packet.payload, "the third packet, twice");
        assert_eq!(u32::from_be_bytes(sent[3].packet.payload[4..8].try_into().unwrap()), 3);
        assert_eq!(delivered_at_b(&sim), [1, 2, 3, 4, 5], "each once");
        assert_eq!(impaired_traces(&sim, Side::A, "esp_replay"), 1, "traced where it acted");
        assert_eq!(inbound_total(&sim, Side::B, |c| c.replay_failures), 1);
        assert_eq!(inbound_total(&sim, Side::B, |c| c.recv_errors), 1);
        assert_eq!(inbound_total(&sim, Side::B, |c| c.pkts_decaps), 5);
    }

    #[test]
    fn a_duplicate_made_by_the_network_is_a_replay() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None).build();
        bring_up(&mut sim, Side::A);
        sim.interceptor = Box::new(Rules::new(vec![Rule::duplicate(Side::A, 2)]));
        stream_from_a(&mut sim, 4);
        assert_eq!(delivered_at_b(&sim), [1, 2, 3, 4]);
        assert_eq!(inbound_total(&sim, Side::B, |c| c.replay_failures), 1);
    }

    #[test]
    fn a_packet_reordered_within_the_window_is_accepted() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None).build();
        bring_up(&mut sim, Side::A);
        sim.interceptor = Box::new(Rules::new(vec![Rule::delay(Side::A, 1, Duration::from_millis(35))]));
        stream_from_a(&mut sim, 5);
        assert_eq!(delivered_at_b(&sim), [2, 3, 4, 1, 5], "late but new");
        assert_eq!(inbound_total(&sim, Side::B, |c| c.replay_failures), 0);
    }

    #[test]
    fn a_packet_delayed_behind_the_64_packet_window_is_refused_as_a_replay() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None).build();
        bring_up(&mut sim, Side::A);
        sim.interceptor = Box::new(Rules::new(vec![Rule::delay(Side::A, 1, Duration::from_secs(2))]));
        stream_from_a(&mut sim, 70);
        sim.run_for(Duration::from_secs(3));
        let delivered = delivered_at_b(&sim);
        assert_eq!(delivered, (2..=70).collect::<Vec<u16>>(), "sequence 1 came after 70: too old");
        assert_eq!(inbound_total(&sim, Side::B, |c| c.replay_failures), 1);
    }
}

/// RFC 4303 3.4.4: the ICV is checked before anything else; a packet that
/// fails is dropped and counted, never decrypted.
mod tamper {
    use super::*;

    #[test]
    fn esp_corrupt_icv_flips_the_last_byte_and_every_packet_fails_integrity() {
        let mut impaired = esp_impaired(Impairment::EspCorruptIcv);
        let mut clean = Peers::tunnel(&["aes128-sha256"], None).build();
        bring_up(&mut clean, Side::A);
        stream_from_a(&mut impaired, 4);
        stream_from_a(&mut clean, 4);
        let (bad, good) = (wire::esp_from(&impaired, Side::A), wire::esp_from(&clean, Side::A));
        assert_eq!((bad.len(), good.len()), (4, 4));
        for (bad, good) in bad.iter().zip(&good) {
            let (bad, good) = (&bad.packet.payload, &good.packet.payload);
            let last = good.len() - 1;
            assert_eq!(bad[..last], good[..last], "same seeds, same packet");
            assert_eq!(bad[last], good[last] ^ 0x01, "but for the ICV's last bit");
        }
        assert!(inner_packets(&impaired, Side::B).is_empty());
        assert_eq!(inbound_total(&impaired, Side::B, |c| c.auth_failures), 4);
        assert_eq!(inbound_total(&impaired, Side::B, |c| c.pkts_verify + c.pkts_decrypt), 0);
        assert_eq!(impaired_traces(&impaired, Side::A, "esp_corrupt_icv"), 4);
        assert_eq!(delivered_at_b(&clean), [1, 2, 3, 4]);
    }

    /// One bit flipped in the sequence number, the IV, the ciphertext or the
    /// ICV: the ICV (or the GCM tag) covers them all.
    #[test]
    fn a_bit_flipped_anywhere_after_the_spi_fails_integrity() {
        for suite in ["aes128-sha256", "aes256gcm16"] {
            let mut sim = Peers::tunnel(&[suite], None).build();
            bring_up(&mut sim, Side::A);
            let offsets: [fn(usize) -> usize; 4] = [|_| 5, |_| 9, |len| len / 2, |len| len - 1];
            let rules = offsets
                .iter()
                .enumerate()
                .map(|(i, at)| {
                    let at = *at;
                    Rule::mutate(Side::A, i as u32 + 1, move |p: &mut Vec<u8>| {
                        let index = at(p.len());
                        p[index] ^= 0x10;
                    })
                })
                .collect();
            sim.interceptor = Box::new(Rules::new(rules));
            stream_from_a(&mut sim, 5);
            assert_eq!(delivered_at_b(&sim), [5], "{suite}: only the untouched packet");
            assert_eq!(inbound_total(&sim, Side::B, |c| c.auth_failures), 4, "{suite}");
            assert_eq!(inbound_total(&sim, Side::B, |c| c.replay_failures), 0, "{suite}");
        }
    }

    /// A flipped SPI names no SA: dropped unread, counted, reported.
    #[test]
    fn a_bit_flipped_in_the_spi_makes_it_unknown() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None).build();
        bring_up(&mut sim, Side::A);
        sim.interceptor =
            Box::new(Rules::new(vec![Rule::mutate(Side::A, 1, |p: &mut Vec<u8>| p[0] ^= 0x80)]));
        stream_from_a(&mut sim, 2);
        assert_eq!(delivered_at_b(&sim), [2]);
        assert_eq!(sim.b.esp_counters().unknown_spi, 1);
        assert_eq!(inbound_total(&sim, Side::B, |c| c.recv_errors), 0, "no SA saw it");
        assert_eq!(notifies_sent(&sim, Side::B, "INVALID-SPI"), 1);
        assert!(ipsec_deleted(&sim, Side::A).is_empty(), "not one of A's SPIs: A keeps its pair");
    }
}

/// EspUnknownSpi: our ESP carries a random SPI; the peer must drop it (RFC
/// 4303 3.4.2) and may answer INVALID-SPI (RFC 2408 3.14.1), rate-limited.
mod unknown_spi {
    use super::*;

    #[test]
    fn each_unknown_spi_is_dropped_counted_and_answered_with_invalid_spi() {
        let mut sim = esp_impaired(Impairment::EspUnknownSpi);
        stream_from_a(&mut sim, 3);
        let negotiated = active_spis(&sim, Side::A).expect("a pair").1;
        let spis: Vec<String> = wire::esp_from(&sim, Side::A)
            .iter()
            .map(|r| isakmp::hex::encode(&r.packet.payload[..4]))
            .collect();
        assert_eq!(spis.len(), 3);
        assert!(spis.iter().all(|spi| *spi != negotiated));
        assert!(delivered_at_b(&sim).is_empty());
        assert_eq!(sim.b.esp_counters().unknown_spi, 3);
        let keys = SaKeys::of(&sim, Side::A, SEED_A, PSK);
        let reported: Vec<String> = keys
            .informationals(&sim)
            .iter()
            .filter(|m| m.from == Side::B)
            .flat_map(|m| wire::notifications(&m.payloads).into_iter().cloned().collect::<Vec<_>>())
            .filter(|n| n.notify_type == NotifyType::INVALID_SPI)
            .map(|n| isakmp::hex::encode(&n.spi))
            .collect();
        // One INVALID-SPI per sender per 10 s, whatever the SPIs: per SPI a
        // stream of random SPIs would draw a protected notify each.
        assert_eq!(reported, spis[..1], "the first is named back to A, the others rate-limited");
        assert_eq!(notifies_received(&sim, Side::A, "INVALID-SPI"), 1);
        assert!(ipsec_deleted(&sim, Side::A).is_empty(), "none of them is A's: nothing to renegotiate");
    }
}

/// WrongSpiSize: the Quick Mode proposal's SPI is not ESP's four bytes.
/// RFC 2408 5.5 step 2: the proposal is discarded and INVALID-SPI MAY be
/// sent; with no valid SPI to name, the initiator cannot tie it to its
/// exchange and retransmits until it gives up.
mod wrong_spi_size {
    use super::*;

    #[test]
    fn a_two_byte_spi_is_refused_with_invalid_spi_each_time() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None)
            .a(|c| c.impairments = vec![Impairment::WrongSpiSize { size: 2 }])
            .build();
        sim.initiate(Side::A, "peer");
        sim.run_for(Duration::from_secs(120));
        let qm1 = &SaKeys::of(&sim, Side::A, SEED_A, PSK).quick_mode(&sim, 0)[0];
        let proposal = &wire::security_association(&qm1.payloads).expect("SA").proposals()[0];
        assert_eq!(proposal.spi.len(), 2, "on the wire");
        assert_eq!(notifies_sent(&sim, Side::B, "INVALID-SPI"), 6, "QM1 and its five retransmissions");
        assert_eq!(sim.a.counters().retransmissions, 5);
        assert_eq!(ipsec_failures(&sim, Side::A), ["Death by retransmission P2"]);
        assert!(ipsec_up(&sim, Side::B).is_empty());
        assert_eq!(sim.b.established().len(), 1, "Phase 1 unharmed");
    }
}

/// CommitBit (RFC 2408 3.1): the entity that did not set the commit bit
/// MUST wait for CONNECTED from the one that did, in an Informational with
/// the Quick Mode's message ID. The impaired initiator sets it and never
/// sends CONNECTED: B waits, with its inbound SA up and no outbound one.
mod commit_bit {
    use super::*;
    use isakmp::numbers::ProtocolId;
    use isakmp::payload::Notification;

    #[test]
    fn the_responder_waits_for_connected_and_a_forged_one_completes_the_exchange() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None)
            .a(|c| c.impairments = vec![Impairment::CommitBit])
            .build();
        sim.initiate(Side::A, "peer");
        sim.run_for(Duration::from_secs(60));
        let keys = SaKeys::of(&sim, Side::A, SEED_A, PSK);
        let qm = keys.quick_mode(&sim, 0);
        assert_eq!(qm.len(), 3);
        let committed: Vec<bool> = qm.iter().map(|m| m.header.flags.contains(Flags::COMMIT)).collect();
        assert_eq!(committed, [true, false, true], "A's QM1 and QM3 carry the commit bit");
        // A, which set it, uses its SA; B waits.
        assert_eq!((ipsec_up(&sim, Side::A).len(), ipsec_up(&sim, Side::B).len()), (1, 0));
        let at_b = ipsec_views(&sim, Side::B);
        assert_eq!(at_b.len(), 1);
        assert!(at_b[0].outbound.is_none(), "inbound only");
        assert_eq!(session_status(&sim, Side::B), ikev1::trace::show_ipsec::SessionStatus::DownNegotiating);
        let mut to_b = Pinger::new(&sim, Side::A);
        assert!(!to_b.ping(&mut sim), "A's request arrives, B cannot answer");
        assert_eq!(to_b.unanswered.len(), 1);
        assert_eq!(delivered_at_b(&sim).len(), 1);

        // CONNECTED from A, as RFC 2408 3.1 has it, activates B's side.
        let spi = wire::security_association(&qm[0].payloads).expect("SA").proposals()[0].spi.clone();
        let connected = Payload::from(PayloadBody::Notification(Notification::ipsec(
            ProtocolId::ESP,
            NotifyType::CONNECTED,
            spi,
            Vec::new(),
        )));
        let datagram = keys.protected_informational(qm[0].message_id, vec![connected]);
        sim.inject(Side::A, on_port(a(), 500), on_port(b(), 500), datagram);
        sim.run_for(Duration::from_millis(10));
        assert_eq!(notifies_received(&sim, Side::B, "CONNECTED"), 1);
        assert_eq!(ipsec_up(&sim, Side::B).len(), 1);
        assert_pings_both_ways(&mut sim, 1);
    }
}

/// The impairments that also act on Phase 1, switched on mid-life: the next
/// re-key's Quick Mode (with PFS, group 14) is where they show.
mod quick_mode_rekey {
    use super::*;

    const LIFETIME: u32 = 120;

    /// A tunnel with PFS re-keying at 108 s, `impairment` on `side` from
    /// 100 s; run to 200 s. The re-key's messages, decrypted, come back.
    fn impaired_rekey(side: Side, impairment: Impairment) -> (Simulation, Vec<Decrypted>) {
        let lifetime = IpsecLifetime { seconds: LIFETIME, kilobytes: None };
        let mut sim = Peers::tunnel(&["aes128-sha256"], Some(DhGroup::Modp2048))
            .children(Side::A, |c| c.lifetime = lifetime)
            .children(Side::B, |c| c.lifetime = lifetime)
            .build();
        bring_up(&mut sim, Side::A);
        sim.run_until(ikev1::Timestamp::from_millis(100_000));
        sim.act(side, |endpoint, _| endpoint.set_impairments("peer", vec![impairment]));
        sim.run_until(ikev1::Timestamp::from_millis(200_000));
        let rekey = SaKeys::of(&sim, Side::A, SEED_A, PSK).quick_mode(&sim, 1);
        assert_eq!(rekey[0].from, Side::A);
        (sim, rekey)
    }

    /// A re-key that failed: no second pair, and the first gone at 120 s.
    fn assert_no_new_pair(sim: &Simulation) {
        assert_eq!(ipsec_up(sim, Side::B).len(), 1, "B installed no second pair it could use");
        assert_eq!(ipsec_deleted(sim, Side::A).len(), 1, "the old pair expired");
        assert!(sim.a.ipsec_sas().is_empty() && sim.b.ipsec_sas().is_empty());
    }

    fn types(message: &Decrypted) -> Vec<PayloadType> {
        wire::types_of(&message.payloads)
    }

    #[test]
    fn corrupt_hash_flips_a_bit_of_hash_1_and_the_responder_drops_every_copy() {
        let (sim, rekey) = impaired_rekey(Side::A, Impairment::CorruptHash);
        assert_eq!(rekey.len(), 1, "never answered");
        let keys = SaKeys::of(&sim, Side::A, SEED_A, PSK);
        let qm1 = &rekey[0];
        let rest = Plaintext { payloads: qm1.payloads[1..].to_vec(), padding: Vec::new() }.emit().unwrap();
        let expected = ikev1::keys::quick_mode_hash_1(keys.prf(), &keys.keys.skeyid_a, qm1.message_id, &rest);
        let mut sent = wire::hash(&qm1.payloads).expect("HASH(1)").to_vec();
        assert_ne!(sent, expected.as_bytes());
        sent[0] ^= 0x01;
        assert_eq!(sent, expected.as_bytes(), "one bit off");
        assert_eq!(dropped(&sim, Side::B, DropReason::HashMismatch), 6, "QM1 and five retransmissions");
        assert_eq!(ipsec_failures(&sim, Side::A), ["Death by retransmission P2"]);
        assert_no_new_pair(&sim);
    }

    #[test]
    fn corrupt_hash_on_the_responder_spoils_hash_2_and_the_initiator_gives_up() {
        let (sim, rekey) = impaired_rekey(Side::B, Impairment::CorruptHash);
        assert_eq!(rekey.iter().map(|m| m.from).collect::<Vec<_>>(), [Side::A, Side::B], "QM1, QM2, no QM3");
        // B sent QM2 again on its own timer and as the answer to each of A's
        // retransmitted QM1s: A dropped every copy.
        let copies = wire::sent_by(&sim, Side::B)
            .iter()
            .filter(|r| r.at.as_millis() > 100_000 && wire::is_ike(&r.packet))
            .filter(|r| wire::parse(&r.packet).header.exchange == isakmp::numbers::ExchangeType::QUICK_MODE)
            .count();
        assert_eq!(copies, 11, "QM2, five answers to A's QM1 copies, five of its own");
        // Plus B's Delete of the old pair at 120 s: its HASH(1) is corrupt too.
        assert_eq!(dropped(&sim, Side::A, DropReason::HashMismatch), copies as u64 + 1);
        assert!(traces_where(&sim, Side::A, |t| matches!(t, Trace::DeleteReceived { .. })).is_empty());
        assert_eq!(ipsec_failures(&sim, Side::A), ["Death by retransmission P2"]);
        let gave_up = ipsec_deleted(&sim, Side::B);
        assert!(gave_up.iter().any(|g| g.reason == "Quick Mode never completed"), "{gave_up:?}");
        assert_no_new_pair(&sim);
    }

    #[test]
    fn omit_ke_leaves_out_the_pfs_public_value_and_is_refused() {
        let (sim, rekey) = impaired_rekey(Side::A, Impairment::OmitKe);
        let qm1 = &rekey[0];
        assert_eq!(
            types(qm1),
            [PayloadType::HASH, PayloadType::SA, PayloadType::NONCE, PayloadType::ID, PayloadType::ID]
        );
        let group = wire::ipsec_attribute(wire::transforms(&qm1.payloads)[0], Attr::GROUP_DESCRIPTION);
        assert_eq!(group, Some(14), "the offer still asks for PFS");
        assert_eq!(dropped(&sim, Side::B, DropReason::MissingPayload), 1);
        assert_eq!(notifies_sent(&sim, Side::B, "INVALID-KEY-INFORMATION"), 1);
        assert_eq!(ipsec_failures(&sim, Side::A), ["peer refused: INVALID-KEY-INFORMATION"]);
        assert_no_new_pair(&sim);
    }

    #[test]
    fn omit_ke_on_the_responder_leaves_the_initiator_without_pfs_and_it_abandons() {
        let (sim, rekey) = impaired_rekey(Side::B, Impairment::OmitKe);
        assert_eq!(wire::ke(&rekey[1].payloads), None, "QM2 without KEr");
        assert_eq!(dropped(&sim, Side::A, DropReason::MissingPayload), 1);
        assert_eq!(ipsec_failures(&sim, Side::A), ["PFS required but the responder sent no KE"]);
        assert_no_new_pair(&sim);
    }

    #[test]
    fn zero_ke_sends_g_x_0_and_is_refused() {
        let (sim, rekey) = impaired_rekey(Side::A, Impairment::ZeroKe);
        let ke = wire::ke(&rekey[0].payloads).expect("a KE");
        assert_eq!(ke.len(), 256);
        assert!(ke.iter().all(|byte| *byte == 0));
        assert_eq!(dropped(&sim, Side::B, DropReason::InvalidKeyExchange), 1);
        assert_eq!(ipsec_failures(&sim, Side::A), ["peer refused: INVALID-KEY-INFORMATION"]);
        assert_no_new_pair(&sim);
    }

    #[test]
    fn omit_nonce_leaves_out_ni_and_is_refused_as_malformed() {
        let (sim, rekey) = impaired_rekey(Side::A, Impairment::OmitNonce);
        assert_eq!(wire::nonce(&rekey[0].payloads), None);
        assert_eq!(dropped(&sim, Side::B, DropReason::MissingPayload), 1);
        assert_eq!(ipsec_failures(&sim, Side::A), ["peer refused: PAYLOAD-MALFORMED"]);
        assert_no_new_pair(&sim);
    }

    #[test]
    fn short_nonce_sends_four_bytes_and_is_refused() {
        let (sim, rekey) = impaired_rekey(Side::A, Impairment::ShortNonce);
        assert_eq!(wire::nonce(&rekey[0].payloads).map(<[u8]>::len), Some(4));
        assert_eq!(dropped(&sim, Side::B, DropReason::InvalidNonce), 1);
        assert_eq!(ipsec_failures(&sim, Side::A), ["peer refused: PAYLOAD-MALFORMED"]);
        assert_no_new_pair(&sim);
    }
}

/// RFC 4301 5.2: after decapsulation, the inner packet must match the SA's
/// selectors; one that does not is discarded, however well it
/// authenticated. The peer here is authenticated but lies about the inner
/// source (forged with its exported keys).
mod inbound_selectors {
    use super::*;
    use ikev1::crypto::{CryptoProvider, EspSuite, RustCryptoProvider};
    use ikev1::esp::{EspSaConfig, OutboundSa};
    use ikev1::policy::IpsecMode;
    use std::net::IpAddr;

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn an_inner_packet_outside_the_selectors_is_dropped() {
        let mut sim = Peers::tunnel(&["aes128-sha256"], None).build();
        bring_up(&mut sim, Side::A);
        let keys = sim.a.key_material().esp_sas.into_iter().find(|k| k.source == a()).expect("A to B");
        let suite = EspSuite::new(keys.cipher.encryption(), keys.integrity.map(|i| i.integrity())).unwrap();
        let transform = RustCryptoProvider::new()
            .esp_transform(suite, &unhex(&keys.encryption_key), &unhex(&keys.integrity_key))
            .expect("a transform");
        let config = EspSaConfig::new(keys.spi, IpsecMode::Tunnel, a(), b());
        let mut forger = OutboundSa::new(config, transform, sim.now);
        let mut rng = ikev1::random::EngineRng::from_seed(99);
        let stranger: IpAddr = "198.51.100.77".parse().unwrap();
        for (sequence, src) in [(1, stranger), (2, inner(Side::A))] {
            let packet = echo_between(EchoKind::Request, src, inner(Side::B), sequence, b"forged");
            let mut esp = Vec::new();
            forger.encapsulate(sim.now, rng.public(), &packet, &mut esp).expect("sealed");
            sim.act(Side::B, |endpoint, now| endpoint.handle_esp(now, a(), b(), &esp));
        }
        assert_eq!(inbound_total(&sim, Side::B, |c| c.pkts_verify), 2, "both authenticated");
        assert_eq!(delivered_at_b(&sim), [2], "only the one from inside the selectors");
        assert_eq!(dropped(&sim, Side::B, DropReason::OutsideSelectors), 1);
    }
}
