//! Engine bugs the fuzz targets' invariants caught, one regression test
//! each, written out step by step on the fuzz bench (ikev1::fuzz) so the
//! scenario reads without decoding a corpus file. Their inputs are in the
//! corpora (fuzz/corpus/*/seed-finding-*, seed-quick-mode-flood,
//! seed-delete-esp-other-peer, seed-inner-source-changed) and replay in
//! fuzz_corpus.rs.

use ikev1::counters::DropReason;
use ikev1::fuzz::cast::{INITIATOR, THIRD};
use ikev1::fuzz::rig::{Crypto, Rig};
use ikev1::fuzz::script::{
    Forgery, HeaderField, MessageIdChoice, Mutation, PeerAction, Protection, Route, Setup, Spi, Step,
    Template,
};
use ikev1::fuzz::targets::Bench;
use isakmp::numbers::{ExchangeType, ProtocolId};

fn deliver() -> Step {
    Step::Deliver { route: Route::AsSent, mutation: Mutation::None }
}

/// An authentic Informational (valid HASH(1)) from the `sa`-th SA a forgery
/// can pick, deleting the IPsec SA whose outbound SPI is `spi`.
fn delete_esp(sa: u8, spi: Spi) -> Step {
    Step::Forge(Forgery {
        sa,
        exchange: ExchangeType::INFORMATIONAL.0,
        message_id: MessageIdChoice::Value(0x0dea_d000),
        protection: Protection::ValidHash,
        payloads: vec![Template::Delete { protocol: ProtocolId::ESP.0, spis: vec![spi] }],
        edit: Mutation::None,
    })
}

fn outbound_spi_of(rig: &Rig, connection: &str) -> Vec<u8> {
    let sas = rig.subject().ipsec_sas();
    let sa = sas.iter().find(|sa| sa.connection == connection).expect("an IPsec SA of the connection");
    u32::from_str_radix(&sa.outbound_spi, 16).expect("hex").to_be_bytes().to_vec()
}

/// RFC 2408 5.2: past the first message both cookies are set. An MM3 under
/// the initiator cookie alone was routed to the half-open SA as a
/// "retransmitted first message" and processed as MM3.
#[test]
fn a_message_without_the_responder_cookie_is_no_mm3() {
    let mut rig = Bench::Responder.rig(Setup(0), Crypto::Null);
    rig.run(&deliver());
    rig.run(&Step::Deliver {
        route: Route::AsSent,
        mutation: Mutation::Header { field: HeaderField::ResponderCookie, value: 0 },
    });
    assert_eq!(rig.subject().counters().dropped(DropReason::UnexpectedMessage), 1);
    assert_eq!(rig.subject().footprint().half_open, 1, "the SA still waits for its MM3");
    rig.settle();
    assert_eq!(rig.subject().established().len(), 1, "the honest MM3, retransmitted, completes it");
}

/// An Aggressive Mode responder has keys after AM1 but does not know who
/// its peer is until AM3: a Delete it carries meanwhile deleted the IPsec
/// SAs of the peer's established Main Mode SA.
#[test]
fn a_phase1_in_progress_deletes_no_ipsec_sa() {
    let mut rig = Bench::Responder.rig(Setup(0), Crypto::Null);
    rig.settle();
    assert_eq!(rig.subject().ipsec_sas().len(), 1);
    rig.run(&Step::Peer { peer: 0, action: PeerAction::InitiateAggressive });
    rig.run(&deliver());
    assert_eq!(rig.subject().footprint().half_open, 1, "AM2 sent, AM3 awaited");
    // Forgery targets: the established SA (0), then the last datagram's SA (1).
    let outbound = outbound_spi_of(&rig, "main-0");
    rig.run(&delete_esp(1, Spi::Raw(outbound.clone())));
    assert_eq!(rig.subject().ipsec_sas().len(), 1, "the half-open SA deleted an IPsec SA");
    rig.run(&delete_esp(0, Spi::Raw(outbound)));
    assert_eq!(rig.subject().ipsec_sas().len(), 0, "the established SA of the same peer may");
}

/// RFC 2408 3.15: a Delete names the sender's own SAs. A Delete from one
/// peer removed another peer's IPsec SA with that outbound SPI.
#[test]
fn one_peer_cannot_delete_another_peers_ipsec_sa() {
    let mut rig = Bench::Established.rig(Setup(0), Crypto::Null);
    let mut established = rig.subject().established();
    established.sort_by_key(|sa| sa.conn_id);
    let third = established.iter().position(|sa| sa.remote.ip() == THIRD.address).expect("third peer") as u8;
    let first = established.iter().position(|sa| sa.remote.ip() == INITIATOR.address).expect("first") as u8;
    let first_peers_spi = outbound_spi_of(&rig, "main-0");
    rig.run(&delete_esp(third, Spi::Raw(first_peers_spi.clone())));
    assert_eq!(rig.subject().ipsec_sas().len(), 2, "the third peer deleted the first peer's IPsec SA");
    rig.run(&delete_esp(first, Spi::Raw(first_peers_spi)));
    assert_eq!(rig.subject().ipsec_sas().len(), 1, "its own peer may delete it");
}

/// Every QM1 under a new message ID added a Quick Mode exchange and an
/// inbound IPsec SA: an authenticated peer could grow them without bound.
#[test]
fn a_flood_of_qm1_stops_at_the_quick_mode_limit() {
    let mut rig = Bench::Responder.rig(Setup(0), Crypto::Null);
    (0..4).for_each(|_| rig.run(&deliver()));
    let limit = rig.subject().config().limits.max_quick_modes_per_sa;
    for id in 1..=(2 * limit as u32) {
        // History: MM1, MM3, MM5, QM1 ...
        let new_id = Mutation::Header { field: HeaderField::MessageId, value: 0x7000_0000 + id };
        rig.run(&Step::Replay { pick: 3, mutation: new_id });
    }
    assert_eq!(rig.subject().footprint().max_quick_modes_per_sa, limit);
    assert!(rig.subject().counters().dropped(DropReason::QuickModeLimit) >= limit as u64);
    assert!(rig.subject().footprint().ipsec_sa_pairs <= limit);
}

/// RFC 4301 5.2: an inner packet that comes out of an IPsec SA must match
/// the selectors the SA was negotiated for. A bit flipped in the inner
/// source address (the ICV is the null transform's, so the packet is
/// authentic) was delivered as if from another host.
#[test]
fn an_inner_packet_outside_the_selectors_is_dropped() {
    let mut rig = Bench::Established.rig(Setup(0), Crypto::Null);
    let send = Step::Peer { peer: 0, action: PeerAction::SendTraffic };
    // Raw ESP: SPI, sequence, a 16-byte IV, then the inner IPv4 header,
    // whose source address is at 12: byte 36 of the packet.
    rig.run(&send);
    rig.run(&Step::Deliver { route: Route::AsSent, mutation: Mutation::FlipBit { at: 36, bit: 0 } });
    assert_eq!(rig.subject().counters().dropped(DropReason::OutsideSelectors), 1);
    rig.run(&send);
    rig.run(&deliver());
    let counters = rig.subject().counters();
    assert_eq!(counters.dropped(DropReason::OutsideSelectors), 1, "the honest echo passes");
    assert_eq!(counters.dropped(DropReason::Malformed), 0);
}
