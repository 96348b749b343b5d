//! Link layers: find where the IP header starts and which IP version to expect there.

use super::bytes::{be16, be32, fixed};
use super::{LinkType, NotDissected, Reason};

/// Which IP version the link layer announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum IpVersion {
    V4,
    V6,
    /// Raw IP link types that carry both: the version nibble decides.
    Either,
}

/// Where the network layer starts in the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct NetworkLayer {
    pub offset: usize,
    pub version: IpVersion,
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
/// 802.1Q customer tag, 802.1ad service tag, and the pre-standard QinQ tag.
const ETHERTYPE_VLAN_TAGS: [u16; 3] = [0x8100, 0x88a8, 0x9100];

/// Address families in loopback headers. IPv6 differs between operating systems.
const AF_INET: u32 = 2;
const AF_INET6: [u32; 4] = [10, 24, 28, 30];

pub(super) fn network_layer(link_type: LinkType, frame: &[u8]) -> Result<NetworkLayer, NotDissected> {
    match link_type {
        LinkType::ETHERNET => ethernet(frame),
        LinkType::LINUX_SLL => linux_sll(frame),
        LinkType::LINUX_SLL2 => linux_sll2(frame),
        LinkType::NULL => loopback(frame, LoopbackByteOrder::Host),
        LinkType::LOOP => loopback(frame, LoopbackByteOrder::Big),
        LinkType::RAW => Ok(NetworkLayer { offset: 0, version: IpVersion::Either }),
        LinkType::IPV4 => Ok(NetworkLayer { offset: 0, version: IpVersion::V4 }),
        LinkType::IPV6 => Ok(NetworkLayer { offset: 0, version: IpVersion::V6 }),
        other => Err(NotDissected { offset: 0, reason: Reason::UnsupportedLinkType(other) }),
    }
}

/// Destination and source MAC (12 bytes), then an ethertype, possibly behind VLAN tags.
fn ethernet(frame: &[u8]) -> Result<NetworkLayer, NotDissected> {
    fixed::<14>(frame, 0, "Ethernet header")?;
    ethertype_chain(frame, 12)
}

/// Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes, then the protocol
/// (an ethertype for the link types that matter here) at offset 14.
fn linux_sll(frame: &[u8]) -> Result<NetworkLayer, NotDissected> {
    fixed::<16>(frame, 0, "Linux cooked (SLL) header")?;
    ethertype_chain(frame, 14)
}

/// Linux cooked v2: the protocol comes first, the payload after the 20-byte header.
fn linux_sll2(frame: &[u8]) -> Result<NetworkLayer, NotDissected> {
    let header = fixed::<20>(frame, 0, "Linux cooked (SLL2) header")?;
    let ethertype = be16([header[0], header[1]]);
    ip_by_ethertype(ethertype, 20).map_err(|reason| NotDissected { offset: 0, reason })
}

/// Reads the ethertype at `type_offset`, skipping any VLAN tags (TPID, 2-byte TCI, next type).
fn ethertype_chain(frame: &[u8], mut type_offset: usize) -> Result<NetworkLayer, NotDissected> {
    loop {
        let ethertype = be16(*fixed::<2>(frame, type_offset, "ethertype")?);
        if ETHERTYPE_VLAN_TAGS.contains(&ethertype) {
            fixed::<4>(frame, type_offset, "VLAN tag")?;
            type_offset += 4;
            continue;
        }
        return ip_by_ethertype(ethertype, type_offset + 2)
            .map_err(|reason| NotDissected { offset: type_offset, reason });
    }
}

fn ip_by_ethertype(ethertype: u16, payload_offset: usize) -> Result<NetworkLayer, Reason> {
    let version = match ethertype {
        ETHERTYPE_IPV4 => IpVersion::V4,
        ETHERTYPE_IPV6 => IpVersion::V6,
        other => return Err(Reason::NotIp { ethertype: other }),
    };
    Ok(NetworkLayer { offset: payload_offset, version })
}

enum LoopbackByteOrder {
    /// LINKTYPE_NULL stores the family in the byte order of the host that captured.
    Host,
    Big,
}

fn loopback(frame: &[u8], byte_order: LoopbackByteOrder) -> Result<NetworkLayer, NotDissected> {
    let bytes = *fixed::<4>(frame, 0, "loopback header")?;
    let big = be32(bytes);
    let little = u32::from_le_bytes(bytes);
    // Families are small numbers, so the interpretation that yields one is the right one.
    let family = match byte_order {
        LoopbackByteOrder::Big => big,
        LoopbackByteOrder::Host if big <= 0xffff => big,
        LoopbackByteOrder::Host => little,
    };
    let version = match family {
        AF_INET => IpVersion::V4,
        family if AF_INET6.contains(&family) => IpVersion::V6,
        other => {
            return Err(NotDissected { offset: 0, reason: Reason::UnsupportedAddressFamily(other) });
        }
    };
    Ok(NetworkLayer { offset: 4, version })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ethernet_header(ethertypes: &[u16]) -> Vec<u8> {
        let mut frame = vec![0xaa; 12];
        for (index, ethertype) in ethertypes.iter().enumerate() {
            frame.extend_from_slice(&ethertype.to_be_bytes());
            if index + 1 < ethertypes.len() {
                frame.extend_from_slice(&[0x00, 0x07]); // TCI: VLAN 7
            }
        }
        frame
    }

    #[test]
    fn ethernet_ipv4_starts_at_14() {
        let frame = ethernet_header(&[ETHERTYPE_IPV4]);
        assert_eq!(
            network_layer(LinkType::ETHERNET, &frame),
            Ok(NetworkLayer { offset: 14, version: IpVersion::V4 })
        );
    }

    #[test]
    fn vlan_tags_are_skipped_even_when_stacked() {
        let frame = ethernet_header(&[0x88a8, 0x8100, ETHERTYPE_IPV6]);
        assert_eq!(
            network_layer(LinkType::ETHERNET, &frame),
            Ok(NetworkLayer { offset: 22, version: IpVersion::V6 })
        );
    }

    #[test]
    fn non_ip_ethertype_names_its_offset() {
        let frame = ethernet_header(&[0x8100, 0x0806]);
        assert_eq!(
            network_layer(LinkType::ETHERNET, &frame),
            Err(NotDissected { offset: 16, reason: Reason::NotIp { ethertype: 0x0806 } })
        );
    }

    #[test]
    fn truncated_vlan_tag_is_reported_where_it_starts() {
        let mut frame = ethernet_header(&[0x8100]);
        frame.push(0x00);
        assert_eq!(
            network_layer(LinkType::ETHERNET, &frame),
            Err(NotDissected {
                offset: 12,
                reason: Reason::Truncated { header: "VLAN tag", needed: 4, available: 3 }
            })
        );
    }

    #[test]
    fn linux_sll_protocol_at_14_payload_at_16() {
        let mut frame = vec![0u8; 14];
        frame.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        assert_eq!(
            network_layer(LinkType::LINUX_SLL, &frame),
            Ok(NetworkLayer { offset: 16, version: IpVersion::V4 })
        );
        assert!(network_layer(LinkType::LINUX_SLL, &frame[..15]).is_err());
    }

    #[test]
    fn linux_sll2_protocol_first_payload_at_20() {
        let mut frame = ETHERTYPE_IPV6.to_be_bytes().to_vec();
        frame.resize(20, 0);
        assert_eq!(
            network_layer(LinkType::LINUX_SLL2, &frame),
            Ok(NetworkLayer { offset: 20, version: IpVersion::V6 })
        );
        assert_eq!(
            network_layer(LinkType::LINUX_SLL2, &frame[..19]),
            Err(NotDissected {
                offset: 0,
                reason: Reason::Truncated { header: "Linux cooked (SLL2) header", needed: 20, available: 19 }
            })
        );
    }

    #[test]
    fn null_loopback_accepts_either_byte_order() {
        for header in [[2, 0, 0, 0], [0, 0, 0, 2]] {
            assert_eq!(
                network_layer(LinkType::NULL, &header),
                Ok(NetworkLayer { offset: 4, version: IpVersion::V4 })
            );
        }
        assert_eq!(
            network_layer(LinkType::NULL, &[30, 0, 0, 0]),
            Ok(NetworkLayer { offset: 4, version: IpVersion::V6 })
        );
    }

    #[test]
    fn loop_is_big_endian_only() {
        assert_eq!(
            network_layer(LinkType::LOOP, &[0, 0, 0, 24]),
            Ok(NetworkLayer { offset: 4, version: IpVersion::V6 })
        );
        assert_eq!(
            network_layer(LinkType::LOOP, &[2, 0, 0, 0]),
            Err(NotDissected { offset: 0, reason: Reason::UnsupportedAddressFamily(0x0200_0000) })
        );
    }

    #[test]
    fn unknown_link_type_is_reported() {
        assert_eq!(
            network_layer(LinkType(147), &[0; 64]),
            Err(NotDissected { offset: 0, reason: Reason::UnsupportedLinkType(LinkType(147)) })
        );
    }
}
