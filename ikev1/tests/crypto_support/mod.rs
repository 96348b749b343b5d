//! Helpers shared by the crypto_* test crates: hex, a seeded generator, and the
//! few bytes of framing needed to pull ISAKMP and ESP out of the real captures.
#![allow(dead_code)] // each test crate uses its own subset

use ikev1::crypto::RustCryptoProvider;
use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
use vectors::{Dissected, Frame, Hex};

/// Bytes from hex, ignoring whitespace (so RFC layouts can be pasted as printed).
pub fn hex(text: &str) -> Vec<u8> {
    let digits: String = text.split_whitespace().collect();
    digits.parse::<Hex>().expect("valid hex in test data").into_vec()
}

/// A deterministic generator standing in for the engine's private stream.
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub fn provider() -> RustCryptoProvider {
    RustCryptoProvider::new()
}

/// The UDP payload of a frame and whether it travelled on port 4500.
pub fn udp_payload(frame: &Frame) -> (&[u8], bool) {
    match &frame.dissected {
        Dissected::Udp(udp) => {
            (&frame.data[udp.payload.clone()], udp.src.port() == 4500 || udp.dst.port() == 4500)
        }
        other => panic!("frame {} is not UDP: {other}", frame.number),
    }
}

/// The ISAKMP message of a frame: on port 4500 it follows the 4-byte non-ESP
/// marker (RFC 3948 2.2).
pub fn isakmp_message(frame: &Frame) -> &[u8] {
    match udp_payload(frame) {
        (payload, true) => {
            assert_eq!(&payload[..4], &[0; 4], "frame {}: no non-ESP marker", frame.number);
            &payload[4..]
        }
        (payload, false) => payload,
    }
}

/// The ESP packet of an ESP-in-UDP frame (RFC 3948 2.1: the SPI is never zero).
pub fn esp_packet(frame: &Frame) -> &[u8] {
    match udp_payload(frame) {
        (payload, true) if payload[..4] != [0; 4] => payload,
        _ => panic!("frame {} is not ESP in UDP", frame.number),
    }
}

/// Frame `number` (1-based, as Wireshark counts).
pub fn frame(frames: &[Frame], number: u64) -> &Frame {
    frames.iter().find(|frame| frame.number == number).expect("frame in capture")
}

/// ISAKMP header length (RFC 2408 3.1).
pub const ISAKMP_HEADER_LEN: usize = 28;

/// One payload of a decrypted message: type, whole payload (generic header
/// included) and body (without it).
#[derive(Debug)]
pub struct Payload<'a> {
    pub kind: u8,
    pub whole: &'a [u8],
    pub body: &'a [u8],
}

/// Walks the payload chain starting with type `first` (RFC 2408 3.2), stopping at
/// next payload 0; what follows is padding.
pub fn payloads(first: u8, mut data: &[u8]) -> Vec<Payload<'_>> {
    let mut found = Vec::new();
    let mut kind = first;
    while kind != 0 {
        let length = usize::from(u16::from_be_bytes([data[2], data[3]]));
        let (whole, rest) = data.split_at(length);
        found.push(Payload { kind, whole, body: &whole[4..] });
        kind = whole[0];
        data = rest;
    }
    found
}

/// ISAKMP payload types (RFC 2408 3.1).
pub const SA: u8 = 1;
pub const KE: u8 = 4;
pub const ID: u8 = 5;
pub const HASH: u8 = 8;
pub const NONCE: u8 = 10;
pub const NOTIFY: u8 = 11;
pub const DELETE: u8 = 12;

/// The algorithms of a key file, from strongSwan's names.
pub mod names {
    use ikev1::crypto::{
        AesKeySize, EncryptionAlgorithm, EspEncryption, EspIntegrity, EspSuite, HashAlgorithm,
    };

    pub fn prf(name: &str) -> HashAlgorithm {
        match name {
            "PRF_HMAC_MD5" => HashAlgorithm::Md5,
            "PRF_HMAC_SHA1" => HashAlgorithm::Sha1,
            "PRF_HMAC_SHA2_256" => HashAlgorithm::Sha256,
            "PRF_HMAC_SHA2_384" => HashAlgorithm::Sha384,
            "PRF_HMAC_SHA2_512" => HashAlgorithm::Sha512,
            other => panic!("PRF {other} not in this test's table"),
        }
    }

    fn aes(bits: Option<u32>) -> AesKeySize {
        bits.and_then(|bits| AesKeySize::from_bits(u16::try_from(bits).ok()?)).expect("AES key length")
    }

    pub fn ike_encryption(name: &str, bits: Option<u32>) -> EncryptionAlgorithm {
        match name {
            "AES_CBC" => EncryptionAlgorithm::AesCbc(aes(bits)),
            "3DES_CBC" => EncryptionAlgorithm::TripleDesCbc,
            other => panic!("cipher {other} not in this test's table"),
        }
    }

    pub fn esp_suite(encryption: &str, bits: Option<u32>, integrity: &str) -> EspSuite {
        let encryption = match encryption {
            "AES_CBC" => EspEncryption::AesCbc(aes(bits)),
            "3DES_CBC" => EspEncryption::TripleDesCbc,
            other => panic!("ESP cipher {other} not in this test's table"),
        };
        let integrity = match integrity {
            "HMAC_MD5_96" => EspIntegrity::HmacMd5_96,
            "HMAC_SHA1_96" => EspIntegrity::HmacSha1_96,
            "HMAC_SHA2_256_128" => EspIntegrity::HmacSha256_128,
            "HMAC_SHA2_384_192" => EspIntegrity::HmacSha384_192,
            "HMAC_SHA2_512_256" => EspIntegrity::HmacSha512_256,
            other => panic!("ESP integrity {other} not in this test's table"),
        };
        EspSuite::new(encryption, Some(integrity)).expect("CBC with integrity")
    }
}

/// Every real case with its key file.
pub fn cases_with_keys() -> Vec<(vectors::Case, vectors::KeyFile)> {
    let cases = vectors::Case::all().expect("vectors/real readable");
    assert!(cases.len() >= 10, "the ten real cases of vectors/real/README.md");
    cases
        .into_iter()
        .map(|case| {
            let keys = case.load_keys().unwrap_or_else(|error| panic!("{}: {error}", case.name));
            (case, keys)
        })
        .collect()
}

/// The 8-byte cookies of a key file's IKE SA.
pub fn cookies(ike_sa: &vectors::keys::IkeSa) -> ikev1::keys::Cookies {
    let cookie = |hex: &Hex| <[u8; 8]>::try_from(hex.as_slice()).expect("8-byte cookie");
    ikev1::keys::Cookies {
        initiator: cookie(&ike_sa.initiator_cookie),
        responder: cookie(&ike_sa.responder_cookie),
    }
}
