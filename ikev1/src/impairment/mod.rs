//! Impairments: per-connection knobs that make the reference misbehave on
//! purpose, so every peer can be tested for its reaction (as Libreswan's
//! `impair` does). Each one is documented with what goes on the wire, and
//! each has a test in tests/impairments.rs showing exactly that.
//!
//! Counting: "the nth datagram" counts every datagram this side sends for
//! one IKE SA, retransmissions included, starting at 1; "the nth message"
//! (for `Mutate`) counts the messages it builds, retransmissions excluded.

pub(crate) mod hex_field;
pub mod mutation;

use serde::{Deserialize, Serialize};

pub use mutation::{HeaderField, Mutation, PayloadEdit};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Impairment {
    /// The nth datagram is never sent (loss; the retransmission then goes out).
    DropMessage { nth: u32 },
    /// Nothing after the nth datagram is sent, retransmissions included: an
    /// initiator that vanishes, as a spoofed one does (CVE-2016-5361).
    SilentAfter { nth: u32 },
    /// The nth datagram is sent twice back to back.
    DuplicateMessage { nth: u32 },
    /// The nth datagram is sent again `after_ms` later, whatever happened since.
    ReplayMessage { nth: u32, after_ms: u64 },
    /// One bit of every HASH payload we send is flipped (HASH_I, HASH_R,
    /// Quick Mode and Informational HASHes).
    CorruptHash,
    /// The KE payload is left out (Main Mode 3/4, Aggressive Mode 1/2, PFS).
    OmitKe,
    /// The KE payload is all zeros: g^x = 0, which a peer must refuse
    /// (CVE-2015-3240).
    ZeroKe,
    /// The nonce payload is left out.
    OmitNonce,
    /// A 4-byte nonce, below the 8-byte minimum of RFC 2409 5.
    ShortNonce,
    /// These flag bits are ORed into every header (bits above A are reserved,
    /// RFC 2408 3.1).
    BogusFlags { flags: u8 },
    /// Every header carries this version octet instead of 0x10.
    Version { version: u8 },
    /// The first payload's length field is off by `delta` in every message.
    WrongPayloadLength { delta: i16 },
    /// As responder, the responder cookie we send is zero.
    ZeroResponderCookie,
    /// Messages RFC 2409 encrypts (MM5, MM6, AM3, Informationals) go in the clear.
    Cleartext,
    /// No Delete payloads when SAs are deleted or the endpoint shuts down.
    NoDelete,
    /// Phase 1 messages carry a nonzero message ID (RFC 2409 5 wants zero).
    NonzeroPhase1MessageId,
    /// A payload of this (unassigned) type is appended to every message.
    UnknownPayload { payload_type: u8 },
    /// Every datagram is cut short by this many bytes.
    Truncate { bytes: u16 },
    /// Every header carries this exchange type instead of the right one.
    WrongExchangeType { exchange: u8 },
    /// Our Quick Mode proposal carries an SPI of this many bytes instead of
    /// ESP's four (RFC 2407 4.4.4 / RFC 4303 2.1).
    WrongSpiSize { size: u8 },
    /// Quick Mode messages we send have the commit bit set (RFC 2408 3.1).
    CommitBit,
    /// QM1 carries no client identities (IDci/IDcr), so the IKE peers'
    /// addresses are the selectors (RFC 2409 5.5).
    OmitClientIds,
    /// R-U-THERE notifies are never answered (RFC 3706): a peer with DPD
    /// must declare us dead.
    IgnoreDpd,
    /// Our ESP packets carry a random SPI the peer never agreed to: it must
    /// drop them and may answer INVALID-SPI (RFC 4303 3.4.2).
    EspUnknownSpi,
    /// Our nth ESP packet is sent twice: the copy is a replay (RFC 4303 3.4.3).
    EspReplay { nth: u32 },
    /// The last byte of every ICV is flipped (RFC 4303 3.4.4).
    EspCorruptIcv,
    /// The nth message this side builds for one IKE SA is mutated (its
    /// retransmissions resend it as built): payload edits before
    /// encryption, so the peer can still decrypt what it is meant to read;
    /// byte and header edits on the finished message. The live fuzzer
    /// (`ikelab fuzz --peer`) and `ikelab cve` reach real peers this way.
    /// With `authentic`, a payload edit of a Quick Mode message or an
    /// Informational is made before its HASH is computed over the payloads
    /// after it (RFC 2409 5.5, 5.7), so the peer's integrity check passes
    /// and its parser meets the edit; its payload indexes then count from
    /// the payload after the HASH. Several may name the same message.
    Mutate {
        nth: u32,
        mutation: Mutation,
        #[serde(default)]
        authentic: bool,
    },
}

impl Impairment {
    /// A short name for traces and reports.
    pub fn name(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|value| value.get("kind").and_then(|kind| kind.as_str().map(str::to_owned)))
            .unwrap_or_else(|| "impairment".to_owned())
    }
}

/// The impairments that act on ESP packets after encapsulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EspImpairment {
    UnknownSpi,
    Replay { nth: u32 },
    CorruptIcv,
}

impl EspImpairment {
    pub fn of(impairment: &Impairment) -> Option<Self> {
        match impairment {
            Impairment::EspUnknownSpi => Some(Self::UnknownSpi),
            Impairment::EspReplay { nth } => Some(Self::Replay { nth: *nth }),
            Impairment::EspCorruptIcv => Some(Self::CorruptIcv),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::UnknownSpi => "esp_unknown_spi",
            Self::Replay { .. } => "esp_replay",
            Self::CorruptIcv => "esp_corrupt_icv",
        }
    }

    /// Damages an encapsulated packet; returns how many copies to send, or
    /// `None` when this packet is not one the impairment acts on.
    pub fn apply(
        self,
        esp: &mut [u8],
        sequence: u32,
        rng: &mut dyn rand_chacha::rand_core::RngCore,
    ) -> Option<usize> {
        match self {
            Self::UnknownSpi if esp.len() >= 4 => {
                let spi = rng.next_u32() | 0x8000_0000;
                esp[..4].copy_from_slice(&spi.to_be_bytes());
                Some(1)
            }
            Self::CorruptIcv => {
                let last = esp.last_mut()?;
                *last ^= 0x01;
                Some(1)
            }
            Self::Replay { nth } if nth == sequence => Some(2),
            _ => None,
        }
    }
}

/// The impairments of one IKE SA, applied where messages are built and sent.
#[derive(Clone, Debug, Default)]
pub(crate) struct Impairments {
    list: Vec<Impairment>,
}

/// What to do with one outgoing datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    Send,
    Drop,
    /// Dropped, as every datagram from now on.
    Withhold,
    SendTwice,
    SendAndReplayAfter(u64),
}

impl Impairments {
    pub fn new(list: &[Impairment]) -> Self {
        Self { list: list.to_vec() }
    }

    fn any(&self, wanted: impl Fn(&Impairment) -> bool) -> bool {
        self.list.iter().any(wanted)
    }

    /// The KE data to send: none, zeros, or as computed.
    pub fn key_exchange(&self, public_value: &[u8]) -> Option<Vec<u8>> {
        if self.any(|i| *i == Impairment::OmitKe) {
            None
        } else if self.any(|i| *i == Impairment::ZeroKe) {
            Some(vec![0; public_value.len()])
        } else {
            Some(public_value.to_vec())
        }
    }

    /// The nonce to send: none, 4 bytes, or as drawn.
    pub fn nonce(&self, nonce: &[u8]) -> Option<Vec<u8>> {
        if self.any(|i| *i == Impairment::OmitNonce) {
            None
        } else if self.any(|i| *i == Impairment::ShortNonce) {
            Some(nonce[..4.min(nonce.len())].to_vec())
        } else {
            Some(nonce.to_vec())
        }
    }

    /// A HASH payload's data, with one bit flipped if asked.
    pub fn hash(&self, mut hash: Vec<u8>) -> Vec<u8> {
        if self.any(|i| *i == Impairment::CorruptHash)
            && let Some(first) = hash.first_mut()
        {
            *first ^= 0x01;
        }
        hash
    }

    pub fn cleartext(&self) -> bool {
        self.any(|i| *i == Impairment::Cleartext)
    }

    pub fn no_delete(&self) -> bool {
        self.any(|i| *i == Impairment::NoDelete)
    }

    pub fn zero_responder_cookie(&self) -> bool {
        self.any(|i| *i == Impairment::ZeroResponderCookie)
    }

    pub fn nonzero_phase1_message_id(&self) -> bool {
        self.any(|i| *i == Impairment::NonzeroPhase1MessageId)
    }

    /// Header fields: flags, version, exchange type.
    pub fn header(&self, header: &mut isakmp::Header) {
        for impairment in &self.list {
            match impairment {
                Impairment::BogusFlags { flags } => header.flags = header.flags.with(isakmp::Flags(*flags)),
                Impairment::Version { version } => header.version = isakmp::Version(*version),
                Impairment::WrongExchangeType { exchange } => {
                    header.exchange = isakmp::numbers::ExchangeType(*exchange)
                }
                _ => {}
            }
        }
    }

    /// Extra payloads appended to every message.
    pub fn extra_payloads(&self) -> Vec<isakmp::Payload> {
        self.list
            .iter()
            .filter_map(|impairment| match impairment {
                Impairment::UnknownPayload { payload_type } => {
                    Some(isakmp::Payload::from(isakmp::PayloadBody::Unknown {
                        payload_type: isakmp::numbers::PayloadType(*payload_type),
                        data: b"ikelab".to_vec(),
                    }))
                }
                _ => None,
            })
            .collect()
    }

    /// Byte-level damage to an emitted message (before NAT-T framing).
    pub fn wire(&self, message: &mut Vec<u8>) {
        for impairment in &self.list {
            match impairment {
                Impairment::WrongPayloadLength { delta } if message.len() >= 32 => {
                    // The first payload's length field follows the 28-byte header.
                    let length = u16::from_be_bytes([message[30], message[31]]);
                    let damaged = length.wrapping_add_signed(*delta);
                    message[30..32].copy_from_slice(&damaged.to_be_bytes());
                }
                Impairment::Truncate { bytes } => {
                    message.truncate(message.len().saturating_sub(usize::from(*bytes)));
                }
                _ => {}
            }
        }
    }

    /// The fate of the `nth` datagram of this SA (1-based).
    pub fn fate(&self, nth: u32) -> Fate {
        for impairment in &self.list {
            match impairment {
                Impairment::DropMessage { nth: n } if *n == nth => return Fate::Drop,
                Impairment::SilentAfter { nth: n } if nth > *n => return Fate::Withhold,
                Impairment::DuplicateMessage { nth: n } if *n == nth => return Fate::SendTwice,
                Impairment::ReplayMessage { nth: n, after_ms } if *n == nth => {
                    return Fate::SendAndReplayAfter(*after_ms);
                }
                _ => {}
            }
        }
        Fate::Send
    }

    /// The mutations of the `nth` message built for this SA (1-based), in
    /// order, each with whether it is to stay authentic.
    pub fn mutations(&self, nth: u32) -> Vec<(&Mutation, bool)> {
        self.list
            .iter()
            .filter_map(|impairment| match impairment {
                Impairment::Mutate { nth: n, mutation, authentic } if *n == nth => {
                    Some((mutation, *authentic))
                }
                _ => None,
            })
            .collect()
    }

    /// The SPI to put in a Quick Mode proposal.
    pub fn proposal_spi(&self, spi: u32) -> Vec<u8> {
        let size = self.list.iter().find_map(|i| match i {
            Impairment::WrongSpiSize { size } => Some(usize::from(*size)),
            _ => None,
        });
        match size {
            Some(size) => spi.to_be_bytes().iter().copied().cycle().take(size).collect(),
            None => spi.to_be_bytes().to_vec(),
        }
    }

    pub fn commit_bit(&self) -> bool {
        self.any(|i| *i == Impairment::CommitBit)
    }

    pub fn omit_client_ids(&self) -> bool {
        self.any(|i| *i == Impairment::OmitClientIds)
    }

    pub fn ignore_dpd(&self) -> bool {
        self.any(|i| *i == Impairment::IgnoreDpd)
    }
}
