//! Decrypting ISAKMP message bodies with the IV chains of RFC 2409 Appendix B.
//!
//! Phase 1 starts from IV0 = hash(g^xi | g^xr); each later exchange starts from
//! hash(last Phase 1 CBC block | M-ID); within an exchange each message's last
//! ciphertext block is the next message's IV. `ikev1::keys::MessageIvs` keeps
//! those chains. Two rules make a passive observer agree with the peers:
//!
//! - a chain moves on only when the plaintext parses: a key set stands for one
//!   side's view, and a side that cannot read a message does not move its IV
//!   (strongSwan's responder in case I), while the side that wrote it always can;
//! - a byte-identical retransmission was encrypted with the IV of the original,
//!   so it is not decrypted again with the advanced chain (which is why tshark
//!   fails on them) but recognised and given the original's result.

use std::collections::HashMap;
use std::fmt;

use ikev1::crypto::{CryptoError, HashFunction, IkeCipher, Iv};
use ikev1::keys::MessageIvs;
use isakmp::Plaintext;
use isakmp::message::BODY_OFFSET;
use isakmp::numbers::PayloadType;

/// A body decrypted and parsed.
#[derive(Clone, Debug)]
pub struct DecryptedBody {
    /// The IV this message was decrypted with.
    pub iv: Iv,
    /// The plaintext: payload chain, then padding.
    pub bytes: Vec<u8>,
    pub plaintext: Plaintext,
}

#[derive(Clone, Debug)]
pub enum DecryptError {
    /// No IV could be derived, or the body is not whole cipher blocks.
    Crypto(CryptoError),
    /// The plaintext is no payload chain: most likely the wrong key or IV.
    Unparsable(isakmp::Error),
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Crypto(error) => write!(f, "{error}"),
            Self::Unparsable(error) => write!(f, "plaintext is no payload chain ({error})"),
        }
    }
}

/// Decrypts the body of message `message_id` with the chain that message ID
/// uses, and moves that chain on only if the plaintext parses.
pub fn decrypt_body(
    cipher: &dyn IkeCipher,
    hash: &dyn HashFunction,
    ivs: &mut MessageIvs,
    message_id: u32,
    first_payload: PayloadType,
    ciphertext: &[u8],
) -> Result<DecryptedBody, DecryptError> {
    let chain = ivs.chain(hash, message_id).map_err(DecryptError::Crypto)?;
    // IvChain is Copy: try on a copy, commit on success.
    let mut attempt = *chain;
    let iv = *attempt.iv();
    let mut bytes = ciphertext.to_vec();
    attempt.decrypt(cipher, &mut bytes).map_err(DecryptError::Crypto)?;
    let plaintext = Plaintext::parse(first_payload, &bytes, BODY_OFFSET).map_err(DecryptError::Unparsable)?;
    *chain = attempt;
    Ok(DecryptedBody { iv, bytes, plaintext })
}

/// Remembers every datagram seen, to recognise byte-identical retransmissions.
#[derive(Debug, Default)]
pub struct Retransmissions {
    first_seen: HashMap<Vec<u8>, usize>,
}

impl Retransmissions {
    /// The index given with the first copy of `datagram`, or `None` (and
    /// `index` is remembered) if this is the first copy.
    pub fn original_of(&mut self, datagram: &[u8], index: usize) -> Option<usize> {
        if let Some(&original) = self.first_seen.get(datagram) {
            return Some(original);
        }
        self.first_seen.insert(datagram.to_vec(), index);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikev1::crypto::{AesKeySize, CryptoProvider, EncryptionAlgorithm, HashAlgorithm, RustCryptoProvider};
    use ikev1::keys::IvChain;

    /// A HASH payload alone (4-byte header, 12 bytes of data) padded to one AES block.
    fn hash_payload_block() -> Vec<u8> {
        let mut body = vec![0, 0, 0, 16];
        body.extend_from_slice(&[0xab; 12]);
        body
    }

    #[test]
    fn a_parsable_message_moves_the_chain_and_garbage_does_not() {
        let provider = RustCryptoProvider::new();
        let cipher = provider.ike_cipher(EncryptionAlgorithm::AesCbc(AesKeySize::Bits128), &[7; 16]).unwrap();
        let hash = provider.hash(HashAlgorithm::Sha256);
        let iv0 = Iv::from_slice(&[1; 16]).unwrap();
        let mut sender = IvChain::new(iv0);
        let mut ciphertext = hash_payload_block();
        sender.encrypt(cipher.as_ref(), &mut ciphertext).unwrap();

        let mut ivs = MessageIvs::new(iv0);
        let garbage = [0x5a; 16];
        let refused = decrypt_body(cipher.as_ref(), hash, &mut ivs, 0, PayloadType::HASH, &garbage);
        assert!(matches!(refused, Err(DecryptError::Unparsable(_))));
        let decrypted =
            decrypt_body(cipher.as_ref(), hash, &mut ivs, 0, PayloadType::HASH, &ciphertext).unwrap();
        assert_eq!((decrypted.iv, decrypted.bytes), (iv0, hash_payload_block()));
        assert_eq!(decrypted.plaintext.payloads.len(), 1);
        // The Phase 1 chain now stands at the message's last block.
        assert_eq!(ivs.chain(hash, 0).unwrap().iv().as_bytes(), &ciphertext[..]);
        let short = decrypt_body(cipher.as_ref(), hash, &mut ivs, 0, PayloadType::HASH, &[1, 2, 3]);
        assert!(matches!(short, Err(DecryptError::Crypto(CryptoError::NotBlockAligned { .. }))));
    }

    #[test]
    fn the_first_copy_of_a_datagram_is_the_original() {
        let mut seen = Retransmissions::default();
        assert_eq!(seen.original_of(b"mm5", 4), None);
        assert_eq!(seen.original_of(b"info", 5), None);
        assert_eq!(seen.original_of(b"mm5", 6), Some(4));
        assert_eq!(seen.original_of(b"mm5", 8), Some(4));
    }
}
