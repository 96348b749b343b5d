//! The cases of a live fuzzing campaign: which handshake to run against the
//! peer, and how the reference damages what it sends. Case `n` of seed `s`
//! is always the same case, so a finding is reproduced by its two numbers.
//!
//! Most cases are [`Impairment::Mutate`] edits of one of the first messages
//! the reference builds (Phase 1, Quick Mode), half of the Quick Mode and
//! Informational payload edits kept authentic so the peer's parser meets
//! them past its HASH check; the rest are the named impairments, whose
//! damage is known to have broken IKEv1 daemons before.

use ikev1::impairment::{HeaderField, Impairment, Mutation, PayloadEdit};
use ikev1::policy::ExchangeMode;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

/// How many messages the reference builds in one handshake with Quick Mode
/// (the initiator of Phase 1 starts Quick Mode too): the mutation targets.
/// Counting beyond them would damage nothing.
fn messages_built(exchange: ExchangeMode, reference_initiates: bool) -> u32 {
    match (exchange, reference_initiates) {
        (ExchangeMode::Main, true) => 5,        // MM1, MM3, MM5, QM1, QM3
        (ExchangeMode::Main, false) => 4,       // MM2, MM4, MM6, QM2
        (ExchangeMode::Aggressive, true) => 4,  // AM1, AM3, QM1, QM3
        (ExchangeMode::Aggressive, false) => 2, // AM2, QM2
    }
}

/// Values that sit on the edges of one-byte and two-byte fields.
const EDGE_BYTES: [u8; 6] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
const EDGE_WORDS: [u16; 7] = [0, 1, 3, 4, 0x7fff, 0x8000, 0xffff];

/// One case of a campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuzzCase {
    pub seed: u64,
    pub index: u64,
    pub exchange: ExchangeMode,
    /// Whether the reference starts the handshake (else the peer does).
    pub reference_initiates: bool,
    pub impairments: Vec<Impairment>,
}

impl FuzzCase {
    /// Case `index` of the campaign `seed`.
    pub fn generate(seed: u64, index: u64) -> FuzzCase {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index);
        let mut pick = Pick(rng);
        let exchange = if pick.chance(4) { ExchangeMode::Aggressive } else { ExchangeMode::Main };
        let reference_initiates = !pick.chance(3);
        let messages = messages_built(exchange, reference_initiates);
        let count = 1 + pick.below(3) as usize;
        let impairments = (0..count).map(|_| pick.impairment(messages)).collect();
        FuzzCase { seed, index, exchange, reference_initiates, impairments }
    }

    /// A one-line account for logs and reports.
    pub fn describe(&self) -> String {
        let impairments: Vec<String> =
            self.impairments.iter().map(|i| serde_json::to_string(i).unwrap_or_default()).collect();
        let role = if self.reference_initiates { "reference initiates" } else { "peer initiates" };
        format!("#{} {:?} mode, {role}: {}", self.index, self.exchange, impairments.join(" + "))
    }
}

/// Draws from the case's stream.
struct Pick(ChaCha8Rng);

impl Pick {
    fn below(&mut self, bound: u32) -> u32 {
        self.0.next_u32() % bound.max(1)
    }

    /// True once in `odds` draws.
    fn chance(&mut self, odds: u32) -> bool {
        self.below(odds) == 0
    }

    fn byte(&mut self) -> u8 {
        if self.chance(2) {
            EDGE_BYTES[self.below(EDGE_BYTES.len() as u32) as usize]
        } else {
            self.0.next_u32() as u8
        }
    }

    fn word(&mut self) -> u16 {
        if self.chance(2) {
            EDGE_WORDS[self.below(EDGE_WORDS.len() as u32) as usize]
        } else {
            self.0.next_u32() as u16
        }
    }

    fn small(&mut self) -> u8 {
        self.below(8) as u8
    }

    fn bytes(&mut self, max: u32) -> Vec<u8> {
        let len = self.below(max + 1) as usize;
        let mut bytes = vec![0; len];
        self.0.fill_bytes(&mut bytes);
        bytes
    }

    fn impairment(&mut self, messages: u32) -> Impairment {
        if self.chance(5) {
            return self.named_impairment(messages);
        }
        let nth = 1 + self.below(messages);
        let mutation = self.mutation();
        let authentic = matches!(mutation, Mutation::Payload(_)) && self.chance(2);
        Impairment::Mutate { nth, mutation, authentic }
    }

    fn mutation(&mut self) -> Mutation {
        match self.below(10) {
            0..=3 => Mutation::Payload(self.payload_edit()),
            4 | 5 => {
                Mutation::Header { field: self.header_field(), value: self.0.next_u32() & self.header_mask() }
            }
            6 => Mutation::FlipBit { at: self.word(), bit: self.small() },
            7 => Mutation::SetByte { at: self.word(), value: self.byte() },
            8 => Mutation::Truncate { keep: self.below(200) as u16 },
            _ => Mutation::Append(self.bytes(64)),
        }
    }

    /// Header values are mostly small: edges of the one-byte fields.
    fn header_mask(&mut self) -> u32 {
        if self.chance(2) { 0xff } else { u32::MAX }
    }

    fn header_field(&mut self) -> HeaderField {
        const FIELDS: [HeaderField; 8] = [
            HeaderField::Exchange,
            HeaderField::Flags,
            HeaderField::MessageId,
            HeaderField::Version,
            HeaderField::NextPayload,
            HeaderField::InitiatorCookie,
            HeaderField::ResponderCookie,
            HeaderField::Length,
        ];
        FIELDS[self.below(FIELDS.len() as u32) as usize]
    }

    fn payload_edit(&mut self) -> PayloadEdit {
        let at = self.small();
        match self.below(11) {
            0 => PayloadEdit::Remove(at),
            1 => PayloadEdit::Duplicate(at),
            2 => PayloadEdit::Swap(at, self.small()),
            3 => PayloadEdit::Insert { at, blob: self.bytes(96) },
            4 => PayloadEdit::Replace { at, blob: self.bytes(96) },
            5 => PayloadEdit::Truncate { payload: at, keep: self.below(40) as u16 },
            6 => PayloadEdit::Zero(at),
            7 => PayloadEdit::Attribute {
                payload: at,
                proposal: self.small(),
                transform: self.small(),
                attribute: self.below(16) as u8,
                value: self.word(),
            },
            8 => PayloadEdit::Patch { payload: at, offset: self.below(24) as u8, value: self.byte() },
            9 => PayloadEdit::Length { payload: at, value: self.word() },
            _ => PayloadEdit::Padding(self.bytes(20)),
        }
    }

    fn named_impairment(&mut self, messages: u32) -> Impairment {
        let nth = 1 + self.below(messages);
        match self.below(18) {
            0 => Impairment::ZeroKe,
            1 => Impairment::OmitKe,
            2 => Impairment::OmitNonce,
            3 => Impairment::ShortNonce,
            4 => Impairment::BogusFlags { flags: self.byte() & 0xf8 },
            5 => Impairment::Version { version: self.byte() },
            6 => Impairment::WrongPayloadLength { delta: self.word() as i16 },
            7 => Impairment::ZeroResponderCookie,
            8 => Impairment::Cleartext,
            9 => Impairment::NonzeroPhase1MessageId,
            10 => Impairment::UnknownPayload { payload_type: 14 + self.below(100) as u8 },
            11 => Impairment::Truncate { bytes: 1 + self.below(40) as u16 },
            12 => Impairment::WrongExchangeType { exchange: self.byte() },
            13 => Impairment::WrongSpiSize { size: self.below(17) as u8 },
            14 => Impairment::CommitBit,
            15 => Impairment::OmitClientIds,
            16 => Impairment::CorruptHash,
            _ => Impairment::DuplicateMessage { nth },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_is_its_seed_and_index() {
        assert_eq!(FuzzCase::generate(7, 42), FuzzCase::generate(7, 42));
        assert_ne!(FuzzCase::generate(7, 42), FuzzCase::generate(7, 43));
        assert_ne!(FuzzCase::generate(7, 42), FuzzCase::generate(8, 42));
    }

    #[test]
    fn cases_cover_both_roles_both_modes_and_every_kind_of_damage() {
        let cases: Vec<FuzzCase> = (0..2000).map(|index| FuzzCase::generate(1, index)).collect();
        assert!(cases.iter().any(|c| c.reference_initiates) && cases.iter().any(|c| !c.reference_initiates));
        assert!(cases.iter().any(|c| c.exchange == ExchangeMode::Aggressive));
        let impairments: Vec<&Impairment> = cases.iter().flat_map(|c| &c.impairments).collect();
        let kinds: std::collections::BTreeSet<String> = impairments.iter().map(|i| i.name()).collect();
        assert!(kinds.len() >= 18, "{kinds:?}");
        let authentic =
            impairments.iter().filter(|i| matches!(i, Impairment::Mutate { authentic: true, .. })).count();
        assert!(authentic > 100, "{authentic} authentic payload edits");
    }

    #[test]
    fn mutations_name_only_messages_the_reference_builds() {
        for index in 0..2000 {
            let case = FuzzCase::generate(5, index);
            let built = messages_built(case.exchange, case.reference_initiates);
            for impairment in &case.impairments {
                if let Impairment::Mutate { nth, .. } | Impairment::DuplicateMessage { nth } = impairment {
                    assert!((1..=built).contains(nth), "{}", case.describe());
                }
            }
        }
    }

    #[test]
    fn a_case_reads_back_from_its_json() {
        let case = FuzzCase::generate(3, 9);
        let text = serde_json::to_string(&case).unwrap();
        assert_eq!(serde_json::from_str::<FuzzCase>(&text).unwrap(), case);
    }
}
