//! Aggressive Mode, both roles (RFC 2409 5, pre-shared keys 5.4; NAT-T per
//! RFC 3947 4):
//!
//! ```text
//!      Initiator                          Responder
//!      HDR, SA, KE, Ni, IDii       -->                               AM1
//!                                  <--  HDR, SA, KE, Nr, IDir, HASH_R [, NAT-D, NAT-D]   AM2
//!      HDR*, HASH_I [, NAT-D, NAT-D, N(IC)] -->                      AM3
//! ```
//!
//! AM3 goes encrypted, as strongSwan and Libreswan send it; a plain AM3 (as
//! RFC 2409's diagram has it) is accepted too.

use std::net::SocketAddr;

use isakmp::numbers::{ExchangeType, NotifyType};
use isakmp::{Payload, PayloadBody};

use super::main_mode::{Answer, OwnKeyExchange};
use super::phase::{ExpectAggressiveAuth, ExpectAggressiveResponse, Phase, Transcript};
use super::received::Received;
use super::{Context, IkeSa, identity, proposal};
use crate::counters::DropReason;
use crate::keys::Cookies;
use crate::policy::{Connection, IkeProposal};
use crate::trace::{IkeState, Input, Role, Trace};

/// Starts Aggressive Mode as initiator: AM1. Every transform must use the
/// group of the KE we send, so only the first policy's group is offered.
pub(crate) fn initiate(
    ctx: &mut Context<'_>,
    connection: &Connection,
    local: SocketAddr,
    remote: SocketAddr,
) -> IkeSa {
    let cookies = Cookies { initiator: ctx.rng.public_nonzero_bytes(), responder: [0; 8] };
    let mut sa = IkeSa::new(Role::Initiator, connection, cookies, local, remote);
    let ordered = connection.ordered_proposals();
    let group = ordered.first().map(|first| first.group);
    let same_group: Vec<IkeProposal> = ordered.into_iter().filter(|p| Some(p.group) == group).collect();
    let remote_id = connection.remote_id.as_ref().map(|id| id.to_identity());
    sa.announce_psk(ctx, remote_id.as_ref());
    let offered = proposal::offer(&same_group);
    let sa_body = PayloadBody::SecurityAssociation(offered.clone());
    let sa_i_b = sa_body.to_body_bytes().unwrap_or_default();
    sa.transition(ctx, Input::SaRequestAggressiveMode, IkeState::IAm1);
    sa.trace(ctx, Trace::BeginExchange { exchange: "Aggressive Mode", message_id: 0 });
    let Some(first) = same_group.first().copied() else {
        sa.fail(ctx, "no ISAKMP policy configured");
        return sa;
    };
    // NAT-D comes later in Aggressive Mode: none in AM1.
    let Some(OwnKeyExchange { key_pair, nonce: ni, mut payloads }) = sa.key_exchange_payloads(ctx, first)
    else {
        sa.fail(ctx, "cannot start the key exchange");
        return sa;
    };
    payloads.insert(0, Payload::from(sa_body));
    let id = identity::ours(&connection.local_identity());
    payloads.push(Payload::from(PayloadBody::Identification(id)));
    payloads.extend(sa.own_vendor_ids(ctx, None));
    sa.phase = Phase::AggressiveExpectResponse(ExpectAggressiveResponse { offered, sa_i_b, key_pair, ni });
    sa.send_phase1(ctx, ExchangeType::AGGRESSIVE, payloads, false, true);
    sa
}

/// Answers AM1 as responder: AM2, or a refusal.
pub(crate) fn respond(
    ctx: &mut Context<'_>,
    connection: &Connection,
    mut received: Received,
    bytes: &[u8],
) -> IkeSa {
    let mut sa = IkeSa::responder_for(ctx, connection, &received, bytes);
    sa.transition(ctx, Input::PeerAggressiveMode, IkeState::RAm1);
    if let Some(answer) = sa.answer_sa(ctx, &mut received) {
        sa.answer_aggressive(ctx, &received, answer);
    }
    sa.current_request = None;
    sa
}

impl IkeSa {
    pub(super) fn aggressive_mode(&mut self, ctx: &mut Context<'_>, mut received: Received) {
        if received.message_id() != 0 {
            return self.drop_message(ctx, DropReason::InvalidMessageId, "Aggressive Mode uses message ID 0");
        }
        match std::mem::replace(&mut self.phase, Phase::Dead) {
            Phase::AggressiveExpectResponse(state) => self.on_am2(ctx, &received, state),
            Phase::AggressiveExpectAuth(state) => self.on_am3(ctx, &mut received, state),
            other => {
                self.phase = other;
                self.drop_message(
                    ctx,
                    DropReason::UnexpectedMessage,
                    "no Aggressive Mode message expected now",
                );
            }
        }
    }

    /// AM1 accepted: keys, then AM2 with HASH_R.
    fn answer_aggressive(&mut self, ctx: &mut Context<'_>, received: &Received, answer: Answer) {
        let Some(id_ii) = received.identifications().next().cloned() else {
            self.drop_message(ctx, DropReason::MissingPayload, "AM1 without IDii");
            return self.refuse(ctx, NotifyType::INVALID_ID_INFORMATION, "AM1 without IDii");
        };
        if !identity::acceptable(self.connection.remote_id.as_ref(), &id_ii.identity) {
            self.drop_message(ctx, DropReason::InvalidIdentity, format!("IDii {}", id_ii.identity));
            return self.refuse(ctx, NotifyType::INVALID_ID_INFORMATION, "peer identity not acceptable");
        }
        let Some((g_xi, ni)) = self.peer_key_exchange(ctx, received) else {
            return self.fail(ctx, "invalid key exchange in AM1");
        };
        let Some(OwnKeyExchange { key_pair, nonce: nr, payloads: ke_payloads }) =
            self.key_exchange_payloads(ctx, answer.proposal)
        else {
            return self.fail(ctx, "cannot answer the key exchange");
        };
        let g_xr = key_pair.public_value().to_vec();
        let Some(g_xy) = self.shared_secret(ctx, key_pair.as_ref(), &g_xi) else { return };
        let nonces = (ni.as_slice(), nr.as_slice());
        if !self.derive_keys(
            ctx,
            answer.proposal,
            nonces,
            g_xy.as_bytes(),
            (&g_xi, &g_xr),
            Some(&id_ii.identity),
        ) {
            return;
        }
        self.peer_identity = Some(id_ii.identity.clone());
        self.detect_nat(ctx, received);
        let transcript = Transcript { g_xi, g_xr, sa_i_b: answer.sa_i_b };
        let mut auth = self.authentication_payloads(ctx, &transcript, Role::Responder);
        // AM2: SA, KE, Nr, IDir, HASH_R, then NAT-D and vendor IDs.
        let mut payloads = vec![answer.payloads[0].clone()];
        let (key_and_nonce, nat_d): (Vec<Payload>, Vec<Payload>) =
            ke_payloads.into_iter().partition(|p| !matches!(p.body, PayloadBody::NatDiscovery(_)));
        payloads.extend(key_and_nonce);
        payloads.append(&mut auth);
        payloads.extend(answer.payloads[1..].iter().cloned());
        payloads.extend(nat_d);
        self.transition(ctx, Input::InternalAggressiveMode, IkeState::RAm1);
        self.phase = Phase::AggressiveExpectAuth(ExpectAggressiveAuth { transcript, id_ii });
        self.send_phase1(ctx, ExchangeType::AGGRESSIVE, payloads, false, true);
        self.transition(ctx, Input::InternalComplete, IkeState::RAm2);
    }

    /// AM2 at the initiator: verify HASH_R, float if needed, send AM3.
    fn on_am2(&mut self, ctx: &mut Context<'_>, received: &Received, state: ExpectAggressiveResponse) {
        if received.encrypted || received.header.responder_cookie.is_zero() {
            self.phase = Phase::AggressiveExpectResponse(state);
            return self.drop_message(
                ctx,
                DropReason::UnexpectedMessage,
                "AM2 must be plain with a responder cookie",
            );
        }
        self.cookies.responder = received.header.responder_cookie.0;
        self.flight.answered();
        self.transition(ctx, Input::PeerAggressiveMode, IkeState::IAm2);
        let Some(proposal) = self.accept_chosen_sa(ctx, received, &state.offered) else { return };
        let Some((g_xr, nr)) = self.peer_key_exchange(ctx, received) else {
            return self.fail(ctx, "invalid key exchange in AM2");
        };
        let g_xi = state.key_pair.public_value().to_vec();
        let Some(g_xy) = self.shared_secret(ctx, state.key_pair.as_ref(), &g_xr) else { return };
        let Some(id_ir) = received.identifications().next().cloned() else {
            self.drop_message(ctx, DropReason::MissingPayload, "AM2 without IDir");
            return self.fail(ctx, "AM2 without IDir");
        };
        let nonces = (state.ni.as_slice(), nr.as_slice());
        if !self.derive_keys(ctx, proposal, nonces, g_xy.as_bytes(), (&g_xi, &g_xr), Some(&id_ir.identity)) {
            return;
        }
        let transcript = Transcript { g_xi, g_xr, sa_i_b: state.sa_i_b };
        if !self.verify_peer_hash(ctx, received, &transcript, Role::Responder, &id_ir) {
            return self.fail(ctx, "HASH_R does not verify");
        }
        self.trace(ctx, Trace::Authenticated);
        self.detect_nat(ctx, received);
        // AM3: HASH_I, NAT-D, INITIAL-CONTACT. AM3 already goes to 4500 when
        // a NAT was seen (RFC 3947 4), and its NAT-D hash the addresses and
        // ports of AM3 itself (RFC 3947 3.2), which the responder compares
        // with those AM3 arrived on (as strongSwan floats, then builds AM3).
        self.float_if_behind_nat(ctx);
        let mut auth = self.authentication_payloads(ctx, &transcript, Role::Initiator);
        let initial_contact: Vec<Payload> = auth.drain(2..).collect();
        let mut payloads = vec![auth.remove(1)];
        payloads.extend(self.nat_d_payloads(ctx, proposal));
        payloads.extend(initial_contact);
        self.transition(ctx, Input::InternalAggressiveMode, IkeState::IAm2);
        self.phase = Phase::Established;
        self.send_phase1(ctx, ExchangeType::AGGRESSIVE, payloads, true, false);
        self.transition(ctx, Input::InternalComplete, IkeState::P1Complete);
        self.establish(ctx, proposal.lifetime_secs);
    }

    /// AM3 at the responder: verify HASH_I: Phase 1 done.
    fn on_am3(&mut self, ctx: &mut Context<'_>, received: &mut Received, state: ExpectAggressiveAuth) {
        if !self.verify_peer_hash(ctx, received, &state.transcript, Role::Initiator, &state.id_ii) {
            if !self.has_failed() {
                self.phase = Phase::AggressiveExpectAuth(state);
            }
            return;
        }
        self.accept(ctx, received);
        self.flight.answered();
        self.follow_peer(ctx, received);
        self.transition(ctx, Input::PeerAggressiveMode, IkeState::P1Complete);
        self.trace(ctx, Trace::Authenticated);
        self.detect_nat(ctx, received);
        self.handle_initial_contact(ctx, received);
        self.phase = Phase::Established;
        let lifetime = self.crypto.as_ref().map_or(0, |c| c.proposal.lifetime_secs);
        self.establish(ctx, lifetime);
    }
}
