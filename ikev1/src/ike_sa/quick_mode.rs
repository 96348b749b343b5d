//! Quick Mode, both roles (RFC 2409 5.5), with PFS, client identities,
//! RESPONDER-LIFETIME (RFC 2407 4.6.3.1), the commit bit (RFC 2408 3.1) and
//! the UDP-encapsulated modes and NAT-OA of RFC 3947 5:
//!
//! ```text
//!      Initiator                          Responder
//!      HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] [, NAT-OAi, NAT-OAr] -->
//!                     <-- HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr] [, N(RESPONDER-LIFETIME)]
//!      HDR*, HASH(3)                -->
//! ```

use std::collections::BTreeMap;

use isakmp::numbers::{ExchangeType, NotifyType, PayloadType, ProtocolId};
use isakmp::payload::{Identification, NatOriginalAddress, Notification, SecurityAssociation};
use isakmp::{Flags, Payload, PayloadBody};

use super::flight::{Due, Flight};
use super::ipsec_proposal::{self, EspOffer};
use super::received::Received;
use super::{Context, IkeSa, Request, nat_t, traffic_selector};
use crate::child_sa::{ChildKeys, NegotiatedChild};
use crate::counters::DropReason;
use crate::crypto::{DhKeyPair, EspSuite, Secret};
use crate::keys::{
    KeymatInput, PROTO_IPSEC_ESP, esp_keys, quick_mode_hash_1, quick_mode_hash_2, quick_mode_hash_3,
};
use crate::policy::{ChildPolicy, IpsecMode, TrafficSelector};
use crate::time::Timestamp;
use crate::trace::{IkeState, Input, Trace};

/// How long a finished Quick Mode keeps its last answer, for a peer whose
/// final message got lost and who retransmits.
const KEEP_FINISHED_MS: u64 = 60_000;

/// One Quick Mode exchange, by message ID.
pub(super) struct QuickMode {
    fsm: IkeState,
    flight: Flight,
    state: QmState,
}

enum QmState {
    /// Initiator: QM1 sent, QM2 expected.
    ExpectResponse(Box<ExpectResponse>),
    /// Responder: QM2 sent, QM3 expected. The inbound SA is installed.
    ExpectFinal { ni: Vec<u8>, nr: Vec<u8>, inbound_spi: u32, connected_first: bool },
    /// The peer set the commit bit: its CONNECTED notify activates the SA.
    ExpectConnected { inbound_spi: u32 },
    /// Done; kept for a while to answer retransmissions.
    Finished { at: Timestamp },
}

struct ExpectResponse {
    child: ChildPolicy,
    offered: SecurityAssociation,
    own_spi: u32,
    ni: Vec<u8>,
    key_pair: Option<Box<dyn DhKeyPair>>,
}

/// Nonce length, as in Phase 1.
const NONCE_LEN: usize = super::main_mode::NONCE_LEN;

impl IkeSa {
    /// Starts a Quick Mode for a child policy of this SA's connection.
    pub(crate) fn start_quick_mode(&mut self, ctx: &mut Context<'_>, child: &ChildPolicy) {
        if !self.is_established() {
            return;
        }
        let message_id = loop {
            let candidate = ctx.rng.public_nonzero_u32();
            if !self.quick_modes.contains_key(&candidate) {
                break candidate;
            }
        };
        let own_spi = ctx.allocate_spi();
        let udp = self.udp_encapsulation();
        let mut offered = ipsec_proposal::offer(child, own_spi, udp);
        if let isakmp::payload::SaContent::Ipsec(ipsec) = &mut offered.content {
            ipsec.proposals[0].spi = self.impairments.proposal_spi(own_spi);
        }
        let ni = ctx.rng.public_vec(NONCE_LEN);
        let key_pair = match child.pfs {
            Some(group) => match ctx.crypto.dh_group(group.id()) {
                Ok(group) => Some(group.generate_key_pair(ctx.rng.private())),
                Err(_) => {
                    return self.drop_message(ctx, DropReason::NoProposalChosen, "PFS group not supported");
                }
            },
            None => None,
        };
        let mut rest = vec![Payload::from(PayloadBody::SecurityAssociation(offered.clone()))];
        rest.extend(self.own_nonce_and_ke(ctx, &ni, key_pair.as_deref()));
        if self.impairments.omit_client_ids() {
            self.impaired(ctx, "omit_client_ids", "QM1 without IDci/IDcr");
        } else {
            for ts in [&child.local_ts, &child.remote_ts] {
                rest.push(Payload::from(PayloadBody::Identification(traffic_selector::identification(ts))));
            }
        }
        rest.extend(self.nat_original_addresses(child.mode, true));
        self.trace(ctx, Trace::BeginExchange { exchange: "Quick Mode", message_id });
        let hash = self.quick_hash(
            ctx,
            |prf, skeyid_a, rest| quick_mode_hash_1(prf, skeyid_a, message_id, rest),
            &mut rest,
        );
        let mut quick_mode = QuickMode {
            fsm: IkeState::QmReady,
            flight: Flight::default(),
            state: QmState::ExpectResponse(Box::new(ExpectResponse {
                child: child.clone(),
                offered,
                own_spi,
                ni,
                key_pair,
            })),
        };
        self.qm_transition(ctx, &mut quick_mode, message_id, Input::InternalInitQuickMode, IkeState::QmIQm1);
        let message = self.emit(ctx, ExchangeType::QUICK_MODE, message_id, with_hash(hash, rest), true);
        if let Some(message) = message {
            quick_mode.flight.sent(ctx.now, &ctx.config.retransmission, &message, true, None);
        }
        self.quick_modes.insert(message_id, quick_mode);
    }

    /// A Quick Mode message (QM1 at a responder, QM2 at an initiator, QM3 at a responder).
    pub(super) fn quick_mode(&mut self, ctx: &mut Context<'_>, mut received: Received) {
        let message_id = received.message_id();
        if !self.is_established() || message_id == 0 || !received.encrypted {
            return self.drop_message(
                ctx,
                DropReason::UnexpectedMessage,
                "Quick Mode needs an established, encrypted ISAKMP SA",
            );
        }
        match self.quick_modes.remove(&message_id) {
            None => self.on_qm1(ctx, &mut received),
            Some(mut quick_mode) => {
                let state = std::mem::replace(&mut quick_mode.state, QmState::Finished { at: ctx.now });
                match state {
                    QmState::ExpectResponse(expect) => self.on_qm2(ctx, &mut received, quick_mode, *expect),
                    QmState::ExpectFinal { ni, nr, inbound_spi, connected_first } => {
                        self.on_qm3(ctx, &mut received, quick_mode, (ni, nr), inbound_spi, connected_first)
                    }
                    other => {
                        quick_mode.state = other;
                        self.quick_modes.insert(message_id, quick_mode);
                        self.drop_message(ctx, DropReason::UnexpectedMessage, "Quick Mode already finished");
                    }
                }
            }
        }
    }

    /// QM1 at the responder.
    fn on_qm1(&mut self, ctx: &mut Context<'_>, received: &mut Received) {
        let message_id = received.message_id();
        // Each QM1 under a new message ID would add an exchange and an
        // inbound SA: a peer must not make that grow without bound.
        if self.quick_modes.len() >= ctx.config.limits.max_quick_modes_per_sa {
            let detail = format!("{} Quick Modes on this SA", self.quick_modes.len());
            return self.drop_message(ctx, DropReason::QuickModeLimit, detail);
        }
        if self
            .verified_rest(ctx, received, |prf, skeyid_a, rest| {
                quick_mode_hash_1(prf, skeyid_a, message_id, rest)
            })
            .is_none()
        {
            return;
        }
        self.accept(ctx, received);
        let mut quick_mode = QuickMode {
            fsm: IkeState::QmReady,
            flight: Flight::default(),
            state: QmState::Finished { at: ctx.now },
        };
        self.qm_transition(ctx, &mut quick_mode, message_id, Input::PeerQuickMode, IkeState::QmRQm1);
        self.trace(ctx, Trace::Processing { payload: "SA".into(), message_id });
        let (Some(offered), Some(ni)) = (received.sa().cloned(), received.nonce().map(<[u8]>::to_vec)) else {
            self.drop_message(ctx, DropReason::MissingPayload, "QM1 needs SA and Ni");
            return self.refuse_quick_mode(ctx, received, NotifyType::PAYLOAD_MALFORMED);
        };
        if !nonce_length_ok(&ni) {
            self.drop_message(ctx, DropReason::InvalidNonce, format!("Ni of {} bytes", ni.len()));
            return self.refuse_quick_mode(ctx, received, NotifyType::PAYLOAD_MALFORMED);
        }
        let (remote_ts, local_ts) = match self.client_selectors(received) {
            Ok(selectors) => selectors,
            Err(why) => {
                self.drop_message(ctx, DropReason::InvalidIdentity, why);
                return self.refuse_quick_mode(ctx, received, NotifyType::INVALID_ID_INFORMATION);
            }
        };
        let Some(child) = self.child_for(&local_ts, &remote_ts) else {
            self.drop_message(
                ctx,
                DropReason::InvalidIdentity,
                format!("no child policy for {local_ts:?} <-> {remote_ts:?}"),
            );
            return self.refuse_quick_mode(ctx, received, NotifyType::INVALID_ID_INFORMATION);
        };
        let mut checks = Vec::new();
        let chosen = ipsec_proposal::choose(
            &offered,
            &child,
            self.connection.responder_choice,
            self.connection.lifetime_rule,
            &mut checks,
        );
        for check in checks {
            if let Err(why) = check.outcome {
                self.trace(ctx, Trace::AttributesNotAcceptable { reason: why.0 });
            }
        }
        let chosen = match chosen {
            Ok(chosen) => chosen,
            Err(refusal) => {
                ctx.out.counters.drop(DropReason::NoProposalChosen);
                return self.refuse_quick_mode(ctx, received, refusal.notify);
            }
        };
        self.trace(ctx, Trace::AttributesAcceptable);
        if chosen.agreed.udp_encapsulated && self.nat_t.is_none() {
            self.drop_message(ctx, DropReason::NoProposalChosen, "UDP encapsulation without NAT-T");
            return self.refuse_quick_mode(ctx, received, NotifyType::NO_PROPOSAL_CHOSEN);
        }
        // PFS (RFC 2409 5.5): a group in the transform means a KE payload.
        let pfs_secret = match self.quick_mode_pfs(ctx, received, chosen.agreed.pfs) {
            Ok(secret) => secret,
            Err(()) => return self.refuse_quick_mode(ctx, received, NotifyType::INVALID_KEY_INFORMATION),
        };
        let own_spi = ctx.allocate_spi();
        let nr = ctx.rng.public_vec(NONCE_LEN);
        let (own_key_pair, g_xy) = match pfs_secret {
            Some((key_pair, g_xy)) => (Some(key_pair), Some(g_xy)),
            None => (None, None),
        };
        let Some(negotiated) = self.negotiated(
            ctx,
            NegotiationInputs {
                child: &child,
                we_initiated: false,
                offer: chosen.agreed,
                message_id,
                own_spi,
                peer_spi: chosen.peer_spi,
                ni: &ni,
                nr: &nr,
                g_xy: g_xy.as_ref(),
                local_ts,
                remote_ts,
            },
        ) else {
            return self.refuse_quick_mode(ctx, received, NotifyType::NO_PROPOSAL_CHOSEN);
        };
        let chosen_sa = SecurityAssociation::ipsec(vec![isakmp::payload::Proposal {
            reserved: 0,
            number: chosen.proposal_number,
            protocol: ProtocolId::ESP,
            spi: own_spi.to_be_bytes().to_vec(),
            transforms: vec![chosen.transform.clone()],
        }]);
        let mut rest = vec![Payload::from(PayloadBody::SecurityAssociation(chosen_sa))];
        rest.extend(self.own_nonce_and_ke(ctx, &nr, own_key_pair.as_deref()));
        // Client identities are echoed when the initiator sent them (RFC 2409 5.5).
        rest.extend(
            received.identifications().cloned().map(|id| Payload::from(PayloadBody::Identification(id))),
        );
        // RFC 3947 5.2: the responder MUST send NAT-OA when it selected
        // UDP-Encapsulated-Transport.
        if chosen.agreed.udp_encapsulated {
            rest.extend(self.nat_original_addresses(chosen.agreed.mode, false));
        }
        if let Some(lifetime) = chosen.responder_lifetime {
            self.trace(
                ctx,
                Trace::NotifySent {
                    notify: NotifyType::RESPONDER_LIFETIME.to_string(),
                    protocol: ProtocolId::ESP.to_string(),
                    encrypted: true,
                },
            );
            ctx.out.counters.notify_sent(NotifyType::RESPONDER_LIFETIME);
            let notify = Notification::ipsec(
                ProtocolId::ESP,
                NotifyType::RESPONDER_LIFETIME,
                own_spi.to_be_bytes().to_vec(),
                ipsec_proposal::lifetime_attributes(&lifetime),
            );
            rest.push(Payload::from(PayloadBody::Notification(notify)));
        }
        let hash = self.quick_hash(
            ctx,
            |prf, skeyid_a, rest| quick_mode_hash_2(prf, skeyid_a, message_id, &ni, rest),
            &mut rest,
        );
        self.trace(ctx, Trace::Lifetime { seconds: negotiated.lifetime.seconds });
        let connected_first = received.header.flags.contains(Flags::COMMIT);
        ctx.requests.push(Request::InstallChild { child: Box::new(negotiated), outbound_active: false });
        let request = self.current_request.clone();
        if let Some(message) =
            self.emit(ctx, ExchangeType::QUICK_MODE, message_id, with_hash(hash, rest), true)
        {
            quick_mode.flight.sent(ctx.now, &ctx.config.retransmission, &message, true, request);
        }
        self.qm_transition(ctx, &mut quick_mode, message_id, Input::InternalComplete, IkeState::QmRQm2);
        quick_mode.state = QmState::ExpectFinal { ni, nr, inbound_spi: own_spi, connected_first };
        self.quick_modes.insert(message_id, quick_mode);
    }

    /// QM2 at the initiator: the IPsec SAs are up; answer with QM3.
    fn on_qm2(
        &mut self,
        ctx: &mut Context<'_>,
        received: &mut Received,
        mut quick_mode: QuickMode,
        expect: ExpectResponse,
    ) {
        let message_id = received.message_id();
        let ni = expect.ni.clone();
        if self
            .verified_rest(ctx, received, |prf, skeyid_a, rest| {
                quick_mode_hash_2(prf, skeyid_a, message_id, &ni, rest)
            })
            .is_none()
        {
            quick_mode.state = QmState::ExpectResponse(Box::new(expect));
            self.quick_modes.insert(message_id, quick_mode);
            return;
        }
        self.accept(ctx, received);
        quick_mode.flight.answered();
        self.qm_transition(ctx, &mut quick_mode, message_id, Input::PeerQuickMode, IkeState::QmIQm1);
        let (Some(sa), Some(nr)) = (received.sa(), received.nonce().map(<[u8]>::to_vec)) else {
            self.drop_message(ctx, DropReason::MissingPayload, "QM2 needs SA and Nr");
            return self.abandon_quick_mode(ctx, message_id, "QM2 without SA or Nr");
        };
        if !nonce_length_ok(&nr) {
            self.drop_message(ctx, DropReason::InvalidNonce, format!("Nr of {} bytes", nr.len()));
            return self.abandon_quick_mode(ctx, message_id, "nonce length outside 8..256");
        }
        let (mut offer, peer_spi) = match ipsec_proposal::accept_response(sa, &expect.offered) {
            Ok(accepted) => accepted,
            Err(why) => {
                self.trace(ctx, Trace::AttributesNotAcceptable { reason: why.0.clone() });
                let spi = expect.own_spi.to_be_bytes().to_vec();
                self.send_notify(ctx, NotifyType::NO_PROPOSAL_CHOSEN, ProtocolId::ESP, spi, Vec::new());
                return self.abandon_quick_mode(ctx, message_id, &why.0);
            }
        };
        self.trace(ctx, Trace::AttributesAcceptable);
        if let Err(why) = self.returned_client_ids(received, &expect.child) {
            self.trace(ctx, Trace::AttributesNotAcceptable { reason: why.clone() });
            let spi = expect.own_spi.to_be_bytes().to_vec();
            self.send_notify(ctx, NotifyType::INVALID_ID_INFORMATION, ProtocolId::ESP, spi, Vec::new());
            return self.abandon_quick_mode(ctx, message_id, &why);
        }
        for notification in
            received.notifications().filter(|n| n.notify_type == NotifyType::RESPONDER_LIFETIME)
        {
            ctx.out.counters.notify_received(NotifyType::RESPONDER_LIFETIME);
            self.trace(
                ctx,
                Trace::NotifyReceived {
                    notify: NotifyType::RESPONDER_LIFETIME.to_string(),
                    protocol: notification.protocol.to_string(),
                    encrypted: true,
                },
            );
            offer.lifetime = ipsec_proposal::read_lifetime_attributes(&notification.data, offer.lifetime);
        }
        let g_xy = match (&expect.key_pair, received.ke()) {
            (None, _) => None,
            (Some(key_pair), Some(ke)) => match key_pair.shared_secret(ke) {
                Ok(secret) => Some(secret),
                Err(_) => {
                    self.drop_message(ctx, DropReason::InvalidKeyExchange, "PFS public value refused");
                    return self.abandon_quick_mode(ctx, message_id, "invalid PFS KE");
                }
            },
            (Some(_), None) => {
                self.drop_message(ctx, DropReason::MissingPayload, "PFS agreed but QM2 has no KE");
                return self.abandon_quick_mode(ctx, message_id, "PFS required but the responder sent no KE");
            }
        };
        let negotiated = self.negotiated(
            ctx,
            NegotiationInputs {
                child: &expect.child,
                we_initiated: true,
                offer,
                message_id,
                own_spi: expect.own_spi,
                peer_spi,
                ni: &expect.ni,
                nr: &nr,
                g_xy: g_xy.as_ref(),
                local_ts: expect.child.local_ts,
                remote_ts: expect.child.remote_ts,
            },
        );
        let Some(negotiated) = negotiated else {
            return self.abandon_quick_mode(ctx, message_id, "cannot key the negotiated transform");
        };
        let hash = quick_mode_hash_3(self.prf(ctx), &self.skeyid_a(), message_id, &expect.ni, &nr);
        let hash = self.impairments.hash(hash.as_bytes().to_vec());
        let committed = received.header.flags.contains(Flags::COMMIT);
        let request = self.current_request.clone();
        if let Some(message) = self.emit(
            ctx,
            ExchangeType::QUICK_MODE,
            message_id,
            vec![Payload::from(PayloadBody::Hash(hash))],
            true,
        ) {
            quick_mode.flight.sent(ctx.now, &ctx.config.retransmission, &message, false, request);
        }
        self.trace(ctx, Trace::Lifetime { seconds: negotiated.lifetime.seconds });
        let inbound_spi = negotiated.inbound.spi;
        ctx.requests.push(Request::InstallChild { child: Box::new(negotiated), outbound_active: !committed });
        if committed {
            quick_mode.state = QmState::ExpectConnected { inbound_spi };
        } else {
            self.qm_transition(
                ctx,
                &mut quick_mode,
                message_id,
                Input::InternalComplete,
                IkeState::QmPhase2Complete,
            );
            quick_mode.state = QmState::Finished { at: ctx.now };
        }
        self.quick_modes.insert(message_id, quick_mode);
    }

    /// QM3 at the responder: the outbound SA may be used.
    fn on_qm3(
        &mut self,
        ctx: &mut Context<'_>,
        received: &mut Received,
        mut quick_mode: QuickMode,
        nonces: (Vec<u8>, Vec<u8>),
        inbound_spi: u32,
        connected_first: bool,
    ) {
        let message_id = received.message_id();
        let expected = quick_mode_hash_3(self.prf(ctx), &self.skeyid_a(), message_id, &nonces.0, &nonces.1);
        if received.first != PayloadType::HASH || !received.hash().is_some_and(|hash| expected.ct_eq(hash)) {
            self.drop_message(ctx, DropReason::HashMismatch, "HASH(3) does not verify");
            quick_mode.state =
                QmState::ExpectFinal { ni: nonces.0, nr: nonces.1, inbound_spi, connected_first };
            self.quick_modes.insert(message_id, quick_mode);
            return;
        }
        self.accept(ctx, received);
        quick_mode.flight.answered();
        if connected_first {
            quick_mode.state = QmState::ExpectConnected { inbound_spi };
        } else {
            ctx.requests.push(Request::ActivateChild { inbound_spi });
            self.qm_transition(
                ctx,
                &mut quick_mode,
                message_id,
                Input::PeerQuickMode,
                IkeState::QmPhase2Complete,
            );
            quick_mode.state = QmState::Finished { at: ctx.now };
        }
        if let Some(crypto) = self.crypto.as_mut() {
            crypto.close_exchange(message_id);
        }
        self.quick_modes.insert(message_id, quick_mode);
    }

    /// Our last message of a Quick Mode, if `bytes` are exactly the peer's
    /// message it answered: a retransmission (RFC 2408 3.1: the peer
    /// retransmits its last message to make us send our final one again).
    /// It is recognised by its bytes, before decryption, because it was
    /// encrypted under an IV our chain has moved past (RFC 2409 Appendix B).
    pub(super) fn quick_mode_answer(&self, message_id: u32, bytes: &[u8]) -> Option<Vec<u8>> {
        self.quick_modes.get(&message_id).and_then(|qm| qm.flight.answer_to(bytes))
    }

    /// Whether a Quick Mode of ours is still waiting for its peer.
    pub(crate) fn negotiating_children(&self) -> bool {
        self.quick_modes.values().any(|qm| !matches!(qm.state, QmState::Finished { .. }))
    }

    /// CONNECTED (RFC 2408 3.1) for a Quick Mode whose peer set the commit bit.
    pub(super) fn on_connected(&mut self, ctx: &mut Context<'_>, message_id: u32) {
        let Some(mut quick_mode) = self.quick_modes.remove(&message_id) else { return };
        if let QmState::ExpectConnected { inbound_spi } = quick_mode.state {
            ctx.requests.push(Request::ActivateChild { inbound_spi });
            self.qm_transition(
                ctx,
                &mut quick_mode,
                message_id,
                Input::PeerInformational,
                IkeState::QmPhase2Complete,
            );
            quick_mode.state = QmState::Finished { at: ctx.now };
        }
        self.quick_modes.insert(message_id, quick_mode);
    }

    // ---- helpers -----------------------------------------------------------

    fn qm_transition(
        &self,
        ctx: &mut Context<'_>,
        quick_mode: &mut QuickMode,
        message_id: u32,
        input: Input,
        new: IkeState,
    ) {
        let old = quick_mode.fsm;
        quick_mode.fsm = new;
        self.trace(ctx, Trace::StateChange { input, old, new, node: Some(message_id) });
    }

    fn prf<'a>(&self, ctx: &Context<'a>) -> &'a dyn crate::crypto::HashFunction {
        ctx.crypto.hash(
            self.crypto.as_ref().map_or(crate::crypto::HashAlgorithm::Sha1, |c| c.proposal.hash.algorithm()),
        )
    }

    fn skeyid_a(&self) -> Secret {
        self.crypto
            .as_ref()
            .map_or_else(|| Secret::new(Vec::new()), |c| Secret::from_slice(c.keys.skeyid_a.as_bytes()))
    }

    /// HASH over the payloads after it, impaired if asked.
    fn quick_hash(
        &self,
        ctx: &Context<'_>,
        hash: impl Fn(&dyn crate::crypto::HashFunction, &Secret, &[u8]) -> Secret,
        rest: &mut Vec<Payload>,
    ) -> Vec<u8> {
        let bytes = self.hashed_rest(rest);
        let value = hash(self.prf(ctx), &self.skeyid_a(), &bytes);
        self.impairments.hash(value.as_bytes().to_vec())
    }

    /// The bytes after a verified HASH payload, or `None` (dropped) if the
    /// HASH is missing or wrong (RFC 2409 5.5).
    fn verified_rest(
        &self,
        ctx: &mut Context<'_>,
        received: &Received,
        hash: impl Fn(&dyn crate::crypto::HashFunction, &Secret, &[u8]) -> Secret,
    ) -> Option<Vec<u8>> {
        let (true, Some(value), Some(rest)) =
            (received.first == PayloadType::HASH, received.hash(), received.chain_after_first())
        else {
            self.drop_message(ctx, DropReason::MissingPayload, "Quick Mode message without a leading HASH");
            return None;
        };
        if !hash(self.prf(ctx), &self.skeyid_a(), rest).ct_eq(value) {
            self.drop_message(ctx, DropReason::HashMismatch, "Quick Mode HASH does not verify");
            return None;
        }
        Some(rest.to_vec())
    }

    fn own_nonce_and_ke(
        &self,
        ctx: &mut Context<'_>,
        nonce: &[u8],
        key_pair: Option<&dyn DhKeyPair>,
    ) -> Vec<Payload> {
        let mut payloads = Vec::new();
        match self.impairments.nonce(nonce) {
            Some(sent) => payloads.push(Payload::from(PayloadBody::Nonce(sent))),
            None => self.impaired(ctx, "omit_nonce", "Quick Mode nonce left out"),
        }
        if let Some(key_pair) = key_pair {
            match self.impairments.key_exchange(key_pair.public_value()) {
                Some(ke) => payloads.push(Payload::from(PayloadBody::KeyExchange(ke))),
                None => self.impaired(ctx, "omit_ke", "PFS KE left out"),
            }
        }
        payloads
    }

    /// RFC 3947 5.2: in transport mode behind a NAT, the original addresses,
    /// the initiator's first: for the initiator its own address and the
    /// responder's as it sees it, for the responder the initiator's as it
    /// sees it and its own.
    fn nat_original_addresses(&self, mode: IpsecMode, initiator: bool) -> Vec<Payload> {
        let Some(version) = self.nat_t.filter(|_| self.nat_detected && mode == IpsecMode::Transport) else {
            return Vec::new();
        };
        let numbering = nat_t::numbering(version);
        let (local, remote) = (self.local.ip(), self.remote.ip());
        let addresses = if initiator { [local, remote] } else { [remote, local] };
        addresses
            .into_iter()
            .map(|address| {
                Payload::from(PayloadBody::NatOriginalAddress(NatOriginalAddress {
                    numbering,
                    reserved: [0; 3],
                    address,
                }))
            })
            .collect()
    }

    /// The NAT-T version for UDP-encapsulated modes, when a NAT was found.
    fn udp_encapsulation(&self) -> Option<isakmp::vendor_id::NatTVersion> {
        self.nat_t.filter(|_| self.nat_detected)
    }

    /// IDci and IDcr as (peer's selector, our selector); the IKE peers'
    /// addresses when the initiator sent none (RFC 2409 5.5).
    fn client_selectors(&self, received: &Received) -> Result<(TrafficSelector, TrafficSelector), String> {
        let ids: Vec<&Identification> = received.identifications().collect();
        match ids.as_slice() {
            [] => Ok((TrafficSelector::host(self.remote.ip()), TrafficSelector::host(self.local.ip()))),
            [initiator, responder] => {
                let peer = traffic_selector::selector(initiator).ok_or("IDci names no addresses")?;
                let ours = traffic_selector::selector(responder).ok_or("IDcr names no addresses")?;
                Ok((peer, ours))
            }
            _ => Err("Quick Mode carries client IDs in pairs".into()),
        }
    }

    /// RFC 2409 5.5: QM2 must return the client IDs of QM1 (unless we sent none).
    fn returned_client_ids(&self, received: &Received, child: &ChildPolicy) -> Result<(), String> {
        if self.impairments.omit_client_ids() {
            return Ok(());
        }
        let ids: Vec<&Identification> = received.identifications().collect();
        traffic_selector::returned_as_proposed(&ids, &child.local_ts, &child.remote_ts)
    }

    /// Our child policy that covers what the initiator proposes.
    fn child_for(&self, local_ts: &TrafficSelector, remote_ts: &TrafficSelector) -> Option<ChildPolicy> {
        self.connection
            .children
            .iter()
            .find(|child| {
                traffic_selector::within(local_ts, &child.local_ts)
                    && traffic_selector::within(remote_ts, &child.remote_ts)
            })
            .cloned()
    }

    /// The responder's PFS: our key pair and g^xy, `None` without PFS.
    #[allow(clippy::type_complexity)]
    fn quick_mode_pfs(
        &self,
        ctx: &mut Context<'_>,
        received: &Received,
        group: Option<crate::policy::DhGroup>,
    ) -> Result<Option<(Box<dyn DhKeyPair>, Secret)>, ()> {
        let Some(group) = group else { return Ok(None) };
        let Some(ke) = received.ke() else {
            self.drop_message(ctx, DropReason::MissingPayload, "PFS group agreed but no KE");
            return Err(());
        };
        let group = ctx.crypto.dh_group(group.id()).map_err(|_| ())?;
        let key_pair = group.generate_key_pair(ctx.rng.private());
        match key_pair.shared_secret(ke) {
            Ok(secret) => Ok(Some((key_pair, secret))),
            Err(_) => {
                self.drop_message(ctx, DropReason::InvalidKeyExchange, "PFS public value refused");
                Err(())
            }
        }
    }

    /// KEYMAT for both directions (RFC 2409 5.5): each direction is keyed
    /// with the SPI its receiver chose.
    fn negotiated(&self, ctx: &mut Context<'_>, inputs: NegotiationInputs<'_>) -> Option<NegotiatedChild> {
        let crypto = self.crypto.as_ref()?;
        let suite = EspSuite::new(
            inputs.offer.proposal.cipher.encryption(),
            inputs.offer.proposal.integrity.map(|i| i.integrity()),
        )
        .ok()?;
        let prf = crypto.prf(ctx.crypto);
        let (ni, nr) = (inputs.ni, inputs.nr);
        let keys_for = |spi: u32| {
            let spi = spi.to_be_bytes();
            let input = KeymatInput {
                pfs_g_xy: inputs.g_xy.map(Secret::as_bytes),
                protocol: PROTO_IPSEC_ESP,
                spi: &spi,
                ni_b: ni,
                nr_b: nr,
            };
            esp_keys(prf, &crypto.keys.skeyid_d, &input, suite)
        };
        let inbound = keys_for(inputs.own_spi);
        let outbound = keys_for(inputs.peer_spi);
        // A transport-mode SA protects the peers' own packets, and behind a
        // NAT the peer's packets come from the address we see, not the one
        // it named (that is its NAT-OA, good for checksums only: RFC 3947
        // 5.2, RFC 3948 3.1.2): the SA's remote selector is the peer as seen.
        let remote_ts = if inputs.offer.mode == IpsecMode::Transport && inputs.offer.udp_encapsulated {
            let seen = TrafficSelector::host(self.remote.ip());
            TrafficSelector { protocol: inputs.remote_ts.protocol, port: inputs.remote_ts.port, ..seen }
        } else {
            inputs.remote_ts
        };
        Some(NegotiatedChild {
            connection: self.connection.name.clone(),
            child: inputs.child.name.clone(),
            ike_sa: self.own_cookie(),
            conn_id: self.conn_id,
            message_id: inputs.message_id,
            we_initiated: inputs.we_initiated,
            proposal: inputs.offer.proposal,
            pfs: inputs.offer.pfs,
            mode: inputs.offer.mode,
            udp_encapsulated: inputs.offer.udp_encapsulated,
            local: self.local,
            remote: self.remote,
            local_ts: inputs.local_ts,
            remote_ts,
            lifetime: inputs.offer.lifetime,
            inbound: ChildKeys {
                spi: inputs.own_spi,
                encryption: inbound.encryption,
                integrity: inbound.integrity,
            },
            outbound: ChildKeys {
                spi: inputs.peer_spi,
                encryption: outbound.encryption,
                integrity: outbound.integrity,
            },
        })
    }

    /// Refuses a Quick Mode with a protected Notify (RFC 2408 5.4-5.6) that
    /// names the negotiation by the initiator's SPI (RFC 2408 3.14: a Phase 2
    /// notification is identified by the SPI of the current negotiation).
    /// The exchange is over: its IV chain goes, so that a retransmitted QM1,
    /// encrypted under the exchange's first IV, is read and refused again
    /// rather than garbled (RFC 2409 Appendix B).
    fn refuse_quick_mode(&mut self, ctx: &mut Context<'_>, received: &Received, notify: NotifyType) {
        let spi = received
            .sa()
            .and_then(|sa| sa.proposals().iter().find(|p| p.protocol == ProtocolId::ESP && p.spi.len() == 4))
            .map(|proposal| proposal.spi.clone())
            .unwrap_or_default();
        self.send_notify(ctx, notify, ProtocolId::ESP, spi, Vec::new());
        if let Some(crypto) = self.crypto.as_mut() {
            crypto.close_exchange(received.message_id());
        }
    }

    /// A protected error notify about one of our Quick Modes, named by the
    /// SPI we proposed (RFC 2408 3.14): the responder refused it, so it ends
    /// now instead of retransmitting into a refusal. Whether one matched.
    pub(super) fn quick_mode_refused(
        &mut self,
        ctx: &mut Context<'_>,
        spi: &[u8],
        notify: NotifyType,
    ) -> bool {
        let refused = self.quick_modes.iter().find_map(|(message_id, qm)| match &qm.state {
            QmState::ExpectResponse(expect) if expect.own_spi.to_be_bytes() == spi => {
                Some((*message_id, expect.own_spi))
            }
            _ => None,
        });
        let Some((message_id, own_spi)) = refused else { return false };
        self.quick_modes.remove(&message_id);
        ctx.spis.remove(&own_spi);
        self.abandon_quick_mode(ctx, message_id, &format!("peer refused: {notify}"));
        true
    }

    fn abandon_quick_mode(&mut self, ctx: &mut Context<'_>, message_id: u32, reason: &str) {
        self.trace(
            ctx,
            Trace::Dropped {
                reason: DropReason::NoProposalChosen,
                detail: format!("Quick Mode {message_id}: {reason}"),
            },
        );
        ctx.out.event(crate::endpoint::io::Event::IpsecSaFailed {
            connection: self.connection.name.clone(),
            peer: self.remote,
            reason: reason.to_owned(),
        });
        if let Some(crypto) = self.crypto.as_mut() {
            crypto.close_exchange(message_id);
        }
    }

    /// Quick Mode retransmissions and the expiry of finished exchanges.
    pub(super) fn quick_mode_timeouts(&mut self, ctx: &mut Context<'_>) {
        let now = ctx.now;
        let ids: Vec<u32> = self.quick_modes.keys().copied().collect();
        for message_id in ids {
            let Some(quick_mode) = self.quick_modes.get_mut(&message_id) else { continue };
            if let QmState::Finished { at } = quick_mode.state
                && now.as_millis().saturating_sub(at.as_millis()) >= KEEP_FINISHED_MS
            {
                self.quick_modes.remove(&message_id);
                continue;
            }
            match quick_mode.flight.on_timeout(now, &ctx.config.retransmission) {
                Due::Nothing => {}
                Due::Retransmit { message, attempt } => self.retransmit(ctx, message, attempt),
                Due::GiveUp => {
                    let removed = self.quick_modes.remove(&message_id);
                    if let Some(QuickMode { state: QmState::ExpectFinal { inbound_spi, .. }, .. }) = removed {
                        ctx.requests.push(Request::RemoveChild {
                            inbound_spi,
                            reason: "Quick Mode never completed".into(),
                        });
                    }
                    self.abandon_quick_mode(ctx, message_id, "Death by retransmission P2");
                }
            }
        }
    }

    /// Quick Mode exchanges this SA keeps: in progress, or finished and
    /// kept to answer retransmissions.
    pub(crate) fn quick_mode_count(&self) -> usize {
        self.quick_modes.len()
    }

    pub(super) fn quick_mode_deadline(&self) -> Option<Timestamp> {
        self.quick_modes
            .values()
            .filter_map(|qm| match qm.state {
                QmState::Finished { at } => Some(at + std::time::Duration::from_millis(KEEP_FINISHED_MS)),
                _ => qm.flight.deadline(),
            })
            .min()
    }
}

/// Everything KEYMAT and the IPsec SA pair are made of. `ni`/`nr` are the
/// Quick Mode initiator's and responder's nonces, whoever we are.
struct NegotiationInputs<'a> {
    child: &'a ChildPolicy,
    we_initiated: bool,
    offer: EspOffer,
    message_id: u32,
    own_spi: u32,
    peer_spi: u32,
    ni: &'a [u8],
    nr: &'a [u8],
    g_xy: Option<&'a Secret>,
    local_ts: TrafficSelector,
    remote_ts: TrafficSelector,
}

/// RFC 2409 5: the length of a nonce payload MUST be between 8 and 256
/// bytes, in Quick Mode as in Phase 1.
fn nonce_length_ok(nonce: &[u8]) -> bool {
    (8..=256).contains(&nonce.len())
}

fn with_hash(hash: Vec<u8>, rest: Vec<Payload>) -> Vec<Payload> {
    let mut payloads = vec![Payload::from(PayloadBody::Hash(hash))];
    payloads.extend(rest);
    payloads
}

/// An SA's Quick Modes by message ID.
pub(super) type QuickModes = BTreeMap<u32, QuickMode>;
