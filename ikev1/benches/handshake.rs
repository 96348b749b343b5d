//! A whole Main Mode between two endpoints in one process, MODP-2048 with
//! aes128-sha256 (six datagrams, two DH key pairs, two shared secrets), next
//! to the single DH operations it is made of, so that the handshake can be
//! compared with `openssl speed -seconds 3 ffdh2048`, run in the same
//! session. OpenSSL times one derivation per operation, in ffdhe2048 with a
//! 225-bit exponent; the engine uses RFC 3526 group 14 with 320-bit ones.
//!
//! ```text
//! cargo bench -p ikev1 --bench handshake
//! openssl speed -seconds 3 ffdh2048
//! ```

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ikev1::crypto::{CryptoProvider, DhGroupId, RustCryptoProvider};
use ikev1::policy::{Connection, IkeProposal, Keyring, PeerSelector, Policy};
use ikev1::{Endpoint, EndpointConfig, Timestamp};
use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
use std::hint::black_box;

const PROPOSAL: &str = "aes128-sha256-modp2048";

fn endpoint(local: &str, remote: &str, seed: u64) -> Endpoint {
    let (local, remote) = (local.parse().unwrap(), remote.parse().unwrap());
    let proposal: IkeProposal = PROPOSAL.parse().unwrap();
    let connection = Connection::new("peer", local, Some(remote), vec![proposal]);
    let keyring = Keyring::default().with(PeerSelector::Address(remote), "bench-psk");
    Endpoint::new(EndpointConfig::new(Policy { connections: vec![connection], keyring }), seed)
}

/// Passes datagrams back and forth until both endpoints are quiet; returns
/// how many were exchanged.
fn main_mode(mut initiator: Endpoint, mut responder: Endpoint) -> usize {
    let now = Timestamp::ZERO;
    initiator.initiate(now, "peer").expect("configured");
    let mut datagrams = 0;
    loop {
        let mut moved = false;
        while let Some(t) = initiator.poll_transmit() {
            responder.handle_datagram(now, t.remote, t.local, &t.payload);
            datagrams += 1;
            moved = true;
        }
        while let Some(t) = responder.poll_transmit() {
            initiator.handle_datagram(now, t.remote, t.local, &t.payload);
            datagrams += 1;
            moved = true;
        }
        while initiator.poll_event().is_some() {}
        while responder.poll_event().is_some() {}
        if !moved {
            break;
        }
    }
    assert_eq!(initiator.established().len(), 1, "the handshake completed");
    datagrams
}

fn handshake(c: &mut Criterion) {
    let mut group = c.benchmark_group("handshake");
    group.sample_size(30);
    group.bench_function("main_mode_aes128-sha256-modp2048", |b| {
        b.iter_batched(
            || (endpoint("192.0.2.1", "192.0.2.2", 1), endpoint("192.0.2.2", "192.0.2.1", 2)),
            |(initiator, responder)| {
                let datagrams = main_mode(initiator, responder);
                assert_eq!(datagrams, 6);
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    // The DH operations of that handshake, with the engine's own provider.
    let provider = RustCryptoProvider::new();
    let group_14 = provider.dh_group(DhGroupId::MODP_2048).expect("group 14");
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let peer = group_14.generate_key_pair(&mut rng);
    let ours = group_14.generate_key_pair(&mut rng);
    let mut dh = c.benchmark_group("handshake_dh_modp2048");
    dh.bench_function("generate_key_pair", |b| b.iter(|| group_14.generate_key_pair(&mut rng)));
    dh.bench_function("shared_secret", |b| {
        b.iter(|| ours.shared_secret(black_box(peer.public_value())).expect("valid"))
    });
    dh.finish();
}

criterion_group!(benches, handshake);
criterion_main!(benches);
