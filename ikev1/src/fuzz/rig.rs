//! The test bench: the subject (the endpoint under test) and scripted peers
//! (honest reference endpoints on the same null crypto, so cookies, SPIs and
//! HASHes in their messages are right), a virtual clock, and a wire on which
//! a [`Script`] drops, delays, replays, mutates and forges datagrams.
//!
//! Everything the subject answers goes to the peer it is addressed to, so
//! the honest side keeps up; every call into the subject is followed by the
//! [`Watch`]'s checks.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use isakmp::Cookie;
use isakmp::natt::{NAT_T_PORT, NON_ESP_MARKER};

use super::cast::connection_name;
use super::forge::{self, Target};
use super::ledger::{Ledger, Phase1};
use super::mutate;
use super::script::{Forgery, Mutation, PeerAction, Route, Step};
use super::watch::{Cause, Watch};
use crate::config::EndpointConfig;
use crate::crypto::{CryptoProvider, NullProvider, RustCryptoProvider};
use crate::endpoint::Endpoint;
use crate::endpoint::io::{Event, Protocol, Transmit};
use crate::ip::{EchoKind, IcmpEcho};
use crate::policy::ExchangeMode;
use crate::time::Timestamp;

/// Datagrams kept for replay, and waiting per peer.
const HISTORY: usize = 64;
const PENDING: usize = 32;
/// Timer firings one wait may run through before jumping to its end.
const TIMER_ROUNDS: usize = 64;
/// Deliveries and timer rounds that let the honest exchange finish after the script.
const SETTLE_ROUNDS: usize = 32;
/// Seeds of the endpoints' randomness: fixed, so every run is reproducible.
const SUBJECT_SEED: u64 = 0x5eed_0001;
const PEER_SEED: u64 = 0x5eed_1000;

/// The cryptography the subject and the peers run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crypto {
    /// The null provider: forgeries can be authentic, and the watch checks
    /// every call (it reads HASHes as the null PRF makes them).
    Null,
    /// RustCrypto: Diffie-Hellman values are checked for real (a zero KE is
    /// refused), but only messages in the clear can be edited meaningfully
    /// and the watch stays off.
    Real,
}

pub struct Rig {
    now: Timestamp,
    subject: Endpoint,
    peers: Vec<Peer>,
    /// Every datagram a peer sent, for replays.
    history: VecDeque<Datagram>,
    lose_next_reply: bool,
    /// Every datagram the subject sent, for tests to inspect.
    sent: Vec<Transmit>,
    ledger: Ledger,
    /// `None` on real cryptography.
    watch: Option<Watch>,
}

struct Peer {
    endpoint: Endpoint,
    address: IpAddr,
    /// ICMP echoes sent through its IPsec SAs, for their sequence numbers.
    echoes_sent: u16,
    /// Sent by the peer, not delivered yet.
    pending: VecDeque<Datagram>,
}

/// A datagram between a peer and the subject: UDP (IKE, or ESP on 4500)
/// or raw ESP (IP protocol 50).
#[derive(Clone, Debug)]
struct Datagram {
    from: SocketAddr,
    to: SocketAddr,
    payload: Vec<u8>,
    protocol: Protocol,
}

impl Datagram {
    fn of(transmit: Transmit) -> Self {
        Self {
            from: transmit.local,
            to: transmit.remote,
            payload: transmit.payload,
            protocol: transmit.protocol,
        }
    }

    /// The ESP packet it carries, raw or UDP-encapsulated (RFC 3948 2.1).
    fn esp(&self) -> Option<&[u8]> {
        match self.protocol {
            Protocol::Esp => Some(&self.payload),
            Protocol::Udp if self.to.port() == NAT_T_PORT && !self.payload.starts_with(&NON_ESP_MARKER) => {
                (self.payload.len() > 1).then_some(&self.payload[..])
            }
            Protocol::Udp => None,
        }
    }

    /// The ISAKMP message it carries.
    fn isakmp(&self) -> Option<&[u8]> {
        match self.protocol {
            Protocol::Udp => super::wire::isakmp_message(self.to.port(), &self.payload),
            Protocol::Esp => None,
        }
    }
}

impl Rig {
    /// The subject and one peer per configuration, all on null crypto.
    pub fn new(subject: EndpointConfig, peers: Vec<(IpAddr, EndpointConfig)>) -> Self {
        Self::with_crypto(Crypto::Null, subject, peers)
    }

    pub fn with_crypto(
        crypto: Crypto,
        subject: EndpointConfig,
        peers: Vec<(IpAddr, EndpointConfig)>,
    ) -> Self {
        let provider = || -> Box<dyn CryptoProvider> {
            match crypto {
                Crypto::Null => Box::new(NullProvider::new()),
                Crypto::Real => Box::new(RustCryptoProvider::new()),
            }
        };
        let endpoint = |config, seed| Endpoint::with_crypto(config, seed, provider());
        let peers = peers
            .into_iter()
            .enumerate()
            .map(|(i, (address, config))| Peer {
                endpoint: endpoint(config, PEER_SEED + i as u64),
                address,
                echoes_sent: 0,
                pending: VecDeque::new(),
            })
            .collect();
        Self {
            now: Timestamp::ZERO,
            subject: endpoint(subject, SUBJECT_SEED),
            peers,
            history: VecDeque::new(),
            lose_next_reply: false,
            sent: Vec::new(),
            ledger: Ledger::default(),
            watch: (crypto == Crypto::Null).then(Watch::default),
        }
    }

    pub fn subject(&self) -> &Endpoint {
        &self.subject
    }

    /// Every datagram the subject has sent so far.
    pub fn sent(&self) -> &[Transmit] {
        &self.sent
    }

    /// The subject starts a connection, as an operator would.
    pub fn subject_initiates(&mut self, connection: &str) {
        let _ = self.subject.initiate(self.now, connection);
        self.after_subject_call(Cause::Command);
    }

    pub fn run(&mut self, step: &Step) {
        match step {
            Step::Deliver { route, mutation } => {
                if let Some(datagram) = self.next_pending() {
                    self.deliver(datagram, *route, mutation);
                }
            }
            Step::Drop => {
                self.next_pending();
            }
            Step::Replay { pick, mutation } => {
                let picked = self.history.get(usize::from(*pick) % self.history.len().max(1)).cloned();
                if let Some(datagram) = picked {
                    self.deliver(datagram, Route::AsSent, mutation);
                }
            }
            Step::Wait { amount, unit } => self.advance(Step::wait_duration(*amount, *unit)),
            Step::LoseReply => self.lose_next_reply = true,
            Step::Forge(forgery) => self.forge(forgery),
            Step::Peer { peer, action } => self.peer_acts(usize::from(*peer), *action),
            Step::Settle => self.settle(),
            Step::Datagram(bytes) => self.stranger_sends(bytes),
        }
    }

    /// Bytes from the first peer's address to the subject's port 500.
    fn stranger_sends(&mut self, bytes: &[u8]) {
        let Some(peer) = self.peers.first() else { return };
        let from = SocketAddr::new(peer.address, isakmp::natt::IKE_PORT);
        let to = SocketAddr::new(self.subject_address(), isakmp::natt::IKE_PORT);
        self.deliver_raw(from, to, bytes.to_vec());
    }

    /// The address the subject's connections are configured on.
    fn subject_address(&self) -> IpAddr {
        let connections = &self.subject.config().policy.connections;
        connections.first().map_or(IpAddr::from([0, 0, 0, 0]), |c| c.local_address)
    }

    /// Lets the honest exchanges finish: delivers what the peers still have
    /// to say, and lets time run (for retransmissions) while some Phase 1 is
    /// still negotiating, within bounds.
    pub fn settle(&mut self) {
        for _ in 0..SETTLE_ROUNDS {
            if let Some(datagram) = self.next_pending() {
                self.deliver(datagram, Route::AsSent, &Mutation::None);
            } else if let Some(next) = self.next_timer().filter(|_| self.negotiating()) {
                self.advance(next.saturating_since(self.now).min(Duration::from_secs(600)));
            } else {
                return;
            }
        }
    }

    /// Whether any endpoint has a Phase 1 in progress.
    fn negotiating(&self) -> bool {
        let endpoints = self.peers.iter().map(|peer| &peer.endpoint).chain([&self.subject]);
        endpoints.flat_map(Endpoint::isakmp_sa_rows).any(|row| row.status == "NEGOTIATING")
    }

    /// The oldest datagram any peer has waiting.
    fn next_pending(&mut self) -> Option<Datagram> {
        self.peers.iter_mut().find_map(|peer| peer.pending.pop_front())
    }

    fn deliver(&mut self, datagram: Datagram, route: Route, mutation: &Mutation) {
        if datagram.esp().is_some() {
            // Byte edits only: an ESP packet has no payload chain to edit.
            let mut payload = datagram.payload;
            mutate::apply(mutation, &mut payload);
            return self.deliver_esp(Datagram { payload, ..datagram });
        }
        let Some(mut message) = datagram.isakmp().map(<[u8]>::to_vec) else {
            return self.deliver_raw(datagram.from, datagram.to, datagram.payload);
        };
        let (mut from, mut to) = (datagram.from, datagram.to);
        mutate::apply(mutation, &mut message);
        match route {
            Route::AsSent => {}
            Route::NatT => {
                from.set_port(NAT_T_PORT);
                to.set_port(NAT_T_PORT);
            }
            Route::Rebound => from.set_port(from.port().wrapping_add(1000)),
        }
        let payload =
            if to.port() == NAT_T_PORT { [&NON_ESP_MARKER[..], &message].concat() } else { message };
        self.deliver_raw(from, to, payload);
    }

    fn deliver_raw(&mut self, from: SocketAddr, to: SocketAddr, payload: Vec<u8>) {
        let opened = self.ledger.record(to.port(), &payload).cloned();
        self.subject.handle_datagram(self.now, to, from, &payload);
        self.after_subject_call(Cause::Datagram(opened.as_ref()));
    }

    fn deliver_esp(&mut self, datagram: Datagram) {
        match datagram.protocol {
            Protocol::Esp => {
                self.subject.handle_esp(self.now, datagram.from.ip(), datagram.to.ip(), &datagram.payload)
            }
            Protocol::Udp => {
                self.subject.handle_datagram(self.now, datagram.to, datagram.from, &datagram.payload)
            }
        }
        self.after_subject_call(Cause::Esp(&datagram.payload));
    }

    /// Drains what the subject produced, checks it, and hands its datagrams
    /// to the peers they are addressed to.
    fn after_subject_call(&mut self, cause: Cause<'_>) {
        let transmits: Vec<Transmit> = std::iter::from_fn(|| self.subject.poll_transmit()).collect();
        let events: Vec<Event> = std::iter::from_fn(|| self.subject.poll_event()).collect();
        if let Some(watch) = self.watch.as_mut() {
            watch.observe((&self.subject, self.now), cause, &events, &transmits, &self.ledger);
        }
        self.sent.extend(transmits.iter().cloned());
        for transmit in transmits {
            if std::mem::take(&mut self.lose_next_reply) {
                continue;
            }
            let now = self.now;
            let Some(peer) = self.peers.iter_mut().find(|p| p.address == transmit.remote.ip()) else {
                continue;
            };
            match transmit.protocol {
                Protocol::Udp => {
                    peer.endpoint.handle_datagram(now, transmit.remote, transmit.local, &transmit.payload)
                }
                Protocol::Esp => peer.endpoint.handle_esp(
                    now,
                    transmit.local.ip(),
                    transmit.remote.ip(),
                    &transmit.payload,
                ),
            }
            self.collect_peer_output();
        }
    }

    /// Queues what the peers sent and forgets their events.
    fn collect_peer_output(&mut self) {
        for peer in &mut self.peers {
            while let Some(transmit) = peer.endpoint.poll_transmit() {
                let datagram = Datagram::of(transmit);
                push_bounded(&mut self.history, datagram.clone(), HISTORY);
                push_bounded(&mut peer.pending, datagram, PENDING);
            }
            while peer.endpoint.poll_event().is_some() {}
        }
    }

    /// Runs the clock forward, firing every timer on the way (up to a bound).
    fn advance(&mut self, span: Duration) {
        let end = self.now + span;
        for _ in 0..TIMER_ROUNDS {
            match self.next_timer().filter(|at| *at <= end) {
                Some(at) => self.fire_timers(at.max(self.now)),
                None => break,
            }
        }
        self.fire_timers(end);
    }

    fn next_timer(&self) -> Option<Timestamp> {
        let peers = self.peers.iter().filter_map(|peer| peer.endpoint.poll_timeout());
        peers.chain(self.subject.poll_timeout()).min()
    }

    fn fire_timers(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
        let now = self.now;
        for peer in &mut self.peers {
            if peer.endpoint.poll_timeout().is_some_and(|at| at <= now) {
                peer.endpoint.handle_timeout(now);
            }
        }
        self.collect_peer_output();
        if self.subject.poll_timeout().is_some_and(|at| at <= now) {
            self.subject.handle_timeout(now);
            let next = self.subject.poll_timeout();
            assert!(
                next.is_none_or(|at| at > now),
                "a timer is still due after handle_timeout({now}): {next:?}"
            );
            self.after_subject_call(Cause::Timer);
        }
    }

    fn peer_acts(&mut self, peer: usize, action: PeerAction) {
        let now = self.now;
        let count = self.peers.len().max(1);
        let Some(peer) = self.peers.get_mut(peer % count) else { return };
        let endpoint = &mut peer.endpoint;
        let main = connection_name(ExchangeMode::Main, 0);
        // An unknown connection cannot happen: every peer has both.
        match action {
            PeerAction::InitiateMain => {
                let _ = endpoint.initiate(now, &main);
            }
            PeerAction::InitiateAggressive => {
                let _ = endpoint.initiate(now, &connection_name(ExchangeMode::Aggressive, 0));
            }
            PeerAction::DeleteMain => endpoint.delete_connection(now, &main),
            PeerAction::Shutdown => endpoint.shutdown(now),
            PeerAction::Reboot => endpoint.forget_all(),
            PeerAction::SendTraffic => {
                peer.echoes_sent = peer.echoes_sent.wrapping_add(1);
                if let Some(packet) = echo_request(endpoint, peer.echoes_sent) {
                    let _ = endpoint.send_inner(now, &packet);
                }
            }
        }
        self.collect_peer_output();
    }

    /// A peer starts one of its connections.
    pub fn peer_initiates(&mut self, peer: usize, mode: ExchangeMode) {
        let action = match mode {
            ExchangeMode::Main => PeerAction::InitiateMain,
            ExchangeMode::Aggressive => PeerAction::InitiateAggressive,
        };
        self.peer_acts(peer, action);
    }

    fn forge(&mut self, forgery: &Forgery) {
        let Some((target, from, to)) = self.forgery_target(forgery.sa) else { return };
        let message = forge::forge(forgery, &target);
        let payload =
            if to.port() == NAT_T_PORT { [&NON_ESP_MARKER[..], &message].concat() } else { message };
        self.deliver_raw(from, to, payload);
    }

    /// The SAs a forgery may speak for: the subject's established ones, and
    /// the one the last peer datagram belongs to (possibly half-open).
    fn forgery_target(&self, pick: u8) -> Option<(Target, SocketAddr, SocketAddr)> {
        let last = self.history.iter().rev().find(|datagram| datagram.isakmp().is_some());
        let current_message_id = last.and_then(message_id).unwrap_or(0);
        let mut candidates: Vec<((Cookie, Cookie), usize, SocketAddr, SocketAddr)> = Vec::new();
        let mut established = self.subject.established();
        established.sort_by_key(|info| info.conn_id);
        for info in &established {
            if let Some(sa) = Phase1::from_info(info) {
                candidates.push(((sa.initiator, sa.responder), sa.hash_len, info.remote, info.local));
            }
        }
        if let Some((datagram, cookies)) = last.and_then(|d| header_cookies(d).map(|c| (d, c))) {
            candidates.push((cookies, 32, datagram.from, datagram.to));
        }
        let (cookies, hash_len, from, to) = *candidates.get(usize::from(pick) % candidates.len().max(1))?;
        let sas = self.subject.ipsec_sas();
        let spis = |f: fn(&crate::child_sa::IpsecSaInfo) -> &String| {
            sas.iter().filter_map(|sa| u32::from_str_radix(f(sa), 16).ok()).collect()
        };
        let target = Target {
            cookies,
            hash_len,
            current_message_id,
            inbound_spis: spis(|sa| &sa.inbound_spi),
            outbound_spis: spis(|sa| &sa.outbound_spi),
        };
        Some((target, from, to))
    }
}

/// An ICMP echo request between the inner hosts of a peer's first child policy.
fn echo_request(endpoint: &Endpoint, sequence: u16) -> Option<Vec<u8>> {
    let connection = endpoint.config().policy.connections.first()?;
    let child = connection.children.first()?;
    let echo = IcmpEcho { kind: EchoKind::Request, identifier: 0x1ce, sequence, data: b"ikelab-fuzz" };
    echo.to_packet(child.local_ts.address, child.remote_ts.address).ok()
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, bound: usize) {
    if queue.len() == bound {
        queue.pop_front();
    }
    queue.push_back(item);
}

fn isakmp_header(datagram: &Datagram) -> Option<isakmp::RawHeader> {
    isakmp::RawHeader::peek(datagram.isakmp()?).ok()
}

fn header_cookies(datagram: &Datagram) -> Option<(Cookie, Cookie)> {
    isakmp_header(datagram).map(|raw| (raw.header.initiator_cookie, raw.header.responder_cookie))
}

fn message_id(datagram: &Datagram) -> Option<u32> {
    isakmp_header(datagram).map(|raw| raw.header.message_id.0)
}
