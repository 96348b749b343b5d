//! The endpoint's IPsec SA pairs, by our inbound SPI: what Quick Mode
//! installed, whether the outbound half is in use yet, and their lifetimes.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use crate::child_sa::NegotiatedChild;
use crate::time::Timestamp;

pub(crate) struct ChildRecord {
    pub sa: NegotiatedChild,
    /// The exchange is confirmed and we may send on the outbound SA.
    pub outbound_active: bool,
    pub installed_at: Timestamp,
    /// A replacement has been negotiated or asked for.
    pub rekey_started: bool,
}

impl ChildRecord {
    /// Hard expiry (seconds lifetime, RFC 2407 4.5).
    pub fn expires_at(&self) -> Timestamp {
        self.installed_at + Duration::from_secs(u64::from(self.sa.lifetime.seconds))
    }

    /// Soft expiry: re-key at 90 % of the lifetime, before traffic stalls.
    pub fn rekey_at(&self) -> Timestamp {
        self.installed_at + Duration::from_millis(u64::from(self.sa.lifetime.seconds) * 900)
    }
}

#[derive(Default)]
pub(crate) struct Children {
    by_inbound_spi: BTreeMap<u32, ChildRecord>,
}

impl Children {
    pub fn insert(&mut self, record: ChildRecord) {
        self.by_inbound_spi.insert(record.sa.inbound.spi, record);
    }

    pub fn get_mut(&mut self, inbound_spi: u32) -> Option<&mut ChildRecord> {
        self.by_inbound_spi.get_mut(&inbound_spi)
    }

    pub fn remove(&mut self, inbound_spi: u32) -> Option<ChildRecord> {
        self.by_inbound_spi.remove(&inbound_spi)
    }

    /// Our inbound SPI of the pair with `peer` whose outbound SPI is `outbound_spi`.
    pub fn inbound_spi_of_outbound(&self, peer: IpAddr, outbound_spi: u32) -> Option<u32> {
        self.by_inbound_spi
            .values()
            .find(|r| r.sa.outbound.spi == outbound_spi && r.sa.remote.ip() == peer)
            .map(|r| r.sa.inbound.spi)
    }

    pub fn iter(&self) -> impl Iterator<Item = &ChildRecord> {
        self.by_inbound_spi.values()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut ChildRecord> {
        self.by_inbound_spi.values_mut()
    }

    /// Inbound SPIs of the pairs that match a predicate.
    pub fn spis_where(&self, wanted: impl Fn(&ChildRecord) -> bool) -> Vec<u32> {
        self.by_inbound_spi.iter().filter(|(_, r)| wanted(r)).map(|(spi, _)| *spi).collect()
    }

    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.by_inbound_spi
            .values()
            .map(|r| {
                if r.rekey_started || !r.sa.we_initiated {
                    r.expires_at()
                } else {
                    r.rekey_at().min(r.expires_at())
                }
            })
            .min()
    }
}
