//! Peer-log excerpts as the reports publish them: real charon and pluto logs of a
//! Main Mode case (tests/fixtures, from an ikelab run) sanitised, locked by
//! snapshots, and searched for anything that must not survive: timestamps, key and
//! nonce dumps, cookies, SPIs, message IDs.

use harness::report::sanitise;
use regex::Regex;

const CHARON: &str = include_str!("fixtures/charon-main-mode-responder.log");
const PLUTO: &str = include_str!("fixtures/pluto-main-mode-nat-initiator.log");

fn assert_nothing_secret_left(clean: &str) {
    let forbidden = [
        (r"\d{2}:\d{2}:\d{2}\.\d+", "a timestamp"),
        (r"(?m)^\s*(<[^>]*> )?\s*\d+: ([0-9A-F]{2} ){4}", "a hex dump (keys, nonces, DH secrets)"),
        (r"@ 0x[0-9a-f]+", "a memory address"),
        (r"\b[0-9a-f]{16}_[ir]\b", "a cookie"),
        (r"\b[0-9a-f]{8}_[io]\b|0x[0-9a-f]{8}\b", "an SPI"),
        (r"msgid:[0-9a-f]{8}", "a message ID"),
    ];
    for (pattern, what) in forbidden {
        let found = Regex::new(pattern).unwrap().find(clean).map(|m| m.as_str().to_owned());
        assert!(found.is_none(), "{what} survived: {found:?}");
    }
}

#[test]
fn a_charon_excerpt_keeps_the_decisions_and_loses_the_secrets() {
    let clean = sanitise::peer_log(CHARON);
    assert_nothing_secret_left(&clean);
    assert!(clean.contains("IKE_SA reference[#] established"));
    assert!(clean.lines().count() < CHARON.lines().count() / 2, "the key dumps and chatter are gone");
    insta::assert_snapshot!("charon", clean);
}

#[test]
fn a_pluto_excerpt_keeps_the_decisions_and_loses_the_secrets() {
    let clean = sanitise::peer_log(PLUTO);
    assert_nothing_secret_left(&clean);
    assert!(clean.contains("IPsec SA established tunnel mode"));
    insta::assert_snapshot!("pluto", clean);
}
