//! The peer drivers against real daemons: each real peer is started, loaded with a
//! policy rendered from the shared model, brought up against another real peer, read
//! back (status, keys) and torn down. They need root and the peers from
//! peers/install.sh, and fail (never skip) without them.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use ikev1::policy::{
    ChildPolicy, Connection, DhGroup, ExchangeMode, IdentityConfig, IpsecLifetime, IpsecMode, Keyring,
    PeerSelector, Policy, TrafficSelector,
};
use peers::guard::remains_of_run;
use peers::{Direct, Host, LibreswanGuest, LibreswanHost, Peer, PeerError, StrongSwan};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
const TIMEOUT: Duration = Duration::from_secs(15);
const PSK: &str = "ikelab-peers-test-psk";

fn isolated(body: impl FnOnce()) {
    // SAFETY: geteuid(2) has no preconditions.
    assert!(
        unsafe { libc::geteuid() } == 0,
        "real-peer tests need root (namespaces, daemons); CI runs as root"
    );
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    body();
    let remains = remains_of_run(std::process::id()).unwrap();
    assert!(remains.is_empty(), "this run left {remains:?}");
}

fn fqdn(host: &Host) -> IdentityConfig {
    IdentityConfig::Fqdn(format!("{}.peers.example", host.side().label()))
}

/// `local`'s half of a tunnel between the inner addresses of two hosts: MM or AM, PSK,
/// AES-CBC-128/SHA2-256/MODP-2048, Quick Mode with PFS.
fn policy(local: &Host, remote: &Host, exchange: ExchangeMode) -> Policy {
    let mut connection = Connection::new(
        "tunnel",
        IpAddr::V4(local.address()),
        Some(IpAddr::V4(remote.public_address())),
        vec!["aes128-sha256-modp2048".parse().unwrap()],
    );
    connection.exchange = exchange;
    connection.local_id = Some(fqdn(local));
    connection.remote_id = Some(fqdn(remote));
    connection.children.push(ChildPolicy {
        name: "inner".into(),
        mode: IpsecMode::Tunnel,
        local_ts: TrafficSelector::host(IpAddr::V4(local.inner())),
        remote_ts: TrafficSelector::host(IpAddr::V4(remote.inner())),
        esp_proposals: vec!["aes128-sha256".parse().unwrap()],
        pfs: Some(DhGroup::Modp2048),
        lifetime: IpsecLifetime { seconds: 1800, kilobytes: None },
    });
    let keyring = Keyring::default()
        .with(PeerSelector::Address(IpAddr::V4(remote.public_address())), PSK)
        .with(PeerSelector::Identity(fqdn(remote)), PSK);
    Policy { connections: vec![connection], keyring }
}

fn ping_both_ways(left: &mut dyn Peer, right: &mut dyn Peer, topology: &Direct) {
    let (left_inner, right_inner) = (topology.left().inner(), topology.right().inner());
    assert!(
        left.ping(left_inner, right_inner, Duration::from_secs(2)).unwrap(),
        "left -> right through the tunnel"
    );
    assert!(
        right.ping(right_inner, left_inner, Duration::from_secs(2)).unwrap(),
        "right -> left through the tunnel"
    );
}

/// Both sides report the same IKE SA and one child whose SPIs mirror each other.
fn assert_same_sas(left: &mut dyn Peer, right: &mut dyn Peer) {
    let (left_status, right_status) = (left.status().unwrap(), right.status().unwrap());
    for status in [&left_status, &right_status] {
        let sa = status.established("tunnel").next().unwrap_or_else(|| panic!("no IKE SA in {status:#?}"));
        assert_eq!(sa.proposal.as_deref(), Some("aes128-sha256-modp2048"), "{status:#?}");
        let child = status.installed_children().next().unwrap_or_else(|| panic!("no child in {status:#?}"));
        assert_eq!(child.proposal.as_deref(), Some("aes128-sha256"), "{status:#?}");
        assert_eq!(child.pfs_group.as_deref(), Some("modp2048"), "{status:#?}");
        assert!(child.udp_encapsulated, "kernel-libipsec always encapsulates: {status:#?}");
    }
    let left_child = left_status.installed_children().next().unwrap();
    let right_child = right_status.installed_children().next().unwrap();
    assert_eq!(left_child.spi_in, right_child.spi_out);
    assert_eq!(left_child.spi_out, right_child.spi_in);
}

/// Each side's key material covers the child's two SPIs, and the sides agree.
fn assert_keys_agree(left: &mut dyn Peer, right: &mut dyn Peer) {
    let (left_keys, right_keys) = (left.keys().unwrap(), right.keys().unwrap());
    let child = left.status().unwrap().installed_children().next().cloned().unwrap();
    for spi in [child.spi_in.unwrap(), child.spi_out.unwrap()] {
        let from_left = left_keys
            .esp
            .iter()
            .find(|sa| sa.spi == spi)
            .unwrap_or_else(|| panic!("{spi:08x} in {left_keys:#?}"));
        let from_right = right_keys
            .esp
            .iter()
            .find(|sa| sa.spi == spi)
            .unwrap_or_else(|| panic!("{spi:08x} in {right_keys:#?}"));
        assert_eq!(from_left, from_right, "the two sides disagree on SA {spi:08x}");
    }
}

#[test]
fn strongswan_brings_up_a_tunnel_with_strongswan_and_reports_it() {
    isolated(|| {
        let topology = Direct::new().unwrap();
        let (left_host, right_host) = (topology.left(), topology.right());
        let mut left = StrongSwan::start(left_host).unwrap();
        let mut right = StrongSwan::start(right_host).unwrap();
        left.load(&policy(left_host, right_host, ExchangeMode::Main)).unwrap();
        right.load(&policy(right_host, left_host, ExchangeMode::Main)).unwrap();
        left.initiate("tunnel", TIMEOUT).unwrap();
        ping_both_ways(&mut left, &mut right, &topology);
        assert_same_sas(&mut left, &mut right);
        let left_status = left.status().unwrap();
        let child = left_status.installed_children().next().unwrap();
        assert!(child.bytes_out.unwrap() > 0 && child.packets_in.unwrap() > 0, "{child:#?}");
        let cookie = left_status.ike_sas[0].initiator_cookie.clone().unwrap();
        let keys = left.keys().unwrap();
        assert!(keys.ike.iter().any(|sa| sa.initiator_cookie == cookie), "no Ka for {cookie} in {keys:#?}");
        assert_eq!(keys.ike, right.keys().unwrap().ike, "both sides log the same Ka");
        assert_keys_agree(&mut left, &mut right);
        assert!(left.log().contains("IKE_SA tunnel[1] established"));
        left.stop().unwrap();
        right.stop().unwrap();
    });
}

#[test]
fn strongswan_aggressive_mode_responder_accepts_psk() {
    isolated(|| {
        let topology = Direct::new().unwrap();
        let (left_host, right_host) = (topology.left(), topology.right());
        let mut left = StrongSwan::start(left_host).unwrap();
        let mut right = StrongSwan::start(right_host).unwrap();
        left.load(&policy(left_host, right_host, ExchangeMode::Aggressive)).unwrap();
        right.load(&policy(right_host, left_host, ExchangeMode::Aggressive)).unwrap();
        left.initiate("tunnel", TIMEOUT).unwrap();
        assert_same_sas(&mut left, &mut right);
    });
}

#[test]
fn libreswan_guest_initiates_to_strongswan_with_kernel_esp() {
    isolated(|| {
        let topology = Direct::new().unwrap();
        let (left_host, right_host) = (topology.left(), topology.right());
        let mut left = StrongSwan::start(left_host).unwrap();
        let mut right = LibreswanGuest::start(right_host).unwrap();
        left.load(&policy(left_host, right_host, ExchangeMode::Main)).unwrap();
        right.load(&policy(right_host, left_host, ExchangeMode::Main)).unwrap();
        right.initiate("tunnel", TIMEOUT).unwrap();
        ping_both_ways(&mut left, &mut right, &topology);
        assert_same_sas(&mut left, &mut right);
        assert_keys_agree(&mut left, &mut right);
        assert!(right.log().contains("IPsec SA established"), "{}", right.log());
        right.stop().unwrap();
        let artifacts = right.artifacts();
        assert!(artifacts.iter().any(|path| path.ends_with("final")), "no final/ snapshot in {artifacts:?}");
    });
}

#[test]
fn libreswan_on_the_host_completes_phase_1() {
    isolated(|| {
        let topology = Direct::new().unwrap();
        let (left_host, right_host) = (topology.left(), topology.right());
        let mut left = StrongSwan::start(left_host).unwrap();
        let mut right = LibreswanHost::start(right_host).unwrap();
        left.load(&policy(left_host, right_host, ExchangeMode::Main)).unwrap();
        right.load(&policy(right_host, left_host, ExchangeMode::Main)).unwrap();
        right.initiate("tunnel", TIMEOUT).unwrap();
        let status = right.status().unwrap();
        let sa = status.established("tunnel").next().unwrap_or_else(|| panic!("{status:#?}"));
        assert_eq!(sa.proposal.as_deref(), Some("aes128-sha256-modp2048"));
        assert!(left.status().unwrap().established("tunnel").next().is_some());
        right.stop().unwrap();
    });
}

#[test]
fn a_missing_peer_fails_with_a_message_naming_what_is_missing() {
    isolated(|| {
        let topology = Direct::new().unwrap();
        // SAFETY: the tests of this binary run one at a time (ONE_AT_A_TIME), so no
        // other thread reads the environment meanwhile.
        unsafe { std::env::set_var("IKELAB_PEERS_DIR", "/nonexistent/ikelab") };
        let outcome = StrongSwan::start(topology.left()).map(drop);
        let guest = LibreswanGuest::start(topology.right()).map(drop);
        unsafe { std::env::remove_var("IKELAB_PEERS_DIR") };
        for outcome in [outcome, guest] {
            let error = outcome.unwrap_err();
            assert!(matches!(error, PeerError::Missing { .. }), "{error}");
            let message = error.to_string();
            assert!(
                message.contains("/nonexistent/ikelab/peers.env") && message.contains("install.sh"),
                "{message}"
            );
        }
    });
}
