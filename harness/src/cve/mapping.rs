//! From a CVE case's script to a live case: the reference engine plays the
//! script's reference side against a real peer on the catalogue's Main Mode
//! case, then the liveness block every negative case ends with.
//!
//! - `datagram`: the bytes as they are, from the reference's port 500
//!   (`send-datagrams`). Faithful: the script sends them from the reference's
//!   address too.
//! - `deliver`: the reference's next message goes out as it is, or changed by a
//!   `Mutate` impairment on that message (the same `Mutation` the script names).
//!   A Quick Mode message's edit is made before its HASH(1) is computed
//!   (`authentic`, RFC 2409 5.5), as the in-process bench (null PRF) lets the
//!   subject's parser meet it past the HASH.
//! - `wait` while the reference's exchange is open: nothing is delivered during a
//!   script's wait, so the reference goes silent (`SilentAfter`) for it.
//! - `forge` of an Informational on the established SA: the reference's own
//!   R-U-THERE (DPD, RFC 3706) or Delete of its ISAKMP SA (RFC 2408 3.15), with
//!   the protection and edit the forgery names made by `Mutate` impairments on
//!   that message: no HASH (the HASH payload removed), a wrong HASH (zeroed), a
//!   short HASH (cut by one byte), in the clear (`Cleartext` from that point).
//!
//! What cannot be played so is said per case, as an approximation or as the
//! reason the case is not replayable; nothing is dropped silently.

use ikev1::impairment::{Impairment, Mutation, PayloadEdit};
use ikev1::policy::{Dpd, ExchangeMode};
use peers::{PeerKind, SaScope};
use serde::Serialize;

use super::reach;
use super::vector::{Bench, CveVector, Forge, Protection, ScriptStep};
use crate::cases::{Case, Initiator};
use crate::scenario::{Acceptance, Action, Actor, Catalogue, Check, Reaction, Step, liveness};

/// The catalogue's case every replay starts from.
const BASE_SCENARIO: &str = "main-mode";
/// After the last step, for the peer's answers to arrive.
const ANSWER_SECS: f64 = 2.0;
/// The reference's DPD for forged R-U-THEREs: the first goes out this long after
/// the peer was last heard, later ones one second apart.
const DPD_INTERVAL_SECS: u32 = 3;
const DPD_RETRY_SECS: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fidelity {
    /// Every step reaches the peer as the script has it.
    Faithful,
    /// Some step is played in a way that differs; `how` says which and how.
    Approximated,
    /// Some step has no live counterpart; `how` says why.
    NotReplayable,
}

impl Fidelity {
    pub fn label(self) -> &'static str {
        match self {
            Fidelity::Faithful => "faithful",
            Fidelity::Approximated => "approximated",
            Fidelity::NotReplayable => "not replayable",
        }
    }
}

/// A CVE case against one peer: the live case, or why there is none.
#[derive(Clone, Debug, Serialize)]
pub struct Replay {
    pub cve: String,
    pub peer: PeerKind,
    pub fidelity: Fidelity,
    /// How each step is played live; approximations and reasons included.
    pub how: Vec<String>,
    /// `None` when not replayable.
    pub case: Option<Case>,
}

/// The catalogue's Main Mode case with the reference initiating, against `peer`.
pub fn base_case(peer: PeerKind) -> Result<Case, String> {
    let catalogue = Catalogue::embedded()?;
    let scenario = catalogue.scenario(BASE_SCENARIO).ok_or_else(|| format!("no scenario {BASE_SCENARIO}"))?;
    scenario.case(peer, Initiator::Reference)
}

/// Maps `vector` onto a live case built from `base` (see [`base_case`]).
pub fn replay(vector: &CveVector, base: &Case) -> Replay {
    let mut plan = Plan::new(vector, base.peer);
    plan.map(vector);
    plan.finish(vector, base)
}

/// The live case being built, step by step.
struct Plan {
    peer: PeerKind,
    aggressive: bool,
    timeline: Vec<Step>,
    impairments: Vec<Impairment>,
    how: Vec<String>,
    approximated: bool,
    not_replayable: bool,
    /// Datagrams of consecutive `datagram` steps, sent in one action.
    datagrams: Vec<String>,
    /// Messages the reference has built for its ISAKMP SA so far (`Mutate` counts them).
    messages: u32,
    initiated: bool,
    /// Phase 1 and Quick Mode are up (checked) between the reference and the peer.
    established: bool,
    /// The reference's ISAKMP SA was deleted by a forged Delete.
    deleted: bool,
    /// Where the `impair` step that turns `Cleartext` on goes, if one does.
    cleartext_at: Option<usize>,
    dpd_forges: u32,
    accepted_if: Acceptance,
    /// A `wait` ended the script: no extra time for answers.
    waited_last: bool,
}

impl Plan {
    fn new(vector: &CveVector, peer: PeerKind) -> Plan {
        Plan {
            peer,
            aggressive: vector.has_setup("aggressive"),
            timeline: Vec::new(),
            impairments: Vec::new(),
            how: Vec::new(),
            approximated: false,
            not_replayable: false,
            datagrams: Vec::new(),
            messages: 0,
            initiated: false,
            established: false,
            deleted: false,
            cleartext_at: None,
            dpd_forges: 0,
            accepted_if: Acceptance::Phase1,
            waited_last: false,
        }
    }

    /// Messages of the reference's Phase 1 as initiator: MM1, MM3, MM5 or AM1, AM3.
    fn phase1_messages(&self) -> u32 {
        if self.aggressive { 2 } else { 3 }
    }

    fn message_name(&self, nth: u32) -> String {
        let names: &[&str] = if self.aggressive { &["AM1", "AM3"] } else { &["MM1", "MM3", "MM5"] };
        match names.get(nth as usize - 1) {
            Some(name) => (*name).to_owned(),
            None => format!("Quick Mode message {}", nth - self.phase1_messages()),
        }
    }

    fn note(&mut self, text: impl Into<String>) {
        self.how.push(text.into());
    }

    fn approximate(&mut self, text: impl Into<String>) {
        self.approximated = true;
        self.how.push(format!("approximated: {}", text.into()));
    }

    fn refuse(&mut self, text: impl Into<String>) {
        self.not_replayable = true;
        self.how.push(format!("not replayable: {}", text.into()));
    }

    fn map(&mut self, vector: &CveVector) {
        for setup in &vector.script.setup {
            if setup != "aggressive" && setup != "pfs" {
                self.refuse(format!("the bench setup `{setup}` has no live counterpart here"));
            }
        }
        match vector.bench {
            Bench::Initiator => self.refuse(
                "the subject initiates on this bench; the live cases only have the reference initiate",
            ),
            Bench::Established => {
                self.establish();
                self.note(
                    "bench `established`: the reference brings Phase 1 and Quick Mode up with the peer first \
                     (one reference peer: the bench's second one takes no part in the steps)",
                );
            }
            Bench::Responder => {}
        }
        let steps = &vector.script.steps;
        for (index, step) in steps.iter().enumerate() {
            if !matches!(step, ScriptStep::Datagram(_)) {
                self.send_datagrams();
            }
            self.waited_last = false;
            match step {
                ScriptStep::Datagram(hex) => self.datagrams.push(hex.clone()),
                ScriptStep::Deliver { route, mutation } => self.deliver(route, mutation),
                ScriptStep::Wait { amount, unit } => {
                    self.wait(ScriptStep::wait_secs(*amount, *unit), index + 1 == steps.len())
                }
                ScriptStep::Forge(forge) => self.forge(forge),
                other => self.refuse(format!("script step {other:?} has no live counterpart")),
            }
        }
        self.send_datagrams();
    }

    fn establish(&mut self) {
        if !self.initiated {
            self.timeline.push(Step::Do(Action::Initiate { by: Some(Actor::Reference) }));
            self.initiated = true;
        }
        self.timeline.push(Step::Check(Check::Phase1 {
            proposal: None,
            lifetime_secs: None,
            within_secs: None,
        }));
        self.timeline.push(Step::Check(Check::Phase2 {
            proposal: None,
            lifetime_secs: None,
            lifetime_kilobytes: None,
            within_secs: None,
        }));
        self.established = true;
        self.messages = self.phase1_messages() + 2;
    }

    fn send_datagrams(&mut self) {
        if self.datagrams.is_empty() {
            return;
        }
        let hex = std::mem::take(&mut self.datagrams);
        self.note(format!("{} datagram(s) sent as they are from the reference's port 500", hex.len()));
        let gates: Vec<String> = hex
            .iter()
            .filter_map(|text| text.parse::<vectors::Hex>().ok())
            .filter_map(|bytes| reach::datagram_gate(self.peer, bytes.as_slice()))
            .collect();
        if let Some(gate) = gates.first() {
            self.approximate(gate.clone());
        }
        self.timeline.push(Step::Do(Action::SendDatagrams { hex }));
    }

    fn deliver(&mut self, route: &str, mutation: &Mutation) {
        if route != "as_sent" {
            return self.refuse(format!("delivery by route `{route}` (the live topology is direct)"));
        }
        if self.established {
            if *mutation == Mutation::None {
                return self.note("a `deliver` of a message the completed exchange has carried already");
            }
            return self.refuse("a changed message after the exchange was completed for an earlier forgery");
        }
        if !self.initiated {
            self.timeline.push(Step::Do(Action::Initiate { by: Some(Actor::Reference) }));
            self.initiated = true;
        }
        self.messages += 1;
        let nth = self.messages;
        let name = self.message_name(nth);
        if *mutation == Mutation::None {
            return self.note(format!("{name}: the reference's own, unchanged"));
        }
        let quick_mode = nth > self.phase1_messages();
        let (mutation, authentic) = match quick_mode.then(|| behind_hash(mutation)).flatten() {
            Some(edit) => (edit, true),
            None => (mutation.clone(), false),
        };
        if quick_mode {
            self.accepted_if = Acceptance::Phase2;
        }
        if self.aggressive
            && nth == 1
            && changes_identity_type(&mutation)
            && let Some(gate) = reach::aggressive_identity_changed(self.peer)
        {
            self.approximate(gate);
        }
        let covered = if authentic { ", made before HASH(1) so the HASH covers it" } else { "" };
        self.note(format!("{name}: the reference's own with {mutation:?} (Mutate impairment{covered})"));
        self.impairments.push(Impairment::Mutate { nth, mutation, authentic });
    }

    fn wait(&mut self, secs: f64, last: bool) {
        let open = self.initiated && !self.established && !self.deleted;
        if open {
            if !last {
                return self.refuse("a wait inside an open exchange followed by more steps");
            }
            // The script delivers nothing during its wait: the reference answers nothing.
            self.impairments.push(Impairment::SilentAfter { nth: self.messages });
            self.note(format!(
                "after its message {} the reference sends nothing more (SilentAfter), as nothing is \
                 delivered while the script waits",
                self.messages
            ));
        }
        self.note(format!("wait {secs} s"));
        self.timeline.push(Step::Do(Action::Wait { secs }));
        self.waited_last = last;
    }

    fn forge(&mut self, forge: &Forge) {
        if forge.exchange != 5 {
            return self.refuse(format!(
                "a forged message of exchange type {} (only Informationals map)",
                forge.exchange
            ));
        }
        if self.deleted {
            return self.refuse("a forgery after the forged Delete took the reference's ISAKMP SA down");
        }
        if forge.sa != 0 {
            self.approximate(format!(
                "the forgery targets the bench's SA #{}; live there is one reference peer, so it goes to \
                 that peer's SA",
                forge.sa
            ));
        }
        if !self.established {
            self.approximate(
                "the forgery targets an SA still in Main Mode; the reference builds no Informational \
                 before its Phase 1 is complete, so it is sent on the established SA instead",
            );
            self.establish();
        }
        let kinds: Vec<&str> = forge.payloads.iter().filter_map(payload_kind).collect();
        let deletes = forge.payloads.iter().filter(|payload| deletes_isakmp_sa(payload)).count() as u32;
        if deletes > 0 {
            self.forged_delete(forge, deletes, &kinds);
        } else if !kinds.is_empty() && kinds.iter().all(|kind| *kind == "r-u-there") {
            self.forged_dpd(forge, kinds.len());
        } else {
            self.refuse(format!(
                "a forged Informational with {:?} (only R-U-THEREs and Deletes of the ISAKMP SA map)",
                forge.payloads
            ));
        }
    }

    /// The reference's own R-U-THERE (RFC 3706 5), its DPD timed to go off now.
    fn forged_dpd(&mut self, forge: &Forge, count: usize) {
        if count != 1 {
            return self.refuse("several R-U-THEREs in one message");
        }
        self.dpd_forges += 1;
        self.messages += 1;
        let nth = self.messages;
        self.protect(nth, forge);
        self.accepted_if = Acceptance::DpdAnswered;
        self.note(format!(
            "forged R-U-THERE {}: the reference's own DPD R-U-THERE (message {nth}), {}",
            self.dpd_forges,
            protection_words(forge)
        ));
    }

    /// The reference deletes its ISAKMP SA, telling the peer (RFC 2408 3.15).
    fn forged_delete(&mut self, forge: &Forge, deletes: u32, kinds: &[&str]) {
        self.messages += 1;
        let nth = self.messages;
        // Copies of the Delete payload inside the HASH (authentic: the HASH covers them).
        for _ in 1..deletes {
            self.impairments.push(Impairment::Mutate {
                nth,
                mutation: Mutation::Payload(PayloadEdit::Duplicate(0)),
                authentic: true,
            });
        }
        self.protect(nth, forge);
        let others = kinds.len() as u32 - deletes;
        if others > 0 {
            self.approximate(format!(
                "the forged message also carries {:?}; the reference's Delete carries its Delete payloads only",
                kinds.iter().filter(|kind| **kind != "delete").collect::<Vec<_>>()
            ));
        }
        self.note(format!(
            "forged Delete: the reference deletes its ISAKMP SA (message {nth}) with {deletes} Delete \
             payload(s), {}",
            protection_words(forge)
        ));
        self.timeline.push(Step::Do(Action::Delete { by: Actor::Reference, scope: SaScope::Phase1 }));
        self.accepted_if = Acceptance::IkeSaDeleted;
        self.deleted = true;
    }

    /// The forgery's protection and edit as `Mutate` impairments on message `nth`
    /// (payload index 0 is the HASH, as in the forgery's own edit).
    fn protect(&mut self, nth: u32, forge: &Forge) {
        let hash_edit = match forge.protection {
            Protection::ValidHash => None,
            Protection::Plain | Protection::NoHash => Some(PayloadEdit::Remove(0)),
            Protection::WrongHash => Some(PayloadEdit::Zero(0)),
            // Cut by one byte, as the forgery cuts it (SHA-256: 32 bytes).
            Protection::ShortHash => Some(PayloadEdit::Truncate { payload: 0, keep: 31 }),
        };
        let edits = hash_edit
            .map(Mutation::Payload)
            .into_iter()
            .chain((forge.edit != Mutation::None).then(|| forge.edit.clone()));
        for mutation in edits {
            self.impairments.push(Impairment::Mutate { nth, mutation, authentic: false });
        }
        if forge.protection == Protection::Plain && self.cleartext_at.is_none() {
            self.cleartext_at = Some(self.timeline.len());
        }
    }

    fn finish(mut self, vector: &CveVector, base: &Case) -> Replay {
        let fidelity = if self.not_replayable {
            Fidelity::NotReplayable
        } else if self.approximated {
            Fidelity::Approximated
        } else {
            Fidelity::Faithful
        };
        if fidelity == Fidelity::NotReplayable {
            return Replay { cve: vector.id.clone(), peer: base.peer, fidelity, how: self.how, case: None };
        }
        if let Some(at) = self.cleartext_at {
            let mut impairments = self.impairments.clone();
            impairments.push(Impairment::Cleartext);
            self.timeline.insert(at, Step::Do(Action::Impair { impairments }));
            self.note("from the forgery on, the reference's Informationals go in the clear (Cleartext)");
        }
        if self.dpd_forges > 0 {
            let secs = f64::from(DPD_INTERVAL_SECS + self.dpd_forges * DPD_RETRY_SECS) + ANSWER_SECS;
            self.timeline.push(Step::Do(Action::Wait { secs }));
        } else if !self.waited_last {
            self.timeline.push(Step::Do(Action::Wait { secs: ANSWER_SECS }));
        }
        let mutations = self.impairments.iter().filter(|i| matches!(i, Impairment::Mutate { .. })).count();
        if mutations > 0 {
            self.timeline.push(Step::Check(Check::Mutated { at_least: mutations as u32 }));
        }
        self.timeline.push(Step::Check(Check::PeerReaction {
            expect: vec![
                Reaction::Accepted,
                Reaction::Rejected,
                Reaction::Ignored,
                Reaction::Crashed,
                Reaction::Hung,
            ],
            accepted_if: self.accepted_if,
        }));
        self.timeline.push(Step::Check(Check::PeerMessages));
        let mut case = base.clone();
        case.name = vector.id.to_lowercase();
        case.theme = "cve".into();
        case.summary = vector.title.clone();
        case.rfc = rfc_references(&vector.correct_reaction);
        case.timeline = self.timeline;
        case.finally = liveness();
        let exchange = if self.aggressive { ExchangeMode::Aggressive } else { ExchangeMode::Main };
        let pfs = if vector.has_setup("pfs") { base.reference.pfs } else { None };
        for side in [&mut case.reference, &mut case.peer_side] {
            side.exchange = exchange;
            side.pfs = pfs;
        }
        case.expect.pfs = pfs;
        case.reference.impairments = self.impairments;
        if self.dpd_forges > 0 {
            // Exactly one R-U-THERE per forgery goes out unanswered before the
            // reference declares the peer dead (RFC 3706 5.5).
            case.reference.dpd = Some(Dpd {
                interval_secs: DPD_INTERVAL_SECS,
                retry_secs: DPD_RETRY_SECS,
                retries: self.dpd_forges - 1,
                on_demand: false,
            });
        }
        Replay { cve: vector.id.clone(), peer: base.peer, fidelity, how: self.how, case: Some(case) }
    }
}

/// The same edit with its payload index counted after the HASH payload, for an
/// `authentic` Mutate of a HASH-first message; `None` if it names the HASH itself
/// or has no payload index.
fn behind_hash(mutation: &Mutation) -> Option<Mutation> {
    let Mutation::Payload(edit) = mutation else { return None };
    let shift = |index: u8| index.checked_sub(1);
    let edit = match edit {
        PayloadEdit::Remove(at) => PayloadEdit::Remove(shift(*at)?),
        PayloadEdit::Duplicate(at) => PayloadEdit::Duplicate(shift(*at)?),
        PayloadEdit::Zero(at) => PayloadEdit::Zero(shift(*at)?),
        PayloadEdit::Swap(a, b) => PayloadEdit::Swap(shift(*a)?, shift(*b)?),
        PayloadEdit::Truncate { payload, keep } => {
            PayloadEdit::Truncate { payload: shift(*payload)?, keep: *keep }
        }
        PayloadEdit::Patch { payload, offset, value } => {
            PayloadEdit::Patch { payload: shift(*payload)?, offset: *offset, value: *value }
        }
        PayloadEdit::Length { payload, value } => {
            PayloadEdit::Length { payload: shift(*payload)?, value: *value }
        }
        PayloadEdit::Attribute { payload, proposal, transform, attribute, value } => PayloadEdit::Attribute {
            payload: shift(*payload)?,
            proposal: *proposal,
            transform: *transform,
            attribute: *attribute,
            value: *value,
        },
        PayloadEdit::Insert { .. } | PayloadEdit::Replace { .. } | PayloadEdit::Padding(_) => return None,
    };
    Some(Mutation::Payload(edit))
}

/// Whether an edit of AM1 sets the type octet of its ID payload (SA, KE, Nonce, ID:
/// payload 3, RFC 2409 5.4).
fn changes_identity_type(mutation: &Mutation) -> bool {
    matches!(mutation, Mutation::Payload(PayloadEdit::Patch { payload: 3, offset: 0, .. }))
}

/// `r-u-there`, `r-u-there-ack`, `delete`, `notify` or the payload's own key.
fn payload_kind(payload: &serde_json::Value) -> Option<&'static str> {
    let object = payload.as_object()?;
    if let Some(dpd) = object.get("dpd") {
        return Some(if dpd.get("ack").and_then(serde_json::Value::as_bool) == Some(true) {
            "r-u-there-ack"
        } else {
            "r-u-there"
        });
    }
    if object.contains_key("delete") {
        return Some("delete");
    }
    Some(if object.contains_key("notify") { "notify" } else { "other" })
}

/// A Delete payload of protocol ISAKMP naming the SA's own cookies.
fn deletes_isakmp_sa(payload: &serde_json::Value) -> bool {
    let Some(delete) = payload.get("delete") else { return false };
    let isakmp = delete.get("protocol").and_then(serde_json::Value::as_u64) == Some(1);
    let spis = delete.get("spis").and_then(serde_json::Value::as_array);
    isakmp && spis.is_some_and(|spis| !spis.is_empty() && spis.iter().all(|spi| spi == "ike_cookies"))
}

fn protection_words(forge: &Forge) -> String {
    let protection = match forge.protection {
        Protection::Plain => "in the clear without a HASH",
        Protection::NoHash => "encrypted without its HASH payload",
        Protection::ValidHash => "encrypted with its valid HASH(1)",
        Protection::WrongHash => "encrypted with a zeroed (wrong) HASH(1)",
        Protection::ShortHash => "encrypted with HASH(1) one byte short",
    };
    match &forge.edit {
        Mutation::None => protection.to_owned(),
        edit => format!("{protection}, then {edit:?}"),
    }
}

/// `RFC 2408 3.15`-style references in a text, in order, without repeats.
fn rfc_references(text: &str) -> Vec<String> {
    let pattern = regex::Regex::new(r"RFC \d{4}(?: \d+(?:\.\d+)*)?").expect("a valid pattern");
    let mut found: Vec<String> = Vec::new();
    for reference in pattern.find_iter(text) {
        let reference = reference.as_str().to_owned();
        if !found.contains(&reference) {
            found.push(reference);
        }
    }
    found
}

#[cfg(test)]
mod tests;
