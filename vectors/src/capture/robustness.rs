//! Property tests: the dissector and the file reader take any bytes without panicking, and
//! every range the dissector returns lies inside the frame (nested as the layers are).

use std::ops::Range;

use proptest::prelude::*;
use proptest::sample::select;

use super::test_packets::*;
use super::{Dissected, Dissection, LinkType, Reason, dissect, parse_frames};

fn link_types() -> impl Strategy<Value = LinkType> {
    prop_oneof![3 => select(LinkType::SUPPORTED.to_vec()), 1 => any::<u32>().prop_map(LinkType)]
}

/// Well-formed frames of each shape the dissector reaches, to be damaged afterwards, so
/// that random mutations land deep in the layers rather than at the first header.
fn plausible_frames() -> impl Strategy<Value = (LinkType, Vec<u8>)> {
    let payload = proptest::collection::vec(any::<u8>(), 0..64);
    (payload, any::<u8>(), any::<u16>()).prop_flat_map(|(payload, protocol, flags_and_offset)| {
        let datagram = udp_datagram(500, 4500, &payload);
        let mut ipv4 = Ipv4::new(protocol, datagram.clone());
        ipv4.flags_and_offset = flags_and_offset;
        let ipv4 = ipv4.bytes();
        let ipv6 = ipv6(0, &[ipv6_extension(44, 1), datagram].concat());
        prop_oneof![
            Just((LinkType::ETHERNET, ethernet(0x0800, &ipv4))),
            Just((LinkType::ETHERNET, ethernet(0x86dd, &ipv6))),
            Just((LinkType::RAW, ipv4.clone())),
            Just((LinkType::IPV6, ipv6)),
            Just((LinkType::LINUX_SLL2, [&[0x08, 0x00][..], &[0; 18], &ipv4].concat())),
        ]
    })
}

/// A frame with some bytes overwritten and possibly cut short.
fn damaged_frames() -> impl Strategy<Value = (LinkType, Vec<u8>)> {
    (plausible_frames(), proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4), any::<usize>())
        .prop_map(|((link_type, mut frame), edits, cut)| {
            if !frame.is_empty() {
                for (position, value) in edits {
                    let index = position % frame.len();
                    frame[index] = value;
                }
                frame.truncate(cut % (frame.len() + 1));
            }
            (link_type, frame)
        })
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.start <= inner.end && inner.end <= outer.end
}

fn assert_ranges_inside(dissection: &Dissection, frame_len: usize) -> Result<(), TestCaseError> {
    let whole = 0..frame_len;
    if let Some(ip) = &dissection.ip_packet {
        prop_assert!(contains(&whole, ip), "IP packet {ip:?} outside frame of {frame_len}");
    }
    let inner = match &dissection.dissected {
        Dissected::Udp(udp) => Some(&udp.payload),
        Dissected::Esp(esp) => Some(&esp.payload),
        Dissected::IpFragment(fragment) => Some(&fragment.data),
        Dissected::Other(stop) => {
            prop_assert!(stop.offset <= frame_len, "{stop} in frame of {frame_len}");
            if let Reason::Truncated { needed, available, .. } = stop.reason {
                prop_assert!(available < needed, "{stop}");
                prop_assert!(stop.offset + available <= frame_len, "{stop} in frame of {frame_len}");
            }
            None
        }
    };
    if let Some(inner) = inner {
        let ip = dissection.ip_packet.as_ref();
        prop_assert!(ip.is_some_and(|ip| contains(ip, inner)), "payload {inner:?} outside IP packet {ip:?}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_bytes_dissect_without_panic(link_type in link_types(), frame in proptest::collection::vec(any::<u8>(), 0..128)) {
        assert_ranges_inside(&dissect(link_type, &frame), frame.len())?;
    }

    #[test]
    fn damaged_frames_dissect_without_panic((link_type, frame) in damaged_frames()) {
        assert_ranges_inside(&dissect(link_type, &frame), frame.len())?;
    }

    #[test]
    fn undamaged_plausible_frames_reach_a_transport((link_type, frame) in plausible_frames()) {
        let dissection = dissect(link_type, &frame);
        prop_assert!(dissection.ip_packet.is_some(), "{dissection:?}");
        assert_ranges_inside(&dissection, frame.len())?;
    }

    #[test]
    fn arbitrary_files_never_panic(
        magic in select(vec![
            vec![0xd4, 0xc3, 0xb2, 0xa1],
            vec![0xa1, 0xb2, 0x3c, 0x4d],
            vec![0x0a, 0x0d, 0x0d, 0x0a],
            vec![],
        ]),
        tail in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let file = [magic, tail].concat();
        if let Ok(frames) = parse_frames(&file) {
            for frame in &frames {
                assert_ranges_inside(&dissect(frame.link_type, &frame.data), frame.data.len())?;
            }
        }
    }
}
