//! Differential test against Wireshark: for every unencrypted ISAKMP message
//! in the real captures, our decoding and tshark's (vectors/real/*/tshark.json,
//! Wireshark 4.0.17) agree on the header fields, the payload chain, every
//! SA proposal, transform and attribute, KE, nonce, IDs, vendor IDs, NAT-D
//! hashes, notifications and deletes.
//!
//! Both sides are flattened to the same `field=value` lines so that a
//! disagreement shows up as a readable diff.

use isakmp::natt::IkeDatagram;
use isakmp::payload::{Identity, Payload, PayloadBody, Proposal, Transform};
use isakmp::{AttributeValue, Message};
use serde_json::{Map, Value};
use vectors::Case;
use vectors::tshark::TsharkPacket;

#[test]
fn unencrypted_messages_decode_as_wireshark_decodes_them() {
    let mut compared = 0;
    for case in Case::all().unwrap() {
        let frames = case.frames().unwrap();
        let packets = case.tshark().unwrap();
        for frame in &frames {
            let (Some(udp), Some(payload)) = (frame.udp(), frame.payload()) else {
                continue;
            };
            let Some(Ok(IkeDatagram::Ike { message, .. })) =
                IkeDatagram::classify(udp.src.port(), udp.dst.port(), payload)
            else {
                continue;
            };
            let message = Message::parse(message).unwrap();
            if message.is_encrypted() {
                continue;
            }
            let packet = packets.iter().find(|p| p.number == frame.number).unwrap();
            let ours = model_lines(&message);
            let theirs = tshark_lines(packet);
            assert_eq!(ours, theirs, "{} frame {}", case.name, frame.number);
            compared += 1;
        }
    }
    // 36 of the 89 messages travel in the clear (the others are encrypted).
    assert_eq!(compared, 36);
}

// ---- our side -------------------------------------------------------------

fn model_lines(message: &Message) -> Vec<String> {
    let h = &message.header;
    let mut lines = vec![
        format!("ispi={}", colon(&h.initiator_cookie.0)),
        format!("rspi={}", colon(&h.responder_cookie.0)),
        format!("version={:#04x}", h.version.0),
        format!("exchange={}", h.exchange.0),
        format!("flags={:#04x}", h.flags.0),
        format!("message_id={:#010x}", h.message_id.0),
        format!("length={}", message.emit().unwrap().len()),
    ];
    let payloads = message.payloads();
    for (index, payload) in payloads.iter().enumerate() {
        let next = payloads.get(index + 1).map_or(0, |p| p.payload_type().0);
        payload_lines(payload, next, &mut lines);
    }
    lines
}

fn payload_lines(payload: &Payload, next: u8, lines: &mut Vec<String>) {
    let length = payload.body.to_body_bytes().unwrap().len() + 4;
    lines.push(format!(
        "payload type={} next={next} reserved={:02x} length={length}",
        payload.payload_type().0,
        payload.reserved
    ));
    match &payload.body {
        PayloadBody::SecurityAssociation(sa) => {
            lines.push(format!("sa doi={}", sa.doi.0));
            if let isakmp::payload::SaContent::Ipsec(ipsec) = &sa.content {
                lines.push(format!("sa situation={}", colon(&ipsec.situation.0.to_be_bytes())));
            }
            for proposal in sa.proposals() {
                proposal_lines(proposal, lines);
            }
        }
        PayloadBody::KeyExchange(data) => lines.push(format!("ke={}", colon(data))),
        PayloadBody::Nonce(data) => lines.push(format!("nonce={}", colon(data))),
        PayloadBody::Hash(data) => lines.push(format!("hash={}", colon(data))),
        PayloadBody::VendorId(data) => lines.push(format!("vid={}", colon(data))),
        PayloadBody::NatDiscovery(nat_d) => lines.push(format!("nat_hash={}", colon(&nat_d.hash))),
        PayloadBody::Identification(id) => {
            let data = match &id.identity {
                Identity::Fqdn(name) => format!("fqdn:{}", String::from_utf8_lossy(name)),
                Identity::Ipv4(address) => format!("ipv4_addr:{address}"),
                other => format!("other:{other}"),
            };
            lines.push(format!(
                "id type={} protoid={} port={} data={data}",
                id.identity.id_type().0,
                id.protocol,
                id.port
            ));
        }
        PayloadBody::Notification(n) => lines.push(format!(
            "notify doi={} protoid={} spisize={} msgtype={} spi={} data={}",
            n.doi.0,
            n.protocol.0,
            n.spi.len(),
            n.notify_type.0,
            colon(&n.spi),
            colon(&n.data)
        )),
        PayloadBody::Delete(d) => {
            let spis: Vec<String> = d.spis.iter().map(colon).collect();
            lines.push(format!(
                "delete doi={} protoid={} spisize={} spinum={} spi={}",
                d.doi.0,
                d.protocol.0,
                d.spis.size(),
                d.spis.count(),
                spis.join(",")
            ));
        }
        other => panic!("the captures hold no {other:?}; extend the comparison first"),
    }
}

fn proposal_lines(proposal: &Proposal, lines: &mut Vec<String>) {
    lines.push(format!(
        "proposal number={} protoid={} spisize={} transforms={} spi={}",
        proposal.number,
        proposal.protocol.0,
        proposal.spi.len(),
        proposal.transforms.len(),
        colon(&proposal.spi)
    ));
    for transform in &proposal.transforms {
        transform_lines(transform, lines);
    }
}

fn transform_lines(transform: &Transform, lines: &mut Vec<String>) {
    lines.push(format!("transform number={} id={}", transform.number, transform.transform_id));
    for attribute in &transform.attributes {
        let (format, value) = match &attribute.value {
            AttributeValue::Basic(value) => (1, colon(&value.to_be_bytes())),
            AttributeValue::Variable(bytes) => (0, colon(bytes)),
        };
        lines.push(format!("attr format={format} type={} value={value}", attribute.kind));
    }
}

fn colon(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

// ---- tshark's side --------------------------------------------------------

fn tshark_lines(packet: &TsharkPacket) -> Vec<String> {
    let isakmp = packet.layer("isakmp").expect("an isakmp layer");
    let field = |name: &str| text(isakmp, name);
    let mut lines = vec![
        format!("ispi={}", field("isakmp.ispi")),
        format!("rspi={}", field("isakmp.rspi")),
        format!("version={}", field("isakmp.version")),
        format!("exchange={}", field("isakmp.exchangetype")),
        format!("flags={}", field("isakmp.flags")),
        format!("message_id={}", field("isakmp.messageid")),
        format!("length={}", field("isakmp.length")),
    ];
    let types = list(isakmp.get("isakmp.typepayload"));
    let trees = list(isakmp.get("isakmp.typepayload_tree"));
    assert_eq!(types.len(), trees.len());
    for (kind, tree) in types.iter().zip(trees) {
        tshark_payload_lines(kind.as_str().unwrap(), tree.as_object().unwrap(), &mut lines);
    }
    lines
}

fn tshark_payload_lines(kind: &str, tree: &Map<String, Value>, lines: &mut Vec<String>) {
    let field = |name: &str| text(tree, name);
    lines.push(format!(
        "payload type={kind} next={} reserved={} length={}",
        field("isakmp.nextpayload"),
        field("isakmp.reserved"),
        field("isakmp.payloadlength")
    ));
    match kind {
        "1" => {
            lines.push(format!("sa doi={}", field("isakmp.sa.doi")));
            lines.push(format!("sa situation={}", field("isakmp.sa.situation")));
            for proposal in list(tree.get("isakmp.typepayload_tree")) {
                let proposal = proposal.as_object().unwrap();
                let p = |name: &str| text(proposal, name);
                lines.push(format!(
                    "proposal number={} protoid={} spisize={} transforms={} spi={}",
                    p("isakmp.prop.number"),
                    p("isakmp.prop.protoid"),
                    p("isakmp.spisize"),
                    p("isakmp.prop.transforms"),
                    p("isakmp.spi")
                ));
                for transform in list(proposal.get("isakmp.typepayload_tree")) {
                    tshark_transform_lines(transform.as_object().unwrap(), lines);
                }
            }
        }
        "4" => lines.push(format!("ke={}", field("isakmp.key_exchange.data"))),
        "10" => lines.push(format!("nonce={}", field("isakmp.nonce"))),
        "8" => lines.push(format!("hash={}", field("isakmp.hash"))),
        "13" => lines.push(format!("vid={}", field("isakmp.vid_bytes"))),
        "20" | "130" => lines.push(format!("nat_hash={}", field("isakmp.ike.nat_hash"))),
        "5" => {
            let data = tree["isakmp.id.data"].as_object().unwrap();
            let (key, value) = data.iter().next().unwrap();
            lines.push(format!(
                "id type={} protoid={} port={} data={}:{}",
                field("isakmp.id.type"),
                field("isakmp.id.protoid"),
                field("isakmp.id.port"),
                key.trim_start_matches("isakmp.id.data."),
                value.as_str().unwrap()
            ));
        }
        "11" => lines.push(format!(
            "notify doi={} protoid={} spisize={} msgtype={} spi={} data={}",
            field("isakmp.notify.doi"),
            field("isakmp.notify.protoid"),
            field("isakmp.spisize"),
            field("isakmp.notify.msgtype"),
            field("isakmp.spi"),
            field("isakmp.notify.data")
        )),
        "12" => {
            let spis: Vec<&str> =
                list(tree.get("isakmp.delete.spi")).iter().map(|v| v.as_str().unwrap()).collect();
            lines.push(format!(
                "delete doi={} protoid={} spisize={} spinum={} spi={}",
                field("isakmp.delete.doi"),
                field("isakmp.delete.protoid"),
                field("isakmp.spisize"),
                field("isakmp.spinum"),
                spis.join(",")
            ));
        }
        other => panic!("tshark shows payload type {other}; extend the comparison first"),
    }
}

fn tshark_transform_lines(transform: &Map<String, Value>, lines: &mut Vec<String>) {
    lines.push(format!(
        "transform number={} id={}",
        text(transform, "isakmp.trans.number"),
        text(transform, "isakmp.trans.id")
    ));
    let attributes = transform.get("isakmp.ike.attr").or_else(|| transform.get("isakmp.ipsec.attr"));
    for attribute in list(attributes) {
        let attribute = attribute.as_object().unwrap();
        let format = attribute
            .iter()
            .find(|(key, _)| key.ends_with(".attr.format"))
            .and_then(|(_, v)| v.as_str())
            .unwrap();
        let field = |suffix: &str| {
            attribute.iter().find(|(key, _)| key.ends_with(suffix)).and_then(|(_, v)| v.as_str()).unwrap()
        };
        lines.push(format!(
            "attr format={format} type={} value={}",
            field(".attr.type"),
            field(".attr.value")
        ));
    }
}

/// tshark writes one child as an object and several as an array.
fn list(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
        None => Vec::new(),
    }
}

/// A string field; absent fields (e.g. an empty SPI) read as empty.
fn text<'a>(tree: &'a Map<String, Value>, name: &str) -> &'a str {
    tree.get(name).and_then(Value::as_str).unwrap_or("")
}
