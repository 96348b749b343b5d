//! The SA database (RFC 4301 4.4.2, for ESP): inbound SAs by SPI, outbound SAs
//! by a key the engine chooses. Maps are ordered, so whatever iterates them
//! (status views, traces) comes out the same every run.

use core::fmt;
use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use super::{Decapsulated, EspError, InboundSa, OutboundSa, OuterAddresses};
use crate::time::Timestamp;
use isakmp::esp::EspPacket;

pub struct SaDatabase<K> {
    inbound: BTreeMap<u32, InboundSa>,
    outbound: BTreeMap<K, Installed>,
    /// Installation order of outbound SAs: the newest of overlapping SAs wins.
    installed: u64,
    counters: DatabaseCounters,
}

struct Installed {
    order: u64,
    sa: OutboundSa,
}

/// Inbound packets no SA could take.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DatabaseCounters {
    /// Shorter than an ESP header, or SPI 0 (RFC 4303 2.1).
    pub malformed: u64,
    /// No SA has the SPI (RFC 4303 3.4.2: discarded, an auditable event).
    pub unknown_spi: u64,
}

/// Why an inbound packet was not decapsulated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InboundError {
    Malformed {
        len: usize,
    },
    /// The engine may answer with an INVALID-SPI notification.
    UnknownSpi {
        spi: u32,
    },
    /// The SA of `spi` refused the packet (and counted it).
    Sa {
        spi: u32,
        error: EspError,
    },
}

impl fmt::Display for InboundError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { len } => write!(f, "{len} bytes are not an ESP packet"),
            Self::UnknownSpi { spi } => write!(f, "no inbound SA has SPI {spi:#010x}"),
            Self::Sa { spi, error } => write!(f, "SA {spi:#010x}: {error}"),
        }
    }
}

impl std::error::Error for InboundError {}

/// An inbound SA of this SPI is already installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpiInUse(pub u32);

impl fmt::Display for SpiInUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an inbound SA with SPI {:#010x} is already installed", self.0)
    }
}

impl std::error::Error for SpiInUse {}

impl<K: Ord> Default for SaDatabase<K> {
    fn default() -> Self {
        Self {
            inbound: BTreeMap::new(),
            outbound: BTreeMap::new(),
            installed: 0,
            counters: DatabaseCounters::default(),
        }
    }
}

impl<K: Ord> SaDatabase<K> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs an inbound SA. Its SPI must be free: we chose it (RFC 4303 2.1).
    pub fn add_inbound(&mut self, sa: InboundSa) -> Result<(), SpiInUse> {
        let spi = sa.spi();
        if self.inbound.contains_key(&spi) {
            return Err(SpiInUse(spi));
        }
        self.inbound.insert(spi, sa);
        Ok(())
    }

    pub fn remove_inbound(&mut self, spi: u32) -> Option<InboundSa> {
        self.inbound.remove(&spi)
    }

    pub fn inbound(&self, spi: u32) -> Option<&InboundSa> {
        self.inbound.get(&spi)
    }

    pub fn inbound_mut(&mut self, spi: u32) -> Option<&mut InboundSa> {
        self.inbound.get_mut(&spi)
    }

    /// Every inbound SA, by SPI.
    pub fn inbound_sas(&self) -> impl Iterator<Item = &InboundSa> {
        self.inbound.values()
    }

    /// Installs an outbound SA under `key` as the newest, returning the one the
    /// key named before.
    pub fn add_outbound(&mut self, key: K, sa: OutboundSa) -> Option<OutboundSa> {
        self.installed += 1;
        self.outbound.insert(key, Installed { order: self.installed, sa }).map(|replaced| replaced.sa)
    }

    pub fn remove_outbound(&mut self, key: &K) -> Option<OutboundSa> {
        self.outbound.remove(key).map(|installed| installed.sa)
    }

    pub fn outbound(&self, key: &K) -> Option<&OutboundSa> {
        self.outbound.get(key).map(|installed| &installed.sa)
    }

    pub fn outbound_mut(&mut self, key: &K) -> Option<&mut OutboundSa> {
        self.outbound.get_mut(key).map(|installed| &mut installed.sa)
    }

    /// Every outbound SA, by key.
    pub fn outbound_sas(&self) -> impl Iterator<Item = (&K, &OutboundSa)> {
        self.outbound.iter().map(|(key, installed)| (key, &installed.sa))
    }

    /// The most recently installed outbound SA that `matches` accepts. While a
    /// rekeyed SA overlaps the old one, the new one carries the traffic; the old
    /// inbound SA keeps accepting until it is deleted.
    pub fn newest_outbound(
        &mut self,
        mut matches: impl FnMut(&K, &OutboundSa) -> bool,
    ) -> Option<(&K, &mut OutboundSa)> {
        self.outbound
            .iter_mut()
            .filter(|(key, installed)| matches(key, &installed.sa))
            .max_by_key(|(_, installed)| installed.order)
            .map(|(key, installed)| (key, &mut installed.sa))
    }

    /// The newest outbound SA towards `peer` (the outer destination).
    pub fn newest_outbound_to(&mut self, peer: IpAddr) -> Option<(&K, &mut OutboundSa)> {
        self.newest_outbound(|_, sa| sa.config().peer == peer)
    }

    /// Finds the inbound SA by the packet's SPI (RFC 4303 3.4.2) and has it
    /// decapsulate `esp` into `out`.
    pub fn decapsulate(
        &mut self,
        now: Timestamp,
        outer: OuterAddresses,
        esp: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(u32, Decapsulated), InboundError> {
        out.clear();
        out.extend_from_slice(esp);
        self.decapsulate_in_place(now, outer, out)
    }

    /// As [`Self::decapsulate`], on the packet in `packet`.
    pub fn decapsulate_in_place(
        &mut self,
        now: Timestamp,
        outer: OuterAddresses,
        packet: &mut Vec<u8>,
    ) -> Result<(u32, Decapsulated), InboundError> {
        let Ok(EspPacket { spi, .. }) = EspPacket::parse(packet) else {
            self.counters.malformed += 1;
            return Err(InboundError::Malformed { len: packet.len() });
        };
        let Some(sa) = self.inbound.get_mut(&spi) else {
            self.counters.unknown_spi += 1;
            return Err(InboundError::UnknownSpi { spi });
        };
        sa.decapsulate_in_place(now, outer, packet)
            .map(|decapsulated| (spi, decapsulated))
            .map_err(|error| InboundError::Sa { spi, error })
    }

    /// The next instant a time limit of any SA is reached, for `poll_timeout`.
    pub fn next_deadline(&self, now: Timestamp) -> Option<Timestamp> {
        let inbound = self.inbound.values().filter_map(|sa| sa.lifetime().next_deadline(now));
        let outbound =
            self.outbound.values().filter_map(|installed| installed.sa.lifetime().next_deadline(now));
        inbound.chain(outbound).min()
    }

    pub fn counters(&self) -> &DatabaseCounters {
        &self.counters
    }
}
