//! An ESP SA: one direction, one SPI, a keyed transform, lifetime accounting
//! and counters. The two directions share this type and differ in their state:
//! a sequence counter for [`Outbound`], a replay window for [`Inbound`].

use core::fmt;
use std::net::IpAddr;

use super::iv::IvSource;
use super::sequence::SequenceCounter;
use super::{
    EspCounters, EspSaConfig, EspSaStatus, Lifetime, LifetimeState, ReplayWindow, SaDirection, UdpPorts,
};
use crate::crypto::{EspSuite, EspTransform};
use crate::policy::{EspCipher, EspIntegrityAlgorithm, EspProposal, IpsecMode};
use crate::time::Timestamp;

pub struct EspSa<D> {
    pub(super) config: EspSaConfig,
    pub(super) transform: Box<dyn EspTransform>,
    pub(super) lifetime: Lifetime,
    pub(super) counters: EspCounters,
    pub(super) direction: D,
}

/// The sending half: it numbers packets and makes IVs.
#[derive(Debug)]
pub struct Outbound {
    pub(super) sequence: SequenceCounter,
    pub(super) iv: IvSource,
}

/// The receiving half: it remembers which numbers it has accepted.
#[derive(Debug)]
pub struct Inbound {
    pub(super) replay: ReplayWindow,
}

pub type OutboundSa = EspSa<Outbound>;
pub type InboundSa = EspSa<Inbound>;

/// What the two halves report differently.
pub trait Direction {
    fn direction(&self) -> SaDirection;

    /// Outbound: the last number sent; inbound: the highest authenticated.
    fn sequence(&self) -> u32;

    /// Whether the sequence numbers are used up (outbound only).
    fn sequence_exhausted(&self) -> bool;

    fn replay_window_size(&self) -> Option<u32>;
}

impl Direction for Outbound {
    fn direction(&self) -> SaDirection {
        SaDirection::Outbound
    }

    fn sequence(&self) -> u32 {
        self.sequence.last()
    }

    fn sequence_exhausted(&self) -> bool {
        self.sequence.is_exhausted()
    }

    fn replay_window_size(&self) -> Option<u32> {
        None
    }
}

impl Direction for Inbound {
    fn direction(&self) -> SaDirection {
        SaDirection::Inbound
    }

    fn sequence(&self) -> u32 {
        self.replay.highest()
    }

    fn sequence_exhausted(&self) -> bool {
        false
    }

    fn replay_window_size(&self) -> Option<u32> {
        Some(self.replay.size())
    }
}

impl<D> EspSa<D> {
    fn with_direction(
        config: EspSaConfig,
        transform: Box<dyn EspTransform>,
        now: Timestamp,
        direction: D,
    ) -> Self {
        let lifetime = Lifetime::new(config.lifetime, now);
        Self { config, transform, lifetime, counters: EspCounters::default(), direction }
    }

    pub fn spi(&self) -> u32 {
        self.config.spi
    }

    pub fn config(&self) -> &EspSaConfig {
        &self.config
    }

    pub fn suite(&self) -> EspSuite {
        self.transform.suite()
    }

    pub fn mode(&self) -> IpsecMode {
        self.config.mode
    }

    pub fn counters(&self) -> &EspCounters {
        &self.counters
    }

    pub fn lifetime(&self) -> &Lifetime {
        &self.lifetime
    }

    /// The peer moved: a NAT mapped it to another address or port, as the engine
    /// learns from the packets it gets (RFC 3947 and RFC 3948 let ports float).
    pub fn update_peer(&mut self, peer: IpAddr, udp: Option<UdpPorts>) {
        self.config.peer = peer;
        self.config.udp = udp;
    }
}

impl EspSa<Outbound> {
    /// The sending half of an SA, numbering from 1.
    pub fn new(config: EspSaConfig, transform: Box<dyn EspTransform>, now: Timestamp) -> Self {
        let outbound =
            Outbound { sequence: SequenceCounter::default(), iv: IvSource::for_suite(transform.suite()) };
        Self::with_direction(config, transform, now, outbound)
    }
}

impl EspSa<Inbound> {
    /// The receiving half of an SA with its anti-replay window.
    pub fn new(
        config: EspSaConfig,
        transform: Box<dyn EspTransform>,
        replay: ReplayWindow,
        now: Timestamp,
    ) -> Self {
        Self::with_direction(config, transform, now, Inbound { replay })
    }

    pub fn replay_window(&self) -> &ReplayWindow {
        &self.direction.replay
    }
}

impl<D: Direction> EspSa<D> {
    /// The lifetime's state, made hard once an outbound SA has no sequence
    /// numbers left.
    pub fn lifetime_state(&self, now: Timestamp) -> LifetimeState {
        let state = self.lifetime.state(now);
        if self.direction.sequence_exhausted() { LifetimeState::HardExpired } else { state }
    }

    /// Everything `show crypto ipsec sa` shows about this SA.
    pub fn status(&self, now: Timestamp) -> EspSaStatus {
        let suite = self.suite();
        EspSaStatus {
            spi: self.config.spi,
            direction: self.direction.direction(),
            transform: EspProposal {
                cipher: EspCipher::from_encryption(suite.encryption()),
                integrity: suite.integrity().map(EspIntegrityAlgorithm::from_integrity),
            },
            mode: self.config.mode,
            local: self.config.local,
            peer: self.config.peer,
            udp: self.config.udp,
            state: self.lifetime_state(now),
            remaining: self.lifetime.remaining(now),
            sequence: self.direction.sequence(),
            replay_window: self.direction.replay_window_size(),
            counters: self.counters,
        }
    }
}

impl<D: Direction> fmt::Debug for EspSa<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EspSa")
            .field("direction", &self.direction.direction())
            .field("config", &self.config)
            .field("suite", &self.suite())
            .field("sequence", &self.direction.sequence())
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}
