//! A flood of first messages (RFC 2408 2.5.3: cookies exist to resist
//! exactly this, and a responder must bound what it keeps for unknown
//! initiators). 100,000 distinct MM1s, each a real initiator's MM1 with its
//! initiator cookie rewritten, leave the responder with no more SAs than
//! its half-open limit; once they time out a real initiator gets through.

mod common;

use std::time::Duration;

use common::*;
use ikev1::counters::DropReason;
use ikev1::policy::ExchangeMode;
use ikev1::sim::Simulation;
use ikev1::{Endpoint, Event, Timestamp};

const FLOOD: u32 = 100_000;
const HALF_OPEN_LIMIT: usize = 512;

/// An MM1 as a real initiator endpoint sends it.
fn genuine_mm1() -> Vec<u8> {
    let peers = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048");
    let mut initiator = Endpoint::new(peers.a, 99);
    initiator.initiate(Timestamp::ZERO, "peer").unwrap();
    initiator.poll_transmit().expect("MM1").payload
}

/// Drains what the responder produced; returns the datagrams it sent.
fn drain(responder: &mut Endpoint) -> u64 {
    let mut sent = 0;
    while responder.poll_transmit().is_some() {
        sent += 1;
    }
    while let Some(event) = responder.poll_event() {
        assert!(!matches!(event, Event::IkeSaEstablished(_)), "nothing is established by a flood");
    }
    sent
}

#[test]
fn a_flood_of_distinct_mm1s_is_held_at_the_half_open_limit_and_a_real_initiator_gets_through_after() {
    let peers = Peers::same(ExchangeMode::Main, "aes128-sha256-modp2048")
        .b_config(|config| config.limits.max_half_open = HALF_OPEN_LIMIT);
    let mut responder = Endpoint::new(peers.b.clone(), SEED_B);
    let template = genuine_mm1();
    let (local, remote) = (on_port(b(), 500), on_port(a(), 500));
    let mut now = Timestamp::ZERO;
    let mut answered = 0;
    for i in 0..FLOOD {
        let mut mm1 = template.clone();
        // A distinct, nonzero initiator cookie per message.
        mm1[..8].copy_from_slice(&(u64::from(i) + 1).to_be_bytes());
        responder.handle_datagram(now, local, remote, &mm1);
        answered += drain(&mut responder);
        if i % 10_000 == 0 {
            // Memory stays flat: the table never grows past the limit.
            assert!(responder.isakmp_sa_rows().len() <= HALF_OPEN_LIMIT, "after {i} MM1s");
            now = now + Duration::from_millis(1);
        }
    }
    let rows = responder.isakmp_sa_rows();
    assert_eq!(rows.len(), HALF_OPEN_LIMIT);
    assert!(rows.iter().all(|row| row.status == "NEGOTIATING"));
    assert_eq!(answered, HALF_OPEN_LIMIT as u64, "one MM2 per SA kept, none for the rest");
    let counters = responder.counters();
    assert_eq!(counters.dropped(DropReason::HalfOpenLimit), u64::from(FLOOD) - HALF_OPEN_LIMIT as u64);
    assert_eq!(counters.datagrams_received, u64::from(FLOOD));

    // The half-open SAs wait as long as a retransmitting initiator would,
    // never resending MM2 on their own (no amplification, CVE-2016-5361),
    // then give up.
    let mut sent_while_waiting = 0;
    while let Some(deadline) = responder.poll_timeout() {
        now = deadline;
        responder.handle_timeout(now);
        sent_while_waiting += drain(&mut responder);
    }
    assert!(responder.isakmp_sa_rows().is_empty(), "every half-open SA timed out");
    assert_eq!(sent_while_waiting, 0, "not one MM2 resent towards the flood's sources");
    assert_eq!(responder.counters().retransmissions, 0);
    assert_eq!(responder.counters().phase1_failed, HALF_OPEN_LIMIT as u64);

    // A genuine initiator now completes Main Mode with the same responder.
    let mut sim = Simulation::with_endpoints(Endpoint::new(peers.a, SEED_A), responder);
    sim.now = now;
    run_established(&mut sim);
    assert_eq!(sim.b.isakmp_sa_rows().len(), 1);
}
