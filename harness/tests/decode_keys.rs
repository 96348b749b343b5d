//! `ikelab decode --keys` on every real capture of vectors/real: the keys it
//! derives equal the logged ones, every encrypted ISAKMP message is decrypted
//! (the retransmissions tshark cannot read too) into the payloads tshark
//! shows, every ESP packet opens into a sound inner packet; and key files of
//! inputs only, with a wrong PSK or an unknown algorithm, and a damaged ESP
//! packet behave.
//!
//! The binary runs once per case with the real key file; the results are
//! shared by the tests that look at them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};
use vectors::keys::Psk;
use vectors::tshark::TsharkPacket;
use vectors::{Case, KeyFile};

/// One run of `ikelab decode --json --keys`, its lines split by kind.
struct Decoded {
    exit_code: Option<i32>,
    stderr: String,
    text: String,
    ike_sas: Vec<Value>,
    messages: Vec<Value>,
    esp: Vec<Value>,
}

impl Decoded {
    fn message(&self, frame: u64) -> &Value {
        self.messages.iter().find(|m| m["frame"] == frame).unwrap_or_else(|| panic!("no frame {frame}"))
    }

    fn encrypted_messages(&self) -> impl Iterator<Item = &Value> {
        self.messages.iter().filter(|m| m["encrypted"] == true)
    }
}

fn decode_with_keys(capture: &Path, keys: &Path) -> Decoded {
    let output = Command::new(env!("CARGO_BIN_EXE_ikelab"))
        .args(["decode", "--json", "--keys"])
        .args([keys, capture])
        .output()
        .expect("ikelab runs");
    let text = String::from_utf8(output.stdout).expect("UTF-8 output");
    let lines: Vec<Value> =
        text.lines().map(|line| serde_json::from_str(line).expect("each line is JSON")).collect();
    let of_kind = |kind: &str| lines.iter().filter(|line| line["kind"] == kind).cloned().collect::<Vec<_>>();
    Decoded {
        exit_code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        ike_sas: of_kind("ike_sa"),
        messages: of_kind("message"),
        esp: of_kind("esp"),
        text,
    }
}

struct RealCase {
    case: Case,
    keys: KeyFile,
    tshark: Vec<TsharkPacket>,
    decoded: Decoded,
}

fn real_cases() -> &'static [RealCase] {
    static CASES: OnceLock<Vec<RealCase>> = OnceLock::new();
    CASES.get_or_init(|| {
        Case::all()
            .unwrap()
            .into_iter()
            .map(|case| RealCase {
                keys: case.load_keys().unwrap(),
                tshark: case.tshark().unwrap(),
                decoded: decode_with_keys(&case.capture_path(), &case.keys_path()),
                case,
            })
            .collect()
    })
}

fn real_case(letter: &str) -> &'static RealCase {
    real_cases().iter().find(|real| real.case.name.starts_with(&format!("{letter}-"))).unwrap()
}

fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn hex_of(value: &Value) -> String {
    value.as_str().unwrap().to_owned()
}

/// The `keys_match` names a key file's logged values call for.
fn expected_key_names(keys: &KeyFile) -> BTreeSet<String> {
    let sides: &[&str] = match keys.psk {
        Psk::Shared(_) => &[""],
        Psk::PerSide { .. } => &["initiator:", "responder:"],
    };
    let mut names = BTreeSet::new();
    if keys.ike_sas.iter().any(|sa| sa.key_inputs().is_ok()) {
        for side in sides {
            for field in ["skeyid", "skeyid_d", "skeyid_a", "skeyid_e", "enc_key", "iv0"] {
                names.insert(format!("{side}{field}"));
            }
        }
    }
    for sa in &keys.ipsec_sas {
        if sa.encryption_key.is_some() {
            names.insert(format!("esp:{}:encryption", sa.spi));
        }
        if sa.integrity_key.is_some() {
            names.insert(format!("esp:{}:integrity", sa.spi));
        }
    }
    names
}

#[test]
fn derived_keys_equal_the_logged_ones_for_every_ike_and_ipsec_sa() {
    let mut compared = 0;
    for real in real_cases() {
        let name = &real.case.name;
        let decoded = &real.decoded;
        assert_eq!(decoded.ike_sas.len(), real.keys.ike_sas.len(), "{name}");
        let mut names = BTreeSet::new();
        for (sa, logged) in decoded.ike_sas.iter().zip(&real.keys.ike_sas) {
            assert_eq!(sa["ike_sa"], logged.initiator_cookie.to_string(), "{name}");
            if logged.key_inputs().is_err() {
                continue;
            }
            assert_eq!(sa["keys_derived"], true, "{name}: {sa}");
            for (key, matches) in sa["keys_match"].as_object().unwrap() {
                assert_eq!(matches, &true, "{name}: {key} differs from the key file");
                names.insert(key.clone());
            }
            // Every IPsec SA comes from a decrypted Quick Mode, none from the key file.
            for ipsec_sa in sa["ipsec_sas"].as_array().unwrap() {
                assert_eq!(ipsec_sa["source"], "quick_mode", "{name}: {ipsec_sa}");
            }
            assert!(sa.get("ipsec_sa_errors").is_none(), "{name}: {sa}");
        }
        assert_eq!(names, expected_key_names(&real.keys), "{name}");
        compared += names.len();
    }
    // Nine cases of 6 Phase 1 values (case I twice, per side) and 18 IPsec SAs of 2 keys.
    assert_eq!(compared, 8 * 6 + 2 * 6 + 18 * 2);
}

#[test]
fn case_i_reads_each_sides_messages_with_that_sides_psk() {
    let real = real_case("I");
    let sa = &real.decoded.ike_sas[0];
    assert_eq!(sa["key_sets"], json!(["initiator", "responder"]));
    assert_ne!(sa["derived"]["initiator:skeyid"], sa["derived"]["responder:skeyid"]);
    assert_eq!(sa["derived"]["initiator:iv0"], sa["derived"]["responder:iv0"], "IV0 needs no PSK");
    for (frames, side) in [([5, 7, 9], "initiator"), ([6, 8, 10], "responder")] {
        for frame in frames {
            let message = real.decoded.message(frame);
            assert_eq!(message["decrypted_with"], side, "frame {frame}");
            assert_eq!(message["from"], side, "frame {frame}");
        }
    }
    // The responder's Informationals: IV = H(IV0 | M-ID), since it could not read MM5,
    // and HASH(1) + N(PAYLOAD-MALFORMED), as decrypted by hand in keys.json.
    let manual = real.keys.manual_decryption_of_responder_informationals.as_ref().unwrap();
    for expected in &manual.decrypted {
        let message = real.decoded.message(expected.frame);
        assert_eq!(message["iv"], expected.iv.to_string(), "frame {}", expected.frame);
        assert_eq!(message["payloads"], json!(["HASH", "N"]));
        assert_eq!(message["notify_types"], json!([expected.notify_type]));
        assert_eq!(message["hash"]["name"], "HASH(1)");
        assert_eq!(message["hash"]["valid"], true);
    }
}

#[test]
fn case_j_has_no_keys_says_so_and_still_decodes_its_plaintext() {
    let decoded = &real_case("J").decoded;
    assert_eq!(decoded.exit_code, Some(0), "nothing encrypted went unread: {}", decoded.stderr);
    let sa = &decoded.ike_sas[0];
    assert_eq!(sa["keys_derived"], false);
    assert_eq!(sa["error"], "key file has no algorithms");
    assert_eq!(sa["keys_match"], json!({}));
    assert!(
        decoded.stderr.contains("ISAKMP SA 863d649c8da14ec6: no keys derived: key file has no algorithms")
    );
    assert_eq!(decoded.messages.len(), 2);
    assert_eq!(decoded.messages[0]["payloads"], json!(["SA", "VID", "VID", "VID", "VID", "VID"]));
    assert_eq!(decoded.messages[1]["payloads"], json!(["N"]));
    assert_eq!(decoded.messages[1]["notify_types"], json!([14]), "NO-PROPOSAL-CHOSEN");
    assert!(decoded.messages.iter().all(|m| m["decrypted"] == false));
}

#[test]
fn every_encrypted_message_is_decrypted_and_its_hash_verifies() {
    let mut decrypted = 0;
    for real in real_cases() {
        let name = &real.case.name;
        let decoded = &real.decoded;
        assert_eq!(decoded.exit_code, Some(0), "{name}: {}", decoded.stderr);
        let logged = real.keys.ike_sas.iter().flat_map(|sa| sa.messages.iter().flatten());
        let logged_encrypted: Vec<u64> = logged.filter(|m| m.encrypted).map(|m| m.frame).collect();
        let ours: Vec<u64> = decoded.encrypted_messages().map(|m| m["frame"].as_u64().unwrap()).collect();
        assert_eq!(ours, logged_encrypted, "{name}");
        for message in decoded.encrypted_messages() {
            assert_eq!(message["decrypted"], true, "{name}: {message}");
            assert!(message["hash"].is_object(), "{name}: every encrypted message here has a HASH");
        }
        // Plaintext ones too: Aggressive Mode message 2 carries HASH_R.
        for message in decoded.messages.iter().filter(|m| m.get("hash").is_some()) {
            assert_eq!(message["hash"]["valid"], true, "{name}: {message}");
        }
        decrypted += ours.len();
    }
    assert_eq!(decrypted, 53);
}

#[test]
fn retransmissions_and_the_frames_tshark_could_not_read_are_decrypted() {
    let mut beyond_tshark = BTreeMap::new();
    for real in real_cases() {
        let name = &real.case.name;
        let check = real.keys.tshark.as_ref().and_then(|run| run.check.as_ref()).unwrap();
        for &frame in &check.isakmp_encrypted_not_decrypted_frames {
            assert_eq!(real.decoded.message(frame)["decrypted"], true, "{name}: frame {frame}");
            beyond_tshark.entry(real.case.name[..1].to_owned()).or_insert_with(Vec::new).push(frame);
        }
        for logged in real.keys.ike_sas.iter().flat_map(|sa| sa.messages.iter().flatten()) {
            let Some(original) = logged.identical_to_frame else { continue };
            let copy = real.decoded.message(logged.frame);
            let first = real.decoded.message(original);
            assert_eq!(copy["retransmission_of"], original, "{name}: frame {}", logged.frame);
            assert_eq!(copy["decrypted"], true);
            for field in ["payload_types", "iv", "hash"] {
                assert_eq!(copy[field], first[field], "{name}: frame {} {field}", logged.frame);
            }
        }
    }
    let expected = BTreeMap::from([("I".to_owned(), vec![6, 7, 8, 9, 10]), ("L".to_owned(), vec![9, 11])]);
    assert_eq!(beyond_tshark, expected);
}

/// The payload types tshark found in a decrypted body (`isakmp.enc.data`), top level only.
fn tshark_decrypted_types(packet: &TsharkPacket) -> Vec<u64> {
    let decrypted = &packet.layer("isakmp").expect("an ISAKMP layer")["isakmp.enc.data"];
    let types = match &decrypted["isakmp.typepayload"] {
        Value::Array(types) => types.iter().map(|t| t.as_str().unwrap()).collect(),
        Value::String(single) => vec![single.as_str()],
        other => panic!("frame {}: no decrypted payload types: {other}", packet.number),
    };
    types.into_iter().map(|t| t.parse().unwrap()).collect()
}

#[test]
fn decrypted_payloads_equal_tsharks_where_tshark_decrypted() {
    let mut compared = 0;
    for real in real_cases() {
        let name = &real.case.name;
        for logged in real.keys.ike_sas.iter().flat_map(|sa| sa.messages.iter().flatten()) {
            let message = real.decoded.message(logged.frame);
            assert_eq!(message["from"], json!(logged.from), "{name}: frame {}", logged.frame);
            // keys.json lists tshark's reading, which for undecrypted frames is ciphertext misread.
            if logged.decrypted != Some(true) {
                continue;
            }
            let packet = real.tshark.iter().find(|p| p.number == logged.frame).unwrap();
            assert_eq!(
                message["payload_types"],
                json!(tshark_decrypted_types(packet)),
                "{name}: {}",
                logged.frame
            );
            assert_eq!(message["payloads"], json!(logged.payloads), "{name}: frame {}", logged.frame);
            if let Some(spis) = &logged.delete_spis {
                let spis: Vec<String> = spis.iter().map(ToString::to_string).collect();
                assert_eq!(message["delete_spis"], json!(spis), "{name}: frame {}", logged.frame);
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 53 - 7);
}

#[test]
fn every_esp_packet_opens_into_a_sound_inner_packet_both_ways() {
    let mut opened = 0;
    for real in real_cases() {
        let name = &real.case.name;
        let mut per_spi: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for esp in &real.decoded.esp {
            let frame = esp["frame"].as_u64().unwrap();
            assert_eq!(esp["udp_encapsulated"], true, "{name}: {esp}");
            assert_eq!(esp["decapsulated"], true, "{name}: {esp}");
            assert_eq!(esp["icv_valid"], true, "{name}: {esp}");
            assert_eq!(esp["ipv4_checksum_valid"], true, "{name}: {esp}");
            assert_eq!(esp["protocol"], 1, "{name}: ICMP pings");
            let packet = real.tshark.iter().find(|p| p.number == frame).unwrap();
            let addresses = packet.fields("ip", "ip.src").into_iter().zip(packet.fields("ip", "ip.dst"));
            let [(outer_src, outer_dst), (inner_src, inner_dst)] = addresses.collect::<Vec<_>>()[..] else {
                panic!("{name}: frame {frame}: tshark shows an outer and an inner IP header")
            };
            assert_eq!((esp["src"].as_str(), esp["dst"].as_str()), (Some(outer_src), Some(outer_dst)));
            assert_eq!(
                (esp["inner_src"].as_str(), esp["inner_dst"].as_str()),
                (Some(inner_src), Some(inner_dst))
            );
            assert_eq!(esp["icmp_type"].to_string(), packet.field("icmp", "icmp.type").unwrap());
            per_spi.entry(hex_of(&esp["spi"])).or_default().push(frame);
        }
        let observed: BTreeMap<String, Vec<u64>> = real
            .keys
            .ipsec_sas
            .iter()
            .filter_map(|sa| Some((sa.spi.to_string(), sa.observed.as_ref()?.frames.clone())))
            .filter(|(_, frames)| !frames.is_empty())
            .collect();
        assert_eq!(per_spi, observed, "{name}");
        let seen = real.keys.esp_spis_seen_in_pcap.clone().unwrap_or_default();
        let seen: BTreeMap<String, u64> =
            seen.into_iter().map(|(spi, seen)| (spi.to_string(), seen.packets)).collect();
        let counts: BTreeMap<String, u64> =
            per_spi.iter().map(|(spi, frames)| (spi.clone(), frames.len() as u64)).collect();
        assert_eq!(counts, seen, "{name}");
        // Both directions: echo requests one way, replies the other.
        if !real.decoded.esp.is_empty() {
            let types: BTreeSet<String> =
                real.decoded.esp.iter().map(|esp| esp["icmp_type"].to_string()).collect();
            assert_eq!(types, BTreeSet::from(["0".to_owned(), "8".to_owned()]), "{name}");
        }
        opened += real.decoded.esp.len();
    }
    assert_eq!(opened, 5 * 6 + 32 + 2 * 6);
}

/// The key file with only what derivation needs: the PSK, per ISAKMP SA its cookies,
/// exchange, algorithms, KE data, g^xy and nonces, and g(qm)^xy of PFS Quick Modes
/// (with the fields the schema requires of an IPsec SA). Everything else goes.
fn inputs_only(keys: &Value) -> Value {
    let keep = |object: &Value, fields: &[&str]| -> Value {
        let object = object.as_object().unwrap();
        Value::Object(fields.iter().filter_map(|f| Some((f.to_string(), object.get(*f)?.clone()))).collect())
    };
    let ike_fields = [
        "initiator_cookie",
        "responder_cookie",
        "exchange",
        "algorithms",
        "g_xi",
        "g_xr",
        "g_xy",
        "ni",
        "nr",
    ];
    let ipsec_fields = [
        "spi",
        "protocol",
        "encryption",
        "encryption_key_bits",
        "integrity",
        "qm_ni",
        "qm_nr",
        "qm_g_xy",
        "ike_sa_initiator_cookie",
    ];
    let ike_sas: Vec<Value> =
        keys["ike_sas"].as_array().unwrap().iter().map(|sa| keep(sa, &ike_fields)).collect();
    let ipsec_sas: Vec<Value> = keys["ipsec_sas"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|sa| sa.get("qm_g_xy").is_some_and(|g| !g.is_null()))
        .map(|sa| keep(sa, &ipsec_fields))
        .collect();
    json!({ "psk": keys["psk"], "ike_sas": ike_sas, "ipsec_sas": ipsec_sas })
}

#[test]
fn a_key_file_of_inputs_only_still_decrypts_everything_and_matches_nothing() {
    for real in real_cases() {
        let name = &real.case.name;
        let full: Value =
            serde_json::from_str(&std::fs::read_to_string(real.case.keys_path()).unwrap()).unwrap();
        let stripped = inputs_only(&full);
        let path = scratch_file(&format!("{name}-inputs-only.json"), stripped.to_string().as_bytes());
        let decoded = decode_with_keys(&real.case.capture_path(), &path);
        assert_eq!(decoded.exit_code, Some(0), "{name}: {}", decoded.stderr);
        for (sa, with_logs) in decoded.ike_sas.iter().zip(&real.decoded.ike_sas) {
            assert_eq!(sa["keys_match"], json!({}), "{name}: nothing logged, nothing compared");
            assert_eq!(sa["derived"], with_logs["derived"], "{name}: the same keys either way");
            assert_eq!(sa["ipsec_sas"], with_logs["ipsec_sas"], "{name}");
        }
        assert_eq!(decoded.encrypted_messages().count(), real.decoded.encrypted_messages().count());
        assert!(decoded.encrypted_messages().all(|m| m["decrypted"] == true), "{name}");
        assert_eq!(decoded.esp.len(), real.decoded.esp.len(), "{name}");
        assert!(decoded.esp.iter().all(|esp| esp["decapsulated"] == true), "{name}");
    }
    // Without PFS the capture holds every KEYMAT input: case C needs no IPsec SA in its key file.
    let case_c: Value =
        serde_json::from_str(&std::fs::read_to_string(real_case("C").case.keys_path()).unwrap()).unwrap();
    assert_eq!(inputs_only(&case_c)["ipsec_sas"], json!([]));
}

fn key_file_variant(letter: &str, label: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let case = &real_case(letter).case;
    let mut keys: Value = serde_json::from_str(&std::fs::read_to_string(case.keys_path()).unwrap()).unwrap();
    edit(&mut keys);
    scratch_file(&format!("{}-{label}.json", case.name), keys.to_string().as_bytes())
}

#[test]
fn a_wrong_psk_mismatches_and_fails_to_decrypt_cleanly() {
    let keys = key_file_variant("A", "wrong-psk", |keys| keys["psk"] = json!("not-the-psk"));
    let decoded = decode_with_keys(&real_case("A").case.capture_path(), &keys);
    assert_eq!(decoded.exit_code, Some(1), "a failure, not a panic: {}", decoded.stderr);
    let keys_match = decoded.ike_sas[0]["keys_match"].as_object().unwrap();
    for key in ["skeyid", "skeyid_d", "skeyid_a", "skeyid_e", "enc_key"] {
        assert_eq!(keys_match[key], false, "{key}");
    }
    assert_eq!(keys_match["iv0"], true, "IV0 = H(g^xi | g^xr) does not depend on the PSK");
    for esp_key in ["esp:3dd039a8:encryption", "esp:3dd039a8:integrity", "esp:19003454:encryption"] {
        assert_eq!(keys_match[esp_key], false, "{esp_key}");
    }
    assert_eq!(decoded.encrypted_messages().count(), 5);
    for message in decoded.encrypted_messages() {
        assert_eq!(message["decrypted"], false);
        let error = message["decrypt_error"].as_str().unwrap();
        assert!(
            error.starts_with("cannot decrypt: with the shared keys: plaintext is no payload chain"),
            "{error}"
        );
    }
    assert!(decoded.stderr.contains("frame 5: cannot decrypt: with the shared keys"), "{}", decoded.stderr);
    assert!(
        decoded.stderr.contains("5 of 5 encrypted ISAKMP messages were not decrypted"),
        "{}",
        decoded.stderr
    );
    // The Quick Mode is unreadable, so the IPsec SAs come from the key file, under the wrong SKEYID_d.
    assert!(decoded.ike_sas[0]["ipsec_sas"].as_array().unwrap().iter().all(|sa| sa["source"] == "key_file"));
    assert_eq!(decoded.esp.len(), 6);
    assert!(decoded.esp.iter().all(|esp| esp["icv_valid"] == false && esp["decapsulated"] == false));
}

#[test]
fn an_algorithm_ikelab_lacks_is_reported_per_sa_and_decoding_goes_on() {
    let keys = key_file_variant("A", "camellia", |keys| {
        keys["ike_sas"][0]["algorithms"]["encryption"] = json!("CAMELLIA_CBC")
    });
    let decoded = decode_with_keys(&real_case("A").case.capture_path(), &keys);
    assert_eq!(decoded.exit_code, Some(1), "{}", decoded.stderr);
    let error = decoded.ike_sas[0]["error"].as_str().unwrap();
    assert!(error.contains("encryption \"CAMELLIA_CBC\""), "{error}");
    assert_eq!(decoded.messages.len(), 9, "plaintext messages are still shown");
    assert_eq!(decoded.messages[2]["payloads"], json!(["KE", "NONCE", "NAT-D", "NAT-D"]));
    let unread = decoded.message(7)["decrypt_error"].as_str().unwrap();
    assert!(unread.starts_with("no keys for this ISAKMP SA: key file encryption"), "{unread}");
    assert!(decoded.esp.iter().all(|esp| esp["icv_valid"].is_null() && esp["decapsulated"] == false));
    assert!(decoded.stderr.contains("frame 10: ESP: no derived IPsec SA has this SPI"), "{}", decoded.stderr);
}

#[test]
fn a_key_file_that_is_no_key_file_is_refused_with_its_path() {
    let path = scratch_file("not-a-key-file.json", b"{\"psk\": 7}");
    let decoded = decode_with_keys(&real_case("A").case.capture_path(), &path);
    assert_eq!(decoded.exit_code, Some(2));
    assert!(decoded.stderr.contains("not-a-key-file.json"), "{}", decoded.stderr);
    assert!(decoded.text.is_empty());
}

/// Byte offset of each frame's data in a classic pcap file.
fn pcap_frame_offsets(capture: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 24;
    while at + 16 <= capture.len() {
        let captured = u32::from_le_bytes(capture[at + 8..at + 12].try_into().unwrap()) as usize;
        offsets.push(at + 16);
        at += 16 + captured;
    }
    offsets
}

#[test]
fn a_damaged_esp_packet_fails_its_icv_and_the_others_still_open() {
    let case = &real_case("A").case;
    let mut capture = std::fs::read(case.capture_path()).unwrap();
    let offsets = pcap_frame_offsets(&capture);
    // The last byte of frame 10 is the last byte of its ICV (frame 11 starts 16 bytes after).
    let last_of_frame_10 = offsets[10] - 16 - 1;
    capture[last_of_frame_10] ^= 0x01;
    let damaged = scratch_file("A-damaged-icv.pcap", &capture);
    let decoded = decode_with_keys(&damaged, &case.keys_path());
    assert_eq!(decoded.exit_code, Some(1), "{}", decoded.stderr);
    let damaged_packet = decoded.esp.iter().find(|esp| esp["frame"] == 10).unwrap();
    assert_eq!(
        (&damaged_packet["icv_valid"], &damaged_packet["decapsulated"]),
        (&json!(false), &json!(false))
    );
    assert_eq!(decoded.esp.iter().filter(|esp| esp["decapsulated"] == true).count(), 5);
    assert!(decoded.stderr.contains("frame 10: ESP: ICV invalid"), "{}", decoded.stderr);
}

/// Case A's capture with its ESP-in-UDP frames turned into bare ESP (IP protocol 50):
/// the 8-byte UDP header cut out, the IPv4 length and checksum fixed.
fn with_bare_esp(capture: &[u8], esp_frames: &[usize]) -> Vec<u8> {
    const ETHERNET: usize = 14;
    const IPV4: usize = 20;
    const UDP: usize = 8;
    let offsets = pcap_frame_offsets(capture);
    let mut rewritten = capture[..24].to_vec();
    for (index, &data_at) in offsets.iter().enumerate() {
        let record_at = data_at - 16;
        let captured =
            u32::from_le_bytes(capture[record_at + 8..record_at + 12].try_into().unwrap()) as usize;
        let mut record = capture[record_at..data_at + captured].to_vec();
        if esp_frames.contains(&(index + 1)) {
            let ip = 16 + ETHERNET;
            assert_eq!((record[ip], record[ip + 9]), (0x45, 17), "IPv4 without options, carrying UDP");
            record.drain(ip + IPV4..ip + IPV4 + UDP);
            let total = u16::from_be_bytes([record[ip + 2], record[ip + 3]]) - UDP as u16;
            record[ip + 2..ip + 4].copy_from_slice(&total.to_be_bytes());
            record[ip + 9] = 50;
            record[ip + 10..ip + 12].copy_from_slice(&[0, 0]);
            let sum = record[ip..ip + IPV4]
                .chunks(2)
                .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair[1]])))
                .sum::<u32>();
            let folded = (sum & 0xffff) + (sum >> 16);
            record[ip + 10..ip + 12].copy_from_slice(&(!(folded as u16)).to_be_bytes());
            for length_at in [8, 12] {
                let length = u32::from_le_bytes(record[length_at..length_at + 4].try_into().unwrap());
                record[length_at..length_at + 4].copy_from_slice(&(length - UDP as u32).to_le_bytes());
            }
        }
        rewritten.extend_from_slice(&record);
    }
    rewritten
}

#[test]
fn bare_esp_in_ip_protocol_50_opens_too() {
    let real = real_case("A");
    let capture = with_bare_esp(&std::fs::read(real.case.capture_path()).unwrap(), &[10, 11, 12, 13, 14, 15]);
    let bare = scratch_file("A-bare-esp.pcap", &capture);
    let decoded = decode_with_keys(&bare, &real.case.keys_path());
    assert_eq!(decoded.exit_code, Some(0), "{}", decoded.stderr);
    assert_eq!(decoded.esp.len(), 6);
    for (esp, in_udp) in decoded.esp.iter().zip(&real.decoded.esp) {
        assert_eq!(esp["udp_encapsulated"], false, "{esp}");
        assert!(esp.get("sport").is_none());
        for field in
            ["frame", "spi", "seq", "decapsulated", "icv_valid", "inner_src", "inner_dst", "icmp_type"]
        {
            assert_eq!(esp[field], in_udp[field], "{field}");
        }
    }
}

#[test]
fn text_output_summarises_keys_then_messages_then_esp() {
    let real = real_case("L");
    let case = &real.case;
    let logged_skeyid = real.keys.ike_sas[0].skeyid.as_ref().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ikelab"))
        .args(["decode", "--keys"])
        .args([case.keys_path(), case.capture_path()])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("no {needle:?} in\n{text}"));
    let summary = at("ISAKMP SA dafcada197d43c19/");
    let skeyid = at(&format!("        SKEYID: {logged_skeyid} (matches the key file)\n"));
    let first_message = at("Frame 1: 192.0.2.2:500 -> 192.0.2.1:500");
    let first_esp = at("Frame 12: ESP-in-UDP 192.0.2.2:4500 -> 192.0.2.1:4500, SPI 0x905da202, sequence 1");
    assert!(summary < skeyid && skeyid < first_message && first_message < first_esp);
    assert!(!text.contains("DIFFERS"));
    assert!(text.contains("    Decrypted with the shared keys, IV "));
    assert!(text.contains("    Byte-identical retransmission of frame 8\n"));
    assert!(text.contains("    HASH(3): valid (shared keys)"));
    assert!(text.contains(
        "    Inner IPv4: 198.51.100.129 -> 198.51.100.1, protocol ICMP (1), header checksum valid"
    ));
}
