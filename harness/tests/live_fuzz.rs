//! `ikelab fuzz` against the real peers: a short campaign on each whose every
//! case records the peer's reaction and runs the liveness oracle, and a
//! replay that reproduces a case from its seed and index. Needs root and the
//! peers (fails, never skips, without them).

use std::path::PathBuf;
use std::time::Duration;

use harness::live_fuzz::campaign::{self, Campaign, CaseLine, Outcome};
use peers::PeerKind;

fn campaign(peer: PeerKind, first: u64, cases: u64, jobs: usize, folder: &str) -> Campaign {
    assert!(peers::guard::is_root(), "live fuzzing starts real peers and needs root; CI runs as root");
    let results = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(folder);
    let _ = std::fs::remove_dir_all(&results);
    Campaign {
        peer,
        seed: 0x5eed,
        first,
        cases: Some(cases),
        budget: Some(Duration::from_secs(120)),
        jobs,
        results,
        keep_folders: false,
    }
}

/// Six cases, each ending with the oracle; the peer survives them all (a
/// change is a finding to look at, with its folder kept).
fn short_campaign(peer: PeerKind) {
    let campaign = campaign(peer, 0, 6, 3, &format!("live-fuzz-{}", peer.label()));
    let summary = campaign::run(&campaign, &|_: &CaseLine| {}).expect("the campaign runs");
    assert_eq!(summary.cases, 6);
    assert_eq!(summary.outcomes.get(&Outcome::HarnessError), None, "{summary:#?}");
    assert!(summary.findings.is_empty(), "{:#?}", summary.findings);
    assert_eq!(summary.outcomes[&Outcome::Survived], 6);
    let reacted: u64 = summary.reactions.iter().filter(|(r, _)| *r != "not-reached").map(|(_, n)| n).sum();
    assert_eq!(reacted, 6, "every case records how the peer took it: {:?}", summary.reactions);
    let lines = std::fs::read_to_string(campaign.results.join("cases.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 6);
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(campaign.results.join("fuzz-summary.json")).unwrap()).unwrap();
    assert_eq!(written["cases"], 6);
    let folders =
        std::fs::read_dir(&campaign.results).unwrap().filter(|e| e.as_ref().unwrap().path().is_dir());
    assert_eq!(folders.count(), 0, "folders of cases that found nothing are removed");
}

#[test]
fn a_short_campaign_against_strongswan_records_reactions_and_keeps_the_peer_alive() {
    short_campaign(PeerKind::StrongSwan);
}

#[test]
fn a_short_campaign_against_libreswan_records_reactions_and_keeps_the_peer_alive() {
    short_campaign(PeerKind::LibreswanGuest);
}

#[test]
fn a_replay_runs_the_same_case_and_keeps_its_folder() {
    let mut replay = campaign(PeerKind::StrongSwan, 3, 1, 1, "live-fuzz-replay");
    replay.keep_folders = true;
    let summary = campaign::run(&replay, &|_: &CaseLine| {}).expect("the replay runs");
    assert_eq!(summary.cases, 1);
    let folder = replay.results.join("strongswan--reference-initiates--fuzz-5eed-3");
    let folder =
        if folder.exists() { folder } else { replay.results.join("strongswan--peer-initiates--fuzz-5eed-3") };
    assert!(folder.join("capture.pcap").exists(), "{} keeps the capture", folder.display());
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("case.json")).unwrap()).unwrap();
    let generated = harness::live_fuzz::FuzzCase::generate(0x5eed, 3);
    assert_eq!(case["reference"]["impairments"], serde_json::to_value(&generated.impairments).unwrap());
}
