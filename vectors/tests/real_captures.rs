//! The real captures load and dissect to exactly what each case's README.md describes, and
//! the dissection agrees with tshark's and with the messages listed in keys.json.

use std::collections::BTreeMap;
use std::time::Duration;

use vectors::{Case, Dissected, Frame, LinkType};

/// Per case: frames, UDP datagrams on port 500, on port 4500, ESP-in-UDP packets, ISAKMP
/// messages. Frames, ISAKMP and ESP-in-UDP are the README's numbers; the port split was
/// counted with an independent reader of the pcap files.
struct Expected {
    letter: &'static str,
    frames: usize,
    port_500: usize,
    port_4500: usize,
    esp_in_udp: usize,
    isakmp: usize,
}

const EXPECTED: [Expected; 10] = [
    Expected { letter: "A", frames: 15, port_500: 4, port_4500: 11, esp_in_udp: 6, isakmp: 9 },
    Expected { letter: "B", frames: 12, port_500: 2, port_4500: 10, esp_in_udp: 6, isakmp: 6 },
    Expected { letter: "C", frames: 15, port_500: 4, port_4500: 11, esp_in_udp: 6, isakmp: 9 },
    Expected { letter: "D", frames: 15, port_500: 4, port_4500: 11, esp_in_udp: 6, isakmp: 9 },
    Expected { letter: "F", frames: 15, port_500: 4, port_4500: 11, esp_in_udp: 6, isakmp: 9 },
    Expected { letter: "G", frames: 47, port_500: 4, port_4500: 43, esp_in_udp: 32, isakmp: 15 },
    // The responder answers MM5 (sent on 4500) with Informationals from 500 to 500.
    Expected { letter: "I", frames: 10, port_500: 7, port_4500: 3, esp_in_udp: 0, isakmp: 10 },
    Expected { letter: "J", frames: 2, port_500: 2, port_4500: 0, esp_in_udp: 0, isakmp: 2 },
    Expected { letter: "K", frames: 15, port_500: 4, port_4500: 11, esp_in_udp: 6, isakmp: 9 },
    Expected { letter: "L", frames: 17, port_500: 4, port_4500: 13, esp_in_udp: 6, isakmp: 11 },
];

const IKE_PORT: u16 = 500;
const NAT_T_PORT: u16 = 4500;
/// RFC 3948 2.2: IKE on port 4500 starts with four zero bytes; ESP starts with a non-zero SPI.
const NON_ESP_MARKER: [u8; 4] = [0; 4];
/// RFC 3948 2.3: a NAT-keepalive is the single byte 0xff.
const NAT_KEEPALIVE: [u8; 1] = [0xff];

fn all_cases() -> Vec<Case> {
    Case::all().expect("vectors/real is readable")
}

fn frames_of(case: &Case) -> Vec<Frame> {
    case.frames().unwrap_or_else(|error| panic!("{error}"))
}

fn uses_port(frame: &Frame, port: u16) -> bool {
    frame.udp().is_some_and(|udp| udp.src.port() == port || udp.dst.port() == port)
}

fn is_esp_in_udp(frame: &Frame) -> bool {
    uses_port(frame, NAT_T_PORT)
        && frame
            .payload()
            .is_some_and(|payload| !payload.starts_with(&NON_ESP_MARKER) && payload != NAT_KEEPALIVE)
}

/// "capture.pcap: 15 packets: 9 ISAKMP (5 of them encrypted: ...), 6 ESP-in-UDP (...)."
fn readme_counts(case: &Case) -> (usize, usize, usize) {
    let readme = std::fs::read_to_string(case.readme_path()).expect("README.md is readable");
    let line = readme
        .lines()
        .find_map(|line| line.strip_prefix("capture.pcap: "))
        .unwrap_or_else(|| panic!("{}: no capture.pcap line", case.name));
    let number_before = |label: &str| -> usize {
        let before = &line[..line.find(label).unwrap_or_else(|| panic!("{}: no {label:?}", case.name))];
        before.split([' ', ',', ':']).rfind(|word| !word.is_empty()).unwrap().parse().unwrap()
    };
    (number_before(" packets"), number_before(" ISAKMP"), number_before(" ESP-in-UDP"))
}

#[test]
fn every_case_directory_has_expected_counts() {
    let letters: Vec<String> = all_cases().iter().map(|case| case.name[..1].to_string()).collect();
    let expected: Vec<&str> = EXPECTED.iter().map(|expected| expected.letter).collect();
    assert_eq!(letters, expected);
}

#[test]
fn frame_and_port_counts_match_each_readme() {
    for expected in &EXPECTED {
        let case = Case::find(expected.letter).unwrap().expect("case exists");
        let frames = frames_of(&case);
        let count = |keep: &dyn Fn(&Frame) -> bool| frames.iter().filter(|frame| keep(frame)).count();
        let port_500 = count(&|frame| uses_port(frame, IKE_PORT));
        let port_4500 = count(&|frame| uses_port(frame, NAT_T_PORT));
        let esp_in_udp = count(&is_esp_in_udp);
        let keepalives = count(&|frame| frame.payload() == Some(&NAT_KEEPALIVE[..]));
        let isakmp = port_500 + port_4500 - esp_in_udp - keepalives;

        let counted = (frames.len(), port_500, port_4500, esp_in_udp, isakmp);
        let wanted =
            (expected.frames, expected.port_500, expected.port_4500, expected.esp_in_udp, expected.isakmp);
        assert_eq!(counted, wanted, "{}: (frames, port 500, port 4500, ESP-in-UDP, ISAKMP)", case.name);
        assert_eq!(
            readme_counts(&case),
            (expected.frames, expected.isakmp, expected.esp_in_udp),
            "{}: README.md disagrees with the table",
            case.name
        );
    }
}

#[test]
fn every_frame_is_complete_ipv4_udp_over_ethernet() {
    for case in all_cases() {
        for frame in frames_of(&case) {
            assert_eq!(frame.link_type, LinkType::ETHERNET, "{}: {frame}", case.name);
            assert_eq!(frame.data.len(), frame.original_len as usize, "{}: {frame} was cut", case.name);
            assert!(matches!(frame.dissected, Dissected::Udp(_)), "{}: {frame}", case.name);
            assert!(frame.udp().is_some_and(|udp| udp.src.is_ipv4()), "{}: {frame}", case.name);
        }
    }
}

#[test]
fn frame_numbers_count_up_and_time_never_goes_backwards() {
    for case in all_cases() {
        let frames = frames_of(&case);
        let numbers: Vec<u64> = frames.iter().map(|frame| frame.number).collect();
        assert_eq!(numbers, (1..=frames.len() as u64).collect::<Vec<_>>(), "{}", case.name);
        assert!(frames.windows(2).all(|pair| pair[0].timestamp <= pair[1].timestamp), "{}", case.name);
    }
}

#[test]
fn dissection_agrees_with_tshark() {
    for case in all_cases() {
        let frames = frames_of(&case);
        let tshark = case.tshark().unwrap_or_else(|error| panic!("{error}"));
        for (frame, packet) in frames.iter().zip(&tshark) {
            let context = format!("{} {frame}", case.name);
            let udp = frame.udp().expect("every real frame is UDP");
            let ip_len = frame.ip_packet_bytes().map(<[u8]>::len);
            let ours = (
                frame.original_len.to_string(),
                udp.src.ip().to_string(),
                udp.dst.ip().to_string(),
                udp.src.port().to_string(),
                udp.dst.port().to_string(),
                (udp.payload.len() + 8).to_string(),
                ip_len.map(|len| len.to_string()),
            );
            let field = |layer: &str, name: &str| packet.field(layer, name).unwrap_or("").to_string();
            let theirs = (
                field("frame", "frame.len"),
                field("ip", "ip.src"),
                field("ip", "ip.dst"),
                field("udp", "udp.srcport"),
                field("udp", "udp.dstport"),
                field("udp", "udp.length"),
                Some(field("ip", "ip.len")),
            );
            assert_eq!(packet.number, frame.number, "{context}");
            assert_eq!(ours, theirs, "{context}");
        }
    }
}

#[test]
fn key_file_messages_are_the_captured_datagrams() {
    for case in all_cases() {
        let frames: BTreeMap<u64, Frame> =
            frames_of(&case).into_iter().map(|frame| (frame.number, frame)).collect();
        let first_time = frames.values().next().map(|frame| frame.timestamp).unwrap_or_default();
        let keys = case.load_keys().unwrap_or_else(|error| panic!("{error}"));
        for message in keys.ike_sas.iter().flat_map(|sa| sa.messages.iter().flatten()) {
            let context = format!("{} frame {}", case.name, message.frame);
            let frame = &frames[&message.frame];
            let udp = frame.udp().expect("ISAKMP rides on UDP");
            assert_eq!((udp.src, udp.dst), (message.src, message.dst), "{context}");
            // Behind NAT only one side of a port-4500 datagram is 4500 (case F).
            let marker_len = if uses_port(frame, NAT_T_PORT) { NON_ESP_MARKER.len() } else { 0 };
            assert_eq!(udp.payload.len(), marker_len + message.length as usize, "{context}");
            let relative = frame.timestamp - first_time;
            assert!(
                relative.abs_diff(Duration::from_secs_f64(message.time)) < Duration::from_micros(1),
                "{context}"
            );
        }
    }
}

#[test]
fn key_file_esp_frames_carry_their_spi() {
    for case in all_cases() {
        let frames = frames_of(&case);
        let keys = case.load_keys().unwrap_or_else(|error| panic!("{error}"));
        for sa in &keys.ipsec_sas {
            let observed = sa.observed.as_ref().expect("real key files say where each SA was seen");
            assert_eq!(observed.frames.len() as u64, observed.packets);
            for number in &observed.frames {
                let frame = &frames[*number as usize - 1];
                let context = format!("{} {frame}", case.name);
                assert!(is_esp_in_udp(frame), "{context}");
                let udp = frame.udp().expect("ESP-in-UDP");
                assert_eq!((udp.src.ip(), udp.dst.ip()), (observed.src, observed.dst), "{context}");
                assert!(frame.payload().is_some_and(|payload| payload.starts_with(&sa.spi)), "{context}");
            }
        }
    }
}
