//! Phase 1 over an unreliable wire (RFC 2408 5.1): lost messages are
//! retransmitted with growing intervals, retransmitted requests are answered
//! from a cache instead of being processed twice, and an exchange that gets
//! no answer is abandoned.

mod common;

use common::*;
use ikev1::counters::DropReason;
use ikev1::policy::ExchangeMode;
use ikev1::sim::{Rule, Rules, Side, Simulation};
use ikev1::trace::Trace;

/// Main Mode message `n` (1-based) as (sender, nth datagram of that sender).
fn main_mode_message(n: u32) -> (Side, u32) {
    let side = if n % 2 == 1 { Side::A } else { Side::B };
    (side, n.div_ceil(2))
}

fn main_mode_with(rules: Vec<Rule>) -> Simulation {
    let mut sim = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048").build();
    sim.interceptor = Box::new(Rules::new(rules));
    sim
}

/// RFC 2408 5.1: "If the timer expires, the ISAKMP message is resent".
mod loss {
    use super::*;

    #[test]
    fn each_lost_main_mode_message_is_recovered_by_a_retransmission() {
        for n in 1..=6 {
            let (side, nth) = main_mode_message(n);
            let mut sim = main_mode_with(vec![Rule::drop(side, nth)]);
            run_established(&mut sim);
            let lost: Vec<usize> =
                sim.wire.iter().enumerate().filter(|(_, r)| !r.delivered).map(|(i, _)| i).collect();
            assert_eq!(lost.len(), 1, "MM{n}: one datagram lost");
            let retransmissions = sim.a.counters().retransmissions + sim.b.counters().retransmissions;
            assert!(retransmissions >= 1, "MM{n}: the loss was repaired by a retransmission");
            // The lost datagram went out again, byte for byte.
            let lost_bytes = &sim.wire[lost[0]].packet.payload;
            let resent = sim.wire[lost[0] + 1..].iter().filter(|r| &r.packet.payload == lost_bytes).count();
            assert!(resent >= 1, "MM{n}: sent again unchanged");
            assert_eq!(sim.a.established().len() + sim.b.established().len(), 2, "MM{n}: one SA each");
        }
    }

    #[test]
    fn lost_mm1_is_retransmitted_by_the_initiator_after_the_initial_timeout() {
        let mut sim = main_mode_with(vec![Rule::drop(Side::A, 1)]);
        run_established(&mut sim);
        assert_eq!(sim.a.counters().retransmissions, 1);
        assert_eq!(sim.b.counters().retransmissions, 0);
        assert_eq!(sim.wire[1].at.as_millis() - sim.wire[0].at.as_millis(), 1000, "initial timeout 1 s");
        let retransmits = traces_where(&sim, Side::A, |t| matches!(t, Trace::Retransmit { count: 1, .. }));
        assert_eq!(retransmits.len(), 1);
    }

    #[test]
    fn lost_mm6_makes_the_initiator_retransmit_mm5_which_the_responder_answers_from_its_cache() {
        let mut sim = main_mode_with(vec![Rule::drop(Side::B, 3)]);
        run_established(&mut sim);
        assert_eq!(sim.a.counters().retransmissions, 1);
        assert_eq!(dropped(&sim, Side::B, DropReason::Duplicate), 1, "MM5 again: answered, not processed");
        assert_eq!(sim.b.counters().phase1_established, 1);
    }

    /// RFC 2408 5.1 steps 3 and 4: at the retry limit the exchange is
    /// abandoned and the state cleared; intervals grow (exponential backoff).
    #[test]
    fn a_silent_responder_is_given_up_after_the_retry_limit_with_growing_intervals() {
        let mut sim = main_mode_with(vec![Rule::silence(Side::B)]);
        run_phase1(&mut sim);
        assert_nothing_established(&sim);
        let limit = sim.a.config().retransmission.max_retransmissions;
        assert_eq!(sim.a.counters().retransmissions, u64::from(limit));
        let times: Vec<u64> = wire::sent_by(&sim, Side::A).iter().map(|r| r.at.as_millis()).collect();
        let gaps: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(gaps, [1000, 2000, 4000, 8000, 16000]);
        assert_eq!(failures(&sim, Side::A), ["Death by retransmission P1"]);
        assert!(sim.a.isakmp_sa_rows().is_empty(), "RFC 2408 5.1: all state cleared");
        // B answered every MM1 copy from its cache and gave up on MM3 too.
        assert_eq!(dropped(&sim, Side::B, DropReason::Duplicate), u64::from(limit));
        assert_eq!(failures(&sim, Side::B), ["Death by retransmission P1"]);
        assert!(sim.b.isakmp_sa_rows().is_empty());
    }
}

/// Duplicated datagrams. Each side answers a copy of the message it last
/// answered by resending its answer from the cache, never recomputing it
/// (as strongSwan and pluto do), so a copy of MMn echoes through the rest
/// of the exchange: every later message goes out twice, the second time
/// byte for byte from the cache.
mod duplicates {
    use super::*;

    /// Copies answered from the cache, (by A, by B), once MMn was
    /// duplicated: B answers MM1, MM3 and MM5, A answers MM2 and MM4 (MM6
    /// ends the exchange and is answered by nobody).
    const ECHOES: [(u64, u64); 6] = [(2, 3), (2, 2), (1, 2), (1, 1), (0, 1), (0, 0)];

    #[test]
    fn a_duplicated_main_mode_message_is_answered_from_the_cache_and_one_sa_results() {
        for n in 1..=6 {
            let (side, nth) = main_mode_message(n);
            let mut sim = main_mode_with(vec![Rule::duplicate(side, nth)]);
            run_established(&mut sim);
            let (by_a, by_b) = ECHOES[n as usize - 1];
            assert_eq!(dropped(&sim, Side::A, DropReason::Duplicate), by_a, "MM{n} twice: A's cache");
            assert_eq!(dropped(&sim, Side::B, DropReason::Duplicate), by_b, "MM{n} twice: B's cache");
            assert_eq!(sim.wire.len() as u64, 6 + by_a + by_b, "MM{n} twice: only cached answers added");
            // Cached answers repeat earlier datagrams exactly: six distinct messages.
            let distinct: std::collections::BTreeSet<&Vec<u8>> =
                sim.wire.iter().map(|r| &r.packet.payload).collect();
            assert_eq!(distinct.len(), 6, "MM{n} twice: nothing recomputed");
            for side in [Side::A, Side::B] {
                let endpoint = if side == Side::A { &sim.a } else { &sim.b };
                assert_eq!(endpoint.counters().phase1_established, 1, "MM{n} twice: {side:?}");
                assert_eq!(endpoint.isakmp_sa_rows().len(), 1, "MM{n} twice: exactly one SA on {side:?}");
                assert_eq!(endpoint.counters().retransmissions, 0, "MM{n} twice: no timer fired");
            }
        }
    }

    #[test]
    fn duplicated_aggressive_mode_messages_leave_one_sa_on_each_side() {
        for (side, nth) in [(Side::A, 1), (Side::B, 1), (Side::A, 2)] {
            let mut sim = Peers::same(ExchangeMode::Aggressive, "aes128-sha256-modp2048").build();
            sim.interceptor = Box::new(Rules::new(vec![Rule::duplicate(side, nth)]));
            run_established(&mut sim);
            assert_eq!(sim.a.isakmp_sa_rows().len() + sim.b.isakmp_sa_rows().len(), 2, "{side:?} {nth}");
            assert!(failures(&sim, Side::A).is_empty() && failures(&sim, Side::B).is_empty());
            let cached_am2 = u64::from(side == Side::A && nth == 1);
            assert_eq!(dropped(&sim, Side::B, DropReason::Duplicate), cached_am2, "{side:?} {nth}");
        }
    }
}
