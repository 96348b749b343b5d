//! The reference's IOS trace of every case the in-process simulation can play,
//! locked by insta snapshots: engine against engine, seeded, on a virtual clock, so
//! the text is the same every run and a change to the engine's behaviour in a
//! catalogued scenario shows up as a reviewable diff. Only strongSwan's cases are
//! played: in the simulation the stand-in is the reference engine whatever the peer.

use harness::cases::catalogue;
use harness::runner::simulated;
use peers::PeerKind;

#[test]
fn reference_traces_of_the_simulated_scenarios() {
    let mut played = 0;
    for case in catalogue::all().into_iter().filter(|case| case.peer == PeerKind::StrongSwan) {
        let Some(trace) = simulated::reference_trace(&case) else { continue };
        let name = format!("{}--{}", case.name, case.initiator.label());
        insta::assert_snapshot!(name, trace);
        played += 1;
    }
    assert!(played >= 40, "only {played} cases played in the simulation");
}
