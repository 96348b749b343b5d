use super::*;
use crate::cve::vector::{default_folder, load_all};

fn vectors() -> Vec<CveVector> {
    load_all(&default_folder()).expect("vectors/cve reads")
}

fn replays() -> Vec<(CveVector, Replay)> {
    let base = base_case(PeerKind::StrongSwan).expect("the base case");
    vectors().into_iter().map(|vector| (vector.clone(), replay(&vector, &base))).collect()
}

fn replay_of(id: &str) -> (Case, Replay) {
    let (_, replay) = replays().into_iter().find(|(vector, _)| vector.id == id).expect(id);
    (replay.case.clone().expect("replayable"), replay)
}

fn actions(case: &Case) -> Vec<&Action> {
    case.timeline
        .iter()
        .filter_map(|step| match step {
            Step::Do(action) => Some(action),
            Step::Check(_) => None,
        })
        .collect()
}

fn mutate(nth: u32, edit: PayloadEdit, authentic: bool) -> Impairment {
    Impairment::Mutate { nth, mutation: Mutation::Payload(edit), authentic }
}

#[test]
fn every_case_maps_to_live_steps_or_says_why_not() {
    let replays = replays();
    assert_eq!(replays.len(), 18);
    for (vector, replay) in &replays {
        assert!(!replay.how.is_empty(), "{}: no account of the replay", vector.id);
        match replay.fidelity {
            Fidelity::NotReplayable => {
                assert!(replay.case.is_none(), "{}", vector.id);
                assert!(replay.how.iter().any(|line| line.starts_with("not replayable: ")), "{}", vector.id);
            }
            fidelity => {
                let case = replay.case.as_ref().expect("a case");
                assert_eq!(case.name, vector.id.to_lowercase());
                assert_eq!(case.theme, "cve");
                assert_eq!(case.finally, liveness(), "{}: ends with the liveness block", vector.id);
                assert!(
                    matches!(case.timeline.last(), Some(Step::Check(Check::PeerMessages))),
                    "{}",
                    vector.id
                );
                let approximated = replay.how.iter().any(|line| line.starts_with("approximated: "));
                assert_eq!(
                    approximated,
                    fidelity == Fidelity::Approximated,
                    "{}: {:?}",
                    vector.id,
                    replay.how
                );
            }
        }
    }
    // All 18 have a live counterpart; two only approximately.
    let approximated: Vec<&str> = replays
        .iter()
        .filter(|(_, replay)| replay.fidelity == Fidelity::Approximated)
        .map(|(vector, _)| vector.id.as_str())
        .collect();
    assert_eq!(approximated, ["CVE-2009-0790", "CVE-2023-38712"]);
    assert!(replays.iter().all(|(_, replay)| replay.fidelity != Fidelity::NotReplayable));
}

#[test]
fn datagram_steps_are_sent_as_they_are() {
    for (vector, replay) in replays() {
        let script: Vec<&String> = vector
            .script
            .steps
            .iter()
            .filter_map(|step| match step {
                ScriptStep::Datagram(hex) => Some(hex),
                _ => None,
            })
            .collect();
        let case = replay.case.expect("replayable");
        let sent: Vec<&String> = actions(&case)
            .into_iter()
            .filter_map(|action| match action {
                Action::SendDatagrams { hex } => Some(hex),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(sent, script, "{}", vector.id);
    }
}

#[test]
fn changed_messages_become_mutate_impairments_of_that_message() {
    let (case, _) = replay_of("CVE-2015-3240");
    assert_eq!(case.reference.impairments, [mutate(2, PayloadEdit::Zero(0), false)], "MM3 with a zero KE");
    let (case, _) = replay_of("CVE-2005-3732");
    assert_eq!(case.reference.impairments, [mutate(1, PayloadEdit::Remove(1), false)], "AM1 without KE");
    assert_eq!(case.reference.exchange, ExchangeMode::Aggressive);
    assert_eq!(case.peer_side.exchange, ExchangeMode::Aggressive);
    // QM1's IDcr (payload 4 after HASH, SA, Nonce, IDci): the edit is made inside
    // HASH(1), so its index counts from the SA payload; no PFS, as on the bench.
    let (case, _) = replay_of("CVE-2023-38711");
    assert_eq!(
        case.reference.impairments,
        [mutate(4, PayloadEdit::Patch { payload: 3, offset: 0, value: 2 }, true)]
    );
    assert_eq!((case.reference.pfs, case.peer_side.pfs, case.expect.pfs), (None, None, None));
    assert!(case.timeline.contains(&Step::Check(Check::Mutated { at_least: 1 })));
}

#[test]
fn a_wait_in_an_open_exchange_silences_the_reference() {
    let (case, replay) = replay_of("CVE-2016-5361");
    assert_eq!(case.reference.impairments, [Impairment::SilentAfter { nth: 1 }]);
    assert_eq!(
        actions(&case)[..2],
        [&Action::Initiate { by: Some(Actor::Reference) }, &Action::Wait { secs: 70.0 }]
    );
    assert_eq!(replay.fidelity, Fidelity::Faithful);
}

#[test]
fn forged_informationals_are_the_references_own_dpd_or_delete() {
    // Wrong HASH on a Delete of the ISAKMP SA: the 6th message after MM1, MM3, MM5, QM1, QM3.
    let (case, _) = replay_of("CVE-2019-10155");
    assert_eq!(case.reference.impairments, [mutate(6, PayloadEdit::Zero(0), false)]);
    assert!(actions(&case).contains(&&Action::Delete { by: Actor::Reference, scope: SaScope::Phase1 }));
    // Two bogus R-U-THEREs: no HASH and bad padding, then a HASH payload claiming 65535 bytes.
    let (case, _) = replay_of("CVE-2020-1763");
    assert_eq!(
        case.reference.impairments,
        [
            mutate(6, PayloadEdit::Remove(0), false),
            mutate(6, PayloadEdit::Padding(vec![0xff; 3]), false),
            mutate(7, PayloadEdit::Length { payload: 0, value: 65535 }, false),
        ]
    );
    let dpd = case.reference.dpd.expect("DPD on");
    assert_eq!(dpd.retries, 1, "exactly two R-U-THEREs before the reference gives up");
    // The double Delete: the Delete payload duplicated inside the valid HASH.
    let (case, replay) = replay_of("CVE-2023-38712");
    assert_eq!(case.reference.impairments, [mutate(6, PayloadEdit::Duplicate(0), true)]);
    assert!(replay.how.iter().any(|line| line.contains("approximated") && line.contains("r-u-there")));
}

#[test]
fn plain_forgeries_go_out_in_the_clear_once_phase_1_is_up() {
    let (case, _) = replay_of("CVE-2009-0790");
    let impair = case
        .timeline
        .iter()
        .position(|step| matches!(step, Step::Do(Action::Impair { impairments }) if impairments.contains(&Impairment::Cleartext)))
        .expect("Cleartext is switched on");
    let phase2 =
        case.timeline.iter().position(|step| matches!(step, Step::Check(Check::Phase2 { .. }))).unwrap();
    assert!(phase2 < impair, "not before Main Mode is done: MM5 must stay encrypted");
    assert_eq!(case.reference.dpd.map(|dpd| dpd.retries), Some(1));
}

#[test]
fn steps_without_a_live_counterpart_are_named() {
    let mut vector = vectors().remove(0);
    vector.script.steps.push(ScriptStep::Replay { pick: 0, mutation: Mutation::None });
    let replay = replay(&vector, &base_case(PeerKind::LibreswanGuest).unwrap());
    assert_eq!(replay.fidelity, Fidelity::NotReplayable);
    assert!(replay.case.is_none());
    assert!(replay.how.iter().any(|line| line.contains("not replayable") && line.contains("Replay")));
}

#[test]
fn edits_inside_the_hash_count_from_the_payload_after_it() {
    let patch = |payload| Mutation::Payload(PayloadEdit::Patch { payload, offset: 1, value: 9 });
    assert_eq!(behind_hash(&patch(4)), Some(patch(3)));
    assert_eq!(behind_hash(&patch(0)), None, "the HASH itself cannot be inside the HASH");
    assert_eq!(behind_hash(&Mutation::FlipBit { at: 3, bit: 1 }), None);
}

#[test]
fn rfc_references_are_taken_from_the_correct_reaction() {
    assert_eq!(
        rfc_references("RFC 2408 3.15 and 5.1: ... (RFC 2408 3.15; RFC 3706 5)"),
        ["RFC 2408 3.15", "RFC 3706 5"]
    );
}

#[test]
fn inputs_a_peer_stops_early_are_approximations_for_that_peer_only() {
    let libreswan = base_case(PeerKind::LibreswanGuest).unwrap();
    let strongswan = base_case(PeerKind::StrongSwan).unwrap();
    for vector in vectors() {
        let gated = replay(&vector, &libreswan);
        let open = replay(&vector, &strongswan);
        let stopped = gated.how.iter().any(|line| line.contains("not reached"));
        let expected = ["CVE-2013-6076", "CVE-2014-2891", "CVE-2016-1287", "CVE-2023-30570"];
        assert_eq!(stopped, expected.contains(&vector.id.as_str()), "{}: {:?}", vector.id, gated.how);
        if stopped {
            assert_eq!(gated.fidelity, Fidelity::Approximated, "{}", vector.id);
            assert!(!open.how.iter().any(|line| line.contains("not reached")), "{}", vector.id);
        }
    }
}
