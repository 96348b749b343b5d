//! Main Mode, both roles (RFC 2409 5, pre-shared key authentication 5.4):
//!
//! ```text
//!      Initiator                          Responder
//!     -----------                        -----------
//!      HDR, SA                     -->                        MM1
//!                                  <--    HDR, SA             MM2
//!      HDR, KE, Ni [, NAT-D, NAT-D] -->                       MM3
//!                                  <--    HDR, KE, Nr [, NAT-D, NAT-D]   MM4
//!      HDR*, IDii, HASH_I [, N(IC)] -->                       MM5
//!                                  <--    HDR*, IDir, HASH_R  MM6
//! ```

use std::net::SocketAddr;

use isakmp::numbers::{ExchangeType, NotifyType, ProtocolId};
use isakmp::payload::{Identification, Proposal, SaContent, SecurityAssociation};
use isakmp::{Payload, PayloadBody};

use super::phase::{ExpectKe, ExpectKeRequest, ExpectSa, Phase, Transcript};
use super::received::Received;
use super::sa_crypto::{KeyInputs, SaCrypto};
use super::{Context, IkeSa, Request, identity, nat_t, proposal};
use crate::counters::DropReason;
use crate::keys::{Cookies, Phase1Transcript, hash_i, hash_r};
use crate::policy::{Connection, IkeProposal, NatTMode};
use crate::trace::{IkeState, Input, Role, Trace};

/// Nonce length we send: 32 bytes, as strongSwan (RFC 2409 5: 8 to 256).
pub(super) const NONCE_LEN: usize = 32;

/// Starts Main Mode as initiator: MM1.
pub(crate) fn initiate(
    ctx: &mut Context<'_>,
    connection: &Connection,
    local: SocketAddr,
    remote: SocketAddr,
) -> IkeSa {
    let cookies = Cookies { initiator: ctx.rng.public_nonzero_bytes(), responder: [0; 8] };
    let mut sa = IkeSa::new(Role::Initiator, connection, cookies, local, remote);
    sa.announce_psk(ctx, None);
    let offered = proposal::offer(&connection.ordered_proposals());
    let sa_body = PayloadBody::SecurityAssociation(offered.clone());
    let sa_i_b = sa_body.to_body_bytes().unwrap_or_default();
    let mut payloads = vec![Payload::from(sa_body)];
    payloads.extend(sa.own_vendor_ids(ctx, None));
    sa.transition(ctx, Input::SaRequestMainMode, IkeState::IMm1);
    sa.trace(ctx, Trace::BeginExchange { exchange: "Main Mode", message_id: 0 });
    sa.phase = Phase::MainExpectSa(ExpectSa { offered, sa_i_b });
    sa.send_phase1(ctx, ExchangeType::IDENTITY_PROTECTION, payloads, false, true);
    sa
}

/// Answers MM1 as responder: MM2, or NO-PROPOSAL-CHOSEN.
pub(crate) fn respond(
    ctx: &mut Context<'_>,
    connection: &Connection,
    mut received: Received,
    bytes: &[u8],
) -> IkeSa {
    let mut sa = IkeSa::responder_for(ctx, connection, &received, bytes);
    sa.transition(ctx, Input::PeerMainMode, IkeState::RMm1);
    if let Some(answer) = sa.answer_sa(ctx, &mut received) {
        sa.transition(ctx, Input::InternalMainMode, IkeState::RMm1);
        let state = ExpectKeRequest { sa_i_b: answer.sa_i_b, proposal: answer.proposal };
        sa.phase = Phase::MainExpectKeRequest(state);
        sa.answer_first_message(ctx, ExchangeType::IDENTITY_PROTECTION, answer.payloads);
        sa.transition(ctx, Input::InternalComplete, IkeState::RMm2);
    }
    sa.current_request = None;
    sa
}

/// Our side of a key exchange: the DH key pair, our nonce, and the payloads
/// (KE, nonce, NAT-D) that carry them.
pub(super) struct OwnKeyExchange {
    pub key_pair: Box<dyn crate::crypto::DhKeyPair>,
    pub nonce: Vec<u8>,
    pub payloads: Vec<Payload>,
}

/// The responder's reading of an initiator's SA payload.
pub(super) struct Answer {
    /// The agreed parameters (the initiator's lifetime).
    pub proposal: IkeProposal,
    /// SAi_b, which HASH_I and HASH_R cover.
    pub sa_i_b: Vec<u8>,
    /// The SA payload with the chosen transform, then our vendor IDs.
    pub payloads: Vec<Payload>,
}

impl IkeSa {
    pub(super) fn main_mode(&mut self, ctx: &mut Context<'_>, mut received: Received) {
        if received.message_id() != 0 {
            return self.drop_message(ctx, DropReason::InvalidMessageId, "Main Mode uses message ID 0");
        }
        match std::mem::replace(&mut self.phase, Phase::Dead) {
            Phase::MainExpectSa(state) => self.on_mm2(ctx, received, state),
            Phase::MainExpectKe(state) => self.on_mm4(ctx, received, state),
            Phase::MainExpectIdResponse(state) => self.on_mm6(ctx, &mut received, state),
            Phase::MainExpectKeRequest(state) => self.on_mm3(ctx, received, state),
            Phase::MainExpectIdRequest(state) => self.on_mm5(ctx, &mut received, state),
            other => {
                self.phase = other;
                self.drop_message(ctx, DropReason::UnexpectedMessage, "no Main Mode message expected now");
            }
        }
    }

    /// MM1 or AM1 at the responder: choose a proposal (RFC 2408 5.4-5.6), or
    /// refuse with the Notify the RFC names and give up.
    pub(super) fn answer_sa(&mut self, ctx: &mut Context<'_>, received: &mut Received) -> Option<Answer> {
        self.trace(ctx, Trace::Processing { payload: "SA".into(), message_id: 0 });
        if let Some(unknown) = received.unknown_payload_types().first() {
            self.refuse(
                ctx,
                NotifyType::INVALID_PAYLOAD_TYPE,
                &format!("payload type {} is not IKEv1", unknown.0),
            );
            return None;
        }
        let Some(offered) = received.sa().cloned() else {
            self.drop_message(ctx, DropReason::MissingPayload, "no SA payload");
            self.fail(ctx, "malformed first message");
            return None;
        };
        let sa_i_b = PayloadBody::SecurityAssociation(offered.clone()).to_body_bytes().unwrap_or_default();
        let own = self.connection.ordered_proposals();
        let mut checks = Vec::new();
        let choice = proposal::choose(
            &offered,
            &own,
            self.connection.responder_choice,
            self.connection.lifetime_rule,
            &mut checks,
        );
        for check in checks {
            self.trace(
                ctx,
                Trace::CheckingTransform {
                    transform: check.transform,
                    priority: check.priority,
                    attributes: check.attributes,
                },
            );
            if let Err(why) = check.outcome {
                self.trace(ctx, Trace::AttributesNotAcceptable { reason: why.0 });
            }
        }
        let choice = match choice {
            Ok(choice) => choice,
            Err(refusal) => {
                ctx.out.counters.drop(DropReason::NoProposalChosen);
                self.refuse(ctx, refusal.notify, &refusal.reason);
                return None;
            }
        };
        self.trace(ctx, Trace::AttributesAcceptable);
        self.process_vendor_ids(ctx, received);
        let chosen = SecurityAssociation {
            doi: offered.doi,
            content: SaContent::Ipsec(isakmp::payload::IpsecSituation {
                situation: isakmp::numbers::Situation::IDENTITY_ONLY,
                labeled_domain: None,
                proposals: vec![Proposal {
                    reserved: 0,
                    number: choice.proposal_number,
                    protocol: ProtocolId::ISAKMP,
                    spi: Vec::new(),
                    transforms: vec![choice.transform],
                }],
            }),
        };
        let mut payloads = vec![Payload::from(PayloadBody::SecurityAssociation(chosen))];
        payloads.extend(self.own_vendor_ids(ctx, self.nat_t));
        Some(Answer { proposal: choice.agreed, sa_i_b, payloads })
    }

    /// The responder's SA in MM2 or AM2: one of our transforms, unmodified
    /// (RFC 2409 5); otherwise NO-PROPOSAL-CHOSEN and the SA is given up.
    pub(super) fn accept_chosen_sa(
        &mut self,
        ctx: &mut Context<'_>,
        received: &Received,
        offered: &SecurityAssociation,
    ) -> Option<IkeProposal> {
        self.trace(ctx, Trace::Processing { payload: "SA".into(), message_id: 0 });
        let Some(sa) = received.sa() else {
            self.drop_message(ctx, DropReason::MissingPayload, "no SA payload in the response");
            self.fail(ctx, "response without SA payload");
            return None;
        };
        match proposal::accept_response(sa, offered) {
            Ok(proposal) => {
                self.trace(ctx, Trace::AttributesAcceptable);
                self.process_vendor_ids(ctx, received);
                Some(proposal)
            }
            Err(why) => {
                self.trace(ctx, Trace::AttributesNotAcceptable { reason: why.0.clone() });
                ctx.out.counters.drop(DropReason::NoProposalChosen);
                self.refuse(ctx, NotifyType::NO_PROPOSAL_CHOSEN, &why.0);
                None
            }
        }
    }

    /// g^xy from the peer's KE, or INVALID-KEY-INFORMATION (RFC 2409 5,
    /// CVE-2015-3240: zero and one are refused).
    pub(super) fn shared_secret(
        &mut self,
        ctx: &mut Context<'_>,
        key_pair: &dyn crate::crypto::DhKeyPair,
        peer_public_value: &[u8],
    ) -> Option<crate::crypto::Secret> {
        match key_pair.shared_secret(peer_public_value) {
            Ok(secret) => Some(secret),
            Err(_) => {
                self.drop_message(ctx, DropReason::InvalidKeyExchange, "peer public value refused");
                self.refuse(ctx, NotifyType::INVALID_KEY_INFORMATION, "invalid KE");
                None
            }
        }
    }

    /// Refuses a negotiation with a Notify and gives up on the SA.
    pub(super) fn refuse(&mut self, ctx: &mut Context<'_>, notify: NotifyType, reason: &str) {
        let spi = self.cookie_spi();
        self.send_notify(ctx, notify, ProtocolId::ISAKMP, spi, Vec::new());
        self.fail(ctx, reason);
    }

    /// MM2 at the initiator: the chosen proposal; answer with MM3.
    fn on_mm2(&mut self, ctx: &mut Context<'_>, received: Received, state: ExpectSa) {
        if received.encrypted || received.header.responder_cookie.is_zero() {
            self.phase = Phase::MainExpectSa(state);
            return self.drop_message(
                ctx,
                DropReason::UnexpectedMessage,
                "MM2 must be plain with a responder cookie",
            );
        }
        self.cookies.responder = received.header.responder_cookie.0;
        self.flight.answered();
        self.transition(ctx, Input::PeerMainMode, IkeState::IMm2);
        let Some(proposal) = self.accept_chosen_sa(ctx, &received, &state.offered) else { return };
        self.transition(ctx, Input::InternalMainMode, IkeState::IMm2);
        let Some(OwnKeyExchange { key_pair, nonce: ni, payloads }) =
            self.key_exchange_payloads(ctx, proposal)
        else {
            return self.fail(ctx, "cannot start the key exchange");
        };
        self.phase = Phase::MainExpectKe(ExpectKe { sa_i_b: state.sa_i_b, proposal, key_pair, ni });
        self.send_phase1(ctx, ExchangeType::IDENTITY_PROTECTION, payloads, false, true);
        self.transition(ctx, Input::InternalComplete, IkeState::IMm3);
    }

    /// MM3 at the responder: the initiator's KE and nonce; answer with MM4.
    fn on_mm3(&mut self, ctx: &mut Context<'_>, received: Received, state: ExpectKeRequest) {
        if received.encrypted {
            self.phase = Phase::MainExpectKeRequest(state);
            return self.drop_message(ctx, DropReason::EncryptionMismatch, "MM3 must be plain");
        }
        self.flight.answered();
        self.transition(ctx, Input::PeerMainMode, IkeState::RMm3);
        let Some((g_xi, ni)) = self.peer_key_exchange(ctx, &received) else {
            return self.fail(ctx, "invalid key exchange in MM3");
        };
        let Some(OwnKeyExchange { key_pair, nonce: nr, payloads }) =
            self.key_exchange_payloads(ctx, state.proposal)
        else {
            return self.fail(ctx, "cannot answer the key exchange");
        };
        let g_xr = key_pair.public_value().to_vec();
        let Some(g_xy) = self.shared_secret(ctx, key_pair.as_ref(), &g_xi) else { return };
        let nonces = (ni.as_slice(), nr.as_slice());
        if !self.derive_keys(ctx, state.proposal, nonces, g_xy.as_bytes(), (&g_xi, &g_xr), None) {
            return;
        }
        self.detect_nat(ctx, &received);
        self.transition(ctx, Input::InternalMainMode, IkeState::RMm3);
        self.phase = Phase::MainExpectIdRequest(Transcript { g_xi, g_xr, sa_i_b: state.sa_i_b });
        self.send_phase1(ctx, ExchangeType::IDENTITY_PROTECTION, payloads, false, true);
        self.transition(ctx, Input::InternalComplete, IkeState::RMm4);
    }

    /// MM4 at the initiator: derive the keys, float if behind a NAT, send MM5.
    fn on_mm4(&mut self, ctx: &mut Context<'_>, received: Received, state: ExpectKe) {
        if received.encrypted {
            self.phase = Phase::MainExpectKe(state);
            return self.drop_message(ctx, DropReason::EncryptionMismatch, "MM4 must be plain");
        }
        self.flight.answered();
        self.transition(ctx, Input::PeerMainMode, IkeState::IMm4);
        let Some((g_xr, nr)) = self.peer_key_exchange(ctx, &received) else {
            return self.fail(ctx, "invalid key exchange in MM4");
        };
        let g_xi = state.key_pair.public_value().to_vec();
        let Some(g_xy) = self.shared_secret(ctx, state.key_pair.as_ref(), &g_xr) else { return };
        let nonces = (state.ni.as_slice(), nr.as_slice());
        if !self.derive_keys(ctx, state.proposal, nonces, g_xy.as_bytes(), (&g_xi, &g_xr), None) {
            return;
        }
        self.detect_nat(ctx, &received);
        self.float_if_behind_nat(ctx);
        self.transition(ctx, Input::InternalMainMode, IkeState::IMm4);
        let transcript = Transcript { g_xi, g_xr, sa_i_b: state.sa_i_b };
        let payloads = self.authentication_payloads(ctx, &transcript, Role::Initiator);
        self.phase = Phase::MainExpectIdResponse(transcript);
        self.send_phase1(ctx, ExchangeType::IDENTITY_PROTECTION, payloads, true, true);
        self.transition(ctx, Input::InternalComplete, IkeState::IMm5);
    }

    /// MM5 at the responder: verify HASH_I, answer with MM6: Phase 1 done.
    fn on_mm5(&mut self, ctx: &mut Context<'_>, received: &mut Received, transcript: Transcript) {
        if !received.encrypted {
            self.phase = Phase::MainExpectIdRequest(transcript);
            return self.drop_message(ctx, DropReason::EncryptionMismatch, "MM5 must be encrypted");
        }
        if !self.verify_peer(ctx, received, &transcript, Role::Initiator) {
            if !self.has_failed() {
                self.phase = Phase::MainExpectIdRequest(transcript);
            }
            return;
        }
        self.accept(ctx, received);
        self.flight.answered();
        self.follow_peer(ctx, received);
        self.transition(ctx, Input::PeerMainMode, IkeState::RMm5);
        self.trace(ctx, Trace::Authenticated);
        self.handle_initial_contact(ctx, received);
        let payloads = self.authentication_payloads(ctx, &transcript, Role::Responder);
        self.phase = Phase::Established;
        self.send_phase1(ctx, ExchangeType::IDENTITY_PROTECTION, payloads, true, false);
        self.transition(ctx, Input::InternalComplete, IkeState::P1Complete);
        let lifetime = self.crypto.as_ref().map_or(0, |c| c.proposal.lifetime_secs);
        self.establish(ctx, lifetime);
    }

    /// MM6 at the initiator: verify HASH_R: Phase 1 done.
    fn on_mm6(&mut self, ctx: &mut Context<'_>, received: &mut Received, transcript: Transcript) {
        if !received.encrypted {
            self.phase = Phase::MainExpectIdResponse(transcript);
            return self.drop_message(ctx, DropReason::EncryptionMismatch, "MM6 must be encrypted");
        }
        if !self.verify_peer(ctx, received, &transcript, Role::Responder) {
            if !self.has_failed() {
                self.phase = Phase::MainExpectIdResponse(transcript);
            }
            return;
        }
        self.accept(ctx, received);
        self.flight.answered();
        self.transition(ctx, Input::PeerMainMode, IkeState::IMm6);
        self.trace(ctx, Trace::Authenticated);
        self.handle_initial_contact(ctx, received);
        self.transition(ctx, Input::InternalComplete, IkeState::P1Complete);
        let lifetime = self.crypto.as_ref().map_or(0, |c| c.proposal.lifetime_secs);
        self.establish(ctx, lifetime);
    }

    // ---- shared by Main and Aggressive Mode --------------------------------

    /// Finds the PSK for the peer and traces the lookup as IOS does.
    pub(super) fn psk(
        &self,
        ctx: &mut Context<'_>,
        identity: Option<&isakmp::payload::Identity>,
    ) -> Option<String> {
        let peer = self.remote.ip();

        ctx.config.policy.keyring.lookup(peer, identity).map(str::to_owned)
    }

    pub(super) fn announce_psk(
        &self,
        ctx: &mut Context<'_>,
        identity: Option<&isakmp::payload::Identity>,
    ) -> bool {
        let peer = self.remote.ip().to_string();
        match self.psk(ctx, identity) {
            Some(_) => {
                self.trace(ctx, Trace::PskFound { peer });
                true
            }
            None => {
                self.trace(ctx, Trace::PskNotFound { peer });
                false
            }
        }
    }

    /// Our vendor IDs: NAT-T (all we support, or the one chosen when
    /// answering) and DPD (RFC 3706 5: we answer R-U-THERE).
    pub(super) fn own_vendor_ids(
        &self,
        ctx: &mut Context<'_>,
        chosen_nat_t: Option<isakmp::vendor_id::NatTVersion>,
    ) -> Vec<Payload> {
        let mut ids: Vec<(String, Vec<u8>)> = match (self.role, chosen_nat_t) {
            (Role::Responder, Some(version)) => {
                vec![(nat_t::vendor_id_label(version).to_owned(), nat_t::vendor_id_for(version))]
            }
            (Role::Responder, None) => Vec::new(),
            (Role::Initiator, _) => nat_t::vendor_ids(&self.connection.nat_traversal)
                .into_iter()
                .map(|(n, id)| (n.to_owned(), id))
                .collect(),
        };
        ids.push(("DPD".to_owned(), isakmp::vendor_id::DPD.to_vec()));
        ids.into_iter()
            .map(|(name, id)| {
                self.trace(ctx, Trace::ConstructedVendorId { name });
                Payload::from(PayloadBody::VendorId(id))
            })
            .collect()
    }

    /// The peer's vendor IDs: NAT-T version and DPD support.
    pub(super) fn process_vendor_ids(&mut self, ctx: &mut Context<'_>, received: &Received) {
        let ids = received.vendor_ids();
        for id in &ids {
            self.trace(ctx, Trace::Processing { payload: "vendor id".into(), message_id: 0 });
            if let Some(name) = isakmp::vendor_id::name(id) {
                self.trace(ctx, Trace::VendorId { name: name.to_owned() });
            }
        }
        self.peer_supports_dpd = ids.iter().any(|id| *id == isakmp::vendor_id::DPD);
        self.nat_t = nat_t::common_version(&self.connection.nat_traversal, &ids);
    }

    /// Our KE, nonce and (when NAT-T was agreed) NAT-D payloads.
    pub(super) fn key_exchange_payloads(
        &mut self,
        ctx: &mut Context<'_>,
        proposal: IkeProposal,
    ) -> Option<OwnKeyExchange> {
        let group = ctx.crypto.dh_group(proposal.group.id()).ok()?;
        let key_pair = group.generate_key_pair(ctx.rng.private());
        let nonce = ctx.rng.public_vec(NONCE_LEN);
        let mut payloads = Vec::new();
        match self.impairments.key_exchange(key_pair.public_value()) {
            Some(ke) if ke == key_pair.public_value() => {
                payloads.push(Payload::from(PayloadBody::KeyExchange(ke)))
            }
            Some(ke) => {
                self.impaired(ctx, "zero_ke", "KE data replaced by zeros");
                payloads.push(Payload::from(PayloadBody::KeyExchange(ke)));
            }
            None => self.impaired(ctx, "omit_ke", "KE payload left out"),
        }
        match self.impairments.nonce(&nonce) {
            Some(sent) if sent.len() == nonce.len() => payloads.push(Payload::from(PayloadBody::Nonce(sent))),
            Some(sent) => {
                self.impaired(ctx, "short_nonce", "nonce cut to 4 bytes");
                payloads.push(Payload::from(PayloadBody::Nonce(sent)));
            }
            None => self.impaired(ctx, "omit_nonce", "nonce payload left out"),
        }
        payloads.extend(self.nat_d_payloads(ctx, proposal));
        Some(OwnKeyExchange { key_pair, nonce, payloads })
    }

    pub(super) fn nat_d_payloads(&self, ctx: &mut Context<'_>, proposal: IkeProposal) -> Vec<Payload> {
        let Some(version) = self.nat_t else { return Vec::new() };
        let hash = ctx.crypto.hash(proposal.hash.algorithm());
        let fake = (self.connection.nat_traversal.mode == NatTMode::Force)
            .then(|| ctx.rng.public_vec(hash.output_len()));
        nat_t::nat_d_payloads(hash, &self.cookies, version, self.local, self.remote, fake)
    }

    /// The peer's KE and nonce, validated (RFC 2409 5; CVE-2015-3240).
    pub(super) fn peer_key_exchange(
        &mut self,
        ctx: &mut Context<'_>,
        received: &Received,
    ) -> Option<(Vec<u8>, Vec<u8>)> {
        self.trace(ctx, Trace::Processing { payload: "KE".into(), message_id: 0 });
        let Some(ke) = received.ke() else {
            self.drop_message(ctx, DropReason::MissingPayload, "no KE payload");
            self.refuse(ctx, NotifyType::INVALID_KEY_INFORMATION, "no KE payload");
            return None;
        };
        self.trace(ctx, Trace::Processing { payload: "NONCE".into(), message_id: 0 });
        let Some(nonce) = received.nonce() else {
            self.drop_message(ctx, DropReason::MissingPayload, "no nonce payload");
            self.refuse(ctx, NotifyType::PAYLOAD_MALFORMED, "no nonce payload");
            return None;
        };
        if !(8..=256).contains(&nonce.len()) {
            self.drop_message(ctx, DropReason::InvalidNonce, format!("nonce of {} bytes", nonce.len()));
            self.refuse(ctx, NotifyType::PAYLOAD_MALFORMED, "nonce length outside 8..256");
            return None;
        }
        Some((ke.to_vec(), nonce.to_vec()))
    }

    /// SKEYID and friends from the PSK (RFC 2409 5.4); false if no key.
    pub(super) fn derive_keys(
        &mut self,
        ctx: &mut Context<'_>,
        proposal: IkeProposal,
        nonces: (&[u8], &[u8]),
        g_xy: &[u8],
        public_values: (&[u8], &[u8]),
        identity: Option<&isakmp::payload::Identity>,
    ) -> bool {
        let Some(psk) = self.psk(ctx, identity) else {
            self.announce_psk(ctx, identity);
            ctx.out.counters.drop(DropReason::NoPreSharedKey);
            self.refuse(ctx, NotifyType::AUTHENTICATION_FAILED, "no pre-shared key for the peer");
            return false;
        };
        self.announce_psk(ctx, identity);
        let inputs = KeyInputs {
            pre_shared_key: psk.as_bytes(),
            ni_b: nonces.0,
            nr_b: nonces.1,
            g_xy,
            g_xi: public_values.0,
            g_xr: public_values.1,
            cookies: &self.cookies,
        };
        match SaCrypto::derive(ctx.crypto, proposal, &inputs) {
            Ok(crypto) => {
                self.crypto = Some(crypto);
                self.assign_conn_id(ctx);
                true
            }
            Err(error) => {
                self.drop_message(ctx, DropReason::NoProposalChosen, format!("key derivation: {error}"));
                self.fail(ctx, "key derivation failed");
                false
            }
        }
    }

    /// RFC 3947 3: compare the peer's NAT-D hashes with our view.
    pub(super) fn detect_nat(&mut self, ctx: &mut Context<'_>, received: &Received) {
        let (Some(_), Some(crypto)) = (self.nat_t, &self.crypto) else { return };
        let hash = crypto.prf(ctx.crypto);
        let nat_ds = received.nat_ds();
        if let Some(detection) = nat_t::detect(hash, &self.cookies, &nat_ds, received.local, received.remote)
        {
            self.trace(
                ctx,
                Trace::NatDetected {
                    local_behind_nat: detection.local_behind_nat,
                    peer_behind_nat: detection.peer_behind_nat,
                },
            );
            self.nat_detected = detection.any() || self.connection.nat_traversal.mode == NatTMode::Force;
            self.nat_local_behind = detection.local_behind_nat;
        }
    }

    /// RFC 3947 4: with a NAT on the path the initiator moves to port 4500.
    pub(super) fn float_if_behind_nat(&mut self, ctx: &mut Context<'_>) {
        if !self.nat_detected || self.local.port() == isakmp::natt::NAT_T_PORT {
            return;
        }
        self.local.set_port(isakmp::natt::NAT_T_PORT);
        self.remote.set_port(isakmp::natt::NAT_T_PORT);
        self.trace(ctx, Trace::PortFloat { local_port: self.local.port(), peer_port: self.remote.port() });
    }

    /// After an authenticated message, keep talking to where it came from
    /// (the peer floated to 4500, or its NAT mapping changed).
    pub(super) fn follow_peer(&mut self, ctx: &mut Context<'_>, received: &Received) {
        if received.remote != self.remote || received.local != self.local {
            self.remote = received.remote;
            self.local = received.local;
            self.trace(
                ctx,
                Trace::PortFloat { local_port: self.local.port(), peer_port: self.remote.port() },
            );
            ctx.requests.push(Request::PeerMoved { ike_sa: self.own_cookie(), remote: self.remote });
        }
    }

    /// RFC 3947 7: the end that is not behind a NAT follows the peer to where its
    /// last valid UDP-encapsulated ESP came from, so a NAT that lost its mapping does
    /// not black-hole the tunnel; the end behind a NAT MUST NOT (a spoofed source
    /// could then redirect it).
    pub(crate) fn follow_esp_peer(&mut self, ctx: &mut Context<'_>, remote: SocketAddr) {
        if self.nat_local_behind || !self.nat_detected || remote == self.remote {
            return;
        }
        self.remote = remote;
        self.trace(ctx, Trace::PortFloat { local_port: self.local.port(), peer_port: self.remote.port() });
        ctx.requests.push(Request::PeerMoved { ike_sa: self.own_cookie(), remote: self.remote });
    }

    /// IDii/IDir, HASH_I/HASH_R and, from the initiator, INITIAL-CONTACT.
    pub(super) fn authentication_payloads(
        &mut self,
        ctx: &mut Context<'_>,
        transcript: &Transcript,
        role: Role,
    ) -> Vec<Payload> {
        let id = identity::ours(&self.connection.local_identity());
        let id_b = PayloadBody::Identification(id.clone()).to_body_bytes().unwrap_or_default();
        self.trace(
            ctx,
            Trace::IdentityPayload {
                id_type: id.identity.id_type().to_string(),
                identity: id.identity.to_string(),
                protocol: id.protocol,
                port: id.port,
            },
        );
        let hash = self.exchange_hash(ctx, transcript, &id_b, role);
        let hash = self.impairments.hash(hash);
        let mut payloads =
            vec![Payload::from(PayloadBody::Identification(id)), Payload::from(PayloadBody::Hash(hash))];
        if role == Role::Initiator && self.connection.initial_contact {
            self.trace(ctx, Trace::SendInitialContact);
            let notification = isakmp::payload::Notification::ipsec(
                ProtocolId::ISAKMP,
                NotifyType::INITIAL_CONTACT,
                self.cookie_spi(),
                Vec::new(),
            );
            payloads.push(Payload::from(PayloadBody::Notification(notification)));
        }
        payloads
    }

    /// HASH_I (role Initiator) or HASH_R over `id_b` (RFC 2409 5).
    pub(super) fn exchange_hash(
        &self,
        ctx: &Context<'_>,
        transcript: &Transcript,
        id_b: &[u8],
        role: Role,
    ) -> Vec<u8> {
        let Some(crypto) = &self.crypto else { return Vec::new() };
        let prf = crypto.prf(ctx.crypto);
        let phase1 = Phase1Transcript {
            g_xi: &transcript.g_xi,
            g_xr: &transcript.g_xr,
            cookies: &self.cookies,
            sa_i_b: &transcript.sa_i_b,
        };
        let hash = match role {
            Role::Initiator => hash_i(prf, &crypto.keys.skeyid, &phase1, id_b),
            Role::Responder => hash_r(prf, &crypto.keys.skeyid, &phase1, id_b),
        };
        hash.as_bytes().to_vec()
    }

    /// Checks the peer's identity and HASH (`role` is the peer's role).
    pub(super) fn verify_peer(
        &mut self,
        ctx: &mut Context<'_>,
        received: &Received,
        transcript: &Transcript,
        role: Role,
    ) -> bool {
        self.trace(ctx, Trace::Processing { payload: "ID".into(), message_id: 0 });
        let Some(id) = received.identifications().next().cloned() else {
            self.drop_message(ctx, DropReason::MissingPayload, "no ID payload");
            return false;
        };
        self.verify_peer_hash(ctx, received, transcript, role, &id)
    }

    pub(super) fn verify_peer_hash(
        &mut self,
        ctx: &mut Context<'_>,
        received: &Received,
        transcript: &Transcript,
        role: Role,
        id: &Identification,
    ) -> bool {
        self.trace(
            ctx,
            Trace::IdentityPayload {
                id_type: id.identity.id_type().to_string(),
                identity: id.identity.to_string(),
                protocol: id.protocol,
                port: id.port,
            },
        );
        self.trace(ctx, Trace::Processing { payload: "HASH".into(), message_id: 0 });
        let Some(hash) = received.hash() else {
            self.drop_message(ctx, DropReason::MissingPayload, "no HASH payload");
            return false;
        };
        let id_b = PayloadBody::Identification(id.clone()).to_body_bytes().unwrap_or_default();
        let expected = self.exchange_hash(ctx, transcript, &id_b, role);
        let matches = crate::crypto::Secret::from_slice(&expected).ct_eq(hash);
        if !matches {
            self.trace(ctx, Trace::AuthenticationFailed { reason: "hash mismatch".into() });
            self.drop_message(ctx, DropReason::HashMismatch, "HASH does not verify");
            let spi = self.cookie_spi();
            self.send_notify(ctx, NotifyType::INVALID_HASH_INFORMATION, ProtocolId::ISAKMP, spi, Vec::new());
            return false;
        }
        if !identity::acceptable(self.connection.remote_id.as_ref(), &id.identity) {
            self.trace(
                ctx,
                Trace::AuthenticationFailed {
                    reason: format!("identity {} is not the configured one", id.identity),
                },
            );
            self.drop_message(ctx, DropReason::InvalidIdentity, "peer identity not acceptable");
            // The HASH verified: the message is authentic and its last CBC
            // block is the last of Phase 1, from which the IV of our notify
            // is derived (RFC 2409 Appendix B), as the peer derives it.
            if let (Some(crypto), Some(chain)) = (self.crypto.as_mut(), received.iv) {
                crypto.commit(received.message_id(), chain);
            }
            let spi = self.cookie_spi();
            self.send_notify(ctx, NotifyType::INVALID_ID_INFORMATION, ProtocolId::ISAKMP, spi, Vec::new());
            self.fail(ctx, "peer identity not acceptable");
            return false;
        }
        self.peer_identity = Some(id.identity.clone());
        true
    }

    /// INITIAL-CONTACT from the peer: it has no other SAs with us any more.
    pub(super) fn handle_initial_contact(&mut self, ctx: &mut Context<'_>, received: &Received) {
        if received.has_notify(NotifyType::INITIAL_CONTACT) {
            ctx.out.counters.notify_received(NotifyType::INITIAL_CONTACT);
            self.trace(
                ctx,
                Trace::NotifyReceived {
                    notify: NotifyType::INITIAL_CONTACT.to_string(),
                    protocol: ProtocolId::ISAKMP.to_string(),
                    encrypted: received.encrypted,
                },
            );
            ctx.requests.push(Request::ForgetPeer {
                peer: self.remote.ip(),
                keep: self.own_cookie(),
                reason: "INITIAL-CONTACT from the peer",
            });
        }
    }
}
