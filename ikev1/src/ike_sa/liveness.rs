//! Keeping an established ISAKMP SA honest about its peer: Dead Peer
//! Detection (RFC 3706) and NAT keepalives (RFC 3948 2.3).

use std::time::Duration;

use isakmp::numbers::{NotifyType, ProtocolId};
use isakmp::payload::Notification;
use isakmp::{Payload, PayloadBody};

use super::{Context, IkeSa, Request};
use crate::endpoint::io::Transmit;
use crate::time::Timestamp;
use crate::trace::Trace;

/// DPD state of one SA (RFC 3706 5).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Dpd {
    /// When we last heard anything authentic from the peer (IKE or ESP).
    pub last_heard: Option<Timestamp>,
    /// When we last sent traffic the peer should answer (for on-demand DPD).
    pub last_sent_traffic: Option<Timestamp>,
    /// The sequence number of the next R-U-THERE.
    pub sequence: u32,
    /// The outstanding R-U-THERE: its sequence number, how many were sent,
    /// and when the next is due.
    pub outstanding: Option<(u32, u32, Timestamp)>,
    /// When we last sent the peer anything (IKE, ESP or a keepalive).
    pub last_sent: Option<Timestamp>,
}

impl IkeSa {
    /// Something authentic arrived from the peer.
    pub(crate) fn heard_from_peer(&mut self, now: Timestamp) {
        self.dpd.last_heard = Some(now);
    }

    /// We sent protected traffic to the peer (on-demand DPD watches this).
    pub(crate) fn sent_traffic(&mut self, now: Timestamp) {
        self.dpd.last_sent_traffic = Some(now);
        self.dpd.last_sent = Some(now);
    }

    /// RFC 3706 5.5: the ACK must echo an outstanding sequence number.
    pub(super) fn on_dpd_ack(&mut self, ctx: &mut Context<'_>, notification: &Notification) {
        match (notification.dpd_sequence(), self.dpd.outstanding) {
            (Some(sequence), Some((expected, _, _))) if sequence == expected => {
                self.dpd.outstanding = None;
                self.heard_from_peer(ctx.now);
            }
            _ => self.drop_message(
                ctx,
                crate::counters::DropReason::UnexpectedMessage,
                "R-U-THERE-ACK for no R-U-THERE",
            ),
        }
    }

    /// When the liveness timers next have work.
    pub(super) fn liveness_deadline(&self) -> Option<Timestamp> {
        if !self.is_established() {
            return None;
        }
        let dpd =
            self.connection.dpd.filter(|_| self.peer_supports_dpd).map(|dpd| match self.dpd.outstanding {
                Some((_, _, due)) => due,
                None => self.quiet_since() + Duration::from_secs(u64::from(dpd.interval_secs)),
            });
        [dpd, self.keepalive_due()].into_iter().flatten().min()
    }

    /// RFC 3948 4: a keepalive is due when nothing else went to the peer for
    /// the interval (20 s by default); traffic keeps the mapping alive itself.
    fn keepalive_due(&self) -> Option<Timestamp> {
        if !self.nat_local_behind || self.local.port() != isakmp::natt::NAT_T_PORT {
            return None;
        }
        let interval = Duration::from_secs(u64::from(self.connection.nat_traversal.keepalive_secs.max(1)));
        let quiet_since = self.dpd.last_sent.max(self.established_at)?;
        Some(quiet_since + interval)
    }

    fn quiet_since(&self) -> Timestamp {
        self.dpd.last_heard.or(self.established_at).unwrap_or_default()
    }

    pub(super) fn liveness_timeouts(&mut self, ctx: &mut Context<'_>) {
        if !self.is_established() {
            return;
        }
        self.keepalive(ctx);
        let Some(config) = self.connection.dpd.filter(|_| self.peer_supports_dpd) else { return };
        let now = ctx.now;
        match self.dpd.outstanding {
            Some((_, sent, due)) if due <= now && sent > config.retries => {
                ctx.requests.push(Request::ForgetPeer {
                    peer: self.remote.ip(),
                    keep: isakmp::Cookie::ZERO,
                    reason: "DPD: peer not responding",
                });
                self.fail(ctx, "DPD: peer not responding");
            }
            Some((sequence, sent, due)) if due <= now => {
                self.send_r_u_there(ctx, sequence);
                self.dpd.outstanding =
                    Some((sequence, sent + 1, now + Duration::from_secs(u64::from(config.retry_secs))));
            }
            None if now >= self.quiet_since() + Duration::from_secs(u64::from(config.interval_secs)) => {
                // On-demand DPD only worries when our traffic goes unanswered.
                let worried = !config.on_demand
                    || self.dpd.last_sent_traffic.is_some_and(|sent| sent > self.quiet_since());
                if !worried {
                    self.dpd.last_heard = Some(now);
                    return;
                }
                if self.dpd.sequence == 0 {
                    // RFC 3706 5.5: start from a random sequence number.
                    self.dpd.sequence = ctx.rng.public_nonzero_u32() & 0x7fff_ffff;
                }
                let sequence = self.dpd.sequence;
                self.dpd.sequence = self.dpd.sequence.wrapping_add(1);
                self.send_r_u_there(ctx, sequence);
                self.dpd.outstanding =
                    Some((sequence, 1, now + Duration::from_secs(u64::from(config.retry_secs))));
            }
            _ => {}
        }
    }

    fn send_r_u_there(&mut self, ctx: &mut Context<'_>, sequence: u32) {
        let notification = Notification::ipsec(
            ProtocolId::ISAKMP,
            NotifyType::R_U_THERE,
            self.cookie_spi(),
            sequence.to_be_bytes().to_vec(),
        );
        ctx.out.counters.notify_sent(NotifyType::R_U_THERE);
        self.trace(
            ctx,
            Trace::NotifySent {
                notify: NotifyType::R_U_THERE.to_string(),
                protocol: ProtocolId::ISAKMP.to_string(),
                encrypted: true,
            },
        );
        self.send_informational(ctx, vec![Payload::from(PayloadBody::Notification(notification))]);
    }

    /// RFC 3948 2.3: behind a NAT, a one-byte 0xFF datagram on 4500 keeps the
    /// mapping alive.
    fn keepalive(&mut self, ctx: &mut Context<'_>) {
        if self.keepalive_due().is_none_or(|due| due > ctx.now) {
            return;
        }
        ctx.out.transmit(Transmit::udp(self.local, self.remote, isakmp::natt::KEEPALIVE.to_vec()));
        self.dpd.last_sent = Some(ctx.now);
    }
}
