//! Helpers shared by the esp_* test crates: every suite with keys, SA pairs,
//! inner packets of either IP version and the documentation addresses.
#![allow(dead_code)] // each test crate uses its own subset

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ikev1::crypto::{
    AesKeySize, CryptoProvider, EspEncryption, EspIntegrity, EspSuite, EspTransform, RustCryptoProvider,
};
use ikev1::esp::{EspSaConfig, InboundSa, OutboundSa, OuterAddresses, ReplayWindow, UdpPorts};
use ikev1::ip::{IpVersion, Ipv4Header, Ipv6Header};
use ikev1::policy::IpsecMode;
use ikev1::time::Timestamp;
use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};

pub const SPI: u32 = 0x3dd0_39a8;

/// Every suite the engine offers: 3DES and AES-128/192/256-CBC with each HMAC,
/// and AES-128/192/256-GCM-16.
pub fn all_suites() -> Vec<EspSuite> {
    let sizes = [AesKeySize::Bits128, AesKeySize::Bits192, AesKeySize::Bits256];
    let integrities = [
        EspIntegrity::HmacMd5_96,
        EspIntegrity::HmacSha1_96,
        EspIntegrity::HmacSha256_128,
        EspIntegrity::HmacSha384_192,
        EspIntegrity::HmacSha512_256,
    ];
    let cbc_ciphers = std::iter::once(EspEncryption::TripleDesCbc).chain(sizes.map(EspEncryption::AesCbc));
    let cbc = cbc_ciphers.flat_map(|cipher| integrities.map(|integrity| suite(cipher, Some(integrity))));
    let gcm = sizes.map(|size| suite(EspEncryption::AesGcm16(size), None));
    cbc.chain(gcm).collect()
}

pub fn suite(encryption: EspEncryption, integrity: Option<EspIntegrity>) -> EspSuite {
    EspSuite::new(encryption, integrity).expect("a suite the engine offers")
}

pub fn aes128_sha256() -> EspSuite {
    suite(EspEncryption::AesCbc(AesKeySize::Bits128), Some(EspIntegrity::HmacSha256_128))
}

pub fn aes128_gcm() -> EspSuite {
    suite(EspEncryption::AesGcm16(AesKeySize::Bits128), None)
}

/// A keyed transform for `suite`; `seed` varies the keys.
pub fn transform(suite: EspSuite, seed: u8) -> Box<dyn EspTransform> {
    let encryption_key: Vec<u8> = (0..suite.encryption().keymat_len()).map(|i| seed ^ i as u8).collect();
    let integrity_key: Vec<u8> =
        (0..suite.integrity_key_len()).map(|i| seed.wrapping_add(0x80) ^ i as u8).collect();
    RustCryptoProvider::new()
        .esp_transform(suite, &encryption_key, &integrity_key)
        .expect("keys of the right length")
}

pub fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(4303)
}

pub const LOCAL_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
pub const PEER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
pub const LOCAL_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
pub const PEER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);

pub fn local_v4() -> IpAddr {
    LOCAL_V4.into()
}

pub fn peer_v4() -> IpAddr {
    PEER_V4.into()
}

pub fn local_v6() -> IpAddr {
    LOCAL_V6.into()
}

pub fn peer_v6() -> IpAddr {
    PEER_V6.into()
}

/// The outer addresses of `version`: (local, peer).
pub fn outer_pair(version: IpVersion) -> (IpAddr, IpAddr) {
    match version {
        IpVersion::V4 => (local_v4(), peer_v4()),
        IpVersion::V6 => (local_v6(), peer_v6()),
    }
}

/// The addresses the peer sees a packet from us arrive with.
pub fn as_received(config: &EspSaConfig) -> OuterAddresses {
    OuterAddresses { src: config.local, dst: config.peer }
}

pub fn config(mode: IpsecMode, version: IpVersion) -> EspSaConfig {
    let (local, peer) = outer_pair(version);
    EspSaConfig::new(SPI, mode, local, peer)
}

pub fn nat_t_config(mode: IpsecMode, version: IpVersion) -> EspSaConfig {
    config(mode, version).with_udp(UdpPorts::NAT_T)
}

/// Both ends of one SA: our outbound half and the peer's inbound half.
pub fn pair(suite: EspSuite, config: EspSaConfig) -> (OutboundSa, InboundSa) {
    let now = Timestamp::ZERO;
    let outbound = OutboundSa::new(config, transform(suite, 7), now);
    let inbound = InboundSa::new(config, transform(suite, 7), ReplayWindow::default(), now);
    (outbound, inbound)
}

/// Payload bytes that differ from position to position.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// A packet of `version` between the outer addresses, carrying `protocol` with
/// a patterned `payload_len`-byte payload, traffic class 0x28 and TTL 17.
pub fn inner_packet(version: IpVersion, protocol: u8, payload_len: usize) -> Vec<u8> {
    ip_packet(version, protocol, &pattern(payload_len))
}

/// As [`inner_packet`], with this payload.
pub fn ip_packet(version: IpVersion, protocol: u8, payload: &[u8]) -> Vec<u8> {
    let (src, dst) = outer_pair(version);
    let mut packet = match (src, dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let header = Ipv4Header { traffic_class: 0x28, ttl: 17, ..Ipv4Header::new(src, dst, protocol) };
            header.to_bytes(payload.len()).expect("fits").to_vec()
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            let header =
                Ipv6Header { traffic_class: 0x28, hop_limit: 17, ..Ipv6Header::new(src, dst, protocol) };
            header.to_bytes(payload.len()).expect("fits").to_vec()
        }
        _ => unreachable!("outer_pair gives one family"),
    };
    packet.extend_from_slice(payload);
    packet
}
