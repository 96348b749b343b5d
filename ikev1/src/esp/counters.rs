//! Per-SA packet counters in the shape of IOS `show crypto ipsec sa`
//! (`#pkts encaps: 4, #pkts encrypt: 4, #pkts digest: 4` ...), with every
//! failure counted under its reason as well as under send or receive errors.

use serde::Serialize;

use super::{Decapsulated, Encapsulated, EspError, Inner};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EspCounters {
    /// Outbound: packets encapsulated, encrypted and given an ICV.
    pub pkts_encaps: u64,
    pub pkts_encrypt: u64,
    pub pkts_digest: u64,
    /// Inbound: packets whose ICV verified, that were decrypted, and that were
    /// delivered. A packet with bad padding is verified and decrypted, not decapsulated.
    pub pkts_verify: u64,
    pub pkts_decrypt: u64,
    pub pkts_decaps: u64,
    /// Authenticated dummy packets (Next Header 59), dropped without error (RFC 4303 2.6).
    pub pkts_dummy: u64,
    /// Every outbound failure, and every inbound one.
    pub send_errors: u64,
    pub recv_errors: u64,
    /// The reasons.
    pub replay_failures: u64,
    pub auth_failures: u64,
    pub padding_errors: u64,
    pub malformed_packets: u64,
    pub unknown_next_header: u64,
    pub invalid_inner_packets: u64,
    pub sequence_exhausted: u64,
    /// Bytes of the inner packets protected and delivered: whole IP packets in
    /// either mode (transport mode takes them apart and builds them again).
    pub bytes_encaps: u64,
    pub bytes_decaps: u64,
}

impl EspCounters {
    pub(crate) fn record_send(&mut self, result: &Result<Encapsulated, EspError>, inner_len: usize) {
        match result {
            Ok(_) => {
                self.pkts_encaps += 1;
                self.pkts_encrypt += 1;
                self.pkts_digest += 1;
                self.bytes_encaps += inner_len as u64;
            }
            Err(error) => {
                self.send_errors += 1;
                self.count_reason(error);
            }
        }
    }

    /// `inner_len` is what was delivered (0 for a dummy packet).
    pub(crate) fn record_receive(&mut self, result: &Result<Decapsulated, EspError>, inner_len: usize) {
        match result {
            Ok(Decapsulated { inner: Inner::Dummy, .. }) => self.pkts_dummy += 1,
            Ok(Decapsulated { inner: Inner::Packet(_), .. }) => {
                self.pkts_decaps += 1;
                self.bytes_decaps += inner_len as u64;
            }
            Err(error) => {
                self.recv_errors += 1;
                self.count_reason(error);
            }
        }
    }

    /// The ICV verified and the payload was decrypted (one step for an AEAD).
    pub(crate) fn record_opened(&mut self) {
        self.pkts_verify += 1;
        self.pkts_decrypt += 1;
    }

    fn count_reason(&mut self, error: &EspError) {
        let reason = match error {
            EspError::Malformed { .. } => &mut self.malformed_packets,
            EspError::Replay { .. } => &mut self.replay_failures,
            EspError::IntegrityCheckFailed { .. } => &mut self.auth_failures,
            EspError::BadPadding { .. } => &mut self.padding_errors,
            EspError::UnknownNextHeader { .. } => &mut self.unknown_next_header,
            EspError::InvalidInnerPacket(_) | EspError::FragmentInTransportMode => {
                &mut self.invalid_inner_packets
            }
            EspError::SequenceNumberExhausted => &mut self.sequence_exhausted,
            // Counted as send or receive errors only.
            EspError::WrongSpi { .. } | EspError::Crypto(_) => return,
        };
        *reason += 1;
    }
}
