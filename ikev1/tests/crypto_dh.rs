//! MODP Diffie-Hellman: the primes are the RFCs', both sides agree in every group,
//! values are padded to the modulus, and degenerate peer values are refused.

mod crypto_support;

use crypto_support::{hex, provider, rng};
use ikev1::crypto::dh::{ModpGroup, default_private_exponent_bits};
use ikev1::crypto::{CryptoError, CryptoProvider, DhGroup, DhGroupId, DhKeyPair, HashAlgorithm, Secret};
use num_bigint::BigUint;

/// Each group with its modulus size n and the k of its defining formula
/// p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + k)
/// (RFC 2409 6.1, 6.2; RFC 3526 2-7), and the SHA-256 of the prime's bytes as
/// transcribed (computed with Python from the RFC texts).
const GROUPS: [(DhGroupId, u32, u32, &str); 8] = [
    (DhGroupId::MODP_768, 768, 149686, "b52ba6a3026520a6c49d37e4587601801bee500123b3259b6bf03e7cecc3e63d"),
    (DhGroupId::MODP_1024, 1024, 129093, "3f35a3f5f6c4376a744acad409bb22f8d897f949d2311d885adaa890981b67a0"),
    (DhGroupId::MODP_1536, 1536, 741804, "64fcc83ec403930bf18393dbc883ccaa1fbb08ac876f77f7aa99748ca945019b"),
    (DhGroupId::MODP_2048, 2048, 124476, "d66436f79bbd6b2e38c0ffbd079be904d2641415e2e67140e09448be9a60890e"),
    (DhGroupId::MODP_3072, 3072, 1690314, "48cf8b092fbce4359d9871abf74f98e25b6163379eaa15cd9087e800c6d1c55c"),
    (DhGroupId::MODP_4096, 4096, 240904, "4ee95187682bcb230ad26a95205f6920e84708f6251b3894329b09ec23919e33"),
    (DhGroupId::MODP_6144, 6144, 929484, "d1bfe6d0925ce7e4da262b62861514a7755e35831e429f343e7b864848657efd"),
    (DhGroupId::MODP_8192, 8192, 4743158, "39ab4feab950a3128fb71accb9fc3965d857012e081998a85996e3ea8b3c3bcf"),
];

/// pi * 2^bits, rounded down up to a few units in the last place (Machin:
/// pi = 16 arctan(1/5) - 4 arctan(1/239)).
fn pi_fixed_point(bits: u32) -> BigUint {
    fn arctan_inverse(x: u32, bits: u32) -> (BigUint, BigUint) {
        // Positive and negative terms summed apart to stay unsigned.
        let (mut positive, mut negative) = (BigUint::ZERO, BigUint::ZERO);
        let mut power = (BigUint::from(1u32) << bits) / x;
        let mut k = 0u32;
        while power > BigUint::ZERO {
            let term = &power / (2 * k + 1);
            if k.is_multiple_of(2) {
                positive += term
            } else {
                negative += term
            }
            power /= x * x;
            k += 1;
        }
        (positive, negative)
    }
    let (p5, n5) = arctan_inverse(5, bits);
    let (p239, n239) = arctan_inverse(239, bits);
    (p5 * 16u32 + n239 * 4u32) - (n5 * 16u32 + p239 * 4u32)
}

#[test]
fn primes_are_the_rfcs() {
    const GUARD_BITS: u32 = 64;
    let pi = pi_fixed_point(8192 - 130 + GUARD_BITS);
    let provider = provider();
    for (id, n, k, sha256) in GROUPS {
        let prime = provider.modp_group(id).expect("implemented").prime();
        let p = BigUint::from_bytes_be(prime);
        let one = BigUint::from(1u32);
        let floor_pi = &pi >> (8192 - n + GUARD_BITS);
        let expected = (&one << n) - (&one << (n - 64)) - &one + ((floor_pi + k) << 64);
        assert_eq!(p, expected, "group {}", id.0);
        assert_eq!((p.bits(), prime.len() * 8, p.bit(0)), (u64::from(n), n as usize, true), "group {}", id.0);
        assert_eq!(provider.hash(HashAlgorithm::Sha256).hash(&[prime]), hex(sha256), "group {}", id.0);
    }
}

#[test]
fn two_parties_agree_in_every_group() {
    let provider = provider();
    let mut rng = rng(2409);
    for (id, n, _, _) in GROUPS {
        let group = provider.dh_group(id).expect("implemented");
        assert_eq!((group.id(), group.public_value_len()), (id, n as usize / 8));
        let alice = group.generate_key_pair(&mut rng);
        let bob = group.generate_key_pair(&mut rng);
        assert_eq!(alice.group(), id);
        assert_eq!((alice.public_value().len(), bob.public_value().len()), (n as usize / 8, n as usize / 8));
        assert_ne!(alice.public_value(), bob.public_value());
        let alice_secret = alice.shared_secret(bob.public_value()).expect("valid peer value");
        let bob_secret = bob.shared_secret(alice.public_value()).expect("valid peer value");
        assert_eq!(alice_secret.len(), n as usize / 8, "g^xy padded to the modulus (RFC 2409 5)");
        assert_eq!(alice_secret, bob_secret, "group {}", id.0);
    }
}

#[test]
fn exponentiation_agrees_with_num_bigint_in_every_group() {
    // Our Montgomery ladder against num-bigint's modpow, for g^x and y^x.
    let provider = provider();
    let mut rng = rng(3526);
    for (id, n, _, _) in GROUPS {
        let group = provider.modp_group(id).expect("implemented");
        let p = BigUint::from_bytes_be(group.prime());
        let mut exponent = vec![0u8; group.private_exponent_bits().div_ceil(8) as usize];
        rand_chacha::rand_core::RngCore::fill_bytes(&mut rng, &mut exponent);
        let x = BigUint::from_bytes_be(&exponent);
        let pair = group.key_pair_from_private_exponent(Secret::from_slice(&exponent));
        let expected_public = BigUint::from(2u32).modpow(&x, &p);
        assert_eq!(BigUint::from_bytes_be(pair.public_value()), expected_public, "group {}", id.0);

        let peer = group.generate_key_pair(&mut rng);
        let y = BigUint::from_bytes_be(peer.public_value());
        let secret = pair.shared_secret(peer.public_value()).expect("valid peer value");
        assert_eq!(secret.len(), n as usize / 8);
        assert_eq!(BigUint::from_bytes_be(secret.as_bytes()), y.modpow(&x, &p), "group {}", id.0);
    }
}

#[test]
fn known_answers_and_padding() {
    let group = ModpGroup::new(DhGroupId::MODP_1024).expect("group 2");
    // x = 256: g^x = 2^256 < p, so the public value is one bit, left-padded.
    let pair = group.key_pair_from_private_exponent(Secret::from_slice(&[0x01, 0x00]));
    let mut expected = vec![0u8; 128];
    expected[128 - 33] = 1;
    assert_eq!(pair.public_value(), expected);

    // x = 1024 wraps once: 2^1024 mod p, checked with num-bigint's modpow.
    let pair = group.key_pair_from_private_exponent(Secret::from_slice(&[0x04, 0x00]));
    let p = BigUint::from_bytes_be(group.prime());
    let reduced = BigUint::from(2u32).modpow(&BigUint::from(1024u32), &p).to_bytes_be();
    let public = pair.public_value();
    assert_eq!(&public[128 - reduced.len()..], reduced);
    assert!(public[..128 - reduced.len()].iter().all(|&byte| byte == 0));

    // Shared secret with the peer value 2 (its exponent is 1): 2^x.
    let two = [vec![0u8; 127], vec![2]].concat();
    let secret = pair.shared_secret(&two).expect("2 is in range");
    assert_eq!(secret.as_bytes(), public);
}

#[test]
fn degenerate_and_malformed_peer_values_are_refused() {
    // CVE-2015-3240: 0, 1 and p-1 have predictable powers; p and above are not
    // group elements; the length must be the modulus length (RFC 2409 5).
    let provider = provider();
    for (id, n, _, _) in GROUPS.into_iter().take(4) {
        let len = n as usize / 8;
        let group = provider.dh_group(id).expect("implemented");
        let ours = group.generate_key_pair(&mut rng(u64::from(id.0)));
        let p = BigUint::from_bytes_be(provider.modp_group(id).expect("implemented").prime());
        let padded = |value: &BigUint| {
            let bytes = value.to_bytes_be();
            [vec![0u8; len - bytes.len()], bytes].concat()
        };
        for out_of_range in [BigUint::ZERO, BigUint::from(1u32), &p - 1u32, p.clone(), &p + 1u32] {
            let error = ours.shared_secret(&padded(&out_of_range)).err();
            assert_eq!(error, Some(CryptoError::PublicValueOutOfRange), "group {}", id.0);
        }
        assert!(ours.shared_secret(&padded(&(&p - 2u32))).is_ok(), "p-2 is a valid element");
        let valid = padded(&BigUint::from(5u32));
        let too_long = [&[0u8][..], &valid].concat();
        assert_eq!(
            ours.shared_secret(&too_long).err(),
            Some(CryptoError::InvalidPublicValueLength { expected: len, actual: len + 1 })
        );
        assert_eq!(
            ours.shared_secret(&valid[1..]).err(),
            Some(CryptoError::InvalidPublicValueLength { expected: len, actual: len - 1 })
        );
        assert_eq!(
            ours.shared_secret(&[]).err(),
            Some(CryptoError::InvalidPublicValueLength { expected: len, actual: 0 })
        );
    }
}

#[test]
fn unsupported_groups_are_refused() {
    for id in [0, 3, 4, 19, 20, 21, 24, 31] {
        assert_eq!(
            provider().dh_group(DhGroupId(id)).err(),
            Some(CryptoError::UnsupportedGroup(DhGroupId(id)))
        );
    }
}

#[test]
fn private_exponents_have_the_configured_length() {
    // With an 8-bit exponent x in [128, 256) and a 768-bit p, g^x = 2^x is never
    // reduced: the public value has exactly one bit set, at position x.
    let group = ModpGroup::new(DhGroupId::MODP_768).expect("group 1").with_private_exponent_bits(8);
    let mut rng = rng(8);
    for _ in 0..32 {
        let pair = group.generate_key_pair(&mut rng);
        let value = BigUint::from_bytes_be(pair.public_value());
        assert_eq!(value.count_ones(), 1);
        assert!((129..=256).contains(&value.bits()), "x = {}", value.bits() - 1);
    }
    // Defaults follow RFC 3526 8; overrides are kept below the modulus length.
    assert_eq!(ModpGroup::new(DhGroupId::MODP_2048).expect("group 14").private_exponent_bits(), 320);
    assert_eq!(default_private_exponent_bits(DhGroupId::MODP_8192), Some(620));
    assert_eq!(group.clone().with_private_exponent_bits(100_000).private_exponent_bits(), 767);
    assert_eq!(group.with_private_exponent_bits(0).private_exponent_bits(), 2);
}

#[test]
fn same_seed_same_key_pair() {
    let provider = provider();
    let group = provider.dh_group(DhGroupId::MODP_1536).expect("group 5");
    let first = group.generate_key_pair(&mut rng(7));
    let again = group.generate_key_pair(&mut rng(7));
    assert_eq!(first.public_value(), again.public_value());
    assert!(format!("{first:?}").contains("REDACTED"), "Debug must not show the private value");
}
