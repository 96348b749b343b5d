//! The properties the fuzz targets check, shared with the tests that replay
//! the committed fuzz corpora, so a corpus entry means the same thing under
//! `cargo fuzz` and under `cargo test`. Each function panics when its
//! property is violated; that is how a fuzzer learns of a finding.

use crate::esp::EspPacket;
use crate::message::Message;
use crate::natt::Port4500;

/// Bytes -> parse; whatever parses must emit back to exactly these bytes.
pub fn parse_round_trip(data: &[u8]) {
    if let Ok(message) = Message::parse(data) {
        let emitted = message.emit().expect("a parsed message must emit");
        assert_eq!(emitted, data, "emit(parse(b)) != b");
        // The printer must cope with anything the parser accepts.
        let _ = crate::pretty::message_tree(&message).render();
    }
}

/// An arbitrary message -> emit -> parse must give the same message back.
#[cfg(feature = "arbitrary")]
pub fn structured_round_trip(data: &[u8]) {
    use arbitrary::{Arbitrary, Unstructured};
    let Ok(message) = Message::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let Ok(bytes) = message.emit() else { return };
    assert_eq!(Message::parse(&bytes).as_ref(), Ok(&message), "parse(emit(m)) != m");
}

/// Port 4500 demultiplexing (RFC 3948 2): whatever the payload, classify it
/// without panicking and hand each kind to its own parser.
pub fn natt_demux(data: &[u8]) {
    match Port4500::classify(data) {
        Ok(Port4500::Keepalive) => assert_eq!(data, [0xff]),
        Ok(Port4500::Ike(message)) => {
            assert_eq!(&data[4..], message);
            parse_round_trip(message);
        }
        Ok(Port4500::Esp(packet)) => {
            let esp = EspPacket::parse(packet).expect("a classified ESP packet has a header");
            assert_ne!(esp.spi, 0);
        }
        Err(_) => assert!(data.len() < crate::esp::HEADER_LEN),
    }
}
