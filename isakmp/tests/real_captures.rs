//! Layer 3 of DESIGN.md's tests: every ISAKMP datagram that real strongSwan
//! and Libreswan exchanged (vectors/real) parses, and re-emits byte for byte.

use isakmp::natt::IkeDatagram;
use isakmp::{Body, Message};
use vectors::Case;
use vectors::capture::Frame;

#[test]
fn every_isakmp_datagram_in_every_real_capture_round_trips() {
    let cases = Case::all().expect("vectors/real");
    assert_eq!(cases.len(), 10);
    let mut total = 0;
    for case in cases {
        let frames = case.frames().expect("capture loads");
        let messages = isakmp_messages(&frames);
        assert!(!messages.is_empty(), "{}: no ISAKMP messages", case.name);
        for (frame, bytes) in messages {
            let message =
                Message::parse(bytes).unwrap_or_else(|err| panic!("{} frame {frame}: {err}", case.name));
            assert_eq!(message.emit().unwrap(), bytes, "{} frame {frame}", case.name);
            if let Body::Plain(payloads) = &message.body {
                assert!(!payloads.is_empty(), "{} frame {frame}: no payloads", case.name);
            }
            total += 1;
        }
    }
    // 9+6+9+9+9+15+10+2+9+11 ISAKMP messages in the ten cases (their READMEs).
    assert_eq!(total, 89);
}

fn isakmp_messages(frames: &[Frame]) -> Vec<(u64, &[u8])> {
    frames
        .iter()
        .filter_map(|frame| {
            let udp = frame.udp()?;
            let payload = frame.payload()?;
            match IkeDatagram::classify(udp.src.port(), udp.dst.port(), payload)? {
                Ok(IkeDatagram::Ike { message, .. }) => Some((frame.number, message)),
                _ => None,
            }
        })
        .collect()
}
