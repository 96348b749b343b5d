//! Seed scripts for the engine fuzz targets: the honest exchanges, and each
//! message of them mutated in the ways published IKEv1 bugs were triggered.
//! `cargo run -p ikev1 --features fuzz --example export_engine_corpus`
//! writes them under fuzz/corpus/<target>/.
//!
//! In the responder target the n-th `Deliver` hands the subject the n-th
//! message of the honest initiator: MM1, MM3, MM5, QM1, QM3 (Main Mode) or
//! AM1, AM3, QM1, QM3 (Aggressive Mode). In the initiator target: MM2, MM4,
//! MM6, QM2 or AM2, QM2.

use isakmp::numbers::{ExchangeType, NotifyType, ProtocolId};

use super::script::{
    Forgery, HeaderField, MessageIdChoice, Mutation, PayloadEdit, PeerAction, Protection, Route, Script,
    Setup, Spi, Step, Template,
};

pub type Seed = (&'static str, Script);

pub fn engine_responder() -> Vec<Seed> {
    let main = Setup(0);
    let aggressive = Setup(Setup::AGGRESSIVE);
    let mut seeds = honest_variants();
    seeds.extend([
        ("mm1-unknown-payload", mutate_nth(main, 1, insert_payload(0, &[14, 0x30, 1, 2, 3]))),
        ("mm1-doi-situation-bits", mutate_nth(main, 1, patch(0, 7, 0x04))),
        ("mm1-transform-attribute", mutate_nth(main, 1, attribute(0, 0, 0, 0, 99))),
        ("mm3-zero-ke", mutate_nth(main, 2, Mutation::Payload(PayloadEdit::Zero(0)))),
        ("mm3-short-ke", mutate_nth(main, 2, truncate_payload(0, 1))),
        ("mm3-short-nonce", mutate_nth(main, 2, truncate_payload(1, 4))),
        ("mm3-no-ke", mutate_nth(main, 2, Mutation::Payload(PayloadEdit::Remove(0)))),
        ("mm5-wrong-hash", mutate_nth(main, 3, patch(1, 0, 1))),
        ("mm5-cleartext", mutate_nth(main, 3, header(HeaderField::Flags, 0))),
        (
            "mm5-length-lie",
            mutate_nth(main, 3, Mutation::Payload(PayloadEdit::Length { payload: 0, value: 0xffff })),
        ),
        ("mm5-inserted-payload", mutate_nth(main, 3, insert_payload(1, &[15, 0x2e, 0, 4, 0, 0, 0, 0]))),
        ("am1-no-id", mutate_nth(aggressive, 1, Mutation::Payload(PayloadEdit::Remove(3)))),
        ("am3-wrong-hash", mutate_nth(aggressive, 2, patch(0, 3, 0xee))),
        ("qm1-idcr-type-switch", mutate_nth(main, 4, patch(4, 0, 2))),
        ("qm1-no-hash", mutate_nth(main, 4, Mutation::Payload(PayloadEdit::Remove(0)))),
        ("qm1-commit-bit", mutate_nth(main, 4, header(HeaderField::Flags, 0x03))),
        ("qm3-wrong-hash", mutate_nth(main, 5, patch(0, 0, 1))),
        ("short-header", mutate_nth(main, 1, Mutation::Truncate { keep: 20 })),
        ("bad-version", mutate_nth(main, 1, header(HeaderField::Version, 0x20))),
        ("nat-t-port", Script { setup: main, steps: vec![deliver_via(Route::NatT); 5] }),
        ("rebound-port", Script { setup: main, steps: vec![deliver_via(Route::Rebound); 5] }),
        ("retransmissions", lossy(main)),
        ("quick-mode-flood", quick_mode_flood(main)),
        ("am1-spi-reuse", aggressive_spi_reuse()),
        ("half-open-flood", half_open_flood()),
        ("plain-notify-to-half-open", plain_notify_to_half_open()),
        (
            "settled-then-dpd",
            Script { setup: main, steps: vec![Step::Settle, Step::Wait { amount: 40, unit: 2 }] },
        ),
        ("stranger-first-message", Script { setup: main, steps: vec![Step::Datagram(vec![0x42; 28])] }),
    ]);
    seeds.extend(findings::engine_responder());
    seeds
}

pub fn engine_initiator() -> Vec<Seed> {
    let main = Setup(0);
    let aggressive = Setup(Setup::AGGRESSIVE);
    let mut seeds = honest_variants();
    seeds.extend([
        ("mm2-no-proposal", mutate_nth(main, 1, Mutation::Payload(PayloadEdit::Remove(0)))),
        ("mm2-other-transform", mutate_nth(main, 1, attribute(0, 0, 0, 1, 1))),
        ("mm2-zero-responder-cookie", mutate_nth(main, 1, header(HeaderField::ResponderCookie, 0))),
        ("mm4-zero-ke", mutate_nth(main, 2, Mutation::Payload(PayloadEdit::Zero(0)))),
        ("mm6-wrong-hash", mutate_nth(main, 3, patch(1, 0, 1))),
        ("mm6-cleartext", mutate_nth(main, 3, header(HeaderField::Flags, 0))),
        ("am2-wrong-hash", mutate_nth(aggressive, 1, patch(4, 0, 1))),
        ("am2-no-ke", mutate_nth(aggressive, 1, Mutation::Payload(PayloadEdit::Remove(1)))),
        ("qm2-wrong-hash", mutate_nth(main, 4, patch(0, 0, 1))),
        ("qm2-other-spi", mutate_nth(main, 4, patch(1, 16, 0xab))),
        ("qm2-commit-bit", mutate_nth(main, 4, header(HeaderField::Flags, 0x03))),
        ("qm2-message-id", mutate_nth(main, 4, header(HeaderField::MessageId, 0x0bad_cafe))),
        ("retransmissions", lossy(main)),
        findings::dpd_with_reserved_flags(),
    ]);
    seeds
}

pub fn engine_informational() -> Vec<Seed> {
    let informational = |protection, payloads| Forgery {
        sa: 0,
        exchange: ExchangeType::INFORMATIONAL.0,
        message_id: MessageIdChoice::Value(0x1000),
        protection,
        payloads,
        edit: Mutation::None,
    };
    // The SAs a forgery can pick are ordered by conn-id: 0 is the first
    // peer's, 1 the second's.
    let from_second_peer = |forgery: Forgery| Forgery { sa: 1, ..forgery };
    let one = |forgery| Script { setup: Setup(0), steps: vec![Step::Forge(forgery)] };
    let dpd = Template::Dpd { ack: false, sequence: 0x11 };
    let delete_esp = |spi| Template::Delete { protocol: ProtocolId::ESP.0, spis: vec![spi] };
    let delete_isakmp = Template::Delete { protocol: ProtocolId::ISAKMP.0, spis: vec![Spi::IkeCookies] };
    let notify = |notify: NotifyType, protocol: ProtocolId, spi| Template::Notify {
        notify: notify.0,
        protocol: protocol.0,
        spi,
        data: Vec::new(),
    };
    let invalid_spi = notify(NotifyType::INVALID_SPI, ProtocolId::ESP, Spi::Outbound(0));
    let valid = Protection::ValidHash;
    vec![
        ("established", Script { setup: Setup(0), steps: Vec::new() }),
        (
            "established-aggressive-pfs",
            Script { setup: Setup(Setup::AGGRESSIVE | Setup::PFS), steps: Vec::new() },
        ),
        ("dpd", one(informational(valid, vec![dpd.clone()]))),
        ("dpd-wrong-hash", one(informational(Protection::WrongHash, vec![dpd.clone()]))),
        ("dpd-plain", one(informational(Protection::Plain, vec![dpd.clone()]))),
        ("dpd-ack-unsolicited", one(informational(valid, vec![Template::Dpd { ack: true, sequence: 7 }]))),
        ("delete-esp", one(informational(valid, vec![delete_esp(Spi::Outbound(0))]))),
        (
            "delete-esp-short-hash",
            one(informational(Protection::ShortHash, vec![delete_esp(Spi::Outbound(0))])),
        ),
        (
            "delete-esp-other-peer",
            one(from_second_peer(informational(valid, vec![delete_esp(Spi::Outbound(0))]))),
        ),
        ("delete-isakmp", one(informational(valid, vec![delete_isakmp.clone()]))),
        ("delete-isakmp-no-hash", one(informational(Protection::NoHash, vec![delete_isakmp.clone()]))),
        ("delete-isakmp-twice", one(informational(valid, vec![delete_isakmp.clone(), delete_isakmp, dpd]))),
        (
            "delete-huge-count",
            one(Forgery {
                edit: patch(1, 6, 0xff),
                ..informational(valid, vec![delete_esp(Spi::Outbound(0))])
            }),
        ),
        ("invalid-spi", one(informational(valid, vec![invalid_spi.clone()]))),
        ("invalid-spi-other-peer", one(from_second_peer(informational(valid, vec![invalid_spi])))),
        (
            "connected",
            one(informational(valid, vec![notify(NotifyType::CONNECTED, ProtocolId::ESP, Spi::Inbound(0))])),
        ),
        (
            "initial-contact",
            one(informational(
                valid,
                vec![notify(NotifyType::INITIAL_CONTACT, ProtocolId::ISAKMP, Spi::IkeCookies)],
            )),
        ),
        (
            "error-notify",
            one(informational(
                valid,
                vec![notify(NotifyType::INVALID_HASH_INFORMATION, ProtocolId::ISAKMP, Spi::IkeCookies)],
            )),
        ),
        (
            "peer-reboots-and-returns",
            Script {
                setup: Setup(0),
                steps: vec![
                    Step::Peer { peer: 0, action: PeerAction::Reboot },
                    Step::Peer { peer: 0, action: PeerAction::InitiateMain },
                ],
            },
        ),
        (
            "peer-shuts-down",
            Script { setup: Setup(0), steps: vec![Step::Peer { peer: 1, action: PeerAction::Shutdown }] },
        ),
        ("quiet-peer", Script { setup: Setup(0), steps: vec![Step::Wait { amount: 3, unit: 3 }] }),
        findings::dpd_unaligned_body(),
    ]
}

/// What the campaigns found, minimized by hand, kept as seeds so the
/// corpora keep them whatever the script grammar becomes. The engine bugs
/// among them have their own tests in tests/fuzz_findings.rs.
mod findings {
    use super::*;

    pub fn engine_responder() -> Vec<Seed> {
        let main = Setup(0);
        vec![
            (
                // An MM3 under the initiator cookie alone was processed (engine bug).
                "finding-mm3-without-responder-cookie",
                mutate_nth(main, 2, header(HeaderField::ResponderCookie, 0)),
            ),
            (
                // A half-open Aggressive Mode SA deleted an IPsec SA (engine bug).
                "finding-half-open-sa-deletes-ipsec-sa",
                Script {
                    setup: main,
                    steps: vec![
                        Step::Settle,
                        Step::Peer { peer: 0, action: PeerAction::InitiateAggressive },
                        deliver_via(Route::AsSent),
                        Step::Forge(Forgery {
                            sa: 1,
                            exchange: ExchangeType::INFORMATIONAL.0,
                            message_id: MessageIdChoice::Value(0x0dea_d000),
                            protection: Protection::ValidHash,
                            payloads: vec![Template::Delete {
                                protocol: ProtocolId::ESP.0,
                                spis: vec![Spi::Outbound(0)],
                            }],
                            edit: Mutation::None,
                        }),
                    ],
                },
            ),
            (
                // ESP on the inbound SA of a Quick Mode whose QM3 was lost: legitimate
                // (RFC 2409 5.5), but the watch looked for the SA among the
                // confirmed ones (harness bug).
                "finding-esp-before-qm3",
                Script {
                    setup: main,
                    steps: vec![
                        deliver_via(Route::AsSent),
                        deliver_via(Route::AsSent),
                        deliver_via(Route::AsSent),
                        deliver_via(Route::AsSent),
                        Step::Drop,
                        Step::Peer { peer: 0, action: PeerAction::SendTraffic },
                        deliver_via(Route::AsSent),
                    ],
                },
            ),
            (
                // A DPD with major version 0 was read as authentic by the watch (harness bug).
                "finding-dpd-with-bad-version",
                Script {
                    setup: main,
                    steps: vec![
                        Step::Settle,
                        Step::Wait { amount: 35, unit: 2 },
                        Step::Deliver { route: Route::AsSent, mutation: header(HeaderField::Version, 0x01) },
                    ],
                },
            ),
        ]
    }

    /// An R-U-THERE with reserved flag bits set, which the engine discards
    /// (RFC 2408 3.1), was read as authentic by the watch (harness bug).
    pub fn dpd_with_reserved_flags() -> Seed {
        let steps = vec![
            Step::Settle,
            Step::Wait { amount: 31, unit: 2 },
            Step::Deliver { route: Route::AsSent, mutation: header(HeaderField::Flags, 0x91) },
        ];
        ("finding-dpd-with-reserved-flags", Script { setup: Setup(0), steps })
    }

    /// An R-U-THERE whose body no longer fills whole cipher blocks was read
    /// as authentic by the watch (harness bug).
    pub fn dpd_unaligned_body() -> Seed {
        let steps = vec![
            Step::Wait { amount: 31, unit: 2 },
            Step::Deliver {
                route: Route::AsSent,
                mutation: Mutation::Payload(PayloadEdit::Padding(vec![1])),
            },
        ];
        ("finding-dpd-unaligned-body", Script { setup: Setup(0), steps })
    }
}

pub fn esp_decap() -> Vec<Seed> {
    let nat_t = Setup(Setup::FORCE_NAT_T);
    let deliver_mutated = |mutation| Step::Deliver { route: Route::AsSent, mutation };
    // The raw ESP packet: SPI (0-3), sequence (4-7), IV (8-23), then the
    // inner IPv4 header (its source address at 36-39), ..., ICV (last 16).
    let flip = |at| deliver_mutated(Mutation::FlipBit { at, bit: 0 });
    let traffic = |peer| Step::Peer { peer, action: PeerAction::SendTraffic };
    let script = |setup, steps| Script { setup, steps };
    vec![
        ("delivered", script(Setup(0), vec![deliver_via(Route::AsSent), deliver_via(Route::AsSent)])),
        ("delivered-nat-t", script(nat_t, vec![deliver_via(Route::AsSent), deliver_via(Route::AsSent)])),
        (
            "replayed",
            script(
                Setup(0),
                vec![deliver_via(Route::AsSent), Step::Replay { pick: 0, mutation: Mutation::None }],
            ),
        ),
        ("wrong-spi", script(Setup(0), vec![flip(0)])),
        (
            "wrong-icv",
            script(
                Setup(0),
                vec![Step::Deliver {
                    route: Route::AsSent,
                    mutation: Mutation::SetByte { at: 0xffff, value: 1 },
                }],
            ),
        ),
        ("inner-source-changed", script(Setup(0), vec![flip(36)])),
        ("truncated", script(Setup(0), vec![deliver_mutated(Mutation::Truncate { keep: 20 })])),
        ("appended", script(Setup(0), vec![deliver_mutated(Mutation::Append(vec![0; 16]))])),
        ("sequence-jump", script(Setup(0), vec![deliver_mutated(Mutation::SetByte { at: 4, value: 0x7f })])),
        (
            "many-echoes",
            script(
                Setup(0),
                [traffic(0), traffic(1), deliver_via(Route::AsSent)]
                    .iter()
                    .cycle()
                    .take(24)
                    .cloned()
                    .collect(),
            ),
        ),
        ("pfs-pair", script(Setup(Setup::PFS), vec![deliver_via(Route::AsSent)])),
    ]
}

/// The honest exchanges of every setup, unmutated.
fn honest_variants() -> Vec<Seed> {
    [
        ("honest-main", Setup(0)),
        ("honest-aggressive", Setup(Setup::AGGRESSIVE)),
        ("honest-main-pfs", Setup(Setup::PFS)),
        ("honest-both-modes", Setup(Setup::BOTH_MODES)),
        ("honest-nat-t", Setup(Setup::FORCE_NAT_T | Setup::PFS)),
    ]
    .into_iter()
    .map(|(name, setup)| (name, Script { setup, steps: Vec::new() }))
    .collect()
}

fn deliver_via(route: Route) -> Step {
    Step::Deliver { route, mutation: Mutation::None }
}

/// The honest exchange with its `n`-th message (from 1) mutated.
fn mutate_nth(setup: Setup, n: usize, mutation: Mutation) -> Script {
    let mut steps = vec![deliver_via(Route::AsSent); n - 1];
    steps.push(Step::Deliver { route: Route::AsSent, mutation });
    Script { setup, steps }
}

fn header(field: HeaderField, value: u32) -> Mutation {
    Mutation::Header { field, value }
}

fn patch(payload: u8, offset: u8, value: u8) -> Mutation {
    Mutation::Payload(PayloadEdit::Patch { payload, offset, value })
}

fn truncate_payload(payload: u8, keep: u16) -> Mutation {
    Mutation::Payload(PayloadEdit::Truncate { payload, keep })
}

fn attribute(payload: u8, proposal: u8, transform: u8, attribute: u8, value: u16) -> Mutation {
    Mutation::Payload(PayloadEdit::Attribute { payload, proposal, transform, attribute, value })
}

fn insert_payload(at: u8, blob: &[u8]) -> Mutation {
    Mutation::Payload(PayloadEdit::Insert { at, blob: blob.to_vec() })
}

/// Every first transmission lost: the exchange goes on retransmissions.
fn lossy(setup: Setup) -> Script {
    let round = [Step::Drop, Step::Wait { amount: 15, unit: 1 }, deliver_via(Route::AsSent), Step::LoseReply];
    Script { setup, steps: round.iter().cycle().take(4 * 5).cloned().collect() }
}

/// QM1 again and again under new message IDs: each would start a Quick Mode.
fn quick_mode_flood(setup: Setup) -> Script {
    let mut steps = vec![deliver_via(Route::AsSent); 4];
    steps.extend((1..=40u32).map(|id| Step::Replay {
        pick: 3,
        mutation: Mutation::Header { field: HeaderField::MessageId, value: 0x7000_0000 + id },
    }));
    Script { setup, steps }
}

/// CVE-2023-30570's shape: an AM1 refused (no acceptable transform), then
/// the same initiator cookie again.
fn aggressive_spi_reuse() -> Script {
    let refused = attribute(0, 0, 0, 0, 99);
    let steps = vec![
        Step::Deliver { route: Route::AsSent, mutation: refused.clone() },
        Step::Replay { pick: 0, mutation: refused },
        Step::Replay { pick: 0, mutation: Mutation::None },
    ];
    Script { setup: Setup(Setup::AGGRESSIVE), steps }
}

/// MM1 under many initiator cookies: the half-open limit must hold.
fn half_open_flood() -> Script {
    let steps = (0..12u32)
        .map(|n| Step::Replay {
            pick: 0,
            mutation: Mutation::Header { field: HeaderField::InitiatorCookie, value: n * 0x0101 },
        })
        .collect();
    Script { setup: Setup(0), steps }
}

/// A plain error Notify on the cookies of a half-open SA (before keys).
fn plain_notify_to_half_open() -> Script {
    let notify = Template::Notify {
        notify: NotifyType::NO_PROPOSAL_CHOSEN.0,
        protocol: ProtocolId::ISAKMP.0,
        spi: Spi::IkeCookies,
        data: Vec::new(),
    };
    let forgery = Forgery {
        sa: 0,
        exchange: ExchangeType::INFORMATIONAL.0,
        message_id: MessageIdChoice::Zero,
        protection: Protection::Plain,
        payloads: vec![notify],
        edit: Mutation::None,
    };
    Script { setup: Setup(0), steps: vec![deliver_via(Route::AsSent), Step::Forge(forgery)] }
}
