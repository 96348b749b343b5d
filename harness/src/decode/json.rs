//! JSON Lines: one object per ISAKMP message.

use std::io::{self, Write};

use isakmp::{Body, Message};
use serde_json::{Value, json};

use super::{Found, absolute};

pub fn write(found: &Found<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut object = json!({
        "frame": found.frame,
        "src": found.src.ip().to_string(),
        "dst": found.dst.ip().to_string(),
        "sport": found.src.port(),
        "dport": found.dst.port(),
        "non_esp_marker": found.behind_marker,
        "length": found.bytes.len(),
    });
    match &found.message {
        Ok(message) => merge(&mut object, message_fields(message)),
        Err(err) => {
            let err = absolute(err, found);
            merge(&mut object, json!({ "error": err.to_string(), "offset": err.offset }))
        }
    }
    writeln!(out, "{object}")
}

fn message_fields(message: &Message) -> Value {
    let h = &message.header;
    let payloads: Vec<String> = match &message.body {
        Body::Plain(payloads) => payloads.iter().map(|p| p.payload_type().short_label()).collect(),
        Body::Encrypted { .. } => Vec::new(),
    };
    json!({
        "initiator_cookie": h.initiator_cookie.to_string(),
        "responder_cookie": h.responder_cookie.to_string(),
        "exchange": h.exchange.to_string(),
        "exchange_type": h.exchange.0,
        "version": h.version.to_string(),
        "flags": h.flags.letters(),
        "flags_byte": h.flags.0,
        "message_id": h.message_id.to_string(),
        "payloads": payloads,
        "first_payload": message.body.first_type().short_label(),
        "encrypted": message.is_encrypted(),
    })
}

fn merge(object: &mut Value, extra: Value) {
    if let (Value::Object(into), Value::Object(from)) = (object, extra) {
        into.extend(from);
    }
}
