//! One ISAKMP SA: its Phase 1 negotiation (Main or Aggressive Mode, both
//! roles), its keys, and the Informational exchanges it protects.
//!
//! Everything the SA does to the outside world goes through a [`Context`]:
//! datagrams and events into the outbox, randomness from the caller's seed,
//! time from the caller's clock.

mod aggressive_mode;
mod flight;
mod identity;
mod informational;
mod ipsec_proposal;
mod liveness;
mod main_mode;
pub(crate) mod nat_t;
mod phase;
pub(crate) mod proposal;
mod quick_mode;
mod received;
mod sa_crypto;
mod traffic_selector;

use std::net::SocketAddr;
use std::time::Duration;

use isakmp::message::BODY_OFFSET;
use isakmp::numbers::{ExchangeType, NotifyType, PayloadType, ProtocolId};
use isakmp::payload::{Identity, Notification, PayloadBody};
use isakmp::vendor_id::NatTVersion;
use isakmp::{Body, Cookie, Flags, Header, Message, MessageId, Payload, Plaintext, Version};

pub(crate) use aggressive_mode::initiate as initiate_aggressive;
pub(crate) use aggressive_mode::respond as respond_aggressive;
use flight::{Due, Flight};
pub(crate) use main_mode::initiate as initiate_main;
pub(crate) use main_mode::respond as respond_main;
use phase::Phase;
use received::Received;
use sa_crypto::SaCrypto;

use crate::config::EndpointConfig;
use crate::counters::DropReason;
use crate::crypto::CryptoProvider;
use crate::endpoint::io::{Event, IkeSaInfo, Outbox, Transmit};
use crate::impairment::{Fate, Impairments, Mutation, PayloadEdit, mutation};
use crate::keys::{Cookies, informational_hash};
use crate::policy::{Connection, ExchangeMode};
use crate::random::EngineRng;
use crate::time::Timestamp;
use crate::trace::show::IsakmpSaRow;
use crate::trace::{IkeState, Input, Role, SaState, Trace};

/// What an SA needs from its endpoint while it processes one input.
pub(crate) struct Context<'a> {
    pub now: Timestamp,
    pub config: &'a EndpointConfig,
    pub crypto: &'a dyn CryptoProvider,
    pub rng: &'a mut EngineRng,
    pub out: &'a mut Outbox,
    pub next_conn_id: &'a mut u32,
    /// Work for the endpoint, done after the SA returns.
    pub requests: &'a mut Vec<Request>,
    /// Inbound SPIs in use, so a new one never collides (RFC 4303 2.1).
    pub spis: &'a mut std::collections::BTreeSet<u32>,
}

impl Context<'_> {
    /// A fresh inbound SPI: random, never one of the reserved values 1-255
    /// (RFC 4303 2.1), never one in use.
    pub fn allocate_spi(&mut self) -> u32 {
        loop {
            let spi = self.rng.public_nonzero_u32();
            if spi > 255 && self.spis.insert(spi) {
                return spi;
            }
        }
    }
}

/// Endpoint-level consequences of something an SA processed.
pub(crate) enum Request {
    /// INITIAL-CONTACT (RFC 2407 4.6.3.3): the peer rebooted; or DPD (RFC
    /// 3706 5.5): the peer is dead. Delete every other SA with it.
    ForgetPeer { peer: std::net::IpAddr, keep: Cookie, reason: &'static str },
    /// Quick Mode produced an IPsec SA pair. The inbound SA is usable at
    /// once; the outbound one once the exchange is confirmed.
    InstallChild { child: Box<crate::child_sa::NegotiatedChild>, outbound_active: bool },
    /// The exchange is confirmed (QM3, or CONNECTED): use the outbound SA.
    ActivateChild { inbound_spi: u32 },
    /// The peer's NAT mapping changed: its IPsec SAs' ESP-in-UDP goes there now.
    PeerMoved { ike_sa: Cookie, remote: SocketAddr },
    /// Remove an IPsec SA pair we installed, without telling the peer.
    RemoveChild { inbound_spi: u32, reason: String },
    /// The peer deleted (or declared invalid) the SA it receives on, which
    /// is our outbound SA with this SPI. Only that peer's SAs are looked at:
    /// one peer never speaks for another's (RFC 2408 3.15).
    PeerDroppedChild { peer: std::net::IpAddr, outbound_spi: u32, reason: String, renegotiate: bool },
}

pub(crate) struct IkeSa {
    pub role: Role,
    pub mode: ExchangeMode,
    pub connection: Connection,
    pub cookies: Cookies,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub conn_id: u32,
    fsm: IkeState,
    phase: Phase,
    /// The `show crypto isakmp sa` state when the SA died, for the status view.
    last_state: SaState,
    crypto: Option<SaCrypto>,
    nat_t: Option<NatTVersion>,
    nat_detected: bool,
    /// RFC 3947 3: our own address is rewritten, so we keep the NAT mapping alive.
    nat_local_behind: bool,
    dpd: liveness::Dpd,
    peer_supports_dpd: bool,
    peer_identity: Option<Identity>,
    impairments: Impairments,
    datagrams_sent: u32,
    /// Messages built for this SA (retransmissions excluded), for `Mutate`.
    messages_built: u32,
    /// Phase 1's messages in flight.
    flight: Flight,
    /// Quick Mode exchanges by message ID.
    quick_modes: quick_mode::QuickModes,
    /// Child policies to negotiate once Phase 1 completes.
    pub children_to_start: Vec<String>,
    /// The request being processed, so that what we send is cached as its answer.
    current_request: Option<Vec<u8>>,
    replays: Vec<(Timestamp, Vec<u8>)>,
    pub established_at: Option<Timestamp>,
    pub lifetime_secs: u32,
    /// Set once a rekey has been started for this SA.
    pub rekey_started: bool,
}

/// A plaintext first message (MM1, AM1) as a [`Received`].
pub(crate) fn received_plain(message: Message, local: SocketAddr, remote: SocketAddr) -> Received {
    let payloads = message.payloads().to_vec();
    let chain = Plaintext { payloads: payloads.clone(), padding: Vec::new() }.emit().unwrap_or_default();
    let first = isakmp::payload::first_type(&payloads);
    Received { header: message.header, payloads, encrypted: false, chain, first, local, remote, iv: None }
}

impl IkeSa {
    fn new(
        role: Role,
        connection: &Connection,
        cookies: Cookies,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Self {
        Self {
            role,
            mode: connection.exchange,
            connection: connection.clone(),
            cookies,
            local,
            remote,
            conn_id: 0,
            fsm: IkeState::Ready,
            phase: Phase::Dead,
            last_state: SaState::MmNoState,
            crypto: None,
            nat_t: None,
            nat_detected: false,
            nat_local_behind: false,
            dpd: liveness::Dpd::default(),
            peer_supports_dpd: false,
            peer_identity: None,
            impairments: Impairments::new(&connection.impairments),
            datagrams_sent: 0,
            messages_built: 0,
            flight: Flight::default(),
            quick_modes: Default::default(),
            children_to_start: Vec::new(),
            current_request: None,
            replays: Vec::new(),
            established_at: None,
            lifetime_secs: 0,
            rekey_started: false,
        }
    }

    /// A responder SA for a first message (MM1, AM1), with our cookie chosen
    /// and the message remembered so that its retransmission gets our answer.
    fn responder_for(ctx: &mut Context<'_>, connection: &Connection, first: &Received, bytes: &[u8]) -> Self {
        let cookies =
            Cookies { initiator: first.header.initiator_cookie.0, responder: ctx.rng.public_nonzero_bytes() };
        let mut sa = Self::new(Role::Responder, connection, cookies, first.local, first.remote);
        sa.current_request = Some(bytes.to_vec());
        sa
    }

    /// New impairments from now on (the datagram count goes on).
    pub fn set_impairments(&mut self, impairments: &[crate::impairment::Impairment]) {
        self.connection.impairments = impairments.to_vec();
        self.impairments = Impairments::new(impairments);
    }

    /// The cookie we chose: our key in the endpoint's table.
    pub fn own_cookie(&self) -> Cookie {
        Cookie(match self.role {
            Role::Initiator => self.cookies.initiator,
            Role::Responder => self.cookies.responder,
        })
    }

    pub fn peer_cookie(&self) -> Cookie {
        Cookie(match self.role {
            Role::Initiator => self.cookies.responder,
            Role::Responder => self.cookies.initiator,
        })
    }

    pub fn is_established(&self) -> bool {
        matches!(self.phase, Phase::Established)
    }

    pub fn is_dead(&self) -> bool {
        matches!(self.phase, Phase::Dead)
    }

    /// Whether [`Self::fail`] already ended this SA (a handler must not put
    /// its state back afterwards).
    pub fn has_failed(&self) -> bool {
        self.fsm == IkeState::DestroySa
    }

    /// A responder SA that has not authenticated its peer yet.
    pub fn is_half_open(&self) -> bool {
        self.role == Role::Responder && !self.is_established() && !self.is_dead()
    }

    /// The `show crypto isakmp sa` state (IOS names).
    pub fn sa_state(&self) -> SaState {
        match &self.phase {
            Phase::MainExpectSa(_) => SaState::MmNoState,
            Phase::MainExpectKe(_) | Phase::MainExpectKeRequest(_) => SaState::MmSaSetup,
            Phase::MainExpectIdResponse(_) | Phase::MainExpectIdRequest(_) => SaState::MmKeyExch,
            Phase::AggressiveExpectResponse(_) => SaState::AgNoState,
            Phase::AggressiveExpectAuth(_) => SaState::AgInitExch,
            Phase::Established => SaState::QmIdle,
            Phase::Dead => self.last_state,
        }
    }

    pub fn show_row(&self) -> IsakmpSaRow {
        let status = if self.is_established() {
            "ACTIVE"
        } else if self.is_dead() {
            "DELETED"
        } else {
            "NEGOTIATING"
        };
        // IOS lists dst/src as the ISAKMP SA's responder/initiator.
        let (dst, src) = match self.role {
            Role::Initiator => (self.remote.ip(), self.local.ip()),
            Role::Responder => (self.local.ip(), self.remote.ip()),
        };
        IsakmpSaRow { dst, src, state: self.sa_state(), conn_id: self.conn_id, status }
    }

    // ---- tracing -----------------------------------------------------------

    fn trace(&self, ctx: &mut Context<'_>, trace: Trace) {
        ctx.out.trace(ctx.now, self.conn_id, Some(self.remote), trace);
    }

    fn transition(&mut self, ctx: &mut Context<'_>, input: Input, new: IkeState) {
        let old = self.fsm;
        self.fsm = new;
        self.trace(ctx, Trace::StateChange { input, old, new, node: None });
    }

    fn drop_message(&self, ctx: &mut Context<'_>, reason: DropReason, detail: impl Into<String>) {
        ctx.out.counters.drop(reason);
        self.trace(ctx, Trace::Dropped { reason, detail: detail.into() });
    }

    /// Assigns the IOS conn-id once keys exist (IOS does it after the key exchange).
    fn assign_conn_id(&mut self, ctx: &mut Context<'_>) {
        if self.conn_id == 0 {
            self.conn_id = *ctx.next_conn_id;
            *ctx.next_conn_id += 1;
        }
    }

    // ---- sending -----------------------------------------------------------

    /// A Phase 1 message: `expects_reply` arms retransmission; a message
    /// sent while processing a request is also cached as its answer.
    fn send_phase1(
        &mut self,
        ctx: &mut Context<'_>,
        exchange: ExchangeType,
        payloads: Vec<Payload>,
        encrypt: bool,
        expects_reply: bool,
    ) {
        let Some(message) = self.emit(ctx, exchange, 0, payloads, encrypt) else { return };
        let request = self.current_request.take();
        self.flight.sent(ctx.now, &ctx.config.retransmission, &message, expects_reply, request);
    }

    /// The answer to a first message (MM2, AM2): sent once, then resent only
    /// when the initiator retransmits (see [`Flight::awaiting`]).
    fn answer_first_message(
        &mut self,
        ctx: &mut Context<'_>,
        exchange: ExchangeType,
        payloads: Vec<Payload>,
    ) {
        let Some(message) = self.emit(ctx, exchange, 0, payloads, false) else { return };
        let request = self.current_request.take().unwrap_or_default();
        self.flight.awaiting(ctx.now, &ctx.config.retransmission, &message, request);
    }

    /// Builds, protects, impairs and sends one message; returns its bytes so
    /// the caller can keep them for retransmission.
    fn emit(
        &mut self,
        ctx: &mut Context<'_>,
        exchange: ExchangeType,
        message_id: u32,
        mut payloads: Vec<Payload>,
        encrypt: bool,
    ) -> Option<Vec<u8>> {
        payloads.extend(self.impairments.extra_payloads());
        let message = self.seal(ctx, exchange, message_id, payloads, encrypt)?;
        self.trace(
            ctx,
            Trace::Sent {
                state: self.sa_state(),
                role: self.role,
                local_port: self.local.port(),
                peer_port: self.remote.port(),
                retransmission: false,
            },
        );
        self.transmit(ctx, message.clone());
        Some(message)
    }

    /// The wire form of a message: header, (encrypted) body, impairments.
    fn seal(
        &mut self,
        ctx: &mut Context<'_>,
        exchange: ExchangeType,
        message_id: u32,
        mut payloads: Vec<Payload>,
        encrypt: bool,
    ) -> Option<Vec<u8>> {
        self.messages_built += 1;
        let mutations: Vec<(Mutation, bool)> = self
            .impairments
            .mutations(self.messages_built)
            .into_iter()
            .map(|(mutation, authentic)| (mutation.clone(), authentic))
            .collect();
        for (mutation, authentic) in &mutations {
            let detail = format!("message {} (authentic: {authentic}): {mutation:?}", self.messages_built);
            self.impaired(ctx, "mutate", &detail);
        }
        // Patches land on the emitted chain, where the HASH counts.
        let edits: Vec<PayloadEdit> = mutations
            .iter()
            .filter_map(|(mutation, authentic)| match mutation {
                Mutation::Payload(edit) if *authentic => Some(mutation::behind_hash(edit)),
                Mutation::Payload(edit) => Some(edit.clone()),
                _ => None,
            })
            .collect();
        let mut padding = Vec::new();
        for (mutation, authentic) in &mutations {
            // Authentic edits were made before the HASH was computed (see `hashed_rest`).
            if let (Mutation::Payload(edit), false) = (mutation, authentic) {
                mutation::edit_payloads(&mut payloads, &mut padding, edit);
            }
        }
        let header = self.header(exchange, message_id);
        let first_payload = isakmp::payload::first_type(&payloads);
        let mut bytes = if encrypt && !self.impairments.cleartext() {
            let mut plaintext = Plaintext { payloads, padding }.emit().ok()?;
            edits.iter().for_each(|edit| mutation::patch_chain(&mut plaintext, first_payload, edit));
            self.encrypted_message(ctx, header, first_payload, &plaintext)?
        } else {
            let mut bytes = Message::new(header, Body::Plain(payloads)).emit().ok()?;
            if let Some(chain) = bytes.get_mut(BODY_OFFSET..) {
                edits.iter().for_each(|edit| mutation::patch_chain(chain, first_payload, edit));
            }
            bytes
        };
        self.impairments.wire(&mut bytes);
        for (mutation, _) in &mutations {
            mutation::apply_to_bytes(mutation, &mut bytes);
        }
        Some(bytes)
    }

    /// The payloads after a HASH, emitted for the HASH to cover them (Quick
    /// Mode, Informational). The `authentic` payload edits of the message
    /// about to be built are made here first, so the HASH covers them too
    /// ([`Self::seal`] makes their patches again on the whole chain).
    fn hashed_rest(&self, rest: &mut Vec<Payload>) -> Vec<u8> {
        let authentic: Vec<PayloadEdit> = self
            .impairments
            .mutations(self.messages_built + 1)
            .into_iter()
            .filter_map(|(mutation, authentic)| match mutation {
                Mutation::Payload(edit) if authentic => Some(edit.clone()),
                _ => None,
            })
            .collect();
        for edit in &authentic {
            mutation::edit_payloads(rest, &mut Vec::new(), edit);
        }
        let mut bytes = Plaintext { payloads: rest.clone(), padding: Vec::new() }.emit().unwrap_or_default();
        let first = isakmp::payload::first_type(rest);
        for edit in &authentic {
            mutation::patch_chain(&mut bytes, first, edit);
        }
        bytes
    }

    /// The header of a message we send, as the header impairments want it.
    fn header(&self, exchange: ExchangeType, message_id: u32) -> Header {
        let mut header = Header {
            initiator_cookie: Cookie(self.cookies.initiator),
            responder_cookie: Cookie(self.cookies.responder),
            version: Version::V1_0,
            exchange,
            flags: Flags::default(),
            message_id: MessageId(message_id),
        };
        if self.role == Role::Responder && self.impairments.zero_responder_cookie() {
            header.responder_cookie = Cookie::ZERO;
        }
        if message_id == 0 && self.impairments.nonzero_phase1_message_id() {
            header.message_id = MessageId(0x1b1b_1b1b);
        }
        self.impairments.header(&mut header);
        if exchange == ExchangeType::QUICK_MODE && self.impairments.commit_bit() {
            header.flags = header.flags.with(Flags::COMMIT);
        }
        header
    }

    /// Encrypts an emitted payload chain (RFC 2409 5.3) and frames it.
    fn encrypted_message(
        &mut self,
        ctx: &mut Context<'_>,
        mut header: Header,
        first_payload: PayloadType,
        plaintext: &[u8],
    ) -> Option<Vec<u8>> {
        let crypto = self.crypto.as_mut()?;
        let ciphertext = crypto.encrypt(ctx.crypto, header.message_id.0, plaintext).ok()?;
        header.flags = header.flags.with(Flags::ENCRYPTION);
        Message::new(header, Body::Encrypted { first_payload, ciphertext }).emit().ok()
    }

    /// Frames for the current port and puts the datagram on the wire, as
    /// the transmission impairments decide.
    fn transmit(&mut self, ctx: &mut Context<'_>, message: Vec<u8>) {
        self.dpd.last_sent = Some(ctx.now);
        let payload = if self.local.port() == isakmp::natt::NAT_T_PORT {
            isakmp::natt::frame_ike(&message)
        } else {
            message
        };
        self.datagrams_sent += 1;
        let transmit = Transmit::udp(self.local, self.remote, payload);
        match self.impairments.fate(self.datagrams_sent) {
            Fate::Send => ctx.out.transmit(transmit),
            Fate::Drop => self.impaired(ctx, "drop_message", "datagram not sent"),
            Fate::Withhold => self.impaired(ctx, "silent_after", "datagram not sent"),
            Fate::SendTwice => {
                self.impaired(ctx, "duplicate_message", "datagram sent twice");
                ctx.out.transmit(transmit.clone());
                ctx.out.transmit(transmit);
            }
            Fate::SendAndReplayAfter(after_ms) => {
                self.impaired(ctx, "replay_message", &format!("sent again after {after_ms} ms"));
                self.replays.push((ctx.now + Duration::from_millis(after_ms), transmit.payload.clone()));
                ctx.out.transmit(transmit);
            }
        }
    }

    fn impaired(&self, ctx: &mut Context<'_>, impairment: &str, detail: &str) {
        self.trace(ctx, Trace::Impaired { impairment: impairment.to_owned(), detail: detail.to_owned() });
    }

    /// A Notify: protected by the SA once keys exist (RFC 2409 5.7), in a
    /// plain Informational before that (as for NO-PROPOSAL-CHOSEN to MM1).
    fn send_notify(
        &mut self,
        ctx: &mut Context<'_>,
        notify: NotifyType,
        protocol: ProtocolId,
        spi: Vec<u8>,
        data: Vec<u8>,
    ) {
        let notification =
            Payload::from(PayloadBody::Notification(Notification::ipsec(protocol, notify, spi, data)));
        let encrypted = self.crypto.is_some();
        ctx.out.counters.notify_sent(notify);
        self.trace(
            ctx,
            Trace::NotifySent { notify: notify.to_string(), protocol: protocol.to_string(), encrypted },
        );
        self.send_informational(ctx, vec![notification]);
    }

    /// An Informational exchange with a fresh message ID; HASH(1) first when
    /// protected (RFC 2409 5.7: HASH(1) = prf(SKEYID_a, M-ID | N/D)).
    fn send_informational(&mut self, ctx: &mut Context<'_>, payloads: Vec<Payload>) {
        let message_id = ctx.rng.public_nonzero_u32();
        self.send_informational_with_id(ctx, message_id, payloads);
    }

    /// An Informational with a given message ID (CONNECTED reuses the Quick
    /// Mode's, RFC 2408 3.1).
    fn send_informational_with_id(&mut self, ctx: &mut Context<'_>, message_id: u32, payloads: Vec<Payload>) {
        match &self.crypto {
            Some(crypto) => {
                let mut payloads = payloads;
                let rest = self.hashed_rest(&mut payloads);
                let prf = crypto.prf(ctx.crypto);
                let hash = informational_hash(prf, &crypto.keys.skeyid_a, message_id, &rest);
                let hash = self.impairments.hash(hash.as_bytes().to_vec());
                let mut protected = vec![Payload::from(PayloadBody::Hash(hash))];
                protected.extend(payloads);
                self.emit(ctx, ExchangeType::INFORMATIONAL, message_id, protected, true);
                if let Some(crypto) = self.crypto.as_mut() {
                    crypto.close_exchange(message_id);
                }
            }
            None => {
                self.emit(ctx, ExchangeType::INFORMATIONAL, message_id, payloads, false);
            }
        }
    }

    /// Both cookies: the SPI of ISAKMP SA notifications and deletes (RFC 2408 3.14).
    fn cookie_spi(&self) -> Vec<u8> {
        [self.cookies.initiator, self.cookies.responder].concat()
    }

    // ---- receiving ---------------------------------------------------------

    /// Processes one message addressed to this SA.
    pub fn handle(
        &mut self,
        ctx: &mut Context<'_>,
        message: Message,
        bytes: &[u8],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        self.trace(
            ctx,
            Trace::Received {
                state: self.sa_state(),
                role: self.role,
                local_port: local.port(),
                peer_port: remote.port(),
            },
        );
        let answer = match message.header.message_id.0 {
            0 => self.flight.answer_to(bytes),
            message_id => self.quick_mode_answer(message_id, bytes),
        };
        if let Some(response) = answer {
            ctx.out.counters.drop(DropReason::Duplicate);
            self.trace(ctx, Trace::DuplicateRequest);
            self.transmit(ctx, response);
            return;
        }
        if self.is_dead() {
            return self.drop_message(ctx, DropReason::UnexpectedMessage, "the SA is being deleted");
        }
        // RFC 2408 5.2: after the first message both cookies are set. A zero
        // responder cookie reaches us only as a retransmitted first message,
        // answered above; a first message again (or anything else under it,
        // such as an MM3) is not processed.
        if self.role == Role::Responder && message.header.responder_cookie.is_zero() {
            return self.drop_message(
                ctx,
                DropReason::UnexpectedMessage,
                "no responder cookie: a first message again, not a retransmission",
            );
        }
        let Some(received) = self.open(ctx, message, local, remote) else { return };
        self.current_request = Some(bytes.to_vec());
        match received.header.exchange {
            ExchangeType::IDENTITY_PROTECTION => self.main_mode(ctx, received),
            ExchangeType::AGGRESSIVE => self.aggressive_mode(ctx, received),
            ExchangeType::INFORMATIONAL => self.informational(ctx, received),
            ExchangeType::QUICK_MODE => self.quick_mode(ctx, received),
            other => self.drop_message(
                ctx,
                DropReason::UnexpectedExchange,
                format!("exchange {}", other.labelled()),
            ),
        }
        self.current_request = None;
    }

    /// Decrypts (when the E flag says so) and reads the payloads. The IV
    /// chain is advanced only when the handler accepts the message.
    fn open(
        &mut self,
        ctx: &mut Context<'_>,
        message: Message,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Option<Received> {
        let header = message.header;
        match message.body {
            Body::Plain(payloads) => {
                let chain =
                    Plaintext { payloads: payloads.clone(), padding: Vec::new() }.emit().unwrap_or_default();
                let first = isakmp::payload::first_type(&payloads);
                Some(Received { header, payloads, encrypted: false, chain, first, local, remote, iv: None })
            }
            Body::Encrypted { first_payload, ciphertext } => {
                let Some(crypto) = &self.crypto else {
                    self.drop_message(ctx, DropReason::EncryptionMismatch, "encrypted before keys exist");
                    return None;
                };
                let decrypted = crypto.decrypt(ctx.crypto, header.message_id.0, &ciphertext);
                let parsed = decrypted.ok().and_then(|(plaintext, chain)| {
                    Plaintext::parse(first_payload, &plaintext, isakmp::message::BODY_OFFSET)
                        .ok()
                        .map(|parsed| (plaintext, parsed, chain))
                });
                let Some((mut plaintext, parsed, chain)) = parsed else {
                    self.drop_message(ctx, DropReason::DecryptionFailed, "body does not decrypt to payloads");
                    // RFC 2409 9: Informationals are never answered, or two
                    // peers that cannot read each other start a "notify war".
                    let informational = header.exchange == ExchangeType::INFORMATIONAL;
                    if self.crypto.is_some() && !self.is_established() && !informational {
                        // What strongSwan answers to an MM5 it cannot read (case I).
                        self.send_notify(
                            ctx,
                            NotifyType::PAYLOAD_MALFORMED,
                            ProtocolId::ISAKMP,
                            self.cookie_spi(),
                            Vec::new(),
                        );
                    }
                    return None;
                };
                plaintext.truncate(plaintext.len() - parsed.padding.len());
                Some(Received {
                    header,
                    payloads: parsed.payloads,
                    encrypted: true,
                    chain: plaintext,
                    first: first_payload,
                    local,
                    remote,
                    iv: Some(chain),
                })
            }
        }
    }

    /// Commits the IV chain of an accepted (authenticated) encrypted
    /// message; the peer is alive. Behind a NAT its mapping may have changed
    /// (RFC 3947 4): follow it to where the authentic message came from.
    fn accept(&mut self, ctx: &mut Context<'_>, received: &mut Received) {
        if let (Some(crypto), Some(chain)) = (self.crypto.as_mut(), received.iv.take()) {
            crypto.commit(received.message_id(), chain);
        }
        self.heard_from_peer(ctx.now);
        if self.nat_detected && received.local.port() == isakmp::natt::NAT_T_PORT {
            self.follow_peer(ctx, received);
        }
    }

    // ---- outcomes ----------------------------------------------------------

    fn establish(&mut self, ctx: &mut Context<'_>, lifetime_secs: u32) {
        self.phase = Phase::Established;
        self.flight.answered();
        self.established_at = Some(ctx.now);
        self.lifetime_secs = lifetime_secs;
        ctx.out.counters.phase1_established += 1;
        self.trace(ctx, Trace::Lifetime { seconds: lifetime_secs });
        let info = self.info();
        ctx.out.event(Event::IkeSaEstablished(info));
        // Quick Mode follows at once for the children this SA was started for.
        for name in std::mem::take(&mut self.children_to_start) {
            if let Some(child) = self.connection.children.iter().find(|c| c.name == name).cloned() {
                self.start_quick_mode(ctx, &child);
            }
        }
    }

    /// Ka and the cookies, once keys exist.
    pub fn exported_keys(&self) -> Option<crate::endpoint::IkeSaKeys> {
        let crypto = self.crypto.as_ref()?;
        Some(crate::endpoint::IkeSaKeys {
            initiator_cookie: Cookie(self.cookies.initiator).to_string(),
            responder_cookie: Cookie(self.cookies.responder).to_string(),
            cipher: crypto.proposal.cipher.token().to_owned(),
            encryption_key: isakmp::hex::encode(crypto.encryption_key.as_bytes()),
        })
    }

    pub fn info(&self) -> IkeSaInfo {
        IkeSaInfo {
            conn_id: self.conn_id,
            connection: self.connection.name.clone(),
            local: self.local,
            remote: self.remote,
            initiator_cookie: Cookie(self.cookies.initiator).to_string(),
            responder_cookie: Cookie(self.cookies.responder).to_string(),
            proposal: self.crypto.as_ref().map(|c| c.proposal.to_string()).unwrap_or_default(),
            lifetime_secs: self.lifetime_secs,
            nat_detected: self.nat_detected,
            aggressive: self.mode == ExchangeMode::Aggressive,
            we_initiated: self.role == Role::Initiator,
        }
    }

    /// Ends a negotiation or an SA without telling the peer.
    pub fn fail(&mut self, ctx: &mut Context<'_>, reason: &str) {
        // Not `is_dead()`: a handler takes the phase out (leaving `Dead`)
        // while it processes a message, and its failures must still count.
        if self.has_failed() {
            return;
        }
        self.last_state = self.sa_state();
        self.trace(
            ctx,
            Trace::Deleted { reason: reason.to_owned(), state: self.last_state, role: self.role },
        );
        let old = self.fsm;
        self.fsm = IkeState::DestroySa;
        self.trace(
            ctx,
            Trace::StateChange { input: Input::Delete, old, new: IkeState::DestroySa, node: None },
        );
        if self.is_established() {
            ctx.out.event(Event::IkeSaDeleted {
                conn_id: self.conn_id,
                connection: self.connection.name.clone(),
                reason: reason.to_owned(),
            });
        } else {
            ctx.out.counters.phase1_failed += 1;
            ctx.out.event(Event::IkeSaFailed {
                connection: self.connection.name.clone(),
                peer: self.remote,
                reason: reason.to_owned(),
            });
        }
        self.phase = Phase::Dead;
        self.flight = Flight::default();
    }

    /// Deletes the SA, telling the peer with a Delete payload (RFC 2408 3.15)
    /// unless impaired not to.
    pub fn delete(&mut self, ctx: &mut Context<'_>, reason: &str) {
        if self.is_established() && !self.impairments.no_delete() {
            let spis = isakmp::payload::SpiList::new([self.cookie_spi().as_slice()]).unwrap_or_default();
            let delete = isakmp::payload::Delete {
                doi: isakmp::numbers::Doi::IPSEC,
                protocol: ProtocolId::ISAKMP,
                spis,
            };
            self.trace(
                ctx,
                Trace::DeleteSent {
                    protocol: ProtocolId::ISAKMP.to_string(),
                    spis: vec![
                        Cookie(self.cookies.initiator).to_string()
                            + &Cookie(self.cookies.responder).to_string(),
                    ],
                },
            );
            self.send_informational(ctx, vec![Payload::from(PayloadBody::Delete(delete))]);
        } else if self.impairments.no_delete() {
            self.impaired(ctx, "no_delete", "Delete payload withheld");
        }
        self.fail(ctx, reason);
    }

    // ---- time --------------------------------------------------------------

    pub fn next_timeout(&self) -> Option<Timestamp> {
        let retransmit = [self.flight.deadline(), self.quick_mode_deadline(), self.liveness_deadline()]
            .into_iter()
            .flatten()
            .min();
        let replay = self.replays.iter().map(|(at, _)| *at).min();
        let expiry = self.expiry(false);
        // The initiator re-keys at the soft expiry: a timer of its own, or
        // handle_timeout would only ever run at the hard one.
        let rekeys = self.role == Role::Initiator && self.connection.rekey && !self.rekey_started;
        let rekey = rekeys.then(|| self.expiry(true)).flatten();
        [retransmit, replay, expiry, rekey].into_iter().flatten().min()
    }

    /// When the SA expires (hard), or is to be re-keyed (soft: at 90 %).
    pub fn expiry(&self, soft: bool) -> Option<Timestamp> {
        let established = self.established_at?;
        let lifetime = u64::from(self.lifetime_secs) * 1000;
        let millis = if soft { lifetime * 9 / 10 } else { lifetime };
        Some(established + Duration::from_millis(millis))
    }

    pub fn handle_timeout(&mut self, ctx: &mut Context<'_>) {
        let due: Vec<Vec<u8>> = {
            let now = ctx.now;
            let (due, later): (Vec<_>, Vec<_>) = self.replays.drain(..).partition(|(at, _)| *at <= now);
            self.replays = later;
            due.into_iter().map(|(_, payload)| payload).collect()
        };
        for payload in due {
            ctx.out.transmit(Transmit::udp(self.local, self.remote, payload));
        }
        self.quick_mode_timeouts(ctx);
        self.liveness_timeouts(ctx);
        match self.flight.on_timeout(ctx.now, &ctx.config.retransmission) {
            Due::Nothing => {}
            Due::GiveUp => self.fail(ctx, "Death by retransmission P1"),
            Due::Retransmit { message, attempt } => self.retransmit(ctx, message, attempt),
        }
    }

    fn retransmit(&mut self, ctx: &mut Context<'_>, message: Vec<u8>, attempt: u32) {
        ctx.out.counters.retransmissions += 1;
        let limit = ctx.config.retransmission.max_retransmissions;
        self.trace(ctx, Trace::Retransmit { count: attempt, limit, state: self.sa_state() });
        self.transmit(ctx, message);
    }
}
