//! `ikelab decode --keys`: a capture read with a key file. Phase 1 keys are
//! derived per ISAKMP SA, every encrypted message is decrypted and its HASH
//! checked, the Quick Modes give the IPsec SAs' KEYMAT, and every ESP packet
//! of a derived SA is decapsulated. The result is a [`KeyedReport`], which the
//! text and JSON writers print.

use std::collections::BTreeMap;

use ikev1::crypto::{Iv, RustCryptoProvider};
use isakmp::{Payload, Plaintext};
use vectors::KeyFile;
use vectors::keys::{Phase1Exchange, Role};

use super::authentication::{HashOutcome, HashRule};
use super::capture::{CaptureItem, Found, FoundEsp};
use super::esp::{EspReport, EspSas};
use super::ike_decrypt::Retransmissions;
use super::ipsec_keys::IpsecSaKeys;
use super::keys::{KeyCheck, KeyOwner, NoPhase1Keys, Phase1};
use super::sa_reader::SaReader;

/// Everything `decode --keys` learned, in capture order within each part.
pub struct KeyedReport {
    pub ike_sas: Vec<IkeSaReport>,
    pub messages: Vec<MessageReport>,
    pub esp_packets: Vec<EspPacketReport>,
    /// Derived IPsec SAs the ESP code refused to key.
    pub problems: Vec<String>,
}

/// One ISAKMP SA of the key file.
pub struct IkeSaReport {
    pub initiator_cookie: Vec<u8>,
    pub responder_cookie: Vec<u8>,
    pub exchange: Phase1Exchange,
    pub phase1: Result<Phase1, NoPhase1Keys>,
    pub ipsec_sas: Vec<IpsecSaKeys>,
    /// IPsec SAs that could not be derived, and why.
    pub ipsec_problems: Vec<String>,
}

impl IkeSaReport {
    /// Every derived value, Phase 1 first, then each IPsec SA's.
    pub fn checks(&self) -> impl Iterator<Item = &KeyCheck> {
        let phase1 = self.phase1.iter().flat_map(Phase1::checks);
        phase1.chain(self.ipsec_sas.iter().flat_map(|sa| &sa.checks))
    }

    /// Name -> whether the derived value equals the logged one, for every value
    /// the key file logs; values it does not log are left out.
    pub fn keys_match(&self) -> BTreeMap<String, bool> {
        self.checks().filter_map(|check| Some((check.name.clone(), check.matches_logged?))).collect()
    }
}

/// One ISAKMP message and what the keys made of it.
pub struct MessageReport {
    pub found: Found,
    /// Phase 1 role of the sender, when the message belongs to a key file SA.
    pub from: Option<Role>,
    /// A byte-identical copy of this earlier frame: its reading is reused.
    pub retransmission_of: Option<u64>,
    /// For an encrypted message: the plaintext, or why there is none.
    pub decryption: Option<Result<Decryption, String>>,
    pub hash: Option<HashCheck>,
}

impl MessageReport {
    /// The payloads as read: decrypted ones, or the plaintext message's.
    pub fn payloads(&self) -> &[Payload] {
        match (&self.decryption, &self.found.message) {
            (Some(Ok(decryption)), _) => &decryption.plaintext.payloads,
            (_, Ok(message)) => message.payloads(),
            (_, Err(_)) => &[],
        }
    }

    pub fn is_decrypted(&self) -> bool {
        matches!(self.decryption, Some(Ok(_)))
    }

    /// Why an encrypted message could not be read.
    pub fn decrypt_error(&self) -> Option<&str> {
        match &self.decryption {
            Some(Err(error)) => Some(error),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Decryption {
    /// The key set that read it (which side's keys, case I).
    pub key_owner: KeyOwner,
    pub iv: Iv,
    pub plaintext: Plaintext,
}

#[derive(Clone, Debug)]
pub struct HashCheck {
    pub rule: HashRule,
    pub key_owner: KeyOwner,
    pub outcome: HashOutcome,
}

pub struct EspPacketReport {
    pub found: FoundEsp,
    pub esp: EspReport,
}

/// Reads every item of the capture with the key file.
pub fn decode(key_file: &KeyFile, items: Vec<CaptureItem>) -> KeyedReport {
    let provider = RustCryptoProvider::new();
    let mut readers: Vec<SaReader<'_>> =
        key_file.ike_sas.iter().map(|sa| SaReader::new(key_file, sa, &provider)).collect();
    let mut messages: Vec<MessageReport> = Vec::new();
    let mut esp_found = Vec::new();
    let mut retransmissions = Retransmissions::default();
    for item in items {
        match item {
            CaptureItem::Isakmp(found) => {
                let report = read_message(found, &mut readers, &mut retransmissions, &messages, &provider);
                messages.push(report);
            }
            CaptureItem::Esp(found) => esp_found.push(found),
        }
    }
    let ike_sas: Vec<IkeSaReport> =
        readers.into_iter().map(|reader| reader.finish(key_file, &provider)).collect();
    let (esp_sas, problems) = EspSas::new(&provider, ike_sas.iter().flat_map(|sa| &sa.ipsec_sas));
    let esp_packets = esp_found
        .into_iter()
        .map(|found| {
            let esp = esp_sas.decapsulate(&found);
            EspPacketReport { found, esp }
        })
        .collect();
    KeyedReport { ike_sas, messages, esp_packets, problems }
}

fn read_message(
    found: Found,
    readers: &mut [SaReader<'_>],
    retransmissions: &mut Retransmissions,
    earlier: &[MessageReport],
    provider: &RustCryptoProvider,
) -> MessageReport {
    let mut report =
        MessageReport { found, from: None, retransmission_of: None, decryption: None, hash: None };
    let Ok(message) = &report.found.message else { return report };
    if let Some(original) = retransmissions.original_of(&report.found.bytes, earlier.len()) {
        let original = &earlier[original];
        report.from = original.from;
        report.retransmission_of = Some(original.found.frame);
        report.decryption = original.decryption.clone();
        report.hash = original.hash.clone();
        return report;
    }
    let cookie = message.header.initiator_cookie;
    let Some(reader) = readers.iter_mut().find(|reader| reader.initiator_cookie() == cookie.0) else {
        if message.is_encrypted() {
            report.decryption =
                Some(Err(format!("the key file has no ISAKMP SA with initiator cookie {cookie}")));
        }
        return report;
    };
    let found = &report.found;
    let reading = reader.read(message, found.frame, found.src.ip(), &found.bytes, provider);
    report.from = Some(reading.from);
    report.decryption = reading.decryption;
    report.hash = reading.hash;
    report
}
