//! Properties over arbitrary input: decapsulation refuses garbage and damaged
//! packets without panicking and counts each; the replay window decides like a
//! plain set of the numbers it has accepted; round trips preserve any packet.

mod esp_support;

use std::collections::BTreeSet;

use esp_support::*;
use ikev1::esp::{EspError, InboundError, ReplayError, ReplayWindow, SaDatabase};
use ikev1::ip::{IpPacket, IpVersion, protocol};
use ikev1::policy::IpsecMode;
use ikev1::time::Timestamp;
use proptest::prelude::*;

const NOW: Timestamp = Timestamp::ZERO;

fn mode() -> impl Strategy<Value = IpsecMode> {
    prop_oneof![Just(IpsecMode::Tunnel), Just(IpsecMode::Transport)]
}

fn suite_index() -> impl Strategy<Value = usize> {
    0..all_suites().len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes, and arbitrary bytes behind the SA's own SPI so that they
    /// reach the replay window and the ICV: always refused, always counted.
    #[test]
    fn decapsulating_arbitrary_bytes_never_panics(
        suite in suite_index(),
        mode in mode(),
        own_spi in any::<bool>(),
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let config = config(mode, IpVersion::V4);
        let (_, inbound) = pair(all_suites()[suite], config);
        let mut database = SaDatabase::<u8>::new();
        database.add_inbound(inbound).expect("a free SPI");
        let mut packet = bytes;
        if own_spi && packet.len() >= 4 {
            packet[..4].copy_from_slice(&SPI.to_be_bytes());
        }
        let result = database.decapsulate_in_place(NOW, as_received(&config), &mut packet);
        prop_assert!(result.is_err());
        let sa = database.inbound(SPI).expect("installed");
        let refused_by_sa = matches!(result, Err(InboundError::Sa { .. }));
        prop_assert_eq!(sa.counters().recv_errors, u64::from(refused_by_sa));
        prop_assert_eq!(sa.counters().pkts_decaps, 0);
        let database_counters = database.counters();
        prop_assert_eq!(database_counters.malformed + database_counters.unknown_spi, u64::from(!refused_by_sa));
    }

    /// A genuine packet damaged anywhere after its SPI, in any way, fails its
    /// ICV (or, if its sequence number became 0, the window).
    #[test]
    fn a_damaged_packet_is_always_refused(
        suite in suite_index(),
        mode in mode(),
        payload_len in 0usize..300,
        damage in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..8),
    ) {
        let config = config(mode, IpVersion::V6);
        let (mut outbound, mut inbound) = pair(all_suites()[suite], config);
        let mut esp = Vec::new();
        let inner = inner_packet(IpVersion::V6, protocol::TCP, payload_len);
        outbound.encapsulate(NOW, &mut rng(), &inner, &mut esp).expect("encapsulates");
        let original = esp.clone();
        for (at, xor) in damage {
            let at = 4 + at.index(esp.len() - 4);
            esp[at] ^= xor;
        }
        prop_assume!(esp != original);
        let result = inbound.decapsulate(NOW, as_received(&config), &esp, &mut Vec::new());
        let refused = matches!(
            result,
            Err(EspError::IntegrityCheckFailed { .. } | EspError::Malformed { .. })
                | Err(EspError::Replay { sequence: 0, reason: ReplayError::TooOld })
        );
        prop_assert!(refused, "{:?}", result);
        prop_assert_eq!(inbound.replay_window().highest(), 0);
    }

    /// Any payload, any suite, mode and version: what goes in comes out.
    #[test]
    fn round_trips_preserve_any_payload(
        suite in suite_index(),
        mode in mode(),
        ipv6 in any::<bool>(),
        payload in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let version = if ipv6 { IpVersion::V6 } else { IpVersion::V4 };
        let config = config(mode, version);
        let (mut outbound, mut inbound) = pair(all_suites()[suite], config);
        let packet = ip_packet(version, protocol::ICMP, &payload);
        let (mut esp, mut out) = (Vec::new(), Vec::new());
        outbound.encapsulate(NOW, &mut rng(), &packet, &mut esp).expect("encapsulates");
        inbound.decapsulate(NOW, as_received(&config), &esp, &mut out).expect("decapsulates");
        match mode {
            IpsecMode::Tunnel => prop_assert_eq!(out, packet),
            // A fresh header: the payload, addresses and protocol are what survive.
            IpsecMode::Transport => {
                let rebuilt = IpPacket::parse(&out).expect("an IP packet");
                prop_assert_eq!(rebuilt.payload(), &payload[..]);
                prop_assert_eq!((rebuilt.src(), rebuilt.dst(), rebuilt.protocol()), (config.local, config.peer, 1));
            }
        }
    }
}

/// The numbers a test feeds the window: near the right edge (in order, a little
/// back, a little ahead), far jumps, and anything at all.
fn sequence_near(highest: u32, choice: u8, offset: u32, anything: u32) -> u32 {
    match choice % 4 {
        0 => highest.saturating_add(offset % 8),
        1 => highest.saturating_sub(offset % 5000),
        2 => highest.saturating_add(offset % 100_000),
        _ => anything,
    }
}

/// RFC 4303 3.4.3 written as plainly as possible: numbers accepted so far and
/// the highest of them.
#[derive(Default)]
struct ReferenceWindow {
    accepted: BTreeSet<u32>,
    highest: u32,
}

impl ReferenceWindow {
    fn check(&self, size: u32, sequence: u32) -> Result<(), ReplayError> {
        if sequence == 0 || (sequence <= self.highest && self.highest - sequence >= size) {
            Err(ReplayError::TooOld)
        } else if self.accepted.contains(&sequence) {
            Err(ReplayError::Duplicate)
        } else {
            Ok(())
        }
    }

    fn accept(&mut self, size: u32, sequence: u32) -> Result<(), ReplayError> {
        self.check(size, sequence)?;
        self.accepted.insert(sequence);
        self.highest = self.highest.max(sequence);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn the_replay_window_decides_like_a_set_of_accepted_numbers(
        size in prop_oneof![Just(64u32), Just(65), Just(100), Just(128), Just(1000), Just(4096), 64u32..=4096],
        steps in prop::collection::vec((any::<u8>(), any::<u32>(), any::<u32>(), any::<bool>()), 1..400),
    ) {
        let mut window = ReplayWindow::new(size).expect("a valid size");
        let mut reference = ReferenceWindow::default();
        for (choice, offset, anything, authenticated) in steps {
            let sequence = sequence_near(reference.highest, choice, offset, anything);
            prop_assert_eq!(window.check(sequence), reference.check(size, sequence), "check {}", sequence);
            // A packet whose ICV fails is checked but never accepted.
            if authenticated {
                prop_assert_eq!(window.accept(sequence), reference.accept(size, sequence), "accept {}", sequence);
            }
            prop_assert_eq!(window.highest(), reference.highest);
        }
    }
}
