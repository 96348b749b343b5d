//! The SA database: inbound SAs by SPI, outbound SAs by the engine's key, the
//! newest outbound SA winning while a rekey overlaps, lifetimes and the status
//! snapshot the `show crypto ipsec sa` view renders.

mod esp_support;

use esp_support::*;
use ikev1::esp::{
    EspSaConfig, InboundError, InboundSa, LifetimeLimits, LifetimeState, Limits, OutboundSa, ReplayWindow,
    SaDatabase, SaDirection, SpiInUse,
};
use ikev1::ip::{IpVersion, protocol};
use ikev1::policy::IpsecMode;
use ikev1::time::Timestamp;
use serde_json::json;

/// SA pairs are keyed like the engine's conn-ids.
type Database = SaDatabase<u32>;

fn seconds(seconds: u64) -> Timestamp {
    Timestamp::from_millis(seconds * 1000)
}

fn with_spi(spi: u32, peer_last_octet: u8) -> EspSaConfig {
    let peer = std::net::Ipv4Addr::new(192, 0, 2, peer_last_octet).into();
    EspSaConfig { spi, peer, ..config(IpsecMode::Tunnel, IpVersion::V4) }
}

fn inbound(config: EspSaConfig, now: Timestamp) -> InboundSa {
    InboundSa::new(config, transform(aes128_sha256(), 1), ReplayWindow::default(), now)
}

fn outbound(config: EspSaConfig, now: Timestamp) -> OutboundSa {
    OutboundSa::new(config, transform(aes128_sha256(), 1), now)
}

#[test]
fn inbound_sas_are_found_by_spi_and_listed_in_spi_order() {
    let mut database = Database::new();
    for spi in [0xc000_0003, 0x0000_1001, 0x8000_0002] {
        database.add_inbound(inbound(with_spi(spi, 2), Timestamp::ZERO)).expect("free SPI");
    }
    assert_eq!(database.add_inbound(inbound(with_spi(0x1001, 9), Timestamp::ZERO)), Err(SpiInUse(0x1001)));
    assert_eq!(database.inbound(0x1001).map(|sa| sa.config().peer), Some(peer_v4()), "the first one stays");
    let spis: Vec<u32> = database.inbound_sas().map(InboundSa::spi).collect();
    assert_eq!(spis, [0x1001, 0x8000_0002, 0xc000_0003]);
    assert!(database.remove_inbound(0x8000_0002).is_some());
    assert!(database.remove_inbound(0x8000_0002).is_none());
    assert!(database.inbound_mut(0x8000_0002).is_none());
}

#[test]
fn packets_go_to_the_sa_of_their_spi() {
    let (first, second) = (with_spi(0x1111, 2), with_spi(0x2222, 2));
    let mut database = Database::new();
    database.add_inbound(inbound(first, Timestamp::ZERO)).unwrap();
    database.add_inbound(inbound(second, Timestamp::ZERO)).unwrap();
    let (mut rng, mut esp, mut out) = (rng(), Vec::new(), Vec::new());
    let inner = inner_packet(IpVersion::V4, protocol::ICMP, 56);
    let received = as_received(&first);

    let mut sender = outbound(second, Timestamp::ZERO);
    sender.encapsulate(Timestamp::ZERO, &mut rng, &inner, &mut esp).unwrap();
    let (spi, opened) = database.decapsulate(Timestamp::ZERO, received, &esp, &mut out).expect("SA 0x2222");
    assert_eq!((spi, opened.sequence, &out), (0x2222, 1, &inner));
    assert_eq!(database.inbound(0x2222).unwrap().counters().pkts_decaps, 1);
    assert_eq!(database.inbound(0x1111).unwrap().counters().pkts_decaps, 0);

    let mut unknown = esp.clone();
    unknown[..4].copy_from_slice(&0x3333u32.to_be_bytes());
    let refused = database.decapsulate(Timestamp::ZERO, received, &unknown, &mut out);
    assert_eq!(refused, Err(InboundError::UnknownSpi { spi: 0x3333 }));
    for malformed in [&esp[..7], &[0, 0, 0, 0, 0, 0, 0, 1][..]] {
        let refused = database.decapsulate(Timestamp::ZERO, received, malformed, &mut out);
        assert_eq!(refused, Err(InboundError::Malformed { len: malformed.len() }), "short, or SPI 0");
    }
    let replay = database.decapsulate_in_place(Timestamp::ZERO, received, &mut esp.clone());
    assert!(matches!(replay, Err(InboundError::Sa { spi: 0x2222, .. })));
    assert_eq!((database.counters().unknown_spi, database.counters().malformed), (1, 2));
}

#[test]
fn the_newest_outbound_sa_carries_traffic_while_rekeys_overlap() {
    let mut database = Database::new();
    assert!(database.newest_outbound_to(peer_v4()).is_none());
    database.add_outbound(2001, outbound(with_spi(0xaaaa, 2), seconds(0)));
    database.add_outbound(2002, outbound(with_spi(0xbbbb, 3), seconds(5)));
    let (key, sa) = database.newest_outbound_to(peer_v4()).expect("one towards 192.0.2.2");
    assert_eq!((*key, sa.spi()), (2001, 0xaaaa));

    // Quick Mode rekeys: a new pair under a new key; the newest wins whatever the key order.
    database.add_outbound(1999, outbound(with_spi(0xcccc, 2), seconds(3000)));
    let (key, sa) = database.newest_outbound_to(peer_v4()).expect("the rekeyed SA");
    assert_eq!((*key, sa.spi()), (1999, 0xcccc));
    sa.encapsulate(seconds(3000), &mut rng(), &inner_packet(IpVersion::V4, 1, 8), &mut Vec::new()).unwrap();
    assert_eq!(database.outbound(&1999).unwrap().counters().pkts_encaps, 1);

    // Re-installing under an old key makes that SA the newest again and hands back the old one.
    let replaced = database.add_outbound(2001, outbound(with_spi(0xdddd, 2), seconds(3001)));
    assert_eq!(replaced.map(|sa| sa.spi()), Some(0xaaaa));
    assert_eq!(database.newest_outbound_to(peer_v4()).map(|(key, _)| *key), Some(2001));
    let newest_of_peer_3 = database.newest_outbound(|_, sa| sa.config().peer != peer_v4());
    assert_eq!(newest_of_peer_3.map(|(key, sa)| (*key, sa.spi())), Some((2002, 0xbbbb)));

    let keys: Vec<u32> = database.outbound_sas().map(|(key, _)| *key).collect();
    assert_eq!(keys, [1999, 2001, 2002], "listed by key");
    assert_eq!(database.remove_outbound(&2001).map(|sa| sa.spi()), Some(0xdddd));
    assert_eq!(database.newest_outbound_to(peer_v4()).map(|(key, _)| *key), Some(1999));
    assert!(database.outbound_mut(&2001).is_none());
}

#[test]
fn lifetimes_report_soft_then_hard_and_give_the_next_deadline() {
    let limits = LifetimeLimits {
        soft: Limits { seconds: Some(3240), packets: Some(3), ..Limits::UNLIMITED },
        hard: Limits { seconds: Some(3600), bytes: Some(1000), ..Limits::UNLIMITED },
    };
    let config = config(IpsecMode::Tunnel, IpVersion::V4).with_lifetime(limits);
    let mut database = Database::new();
    database.add_outbound(1, OutboundSa::new(config, transform(aes128_gcm(), 3), seconds(10)));
    database
        .add_inbound(InboundSa::new(config, transform(aes128_gcm(), 3), ReplayWindow::default(), seconds(20)))
        .unwrap();
    assert_eq!(database.next_deadline(seconds(10)), Some(seconds(3250)));
    assert_eq!(database.next_deadline(seconds(3250)), Some(seconds(3260)), "the inbound SA's soft limit");
    assert_eq!(database.next_deadline(seconds(3620)), None);

    let sa = database.outbound_mut(&1).unwrap();
    let (mut rng, mut esp) = (rng(), Vec::new());
    let inner = inner_packet(IpVersion::V4, protocol::UDP, 100); // 120 bytes + 2 trailer = 122 encrypted
    let states: Vec<LifetimeState> = (0..9)
        .map(|_| {
            sa.encapsulate(seconds(11), &mut rng, &inner, &mut esp).expect("the engine decides").lifetime
        })
        .collect();
    use LifetimeState::{Active, HardExpired, SoftExpired};
    assert_eq!(
        states,
        [
            Active,
            Active,
            SoftExpired,
            SoftExpired,
            SoftExpired,
            SoftExpired,
            SoftExpired,
            SoftExpired,
            HardExpired
        ]
    );
    assert_eq!(sa.lifetime().bytes(), 9 * 124, "aligned to 4: 2 bytes of padding each");
    assert_eq!(sa.lifetime_state(seconds(11)), HardExpired);
    assert_eq!(sa.lifetime().last_used(), Some(seconds(11)));
}

#[test]
fn status_is_what_show_crypto_ipsec_sa_needs() {
    let limits = LifetimeLimits {
        hard: Limits { seconds: Some(3600), bytes: Some(4_608_000_000), ..Limits::UNLIMITED },
        ..LifetimeLimits::default()
    };
    let config = nat_t_config(IpsecMode::Tunnel, IpVersion::V4).with_lifetime(limits);
    let mut sa = OutboundSa::new(config, transform(aes128_sha256(), 5), seconds(100));
    sa.encapsulate(seconds(101), &mut rng(), &inner_packet(IpVersion::V4, 1, 64), &mut Vec::new()).unwrap();
    let status = sa.status(seconds(160));
    assert_eq!((status.direction, status.sequence, status.replay_window), (SaDirection::Outbound, 1, None));
    assert_eq!(
        serde_json::to_value(&status).unwrap(),
        json!({
            "spi": 0x3dd0_39a8u32,
            "direction": "outbound",
            "transform": {"cipher": "aes128", "integrity": "sha256"},
            "mode": "tunnel",
            "local": "192.0.2.1",
            "peer": "192.0.2.2",
            "udp": {"local": 4500, "peer": 4500},
            "state": "active",
            "remaining": {"seconds": 3540, "bytes": 4_608_000_000u64 - 96, "packets": null},
            "sequence": 1,
            "replay_window": null,
            "counters": {
                "pkts_encaps": 1, "pkts_encrypt": 1, "pkts_digest": 1,
                "pkts_verify": 0, "pkts_decrypt": 0, "pkts_decaps": 0, "pkts_dummy": 0,
                "send_errors": 0, "recv_errors": 0,
                "replay_failures": 0, "auth_failures": 0, "padding_errors": 0, "malformed_packets": 0,
                "unknown_next_header": 0, "invalid_inner_packets": 0, "sequence_exhausted": 0,
                "bytes_encaps": 84, "bytes_decaps": 0
            }
        })
    );
    let inbound =
        InboundSa::new(config, transform(aes128_gcm(), 5), ReplayWindow::new(1024).unwrap(), seconds(0));
    let status = inbound.status(seconds(0));
    assert_eq!(
        (status.direction, status.replay_window, status.transform.to_string()),
        (SaDirection::Inbound, Some(1024), "aes128gcm16".to_owned())
    );
    assert_eq!(status.remaining.seconds, Some(3600));
}
