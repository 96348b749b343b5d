//! The CVE regression cases of vectors/cve (one JSON file each, format in
//! vectors/cve/README.md): an input shaped like a published IKEv1 bug, as a
//! fuzz [`Script`] on a [`Bench`], what a correct implementation does, and
//! our engine's exact reaction. [`observe`] runs a case on the engine; a
//! live runner replays the same script against a real peer and then checks
//! that the peer still completes a fresh handshake.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::rig::{Crypto, Rig};
use super::script::{PeerAction, Script, Step};
use super::targets::Bench;
use crate::policy::ExchangeMode;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CveCase {
    pub id: String,
    pub title: String,
    /// The implementations and versions the advisory names.
    pub affected: String,
    pub advisory: String,
    /// What the input does, in the shape of the published bug.
    pub reproduces: String,
    /// What a correct IKEv1 implementation does, with the RFC that says so.
    pub correct_reaction: String,
    /// Where the script starts; the implementation under test is the subject.
    pub bench: Bench,
    /// Whether steps build messages protected by the Phase 1 keys (an
    /// authentic or wrong HASH, an edit inside an encrypted body). A live
    /// runner needs the reference side's keys for them; in-process they run
    /// on the null crypto, everything else on real cryptography.
    pub needs_keys: bool,
    pub script: Script,
    /// What our engine does (checked by ikev1/tests/cve_regressions.rs).
    pub ours: Reaction,
}

/// An engine's observable reaction to a case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reaction {
    /// Datagrams dropped, by `DropReason` (snake_case), over the whole case.
    pub dropped: BTreeMap<String, u64>,
    /// Notifies sent, by type name.
    pub notifies_sent: BTreeMap<String, u64>,
    /// Datagrams sent.
    pub datagrams_sent: u64,
    /// IKE SAs and IPsec SA pairs up when the script ends.
    pub ike_sas: usize,
    pub ipsec_sas: usize,
    /// For each `datagram` step, in order: where our parser refuses it
    /// (byte offset), or `null` if it parses.
    pub parse_errors: Vec<Option<usize>>,
    /// The subject completes a fresh handshake afterwards.
    pub alive: bool,
}

/// Runs a case on the engine and reports what it did.
pub fn observe(case: &CveCase) -> Reaction {
    let crypto = if case.needs_keys { Crypto::Null } else { Crypto::Real };
    let mut rig = case.bench.rig(case.script.setup, crypto);
    let mut parse_errors = Vec::new();
    for step in &case.script.steps {
        if let Step::Datagram(bytes) = step {
            isakmp::invariants::parse_round_trip(bytes);
            parse_errors.push(isakmp::Message::parse(bytes).err().map(|error| error.offset));
        }
        rig.run(step);
    }
    let subject = rig.subject();
    let counters = subject.counters();
    let dropped = counters.dropped.iter().map(|(reason, count)| (snake_case(reason), *count)).collect();
    let reaction = Reaction {
        dropped,
        notifies_sent: counters.notifies_sent.clone(),
        datagrams_sent: counters.datagrams_sent,
        ike_sas: subject.established().len(),
        ipsec_sas: subject.ipsec_sas().len(),
        parse_errors,
        alive: false,
    };
    Reaction { alive: completes_a_fresh_handshake(&mut rig, case.bench), ..reaction }
}

/// The liveness check: a new Phase 1 with the first peer comes up.
fn completes_a_fresh_handshake(rig: &mut Rig, bench: Bench) -> bool {
    let before = rig.subject().counters().phase1_established;
    match bench {
        Bench::Initiator => rig.subject_initiates(&super::cast::connection_name(ExchangeMode::Main, 0)),
        Bench::Responder | Bench::Established => {
            rig.run(&Step::Peer { peer: 0, action: PeerAction::Reboot });
            rig.run(&Step::Peer { peer: 0, action: PeerAction::InitiateMain });
        }
    }
    rig.settle();
    rig.subject().counters().phase1_established > before
}

fn snake_case(reason: &crate::counters::DropReason) -> String {
    serde_json::to_value(reason).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}
