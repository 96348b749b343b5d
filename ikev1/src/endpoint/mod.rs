//! The sans-IO endpoint: the caller passes time and datagrams in and takes
//! datagrams and events out (DESIGN.md, "ikev1 (engine)").
//!
//! ```text
//! let mut endpoint = Endpoint::new(config, seed);
//! endpoint.initiate(now, "peer-b")?;
//! while let Some(transmit) = endpoint.poll_transmit() { /* send it */ }
//! endpoint.handle_datagram(now, local, remote, &bytes);
//! endpoint.handle_timeout(now);   // at or after endpoint.poll_timeout()
//! while let Some(event) = endpoint.poll_event() { /* SA up/down, traces */ }
//! ```

mod children;
mod data_path;
mod footprint;
pub mod io;
mod key_export;
mod views;

pub use data_path::SendError;
pub use key_export::{EspSaKeys, IkeSaKeys, KeyMaterial};

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};

use isakmp::natt::{NAT_T_PORT, Port4500};
use isakmp::numbers::ExchangeType;
use isakmp::{Cookie, Message, RawHeader};

use crate::config::EndpointConfig;
use crate::counters::{Counters, DropReason};
use crate::crypto::{CryptoProvider, RustCryptoProvider};
use crate::esp::SaDatabase;
use crate::ike_sa::{self, Context, IkeSa, Request};
use crate::policy::{Connection, ExchangeMode};
use crate::random::EngineRng;
use crate::time::Timestamp;
use crate::trace::show::IsakmpSaRow;
use crate::trace::{Role, Trace};
use children::{ChildRecord, Children};
pub use footprint::Footprint;
use io::{Event, Outbox, Transmit};

/// The first IOS conn-id handed out.
const FIRST_CONN_ID: u32 = 1001;

pub struct Endpoint {
    core: Core,
    /// IKE SAs by the cookie we chose.
    sas: BTreeMap<Cookie, IkeSa>,
    children: Children,
    /// ESP SAs: inbound by SPI, outbound by the pair's inbound SPI.
    esp: SaDatabase<u32>,
    /// When each (peer, unknown SPI) was last reported, to rate-limit.
    invalid_spi_reports: BTreeMap<IpAddr, Timestamp>,
    /// Unknown SPIs waiting for an ISAKMP SA with their sender.
    pending_invalid_spis: Vec<(IpAddr, u32)>,
}

/// Everything an SA may use while it works, kept apart from the SA table so
/// both can be borrowed at once.
struct Core {
    config: EndpointConfig,
    crypto: Box<dyn CryptoProvider>,
    rng: EngineRng,
    out: Outbox,
    next_conn_id: u32,
    spis: BTreeSet<u32>,
}

impl Core {
    fn context<'a>(&'a mut self, now: Timestamp, requests: &'a mut Vec<Request>) -> Context<'a> {
        Context {
            now,
            config: &self.config,
            crypto: self.crypto.as_ref(),
            rng: &mut self.rng,
            out: &mut self.out,
            next_conn_id: &mut self.next_conn_id,
            requests,
            spis: &mut self.spis,
        }
    }

    /// RFC 2408 5.2: messages for no SA of ours are discarded (INVALID-COOKIE
    /// MAY be sent; we do not answer unauthenticated strangers).
    fn refuse(&mut self, now: Timestamp, remote: SocketAddr, reason: DropReason, detail: String) {
        self.out.counters.drop(reason);
        self.out.trace(now, 0, Some(remote), Trace::Dropped { reason, detail });
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InitiateError {
    UnknownConnection(String),
    /// A responder-only connection has no peer address to initiate to.
    NoPeerAddress(String),
}

impl core::fmt::Display for InitiateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::UnknownConnection(name) => write!(f, "no connection named {name}"),
            Self::NoPeerAddress(name) => write!(f, "connection {name} has no peer address"),
        }
    }
}

impl std::error::Error for InitiateError {}

impl Endpoint {
    /// An endpoint on real cryptography, all randomness drawn from `seed`.
    pub fn new(config: EndpointConfig, seed: u64) -> Self {
        Self::with_crypto(config, seed, Box::new(RustCryptoProvider::new()))
    }

    pub fn with_crypto(config: EndpointConfig, seed: u64, crypto: Box<dyn CryptoProvider>) -> Self {
        let core = Core {
            config,
            crypto,
            rng: EngineRng::from_seed(seed),
            out: Outbox::default(),
            next_conn_id: FIRST_CONN_ID,
            spis: BTreeSet::new(),
        };
        Self {
            core,
            sas: BTreeMap::new(),
            children: Children::default(),
            esp: SaDatabase::new(),
            invalid_spi_reports: BTreeMap::new(),
            pending_invalid_spis: Vec::new(),
        }
    }

    pub fn config(&self) -> &EndpointConfig {
        &self.core.config
    }

    pub fn counters(&self) -> &Counters {
        &self.core.out.counters
    }

    /// Brings a connection up: Phase 1, then Quick Mode for each child policy.
    pub fn initiate(&mut self, now: Timestamp, connection: &str) -> Result<(), InitiateError> {
        let children = self.connection(connection)?.children.iter().map(|c| c.name.clone()).collect();
        self.start_phase1(now, connection, children)
    }

    fn connection(&self, name: &str) -> Result<&Connection, InitiateError> {
        self.core
            .config
            .policy
            .connection(name)
            .ok_or_else(|| InitiateError::UnknownConnection(name.to_owned()))
    }

    /// A new Phase 1 from port 500, to negotiate `children` once up.
    fn start_phase1(
        &mut self,
        now: Timestamp,
        name: &str,
        children: Vec<String>,
    ) -> Result<(), InitiateError> {
        let mut connection = self.connection(name)?.clone();
        let remote =
            connection.remote_address.ok_or_else(|| InitiateError::NoPeerAddress(connection.name.clone()))?;
        // RFC 2407 4.6.3.3: INITIAL-CONTACT says this is the first SA with
        // the peer; sent in a re-key it makes the peer drop the SA we keep.
        if self.sas.values().any(|sa| sa.is_established() && sa.remote.ip() == remote) {
            connection.initial_contact = false;
        }
        let local = SocketAddr::new(connection.local_address, isakmp::natt::IKE_PORT);
        let remote = SocketAddr::new(remote, isakmp::natt::IKE_PORT);
        let mut requests = Vec::new();
        let mut ctx = self.core.context(now, &mut requests);
        let mut sa = match connection.exchange {
            ExchangeMode::Main => ike_sa::initiate_main(&mut ctx, &connection, local, remote),
            ExchangeMode::Aggressive => ike_sa::initiate_aggressive(&mut ctx, &connection, local, remote),
        };
        sa.children_to_start = children;
        self.sas.insert(sa.own_cookie(), sa);
        self.finish(now, requests);
        Ok(())
    }

    /// A UDP datagram that arrived on `local` (port 500 or 4500) from `remote`.
    pub fn handle_datagram(
        &mut self,
        now: Timestamp,
        local: SocketAddr,
        remote: SocketAddr,
        datagram: &[u8],
    ) {
        self.core.out.counters.datagrams_received += 1;
        let message = if local.port() == NAT_T_PORT {
            match Port4500::classify(datagram) {
                Ok(Port4500::Ike(message)) => message,
                Ok(Port4500::Keepalive) => return self.core.out.counters.drop(DropReason::NotIke),
                Ok(Port4500::Esp(packet)) => return self.receive_esp(now, remote, local, packet),
                Err(error) => return self.core.refuse(now, remote, DropReason::Malformed, error.to_string()),
            }
        } else {
            datagram
        };
        let raw = match RawHeader::peek(message) {
            Ok(raw) => raw,
            Err(error) => return self.core.refuse(now, remote, DropReason::Malformed, error.to_string()),
        };
        // RFC 2408 5.2: a major version we do not speak is discarded.
        if raw.header.version.major() != 1 {
            let detail = format!("version {}", raw.header.version);
            return self.core.refuse(now, remote, DropReason::InvalidMajorVersion, detail);
        }
        // RFC 2408 5.2 step 5: flags other than E, C and A are invalid (3.1:
        // they MUST be zero), and the message is discarded.
        if raw.header.flags.reserved_bits() != 0 {
            let detail = format!("flags {}", raw.header.flags);
            return self.core.refuse(now, remote, DropReason::InvalidFlags, detail);
        }
        let parsed = match Message::parse(message) {
            Ok(parsed) => parsed,
            Err(error) => return self.core.refuse(now, remote, DropReason::Malformed, error.to_string()),
        };
        let mut requests = Vec::new();
        match self.find_sa(&raw, remote) {
            Some(cookie) => {
                let mut ctx = self.core.context(now, &mut requests);
                if let Some(sa) = self.sas.get_mut(&cookie) {
                    sa.handle(&mut ctx, parsed, message, local, remote);
                }
            }
            None => self.new_responder(now, parsed, message, local, remote, &mut requests),
        }
        self.finish(now, requests);
    }

    /// Which SA a message belongs to, by cookies (and address while the
    /// responder cookie is still zero).
    fn find_sa(&self, raw: &RawHeader, remote: SocketAddr) -> Option<Cookie> {
        let (initiator, responder) = (raw.header.initiator_cookie, raw.header.responder_cookie);
        if !responder.is_zero()
            && let Some(sa) = self.sas.get(&responder)
            && sa.role == Role::Responder
            && sa.peer_cookie() == initiator
        {
            return Some(responder);
        }
        if let Some(sa) = self.sas.get(&initiator)
            && sa.role == Role::Initiator
            && (sa.peer_cookie().is_zero() || sa.peer_cookie() == responder)
        {
            return Some(initiator);
        }
        // A retransmitted first message: same initiator cookie, same peer.
        if responder.is_zero() {
            return self
                .sas
                .iter()
                .find(|(_, sa)| {
                    sa.role == Role::Responder
                        && sa.peer_cookie() == initiator
                        && sa.remote.ip() == remote.ip()
                })
                .map(|(cookie, _)| *cookie);
        }
        None
    }

    /// A first message from a new peer: MM1 or AM1 opens a responder SA.
    fn new_responder(
        &mut self,
        now: Timestamp,
        message: Message,
        bytes: &[u8],
        local: SocketAddr,
        remote: SocketAddr,
        requests: &mut Vec<Request>,
    ) {
        let header = message.header;
        // Only MM1 and AM1 open an SA; anything else for no SA of ours is
        // INVALID COOKIE (RFC 2408 5.2 step 1), unless it says what it is.
        let opens_an_sa = header.responder_cookie.is_zero()
            && !message.is_encrypted()
            && header.exchange != ExchangeType::INFORMATIONAL;
        let refusal = if !opens_an_sa {
            Some((DropReason::UnknownCookies, "no SA for these cookies".to_owned()))
        } else if !matches!(header.exchange, ExchangeType::IDENTITY_PROTECTION | ExchangeType::AGGRESSIVE) {
            // RFC 2408 5.2 step 4: INVALID EXCHANGE TYPE.
            Some((DropReason::UnexpectedExchange, format!("exchange {}", header.exchange.labelled())))
        } else if header.message_id.0 != 0 {
            // RFC 2408 5.2 step 6 and RFC 2409 5: Phase 1 uses message ID 0.
            Some((
                DropReason::InvalidMessageId,
                format!("message ID {:#010x} in Phase 1", header.message_id.0),
            ))
        } else {
            None
        };
        if let Some((reason, detail)) = refusal {
            return self.core.refuse(now, remote, reason, detail);
        }
        let mode = if header.exchange == ExchangeType::AGGRESSIVE {
            ExchangeMode::Aggressive
        } else {
            ExchangeMode::Main
        };
        let half_open = self.sas.values().filter(|sa| sa.is_half_open()).count();
        if half_open >= self.core.config.limits.max_half_open {
            return self.core.refuse(
                now,
                remote,
                DropReason::HalfOpenLimit,
                format!("{half_open} half-open SAs"),
            );
        }
        let Some(connection) = self.responder_connection(local, remote, mode) else {
            let detail = format!("no {mode:?} Mode connection for peer {}", remote.ip());
            return self.core.refuse(now, remote, DropReason::NoPolicy, detail);
        };
        let received = ike_sa::received_plain(message, local, remote);
        let mut ctx = self.core.context(now, requests);
        let sa = match mode {
            ExchangeMode::Main => ike_sa::respond_main(&mut ctx, &connection, received, bytes),
            ExchangeMode::Aggressive => ike_sa::respond_aggressive(&mut ctx, &connection, received, bytes),
        };
        self.sas.insert(sa.own_cookie(), sa);
    }

    /// The connection for a new peer: one for its address, else a wildcard.
    fn responder_connection(
        &self,
        local: SocketAddr,
        remote: SocketAddr,
        mode: ExchangeMode,
    ) -> Option<Connection> {
        let candidates = || {
            self.core
                .config
                .policy
                .connections
                .iter()
                .filter(move |c| c.local_address == local.ip() && c.exchange == mode)
        };
        candidates()
            .find(|c| c.remote_address == Some(remote.ip()))
            .or_else(|| candidates().find(|c| c.accepts_peer(remote.ip())))
            .cloned()
    }

    /// Time has come (at or after [`Self::poll_timeout`]).
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let mut requests = Vec::new();
        let mut phase1_rekeys = Vec::new();
        {
            let mut ctx = self.core.context(now, &mut requests);
            for sa in self.sas.values_mut() {
                sa.handle_timeout(&mut ctx);
                if sa.expiry(false).is_some_and(|hard| hard <= now) {
                    ctx.out.trace(now, sa.conn_id, Some(sa.remote), Trace::Expired { soft: false });
                    sa.delete(&mut ctx, "lifetime expired");
                } else if sa.role == Role::Initiator
                    && sa.connection.rekey
                    && !sa.rekey_started
                    && sa.expiry(true).is_some_and(|soft| soft <= now)
                {
                    ctx.out.trace(now, sa.conn_id, Some(sa.remote), Trace::Expired { soft: true });
                    sa.rekey_started = true;
                    phase1_rekeys.push(sa.connection.name.clone());
                }
            }
        }
        // IKEv1 Phase 1 re-keys alone: the IPsec SAs live on under the new SA.
        for connection in phase1_rekeys {
            let _ = self.start_phase1(now, &connection, Vec::new());
        }
        self.child_timeouts(now);
        self.finish(now, requests);
    }

    /// Quick Mode for one child: over an established IKE SA of the
    /// connection, or after a new Phase 1.
    fn negotiate_child(&mut self, now: Timestamp, connection: &str, child: &str) {
        let policy = self
            .connection(connection)
            .ok()
            .and_then(|c| c.children.iter().find(|p| p.name == child).cloned());
        let Some(policy) = policy else { return };
        let owner = self
            .sas
            .iter()
            .filter(|(_, sa)| sa.connection.name == connection && sa.is_established())
            .max_by_key(|(_, sa)| sa.established_at)
            .map(|(cookie, _)| *cookie);
        match owner {
            Some(cookie) => {
                let mut requests = Vec::new();
                let mut ctx = self.core.context(now, &mut requests);
                if let Some(sa) = self.sas.get_mut(&cookie) {
                    sa.start_quick_mode(&mut ctx, &policy);
                }
                self.finish(now, requests);
            }
            None => {
                let _ = self.start_phase1(now, connection, vec![child.to_owned()]);
            }
        }
    }

    /// When [`Self::handle_timeout`] next has work.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.sas.values().filter_map(IkeSa::next_timeout).chain(self.children.next_deadline()).min()
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.core.out.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.core.out.events.pop_front()
    }

    /// Deletes every SA of a connection, telling the peer.
    pub fn delete_connection(&mut self, now: Timestamp, connection: &str) {
        for spi in self.children.spis_where(|r| r.sa.connection == connection) {
            self.delete_child(now, spi, "deleted by operator");
        }
        self.delete_where(now, "deleted by operator", |sa| sa.connection.name == connection);
    }

    /// Replaces a connection's impairments, for its SAs already up as well
    /// as for later ones: a scenario's "impair" step, so that a
    /// misbehaviour can start after Phase 1 and hit Quick Mode, ESP or DPD
    /// alone. Unknown connections are ignored.
    pub fn set_impairments(&mut self, connection: &str, impairments: Vec<crate::impairment::Impairment>) {
        let Some(configured) = self.core.config.policy.connections.iter_mut().find(|c| c.name == connection)
        else {
            return;
        };
        configured.impairments = impairments.clone();
        for sa in self.sas.values_mut().filter(|sa| sa.connection.name == connection) {
            sa.set_impairments(&impairments);
        }
    }

    /// Deletes the ISAKMP SAs of a connection, telling the peer, and keeps its
    /// IPsec SAs: in IKEv1 they live on their own keys (RFC 2409 5.5), and IOS
    /// shows the session UP-NO-IKE until a new Phase 1 is needed.
    pub fn delete_ike_sas(&mut self, now: Timestamp, connection: &str) {
        self.delete_where(now, "deleted by operator", |sa| sa.connection.name == connection);
    }

    /// Deletes the IPsec SAs of a connection, telling the peer (RFC 2408 3.15),
    /// and keeps the ISAKMP SA for the next Quick Mode.
    pub fn delete_ipsec_sas(&mut self, now: Timestamp, connection: &str) {
        for spi in self.children.spis_where(|r| r.sa.connection == connection) {
            self.delete_child(now, spi, "deleted by operator");
        }
    }

    /// Deletes every SA, telling each peer (unless impaired not to).
    pub fn shutdown(&mut self, now: Timestamp) {
        for spi in self.children.spis_where(|_| true) {
            self.delete_child(now, spi, "shutdown");
        }
        self.delete_where(now, "shutdown", |_| true);
    }

    /// Forgets the ISAKMP SAs only, keeping the IPsec SAs (as when an ISAKMP SA
    /// expires without re-key): the session is then UP-NO-IKE.
    pub fn forget_ike_sas(&mut self) {
        self.sas.clear();
    }

    /// Forgets every SA without telling anyone, as a reboot would.
    pub fn forget_all(&mut self) {
        self.sas.clear();
        self.children = Children::default();
        self.esp = SaDatabase::new();
        self.core.spis.clear();
        self.pending_invalid_spis.clear();
    }

    fn delete_where(&mut self, now: Timestamp, reason: &str, wanted: impl Fn(&IkeSa) -> bool) {
        let mut requests = Vec::new();
        {
            let mut ctx = self.core.context(now, &mut requests);
            for sa in self.sas.values_mut().filter(|sa| wanted(sa)) {
                sa.delete(&mut ctx, reason);
            }
        }
        self.finish(now, requests);
    }

    /// Deletes an IPsec SA pair, telling the peer through its IKE SA
    /// (RFC 2408 3.15: Delete with our inbound SPI) when one is up.
    fn delete_child(&mut self, now: Timestamp, inbound_spi: u32, reason: &str) {
        let Some(record) = self.children.remove(inbound_spi) else { return };
        let mut requests = Vec::new();
        {
            let mut ctx = self.core.context(now, &mut requests);
            let owner = self
                .sas
                .values_mut()
                .find(|sa| sa.is_established() && sa.connection.name == record.sa.connection);
            if let Some(sa) = owner {
                sa.send_child_delete(&mut ctx, inbound_spi);
            }
        }
        self.forget_child(record, reason);
        self.finish(now, requests);
    }

    fn forget_child(&mut self, record: ChildRecord, reason: &str) {
        self.remove_esp(record.sa.inbound.spi);
        self.core.spis.remove(&record.sa.inbound.spi);
        self.core.out.event(Event::IpsecSaDeleted {
            connection: record.sa.connection.clone(),
            inbound_spi: format!("{:08x}", record.sa.inbound.spi),
            outbound_spi: format!("{:08x}", record.sa.outbound.spi),
            reason: reason.to_owned(),
        });
    }

    /// `show crypto isakmp sa`.
    pub fn isakmp_sa_rows(&self) -> Vec<IsakmpSaRow> {
        self.sas.values().map(IkeSa::show_row).collect()
    }

    /// The established IKE SAs.
    pub fn established(&self) -> Vec<io::IkeSaInfo> {
        self.sas.values().filter(|sa| sa.is_established()).map(IkeSa::info).collect()
    }

    /// The IPsec SA pairs in use (outbound active).
    pub fn ipsec_sas(&self) -> Vec<crate::child_sa::IpsecSaInfo> {
        self.children.iter().filter(|r| r.outbound_active).map(|r| r.sa.info()).collect()
    }

    /// Carries out what the SAs asked for, then drops dead SAs.
    fn finish(&mut self, now: Timestamp, requests: Vec<Request>) {
        for request in requests {
            match request {
                Request::ForgetPeer { peer, keep, reason } => self.forget_peer(now, peer, keep, reason),
                Request::InstallChild { child, outbound_active } => {
                    self.install_esp(now, &child, outbound_active);
                    let info = child.info();
                    self.children.insert(ChildRecord {
                        sa: *child,
                        outbound_active,
                        installed_at: now,
                        rekey_started: false,
                    });
                    if outbound_active {
                        self.core.out.event(Event::IpsecSaEstablished(info));
                    }
                }
                Request::ActivateChild { inbound_spi } => {
                    let Some(record) = self.children.get_mut(inbound_spi) else { continue };
                    record.outbound_active = true;
                    let info = record.sa.info();
                    self.core.out.event(Event::IpsecSaEstablished(info));
                    let record = self.children.remove(inbound_spi).expect("just found");
                    self.activate_esp(now, &record.sa);
                    self.children.insert(record);
                }
                Request::PeerMoved { ike_sa, remote } => self.peer_moved(ike_sa, remote),
                Request::RemoveChild { inbound_spi, reason } => {
                    if let Some(record) = self.children.remove(inbound_spi) {
                        self.forget_child(record, &reason);
                    }
                }
                Request::PeerDroppedChild { peer, outbound_spi, reason, renegotiate } => {
                    let Some(inbound_spi) = self.children.inbound_spi_of_outbound(peer, outbound_spi) else {
                        continue;
                    };
                    if let Some(record) = self.children.remove(inbound_spi) {
                        let (connection, child) = (record.sa.connection.clone(), record.sa.child.clone());
                        self.forget_child(record, &reason);
                        if renegotiate {
                            self.negotiate_child(now, &connection, &child);
                        }
                    }
                }
            }
        }
        self.sas.retain(|_, sa| !sa.is_dead());
        // Only once an ISAKMP SA with a waiting sender is up: flushing calls
        // back here, and what still waits must not flush again.
        let deliverable = self
            .pending_invalid_spis
            .iter()
            .any(|(peer, _)| self.sas.values().any(|sa| sa.is_established() && sa.remote.ip() == *peer));
        if deliverable {
            self.flush_invalid_spis(now);
        }
    }

    /// The peer's NAT mapping moved: ESP-in-UDP follows it.
    fn peer_moved(&mut self, ike_sa: Cookie, remote: SocketAddr) {
        for record in self.children.iter_mut().filter(|r| r.sa.ike_sa == ike_sa && r.sa.udp_encapsulated) {
            record.sa.remote = remote;
            let udp = Some(crate::esp::UdpPorts { local: record.sa.local.port(), peer: remote.port() });
            let spi = record.sa.inbound.spi;
            if let Some(sa) = self.esp.inbound_mut(spi) {
                sa.update_peer(remote.ip(), udp);
            }
            if let Some(sa) = self.esp.outbound_mut(&spi) {
                sa.update_peer(remote.ip(), udp);
            }
        }
    }

    /// INITIAL-CONTACT: the peer has forgotten everything; so do we, but for
    /// the SA that carried the news. DPD: the peer is dead; so is all we had
    /// with it.
    fn forget_peer(&mut self, now: Timestamp, peer: IpAddr, keep: Cookie, reason: &str) {
        let mut nested = Vec::new();
        {
            let mut ctx = self.core.context(now, &mut nested);
            for (cookie, sa) in self.sas.iter_mut() {
                if *cookie != keep && sa.remote.ip() == peer && !sa.is_dead() {
                    sa.fail(&mut ctx, reason);
                }
            }
        }
        for spi in self.children.spis_where(|r| r.sa.remote.ip() == peer && r.sa.ike_sa != keep) {
            if let Some(record) = self.children.remove(spi) {
                self.forget_child(record, reason);
            }
        }
    }
}
