//! The invariants, checked after every call into the subject. Each failure
//! panics with what went wrong: that is how a fuzzer learns of a finding.
//!
//! - Every SA the subject reports up really completed its exchange, as the
//!   [`Ledger`] saw it delivered, and is reported once.
//! - The event stream and the subject's tables agree.
//! - An established SA disappears on a datagram only when that datagram is
//!   an authentic Delete (or INVALID-SPI) for it from its own peer, or a new
//!   Phase 1 with that peer carried INITIAL-CONTACT.
//! - An Informational that is not authentic gets no answer; an authentic
//!   R-U-THERE gets its ACK (RFC 3706 5).
//! - An ESP packet yields an inner packet only if it is authentic (its ICV
//!   is the null transform's), for an SPI of ours, never twice for one
//!   sequence number (RFC 4303 3.4.3), and only inside the IPsec SA's
//!   traffic selectors (RFC 4301 5.2).
//! - State and output stay bounded; timers never fall due and stay due.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use isakmp::numbers::{ExchangeType, NotifyType, ProtocolId};
use isakmp::{Cookie, PayloadBody};

use super::ledger::{Ledger, Phase1, cookie_from_hex};
use super::wire::{Opened, isakmp_message};
use crate::endpoint::Endpoint;
use crate::endpoint::io::{Event, IkeSaInfo, Transmit};
use crate::time::Timestamp;

/// Set to print every call's cause, events (IOS trace lines) and datagrams
/// while an input runs (the explain_fuzz_input example does).
pub const TRACE_VARIABLE: &str = "IKELAB_FUZZ_TRACE";

/// Bytes the subject may send in answer to one input.
pub const MAX_BYTES_PER_CALL: usize = 64 * 1024;

/// What caused a call into the subject.
pub enum Cause<'a> {
    /// A datagram, as the ledger read it (`None`: no readable ISAKMP message).
    Datagram(Option<&'a Opened>),
    Timer,
    /// An operator command (initiate).
    Command,
    /// An ESP packet (raw, or the UDP payload on port 4500).
    Esp(&'a [u8]),
}

/// What the watch knows of the subject's established SAs, from its events.
#[derive(Default)]
pub struct Watch {
    /// Established IKE SAs by cookies.
    ike: BTreeMap<(Cookie, Cookie), IkeRecord>,
    /// Every IKE SA ever established, by conn-id: an IPsec SA may outlive
    /// the IKE SA that negotiated it (RFC 2409 leaves them independent).
    ever: BTreeMap<u32, IkeRecord>,
    /// By inbound SPI.
    ipsec: BTreeMap<u32, IpsecRecord>,
    /// (inbound SPI, sequence number) of every ESP packet that yielded an
    /// inner packet.
    accepted_esp: BTreeSet<(u32, u32)>,
}

#[derive(Clone, Copy, Debug)]
struct IkeRecord {
    phase1: Phase1,
    conn_id: u32,
    peer: IpAddr,
}

#[derive(Clone, Copy, Debug)]
struct IpsecRecord {
    outbound_spi: u32,
    peer: IpAddr,
}

impl Watch {
    /// Checks one call's events and datagrams, then the subject's state.
    pub fn observe(
        &mut self,
        (subject, now): (&Endpoint, Timestamp),
        cause: Cause<'_>,
        events: &[Event],
        transmits: &[Transmit],
        ledger: &Ledger,
    ) {
        if std::env::var_os(TRACE_VARIABLE).is_some() {
            print_call(&cause, events, transmits);
        }
        let before_ike = self.ike.clone();
        let before_ipsec = self.ipsec.clone();
        for event in events {
            self.on_event(event, ledger);
        }
        if let Cause::Datagram(Some(opened)) = cause {
            let reestablished: Vec<IpAddr> = events
                .iter()
                .filter_map(|event| match event {
                    Event::IkeSaEstablished(info) => Some(info.remote.ip()),
                    _ => None,
                })
                .collect();
            for (cookies, record) in before_ike.iter().filter(|(c, _)| !self.ike.contains_key(c)) {
                let deleted = authentic_for(opened, &record.phase1) && deletes_isakmp_sa(opened, *cookies);
                assert!(
                    deleted || reestablished.contains(&record.peer),
                    "IKE SA {}/{} vanished on a datagram that does not delete it: {opened:?}",
                    cookies.0,
                    cookies.1
                );
            }
            for (spi, record) in before_ipsec.iter().filter(|(spi, _)| !self.ipsec.contains_key(spi)) {
                let dropped = before_ike.values().any(|sa| {
                    sa.peer == record.peer
                        && authentic_for(opened, &sa.phase1)
                        && drops_ipsec_sa(opened, record.outbound_spi)
                });
                assert!(
                    dropped || reestablished.contains(&record.peer),
                    "IPsec SA {spi:08x} (peer {}) vanished on a datagram that does not drop it: {opened:?}",
                    record.peer
                );
            }
            self.check_informational_answer(opened, &before_ike, transmits);
        }
        let inner_packets = events.iter().filter_map(|event| match event {
            Event::InnerPacket { inbound_spi, packet, .. } => Some((*inbound_spi, packet)),
            _ => None,
        });
        for (inbound_spi, inner) in inner_packets {
            let Cause::Esp(packet) = cause else {
                panic!("an inner packet out of no ESP packet: {inner:02x?}")
            };
            self.check_inner_packet((subject, now), packet, inbound_spi, inner);
        }
        self.check_tables(subject);
        check_bounds(subject, transmits);
    }

    fn on_event(&mut self, event: &Event, ledger: &Ledger) {
        match event {
            Event::IkeSaEstablished(info) => {
                let phase1 = Phase1::from_info(info)
                    .unwrap_or_else(|| panic!("an established SA names its cookies and proposal: {info:?}"));
                if let Err(missing) = ledger.phase1_completed(&phase1) {
                    panic!("IKE SA reported established, but its {missing} never arrived: {info:?}");
                }
                let record = IkeRecord { phase1, conn_id: info.conn_id, peer: info.remote.ip() };
                self.ever.insert(info.conn_id, record);
                let previous = self.ike.insert((phase1.initiator, phase1.responder), record);
                assert!(previous.is_none(), "IKE SA reported established twice: {info:?}");
            }
            Event::IkeSaDeleted { conn_id, .. } => {
                let before = self.ike.len();
                self.ike.retain(|_, record| record.conn_id != *conn_id);
                assert_eq!(self.ike.len() + 1, before, "IKE SA {conn_id} deleted but never reported up");
            }
            Event::IpsecSaEstablished(info) => {
                let sa = self.ever.get(&info.conn_id).copied();
                let sa = sa.unwrap_or_else(|| panic!("IPsec SA up on no established IKE SA: {info:?}"));
                let (inbound, outbound) = (spi_from_hex(&info.inbound_spi), spi_from_hex(&info.outbound_spi));
                assert!(
                    ledger.quick_mode_completed(&sa.phase1, outbound, info.we_initiated),
                    "IPsec SA reported established without a completed Quick Mode: {info:?}"
                );
                let record = IpsecRecord { outbound_spi: outbound, peer: sa.peer };
                assert!(self.ipsec.insert(inbound, record).is_none(), "IPsec SA reported twice: {info:?}");
            }
            Event::IpsecSaDeleted { inbound_spi, .. } => {
                self.ipsec.remove(&spi_from_hex(inbound_spi));
            }
            _ => {}
        }
    }

    /// RFC 2409 5.7: an Informational on an established SA is taken only
    /// with a valid HASH(1); unauthentic ones are dropped unanswered. An
    /// authentic R-U-THERE is answered with its sequence number (RFC 3706 5).
    fn check_informational_answer(
        &self,
        opened: &Opened,
        before: &BTreeMap<(Cookie, Cookie), IkeRecord>,
        transmits: &[Transmit],
    ) {
        let cookies = (opened.header.initiator_cookie, opened.header.responder_cookie);
        let Some(sa) = before.get(&cookies) else { return };
        if opened.header.exchange != ExchangeType::INFORMATIONAL {
            return;
        }
        if !authentic_for(opened, &sa.phase1) {
            assert!(transmits.is_empty(), "answered an unauthentic Informational {opened:?}: {transmits:?}");
            return;
        }
        for sequence in notifications(opened, NotifyType::R_U_THERE).filter_map(|n| n.dpd_sequence()) {
            let acked = transmits.iter().filter_map(|t| read_transmit(t, &sa.phase1)).any(|answer| {
                notifications(&answer, NotifyType::R_U_THERE_ACK).any(|n| n.dpd_sequence() == Some(sequence))
            });
            assert!(acked, "R-U-THERE {sequence} unanswered: {transmits:?}");
        }
    }

    /// RFC 4303 3.4 and RFC 4301 5.2: what an accepted ESP packet must be.
    fn check_inner_packet(
        &mut self,
        (subject, now): (&Endpoint, Timestamp),
        esp: &[u8],
        inbound_spi: u32,
        inner: &[u8],
    ) {
        let header = isakmp::esp::EspPacket::parse(esp).expect("an accepted ESP packet parses");
        assert_eq!(header.spi, inbound_spi, "inner packet of another SPI than the packet's");
        // Every ICV the null transform makes is zeros, as long as any suite's.
        let icv = &esp[esp.len().saturating_sub(NULL_ICV_LEN)..];
        assert!(icv.iter().all(|&b| b == 0), "ESP accepted with an ICV that does not verify: {esp:02x?}");
        assert!(
            self.accepted_esp.insert((inbound_spi, header.sequence)),
            "ESP sequence {} on SPI {inbound_spi:08x} accepted twice (replay)",
            header.sequence
        );
        // Installed IPsec SAs, confirmed or not: a Quick Mode responder
        // receives on its inbound SA before QM3 arrives (RFC 2409 5.5).
        let sa = subject.show_ipsec_sa(now).into_iter().find(|sa| sa.inbound.spi == inbound_spi);
        let sa = sa.unwrap_or_else(|| panic!("inner packet on SPI {inbound_spi:08x}, which no IPsec SA has"));
        let packet = crate::ip::IpPacket::parse(inner).expect("an inner packet is an IP packet");
        let (source, destination) = (packet.src(), packet.dst());
        assert!(
            selector(&sa.remote_ts).contains(source) && selector(&sa.local_ts).contains(destination),
            "inner packet {source} -> {destination} outside the SA's selectors {} <- {}",
            sa.local_ts,
            sa.remote_ts
        );
    }

    /// The subject's tables say what its events said.
    fn check_tables(&self, subject: &Endpoint) {
        let mut established: Vec<(Cookie, Cookie)> = subject.established().iter().map(cookies_of).collect();
        established.sort();
        let reported: Vec<(Cookie, Cookie)> = self.ike.keys().copied().collect();
        assert_eq!(established, reported, "established IKE SAs disagree with the events");
        let mut active: Vec<u32> =
            subject.ipsec_sas().iter().map(|sa| spi_from_hex(&sa.inbound_spi)).collect();
        active.sort();
        let reported: Vec<u32> = self.ipsec.keys().copied().collect();
        assert_eq!(active, reported, "IPsec SAs in use disagree with the events");
    }
}

/// The subject keeps within its configured limits.
fn check_bounds(subject: &Endpoint, transmits: &[Transmit]) {
    let (footprint, limits) = (subject.footprint(), subject.config().limits);
    assert!(footprint.half_open <= limits.max_half_open, "half-open SAs beyond the limit: {footprint:?}");
    assert!(
        footprint.max_quick_modes_per_sa <= limits.max_quick_modes_per_sa,
        "Quick Mode exchanges of one SA beyond the limit: {footprint:?}"
    );
    let bytes: usize = transmits.iter().map(|t| t.payload.len()).sum();
    assert!(bytes <= MAX_BYTES_PER_CALL, "{bytes} bytes sent in answer to one input");
}

/// An Informational protected by this SA (RFC 2409 5.7).
fn authentic_for(opened: &Opened, sa: &Phase1) -> bool {
    opened.header.exchange == ExchangeType::INFORMATIONAL && sa.protects(opened)
}

/// RFC 2408 3.15: an ISAKMP SA is deleted by naming both its cookies.
fn deletes_isakmp_sa(opened: &Opened, (initiator, responder): (Cookie, Cookie)) -> bool {
    let spi = [initiator.0, responder.0].concat();
    deletes(opened, ProtocolId::ISAKMP).any(|named| named == spi.as_slice())
}

/// The peer deletes (RFC 2408 3.15) or declares invalid (3.14.1) the SA it
/// receives on: our outbound SPI.
fn drops_ipsec_sa(opened: &Opened, outbound_spi: u32) -> bool {
    let spi = outbound_spi.to_be_bytes();
    deletes(opened, ProtocolId::ESP).any(|named| named == spi)
        || notifications(opened, NotifyType::INVALID_SPI)
            .any(|n| n.protocol == ProtocolId::ESP && n.spi == spi)
}

fn deletes(opened: &Opened, protocol: ProtocolId) -> impl Iterator<Item = &[u8]> {
    opened.payloads.iter().flat_map(move |payload| match &payload.body {
        PayloadBody::Delete(delete) if delete.protocol == protocol => delete.spis.iter().collect(),
        _ => Vec::new(),
    })
}

fn notifications(
    opened: &Opened,
    notify: NotifyType,
) -> impl Iterator<Item = &isakmp::payload::Notification> {
    opened.payloads.iter().filter_map(move |payload| match &payload.body {
        PayloadBody::Notification(n) if n.notify_type == notify => Some(n),
        _ => None,
    })
}

/// A datagram the subject sent on `sa`, read with the null crypto.
fn read_transmit(transmit: &Transmit, sa: &Phase1) -> Option<Opened> {
    let opened = isakmp_message(transmit.local.port(), &transmit.payload).and_then(Opened::open)?;
    let header = &opened.header;
    ((header.initiator_cookie, header.responder_cookie) == (sa.initiator, sa.responder)).then_some(opened)
}

fn cookies_of(info: &IkeSaInfo) -> (Cookie, Cookie) {
    let cookie = |text: &str| cookie_from_hex(text).unwrap_or_else(|| panic!("a cookie: {text}"));
    (cookie(&info.initiator_cookie), cookie(&info.responder_cookie))
}

/// `198.51.100.1/32`, as `IpsecSaInfo` prints a selector.
fn selector(text: &str) -> crate::policy::TrafficSelector {
    let parsed = text
        .split_once('/')
        .and_then(|(address, prefix)| Some((address.parse().ok()?, prefix.parse().ok()?)));
    let (address, prefix) = parsed.unwrap_or_else(|| panic!("a selector: {text}"));
    crate::policy::TrafficSelector::subnet(address, prefix)
}

/// The ICV length of every ESP suite the bench negotiates (HMAC-SHA-256-128, GCM-16).
const NULL_ICV_LEN: usize = 16;

fn spi_from_hex(text: &str) -> u32 {
    u32::from_str_radix(text, 16).unwrap_or_else(|_| panic!("an SPI: {text}"))
}

fn print_call(cause: &Cause<'_>, events: &[Event], transmits: &[Transmit]) {
    match cause {
        Cause::Datagram(Some(opened)) => eprintln!("<- {:?} {:?}", opened.header, opened.payloads),
        Cause::Datagram(None) => eprintln!("<- (no readable ISAKMP message)"),
        Cause::Timer => eprintln!("<- timer"),
        Cause::Command => eprintln!("<- command"),
        Cause::Esp(packet) => eprintln!("<- ESP {} bytes", packet.len()),
    }
    for event in events {
        match event {
            Event::Trace(trace) => {
                crate::trace::ios::render(trace).iter().for_each(|line| eprintln!("   {line}"))
            }
            other => eprintln!("   {other:?}"),
        }
    }
    for transmit in transmits {
        eprintln!("-> {} bytes to {}", transmit.payload.len(), transmit.remote);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EndpointConfig;

    fn reported_up() -> Event {
        Event::IkeSaEstablished(IkeSaInfo {
            conn_id: 1001,
            connection: "main-0".into(),
            local: "192.0.2.2:500".parse().unwrap(),
            remote: "192.0.2.1:500".parse().unwrap(),
            initiator_cookie: "0101010101010101".into(),
            responder_cookie: "0202020202020202".into(),
            proposal: "aes128-sha256-modp1024".into(),
            lifetime_secs: 3600,
            nat_detected: false,
            aggressive: false,
            we_initiated: false,
        })
    }

    #[test]
    #[should_panic(expected = "its MM1 never arrived")]
    fn an_sa_reported_up_without_its_exchange_is_a_finding() {
        let subject = Endpoint::new(EndpointConfig::default(), 1);
        let events = [reported_up()];
        Watch::default().observe((&subject, Timestamp::ZERO), Cause::Timer, &events, &[], &Ledger::default());
    }

    #[test]
    #[should_panic(expected = "disagree with the events")]
    fn tables_that_disagree_with_the_events_are_a_finding() {
        let subject = Endpoint::new(EndpointConfig::default(), 1);
        let mut watch = Watch::default();
        let phase1 = Phase1 {
            initiator: Cookie([1; 8]),
            responder: Cookie([2; 8]),
            hash_len: 32,
            block_len: 16,
            aggressive: false,
            we_initiated: false,
        };
        let record = IkeRecord { phase1, conn_id: 1001, peer: "192.0.2.1".parse().unwrap() };
        watch.ike.insert((phase1.initiator, phase1.responder), record);
        watch.observe((&subject, Timestamp::ZERO), Cause::Timer, &[], &[], &Ledger::default());
    }
}
