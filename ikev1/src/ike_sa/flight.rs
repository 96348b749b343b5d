//! The messages of one exchange in flight: our last request, retransmitted
//! with backoff until answered (RFC 2408 5.1), and our last answer, sent
//! again when the request it answered arrives again (a retransmission that
//! must not be processed twice).

use crate::config::Retransmission;
use crate::time::Timestamp;

struct Pending {
    message: Vec<u8>,
    retransmissions: u32,
    deadline: Timestamp,
    /// Wait for the reply without ever resending (see [`Flight::awaiting`]).
    silent: bool,
}

struct Answered {
    request: Vec<u8>,
    response: Vec<u8>,
}

#[derive(Default)]
pub(super) struct Flight {
    pending: Option<Pending>,
    answered: Option<Answered>,
}

/// What a timer found for one flight.
pub(super) enum Due {
    Nothing,
    Retransmit { message: Vec<u8>, attempt: u32 },
    GiveUp,
}

impl Flight {
    /// Records a message we sent: retransmitted if a reply is expected, and
    /// the answer to `in_reply_to` if it answers a request.
    pub fn sent(
        &mut self,
        now: Timestamp,
        schedule: &Retransmission,
        message: &[u8],
        expects_reply: bool,
        in_reply_to: Option<Vec<u8>>,
    ) {
        self.pending = expects_reply.then(|| Pending {
            message: message.to_vec(),
            retransmissions: 0,
            deadline: now + schedule.timeout(0),
            silent: false,
        });
        if let Some(request) = in_reply_to {
            self.answered = Some(Answered { request, response: message.to_vec() });
        }
    }

    /// Records an answer to an unauthenticated first message (MM2, AM2):
    /// the reply is awaited as long as a retransmitting initiator would
    /// take, but never resent on a timer, so a spoofed MM1 gets one datagram
    /// back, not six (the amplification of CVE-2016-5361). A real initiator
    /// retransmits its request and gets the cached answer.
    pub fn awaiting(
        &mut self,
        now: Timestamp,
        schedule: &Retransmission,
        message: &[u8],
        in_reply_to: Vec<u8>,
    ) {
        let patience = (0..=schedule.max_retransmissions).map(|attempt| schedule.timeout(attempt)).sum();
        self.pending = Some(Pending {
            message: message.to_vec(),
            retransmissions: 0,
            deadline: now + patience,
            silent: true,
        });
        self.answered = Some(Answered { request: in_reply_to, response: message.to_vec() });
    }

    /// The reply we are waiting for has come.
    pub fn answered(&mut self) {
        self.pending = None;
    }

    /// Our earlier answer, if `request` is a request we already answered.
    pub fn answer_to(&self, request: &[u8]) -> Option<Vec<u8>> {
        self.answered.as_ref().filter(|a| a.request == request).map(|a| a.response.clone())
    }

    pub fn deadline(&self) -> Option<Timestamp> {
        self.pending.as_ref().map(|pending| pending.deadline)
    }

    /// Advances the retransmission timer at `now`.
    pub fn on_timeout(&mut self, now: Timestamp, schedule: &Retransmission) -> Due {
        let Some(pending) = self.pending.as_mut() else { return Due::Nothing };
        if pending.deadline > now {
            return Due::Nothing;
        }
        if pending.silent || pending.retransmissions >= schedule.max_retransmissions {
            self.pending = None;
            return Due::GiveUp;
        }
        pending.retransmissions += 1;
        pending.deadline = now + schedule.timeout(pending.retransmissions);
        Due::Retransmit { message: pending.message.clone(), attempt: pending.retransmissions }
    }
}
