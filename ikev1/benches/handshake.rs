//! A whole Main Mode between two endpoints in one process, MODP-2048 with
//! aes128-sha256 (six datagrams, two DH key pairs, two shared secrets), and
//! a whole Main Mode followed by a Quick Mode with PFS in MODP-2048 (nine
//! datagrams; Main Mode's 2 key pairs + 2 shared secrets and Quick Mode's
//! 2 + 2: eight modular exponentiations), next to the single DH operations
//! they are made of, so that the handshakes can be compared with `openssl
//! speed -seconds 3 ffdh2048`, run in the same session. OpenSSL times one
//! derivation per operation, in ffdhe2048 with a 225-bit exponent; the
//! engine uses RFC 3526 group 14 with 320-bit ones.
//!
//! ```text
//! cargo bench -p ikev1 --bench handshake
//! openssl speed -seconds 3 ffdh2048
//! ```

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ikev1::crypto::{CryptoProvider, DhGroupId, RustCryptoProvider};
use ikev1::policy::{
    ChildPolicy, Connection, DhGroup, IkeProposal, IpsecLifetime, IpsecMode, Keyring, PeerSelector, Policy,
    TrafficSelector,
};
use ikev1::{Endpoint, EndpointConfig, Timestamp};
use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
use std::hint::black_box;

const PROPOSAL: &str = "aes128-sha256-modp2048";

fn endpoint(local: &str, remote: &str, seed: u64) -> Endpoint {
    endpoint_with_child(local, remote, seed, None)
}

/// An endpoint whose connection also has a child policy between the two
/// addresses with PFS in `pfs` (transport mode, aes128-sha256).
fn endpoint_with_child(local: &str, remote: &str, seed: u64, pfs: Option<DhGroup>) -> Endpoint {
    let (local, remote) = (local.parse().unwrap(), remote.parse().unwrap());
    let proposal: IkeProposal = PROPOSAL.parse().unwrap();
    let mut connection = Connection::new("peer", local, Some(remote), vec![proposal]);
    if pfs.is_some() {
        connection.children.push(ChildPolicy {
            name: "net".into(),
            mode: IpsecMode::Transport,
            local_ts: TrafficSelector::host(local),
            remote_ts: TrafficSelector::host(remote),
            esp_proposals: vec!["aes128-sha256".parse().unwrap()],
            pfs,
            lifetime: IpsecLifetime::default(),
        });
    }
    let keyring = Keyring::default().with(PeerSelector::Address(remote), "bench-psk");
    Endpoint::new(EndpointConfig::new(Policy { connections: vec![connection], keyring }), seed)
}

/// Passes datagrams back and forth until both endpoints are quiet; returns
/// how many were exchanged.
fn main_mode(initiator: Endpoint, responder: Endpoint) -> usize {
    let (initiator, datagrams) = run_to_quiet(initiator, responder);
    assert_eq!(initiator.established().len(), 1, "the handshake completed");
    datagrams
}

/// Main Mode, then Quick Mode for the child policy; returns the datagrams.
fn main_mode_and_quick_mode(initiator: Endpoint, responder: Endpoint) -> usize {
    let (initiator, datagrams) = run_to_quiet(initiator, responder);
    assert_eq!(initiator.established().len(), 1, "Phase 1 completed");
    let ipsec = initiator.ipsec_sas();
    assert_eq!(ipsec.len(), 1, "Quick Mode completed");
    assert_eq!(ipsec[0].pfs.as_deref(), Some("modp2048"));
    datagrams
}

/// Runs whatever `initiate` starts to the end, in one instant.
fn run_to_quiet(mut initiator: Endpoint, mut responder: Endpoint) -> (Endpoint, usize) {
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
    (initiator, datagrams)
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
    group.bench_function("main_mode_and_quick_mode_pfs_modp2048", |b| {
        let pfs = Some(DhGroup::Modp2048);
        b.iter_batched(
            || {
                (
                    endpoint_with_child("192.0.2.1", "192.0.2.2", 1, pfs),
                    endpoint_with_child("192.0.2.2", "192.0.2.1", 2, pfs),
                )
            },
            |(initiator, responder)| {
                let datagrams = main_mode_and_quick_mode(initiator, responder);
                assert_eq!(datagrams, 9);
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    // The DH operations of those handshakes, with the engine's own provider.
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
