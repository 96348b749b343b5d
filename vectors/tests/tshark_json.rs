//! Every real tshark.json loads with one packet per captured frame, in frame order.

use vectors::Case;
use vectors::tshark::colon_hex;

#[test]
fn every_tshark_json_has_one_packet_per_frame() {
    for case in Case::all().unwrap() {
        let frames = case.frames().unwrap_or_else(|error| panic!("{error}"));
        let packets = case.tshark().unwrap_or_else(|error| panic!("{error}"));
        let numbers: Vec<u64> = packets.iter().map(|packet| packet.number).collect();
        let frame_numbers: Vec<u64> = frames.iter().map(|frame| frame.number).collect();
        assert_eq!(numbers, frame_numbers, "{}", case.name);
    }
}

#[test]
fn esp_in_udp_packets_show_outer_and_inner_ip_and_a_good_icv() {
    let case = Case::find("A").unwrap().unwrap();
    let packets = case.tshark().unwrap();
    let esp: Vec<_> = packets.iter().filter(|packet| packet.layer("esp").is_some()).collect();
    assert_eq!(esp.iter().map(|packet| packet.number).collect::<Vec<_>>(), (10..=15).collect::<Vec<_>>());
    for packet in esp {
        assert_eq!(
            packet.protocols(),
            ["eth", "ethertype", "ip", "udp", "udpencap", "esp", "ip", "icmp", "data"]
        );
        let addresses = packet.fields("ip", "ip.src");
        assert_eq!(addresses.len(), 2);
        assert!(addresses[1].starts_with("198.51.100."), "inner source {}", addresses[1]);
        assert_eq!(packet.field("esp", "esp.icv_good"), Some("1"));
        let decrypted = packet.field("esp", "esp.decrypted_data").and_then(colon_hex).unwrap();
        assert_eq!(decrypted[0] >> 4, 4, "tunnelled IPv4");
    }
}

#[test]
fn isakmp_fields_are_reachable() {
    let case = Case::find("A").unwrap().unwrap();
    let keys = case.load_keys().unwrap();
    let first = &case.tshark().unwrap()[0];
    let cookie = first.field("isakmp", "isakmp.ispi").and_then(colon_hex).unwrap();
    assert_eq!(cookie, keys.ike_sas[0].initiator_cookie.as_slice());
}
