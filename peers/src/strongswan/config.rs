//! strongswan.conf and swanctl.conf for one charon instance, rendered from the policy.
//!
//! What maps where:
//! - IKE proposals in priority order -> `proposals`; exchange -> `aggressive`.
//! - The ISAKMP lifetime L -> `reauth_time = L-1`, `over_time = 1`: charon proposes
//!   reauth_time + over_time in IKEv1, so the wire carries exactly L.
//! - A child's lifetime -> `life_time` (what Quick Mode proposes), `rekey_time` at 90 %,
//!   `life_bytes` from kilobytes; PFS -> the group appended to every ESP proposal;
//!   `rekey = false` -> `rekey_time = 0` (and `rekey_bytes = 0`): the CHILD_SA expires.
//! - NAT-T `force` -> `encap = yes` (kernel-libipsec encapsulates always anyway; `off`
//!   cannot be expressed and is refused); DPD -> `dpd_delay` / `dpd_timeout`;
//!   `initial_contact = false` -> `unique = never` (charon sends INITIAL-CONTACT only
//!   when uniqueness is enforced).
//! - Responder choice, lifetime rule, invalid-SPI recovery and impairments are the
//!   reference engine's own knobs; charon has no equivalent and ignores them. So are
//!   the NAT-T vendor ID choices (charon always sends RFC 3947 and the drafts) and the
//!   keepalive interval (daemon-wide, [`KEEPALIVE_SECS`]).

use std::fmt::Write as _;
use std::path::Path;

use ikev1::policy::{ChildPolicy, IpsecMode, NatTMode, Policy, TrafficSelector};

use crate::peer::error::{PeerError, PeerResult};
use crate::peer::view::{ConnectionView, rekey_before, safe_name, subnet};

pub(crate) const PEER: &str = "strongSwan";

/// What a freshly started or reset instance has loaded: nothing.
pub(crate) const EMPTY_SWANCTL_CONF: &str = "connections {\n}\nsecrets {\n}\n";

/// NAT keepalives (RFC 3948 2.3) are a daemon-wide setting in charon; short, so cases
/// that look for them need not wait long.
const KEEPALIVE_SECS: u32 = 5;

/// Plugins charon loads: kernel-libipsec before kernel-netlink so it owns the IPsec
/// interface (ESP in userspace, always UDP-encapsulated); openssl for 3DES and gcm for
/// AES-GCM, which the native plugins lack.
const CHARON_PLUGINS: &str = "random nonce aes sha1 sha2 md5 hmac gmp gcm openssl kdf pem pkcs1 x509 pubkey \
                              kernel-libipsec kernel-netlink socket-default vici updown";
const SWANCTL_PLUGINS: &str = "random nonce aes sha1 sha2 md5 hmac gmp pem pkcs1 x509 pubkey";

/// strongswan.conf for an instance whose files live in `dir`: vici socket in
/// `dir/run`, log `dir/charon.log` at level 4 for IKE and CHILD (keys are logged),
/// appended to across restarts.
pub(crate) fn strongswan_conf(dir: &Path) -> String {
    let dir = dir.display();
    format!(
        "charon {{
  load_modular = no
  load = {CHARON_PLUGINS}
  port = 500
  port_nat_t = 4500
  install_routes = yes
  install_virtual_ip = no
  keep_alive = {KEEPALIVE_SECS}s
  retransmit_tries = 3
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  plugins {{
    vici {{
      socket = unix://{dir}/run/charon.vici
    }}
    kernel-libipsec {{
      allow_peer_ts = no
    }}
  }}
  filelog {{
    main {{
      path = {dir}/charon.log
      time_format = %H:%M:%S
      time_add_ms = yes
      ike_name = yes
      append = yes
      flush_line = yes
      default = 1
      ike = 4
      chd = 4
      cfg = 2
      knl = 2
      net = 2
      enc = 1
    }}
  }}
  syslog {{
    daemon {{
      default = -1
    }}
  }}
}}
swanctl {{
  load = {SWANCTL_PLUGINS}
}}
"
    )
}

/// swanctl.conf with every connection and secret of `policy`.
pub(crate) fn swanctl_conf(policy: &Policy) -> PeerResult<String> {
    let views = ConnectionView::all(PEER, policy)?;
    let mut out = String::from("connections {\n");
    for view in &views {
        connection(&mut out, view)?;
    }
    out.push_str("}\nsecrets {\n");
    for (index, view) in views.iter().enumerate() {
        let _ = writeln!(out, "  ike-{index} {{");
        let _ = writeln!(out, "    id-local = {}", view.local_id());
        if let Some(remote) = view.remote_id() {
            let _ = writeln!(out, "    id-remote = {remote}");
        }
        let _ = writeln!(out, "    secret = \"{}\"\n  }}", view.psk);
    }
    out.push_str("}\n");
    Ok(out)
}

fn connection(out: &mut String, view: &ConnectionView<'_>) -> PeerResult<()> {
    let connection = view.connection;
    let proposals: Vec<String> = view.ike_proposals().iter().map(ToString::to_string).collect();
    let lifetime = view.ike_lifetime_secs().max(2);
    let remote = view.remote_address().map_or_else(|| "%any".to_owned(), |address| address.to_string());
    let _ = writeln!(out, "  {} {{", connection.name);
    let _ = writeln!(out, "    version = 1");
    let _ = writeln!(
        out,
        "    aggressive = {}",
        yes_no(connection.exchange == ikev1::policy::ExchangeMode::Aggressive)
    );
    let _ = writeln!(out, "    local_addrs = {}", connection.local_address);
    let _ = writeln!(out, "    remote_addrs = {remote}");
    let _ = writeln!(out, "    proposals = {}", proposals.join(", "));
    let _ = writeln!(
        out,
        "    rekey_time = 0s\n    reauth_time = {}s\n    over_time = 1s\n    rand_time = 0s",
        lifetime - 1
    );
    let _ = writeln!(out, "    unique = {}", if connection.initial_contact { "no" } else { "never" });
    match connection.nat_traversal.mode {
        NatTMode::Auto => {}
        NatTMode::Force => out.push_str("    encap = yes\n"),
        NatTMode::Off => {
            return Err(PeerError::Unsupported {
                peer: PEER,
                what: "NAT-T off (kernel-libipsec always encapsulates)".into(),
            });
        }
    }
    match connection.dpd {
        Some(dpd) => {
            let _ = writeln!(out, "    dpd_delay = {}s", dpd.interval_secs);
            let _ =
                writeln!(out, "    dpd_timeout = {}s", dpd.interval_secs.saturating_mul(dpd.retries.max(1)));
        }
        None => out.push_str("    dpd_delay = 0s\n"),
    }
    let _ = writeln!(out, "    local {{\n      auth = psk\n      id = {}\n    }}", view.local_id());
    out.push_str("    remote {\n      auth = psk\n");
    if let Some(remote_id) = view.remote_id() {
        let _ = writeln!(out, "      id = {remote_id}");
    }
    out.push_str("    }\n    children {\n");
    for child_policy in &connection.children {
        child(out, child_policy, connection.rekey)?;
    }
    out.push_str("    }\n  }\n");
    Ok(())
}

fn child(out: &mut String, child: &ChildPolicy, rekeys: bool) -> PeerResult<()> {
    safe_name(PEER, &child.name)?;
    let pfs = child.pfs.map(|group| format!("-{}", group.token())).unwrap_or_default();
    let proposals: Vec<String> =
        child.esp_proposals.iter().map(|proposal| format!("{proposal}{pfs}")).collect();
    let lifetime = child.lifetime.seconds.max(2);
    let mode = match child.mode {
        IpsecMode::Tunnel => "tunnel",
        IpsecMode::Transport => "transport",
    };
    let _ = writeln!(out, "      {} {{", child.name);
    let _ = writeln!(out, "        mode = {mode}");
    let _ = writeln!(out, "        local_ts = {}", selector(&child.local_ts));
    let _ = writeln!(out, "        remote_ts = {}", selector(&child.remote_ts));
    let _ = writeln!(out, "        esp_proposals = {}", proposals.join(", "));
    // rekey_time = 0 disables re-keying: the CHILD_SA then lives to life_time.
    let rekey = if rekeys { rekey_before(lifetime) } else { 0 };
    let _ = writeln!(
        out,
        "        life_time = {lifetime}s\n        rekey_time = {rekey}s\n        rand_time = 0s"
    );
    if let Some(kilobytes) = child.lifetime.kilobytes {
        let bytes = u64::from(kilobytes) * 1024;
        let rekey_bytes = if rekeys { bytes / 10 * 9 } else { 0 };
        let _ = writeln!(out, "        life_bytes = {bytes}\n        rekey_bytes = {rekey_bytes}");
    }
    out.push_str("        start_action = none\n        dpd_action = clear\n      }\n");
    Ok(())
}

/// `198.51.100.1/32`, with `[proto/port]` when the selector names them.
fn selector(selector: &TrafficSelector) -> String {
    match (selector.protocol, selector.port) {
        (0, 0) => subnet(selector),
        (protocol, 0) => format!("{}[{protocol}]", subnet(selector)),
        (protocol, port) => format!("{}[{protocol}/{port}]", subnet(selector)),
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikev1::policy::{Connection, ExchangeMode, IdentityConfig, IpsecLifetime, Keyring, PeerSelector};

    fn policy() -> Policy {
        let mut connection = Connection::new(
            "ref",
            "192.0.2.2".parse().unwrap(),
            Some("192.0.2.1".parse().unwrap()),
            vec![
                "aes256-sha1-modp1024".parse::<ikev1::policy::IkeProposal>().unwrap().with_priority(20),
                "aes128-sha256-modp2048"
                    .parse::<ikev1::policy::IkeProposal>()
                    .unwrap()
                    .with_priority(10)
                    .with_lifetime(3600),
            ],
        );
        connection.exchange = ExchangeMode::Aggressive;
        connection.local_id = Some(IdentityConfig::Fqdn("peer.example".into()));
        connection.remote_id = Some(IdentityConfig::Fqdn("ref.example".into()));
        connection.children.push(ChildPolicy {
            name: "net".into(),
            mode: IpsecMode::Tunnel,
            local_ts: TrafficSelector::host("198.51.100.129".parse().unwrap()),
            remote_ts: TrafficSelector::host("198.51.100.1".parse().unwrap()),
            esp_proposals: vec!["aes128-sha256".parse().unwrap(), "3des-sha1".parse().unwrap()],
            pfs: Some(ikev1::policy::DhGroup::Modp2048),
            lifetime: IpsecLifetime { seconds: 1200, kilobytes: Some(1000) },
        });
        let keyring = Keyring::default().with(PeerSelector::Address("192.0.2.1".parse().unwrap()), "s3cret");
        Policy { connections: vec![connection], keyring }
    }

    #[test]
    fn the_policy_maps_onto_swanctl_settings() {
        let conf = swanctl_conf(&policy()).unwrap();
        for expected in [
            "aggressive = yes",
            "proposals = aes128-sha256-modp2048, aes256-sha1-modp1024",
            "reauth_time = 3599s\n    over_time = 1s",
            "id = @peer.example",
            "id = @ref.example",
            "esp_proposals = aes128-sha256-modp2048, 3des-sha1-modp2048",
            "life_time = 1200s\n        rekey_time = 1080s",
            "life_bytes = 1024000",
            "secret = \"s3cret\"",
            "remote_addrs = 192.0.2.1",
        ] {
            assert!(conf.contains(expected), "missing {expected:?} in\n{conf}");
        }
    }

    #[test]
    fn nat_t_off_cannot_be_expressed() {
        let mut policy = policy();
        policy.connections[0].nat_traversal.mode = NatTMode::Off;
        assert!(matches!(swanctl_conf(&policy), Err(PeerError::Unsupported { .. })));
    }
}
