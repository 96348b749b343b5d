//! The IPsec data plane of the endpoint: IPsec SA pairs from Quick Mode go
//! into the ESP database, inner packets go out through the newest matching
//! outbound SA, ESP packets come in by SPI, and an unknown SPI is reported
//! to its sender (invalid-SPI recovery, IOS `crypto isakmp
//! invalid-spi-recovery`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::child_sa::{ChildKeys, NegotiatedChild};
use crate::counters::DropReason;
use crate::esp::{
    EspError, EspSaConfig, InboundError, InboundSa, Inner, LifetimeLimits, LifetimeState, Limits, OutboundSa,
    OuterAddresses, ReplayWindow, UdpPorts,
};
use crate::impairment::EspImpairment;
use crate::ip::IpPacket;
use crate::policy::TrafficSelector;
use crate::time::Timestamp;
use crate::trace::Trace;

use super::Endpoint;
use super::io::{Event, Protocol, Transmit};

/// A sender of unknown SPIs gets at most one INVALID-SPI this often, whatever
/// the SPIs: per SPI, a stream of random SPIs would draw a protected notify
/// each (an amplifier); IOS limits per peer too.
const INVALID_SPI_REPORT_INTERVAL: Duration = Duration::from_secs(10);

/// Why an inner packet could not be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Not an IPv4 or IPv6 packet.
    NotIp,
    /// No IPsec SA covers it; `negotiating` when a child policy does and its
    /// negotiation was started (IOS drops the first packets too).
    NoIpsecSa {
        negotiating: bool,
    },
    Esp(EspError),
}

impl Endpoint {
    /// Protects an inner IP packet with the newest IPsec SA whose selectors
    /// cover it (RFC 4301 5.1), or starts negotiating one.
    pub fn send_inner(&mut self, now: Timestamp, packet: &[u8]) -> Result<(), SendError> {
        let parsed = IpPacket::parse(packet).map_err(|_| SendError::NotIp)?;
        let (source, destination) = (parsed.src(), parsed.dst());
        let Some(inbound_spi) = self.newest_child_for(source, destination) else {
            let negotiating = self.negotiate_for(now, source, destination);
            return Err(SendError::NoIpsecSa { negotiating });
        };
        let record = self.children.get_mut(inbound_spi).expect("found above");
        let (ike_sa, connection) = (record.sa.ike_sa, record.sa.connection.clone());
        let local_port = record.sa.local.port();
        let sa = self.esp.outbound_mut(&inbound_spi).expect("active children have an outbound SA");
        let mut esp = Vec::with_capacity(packet.len() + 64);
        let encapsulated =
            sa.encapsulate(now, self.core.rng.public(), packet, &mut esp).map_err(SendError::Esp)?;
        let impairments = self.core.config.policy.connection(&connection).map(|c| c.impairments.clone());
        let mut copies = 1;
        for impairment in impairments.iter().flatten().filter_map(EspImpairment::of) {
            let Some(wanted) = impairment.apply(&mut esp, encapsulated.sequence, self.core.rng.public())
            else {
                continue;
            };
            copies = copies.max(wanted);
            self.core.out.trace(
                now,
                0,
                None,
                Trace::Impaired {
                    impairment: impairment.name().into(),
                    detail: format!("ESP sequence {}", encapsulated.sequence),
                },
            );
        }
        let outer = encapsulated.outer;
        let transmit = match outer.udp {
            Some(ports) => Transmit::udp(
                SocketAddr::new(outer.src, ports.local),
                SocketAddr::new(outer.dst, ports.peer),
                esp,
            ),
            None => Transmit {
                local: SocketAddr::new(outer.src, local_port),
                remote: SocketAddr::new(outer.dst, 0),
                payload: esp,
                protocol: Protocol::Esp,
            },
        };
        for _ in 0..copies {
            self.core.out.transmit(transmit.clone());
        }
        if let Some(sa) = self.sas.get_mut(&ike_sa) {
            sa.sent_traffic(now);
        }
        if encapsulated.lifetime >= LifetimeState::SoftExpired {
            self.child_timeouts(now);
        }
        Ok(())
    }

    /// A raw ESP packet (IP protocol 50) from `source` to `destination`.
    pub fn handle_esp(&mut self, now: Timestamp, source: IpAddr, destination: IpAddr, packet: &[u8]) {
        self.core.out.counters.datagrams_received += 1;
        self.receive_esp(now, SocketAddr::new(source, 0), SocketAddr::new(destination, 0), packet);
    }

    /// An ESP packet, raw or from a UDP datagram on 4500 (RFC 3948 2.1).
    pub(super) fn receive_esp(
        &mut self,
        now: Timestamp,
        source: SocketAddr,
        destination: SocketAddr,
        packet: &[u8],
    ) {
        let outer = OuterAddresses { src: source.ip(), dst: destination.ip() };
        let mut inner = Vec::with_capacity(packet.len());
        match self.esp.decapsulate(now, outer, packet, &mut inner) {
            Ok((spi, decapsulated)) => {
                let Some(record) = self.children.get_mut(spi) else { return };
                // RFC 4301 5.2: what comes out of an SA must be what the SA
                // was negotiated for; anything else is discarded.
                if let Inner::Packet(_) = decapsulated.inner
                    && !within_selectors(&inner, &record.sa.remote_ts, &record.sa.local_ts)
                {
                    let reason = DropReason::OutsideSelectors;
                    self.core.out.counters.drop(reason);
                    let detail = format!("inner packet on SPI {spi:08x} outside its traffic selectors");
                    return self.core.out.trace(now, 0, Some(source), Trace::Dropped { reason, detail });
                }
                let (ike_sa, connection) = (record.sa.ike_sa, record.sa.connection.clone());
                let moved = record.sa.udp_encapsulated && record.sa.remote != source;
                if let Some(sa) = self.sas.get_mut(&ike_sa) {
                    sa.heard_from_peer(now);
                }
                if moved {
                    self.follow_esp_peer(now, ike_sa, source);
                }
                if let Inner::Packet(_) = decapsulated.inner {
                    self.core.out.event(Event::InnerPacket { connection, inbound_spi: spi, packet: inner });
                }
                if decapsulated.lifetime >= LifetimeState::SoftExpired {
                    self.child_timeouts(now);
                }
            }
            Err(InboundError::UnknownSpi { spi }) => self.report_invalid_spi(now, source, spi),
            Err(error) => {
                let reason = match &error {
                    InboundError::Sa { error: EspError::Replay { .. }, .. } => DropReason::EspReplay,
                    InboundError::Sa { error: EspError::IntegrityCheckFailed { .. }, .. } => {
                        DropReason::EspIntegrity
                    }
                    _ => DropReason::Malformed,
                };
                self.core.out.counters.drop(reason);
                self.core.out.trace(
                    now,
                    0,
                    Some(source),
                    Trace::Dropped { reason, detail: error.to_string() },
                );
            }
        }
    }

    /// Valid ESP-in-UDP came from a new address or port (RFC 3947 7).
    fn follow_esp_peer(&mut self, now: Timestamp, ike_sa: isakmp::Cookie, source: SocketAddr) {
        let mut requests = Vec::new();
        let mut ctx = self.core.context(now, &mut requests);
        if let Some(sa) = self.sas.get_mut(&ike_sa) {
            sa.follow_esp_peer(&mut ctx, source);
        }
        self.finish(now, requests);
    }

    /// RFC 2408 3.14.1 INVALID-SPI: tell the sender through an ISAKMP SA with
    /// it, or first set one up when the connection asks for recovery.
    fn report_invalid_spi(&mut self, now: Timestamp, source: SocketAddr, spi: u32) {
        let peer = source.ip();
        let recently =
            self.invalid_spi_reports.get(&peer).is_some_and(|at| now < *at + INVALID_SPI_REPORT_INTERVAL);
        let owner =
            self.sas.iter().find(|(_, sa)| sa.is_established() && sa.remote.ip() == peer).map(|(c, _)| *c);
        let recovery = self
            .core
            .config
            .policy
            .connections
            .iter()
            .find(|c| c.remote_address == Some(peer) && c.invalid_spi_recovery)
            .map(|c| c.name.clone());
        self.core.out.trace(
            now,
            0,
            Some(source),
            Trace::InvalidSpi {
                spi: format!("{spi:08x}"),
                reported: !recently && (owner.is_some() || recovery.is_some()),
            },
        );
        if recently {
            return;
        }
        match (owner, recovery) {
            (Some(cookie), _) => {
                self.invalid_spi_reports.insert(peer, now);
                let mut requests = Vec::new();
                let mut ctx = self.core.context(now, &mut requests);
                if let Some(sa) = self.sas.get_mut(&cookie) {
                    sa.send_invalid_spi(&mut ctx, spi);
                }
                self.finish(now, requests);
            }
            (None, Some(connection)) => {
                self.invalid_spi_reports.insert(peer, now);
                self.pending_invalid_spis.push((peer, spi));
                // One Phase 1 with the peer at a time: a second one would carry
                // INITIAL-CONTACT too, and the peer would drop the first with what
                // was negotiated over it (RFC 2407 4.6.3.3). The report waits for
                // whichever ISAKMP SA comes up.
                let negotiating = self
                    .sas
                    .values()
                    .any(|sa| !sa.is_established() && !sa.is_dead() && sa.remote.ip() == peer);
                if !negotiating {
                    let _ = self.start_phase1(now, &connection, Vec::new());
                }
            }
            (None, None) => {}
        }
    }

    /// Reports unknown SPIs that were waiting for an ISAKMP SA with their sender.
    pub(super) fn flush_invalid_spis(&mut self, now: Timestamp) {
        let waiting = std::mem::take(&mut self.pending_invalid_spis);
        let mut requests = Vec::new();
        let mut still_waiting = Vec::new();
        {
            let mut ctx = self.core.context(now, &mut requests);
            for (peer, spi) in waiting {
                match self.sas.values_mut().find(|sa| sa.is_established() && sa.remote.ip() == peer) {
                    Some(sa) => sa.send_invalid_spi(&mut ctx, spi),
                    None => still_waiting.push((peer, spi)),
                }
            }
        }
        self.pending_invalid_spis = still_waiting;
        self.finish(now, requests);
    }

    /// The newest active IPsec SA pair whose selectors cover a packet.
    fn newest_child_for(&self, source: IpAddr, destination: IpAddr) -> Option<u32> {
        self.children
            .iter()
            .filter(|r| {
                r.outbound_active && r.sa.local_ts.contains(source) && r.sa.remote_ts.contains(destination)
            })
            .max_by_key(|r| (r.installed_at, r.sa.inbound.spi))
            .map(|r| r.sa.inbound.spi)
    }

    /// Interesting traffic without an SA: negotiate the child policy that
    /// covers it, unless that is already under way.
    fn negotiate_for(&mut self, now: Timestamp, source: IpAddr, destination: IpAddr) -> bool {
        let wanted = self.core.config.policy.connections.iter().find_map(|connection| {
            connection
                .children
                .iter()
                .find(|child| child.local_ts.contains(source) && child.remote_ts.contains(destination))
                .map(|child| (connection.name.clone(), child.name.clone()))
        });
        let Some((connection, child)) = wanted else { return false };
        let under_way = self.children.iter().any(|r| r.sa.connection == connection && r.sa.child == child)
            || self.sas.values().any(|sa| {
                sa.connection.name == connection && (!sa.is_established() || sa.negotiating_children())
            });
        if !under_way {
            self.negotiate_child(now, &connection, &child);
        }
        true
    }

    /// Puts a new IPsec SA pair's inbound half into the ESP database (and
    /// its outbound half when already confirmed).
    pub(super) fn install_esp(&mut self, now: Timestamp, child: &NegotiatedChild, outbound_active: bool) {
        let Some(inbound) = self.esp_sa_config(child, &child.inbound) else { return };
        let transform = self.transform(child, &child.inbound);
        if let (Some(transform), Ok(window)) = (transform, ReplayWindow::new(ReplayWindow::DEFAULT_SIZE)) {
            let _ = self.esp.add_inbound(InboundSa::new(inbound, transform, window, now));
        }
        if outbound_active {
            self.activate_esp(now, child);
        }
    }

    pub(super) fn activate_esp(&mut self, now: Timestamp, child: &NegotiatedChild) {
        let (Some(config), Some(transform)) =
            (self.esp_sa_config(child, &child.outbound), self.transform(child, &child.outbound))
        else {
            return;
        };
        self.esp.add_outbound(child.inbound.spi, OutboundSa::new(config, transform, now));
    }

    pub(super) fn remove_esp(&mut self, inbound_spi: u32) {
        self.esp.remove_inbound(inbound_spi);
        self.esp.remove_outbound(&inbound_spi);
    }

    fn esp_sa_config(&self, child: &NegotiatedChild, keys: &ChildKeys) -> Option<EspSaConfig> {
        let udp = child
            .udp_encapsulated
            .then_some(UdpPorts { local: child.local.port(), peer: child.remote.port() });
        let seconds = u64::from(child.lifetime.seconds);
        let bytes = child.lifetime.kilobytes.map(|kb| u64::from(kb) * 1024);
        // Re-key at 90 % of either limit, before traffic stalls.
        let lifetime = LifetimeLimits {
            soft: Limits { seconds: Some(seconds * 9 / 10), bytes: bytes.map(|b| b * 9 / 10), packets: None },
            hard: Limits { seconds: Some(seconds), bytes, packets: None },
        };
        let config = EspSaConfig::new(keys.spi, child.mode, child.local.ip(), child.remote.ip())
            .with_lifetime(lifetime);
        Some(match udp {
            Some(udp) => config.with_udp(udp),
            None => config,
        })
    }

    fn transform(
        &self,
        child: &NegotiatedChild,
        keys: &ChildKeys,
    ) -> Option<Box<dyn crate::crypto::EspTransform>> {
        let suite = crate::crypto::EspSuite::new(
            child.proposal.cipher.encryption(),
            child.proposal.integrity.map(|i| i.integrity()),
        )
        .ok()?;
        self.core.crypto.esp_transform(suite, keys.encryption.as_bytes(), keys.integrity.as_bytes()).ok()
    }

    /// IPsec SA lifetimes from the ESP database: re-key what we initiated
    /// when soft-expired, delete on hard expiry (RFC 2407 4.5).
    /// Whether the connection re-keys before expiry (unknown ones do, as before).
    fn rekeys(&self, connection: &str) -> bool {
        self.core.config.policy.connection(connection).is_none_or(|c| c.rekey)
    }

    pub(super) fn child_timeouts(&mut self, now: Timestamp) {
        let mut expired = Vec::new();
        let mut rekey = Vec::new();
        for record in self.children.iter() {
            let spi = record.sa.inbound.spi;
            let states = [
                self.esp.inbound(spi).map(|sa| sa.lifetime_state(now)),
                self.esp.outbound(&spi).map(|sa| sa.lifetime_state(now)),
            ];
            let worst = states.into_iter().flatten().max().unwrap_or(LifetimeState::Active);
            if worst >= LifetimeState::HardExpired {
                expired.push(spi);
            } else if worst >= LifetimeState::SoftExpired && record.sa.we_initiated && !record.rekey_started {
                rekey.push((spi, record.sa.connection.clone(), record.sa.child.clone()));
            }
        }
        for spi in expired {
            self.delete_child(now, spi, "lifetime expired");
        }
        for (spi, connection, child) in rekey {
            // Marked either way: a connection without re-keying waits for the hard
            // expiry, and the soft one must not keep waking us up.
            if let Some(record) = self.children.get_mut(spi) {
                record.rekey_started = true;
            }
            if self.rekeys(&connection) {
                self.negotiate_child(now, &connection, &child);
            }
        }
    }
}

/// Whether an inner packet goes from inside `source` to inside `destination`.
fn within_selectors(packet: &[u8], source: &TrafficSelector, destination: &TrafficSelector) -> bool {
    IpPacket::parse(packet).is_ok_and(|ip| source.contains(ip.src()) && destination.contains(ip.dst()))
}
