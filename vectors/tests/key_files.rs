//! Every real keys.json loads into the model, and so does a user's file with only inputs.

use vectors::keys::{KeyFile, MissingInput, Phase1Exchange, Psk, Role};
use vectors::{Case, Hex};

fn all_key_files() -> Vec<(Case, KeyFile)> {
    Case::all()
        .expect("vectors/real is readable")
        .into_iter()
        .map(|case| {
            let keys = case.load_keys().unwrap_or_else(|error| panic!("{error}"));
            (case, keys)
        })
        .collect()
}

fn keys_of(letter: &str) -> KeyFile {
    Case::find(letter).unwrap().expect("case exists").load_keys().unwrap()
}

#[test]
fn every_real_key_file_loads_and_names_its_case() {
    let files = all_key_files();
    assert_eq!(files.len(), 10);
    for (case, keys) in &files {
        assert_eq!(keys.case.as_deref(), Some(case.name.as_str()));
        assert_eq!(keys.ike_sas.len(), 1, "{}", case.name);
    }
}

#[test]
fn every_real_key_file_survives_a_serde_round_trip() {
    for (case, keys) in all_key_files() {
        let json = serde_json::to_string(&keys).unwrap();
        assert_eq!(KeyFile::from_json(&json).unwrap(), keys, "{}", case.name);
    }
}

#[test]
fn psk_is_shared_except_in_the_mismatch_case() {
    for (case, keys) in all_key_files() {
        let per_side = matches!(keys.psk, Psk::PerSide { .. });
        assert_eq!(per_side, case.name.starts_with("I-"), "{}", case.name);
    }
    let mismatch = keys_of("I").psk;
    assert_eq!(mismatch.of(Role::Initiator), "case-I-psk-initiator-side");
    assert_eq!(mismatch.of(Role::Responder), "case-I-psk-responder-side");
    assert_eq!(keys_of("A").psk.of(Role::Responder), "case-A-psk-Uq7Zt3");
}

#[test]
fn phase1_inputs_are_complete_wherever_keys_were_exchanged() {
    for (case, keys) in all_key_files() {
        let inputs = keys.ike_sas[0].key_inputs();
        if case.name.starts_with("J-") {
            // No common proposal: the exchange stopped before KE.
            assert_eq!(inputs, Err(MissingInput { field: "algorithms" }));
        } else {
            let inputs = inputs.unwrap_or_else(|missing| panic!("{}: {missing}", case.name));
            assert_eq!(inputs.initiator_cookie.len(), 8);
            assert_eq!(inputs.g_xi.len(), inputs.g_xy.len(), "{}: g^xy padded to the modulus", case.name);
        }
    }
}

#[test]
fn aggressive_mode_and_derived_keys_are_read() {
    assert_eq!(keys_of("B").ike_sas[0].exchange, Phase1Exchange::Aggressive);
    let case_c = &keys_of("C").ike_sas[0];
    assert_eq!(case_c.exchange, Phase1Exchange::Main);
    // AES-256 Ka (32 bytes) is longer than SHA1's SKEYID_e (20 bytes).
    assert_eq!(case_c.enc_key.as_ref().map(|key| key.len()), Some(32));
    assert_eq!(case_c.skeyid_e.as_ref().map(|key| key.len()), Some(20));
    // The mismatch case records each side's values instead of one.
    let case_i = &keys_of("I").ike_sas[0];
    assert_eq!(case_i.enc_key, None);
    assert_eq!(case_i.per_log_values.as_ref().map(|values| values["enc_key"].len()), Some(2));
}

#[test]
fn ipsec_sas_find_their_ike_sa_and_pfs_shows_in_qm_g_xy() {
    for (case, keys) in all_key_files() {
        for sa in &keys.ipsec_sas {
            assert!(keys.ike_sa_for(sa).is_some(), "{}", case.name);
            assert!(sa.spi_u32().is_some(), "{}", case.name);
            assert_eq!(sa.pfs_group.is_some(), sa.qm_g_xy.is_some(), "{}", case.name);
        }
    }
    let without_pfs = keys_of("C");
    assert!(without_pfs.ipsec_sas.iter().all(|sa| sa.pfs_group.is_none()));
    assert_eq!(keys_of("G").ipsec_sas.len(), 4);
    assert!(keys_of("J").ipsec_sas.is_empty());
}

const MINIMAL: &str = r#"{
  "psk": "secret",
  "ike_sas": [{
    "initiator_cookie": "0011223344556677",
    "responder_cookie": "8899aabbccddeeff",
    "exchange": "main",
    "algorithms": {"encryption": "AES_CBC", "key_length_bits": 128, "integrity_hash": "HMAC_SHA2_256_128",
                   "prf": "PRF_HMAC_SHA2_256", "dh_group": "MODP_2048"},
    "g_xi": "01", "g_xr": "02", "g_xy": "03", "ni": "04", "nr": "05"
  }],
  "ipsec_sas": [{
    "spi": "3dd039a8", "protocol": "ESP", "encryption": "AES_CBC", "integrity": "HMAC_SHA2_256_128",
    "qm_ni": "06", "qm_nr": "07"
  }]
}"#;

#[test]
fn a_key_file_with_only_inputs_loads() {
    let keys = KeyFile::from_json(MINIMAL).unwrap();
    let ike_sa = &keys.ike_sas[0];
    let inputs = ike_sa.key_inputs().unwrap();
    assert_eq!(inputs.responder_cookie, &[0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
    assert_eq!(inputs.algorithms.auth_method, None);
    assert_eq!((ike_sa.skeyid.as_ref(), ike_sa.iv0.as_ref(), ike_sa.messages.as_ref()), (None, None, None));
    assert_eq!(keys.tshark, None);

    let ipsec_sa = &keys.ipsec_sas[0];
    assert_eq!(ipsec_sa.spi_u32(), Some(0x3dd0_39a8));
    assert_eq!((ipsec_sa.qm_g_xy.as_ref(), ipsec_sa.encryption_key.as_ref()), (None, None));
    // With a single ISAKMP SA the IPsec SA needs no cookie to find it.
    assert_eq!(keys.ike_sa_for(ipsec_sa), Some(ike_sa));
}

#[test]
fn ipsec_sas_and_unknown_fields_may_be_left_out_or_added() {
    let mut value: serde_json::Value = serde_json::from_str(MINIMAL).unwrap();
    value.as_object_mut().unwrap().remove("ipsec_sas");
    value["comment"] = "written by hand".into();
    value["ike_sas"][0]["x_private"] = "not in the schema".into();
    let keys: KeyFile = serde_json::from_value(value).unwrap();
    assert!(keys.ipsec_sas.is_empty());
}

#[test]
fn a_missing_input_is_named() {
    let without_spi = MINIMAL.replace(r#""spi": "3dd039a8", "#, "");
    let error = KeyFile::from_json(&without_spi).unwrap_err().to_string();
    assert!(error.contains("missing field `spi`"), "{error}");
}

#[test]
fn bad_hex_is_reported_with_its_position() {
    let bad_nonce = MINIMAL.replace(r#""ni": "04""#, r#""ni": "0g""#);
    let error = KeyFile::from_json(&bad_nonce).unwrap_err().to_string();
    assert!(error.contains("invalid hex digit 'g' at position 1"), "{error}");
}

#[test]
fn psk_may_differ_per_side() {
    let per_side = MINIMAL.replace(r#""psk": "secret""#, r#""psk": {"ini": "left", "rsp": "right"}"#);
    let keys = KeyFile::from_json(&per_side).unwrap();
    assert_eq!(keys.psk, Psk::PerSide { ini: "left".into(), rsp: "right".into() });
    assert_eq!(
        keys.ike_sa(&Hex::from(vec![0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77])).map(|sa| sa.exchange),
        Some(Phase1Exchange::Main)
    );
}
