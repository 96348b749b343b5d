//! The engine fuzz targets, one function each, shared by cargo-fuzz
//! (fuzz/fuzz_targets/engine_*.rs) and by the tests that replay the
//! committed corpora: the same bytes run the same checks in both.

use super::cast::{self, INITIATOR, RESPONDER, THIRD};
use super::rig::Rig;
use super::script::{Script, Setup, Step};
use crate::policy::ExchangeMode;

/// The subject answers: a scripted initiator starts Main or Aggressive Mode
/// (per the setup byte) and Quick Mode; the script mutates, drops, replays
/// and forges on the way.
pub fn engine_responder(data: &[u8]) {
    responder(&Script::from_bytes(data));
}

fn responder(script: &Script) -> Rig {
    let mut rig = responder_rig(script.setup);
    play(&mut rig, &script.steps);
    rig
}

/// The responder's bench: the scripted initiator has sent its first messages.
pub fn responder_rig(setup: Setup) -> Rig {
    let mut rig = Rig::new(
        cast::config(RESPONDER, &[INITIATOR], setup),
        vec![(INITIATOR.address, cast::config(INITIATOR, &[RESPONDER], setup))],
    );
    for mode in modes(setup) {
        rig.peer_initiates(0, mode);
    }
    rig
}

/// The subject initiates; a scripted responder answers and the script
/// mutates its answers.
pub fn engine_initiator(data: &[u8]) {
    initiator(&Script::from_bytes(data));
}

fn initiator(script: &Script) -> Rig {
    let mut rig = initiator_rig(script.setup);
    play(&mut rig, &script.steps);
    rig
}

/// The initiator's bench: the subject has sent its first messages.
pub fn initiator_rig(setup: Setup) -> Rig {
    let mut rig = Rig::new(
        cast::config(INITIATOR, &[RESPONDER], setup),
        vec![(RESPONDER.address, cast::config(RESPONDER, &[INITIATOR], setup))],
    );
    for mode in modes(setup) {
        rig.subject_initiates(&cast::connection_name(mode, 0));
    }
    rig
}

/// The subject has IKE and IPsec SAs with two peers, built before the
/// script runs; every forged message is an Informational (any Notify, any
/// Delete, DPD, any protection), and only authentic ones may change state.
pub fn engine_informational(data: &[u8]) {
    let mut script = Script::from_bytes(data);
    for step in &mut script.steps {
        if let Step::Forge(forgery) = step {
            forgery.exchange = isakmp::numbers::ExchangeType::INFORMATIONAL.0;
        }
    }
    let mut rig = established_with_two_peers(script.setup);
    play(&mut rig, &script.steps);
}

/// The responder with Phase 1 and Quick Mode up with [`INITIATOR`] and [`THIRD`].
pub fn established_with_two_peers(setup: Setup) -> Rig {
    let peers = [INITIATOR, THIRD];
    let mut rig = Rig::new(
        cast::config(RESPONDER, &peers, setup),
        peers.iter().map(|peer| (peer.address, cast::config(*peer, &[RESPONDER], setup))).collect(),
    );
    for peer in 0..peers.len() {
        rig.peer_initiates(peer, modes(setup)[0]);
    }
    rig.settle();
    rig
}

fn modes(setup: Setup) -> Vec<ExchangeMode> {
    let first = if setup.has(Setup::AGGRESSIVE) { ExchangeMode::Aggressive } else { ExchangeMode::Main };
    let other = if setup.has(Setup::AGGRESSIVE) { ExchangeMode::Main } else { ExchangeMode::Aggressive };
    if setup.has(Setup::BOTH_MODES) { vec![first, other] } else { vec![first] }
}

fn play(rig: &mut Rig, steps: &[Step]) {
    for step in steps {
        rig.run(step);
    }
    rig.settle();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn honest(setup: u8) -> Script {
        Script { setup: Setup(setup), steps: Vec::new() }
    }

    /// (IKE SAs, IPsec SAs) the subject has up.
    fn up(rig: &Rig) -> (usize, usize) {
        (rig.subject().established().len(), rig.subject().ipsec_sas().len())
    }

    #[test]
    fn the_honest_exchanges_bring_everything_up_on_both_roles() {
        for setup in [0, Setup::AGGRESSIVE, Setup::PFS, Setup::FORCE_NAT_T] {
            assert_eq!(up(&responder(&honest(setup))), (1, 1), "responder, setup {setup}");
            assert_eq!(up(&initiator(&honest(setup))), (1, 1), "initiator, setup {setup}");
        }
        // The second Phase 1 carries INITIAL-CONTACT: the subject forgets the first.
        assert_eq!(up(&responder(&honest(Setup::BOTH_MODES))), (1, 1));
        assert_eq!(up(&established_with_two_peers(Setup(0))), (2, 2));
    }

    #[test]
    fn a_wrong_hash_in_mm5_is_refused_and_nothing_comes_up() {
        let seeds = crate::fuzz::seeds::engine_responder();
        let (_, script) = seeds.iter().find(|(name, _)| *name == "mm5-wrong-hash").expect("seed");
        let mut rig = responder_rig(script.setup);
        script.steps.iter().for_each(|step| rig.run(step));
        assert_eq!(up(&rig), (0, 0), "the mutated MM5 must not authenticate");
        assert_eq!(rig.subject().counters().notifies_sent.get("INVALID-HASH-INFORMATION"), Some(&1));
        // The initiator takes the refusal and gives up.
        rig.settle();
        assert_eq!(up(&rig), (0, 0));
    }
}
