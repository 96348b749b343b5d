//! Known answers for the symmetric primitives as the engine reaches them: IKE CBC
//! (RFC 3602 cases 1-4, 3DES), ESP CBC + HMAC (RFC 3602 cases 5 and 7 and the ICV
//! truncations of RFC 2404 / RFC 4868), ESP AES-GCM (RFC 4106 layout), and the
//! refusals of malformed input.

mod crypto_support;

use crypto_support::{hex, provider};
use ikev1::crypto::{
    AesKeySize, CryptoError, CryptoProvider, EncryptionAlgorithm, EspEncryption, EspIntegrity, EspSuite,
    EspTransform, HashAlgorithm, Iv,
};

fn ike_round_trip(algorithm: EncryptionAlgorithm, key: &str, iv: &str, plaintext: &[u8], ciphertext: &str) {
    let cipher = provider().ike_cipher(algorithm, &hex(key)).expect("key of the right length");
    let iv = Iv::from_slice(&hex(iv)).expect("one block");
    let mut data = plaintext.to_vec();
    let next_iv = cipher.encrypt(&iv, &mut data).expect("whole blocks");
    assert_eq!(data, hex(ciphertext), "{algorithm:?} ciphertext");
    // The next IV is the last ciphertext block (RFC 2409 Appendix B).
    assert_eq!(next_iv.as_bytes(), &data[data.len() - algorithm.block_len()..]);
    assert_eq!(cipher.decrypt(&iv, &mut data).expect("whole blocks"), next_iv);
    assert_eq!(data, plaintext);
}

#[test]
fn aes_cbc_rfc3602_cases_1_to_4() {
    let aes128 = EncryptionAlgorithm::AesCbc(AesKeySize::Bits128);
    ike_round_trip(
        aes128,
        "06a9214036b8a15b512e03d534120006",
        "3dafba429d9eb430b422da802c9fac41",
        b"Single block msg",
        "e353779c1079aeb82708942dbe77181a",
    );
    ike_round_trip(
        aes128,
        "c286696d887c9aa0611bbb3e2025a45a",
        "562e17996d093d28ddb3ba695a2e6f58",
        &hex("000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f"),
        "d296cd94c2cccf8a3a863028b5e1dc0a 7586602d253cfff91b8266bea6d61ab1",
    );
    ike_round_trip(
        aes128,
        "6c3ea0477630ce21a2ce334aa746c2cd",
        "c782dc4c098c66cbd9cd27d825682c81",
        b"This is a 48-byte message (exactly 3 AES blocks)",
        "d0a02b3836451753d493665d33f0e886 2dea54cdb293abc7506939276772f8d5 021c19216bad525c8579695d83ba2684",
    );
    ike_round_trip(
        aes128,
        "56e47a38c5598974bc46903dba290349",
        "8ce82eefbea0da3c44699ed7db51b7d9",
        &hex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf b0b1b2b3b4b5b6b7b8b9babbbcbdbebf
             c0c1c2c3c4c5c6c7c8c9cacbcccdcecf d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"),
        "c30e32ffedc0774e6aff6af0869f71aa 0f3af07a9a31a9c684db207eb0ef8e4e
         35907aa632c3ffdf868bb7b29d3d46ad 83ce9f9a102ee99d49a53e87f4c3da55",
    );
}

#[test]
fn triple_des_cbc_known_answer() {
    // Computed with `openssl enc -des-ede3-cbc -nopad` (OpenSSL 3.0).
    ike_round_trip(
        EncryptionAlgorithm::TripleDesCbc,
        "0123456789abcdef23456789abcdef01456789abcdef0123",
        "1234567890abcdef",
        b"The quick brown fox jump",
        "5ba523a59a5109710da06400f058192a743dc4df1c592655",
    );
}

#[test]
fn ike_cipher_refuses_malformed_input() {
    let aes = EncryptionAlgorithm::AesCbc(AesKeySize::Bits256);
    let short_key = provider().ike_cipher(aes, &[0; 16]).err();
    assert_eq!(short_key, Some(CryptoError::InvalidKeyLength { expected: 32, actual: 16 }));
    let cipher = provider().ike_cipher(aes, &[0; 32]).expect("32-byte key");
    let iv = Iv::from_slice(&[0; 16]).expect("block");
    for len in [0, 15, 17] {
        let error = cipher.decrypt(&iv, &mut vec![0; len]).err();
        assert_eq!(error, Some(CryptoError::NotBlockAligned { len, block_len: 16 }));
    }
    let des_iv = Iv::from_slice(&[0; 8]).expect("block");
    let error = cipher.encrypt(&des_iv, &mut [0; 16]).err();
    assert_eq!(error, Some(CryptoError::InvalidIvLength { expected: 16, actual: 8 }));
}

fn esp(suite: EspSuite, encryption_key: &[u8], integrity_key: &[u8]) -> Box<dyn EspTransform> {
    provider().esp_transform(suite, encryption_key, integrity_key).expect("keys of the right length")
}

fn cbc_suite(encryption: EspEncryption, integrity: EspIntegrity) -> EspSuite {
    EspSuite::new(encryption, Some(integrity)).expect("CBC with integrity")
}

/// SPI | Seq | IV | payload | room for the ICV.
fn esp_packet(spi: u32, sequence: u32, iv: &[u8], payload: &[u8], icv_len: usize) -> Vec<u8> {
    let mut packet = [spi.to_be_bytes(), sequence.to_be_bytes()].concat();
    packet.extend_from_slice(iv);
    packet.extend_from_slice(payload);
    packet.resize(packet.len() + icv_len, 0);
    packet
}

/// Seals RFC 3602's plaintext under its key and IV: the ciphertext must be RFC
/// 3602's, the ICV the truncated HMAC of everything before it, and opening must
/// give the plaintext back.
fn rfc3602_esp_case(key: &str, spi: u32, sequence: u32, iv: &str, plaintext: &str, ciphertext: &str) {
    let integrity = EspIntegrity::HmacSha1_96;
    let integrity_key = [0x5c; 20];
    let esp =
        esp(cbc_suite(EspEncryption::AesCbc(AesKeySize::Bits128), integrity), &hex(key), &integrity_key);
    let (iv, plaintext) = (hex(iv), hex(plaintext));
    let mut packet = esp_packet(spi, sequence, &iv, &plaintext, esp.icv_len());
    esp.seal(&mut packet, None).expect("aligned packet");

    let (authenticated, icv) = packet.split_at(packet.len() - 12);
    assert_eq!(&authenticated[24..], hex(ciphertext));
    let full_mac = provider().hash(HashAlgorithm::Sha1).prf(&integrity_key, &[authenticated]);
    assert_eq!(icv, &full_mac.as_bytes()[..12]);

    esp.open(&mut packet, None).expect("ICV verifies");
    assert_eq!(&packet[24..packet.len() - 12], plaintext);
}

#[test]
fn esp_aes_cbc_rfc3602_case_5_transport_mode() {
    rfc3602_esp_case(
        "90d382b4 10eeba7a d938c46c ec1a82bf",
        0x4321,
        1,
        "e96e8c08 ab465763 fd098d45 dd3ff893",
        "08000ebd a70a0000 8e9c083d b95b0700 08090a0b 0c0d0e0f 10111213 14151617
         18191a1b 1c1d1e1f 20212223 24252627 28292a2b 2c2d2e2f 30313233 34353637
         01020304 05060708 090a0b0c 0d0e0e01",
        "f663c25d 325c18c6 a9453e19 4e120849 a4870b66 cc6b9965 330013b4 898dc856
         a4699e52 3a55db08 0b59ec3a 8e4b7e52 775b07d1 db34ed9c 538ab50c 551b874a
         a269add0 47ad2d59 13ac19b7 cfbad4a6",
    );
}

#[test]
fn esp_aes_cbc_rfc3602_case_7_tunnel_mode() {
    rfc3602_esp_case(
        "01234567 89abcdef 01234567 89abcdef",
        0x8765,
        2,
        "f4e76524 4f6407ad f13dc138 0f673f37",
        "45000054 09040000 4001f988 c0a87b03 c0a87bc8 08009f76 a90a0100 b49c083d
         02a20400 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f 20212223
         24252627 28292a2b 2c2d2e2f 30313233 34353637 01020304 05060708 090a0a04",
        "773b5241 a4c44922 5e4f3ce5 ed611b0c 237ca96c f74a9301 3c1b0ea1 a0cf70f8
         e4ecaec7 8ac53aad 7a0f022b 859243c6 47752e94 a859352b 8a4d4d2d ecd136e5
         c177f132 ad3fbfb2 201ac990 4c74ee0a 109e0ca1 e4dfe9d5 a100b842 f1c22f0d",
    );
}

#[test]
fn esp_icv_is_the_truncated_hmac_over_header_iv_ciphertext_and_esn() {
    // RFC 2403/2404: 96 bits; RFC 4868 2.3: half the output. With ESN the high 32
    // bits are authenticated after the payload (RFC 4303 3.3.2.1 step 4).
    let cases = [
        (EspIntegrity::HmacMd5_96, HashAlgorithm::Md5, 12),
        (EspIntegrity::HmacSha1_96, HashAlgorithm::Sha1, 12),
        (EspIntegrity::HmacSha256_128, HashAlgorithm::Sha256, 16),
        (EspIntegrity::HmacSha384_192, HashAlgorithm::Sha384, 24),
        (EspIntegrity::HmacSha512_256, HashAlgorithm::Sha512, 32),
    ];
    for (integrity, hash, icv_len) in cases {
        let integrity_key: Vec<u8> = (0..integrity.key_len() as u8).collect();
        let esp = esp(cbc_suite(EspEncryption::TripleDesCbc, integrity), &[0x42; 24], &integrity_key);
        assert_eq!((esp.iv_len(), esp.icv_len(), esp.payload_alignment()), (8, icv_len, 8));
        for esn_high in [None, Some(0x0000_0007)] {
            let mut packet = esp_packet(0x1000_0001, 0xffff_fffe, &[9; 8], &[0x33; 32], icv_len);
            esp.seal(&mut packet, esn_high).expect("aligned packet");
            let (authenticated, icv) = packet.split_at(packet.len() - icv_len);
            let esn_trailer = esn_high.map(u32::to_be_bytes);
            let parts: Vec<&[u8]> =
                [authenticated].into_iter().chain(esn_trailer.as_ref().map(|e| &e[..])).collect();
            let full_mac = provider().hash(hash).prf(&integrity_key, &parts);
            assert_eq!(icv, &full_mac.as_bytes()[..icv_len], "{integrity:?} esn {esn_high:?}");

            // Opening with the other ESN assumption, or with any bit flipped, fails.
            let mut wrong_esn = packet.clone();
            let other = if esn_high.is_some() { None } else { Some(0) };
            assert_eq!(esp.open(&mut wrong_esn, other), Err(CryptoError::IntegrityCheckFailed));
            let mut tampered = packet.clone();
            tampered[20] ^= 0x01;
            assert_eq!(esp.open(&mut tampered, esn_high), Err(CryptoError::IntegrityCheckFailed));
            tampered[20] ^= 0x01;
            assert_eq!(tampered, packet, "a refused packet is left as it came");
            esp.open(&mut packet, esn_high).expect("ICV verifies");
            assert_eq!(&packet[16..48], &[0x33; 32]);
        }
    }
}

#[test]
fn esp_aes_gcm_known_answers() {
    // Nonce = salt | IV (RFC 4106 4), AAD = SPI | Seq or SPI | ESN high | Seq
    // (RFC 4106 5), tag = ICV (RFC 4106 6). Expected values computed with OpenSSL 3
    // (python cryptography 48, AESGCM) from the same key, salt, IV, AAD, plaintext.
    let plaintext =
        hex("45000054000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222301020204");
    let cases = [
        (
            AesKeySize::Bits128,
            None,
            "cc79c7e285f68302ae15cf8f55f3aaec8a06362b4bfaa2b625fc006c6e3ef7ca8634871fd2353f5fcc4db238",
            "94dc79261401af9a20cb901f519b522e",
        ),
        (
            AesKeySize::Bits128,
            Some(1),
            "cc79c7e285f68302ae15cf8f55f3aaec8a06362b4bfaa2b625fc006c6e3ef7ca8634871fd2353f5fcc4db238",
            "92d2b9a1ed3ddc7a17813a706183ada5",
        ),
        (
            AesKeySize::Bits192,
            None,
            "8926ba6d5e3cba71866129b6c80a356ce6676d3e4c7944c89f73e9ab59ba6ca3721d650b6f7262aec5cfd6dd",
            "349b4fa7b5aa2b29e09b2014d21afd03",
        ),
        (
            AesKeySize::Bits192,
            Some(1),
            "8926ba6d5e3cba71866129b6c80a356ce6676d3e4c7944c89f73e9ab59ba6ca3721d650b6f7262aec5cfd6dd",
            "9c182a365d59ac631c1d85bfb5c57134",
        ),
        (
            AesKeySize::Bits256,
            None,
            "cfa3a072aa7b4d18420e5bda73148334012dce5ecf0878675aca1266a6907fe4b14ddf59e1f56b4127592a6c",
            "a8db70ea5f751318c44b57d308d9ba92",
        ),
        (
            AesKeySize::Bits256,
            Some(1),
            "cfa3a072aa7b4d18420e5bda73148334012dce5ecf0878675aca1266a6907fe4b14ddf59e1f56b4127592a6c",
            "8c7ba105a4d4964800c04041db86c37b",
        ),
    ];
    for (size, esn_high, ciphertext, tag) in cases {
        let mut key_and_salt: Vec<u8> = (0..size.key_len() as u8).collect();
        key_and_salt.extend_from_slice(&hex("cafebabe"));
        let suite = EspSuite::new(EspEncryption::AesGcm16(size), None).expect("AEAD alone");
        let esp = esp(suite, &key_and_salt, &[]);
        assert_eq!((esp.iv_len(), esp.icv_len(), esp.payload_alignment()), (8, 16, 4));

        let mut packet = esp_packet(0x4321, 10, &hex("facedbaddecaf888"), &plaintext, 16);
        esp.seal(&mut packet, esn_high).expect("aligned packet");
        assert_eq!(&packet[16..60], hex(ciphertext), "{size:?} {esn_high:?}");
        assert_eq!(&packet[60..], hex(tag), "{size:?} {esn_high:?}");

        let mut tampered = packet.clone();
        tampered[75] ^= 0x80;
        assert_eq!(esp.open(&mut tampered, esn_high), Err(CryptoError::IntegrityCheckFailed));
        tampered[75] ^= 0x80;
        assert_eq!(tampered, packet, "a refused packet is left as it came");
        esp.open(&mut packet, esn_high).expect("tag verifies");
        assert_eq!(&packet[16..60], plaintext);
    }
}

#[test]
fn esp_refuses_wrong_keys_and_malformed_packets() {
    let gcm = EspSuite::new(EspEncryption::AesGcm16(AesKeySize::Bits128), None).expect("suite");
    let cbc = cbc_suite(EspEncryption::AesCbc(AesKeySize::Bits128), EspIntegrity::HmacSha256_128);
    let provider = provider();
    // GCM takes key | 4-byte salt and no integrity key; HMAC-SHA-256 a 32-byte key.
    assert_eq!(
        provider.esp_transform(gcm, &[0; 16], &[]).err(),
        Some(CryptoError::InvalidKeyLength { expected: 20, actual: 16 })
    );
    assert_eq!(
        provider.esp_transform(gcm, &[0; 20], &[0; 32]).err(),
        Some(CryptoError::InvalidKeyLength { expected: 0, actual: 32 })
    );
    assert_eq!(
        provider.esp_transform(cbc, &[0; 16], &[0; 20]).err(),
        Some(CryptoError::InvalidKeyLength { expected: 32, actual: 20 })
    );

    let esp = esp(cbc, &[0; 16], &[0; 32]);
    // Header 8 + IV 16 + ICV 16 = 40 bytes of overhead; payload must be whole blocks.
    for len in [0, 7, 40, 41, 55, 57] {
        assert_eq!(esp.open(&mut vec![0; len], None), Err(CryptoError::InvalidPacketLength { len }), "{len}");
        assert_eq!(esp.seal(&mut vec![0; len], None), Err(CryptoError::InvalidPacketLength { len }), "{len}");
    }
    let gcm = esp_transform_gcm();
    assert_eq!(gcm.open(&mut [0; 34], None), Err(CryptoError::InvalidPacketLength { len: 34 }));
    assert_eq!(gcm.open(&mut [0; 36], None), Err(CryptoError::IntegrityCheckFailed));
}

fn esp_transform_gcm() -> Box<dyn EspTransform> {
    let suite = EspSuite::new(EspEncryption::AesGcm16(AesKeySize::Bits128), None).expect("suite");
    esp(suite, &[0; 20], &[])
}
