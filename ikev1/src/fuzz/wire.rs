//! ISAKMP datagrams as the null crypto sees them. Its cipher is the
//! identity, so an encrypted body is its own plaintext: the scaffolding can
//! read, edit and re-seal any message of an exchange, and check what a
//! message proves (a HASH is authentic exactly when it is all zeros of the
//! PRF's length, since every PRF output is zeros).

use isakmp::natt::{NAT_T_PORT, NON_ESP_MARKER};
use isakmp::numbers::PayloadType;
use isakmp::{Body, Header, Message, Payload, PayloadBody, Plaintext};

/// The block every IKE cipher we negotiate divides (AES 16, 3DES 8).
pub const BLOCK_LEN: usize = 16;

/// A readable ISAKMP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    pub header: Header,
    pub encrypted: bool,
    pub payloads: Vec<Payload>,
    /// What followed the chain: an encrypted body's padding (RFC 2409 5.3),
    /// or the trailing bytes after a plain one (some peers pad to 4 octets).
    pub padding: Vec<u8>,
}

/// Whether an encrypted body can be decrypted at all: CBC needs whole blocks.
pub fn decryptable(opened: &Opened, block_len: usize) -> bool {
    if !opened.encrypted {
        return true;
    }
    let chain = Plaintext { payloads: opened.payloads.clone(), padding: opened.padding.clone() };
    chain.emit().is_ok_and(|body| !body.is_empty() && body.len().is_multiple_of(block_len))
}

impl Opened {
    /// Reads an ISAKMP message (no Non-ESP Marker), decrypting with the
    /// identity; `None` if it does not parse.
    pub fn open(message: &[u8]) -> Option<Self> {
        let parsed = Message::parse(message).ok()?;
        match parsed.body {
            Body::Plain(payloads) => {
                Some(Self { header: parsed.header, encrypted: false, payloads, padding: parsed.trailing })
            }
            Body::Encrypted { first_payload, ciphertext } => {
                let plaintext =
                    Plaintext::parse(first_payload, &ciphertext, isakmp::message::BODY_OFFSET).ok()?;
                Some(Self {
                    header: parsed.header,
                    encrypted: true,
                    payloads: plaintext.payloads,
                    padding: plaintext.padding,
                })
            }
        }
    }

    /// The wire form; an encrypted body keeps its padding as it is.
    pub fn seal(&self) -> Option<Vec<u8>> {
        let message = if self.encrypted {
            let plaintext = Plaintext { payloads: self.payloads.clone(), padding: self.padding.clone() };
            let first_payload = isakmp::payload::first_type(&self.payloads);
            Message::new(self.header, Body::Encrypted { first_payload, ciphertext: plaintext.emit().ok()? })
        } else {
            Message {
                trailing: self.padding.clone(),
                ..Message::new(self.header, Body::Plain(self.payloads.clone()))
            }
        };
        message.emit().ok()
    }

    /// Pads an encrypted chain to whole cipher blocks again, after an edit
    /// changed its length.
    pub fn realign_padding(&mut self) {
        if !self.encrypted {
            return;
        }
        let chain_len = Plaintext { payloads: self.payloads.clone(), padding: Vec::new() }
            .emit()
            .map_or(0, |chain| chain.len());
        self.padding = vec![0; (BLOCK_LEN - chain_len % BLOCK_LEN) % BLOCK_LEN];
    }

    /// The header checks every message must pass before anything reads it:
    /// major version 1 (RFC 2408 5.2) and no reserved flag bits (RFC 2408 3.1).
    pub fn is_ikev1(&self) -> bool {
        self.header.version.major() == 1 && self.header.flags.reserved_bits() == 0
    }

    pub fn has(&self, payload_type: PayloadType) -> bool {
        self.payloads.iter().any(|payload| payload.payload_type() == payload_type)
    }

    /// Whether the first payload is a HASH with the value the null PRF gives
    /// for an output of `len` bytes (RFC 2409 5.5, 5.7: HASH(1..3) lead).
    pub fn leads_with_authentic_hash(&self, len: usize) -> bool {
        self.payloads.first().is_some_and(|first| is_null_prf_hash(&first.body, len))
    }

    /// Whether any HASH payload has the null PRF's value (HASH_I, HASH_R).
    pub fn carries_authentic_hash(&self, len: usize) -> bool {
        self.payloads.iter().any(|payload| is_null_prf_hash(&payload.body, len))
    }
}

fn is_null_prf_hash(body: &PayloadBody, len: usize) -> bool {
    matches!(body, PayloadBody::Hash(value) if value.len() == len && value.iter().all(|&b| b == 0))
}

/// The ISAKMP message in a UDP payload: behind the Non-ESP Marker on port
/// 4500 (RFC 3948 2.2), `None` for ESP and keepalives there.
pub fn isakmp_message(local_port: u16, payload: &[u8]) -> Option<&[u8]> {
    if local_port != NAT_T_PORT {
        return Some(payload);
    }
    payload.strip_prefix(&NON_ESP_MARKER[..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use isakmp::numbers::ExchangeType;
    use isakmp::{Cookie, Flags, MessageId, Version};

    fn informational(encrypted: bool, payloads: Vec<Payload>) -> Opened {
        let header = Header {
            initiator_cookie: Cookie([1; 8]),
            responder_cookie: Cookie([2; 8]),
            version: Version::V1_0,
            exchange: ExchangeType::INFORMATIONAL,
            flags: if encrypted { Flags::ENCRYPTION } else { Flags::default() },
            message_id: MessageId(7),
        };
        Opened { header, encrypted, payloads, padding: Vec::new() }
    }

    #[test]
    fn an_encrypted_message_opens_to_its_own_plaintext() {
        let mut message = informational(true, vec![Payload::from(PayloadBody::Hash(vec![0; 32]))]);
        message.realign_padding();
        assert_eq!(message.padding.len(), 12, "4 + 32 bytes of chain pad to 48");
        let sealed = message.seal().expect("emits");
        assert_eq!(sealed.len(), 28 + 48);
        let opened = Opened::open(&sealed).expect("opens");
        assert_eq!(opened, message);
        assert!(opened.leads_with_authentic_hash(32));
        assert!(!opened.leads_with_authentic_hash(20), "a HASH of another PRF's length");
    }

    #[test]
    fn a_nonzero_hash_is_not_authentic() {
        let message = informational(false, vec![Payload::from(PayloadBody::Hash(vec![1; 20]))]);
        assert!(!message.carries_authentic_hash(20));
        assert_eq!(isakmp_message(4500, &[0, 0, 0, 0, 9]), Some(&[9][..]));
        assert_eq!(isakmp_message(4500, &[0xff]), None);
    }
}
