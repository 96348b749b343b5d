//! Key material from a charon log written with `ike = 4, chd = 4`.
//!
//! charon logs each secret as `<label> => N bytes @ 0x...` followed by hexdump lines,
//! all tagged with the IKE SA (`<conn|uniqueid>`):
//! - the ISAKMP SA: `encryption key Ka`; its cookies are the first 16 bytes of the
//!   first `natd_chunk` (NAT-D hashes cover CKY-I | CKY-R, RFC 3947 3.2);
//! - each Quick Mode: `encryption|integrity initiator|responder key`, where
//!   "initiator" means the traffic the Quick Mode initiator sends, then
//!   `adding inbound ESP SA` / `adding outbound ESP SA` with the SPI on the next
//!   line, and the algorithms in `selected proposal: ESP:...`.

use std::collections::BTreeMap;

use crate::peer::keys::{EspSaKeys, IkeSaKeys, KeyMaterial, cipher_from_name, integrity_from_name};

#[derive(Default)]
struct IkeSaLog {
    cookies: Option<Vec<u8>>,
    ka: Option<Vec<u8>>,
    /// Whether this side initiated the Quick Mode being logged.
    quick_mode_initiator: bool,
    esp_algorithms: Option<String>,
    child_keys: BTreeMap<&'static str, Vec<u8>>,
    /// Which SA the next `SPI 0x...` line belongs to.
    next_spi_inbound: Option<bool>,
}

const CHILD_KEY_LABELS: [&str; 4] = [
    "encryption initiator key",
    "encryption responder key",
    "integrity initiator key",
    "integrity responder key",
];

pub(crate) fn keys_from_log(log: &str) -> KeyMaterial {
    let lines: Vec<&str> = log.lines().collect();
    let mut sas: BTreeMap<String, IkeSaLog> = BTreeMap::new();
    let mut material = KeyMaterial::default();
    for (index, line) in lines.iter().enumerate() {
        let Some((tag, text)) = tagged(line) else { continue };
        let sa = sas.entry(tag.to_owned()).or_default();
        if let Some(label) = dump_label(text) {
            let Some(bytes) = hexdump_after(&lines[index..], tag) else { continue };
            match label {
                "natd_chunk" if sa.cookies.is_none() && bytes.len() >= 16 => {
                    sa.cookies = Some(bytes[..16].to_vec())
                }
                "encryption key Ka" => sa.ka = Some(bytes),
                _ => {
                    if let Some(known) = CHILD_KEY_LABELS.iter().find(|known| **known == label) {
                        sa.child_keys.insert(known, bytes);
                    }
                }
            }
            if let (Some(cookies), Some(ka)) = (&sa.cookies, sa.ka.take()) {
                material
                    .ike
                    .push(IkeSaKeys { initiator_cookie: hex(&cookies[..8]), encryption_key: hex(&ka) });
            }
            continue;
        }
        if text.contains("generating QUICK_MODE request") || text.contains("parsed QUICK_MODE response") {
            sa.quick_mode_initiator = true;
        } else if text.contains("parsed QUICK_MODE request")
            || text.contains("generating QUICK_MODE response")
        {
            sa.quick_mode_initiator = false;
        } else if let Some(proposal) = text.split("selected proposal: ESP:").nth(1) {
            sa.esp_algorithms = Some(proposal.trim().to_owned());
        } else if text.starts_with("adding inbound ESP SA") {
            sa.next_spi_inbound = Some(true);
        } else if text.starts_with("adding outbound ESP SA") {
            sa.next_spi_inbound = Some(false);
        } else if let Some(spi) = text.trim_start().strip_prefix("SPI 0x")
            && let Some(inbound) = sa.next_spi_inbound.take()
            && let Some(keys) = esp_sa(sa, spi, inbound)
        {
            material.esp.push(keys);
        }
    }
    material
}

/// The keys of the SA with this SPI: inbound traffic at the Quick Mode initiator is
/// what the responder sends, and the other way round.
fn esp_sa(sa: &IkeSaLog, spi_text: &str, inbound: bool) -> Option<EspSaKeys> {
    let spi = u32::from_str_radix(spi_text.split(',').next()?.trim(), 16).ok()?;
    let sender = if inbound == sa.quick_mode_initiator { "responder" } else { "initiator" };
    let (cipher, integrity) = esp_algorithms(sa.esp_algorithms.as_deref()?)?;
    Some(EspSaKeys {
        spi,
        cipher,
        encryption_key: hex(sa.child_keys.get(format!("encryption {sender} key").as_str())?),
        integrity,
        integrity_key: sa
            .child_keys
            .get(format!("integrity {sender} key").as_str())
            .map(|key| hex(key))
            .unwrap_or_default(),
    })
}

/// `AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ`
fn esp_algorithms(
    proposal: &str,
) -> Option<(ikev1::policy::EspCipher, Option<ikev1::policy::EspIntegrityAlgorithm>)> {
    let mut parts = proposal.split('/');
    let cipher = parts.next()?;
    let (name, bits) = match cipher.rsplit_once('_') {
        Some((name, bits)) if bits.chars().all(|c| c.is_ascii_digit()) => (name, bits.parse().ok()?),
        _ => (cipher, 0),
    };
    let cipher = cipher_from_name(name, bits)?;
    let integrity = parts.find_map(integrity_from_name);
    Some((cipher, integrity))
}

/// `<conn|1>` and the text after it.
fn tagged(line: &str) -> Option<(&str, &str)> {
    let start = line.find(" <")? + 1;
    let end = start + line[start..].find("> ")?;
    Some((&line[start..=end], &line[end + 2..]))
}

/// `encryption key Ka => 16 bytes @ 0x7f8678001a60` -> `encryption key Ka`.
fn dump_label(text: &str) -> Option<&str> {
    let (label, rest) = text.split_once(" => ")?;
    rest.contains(" bytes @ 0x").then_some(label.trim())
}

/// The bytes of the hexdump on the lines after `lines[0]` with the same tag.
fn hexdump_after(lines: &[&str], tag: &str) -> Option<Vec<u8>> {
    let (_, header) = tagged(lines[0])?;
    let length: usize = header.split(" => ").nth(1)?.split_whitespace().next()?.parse().ok()?;
    let mut bytes = Vec::with_capacity(length);
    for line in &lines[1..] {
        if bytes.len() >= length {
            break;
        }
        let (line_tag, text) = tagged(line)?;
        let (offset, rest) = text.trim_start().split_once(": ")?;
        if line_tag != tag || !offset.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        // Sixteen `XX ` groups, then the ASCII column.
        for pair in rest.split(' ').take(16).take_while(|pair| pair.len() == 2) {
            bytes.push(u8::from_str_radix(pair, 16).ok()?);
        }
    }
    (bytes.len() >= length).then(|| {
        bytes.truncate(length);
        bytes
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikev1::policy::{EspCipher, EspIntegrityAlgorithm};

    /// Excerpts of a real charon 5.9.8 log of a Main Mode initiator with one Quick Mode.
    const LOG: &str = "\
20:53:48 12[IKE] <mm|1> natd_chunk => 22 bytes @ 0x7f86b5cb4a20
20:53:48 12[IKE] <mm|1>    0: 57 8B E3 B6 51 9C E7 2E D8 EE 00 DC 9A DE 4D 8F  W...Q.........M.
20:53:48 12[IKE] <mm|1>   16: C0 00 02 02 01 F4                                ......
20:53:48 13[IKE] <mm|1> encryption key Ka => 16 bytes @ 0x7f86780019a0
20:53:48 13[IKE] <mm|1>    0: 1F A2 03 8C F9 23 32 B4 39 B9 32 2E 44 0E 1E AB  .....#2.9.2.D...
20:53:48 15[ENC] <mm|1> generating QUICK_MODE request 2668387747 [ HASH SA No KE ID ID ]
20:53:48 02[ENC] <mm|1> parsed QUICK_MODE response 2668387747 [ HASH SA No KE ID ID ]
20:53:48 02[CFG] <mm|1> selected proposal: ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ
20:53:48 02[CHD] <mm|1> encryption initiator key => 16 bytes @ 0x7f8688004ad0
20:53:48 02[CHD] <mm|1>    0: 26 7D 66 11 29 96 CF 86 AC 91 E7 EA B7 20 0D F5  &}f.)........ ..
20:53:48 02[CHD] <mm|1> encryption responder key => 16 bytes @ 0x7f8688004990
20:53:48 02[CHD] <mm|1>    0: B1 FE FD D6 70 3F 20 82 8F 88 4B 8C EA B8 C5 73  ....p? ...K....s
20:53:48 02[CHD] <mm|1> integrity initiator key => 32 bytes @ 0x7f86880048f0
20:53:48 02[CHD] <mm|1>    0: 79 70 3B 60 A9 68 F9 4A 30 75 E2 1D 2B 4B 72 81  yp;`.h.J0u..+Kr.
20:53:48 02[CHD] <mm|1>   16: 52 62 49 C1 95 CD B0 82 C5 22 02 A8 38 1D 9A E5  RbI......\"..8...
20:53:48 02[CHD] <mm|1> integrity responder key => 32 bytes @ 0x7f8688003f50
20:53:48 02[CHD] <mm|1>    0: D3 77 E9 AD BB E9 12 BF 4D 28 D7 3D BB FA B9 72  .w......M(.=...r
20:53:48 02[CHD] <mm|1>   16: FA 18 BE E1 9B AB FB C2 F6 16 E6 E4 34 34 C7 DF  ............44..
20:53:48 02[CHD] <mm|1> adding inbound ESP SA
20:53:48 02[CHD] <mm|1>   SPI 0x5611618d, src 192.0.2.2 dst 192.0.2.1
20:53:48 02[CHD] <mm|1> adding outbound ESP SA
20:53:48 02[CHD] <mm|1>   SPI 0x2324630b, src 192.0.2.1 dst 192.0.2.2
";

    #[test]
    fn ka_and_both_esp_sas_come_out_of_a_real_log() {
        let keys = keys_from_log(LOG);
        assert_eq!(keys.ike.len(), 1);
        assert_eq!(keys.ike[0].initiator_cookie, "578be3b6519ce72e");
        assert_eq!(keys.ike[0].encryption_key, "1fa2038cf92332b439b9322e440e1eab");
        assert_eq!(keys.esp.len(), 2);
        let inbound = &keys.esp[0];
        assert_eq!(inbound.spi, 0x5611618d);
        // We initiated the Quick Mode: what we receive is what the responder sends.
        assert_eq!(inbound.encryption_key, "b1fefdd6703f20828f884b8ceab8c573");
        assert_eq!(inbound.cipher, EspCipher::Aes128);
        assert_eq!(inbound.integrity, Some(EspIntegrityAlgorithm::Sha256));
        let outbound = &keys.esp[1];
        assert_eq!(outbound.spi, 0x2324630b);
        assert_eq!(outbound.encryption_key, "267d66112996cf86ac91e7eab7200df5");
        assert!(outbound.integrity_key.starts_with("79703b60"));
    }
}
