//! Field trees, one per message, headed by where the message was seen. With a
//! key file: first a key summary per ISAKMP SA, then the messages (decrypted
//! ones with their payloads), then the ESP packets.

use std::io::{self, Write};

use isakmp::hex;
use isakmp::pretty::{Node, message_tree, payloads_tree};
use vectors::keys::Phase1Exchange;

use super::algorithms::{cipher_name, esp_encryption_name, esp_integrity_name, hash_name};
use super::authentication::HashOutcome;
use super::capture::Found;
use super::esp::EspOutcome;
use super::ipsec_keys::{IpsecSaKeys, KeymatSource};
use super::keyed::{EspPacketReport, IkeSaReport, KeyedReport, MessageReport};
use super::keys::{KeyCheck, KeyOwner, Phase1};

pub fn write(found: &Found, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", heading(found))?;
    match &found.message {
        Ok(message) => write!(out, "{}", message_tree(message).render())?,
        Err(err) => writeln!(out, "    Malformed ISAKMP message: {}", found.absolute(err))?,
    }
    writeln!(out)
}

fn heading(found: &Found) -> String {
    let framing = if found.behind_marker { " (non-ESP marker)" } else { "" };
    format!("Frame {}: {} -> {}{}", found.frame, found.src, found.dst, framing)
}

pub fn write_keyed(report: &KeyedReport, out: &mut dyn Write) -> io::Result<()> {
    for sa in &report.ike_sas {
        writeln!(out, "{}", ike_sa_tree(sa).render())?;
    }
    for message in &report.messages {
        write_message(message, out)?;
    }
    for packet in &report.esp_packets {
        writeln!(out, "{}", esp_tree(packet).render())?;
    }
    Ok(())
}

fn ike_sa_tree(sa: &IkeSaReport) -> Node {
    let exchange = match sa.exchange {
        Phase1Exchange::Main => "Main Mode",
        Phase1Exchange::Aggressive => "Aggressive Mode",
    };
    let mut root = Node::new(format!(
        "ISAKMP SA {}/{} ({exchange})",
        hex::encode(&sa.initiator_cookie),
        hex::encode(&sa.responder_cookie),
    ));
    match &sa.phase1 {
        Ok(phase1) => phase1_nodes(phase1, &mut root),
        Err(error) => {
            root.push(Node::new(format!("No keys derived: {error}.")));
            root.push(Node::new(
                "Its encrypted messages cannot be read; plaintext ones are shown as they are.",
            ));
        }
    }
    root.children.extend(sa.ipsec_sas.iter().map(ipsec_sa_node));
    root.children.extend(
        sa.ipsec_problems.iter().map(|problem| Node::new(format!("IPsec SA not derived: {problem}"))),
    );
    root
}

fn phase1_nodes(phase1: &Phase1, root: &mut Node) {
    let suite = phase1.suite;
    root.push(Node::new(
        "Derived from the key file's PSK, cookies, g^xy, Ni_b, Nr_b (RFC 2409 5, Appendix B)",
    ));
    root.push(Node::new(format!(
        "Cipher {}, hash {}, PRF HMAC-{}",
        cipher_name(suite.cipher),
        hash_name(suite.hash),
        hash_name(suite.prf)
    )));
    for key_set in &phase1.key_sets {
        let psk = match key_set.owner {
            KeyOwner::Shared => "the shared PSK".to_owned(),
            KeyOwner::Side(_) => format!("the {}'s PSK", key_set.owner.label()),
        };
        let mut node = Node::new(format!("Keys derived with {psk}"));
        node.children.extend(key_set.checks.iter().map(check_node));
        root.push(node);
    }
}

fn ipsec_sa_node(sa: &IpsecSaKeys) -> Node {
    let source = match &sa.source {
        KeymatSource::QuickMode { message_id, frames } => {
            format!("Quick Mode {message_id:#010x} (frames {frames:?})")
        }
        KeymatSource::KeyFile => {
            "the key file's Quick Mode inputs (its Quick Mode is not in the capture)".to_owned()
        }
    };
    let mut node = Node::new(format!(
        "IPsec SA ESP {:08x}: {} with {}, {}, from {source}",
        sa.spi,
        esp_encryption_name(sa.suite.encryption()),
        esp_integrity_name(sa.suite.integrity()),
        if sa.pfs { "PFS" } else { "no PFS" },
    ));
    node.children.extend(sa.checks.iter().map(check_node));
    node
}

fn check_node(check: &KeyCheck) -> Node {
    let verdict = match check.matches_logged {
        Some(true) => "matches the key file",
        Some(false) => "DIFFERS from the key file",
        None => "not in the key file",
    };
    Node::new(format!("{}: {} ({verdict})", check.label, hex::encode(check.derived.as_bytes())))
}

fn write_message(report: &MessageReport, out: &mut dyn Write) -> io::Result<()> {
    let found = &report.found;
    writeln!(out, "{}", heading(found))?;
    let Ok(message) = &found.message else { return write(found, out) };
    let mut tree = message_tree(message);
    if let Some(original) = report.retransmission_of {
        tree.push(Node::new(format!("Byte-identical retransmission of frame {original}")));
    }
    match &report.decryption {
        Some(Ok(decryption)) => tree.push(payloads_tree(
            &format!(
                "Decrypted with the {} keys, IV {}",
                decryption.key_owner.label(),
                hex::encode(decryption.iv.as_bytes())
            ),
            &decryption.plaintext.payloads,
        )),
        Some(Err(error)) => tree.push(Node::new(format!("Not decrypted: {error}"))),
        None => {}
    }
    if let Some(check) = &report.hash {
        let verdict = match &check.outcome {
            HashOutcome::Valid => "valid".to_owned(),
            HashOutcome::Invalid => "INVALID".to_owned(),
            HashOutcome::Unchecked(reason) => format!("not checked: {reason}"),
        };
        tree.push(Node::new(format!("{}: {verdict} ({} keys)", check.rule.name(), check.key_owner.label())));
    }
    writeln!(out, "{}", tree.render())
}

fn esp_tree(packet: &EspPacketReport) -> Node {
    let found = &packet.found;
    let (src, dst) = match found.udp_ports {
        Some((sport, dport)) => (format!("{}:{sport}", found.src), format!("{}:{dport}", found.dst)),
        None => (found.src.to_string(), found.dst.to_string()),
    };
    let framing = if found.udp_ports.is_some() { "ESP-in-UDP" } else { "ESP" };
    let header = match (packet.esp.spi, packet.esp.sequence) {
        (Some(spi), Some(sequence)) => format!(", SPI {spi:#010x}, sequence {sequence}"),
        _ => String::new(),
    };
    let mut node = Node::new(format!("Frame {}: {framing} {src} -> {dst}{header}", found.frame));
    node.push(Node::new(packet.esp.outcome.to_string()));
    if let EspOutcome::Opened { next_header, default_padding, inner } = &packet.esp.outcome {
        if !default_padding {
            node.push(Node::new("Padding is not the default 1, 2, 3... (RFC 4303 2.4)"));
        }
        if let Ok(inner) = inner {
            let checksum = match inner.header_checksum_valid {
                Some(true) => ", header checksum valid",
                Some(false) => ", header checksum INVALID",
                None => "",
            };
            let version = if *next_header == 4 { "IPv4" } else { "IPv6" };
            node.push(Node::new(format!(
                "Inner {version}: {} -> {}, protocol {} ({}){checksum}",
                inner.src,
                inner.dst,
                inner.protocol_name(),
                inner.protocol
            )));
            if let Some(icmp) = inner.icmp {
                node.push(Node::new(format!("ICMP type {}, code {}", icmp.icmp_type, icmp.code)));
            }
        }
    }
    node
}
