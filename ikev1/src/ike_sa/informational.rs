//! Informational exchanges (RFC 2408 4.8, RFC 2409 5.7): Notify and Delete.
//!
//! Once keys exist an Informational must be encrypted and carry a valid
//! HASH(1) = prf(SKEYID_a, M-ID | N/D); anything else is dropped unread
//! (CVE-2019-10155 and CVE-2020-1763 were peers that did not insist).
//! Before keys exist only error notifies are taken, as a refusal of the
//! negotiation in progress (NO-PROPOSAL-CHOSEN to MM1).

use isakmp::numbers::{NotifyType, PayloadType, ProtocolId};
use isakmp::payload::Notification;
use isakmp::{Payload, PayloadBody};

use super::received::Received;
use super::{Context, IkeSa, Request};
use crate::counters::DropReason;
use crate::keys::informational_hash;
use crate::trace::Trace;

impl IkeSa {
    pub(super) fn informational(&mut self, ctx: &mut Context<'_>, mut received: Received) {
        if received.encrypted {
            if !self.verify_informational_hash(ctx, &received) {
                return;
            }
            self.accept(ctx, &mut received);
            if let Some(crypto) = self.crypto.as_mut() {
                crypto.close_exchange(received.message_id());
            }
        } else if self.crypto.is_some() {
            return self.drop_message(
                ctx,
                DropReason::UnauthenticatedInformational,
                "plain Informational after keys exist",
            );
        }
        let notifications: Vec<Notification> = received.notifications().cloned().collect();
        for notification in notifications {
            self.on_notify(ctx, &notification, received.encrypted, received.message_id());
        }
        let deletes: Vec<isakmp::payload::Delete> = received.deletes().cloned().collect();
        for delete in deletes {
            self.on_delete(ctx, &delete);
        }
    }

    /// RFC 2409 5.7: the first payload is HASH(1) over M-ID and the rest.
    fn verify_informational_hash(&self, ctx: &mut Context<'_>, received: &Received) -> bool {
        let (Some(crypto), true) = (&self.crypto, received.first == PayloadType::HASH) else {
            self.drop_message(ctx, DropReason::MissingPayload, "protected Informational without HASH(1)");
            return false;
        };
        let (Some(hash), Some(rest)) = (received.hash(), received.chain_after_first()) else {
            self.drop_message(ctx, DropReason::MissingPayload, "HASH(1) covers nothing");
            return false;
        };
        let expected =
            informational_hash(crypto.prf(ctx.crypto), &crypto.keys.skeyid_a, received.message_id(), rest);
        if !expected.ct_eq(hash) {
            self.drop_message(ctx, DropReason::HashMismatch, "Informational HASH(1) does not verify");
            return false;
        }
        true
    }

    fn on_notify(
        &mut self,
        ctx: &mut Context<'_>,
        notification: &Notification,
        encrypted: bool,
        message_id: u32,
    ) {
        let notify = notification.notify_type;
        ctx.out.counters.notify_received(notify);
        self.trace(
            ctx,
            Trace::NotifyReceived {
                notify: notify.to_string(),
                protocol: notification.protocol.to_string(),
                encrypted,
            },
        );
        if encrypted
            && notify.is_error()
            && notification.protocol == ProtocolId::ESP
            && self.quick_mode_refused(ctx, &notification.spi, notify)
        {
            return;
        }
        match notify {
            NotifyType::R_U_THERE if encrypted && self.impairments.ignore_dpd() => {
                self.impaired(ctx, "ignore_dpd", "R-U-THERE left unanswered")
            }
            NotifyType::R_U_THERE if encrypted => self.answer_dpd(ctx, notification),
            NotifyType::CONNECTED if encrypted => self.on_connected(ctx, message_id),
            // RFC 2408 3.14.1: the peer received ESP on an SPI it does not know,
            // one of our outbound SPIs; drop that SA and negotiate a new one.
            // Only a peer that completed Phase 1 speaks for IPsec SAs.
            NotifyType::INVALID_SPI
                if encrypted && self.is_established() && notification.protocol == ProtocolId::ESP =>
            {
                if let Ok(spi) = <[u8; 4]>::try_from(notification.spi.as_slice()) {
                    ctx.requests.push(Request::PeerDroppedChild {
                        peer: self.remote.ip(),
                        outbound_spi: u32::from_be_bytes(spi),
                        reason: "INVALID-SPI from the peer".into(),
                        renegotiate: true,
                    });
                }
            }
            NotifyType::R_U_THERE_ACK if encrypted => self.on_dpd_ack(ctx, notification),
            NotifyType::INITIAL_CONTACT | NotifyType::RESPONDER_LIFETIME => {}
            error if error.is_error() && !self.is_established() => {
                self.fail(ctx, &format!("peer refused: {error}"));
            }
            _ => {}
        }
    }

    /// RFC 3706 5: answer an R-U-THERE with an ACK carrying its sequence number.
    fn answer_dpd(&mut self, ctx: &mut Context<'_>, notification: &Notification) {
        let Some(sequence) = notification.dpd_sequence() else {
            return self.drop_message(ctx, DropReason::Malformed, "R-U-THERE without a sequence number");
        };
        let ack = Notification::ipsec(
            ProtocolId::ISAKMP,
            NotifyType::R_U_THERE_ACK,
            self.cookie_spi(),
            sequence.to_be_bytes().to_vec(),
        );
        ctx.out.counters.notify_sent(NotifyType::R_U_THERE_ACK);
        self.trace(
            ctx,
            Trace::NotifySent {
                notify: NotifyType::R_U_THERE_ACK.to_string(),
                protocol: ProtocolId::ISAKMP.to_string(),
                encrypted: true,
            },
        );
        self.send_informational(ctx, vec![Payload::from(PayloadBody::Notification(ack))]);
    }

    fn on_delete(&mut self, ctx: &mut Context<'_>, delete: &isakmp::payload::Delete) {
        let spis: Vec<String> = delete.spis.iter().map(isakmp::hex::encode).collect();
        self.trace(ctx, Trace::DeleteReceived { protocol: delete.protocol.to_string(), spis });
        if delete.protocol == ProtocolId::ISAKMP {
            let ours = self.cookie_spi();
            if delete.spis.iter().any(|spi| spi == ours.as_slice()) {
                self.fail(ctx, "deleted by peer");
            }
        } else if delete.protocol == ProtocolId::ESP && self.is_established() {
            // The peer deleted its inbound SAs: our outbound ones (RFC 2408 3.15).
            // A peer still in Phase 1 is not authenticated: it deletes nothing.
            for spi in delete.spis.iter().filter_map(|spi| <[u8; 4]>::try_from(spi).ok()) {
                ctx.requests.push(Request::PeerDroppedChild {
                    peer: self.remote.ip(),
                    outbound_spi: u32::from_be_bytes(spi),
                    reason: "deleted by peer".into(),
                    renegotiate: false,
                });
            }
        }
    }

    /// RFC 2408 3.14.1: an ESP packet from the peer had an SPI we do not know.
    pub(crate) fn send_invalid_spi(&mut self, ctx: &mut Context<'_>, spi: u32) {
        let spi = spi.to_be_bytes().to_vec();
        self.send_notify(ctx, NotifyType::INVALID_SPI, ProtocolId::ESP, spi, Vec::new());
    }

    /// Tells the peer an IPsec SA is gone: Delete with our inbound SPI.
    pub(crate) fn send_child_delete(&mut self, ctx: &mut Context<'_>, inbound_spi: u32) {
        if self.impairments.no_delete() {
            return self.impaired(ctx, "no_delete", "Delete payload withheld");
        }
        let spi = inbound_spi.to_be_bytes();
        let Some(spis) = isakmp::payload::SpiList::new([spi.as_slice()]) else { return };
        let delete =
            isakmp::payload::Delete { doi: isakmp::numbers::Doi::IPSEC, protocol: ProtocolId::ESP, spis };
        self.trace(
            ctx,
            Trace::DeleteSent {
                protocol: ProtocolId::ESP.to_string(),
                spis: vec![format!("{inbound_spi:08x}")],
            },
        );
        self.send_informational(ctx, vec![Payload::from(PayloadBody::Delete(delete))]);
    }
}
