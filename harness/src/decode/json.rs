//! JSON Lines: one object per line, its `kind` saying what it describes. The
//! schema is in the module documentation of `decode`.

use std::io::{self, Write};

use isakmp::numbers::PayloadType;
use isakmp::{Body, Message, Payload, PayloadBody, PayloadsExt, hex};
use serde_json::{Map, Value, json};

use super::algorithms::{esp_encryption_name, esp_integrity_name};
use super::authentication::HashOutcome;
use super::capture::Found;
use super::ipsec_keys::{IpsecSaKeys, KeymatSource};
use super::keyed::{EspPacketReport, IkeSaReport, KeyedReport, MessageReport};

pub fn write(found: &Found, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", Value::Object(message_object(found)))
}

pub fn write_keyed(report: &KeyedReport, out: &mut dyn Write) -> io::Result<()> {
    for sa in &report.ike_sas {
        writeln!(out, "{}", ike_sa_object(sa))?;
    }
    for message in &report.messages {
        writeln!(out, "{}", Value::Object(keyed_message_object(message)))?;
    }
    for packet in &report.esp_packets {
        writeln!(out, "{}", esp_object(packet))?;
    }
    Ok(())
}

fn message_object(found: &Found) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("kind".into(), "message".into());
    object.insert("frame".into(), found.frame.into());
    object.insert("src".into(), found.src.ip().to_string().into());
    object.insert("dst".into(), found.dst.ip().to_string().into());
    object.insert("sport".into(), found.src.port().into());
    object.insert("dport".into(), found.dst.port().into());
    object.insert("non_esp_marker".into(), found.behind_marker.into());
    object.insert("length".into(), found.bytes.len().into());
    match &found.message {
        Ok(message) => object.extend(header_fields(message)),
        Err(err) => {
            let err = found.absolute(err);
            object.insert("error".into(), err.to_string().into());
            object.insert("offset".into(), err.offset.into());
        }
    }
    object
}

fn header_fields(message: &Message) -> Map<String, Value> {
    let h = &message.header;
    let mut fields = Map::new();
    fields.insert("initiator_cookie".into(), h.initiator_cookie.to_string().into());
    fields.insert("responder_cookie".into(), h.responder_cookie.to_string().into());
    fields.insert("exchange".into(), h.exchange.to_string().into());
    fields.insert("exchange_type".into(), h.exchange.0.into());
    fields.insert("version".into(), h.version.to_string().into());
    fields.insert("flags".into(), json!(h.flags.letters()));
    fields.insert("flags_byte".into(), h.flags.0.into());
    fields.insert("message_id".into(), h.message_id.to_string().into());
    fields.extend(payload_fields(message.payloads()));
    fields.insert("first_payload".into(), message.body.first_type().short_label().into());
    fields.insert("encrypted".into(), matches!(message.body, Body::Encrypted { .. }).into());
    fields
}

/// `payloads` (short names) and `payload_types` (numbers), and what Notify and
/// Delete payloads say: `notify_types`, `delete_spis` (when there are any).
fn payload_fields(payloads: &[Payload]) -> Map<String, Value> {
    let types = payloads.types();
    let mut fields = Map::new();
    fields.insert("payloads".into(), json!(types.iter().map(|t| t.short_label()).collect::<Vec<_>>()));
    fields.insert("payload_types".into(), json!(types.iter().map(|t| t.0).collect::<Vec<_>>()));
    let notify_types: Vec<u16> = payloads
        .of_type(PayloadType::NOTIFICATION)
        .filter_map(|body| match body {
            PayloadBody::Notification(notification) => Some(notification.notify_type.0),
            _ => None,
        })
        .collect();
    if !notify_types.is_empty() {
        fields.insert("notify_types".into(), json!(notify_types));
    }
    let delete_spis: Vec<String> = payloads
        .of_type(PayloadType::DELETE)
        .filter_map(|body| match body {
            PayloadBody::Delete(delete) => Some(delete.spis.iter().map(hex::encode).collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .collect();
    if !delete_spis.is_empty() {
        fields.insert("delete_spis".into(), json!(delete_spis));
    }
    fields
}

fn keyed_message_object(report: &MessageReport) -> Map<String, Value> {
    let mut object = message_object(&report.found);
    object.insert("decrypted".into(), report.is_decrypted().into());
    if report.found.message.is_err() {
        return object;
    }
    object.extend(payload_fields(report.payloads()));
    if let Some(from) = report.from {
        object.insert("from".into(), json!(from));
    }
    if let Some(original) = report.retransmission_of {
        object.insert("retransmission_of".into(), original.into());
    }
    match &report.decryption {
        Some(Ok(decryption)) => {
            object.insert("decrypted_with".into(), decryption.key_owner.label().into());
            object.insert("iv".into(), hex::encode(decryption.iv.as_bytes()).into());
        }
        Some(Err(error)) => {
            object.insert("decrypt_error".into(), error.as_str().into());
        }
        None => {}
    }
    if let Some(check) = &report.hash {
        let mut hash = Map::new();
        hash.insert("name".into(), check.rule.name().into());
        hash.insert("key_set".into(), check.key_owner.label().into());
        let valid = match &check.outcome {
            HashOutcome::Valid => Value::Bool(true),
            HashOutcome::Invalid => Value::Bool(false),
            HashOutcome::Unchecked(reason) => {
                hash.insert("unchecked".into(), reason.as_str().into());
                Value::Null
            }
        };
        hash.insert("valid".into(), valid);
        object.insert("hash".into(), Value::Object(hash));
    }
    object
}

fn ike_sa_object(sa: &IkeSaReport) -> Value {
    let mut object = Map::new();
    object.insert("kind".into(), "ike_sa".into());
    object.insert("ike_sa".into(), hex::encode(&sa.initiator_cookie).into());
    object.insert("responder_cookie".into(), hex::encode(&sa.responder_cookie).into());
    object.insert("exchange".into(), json!(sa.exchange));
    object.insert("keys_derived".into(), sa.phase1.is_ok().into());
    match &sa.phase1 {
        Ok(phase1) => {
            let owners: Vec<&str> = phase1.key_sets.iter().map(|set| set.owner.label()).collect();
            object.insert("key_sets".into(), json!(owners));
        }
        Err(error) => {
            object.insert("error".into(), error.to_string().into());
        }
    }
    let derived: Map<String, Value> =
        sa.checks().map(|check| (check.name.clone(), hex::encode(check.derived.as_bytes()).into())).collect();
    object.insert("derived".into(), Value::Object(derived));
    object.insert("keys_match".into(), json!(sa.keys_match()));
    object.insert("ipsec_sas".into(), sa.ipsec_sas.iter().map(ipsec_sa_object).collect());
    if !sa.ipsec_problems.is_empty() {
        object.insert("ipsec_sa_errors".into(), json!(sa.ipsec_problems));
    }
    Value::Object(object)
}

fn ipsec_sa_object(sa: &IpsecSaKeys) -> Value {
    let mut object = json!({
        "spi": format!("{:08x}", sa.spi),
        "protocol": "ESP",
        "encryption": esp_encryption_name(sa.suite.encryption()),
        "integrity": esp_integrity_name(sa.suite.integrity()),
        "pfs": sa.pfs,
    });
    let source = match &sa.source {
        KeymatSource::QuickMode { message_id, frames } => {
            json!({"source": "quick_mode", "message_id": format!("{message_id:#010x}"), "frames": frames})
        }
        KeymatSource::KeyFile => json!({"source": "key_file"}),
    };
    if let (Value::Object(into), Value::Object(from)) = (&mut object, source) {
        into.extend(from);
    }
    object
}

fn esp_object(packet: &EspPacketReport) -> Value {
    let found = &packet.found;
    let esp = &packet.esp;
    let mut object = Map::new();
    object.insert("kind".into(), "esp".into());
    object.insert("frame".into(), found.frame.into());
    object.insert("src".into(), found.src.to_string().into());
    object.insert("dst".into(), found.dst.to_string().into());
    object.insert("udp_encapsulated".into(), found.udp_ports.is_some().into());
    if let Some((sport, dport)) = found.udp_ports {
        object.insert("sport".into(), sport.into());
        object.insert("dport".into(), dport.into());
    }
    if let (Some(spi), Some(sequence)) = (esp.spi, esp.sequence) {
        object.insert("spi".into(), format!("{spi:08x}").into());
        object.insert("seq".into(), sequence.into());
    }
    let inner = esp.outcome.inner();
    object.insert("decapsulated".into(), inner.is_some().into());
    object.insert("icv_valid".into(), json!(esp.outcome.icv_valid()));
    match inner {
        Some(inner) => {
            object.insert("protocol".into(), inner.protocol.into());
            object.insert("protocol_name".into(), inner.protocol_name().into());
            object.insert("inner_src".into(), inner.src.to_string().into());
            object.insert("inner_dst".into(), inner.dst.to_string().into());
            if let Some(valid) = inner.header_checksum_valid {
                object.insert("ipv4_checksum_valid".into(), valid.into());
            }
            if let Some(icmp) = inner.icmp {
                object.insert("icmp_type".into(), icmp.icmp_type.into());
                object.insert("icmp_code".into(), icmp.code.into());
            }
        }
        None => {
            object.insert("error".into(), esp.outcome.to_string().into());
        }
    }
    Value::Object(object)
}
