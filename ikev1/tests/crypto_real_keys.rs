//! Key derivation against real peers: for every IKE SA and every ESP SA that
//! strongSwan 5.9.8 and Libreswan 4.10 negotiated in vectors/real, RFC 2409 as
//! implemented in `ikev1::keys` reproduces the keys the peers logged, byte for byte.

mod crypto_support;

use crypto_support::{cases_with_keys, cookies, names, provider};
use ikev1::crypto::{CryptoProvider, HashFunction};
use ikev1::keys::{self, KeymatInput, PROTO_IPSEC_ESP, Phase1Keys};
use vectors::keys::IkeSa;

/// One logged set of Phase 1 keys: the common values, or one log's values where
/// the two sides disagree (case I, different PSKs).
struct LoggedKeys<'a> {
    skeyid: &'a [u8],
    skeyid_d: &'a [u8],
    skeyid_a: &'a [u8],
    skeyid_e: &'a [u8],
    enc_key: &'a [u8],
}

impl<'a> LoggedKeys<'a> {
    fn of(ike_sa: &'a IkeSa, log: &str) -> Self {
        let value = |field: &str, common: &'a Option<vectors::Hex>| -> &'a [u8] {
            let per_log = ike_sa.per_log_values.as_ref().and_then(|values| values.get(field)?.get(log));
            per_log.or(common.as_ref()).unwrap_or_else(|| panic!("no {field} for {log}")).as_slice()
        };
        Self {
            skeyid: value("skeyid", &ike_sa.skeyid),
            skeyid_d: value("skeyid_d", &ike_sa.skeyid_d),
            skeyid_a: value("skeyid_a", &ike_sa.skeyid_a),
            skeyid_e: value("skeyid_e", &ike_sa.skeyid_e),
            enc_key: value("enc_key", &ike_sa.enc_key),
        }
    }
}

#[test]
fn phase1_keys_match_every_real_ike_sa() {
    let provider = provider();
    let mut checked = Vec::new();
    for (case, key_file) in cases_with_keys() {
        for ike_sa in &key_file.ike_sas {
            // Case J never got past message 2: nothing to derive.
            let Ok(inputs) = ike_sa.key_inputs() else { continue };
            let prf: &dyn HashFunction = provider.hash(names::prf(&inputs.algorithms.prf));
            let cipher =
                names::ike_encryption(&inputs.algorithms.encryption, inputs.algorithms.key_length_bits);
            let roles = ike_sa.roles_of_logging_sides.as_ref().expect("which log is which side");
            for (log, &role) in roles {
                let psk = key_file.psk.of(role);
                let expected = LoggedKeys::of(ike_sa, log);
                let derived = Phase1Keys::from_pre_shared_key(
                    prf,
                    psk.as_bytes(),
                    (inputs.ni, inputs.nr),
                    inputs.g_xy,
                    &cookies(ike_sa),
                );
                let context = format!("{} {log}", case.name);
                assert_eq!(derived.skeyid.as_bytes(), expected.skeyid, "SKEYID {context}");
                assert_eq!(derived.skeyid_d.as_bytes(), expected.skeyid_d, "SKEYID_d {context}");
                assert_eq!(derived.skeyid_a.as_bytes(), expected.skeyid_a, "SKEYID_a {context}");
                assert_eq!(derived.skeyid_e.as_bytes(), expected.skeyid_e, "SKEYID_e {context}");
                let ka = keys::encryption_key(prf, &derived.skeyid_e, cipher.key_len());
                assert_eq!(ka.as_bytes(), expected.enc_key, "Ka {context}");

                let iv0 = keys::phase1_iv(prf, inputs.g_xi, inputs.g_xr, cipher.block_len())
                    .expect("hash >= block");
                assert_eq!(Some(iv0.as_bytes()), ike_sa.iv0.as_deref(), "IV0 {context}");
                checked.push(context);
            }
        }
    }
    // A, B, C, D, F, G, K, L once each (K and L log one side; the others log both
    // sides with equal values, read once per log), and case I once per side.
    assert_eq!(checked.iter().filter(|context| context.starts_with("I-")).count(), 2, "{checked:?}");
    assert_eq!(checked.len(), 16, "{checked:?}");
}

#[test]
fn keymat_matches_every_real_esp_sa() {
    let provider = provider();
    let mut checked = 0;
    for (case, key_file) in cases_with_keys() {
        for esp_sa in &key_file.ipsec_sas {
            let ike_sa = key_file
                .ike_sas
                .iter()
                .find(|ike_sa| Some(&ike_sa.initiator_cookie) == esp_sa.ike_sa_initiator_cookie.as_ref())
                .expect("the ESP SA's ISAKMP SA");
            let algorithms = ike_sa.algorithms.as_ref().expect("negotiated");
            let prf: &dyn HashFunction = provider.hash(names::prf(&algorithms.prf));
            let skeyid_d = ikev1::crypto::Secret::from_slice(ike_sa.skeyid_d.as_deref().expect("SKEYID_d"));
            assert_eq!(esp_sa.protocol, "ESP");
            let input = KeymatInput {
                pfs_g_xy: esp_sa.qm_g_xy.as_deref(),
                protocol: PROTO_IPSEC_ESP,
                spi: &esp_sa.spi,
                ni_b: &esp_sa.qm_ni,
                nr_b: &esp_sa.qm_nr,
            };
            // The key file's seed shows the layout: [g(qm)^xy |] 3 | SPI | Ni_b | Nr_b.
            let seed: Vec<u8> =
                [input.pfs_g_xy.unwrap_or_default(), &[PROTO_IPSEC_ESP], input.spi, input.ni_b, input.nr_b]
                    .concat();
            assert_eq!(Some(&seed[..]), esp_sa.keymat_seed.as_deref(), "{} SPI {}", case.name, esp_sa.spi);

            let suite = names::esp_suite(&esp_sa.encryption, esp_sa.encryption_key_bits, &esp_sa.integrity);
            let derived = keys::esp_keys(prf, &skeyid_d, &input, suite);
            let context = format!("{} SPI {}", case.name, esp_sa.spi);
            assert_eq!(Some(derived.encryption.as_bytes()), esp_sa.encryption_key.as_deref(), "{context}");
            assert_eq!(Some(derived.integrity.as_bytes()), esp_sa.integrity_key.as_deref(), "{context}");

            // KEYMAT is a prefix-stable stream: asking for more extends, never changes.
            let longer = keys::keymat(prf, &skeyid_d, &input, 200);
            let both = [derived.encryption.as_bytes(), derived.integrity.as_bytes()].concat();
            assert_eq!(&longer.as_bytes()[..both.len()], both, "{context}");
            checked += 1;
        }
    }
    // A, B, C, D, F, K, L: 2 SAs each; G: 4 (a rekey).
    assert_eq!(checked, 18);
}
