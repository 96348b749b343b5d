//! The ESP data plane per packet: encapsulating and decapsulating a 1400-byte
//! inner IPv4 packet, tunnel mode, with AES-128-CBC + HMAC-SHA2-256-128 and with
//! AES-128-GCM-16. Buffers are reused as a runner would, so what is measured is
//! the SA's work: framing, padding, IV, crypto, replay window, trailer checks.
//!
//! Compare with the OpenSSL primitives on the same machine:
//! `openssl speed -seconds 3 -bytes 1408 -evp aes-128-cbc`,
//! `openssl speed -seconds 3 -bytes 1400 -hmac sha256`,
//! `openssl speed -seconds 3 -bytes 1400 -evp aes-128-gcm`.

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ikev1::crypto::{AesKeySize, CryptoProvider, EspEncryption, EspIntegrity, EspSuite, RustCryptoProvider};
use ikev1::esp::{EspSaConfig, InboundSa, OutboundSa, OuterAddresses, ReplayWindow};
use ikev1::ip::{Ipv4Header, protocol};
use ikev1::policy::IpsecMode;
use ikev1::time::Timestamp;
use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};

const INNER_LEN: usize = 1400;
const NOW: Timestamp = Timestamp::ZERO;

fn inner_packet() -> Vec<u8> {
    let header =
        Ipv4Header::new(Ipv4Addr::new(198, 51, 100, 1), Ipv4Addr::new(198, 51, 100, 129), protocol::UDP);
    let mut packet = header.to_bytes(INNER_LEN - Ipv4Header::LEN).expect("fits").to_vec();
    packet.resize(INNER_LEN, 0x5a);
    packet
}

/// Both ends of one tunnel-mode SA keyed for `suite`.
fn sa_pair(suite: EspSuite) -> (OutboundSa, InboundSa, OuterAddresses) {
    let provider = RustCryptoProvider::new();
    let encryption_key = vec![0x11; suite.encryption().keymat_len()];
    let integrity_key = vec![0x22; suite.integrity_key_len()];
    let transform = || provider.esp_transform(suite, &encryption_key, &integrity_key).expect("keys fit");
    let (local, peer) = (Ipv4Addr::new(192, 0, 2, 1).into(), Ipv4Addr::new(192, 0, 2, 2).into());
    let config = EspSaConfig::new(0x3dd0_39a8, IpsecMode::Tunnel, local, peer);
    let outbound = OutboundSa::new(config, transform(), NOW);
    let inbound = InboundSa::new(config, transform(), ReplayWindow::default(), NOW);
    (outbound, inbound, OuterAddresses { src: local, dst: peer })
}

fn esp_suite(c: &mut Criterion, name: &str, suite: EspSuite) {
    let inner = inner_packet();
    let mut rng = ChaCha20Rng::seed_from_u64(4303);
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(INNER_LEN as u64));

    let (mut outbound, _, _) = sa_pair(suite);
    let mut esp = Vec::new();
    group.bench_function("encapsulate_1400", |b| {
        b.iter(|| outbound.encapsulate(NOW, &mut rng, black_box(&inner), &mut esp).expect("fresh SA"))
    });

    // Each decapsulation needs a packet with a new sequence number (the replay
    // window refuses repeats), so packets are made outside the timed routine.
    let (mut sender, mut inbound, received) = sa_pair(suite);
    let mut delivered = Vec::new();
    group.bench_function("decapsulate_1400", |b| {
        b.iter_batched_ref(
            || {
                let mut esp = Vec::new();
                sender.encapsulate(NOW, &mut rng, &inner, &mut esp).expect("fresh SA");
                esp
            },
            |esp| inbound.decapsulate(NOW, received, black_box(esp), &mut delivered).expect("genuine packet"),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn esp(c: &mut Criterion) {
    let aes128 = AesKeySize::Bits128;
    let cbc =
        EspSuite::new(EspEncryption::AesCbc(aes128), Some(EspIntegrity::HmacSha256_128)).expect("suite");
    let gcm = EspSuite::new(EspEncryption::AesGcm16(aes128), None).expect("suite");
    esp_suite(c, "esp_sa_aes128_cbc_hmac_sha256", cbc);
    esp_suite(c, "esp_sa_aes128_gcm16", gcm);
}

criterion_group!(benches, esp);
criterion_main!(benches);
