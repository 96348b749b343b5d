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

pub mod io;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use isakmp::natt::{NAT_T_PORT, Port4500};
use isakmp::numbers::ExchangeType;
use isakmp::{Cookie, Message, RawHeader};

use crate::config::EndpointConfig;
use crate::counters::{Counters, DropReason};
use crate::crypto::{CryptoProvider, RustCryptoProvider};
use crate::ike_sa::{self, Context, IkeSa, Request};
use crate::policy::{Connection, ExchangeMode};
use crate::random::EngineRng;
use crate::time::Timestamp;
use crate::trace::show::IsakmpSaRow;
use crate::trace::{Role, Trace};
use io::{Event, Outbox, Transmit};

/// The first IOS conn-id handed out.
const FIRST_CONN_ID: u32 = 1001;

pub struct Endpoint {
    config: EndpointConfig,
    crypto: Box<dyn CryptoProvider>,
    rng: EngineRng,
    out: Outbox,
    /// IKE SAs by the cookie we chose.
    sas: BTreeMap<Cookie, IkeSa>,
    next_conn_id: u32,
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
        Self {
            config,
            crypto,
            rng: EngineRng::from_seed(seed),
            out: Outbox::default(),
            sas: BTreeMap::new(),
            next_conn_id: FIRST_CONN_ID,
        }
    }

    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    pub fn counters(&self) -> &Counters {
        &self.out.counters
    }

    /// Starts Phase 1 of a configured connection from port 500.
    pub fn initiate(&mut self, now: Timestamp, connection: &str) -> Result<(), InitiateError> {
        let mut connection = self
            .config
            .policy
            .connection(connection)
            .cloned()
            .ok_or_else(|| InitiateError::UnknownConnection(connection.to_owned()))?;
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
        let sa = {
            let mut ctx = self.context(now, &mut requests);
            match connection.exchange {
                ExchangeMode::Main => ike_sa::initiate_main(&mut ctx, &connection, local, remote),
                ExchangeMode::Aggressive => ike_sa::initiate_aggressive(&mut ctx, &connection, local, remote),
            }
        };
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
        self.out.counters.datagrams_received += 1;
        let message = if local.port() == NAT_T_PORT {
            match Port4500::classify(datagram) {
                Ok(Port4500::Ike(message)) => message,
                Ok(Port4500::Keepalive) => return self.out.counters.drop(DropReason::NotIke),
                // The IPsec data plane is not wired yet: ESP is counted and dropped.
                Ok(Port4500::Esp(_)) => return self.out.counters.drop(DropReason::NotIke),
                Err(error) => {
                    return self.refuse_datagram(now, remote, DropReason::Malformed, error.to_string());
                }
            }
        } else {
            datagram
        };
        let raw = match RawHeader::peek(message) {
            Ok(raw) => raw,
            Err(error) => return self.refuse_datagram(now, remote, DropReason::Malformed, error.to_string()),
        };
        // RFC 2408 5.2: a major version we do not speak is discarded.
        if raw.header.version.major() != 1 {
            let detail = format!("version {}", raw.header.version);
            return self.refuse_datagram(now, remote, DropReason::InvalidMajorVersion, detail);
        }
        // RFC 2408 5.2 step 5: flags other than E, C and A are invalid (3.1:
        // they MUST be zero), and the message is discarded.
        if raw.header.flags.reserved_bits() != 0 {
            let detail = format!("flags {}", raw.header.flags);
            return self.refuse_datagram(now, remote, DropReason::InvalidFlags, detail);
        }
        let parsed = match Message::parse(message) {
            Ok(parsed) => parsed,
            Err(error) => return self.refuse_datagram(now, remote, DropReason::Malformed, error.to_string()),
        };
        let mut requests = Vec::new();
        match self.find_sa(&raw, remote) {
            Some(cookie) => {
                let mut ctx = Self::split_context(
                    now,
                    &self.config,
                    self.crypto.as_ref(),
                    &mut self.rng,
                    &mut self.out,
                    &mut self.next_conn_id,
                    &mut requests,
                );
                if let Some(sa) = self.sas.get_mut(&cookie) {
                    sa.handle(&mut ctx, parsed, message, local, remote);
                }
            }
            None => self.new_responder(now, parsed, message, local, remote, &mut requests),
        }
        self.finish(now, requests);
    }

    /// RFC 2408 5.2: messages for no SA of ours are discarded (INVALID-COOKIE
    /// MAY be sent; we do not answer unauthenticated strangers).
    fn refuse_datagram(&mut self, now: Timestamp, remote: SocketAddr, reason: DropReason, detail: String) {
        self.out.counters.drop(reason);
        self.out.trace(now, 0, Some(remote), Trace::Dropped { reason, detail });
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
            return self.refuse_datagram(now, remote, reason, detail);
        }
        let mode = if header.exchange == ExchangeType::AGGRESSIVE {
            ExchangeMode::Aggressive
        } else {
            ExchangeMode::Main
        };
        let half_open = self.sas.values().filter(|sa| sa.is_half_open()).count();
        if half_open >= self.config.limits.max_half_open {
            return self.refuse_datagram(
                now,
                remote,
                DropReason::HalfOpenLimit,
                format!("{half_open} half-open SAs"),
            );
        }
        let Some(connection) = self.responder_connection(local, remote, mode) else {
            let detail = format!("no {mode:?} Mode connection for peer {}", remote.ip());
            return self.refuse_datagram(now, remote, DropReason::NoPolicy, detail);
        };
        let received = ike_sa::received_plain(message, local, remote);
        let sa = {
            let mut ctx = Self::split_context(
                now,
                &self.config,
                self.crypto.as_ref(),
                &mut self.rng,
                &mut self.out,
                &mut self.next_conn_id,
                requests,
            );
            match mode {
                ExchangeMode::Main => ike_sa::respond_main(&mut ctx, &connection, received, bytes),
                ExchangeMode::Aggressive => {
                    ike_sa::respond_aggressive(&mut ctx, &connection, received, bytes)
                }
            }
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
            self.config
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
        let mut rekeys = Vec::new();
        {
            let mut ctx = Self::split_context(
                now,
                &self.config,
                self.crypto.as_ref(),
                &mut self.rng,
                &mut self.out,
                &mut self.next_conn_id,
                &mut requests,
            );
            for sa in self.sas.values_mut() {
                sa.handle_timeout(&mut ctx);
                if sa.expiry(false).is_some_and(|hard| hard <= now) {
                    ctx.out.trace(now, sa.conn_id, Some(sa.remote), Trace::Expired { soft: false });
                    sa.delete(&mut ctx, "lifetime expired");
                } else if sa.role == Role::Initiator
                    && !sa.rekey_started
                    && sa.expiry(true).is_some_and(|soft| soft <= now)
                {
                    ctx.out.trace(now, sa.conn_id, Some(sa.remote), Trace::Expired { soft: true });
                    sa.rekey_started = true;
                    rekeys.push(sa.connection.name.clone());
                }
            }
        }
        for connection in rekeys {
            // The old SA stays until it expires; the new one takes over.
            let _ = self.initiate(now, &connection);
        }
        self.finish(now, requests);
    }

    /// When [`Self::handle_timeout`] next has work.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.sas.values().filter_map(IkeSa::next_timeout).min()
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.out.events.pop_front()
    }

    /// Deletes every IKE SA of a connection, telling the peer.
    pub fn delete_connection(&mut self, now: Timestamp, connection: &str) {
        self.delete_where(now, "deleted by operator", |sa| sa.connection.name == connection);
    }

    /// Deletes every SA, telling each peer (unless impaired not to).
    pub fn shutdown(&mut self, now: Timestamp) {
        self.delete_where(now, "shutdown", |_| true);
    }

    /// Forgets every SA without telling anyone, as a reboot would.
    pub fn forget_all(&mut self) {
        self.sas.clear();
    }

    fn delete_where(&mut self, now: Timestamp, reason: &str, wanted: impl Fn(&IkeSa) -> bool) {
        let mut requests = Vec::new();
        {
            let mut ctx = Self::split_context(
                now,
                &self.config,
                self.crypto.as_ref(),
                &mut self.rng,
                &mut self.out,
                &mut self.next_conn_id,
                &mut requests,
            );
            for sa in self.sas.values_mut().filter(|sa| wanted(sa)) {
                sa.delete(&mut ctx, reason);
            }
        }
        self.finish(now, requests);
    }

    /// `show crypto isakmp sa`.
    pub fn isakmp_sa_rows(&self) -> Vec<IsakmpSaRow> {
        self.sas.values().map(IkeSa::show_row).collect()
    }

    /// The established IKE SAs.
    pub fn established(&self) -> Vec<io::IkeSaInfo> {
        self.sas.values().filter(|sa| sa.is_established()).map(IkeSa::info).collect()
    }

    fn context<'a>(&'a mut self, now: Timestamp, requests: &'a mut Vec<Request>) -> Context<'a> {
        Self::split_context(
            now,
            &self.config,
            self.crypto.as_ref(),
            &mut self.rng,
            &mut self.out,
            &mut self.next_conn_id,
            requests,
        )
    }

    fn split_context<'a>(
        now: Timestamp,
        config: &'a EndpointConfig,
        crypto: &'a dyn CryptoProvider,
        rng: &'a mut EngineRng,
        out: &'a mut Outbox,
        next_conn_id: &'a mut u32,
        requests: &'a mut Vec<Request>,
    ) -> Context<'a> {
        Context { now, config, crypto, rng, out, next_conn_id, requests }
    }

    /// Carries out what the SAs asked for, then drops dead SAs.
    fn finish(&mut self, now: Timestamp, requests: Vec<Request>) {
        for request in requests {
            match request {
                Request::ForgetPeer { peer, keep } => {
                    let mut nested = Vec::new();
                    let mut ctx = Self::split_context(
                        now,
                        &self.config,
                        self.crypto.as_ref(),
                        &mut self.rng,
                        &mut self.out,
                        &mut self.next_conn_id,
                        &mut nested,
                    );
                    for (cookie, sa) in self.sas.iter_mut() {
                        if *cookie != keep && sa.remote.ip() == peer && !sa.is_dead() {
                            sa.fail(&mut ctx, "INITIAL-CONTACT from the peer");
                        }
                    }
                }
            }
        }
        self.sas.retain(|_, sa| !sa.is_dead());
    }
}
