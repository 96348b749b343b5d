//! A fuzz case as a runner case: the catalogue's plain Main or Aggressive Mode
//! tunnel against the chosen peer, with the reference impaired as the fuzz
//! case says, a timeline that only records how the peer took it, and the
//! liveness oracle after it: the peer's process answers, and a fresh,
//! unimpaired reference completes a new tunnel with it and pings through
//! ([`crate::scenario::liveness`]).

use ikev1::policy::ExchangeMode;
use peers::PeerKind;

use super::FuzzCase;
use crate::cases::{Case, Initiator};
use crate::scenario::{Acceptance, Action, Catalogue, Check, Reaction, Step, liveness};

/// Long enough for the peer to answer, refuse, or give up on a damaged
/// message and for the reference's first retransmissions to go out.
const REACTION_WAIT_SECS: f64 = 2.5;
/// The bound of each wait in the case (initiation, the fresh handshake).
const TIMEOUT_SECS: u64 = 6;

/// The runner case that plays `fuzz` against `peer`, built on the catalogue's
/// `main-mode` or `aggressive-mode` scenario.
pub fn runner_case(catalogue: &Catalogue, fuzz: &FuzzCase, peer: PeerKind) -> Result<Case, String> {
    let scenario = match fuzz.exchange {
        ExchangeMode::Main => "main-mode",
        ExchangeMode::Aggressive => "aggressive-mode",
    };
    let initiator = if fuzz.reference_initiates { Initiator::Reference } else { Initiator::Peer };
    let mut case = catalogue
        .cases()
        .into_iter()
        .find(|case| case.name == scenario && case.peer == peer && case.initiator == initiator)
        .ok_or_else(|| {
            format!("the catalogue has no {scenario} case for {} {}", peer.label(), initiator.label())
        })?;
    case.name = format!("fuzz-{:x}-{}", fuzz.seed, fuzz.index);
    case.theme = "live-fuzz".into();
    case.summary = fuzz.describe();
    case.reference.impairments = fuzz.impairments.clone();
    case.timeline = reaction_timeline();
    case.finally = liveness();
    case.timeout_secs = TIMEOUT_SECS;
    Ok(case)
}

/// Start, give the peer time, and record its reaction. Any reaction but a
/// crash or a hang is allowed: the campaign tallies them.
fn reaction_timeline() -> Vec<Step> {
    vec![
        Step::Do(Action::Initiate { by: None }),
        Step::Do(Action::Wait { secs: REACTION_WAIT_SECS }),
        Step::Check(Check::PeerReaction {
            expect: vec![Reaction::Accepted, Reaction::Rejected, Reaction::Ignored],
            accepted_if: Acceptance::Phase2,
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fuzz_case_becomes_an_impaired_handshake_with_the_liveness_oracle_after_it() {
        let catalogue = Catalogue::embedded().unwrap();
        for index in 0..40 {
            let fuzz = FuzzCase::generate(7, index);
            for peer in [PeerKind::StrongSwan, PeerKind::LibreswanGuest] {
                let case = runner_case(&catalogue, &fuzz, peer).unwrap();
                assert_eq!(case.peer, peer);
                assert_eq!(case.initiator == Initiator::Reference, fuzz.reference_initiates);
                assert_eq!(case.reference.impairments, fuzz.impairments);
                assert!(case.peer_side.impairments.is_empty(), "only the reference misbehaves");
                assert_eq!(case.name, format!("fuzz-7-{index}"));
                assert_eq!(case.timeline.len(), 3);
                assert_eq!(case.finally, liveness());
            }
        }
    }

    #[test]
    fn aggressive_cases_start_from_the_aggressive_mode_scenario() {
        let catalogue = Catalogue::embedded().unwrap();
        let fuzz = (0..200)
            .map(|index| FuzzCase::generate(1, index))
            .find(|fuzz| fuzz.exchange == ExchangeMode::Aggressive)
            .expect("a quarter of the cases are Aggressive Mode");
        let case = runner_case(&catalogue, &fuzz, PeerKind::StrongSwan).unwrap();
        let plain = catalogue.cases().into_iter().find(|case| case.name == "aggressive-mode").unwrap();
        assert_eq!(case.reference.exchange, plain.reference.exchange);
        assert_eq!(case.peer_side.exchange, plain.peer_side.exchange);
    }
}
