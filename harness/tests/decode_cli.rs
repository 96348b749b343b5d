//! `ikelab decode` end to end: the binary on every real capture, in both
//! output forms, and on a capture with a damaged message.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use vectors::Case;

fn ikelab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ikelab")).args(args).output().expect("ikelab runs")
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

#[test]
fn json_lines_describe_every_isakmp_message_of_every_real_capture() {
    let mut total = 0;
    for case in Case::all().unwrap() {
        let output = ikelab(&["decode", "--json", case.capture_path().to_str().unwrap()]);
        assert!(output.status.success(), "{}: {}", case.name, String::from_utf8_lossy(&output.stderr));
        let keys = case.load_keys().unwrap();
        let lines = json_lines(&output);
        let listed: Vec<u64> =
            keys.ike_sas.iter().flat_map(|sa| sa.messages.iter().flatten().map(|m| m.frame)).collect();
        for line in &lines {
            for field in [
                "frame",
                "src",
                "dst",
                "sport",
                "dport",
                "exchange",
                "flags",
                "message_id",
                "payloads",
                "encrypted",
            ] {
                assert!(line.get(field).is_some(), "{}: no {field} in {line}", case.name);
            }
            let frame = line["frame"].as_u64().unwrap();
            assert!(
                listed.contains(&frame),
                "{}: frame {frame} is not an ISAKMP message of keys.json",
                case.name
            );
        }
        assert_eq!(lines.len(), listed.len(), "{}", case.name);
        total += lines.len();
    }
    assert_eq!(total, 89);
}

#[test]
fn json_matches_the_message_summaries_of_the_key_file() {
    let case = Case::find("A").unwrap().unwrap();
    let lines = json_lines(&ikelab(&["decode", "--json", case.capture_path().to_str().unwrap()]));
    let first = &lines[0];
    assert_eq!(first["frame"], 1);
    assert_eq!(first["src"], "192.0.2.1");
    assert_eq!((first["sport"].as_u64(), first["dport"].as_u64()), (Some(500), Some(500)));
    assert_eq!(first["exchange"], "Identity Protection (Main Mode)");
    assert_eq!(first["payloads"], serde_json::json!(["SA", "VID", "VID", "VID", "VID", "VID"]));
    assert_eq!(first["encrypted"], false);
    let fifth = &lines[4];
    assert_eq!((fifth["frame"].as_u64(), fifth["dport"].as_u64()), (Some(5), Some(4500)));
    assert_eq!(fifth["encrypted"], true);
    assert_eq!(fifth["flags"], serde_json::json!(["E"]));
}

#[test]
fn text_output_is_the_field_tree() {
    let case = Case::find("J").unwrap().unwrap();
    let output = ikelab(&["decode", case.capture_path().to_str().unwrap()]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("Frame 1: 192.0.2.1:500 -> 192.0.2.2:500"));
    assert!(text.contains("                Encryption-Algorithm (1): AES-CBC (7)"));
    assert!(text.contains("        Notify type: NO-PROPOSAL-CHOSEN (14)"));
}

#[test]
fn a_malformed_message_is_reported_with_frame_and_offset_and_decoding_goes_on() {
    let case = Case::find("A").unwrap().unwrap();
    let mut capture = std::fs::read(case.capture_path()).unwrap();
    // pcap: 24-byte file header, 16-byte record header, then Ethernet (14),
    // IPv4 (20) and UDP (8). The SA payload's length field sits at ISAKMP
    // offset 30; claim more bytes than the message holds.
    let isakmp = 24 + 16 + 14 + 20 + 8;
    capture[isakmp + 30..isakmp + 32].copy_from_slice(&0xfff0u16.to_be_bytes());
    let damaged = scratch_file("damaged-A.pcap", &capture);

    let output = ikelab(&["decode", "--json", damaged.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "a malformed message makes the exit status 1");
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert!(stderr.contains("frame 1: malformed ISAKMP message: byte 32"), "{stderr}");
    let lines = json_lines(&output);
    assert_eq!(lines[0]["frame"], 1);
    assert_eq!(lines[0]["offset"], 32);
    assert!(lines[0]["error"].as_str().unwrap().contains("payload body"));
    assert_eq!(lines.len(), 9, "the other eight messages are still decoded");
    assert_eq!(lines[1]["payloads"], serde_json::json!(["SA", "VID", "VID", "VID", "VID"]));
}

fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}
