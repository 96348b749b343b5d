//! `ikelab cve` against real strongSwan: one datagram case (CVE-2013-4564, short
//! packets with no or a bad major version) and one mutation case (CVE-2015-3240,
//! MM3 with a zero Diffie-Hellman value) replayed by the scenario runner, each
//! followed by the liveness check. The peer must survive both, and the replays
//! must run as mapped (the mutation must reach the wire).
//!
//! This test needs root and strongSwan (peers/install.sh). Without them it FAILS,
//! saying what is missing: a real-peer test that cannot reach its peer proves
//! nothing and must not pass.

use harness::cve::{self, CveOutcome};
use harness::runner::{self, Mode};
use peers::PeerKind;

fn replay_against_strongswan(id: &str) -> CveOutcome {
    assert_eq!(
        Mode::for_this_process(),
        Mode::Real,
        "this test replays CVE cases against real strongSwan and needs root (namespaces, daemons)"
    );
    let (installed, complete) = harness::peers_command::report();
    assert!(complete, "peers/install.sh has not installed everything this test needs:\n{installed}");
    let vectors = cve::load_all(&cve::vector::default_folder()).expect("vectors/cve");
    let vector = vectors.iter().find(|vector| vector.id == id).expect(id);
    let replay = cve::replay(vector, &cve::base_case(PeerKind::StrongSwan).expect("the base case"));
    let case = replay.case.clone().unwrap_or_else(|| panic!("{id} is not replayable: {:?}", replay.how));
    let results = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cve-live");
    let report = runner::run_case(&case, Mode::Real, &results);
    let outcome = CveOutcome::of_run(vector, &replay, &report);
    let steps = serde_json::to_string_pretty(&report.steps).unwrap_or_default();
    assert_eq!(
        outcome.replayed,
        Some(true),
        "{id}: the replay did not run as mapped: {:?}\n{steps}",
        report.failure
    );
    assert_eq!(
        outcome.survived,
        Some(true),
        "{id}: strongSwan did not survive: {:?}\n{steps}",
        report.failure
    );
    outcome
}

#[test]
fn strongswan_survives_short_packets_with_a_bad_major_version() {
    let outcome = replay_against_strongswan("CVE-2013-4564");
    assert!(outcome.reaction.is_some(), "the reaction is recorded");
}

#[test]
fn strongswan_survives_a_zero_diffie_hellman_value() {
    let outcome = replay_against_strongswan("CVE-2015-3240");
    // RFC 2409 5 / CVE-2015-3240: the exchange must not complete with a zero KE.
    assert_ne!(outcome.reaction, Some(harness::scenario::Reaction::Accepted), "{outcome:?}");
}
