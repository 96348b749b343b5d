//! Well-known Vendor ID payloads, so traces and decodes can name them.

use crate::hex;

/// RFC 3947: MD5("RFC 3947").
pub const NAT_T_RFC3947: [u8; 16] = hex_array("4a131c81070358455c5728f20e95452f");
/// draft-ietf-ipsec-nat-t-ike-02: MD5("draft-ietf-ipsec-nat-t-ike-02").
pub const NAT_T_DRAFT_02: [u8; 16] = hex_array("cd60464335df21f87cfdb2fc68b6a448");
/// The same draft's VID as many peers send it, with a trailing newline hashed in.
pub const NAT_T_DRAFT_02_NEWLINE: [u8; 16] = hex_array("90cb80913ebb696e086381b5ec427b1f");
/// draft-ietf-ipsec-nat-t-ike-03.
pub const NAT_T_DRAFT_03: [u8; 16] = hex_array("7d9419a65310ca6f2c179d9215529d56");
/// RFC 3706 section 5: Dead Peer Detection, version 1.0.
pub const DPD: [u8; 16] = hex_array("afcad71368a1f1c96b8696fc77570100");
/// draft-ietf-ipsec-isakmp-xauth.
pub const XAUTH: [u8; 8] = hex_array("09002689dfd6b712");
/// Cisco IKE fragmentation; four capability bytes may follow.
pub const CISCO_FRAGMENTATION: [u8; 16] = hex_array("4048b7d56ebce88525e7de7f00d6c2d3");
/// Cisco Unity.
pub const CISCO_UNITY: [u8; 16] = hex_array("12f5f28c457168a9702d9fe274cc0100");
/// MD5("strongSwan").
pub const STRONGSWAN: [u8; 16] = hex_array("882fe56d6fd20dbc2251613b2ebe5beb");

/// Names a Vendor ID payload, matching exact values and known prefixes.
pub fn name(vendor_id: &[u8]) -> Option<&'static str> {
    let exact: [(&[u8], &str); 8] = [
        (&NAT_T_RFC3947, "RFC 3947 NAT-T"),
        (&NAT_T_DRAFT_02, "draft-ietf-ipsec-nat-t-ike-02"),
        (&NAT_T_DRAFT_02_NEWLINE, "draft-ietf-ipsec-nat-t-ike-02\\n"),
        (&NAT_T_DRAFT_03, "draft-ietf-ipsec-nat-t-ike-03"),
        (&DPD, "RFC 3706 DPD"),
        (&XAUTH, "XAUTH"),
        (&CISCO_UNITY, "Cisco Unity"),
        (&STRONGSWAN, "strongSwan"),
    ];
    if let Some((_, label)) = exact.iter().find(|(value, _)| *value == vendor_id) {
        return Some(label);
    }
    vendor_id.starts_with(&CISCO_FRAGMENTATION).then_some("Cisco Fragmentation")
}

/// Which NAT-T flavour a Vendor ID announces, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NatTVersion {
    Draft02,
    Draft03,
    Rfc3947,
}

pub fn nat_t_version(vendor_id: &[u8]) -> Option<NatTVersion> {
    match vendor_id {
        v if v == NAT_T_RFC3947 => Some(NatTVersion::Rfc3947),
        v if v == NAT_T_DRAFT_03 => Some(NatTVersion::Draft03),
        v if v == NAT_T_DRAFT_02 || v == NAT_T_DRAFT_02_NEWLINE => Some(NatTVersion::Draft02),
        _ => None,
    }
}

/// Decodes a hex literal at compile time.
const fn hex_array<const N: usize>(text: &str) -> [u8; N] {
    let bytes = text.as_bytes();
    assert!(bytes.len() == 2 * N, "hex literal has the wrong length");
    let mut out = [0u8; N];
    let mut index = 0;
    while index < N {
        out[index] = nibble(bytes[2 * index]) << 4 | nibble(bytes[2 * index + 1]);
        index += 1;
    }
    out
}

const fn nibble(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => panic!("not a lowercase hex digit"),
    }
}

/// The label a trace shows for a Vendor ID: its name or its hex.
pub fn describe(vendor_id: &[u8]) -> String {
    name(vendor_id).map_or_else(|| hex::encode(vendor_id), str::to_owned)
}
