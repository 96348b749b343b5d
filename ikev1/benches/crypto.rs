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

fn modp_2048(c: &mut Criterion) {
    let provider = RustCryptoProvider::new();
    let group = provider.dh_group(DhGroupId::MODP_2048).expect("group 14");
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let peer = group.generate_key_pair(&mut rng);
    let ours = group.generate_key_pair(&mut rng);

    let mut dh = c.benchmark_group("modp2048");
    dh.bench_function("generate_key_pair", |b| b.iter(|| group.generate_key_pair(&mut rng)));
    dh.bench_function("shared_secret", |b| b.iter(|| ours.shared_secret(black_box(peer.public_value()))));
    dh.finish();
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

/// Seals one ESP packet with a 1400-byte payload under `suite`, over and over.
fn esp_seal(c: &mut Criterion, name: &str, suite: EspSuite) {
    let provider = RustCryptoProvider::new();
    let encryption_key = vec![0x11; suite.encryption().keymat_len()];
    let integrity_key = vec![0x22; suite.integrity_key_len()];
    let esp =
        provider.esp_transform(suite, &encryption_key, &integrity_key).expect("keys of the right length");
    let mut packet = vec![0u8; 8 + esp.iv_len() + PAYLOAD_LEN + esp.icv_len()];
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(PAYLOAD_LEN as u64));
    group.bench_function("seal_1400", |b| b.iter(|| esp.seal(black_box(&mut packet), None)));
    group.finish();
}

fn esp(c: &mut Criterion) {
    let aes128 = AesKeySize::Bits128;
    let cbc =
        EspSuite::new(EspEncryption::AesCbc(aes128), Some(EspIntegrity::HmacSha256_128)).expect("suite");
    let gcm = EspSuite::new(EspEncryption::AesGcm16(aes128), None).expect("suite");
    esp_seal(c, "esp_aes128_cbc_hmac_sha256", cbc);
    esp_seal(c, "esp_aes128_gcm16", gcm);
}

fn ike_cbc(c: &mut Criterion) {
    use ikev1::crypto::{EncryptionAlgorithm, Iv};
    let provider = RustCryptoProvider::new();
    let cipher =
        provider.ike_cipher(EncryptionAlgorithm::AesCbc(AesKeySize::Bits128), &[0x33; 16]).expect("key");
    let iv = Iv::from_slice(&[0x44; 16]).expect("block");
    let mut data = vec![0u8; PAYLOAD_LEN];
    let mut group = c.benchmark_group("aes128_cbc");
    group.throughput(Throughput::Bytes(PAYLOAD_LEN as u64));
    group.bench_function("encrypt_1400", |b| b.iter(|| cipher.encrypt(&iv, black_box(&mut data))));
    group.bench_function("decrypt_1400", |b| b.iter(|| cipher.decrypt(&iv, black_box(&mut data))));
    group.finish();
}

criterion_group!(benches, modp_2048, hmac_sha256, ike_cbc, esp);
criterion_main!(benches);
