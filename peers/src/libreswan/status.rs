//! Reading `whack --status` (Libreswan 4.10) and `ip xfrm state` (the guest kernel's
//! SAD, which holds the ESP keys).
//!
//! The state lines look like
//! ```text
//! 000 #1: "sw":4500 STATE_MAIN_R3 (IKE SA established); REPLACE in 3327s; newest; ...
//! 000 #2: "sw":4500 STATE_QUICK_R2 (IPsec SA established); REPLACE in 1528s; newest; eroute owner; ISAKMP SA #1; idle;
//! 000 #2: "sw" esp.1528e7ef@192.0.2.1 esp.cff768a4@192.0.2.2 tun.0@192.0.2.1 tun.0@192.0.2.2 Traffic: ESPin=252B ESPout=252B ESPmax=2^63B
//! 000 "sw":   IKEv1 algorithm newest: AES_CBC_128-HMAC_SHA2_256-MODP2048
//! 000 "sw":   ESP algorithm newest: AES_CBC_128-HMAC_SHA2_256_128; pfsgroup=MODP2048
//! ```
//! The first `esp.SPI@address` is the outbound SA (the peer's SPI), the second the
//! inbound one. A port other than 500 after the conn name (4500, or what a NAT mapped
//! it to) means NAT-T: ESP in UDP. `pfsgroup=` is the connection's configured group,
//! whatever Quick Mode negotiated (pluto 4.10 as responder accepts the initiator's
//! group and still shows its own).

use std::collections::BTreeMap;

use crate::peer::keys::{EspSaKeys, cipher_from_name, group_token, integrity_from_name};
use crate::peer::status::{ChildSaStatus, Endpoint, IkeSaStatus, PeerStatus};

pub(crate) fn parse_whack_status(text: &str) -> PeerStatus {
    let mut ike_algorithms = BTreeMap::new();
    let mut esp_algorithms = BTreeMap::new();
    let mut ike_sas: Vec<(u32, IkeSaStatus)> = Vec::new();
    let mut children: Vec<(u32, Option<u32>, ChildSaStatus)> = Vec::new();
    for line in text.lines().map(|line| line.strip_prefix("000 ").unwrap_or(line).trim()) {
        if let Some((conn, rest)) = conn_line(line) {
            if let Some(algorithms) = rest.strip_prefix("IKEv1 algorithm newest: ") {
                ike_algorithms.insert(conn.to_owned(), ike_proposal(algorithms));
            } else if let Some(algorithms) = rest.strip_prefix("ESP algorithm newest: ") {
                esp_algorithms.insert(conn.to_owned(), esp_proposal(algorithms));
            }
            continue;
        }
        let Some((serial, conn, port, rest)) = state_line(line) else { continue };
        if rest.starts_with("STATE_QUICK") {
            let state = rest.split_whitespace().next().unwrap_or_default().to_owned();
            children.push((
                serial,
                number_after(rest, "ISAKMP SA #").map(|parent| parent as u32),
                ChildSaStatus {
                    id: Some(format!("#{serial}")),
                    name: conn.to_owned(),
                    installed: rest.contains("(IPsec SA established)"),
                    state,
                    mode: "tunnel".into(),
                    // NAT-T moved the exchange off 500: to 4500, or to a port a NAT mapped.
                    udp_encapsulated: port.is_some_and(|port| port != 500),
                    rekey_in_secs: number_after(rest, "REPLACE in "),
                    ..ChildSaStatus::default()
                },
            ));
        } else if rest.starts_with("STATE_") {
            ike_sas.push((
                serial,
                IkeSaStatus {
                    id: Some(format!("#{serial}")),
                    connection: conn.to_owned(),
                    state: rest.split_whitespace().next().unwrap_or_default().to_owned(),
                    established: rest.contains("SA established)"),
                    remote: port.map(|port| Endpoint { address: [0, 0, 0, 0].into(), port: Some(port) }),
                    rekey_in_secs: number_after(rest, "REPLACE in "),
                    ..IkeSaStatus::default()
                },
            ));
        } else if rest.contains("esp.")
            && let Some((_, _, child)) = children.iter_mut().rev().find(|(number, _, _)| *number == serial)
        {
            traffic(child, rest);
        }
    }
    for (_, sa) in &mut ike_sas {
        sa.proposal = ike_algorithms.get(&sa.connection).cloned().flatten();
    }
    let with_algorithms = |child: &ChildSaStatus| {
        let mut child = child.clone();
        if let Some(Some((proposal, pfs))) = esp_algorithms.get(&child.name) {
            child.proposal = Some(proposal.clone());
            child.pfs_group = pfs.clone();
            child.pfs_group_is_configured = true;
        }
        child
    };
    let serials: Vec<u32> = ike_sas.iter().map(|(serial, _)| *serial).collect();
    let mut status = PeerStatus::default();
    for (serial, mut sa) in ike_sas {
        let own = children.iter().filter(|(_, parent, _)| *parent == Some(serial));
        sa.children.extend(own.map(|(_, _, child)| with_algorithms(child)));
        status.ike_sas.push(sa);
    }
    // IPsec SAs whose ISAKMP SA is gone live on in IKEv1; they hang off a stand-in
    // that is not established, so `installed_children` still sees them.
    for (_, _, child) in children.iter().filter(|(_, parent, _)| parent.is_none_or(|p| !serials.contains(&p)))
    {
        status.ike_sas.push(IkeSaStatus {
            connection: child.name.clone(),
            state: ORPHANED.into(),
            children: vec![with_algorithms(child)],
            ..IkeSaStatus::default()
        });
    }
    status
}

/// The state of the stand-in for an ISAKMP SA that no longer exists.
pub(crate) const ORPHANED: &str = "(no ISAKMP SA)";

/// `"sw":   rest` (a connection description line).
fn conn_line(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('"')?;
    let (conn, rest) = rest.split_once('"')?;
    Some((conn, rest.strip_prefix(':')?.trim()))
}

/// `#2: "sw":4500 rest` -> (2, "sw", Some(4500), rest).
fn state_line(line: &str) -> Option<(u32, &str, Option<u16>, &str)> {
    let rest = line.strip_prefix('#')?;
    let (serial, rest) = rest.split_once(": \"")?;
    let (conn, rest) = rest.split_once('"')?;
    let (port, rest) = match rest.strip_prefix(':') {
        Some(rest) => {
            let (port, rest) = rest.split_once(' ')?;
            (port.parse().ok(), rest)
        }
        None => (None, rest),
    };
    Some((serial.parse().ok()?, conn, port, rest.trim()))
}

/// `esp.1528e7ef@192.0.2.1 esp.cff768a4@192.0.2.2 ... Traffic: ESPin=252B ESPout=252B`
fn traffic(child: &mut ChildSaStatus, rest: &str) {
    let spis: Vec<u32> = rest
        .split_whitespace()
        .filter_map(|word| word.strip_prefix("esp."))
        .filter_map(|word| u32::from_str_radix(word.split('@').next()?, 16).ok())
        .collect();
    if let [outbound, inbound, ..] = spis.as_slice() {
        child.spi_out = Some(*outbound);
        child.spi_in = Some(*inbound);
    }
    let bytes = |key: &str| -> Option<u64> {
        rest.split_whitespace()
            .find_map(|word| word.strip_prefix(key))?
            .trim_end_matches(['B', '!'])
            .parse()
            .ok()
    };
    child.bytes_in = bytes("ESPin=");
    child.bytes_out = bytes("ESPout=");
}

/// The number right after `marker`, e.g. `REPLACE in 3327s` -> 3327.
fn number_after(text: &str, marker: &str) -> Option<u64> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// `AES_CBC_128-HMAC_SHA2_256-MODP2048` -> `aes128-sha256-modp2048`.
fn ike_proposal(text: &str) -> Option<String> {
    let mut parts = text.trim().split('-');
    let cipher = cipher_token(parts.next()?)?;
    let hash = integrity_from_name(parts.next()?)?.token();
    let group = group_token(parts.next()?);
    Some(format!("{cipher}-{hash}-{group}"))
}

/// `AES_CBC_128-HMAC_SHA2_256_128; pfsgroup=MODP2048` -> (`aes128-sha256`, `modp2048`).
fn esp_proposal(text: &str) -> Option<(String, Option<String>)> {
    let (algorithms, pfs) = match text.split_once(';') {
        // `<n/a>`: no PFS configured.
        Some((algorithms, rest)) => (
            algorithms,
            rest.trim().strip_prefix("pfsgroup=").filter(|group| !group.starts_with('<')).map(group_token),
        ),
        None => (text, None),
    };
    let mut parts = algorithms.trim().split('-');
    let cipher = cipher_token(parts.next()?)?;
    Some(match parts.next().and_then(integrity_from_name) {
        Some(integrity) => (format!("{cipher}-{}", integrity.token()), pfs),
        None => (cipher, pfs),
    })
}

/// `AES_CBC_128` -> `aes128`.
fn cipher_token(text: &str) -> Option<String> {
    let (name, bits) = text.rsplit_once('_')?;
    Some(cipher_from_name(name, bits.parse().ok()?)?.token().to_owned())
}

/// The ESP SAs of `ip xfrm state`, with their keys.
pub(crate) fn parse_xfrm_state(text: &str) -> Vec<EspSaKeys> {
    let mut sas = Vec::new();
    let mut current: Option<EspSaKeys> = None;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["src", ..] => sas.extend(current.take()),
            ["proto", "esp", "spi", spi, ..] => {
                current = u32::from_str_radix(spi.trim_start_matches("0x"), 16).ok().map(|spi| EspSaKeys {
                    spi,
                    cipher: ikev1::policy::EspCipher::Aes128,
                    encryption_key: String::new(),
                    integrity: None,
                    integrity_key: String::new(),
                })
            }
            ["enc", name, key] | ["aead", name, key, _] => {
                if let Some(sa) = current.as_mut() {
                    let hex = key.trim_start_matches("0x");
                    let key_bits = if line.trim_start().starts_with("aead") {
                        (hex.len() as u32 - 8) * 4
                    } else {
                        hex.len() as u32 * 4
                    };
                    if let Some(cipher) = cipher_from_name(name, key_bits) {
                        sa.cipher = cipher;
                    }
                    sa.encryption_key = hex.to_owned();
                }
            }
            ["auth-trunc", name, key, _] | ["auth", name, key] => {
                if let Some(sa) = current.as_mut() {
                    sa.integrity = integrity_from_name(name);
                    sa.integrity_key = key.trim_start_matches("0x").to_owned();
                }
            }
            _ => {}
        }
    }
    sas.extend(current);
    sas
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikev1::policy::{EspCipher, EspIntegrityAlgorithm};

    /// From a real Libreswan 4.10 responder (vectors/real/K-lsw-responder).
    const STATUS: &str = r#"000 "sw":   IKEv1 algorithm newest: AES_CBC_128-HMAC_SHA2_256-MODP2048
000 "sw":   ESP algorithm newest: AES_CBC_128-HMAC_SHA2_256_128; pfsgroup=MODP2048
000 #1: "sw":4500 STATE_MAIN_R3 (IKE SA established); REPLACE in 3327s; newest; lastdpd=-1s(seq in:0 out:0); idle;
000 #2: "sw":4500 STATE_QUICK_R2 (IPsec SA established); REPLACE in 1528s; newest; eroute owner; ISAKMP SA #1; idle;
000 #2: "sw" esp.1528e7ef@192.0.2.1 esp.cff768a4@192.0.2.2 tun.0@192.0.2.1 tun.0@192.0.2.2 Traffic: ESPin=252B ESPout=252B ESPmax=2^63B
"#;

    const XFRM: &str = "src 192.0.2.1 dst 192.0.2.2
\tproto esp spi 0xcff768a4 reqid 16389 mode tunnel
\treplay-window 0 flag af-unspec
\tauth-trunc hmac(sha256) 0xdb79e577d4798ea796b96ecb3c2dbada95f53a6e354d8f417f0176b3eb48dc5e 128
\tenc cbc(aes) 0xc53a21fc593b0486ff5450dd2e85f3bb
\tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0
src 192.0.2.2 dst 192.0.2.1
\tproto esp spi 0x1528e7ef reqid 16389 mode tunnel
\tauth-trunc hmac(sha256) 0x948ab85a18b27f6f31382b361e0ebdc1a2e1455ff56474e6bcea827b8d2f4d68 128
\tenc cbc(aes) 0xf50f6e18bc0fa9bbe8906e5d5725eee3
";

    #[test]
    fn whack_status_reads_back_states_algorithms_spis_and_traffic() {
        let status = parse_whack_status(STATUS);
        let sa = &status.ike_sas[0];
        assert!(sa.established);
        assert_eq!(sa.state, "STATE_MAIN_R3");
        assert_eq!(sa.proposal.as_deref(), Some("aes128-sha256-modp2048"));
        assert_eq!(sa.rekey_in_secs, Some(3327));
        let child = &sa.children[0];
        assert!(child.installed && child.udp_encapsulated);
        assert_eq!((child.spi_out, child.spi_in), (Some(0x1528e7ef), Some(0xcff768a4)));
        assert_eq!((child.bytes_in, child.bytes_out), (Some(252), Some(252)));
        assert_eq!(child.proposal.as_deref(), Some("aes128-sha256"));
        assert_eq!(child.pfs_group.as_deref(), Some("modp2048"));
        assert_eq!(child.rekey_in_secs, Some(1528));
    }

    #[test]
    fn the_kernel_sad_gives_both_esp_sas_with_keys() {
        let sas = parse_xfrm_state(XFRM);
        assert_eq!(sas.len(), 2);
        assert_eq!(sas[0].spi, 0xcff768a4);
        assert_eq!(sas[0].cipher, EspCipher::Aes128);
        assert_eq!(sas[0].integrity, Some(EspIntegrityAlgorithm::Sha256));
        assert_eq!(sas[0].encryption_key, "c53a21fc593b0486ff5450dd2e85f3bb");
        assert_eq!(sas[1].spi, 0x1528e7ef);
    }
}
