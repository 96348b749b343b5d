//! Renders events as Cisco IOS `debug crypto isakmp` lines:
//!
//! ```text
//! ISAKMP:(0):Old State = IKE_I_MM1  New State = IKE_I_MM2
//! ISAKMP:(1001):atts are acceptable. Next payload is 0
//! ```

use super::{Trace, TraceEvent};

/// The IOS lines for one event, without trailing newlines.
pub fn render(event: &TraceEvent) -> Vec<String> {
    let c = event.conn_id;
    let peer = event.peer.map_or_else(|| "?".to_owned(), |peer| peer.ip().to_string());
    let tagged = |text: String| format!("ISAKMP:({c}):{text}");
    let spaced = |text: String| format!("ISAKMP ({c}): {text}");
    match &event.trace {
        Trace::StateChange { input, old, new, node } => {
            let input = match node {
                Some(node) => tagged(format!("Node {node}, Input = {input}")),
                None => tagged(format!("Input = {input}")),
            };
            vec![input, tagged(format!("Old State = {old}  New State = {new}"))]
        }
        Trace::Sent { state, role, local_port, peer_port, retransmission } => {
            let what = if *retransmission { "retransmitting" } else { "sending" };
            vec![tagged(format!(
                " {what} packet to {peer} my_port {local_port} peer_port {peer_port} ({}) {state}",
                role.letter()
            ))]
        }
        Trace::Received { state, role, local_port, peer_port } => vec![spaced(format!(
            "received packet from {peer} dport {local_port} sport {peer_port} Global ({}) {state}",
            role.letter()
        ))],
        Trace::BeginExchange { exchange, message_id } if *message_id == 0 => {
            vec![tagged(format!(" beginning {exchange} exchange"))]
        }
        Trace::BeginExchange { exchange, message_id } => {
            vec![tagged(format!("beginning {exchange} exchange, M-ID of {message_id}"))]
        }
        Trace::Processing { payload, message_id } => {
            vec![tagged(format!(" processing {payload} payload. message ID = {message_id}"))]
        }
        Trace::VendorId { name } => vec![tagged(format!(" vendor ID is {name}"))],
        Trace::ConstructedVendorId { name } => vec![tagged(format!(" constructed {name} ID"))],
        Trace::CheckingTransform { transform, priority, attributes } => {
            let mut lines = vec![tagged(format!(
                "Checking ISAKMP transform {transform} against priority {priority} policy"
            ))];
            lines.extend(attributes.iter().map(|attribute| format!("ISAKMP:      {attribute}")));
            lines
        }
        Trace::AttributesAcceptable => vec![tagged("atts are acceptable. Next payload is 0".to_owned())],
        Trace::AttributesNotAcceptable { reason } => {
            vec![tagged(reason.to_string()), tagged("atts are not acceptable. Next payload is 0".to_owned())]
        }
        Trace::PskFound { peer } => vec![tagged(format!("found peer pre-shared key matching {peer}"))],
        Trace::PskNotFound { peer } => vec![tagged(format!("No pre-shared key with {peer}!"))],
        Trace::NatDetected { local_behind_nat, peer_behind_nat } => {
            let mut lines = Vec::new();
            if *peer_behind_nat {
                lines.push(spaced("His hash no match - this node outside NAT".to_owned()));
            }
            if *local_behind_nat {
                lines.push(spaced("My hash no match - this node inside NAT".to_owned()));
            }
            if lines.is_empty() {
                lines.push(spaced("No NAT Found for self or peer".to_owned()));
            }
            lines
        }
        Trace::PortFloat { local_port, peer_port } => {
            vec![tagged(format!("Detected port,floating to port = {local_port} (peer port {peer_port})"))]
        }
        Trace::IdentityPayload { id_type, identity, protocol, port } => vec![spaced(format!(
            "ID payload type : {id_type} identity : {identity} protocol : {protocol} port : {port}"
        ))],
        Trace::Authenticated => vec![
            tagged("SA authentication status:".to_owned()),
            "        authenticated".to_owned(),
            tagged(format!("SA has been authenticated with {peer}")),
        ],
        Trace::AuthenticationFailed { reason } => {
            vec![tagged("SA authentication status:".to_owned()), format!("        failed: {reason}")]
        }
        Trace::SendInitialContact => vec![tagged("Send initial contact".to_owned())],
        Trace::NotifySent { notify, protocol, encrypted } => {
            let how = if *encrypted { "" } else { " (unencrypted)" };
            vec![tagged(format!("Sending NOTIFY {notify} protocol {protocol}{how}"))]
        }
        Trace::NotifyReceived { notify, protocol, encrypted } => {
            let how = if *encrypted { "" } else { " (unencrypted)" };
            vec![tagged(format!("processing NOTIFY {notify} protocol {protocol}{how}"))]
        }
        Trace::DeleteSent { protocol, spis } => {
            vec![tagged(format!("Sending DELETE protocol {protocol} spi {}", spis.join(",")))]
        }
        Trace::DeleteReceived { protocol, spis } => {
            vec![tagged(format!(" processing DELETE payload protocol {protocol} spi {}", spis.join(",")))]
        }
        Trace::Retransmit { count, limit, state } => vec![
            spaced(format!(
                "incrementing error counter on sa, attempt {count} of {limit}: retransmit phase 1"
            )),
            tagged(format!(" retransmitting phase 1 {state}...")),
        ],
        Trace::DuplicateRequest => {
            vec![tagged(" phase 1 packet is a duplicate of a previous packet.".to_owned())]
        }
        Trace::Dropped { reason, detail } => {
            let reason = serde_json::to_value(reason).ok().and_then(|v| v.as_str().map(str::to_owned));
            vec![tagged(format!("dropping packet: {}: {detail}", reason.unwrap_or_default()))]
        }
        Trace::Deleted { reason, state, role } => vec![tagged(format!(
            "deleting SA reason \"{reason}\" state ({}) {state} (peer {peer})",
            role.letter()
        ))],
        Trace::Expired { soft: true } => vec![tagged("SA lifetime soft expiry, re-keying".to_owned())],
        Trace::Expired { soft: false } => vec![tagged("SA lifetime expired".to_owned())],
        Trace::Impaired { impairment, detail } => vec![tagged(format!("IMPAIR {impairment}: {detail}"))],
        Trace::Lifetime { seconds } => vec![tagged(format!(":Started lifetime timer: {seconds}."))],
        Trace::InvalidSpi { spi, reported } => {
            let action = if *reported { ", sending INVALID-SPI" } else { "" };
            vec![format!(
                "%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi 0x{spi} from {peer}{action}"
            )]
        }
    }
}

/// Renders a sequence of events as one text block.
pub fn render_all<'a>(events: impl IntoIterator<Item = &'a TraceEvent>) -> String {
    let mut out = String::new();
    for event in events {
        for line in render(event) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}
