//! What an inbound SA refuses, and that it counts each refusal under its
//! reason: flipped bits (RFC 4303 3.4.4), replays (3.4.3), bad padding (2.4),
//! foreign Next Headers (2.6), malformed packets; and what an outbound SA
//! refuses: exhausted sequence numbers (3.3.3), fragments in transport mode
//! (3.3.4), what is not an IP packet.

mod esp_support;

use esp_support::*;
use ikev1::crypto::EspSuite;
use ikev1::esp::{
    EspCounters, EspError, InboundError, Inner, LifetimeState, OutboundSa, ReplayError, SaDatabase,
};
use ikev1::ip::{IpError, IpVersion, Ipv4Header, protocol};
use ikev1::policy::IpsecMode;
use ikev1::time::Timestamp;

const NOW: Timestamp = Timestamp::ZERO;

/// An SA pair and one tunnelled IPv4 packet sealed with sequence number 5: a
/// number no single bit flip turns into 0, which the replay window would refuse
/// before the ICV.
fn sealed(suite: EspSuite) -> (ikev1::esp::InboundSa, Vec<u8>, Vec<u8>) {
    let (mut outbound, inbound) = pair(suite, config(IpsecMode::Tunnel, IpVersion::V4));
    outbound.skip_sequence_numbers(4);
    let inner = inner_packet(IpVersion::V4, protocol::UDP, 8);
    let mut esp = Vec::new();
    let sent = outbound.encapsulate(NOW, &mut rng(), &inner, &mut esp).expect("encapsulates");
    assert_eq!(sent.sequence, 5);
    (inbound, inner, esp)
}

#[test]
fn every_single_bit_flip_is_refused_and_counted() {
    let received = as_received(&config(IpsecMode::Tunnel, IpVersion::V4));
    let mut flips = 0;
    for suite in all_suites() {
        let (inbound, inner, esp) = sealed(suite);
        let mut database = SaDatabase::<u32>::new();
        database.add_inbound(inbound).expect("a free SPI");
        let mut out = Vec::new();
        for bit in 0..esp.len() * 8 {
            let mut tampered = esp.clone();
            tampered[bit / 8] ^= 1 << (bit % 8);
            let result = database.decapsulate(NOW, received, &tampered, &mut out);
            match bit / 8 {
                // Another SPI: no SA of ours (RFC 4303 3.4.2).
                0..4 => {
                    assert!(matches!(result, Err(InboundError::UnknownSpi { .. })), "{suite:?} bit {bit}")
                }
                // The sequence number, IV, ciphertext or ICV: the ICV no longer verifies.
                _ => assert!(
                    matches!(
                        result,
                        Err(InboundError::Sa { error: EspError::IntegrityCheckFailed { .. }, spi: SPI })
                    ),
                    "{suite:?} bit {bit}: {result:?}"
                ),
            }
            flips += 1;
        }
        let bits = esp.len() as u64 * 8;
        let sa = database.inbound(SPI).expect("installed");
        assert_eq!(database.counters().unknown_spi, 32);
        let counters = sa.counters();
        assert_eq!((counters.auth_failures, counters.recv_errors), (bits - 32, bits - 32), "{suite:?}");
        assert_eq!((counters.pkts_verify, counters.pkts_decaps), (0, 0));
        assert_eq!(sa.replay_window().highest(), 0, "a packet that fails its ICV does not move the window");
        // After all that, the genuine packet is still welcome.
        let (_, opened) = database.decapsulate(NOW, received, &esp, &mut out).expect("the original opens");
        assert_eq!((opened.sequence, &out), (5, &inner));
    }
    assert_eq!(flips, 8 * all_suites().iter().map(|suite| sealed(*suite).2.len()).sum::<usize>());
}

#[test]
fn a_refused_icv_leaves_the_packet_as_it_came() {
    for suite in [aes128_sha256(), aes128_gcm()] {
        let (mut inbound, _, esp) = sealed(suite);
        let mut tampered = esp.clone();
        *tampered.last_mut().unwrap() ^= 0x80;
        let kept = tampered.clone();
        let received = as_received(inbound.config());
        let result = inbound.decapsulate_in_place(NOW, received, &mut tampered);
        assert_eq!(result, Err(EspError::IntegrityCheckFailed { sequence: 5 }));
        assert_eq!(tampered, kept, "{suite:?}");
    }
}

#[test]
fn replays_are_refused_before_the_icv_and_counted() {
    let config = config(IpsecMode::Tunnel, IpVersion::V4);
    let (mut outbound, mut inbound) = pair(aes128_gcm(), config);
    let (mut rng, mut out) = (rng(), Vec::new());
    let inner = inner_packet(IpVersion::V4, protocol::ICMP, 56);
    let packets: Vec<Vec<u8>> = (0..70)
        .map(|_| {
            let mut esp = Vec::new();
            outbound.encapsulate(NOW, &mut rng, &inner, &mut esp).expect("encapsulates");
            esp
        })
        .collect();
    let received = as_received(&config);
    // 70 first, then 2: 70 - 64 + 1 = 7 is the left edge.
    inbound.decapsulate(NOW, received, &packets[69], &mut out).expect("sequence 70");
    let too_old = inbound.decapsulate(NOW, received, &packets[1], &mut out);
    assert_eq!(too_old, Err(EspError::Replay { sequence: 2, reason: ReplayError::TooOld }));
    inbound.decapsulate(NOW, received, &packets[6], &mut out).expect("sequence 7, the left edge");
    for replayed in [6, 69, 6] {
        let again = inbound.decapsulate(NOW, received, &packets[replayed], &mut out);
        let sequence = replayed as u32 + 1;
        assert_eq!(again, Err(EspError::Replay { sequence, reason: ReplayError::Duplicate }));
    }
    // A replay with a broken ICV is refused as a replay: the window looks first.
    let mut broken = packets[69].clone();
    *broken.last_mut().unwrap() ^= 1;
    assert!(matches!(inbound.decapsulate(NOW, received, &broken, &mut out), Err(EspError::Replay { .. })));
    let counters = inbound.counters();
    assert_eq!((counters.replay_failures, counters.auth_failures, counters.recv_errors), (5, 0, 5));
    assert_eq!((counters.pkts_verify, counters.pkts_decaps), (2, 2));
}

/// Seals an ESP packet with any trailer by driving the transform directly, as a
/// peer with odd padding would.
fn sealed_with_trailer(
    suite: EspSuite,
    payload: &[u8],
    padding: &[u8],
    pad_length: u8,
    next_header: u8,
) -> Vec<u8> {
    let transform = transform(suite, 7);
    let mut esp = SPI.to_be_bytes().to_vec();
    esp.extend_from_slice(&9u32.to_be_bytes());
    esp.resize(8 + transform.iv_len(), 0x55);
    esp.extend_from_slice(payload);
    esp.extend_from_slice(padding);
    esp.extend_from_slice(&[pad_length, next_header]);
    esp.resize(esp.len() + transform.icv_len(), 0);
    transform.seal(&mut esp, None).expect("aligned by the caller");
    esp
}

#[test]
fn bad_padding_is_refused_after_authentication_and_counted() {
    let inner = inner_packet(IpVersion::V4, protocol::UDP, 10); // 30 bytes: +2 trailer = 32
    let cases: [(&[u8], u8); 3] = [
        (&[1, 2, 3, 5, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 16), // a wrong byte
        (&[0; 16], 16),                                                 // zeros, not 1, 2, 3...
        (&[1; 16], 200),                                                // Pad Length beyond the payload
    ];
    for suite in [aes128_sha256(), aes128_gcm()] {
        let (_, mut inbound) = pair(suite, config(IpsecMode::Tunnel, IpVersion::V4));
        let received = as_received(inbound.config());
        let mut out = Vec::new();
        for (padding, pad_length) in cases {
            let esp = sealed_with_trailer(suite, &inner, padding, pad_length, protocol::IPV4);
            let mut fresh = pair(suite, config(IpsecMode::Tunnel, IpVersion::V4)).1;
            let result = fresh.decapsulate(NOW, received, &esp, &mut out);
            assert_eq!(result, Err(EspError::BadPadding { sequence: 9 }), "{suite:?} {padding:?}");
            assert_eq!(fresh.replay_window().highest(), 9, "authenticated, so the window moved");
            let counters = fresh.counters();
            assert_eq!(
                (counters.pkts_verify, counters.pkts_decrypt, counters.pkts_decaps, counters.padding_errors),
                (1, 1, 0, 1)
            );
        }
        // The default padding 1, 2, 3... passes, also when longer than needed.
        let padding: Vec<u8> = (1..=16).collect();
        let esp = sealed_with_trailer(suite, &inner, &padding, 16, protocol::IPV4);
        inbound.decapsulate(NOW, received, &esp, &mut out).expect("default padding");
        assert_eq!(out, inner);
    }
}

#[test]
fn next_header_must_announce_what_the_tunnel_carries() {
    let config = config(IpsecMode::Tunnel, IpVersion::V4);
    let (mut outbound, mut inbound) = pair(aes128_sha256(), config);
    let received = as_received(&config);
    let (mut rng, mut esp, mut out) = (rng(), Vec::new(), Vec::new());
    let ipv4 = inner_packet(IpVersion::V4, protocol::UDP, 20);
    let ipv6 = inner_packet(IpVersion::V6, protocol::UDP, 20);

    outbound.encapsulate_payload(NOW, &mut rng, protocol::UDP, &ipv4[20..], &mut esp).expect("sealed");
    let result = inbound.decapsulate(NOW, received, &esp, &mut out);
    assert_eq!(result, Err(EspError::UnknownNextHeader { sequence: 1, next_header: 17 }));

    outbound.encapsulate_payload(NOW, &mut rng, protocol::IPV4, &ipv6, &mut esp).expect("sealed");
    let result = inbound.decapsulate(NOW, received, &esp, &mut out);
    assert_eq!(result, Err(EspError::InvalidInnerPacket(IpError::WrongVersion { expected: 4, found: 6 })));

    outbound.encapsulate_payload(NOW, &mut rng, protocol::IPV6, &ipv6[..50], &mut esp).expect("sealed");
    let result = inbound.decapsulate(NOW, received, &esp, &mut out);
    assert!(matches!(result, Err(EspError::InvalidInnerPacket(IpError::Truncated { .. }))), "{result:?}");

    // RFC 4303 2.6: a dummy packet is authenticated and dropped without error.
    outbound
        .encapsulate_payload(NOW, &mut rng, protocol::NO_NEXT_HEADER, &[0; 40], &mut esp)
        .expect("sealed");
    let dummy = inbound.decapsulate(NOW, received, &esp, &mut out).expect("no error");
    assert_eq!((dummy.sequence, dummy.inner, out.len()), (4, Inner::Dummy, 0));

    // TFC padding after the inner packet (RFC 4303 2.7) is cut off by its length.
    let mut padded = ipv4.clone();
    padded.extend_from_slice(&[0xee; 23]);
    outbound.encapsulate_payload(NOW, &mut rng, protocol::IPV4, &padded, &mut esp).expect("sealed");
    inbound.decapsulate(NOW, received, &esp, &mut out).expect("delivered");
    assert_eq!(out, ipv4);

    let counters = *inbound.counters();
    let expected = EspCounters {
        pkts_verify: 5,
        pkts_decrypt: 5,
        pkts_decaps: 1,
        pkts_dummy: 1,
        recv_errors: 3,
        unknown_next_header: 1,
        invalid_inner_packets: 2,
        bytes_decaps: ipv4.len() as u64,
        ..EspCounters::default()
    };
    assert_eq!(counters, expected);
    assert_eq!(outbound.counters().pkts_encaps, 5);
}

#[test]
fn malformed_packets_and_strangers_are_counted() {
    let config = config(IpsecMode::Tunnel, IpVersion::V4);
    let (_, mut inbound) = pair(aes128_sha256(), config);
    let received = as_received(&config);
    let mut out = Vec::new();
    let mut header = SPI.to_be_bytes().to_vec();
    header.extend_from_slice(&1u32.to_be_bytes());
    for len in [8, 8 + 16 + 16, 8 + 16 + 16 + 16 + 15, 8 + 16 + 17 + 16] {
        let mut packet = header.clone();
        packet.resize(len, 0);
        assert_eq!(inbound.decapsulate(NOW, received, &packet, &mut out), Err(EspError::Malformed { len }));
    }
    for short in [&header[..0], &header[..7]] {
        assert!(matches!(
            inbound.decapsulate(NOW, received, short, &mut out),
            Err(EspError::Malformed { .. })
        ));
    }
    let mut stranger = header.clone();
    stranger[0] ^= 0xff;
    stranger.resize(8 + 16 + 16 + 16, 0);
    assert_eq!(
        inbound.decapsulate(NOW, received, &stranger, &mut out),
        Err(EspError::WrongSpi { expected: SPI, received: SPI ^ 0xff00_0000 })
    );
    let counters = inbound.counters();
    assert_eq!((counters.malformed_packets, counters.recv_errors), (6, 7));
}

#[test]
fn sequence_numbers_run_out_instead_of_cycling() {
    let config = config(IpsecMode::Tunnel, IpVersion::V4);
    let (mut outbound, mut inbound) = pair(aes128_gcm(), config);
    let (mut rng, mut esp, mut out) = (rng(), Vec::new(), Vec::new());
    let inner = inner_packet(IpVersion::V4, protocol::UDP, 8);
    outbound.skip_sequence_numbers(u32::MAX - 2);
    let next_to_last = outbound.encapsulate(NOW, &mut rng, &inner, &mut esp).expect("2^32 - 2");
    assert_eq!((next_to_last.sequence, next_to_last.lifetime), (u32::MAX - 1, LifetimeState::Active));
    let last = outbound.encapsulate(NOW, &mut rng, &inner, &mut esp).expect("2^32 - 1");
    assert_eq!((last.sequence, last.lifetime), (u32::MAX, LifetimeState::HardExpired));
    let last_packet = esp.clone();
    assert_eq!(outbound.encapsulate(NOW, &mut rng, &inner, &mut esp), Err(EspError::SequenceNumberExhausted));
    assert_eq!(
        outbound.encapsulate_payload(NOW, &mut rng, protocol::NO_NEXT_HEADER, &[], &mut esp),
        Err(EspError::SequenceNumberExhausted)
    );
    assert_eq!(esp, last_packet, "a refusal leaves the buffer alone");
    assert_eq!(outbound.lifetime_state(NOW), LifetimeState::HardExpired);
    let counters = outbound.counters();
    assert_eq!((counters.pkts_encaps, counters.send_errors, counters.sequence_exhausted), (2, 2, 2));
    // The receiver takes the last number like any other.
    let opened = inbound.decapsulate(NOW, as_received(&config), &last_packet, &mut out).expect("2^32 - 1");
    assert_eq!(opened.sequence, u32::MAX);
}

#[test]
fn outbound_refuses_what_it_cannot_protect() {
    let (mut transport, _) = pair(aes128_sha256(), config(IpsecMode::Transport, IpVersion::V4));
    let (mut tunnel, _): (OutboundSa, _) = pair(aes128_sha256(), config(IpsecMode::Tunnel, IpVersion::V4));
    let (mut rng, mut esp) = (rng(), Vec::new());

    let mut fragment = inner_packet(IpVersion::V4, protocol::UDP, 16);
    fragment[6] |= 0x20; // More Fragments
    fragment[10..12].fill(0);
    let checksum = ikev1::ip::internet_checksum(&fragment[..Ipv4Header::LEN]);
    fragment[10..12].copy_from_slice(&checksum.to_be_bytes());
    assert_eq!(
        transport.encapsulate(NOW, &mut rng, &fragment, &mut esp),
        Err(EspError::FragmentInTransportMode)
    );
    tunnel.encapsulate(NOW, &mut rng, &fragment, &mut esp).expect("tunnel mode carries fragments");

    let mut ipv6_fragment = inner_packet(IpVersion::V6, protocol::IPV6_FRAGMENT, 16);
    ipv6_fragment[6] = protocol::IPV6_FRAGMENT;
    assert_eq!(
        transport.encapsulate(NOW, &mut rng, &ipv6_fragment, &mut esp),
        Err(EspError::FragmentInTransportMode)
    );
    for not_ip in [&[][..], &[0x45, 0, 0][..], &[0x70; 60][..]] {
        assert!(matches!(
            tunnel.encapsulate(NOW, &mut rng, not_ip, &mut esp),
            Err(EspError::InvalidInnerPacket(_))
        ));
    }
    assert_eq!((transport.counters().invalid_inner_packets, transport.counters().send_errors), (2, 2));
    assert_eq!((tunnel.counters().invalid_inner_packets, tunnel.counters().pkts_encaps), (3, 1));
}
