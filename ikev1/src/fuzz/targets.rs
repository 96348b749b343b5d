//! The engine fuzz targets, one function each, shared by cargo-fuzz
//! (fuzz/fuzz_targets/engine_*.rs) and by the tests that replay the
//! committed corpora: the same bytes run the same checks in both.

use serde::{Deserialize, Serialize};

use super::cast::{self, INITIATOR, Party, RESPONDER, THIRD};
use super::rig::{Crypto, Rig};
use super::script::{Script, Setup, Step};
use crate::policy::ExchangeMode;

/// The subject answers: a scripted initiator starts Main or Aggressive Mode
/// (per the setup byte) and Quick Mode; the script mutates, drops, replays
/// and forges on the way.
pub fn engine_responder(data: &[u8]) {
    play(Bench::Responder, &Script::from_bytes(data));
}

/// The subject initiates; a scripted responder answers and the script
/// mutates its answers.
pub fn engine_initiator(data: &[u8]) {
    play(Bench::Initiator, &Script::from_bytes(data));
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
    play(Bench::Established, &script);
}

/// The subject's ESP data plane (RFC 4303, RFC 3948): IPsec SAs up with two
/// peers, each of which has just protected an ICMP echo for the subject; the
/// script delivers, mutates, replays and drops such packets (raw ESP, or
/// UDP-encapsulated with the setup's `force_nat_t`) among everything else.
pub fn esp_decap(data: &[u8]) {
    let script = Script::from_bytes(data);
    let mut rig = Bench::Established.rig(script.setup, Crypto::Null);
    for peer in 0..2 {
        rig.run(&Step::Peer { peer, action: super::script::PeerAction::SendTraffic });
    }
    finish(&mut rig, &script);
}

/// Where a script starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bench {
    /// The subject is the responder ([`RESPONDER`]); the scripted initiator
    /// ([`INITIATOR`]) has sent its first message(s) of the setup's modes.
    Responder,
    /// The subject is the initiator ([`INITIATOR`]) and has sent its first
    /// message(s); a scripted responder answers.
    Initiator,
    /// The subject is the responder with Phase 1 and Quick Mode up with two
    /// peers, [`INITIATOR`] and [`THIRD`].
    Established,
}

impl Bench {
    pub fn rig(self, setup: Setup, crypto: Crypto) -> Rig {
        let (subject, peers): (Party, &[Party]) = match self {
            Self::Responder => (RESPONDER, &[INITIATOR]),
            Self::Initiator => (INITIATOR, &[RESPONDER]),
            Self::Established => (RESPONDER, &[INITIATOR, THIRD]),
        };
        let configs =
            peers.iter().map(|peer| (peer.address, cast::config(*peer, &[subject], setup))).collect();
        let mut rig = Rig::with_crypto(crypto, cast::config(subject, peers, setup), configs);
        match self {
            Self::Responder => modes(setup).into_iter().for_each(|mode| rig.peer_initiates(0, mode)),
            Self::Initiator => modes(setup)
                .into_iter()
                .for_each(|mode| rig.subject_initiates(&cast::connection_name(mode, 0))),
            Self::Established => {
                (0..peers.len()).for_each(|peer| rig.peer_initiates(peer, modes(setup)[0]));
                rig.settle();
            }
        }
        rig
    }
}

/// Runs a script on its bench (null crypto), then lets the exchanges settle.
pub fn play(bench: Bench, script: &Script) -> Rig {
    let mut rig = bench.rig(script.setup, Crypto::Null);
    finish(&mut rig, script);
    rig
}

fn finish(rig: &mut Rig, script: &Script) {
    for step in &script.steps {
        rig.run(step);
    }
    rig.settle();
}

fn modes(setup: Setup) -> Vec<ExchangeMode> {
    let first = if setup.has(Setup::AGGRESSIVE) { ExchangeMode::Aggressive } else { ExchangeMode::Main };
    let other = if setup.has(Setup::AGGRESSIVE) { ExchangeMode::Main } else { ExchangeMode::Aggressive };
    if setup.has(Setup::BOTH_MODES) { vec![first, other] } else { vec![first] }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn honest(bench: Bench, setup: u8) -> Rig {
        play(bench, &Script { setup: Setup(setup), steps: Vec::new() })
    }

    /// (IKE SAs, IPsec SAs) the subject has up.
    fn up(rig: &Rig) -> (usize, usize) {
        (rig.subject().established().len(), rig.subject().ipsec_sas().len())
    }

    #[test]
    fn the_honest_exchanges_bring_everything_up_on_both_roles() {
        for setup in [0, Setup::AGGRESSIVE, Setup::PFS, Setup::FORCE_NAT_T] {
            assert_eq!(up(&honest(Bench::Responder, setup)), (1, 1), "responder, setup {setup}");
            assert_eq!(up(&honest(Bench::Initiator, setup)), (1, 1), "initiator, setup {setup}");
        }
        // The second Phase 1 carries INITIAL-CONTACT: the subject forgets the first.
        assert_eq!(up(&honest(Bench::Responder, Setup::BOTH_MODES)), (1, 1));
        assert_eq!(up(&Bench::Established.rig(Setup(0), Crypto::Null)), (2, 2));
    }

    #[test]
    fn a_wrong_hash_in_mm5_is_refused_and_nothing_comes_up() {
        let seeds = crate::fuzz::seeds::engine_responder();
        let (_, script) = seeds.iter().find(|(name, _)| *name == "mm5-wrong-hash").expect("seed");
        let mut rig = Bench::Responder.rig(script.setup, Crypto::Null);
        script.steps.iter().for_each(|step| rig.run(step));
        assert_eq!(up(&rig), (0, 0), "the mutated MM5 must not authenticate");
        assert_eq!(rig.subject().counters().notifies_sent.get("INVALID-HASH-INFORMATION"), Some(&1));
        // The initiator takes the refusal and gives up.
        rig.settle();
        assert_eq!(up(&rig), (0, 0));
    }
}
