//! Cost of the primitives on the hot paths: a MODP-2048 exchange (once per
//! Phase 1 or PFS Quick Mode) and per-packet ESP work over a 1400-byte payload.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ikev1::crypto::{
    AesKeySize, CryptoProvider, DhGroupId, EspEncryption, EspIntegrity, EspSuite, HashAlgorithm,
    RustCryptoProvider,
};
use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
use std::hint::black_box;

const PAYLOAD_LEN: usize = 1400;
/// CBC needs whole blocks: 1400 bytes of payload plus ESP's 2-byte trailer pad to 1408.
const CBC_PAYLOAD_LEN: usize = 1408;

/// Key generation and shared secret in group 14 with `exponent_bits`-bit exponents.
fn modp_2048_with(c: &mut Criterion, name: &str, provider: RustCryptoProvider) {
    let group = provider.dh_group(DhGroupId::MODP_2048).expect("group 14");
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let peer = group.generate_key_pair(&mut rng);
    let ours = group.generate_key_pair(&mut rng);

    let mut dh = c.benchmark_group(name);
    dh.bench_function("generate_key_pair", |b| b.iter(|| group.generate_key_pair(&mut rng)));
    dh.bench_function("shared_secret", |b| {
        b.iter(|| ours.shared_secret(black_box(peer.public_value())).expect("valid"))
    });
    dh.finish();
}

fn modp_2048(c: &mut Criterion) {
    // Our default exponent (320 bits, RFC 3526 8), and OpenSSL's for ffdhe2048
    // (225 bits), so that the comparison with `openssl speed ffdh2048` is like for like.
    modp_2048_with(c, "modp2048_x320", RustCryptoProvider::new());
    modp_2048_with(c, "modp2048_x225", RustCryptoProvider::new().with_private_exponent_bits(225));
}

fn hmac_sha256(c: &mut Criterion) {
    let provider = RustCryptoProvider::new();
    let sha256 = provider.hash(HashAlgorithm::Sha256);
    let data = vec![0x5a; PAYLOAD_LEN];
    let mut group = c.benchmark_group("hmac_sha256");
    group.throughput(Throughput::Bytes(PAYLOAD_LEN as u64));
    group.bench_function("prf_1400", |b| b.iter(|| sha256.prf(black_box(&[7; 32]), &[black_box(&data)])));
    group.finish();
}

/// Seals one ESP packet with a `payload_len`-byte payload under `suite`, over and over.
fn esp_seal(c: &mut Criterion, name: &str, suite: EspSuite, payload_len: usize) {
    let provider = RustCryptoProvider::new();
    let encryption_key = vec![0x11; suite.encryption().keymat_len()];
    let integrity_key = vec![0x22; suite.integrity_key_len()];
    let esp =
        provider.esp_transform(suite, &encryption_key, &integrity_key).expect("keys of the right length");
    let mut packet = vec![0u8; 8 + esp.iv_len() + payload_len + esp.icv_len()];
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(payload_len as u64));
    group.bench_function(format!("seal_{payload_len}"), |b| {
        b.iter(|| esp.seal(black_box(&mut packet), None).expect("aligned packet"))
    });
    group.finish();
}

fn esp(c: &mut Criterion) {
    let aes128 = AesKeySize::Bits128;
    let cbc =
        EspSuite::new(EspEncryption::AesCbc(aes128), Some(EspIntegrity::HmacSha256_128)).expect("suite");
    let gcm = EspSuite::new(EspEncryption::AesGcm16(aes128), None).expect("suite");
    esp_seal(c, "esp_aes128_cbc_hmac_sha256", cbc, CBC_PAYLOAD_LEN);
    esp_seal(c, "esp_aes128_gcm16", gcm, PAYLOAD_LEN);
}

fn ike_cbc(c: &mut Criterion) {
    use ikev1::crypto::{EncryptionAlgorithm, Iv};
    let provider = RustCryptoProvider::new();
    let cipher =
        provider.ike_cipher(EncryptionAlgorithm::AesCbc(AesKeySize::Bits128), &[0x33; 16]).expect("key");
    let iv = Iv::from_slice(&[0x44; 16]).expect("block");
    let mut data = vec![0u8; CBC_PAYLOAD_LEN];
    let mut group = c.benchmark_group("aes128_cbc");
    group.throughput(Throughput::Bytes(CBC_PAYLOAD_LEN as u64));
    group.bench_function("encrypt_1408", |b| {
        b.iter(|| cipher.encrypt(&iv, black_box(&mut data)).expect("aligned"))
    });
    group.bench_function("decrypt_1408", |b| {
        b.iter(|| cipher.decrypt(&iv, black_box(&mut data)).expect("aligned"))
    });
    group.finish();
}

criterion_group!(benches, modp_2048, hmac_sha256, ike_cbc, esp);
criterion_main!(benches);
