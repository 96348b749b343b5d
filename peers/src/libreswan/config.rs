//! ipsec.conf and ipsec.secrets for Libreswan 4.10, rendered from the policy; shared
//! by the guest and the host drivers.
//!
//! Libreswan pairs one ISAKMP policy with one IPsec SA per `conn`, so a policy
//! connection becomes one conn per child (`<connection>` alone when it has one child or
//! none, `<connection>-<child>` otherwise). What maps where:
//! - IKE proposals in priority order -> `ike=` (`aes128-sha2_256;modp2048,...`), the
//!   preferred proposal's lifetime -> `ikelifetime`; exchange -> `aggressive`.
//! - A child's ESP proposals -> `phase2alg=` with the PFS group after `;`, `pfs=`,
//!   lifetime -> `salifetime`, mode -> `type`, selectors -> `left/rightsubnet` and
//!   `left/rightprotoport`.
//! - NAT-T `force`/`off` -> `encapsulation=yes/no`; DPD -> `dpddelay`/`dpdtimeout`;
//!   `initial_contact` -> `initial-contact`.
//! - `rekey`, and `rekeymargin` at 10 % of the shorter lifetime (no fuzz), so both
//!   phases re-key at 90 % as strongSwan's rendering and the reference do.
//! - NAT-T vendor ID choices -> `nat-ikev1-method`; kilobyte lifetimes ->
//!   `ipsec-max-bytes` (a local limit: pluto does not negotiate it in IKEv1).
//! - `keyingtries=1`, so a failed initiation ends instead of retrying forever.
//! - The host's own inner address, when the local selector covers it (or a host local
//!   selector), becomes `leftsourceip`, so _updown installs a route to the remote
//!   selector (the guest has no other route to it).
//! - A selector's protocol and port -> `protoport` (`1/0`: pluto refuses `%any` ports
//!   on both sides).
//! - Responder choice, lifetime rule, invalid-SPI recovery and impairments are not
//!   rendered (the reference engine's knobs), nor the keepalive interval (daemon-wide).

use std::fmt::Write as _;
use std::net::IpAddr;

use ikev1::policy::{
    ChildPolicy, EspProposal, ExchangeMode, IkeHash, IpsecMode, NatTMode, NatTraversal, Policy,
    TrafficSelector,
};

use crate::peer::error::PeerResult;
use crate::peer::view::{ConnectionView, rekey_before, safe_name, subnet};

pub(crate) const PEER: &str = "Libreswan";

/// Seconds between NAT keepalives, for every connection of the daemon.
const KEEPALIVE_SECS: u32 = 5;

/// The `config setup` section. `extra` holds driver-specific lines (paths).
pub(crate) fn config_setup(extra: &[String]) -> String {
    // No plutodebug: pluto 4.10 keeps IKE keys inside NSS and even `crypt private`
    // logs only key handles, while slowing pluto down with thousands of lines.
    // logappend: one log across restarts and cases (drivers take excerpts); keep-alive:
    // NAT keepalives (RFC 3948 2.3) are daemon-wide in pluto, short so cases need not wait.
    let mut out = format!(
        "config setup\n    ikev1-policy=accept\n    uniqueids=no\n    plutodebug=none\n    logtime=yes\n    \
         logappend=yes\n    keep-alive={KEEPALIVE_SECS}\n"
    );
    for line in extra {
        let _ = writeln!(out, "    {line}");
    }
    out
}

/// The conns of every policy connection, after `setup`.
/// The conns of every policy connection, after `setup`; `inner` is the host's own
/// address behind the tunnel, if it has one.
pub(crate) fn ipsec_conf(setup: &str, policy: &Policy, inner: Option<IpAddr>) -> PeerResult<String> {
    let mut out = setup.to_owned();
    for view in ConnectionView::all(PEER, policy)? {
        for (name, child) in conn_names(view.connection) {
            out.push('\n');
            conn(&mut out, &name, &view, child, inner)?;
        }
    }
    Ok(out)
}

/// `ID ID : PSK "secret"` per connection.
pub(crate) fn ipsec_secrets(policy: &Policy) -> PeerResult<String> {
    let mut out = String::new();
    for view in ConnectionView::all(PEER, policy)? {
        let remote = view.remote_id().unwrap_or_else(|| "%any".into());
        let _ = writeln!(out, "{} {remote} : PSK \"{}\"", view.local_id(), view.psk);
    }
    Ok(out)
}

/// The Libreswan conn names of a policy connection, with the child each one carries.
pub(crate) fn conn_names(connection: &ikev1::policy::Connection) -> Vec<(String, Option<&ChildPolicy>)> {
    match connection.children.as_slice() {
        [] => vec![(connection.name.clone(), None)],
        [only] => vec![(connection.name.clone(), Some(only))],
        children => children
            .iter()
            .map(|child| (format!("{}-{}", connection.name, child.name), Some(child)))
            .collect(),
    }
}

fn conn(
    out: &mut String,
    name: &str,
    view: &ConnectionView<'_>,
    child: Option<&ChildPolicy>,
    inner: Option<IpAddr>,
) -> PeerResult<()> {
    safe_name(PEER, name)?;
    let connection = view.connection;
    let ike: Vec<String> = view
        .ike_proposals()
        .iter()
        .map(|proposal| {
            format!("{}-{};{}", proposal.cipher.token(), hash(proposal.hash), proposal.group.token())
        })
        .collect();
    let right = view.remote_address().map_or_else(|| "%any".to_owned(), |address| address.to_string());
    let _ = writeln!(out, "conn {name}");
    let _ = writeln!(out, "    ikev2=no");
    let _ = writeln!(out, "    authby=secret");
    let _ = writeln!(out, "    aggressive={}", yes_no(connection.exchange == ExchangeMode::Aggressive));
    let _ = writeln!(out, "    left={}\n    leftid={}", connection.local_address, view.local_id());
    let _ = writeln!(out, "    right={right}");
    if let Some(remote_id) = view.remote_id() {
        let _ = writeln!(out, "    rightid={remote_id}");
    }
    let _ = writeln!(out, "    ike={}\n    ikelifetime={}s", ike.join(","), view.ike_lifetime_secs());
    let _ = writeln!(out, "    initial-contact={}", yes_no(connection.initial_contact));
    let encapsulation = match connection.nat_traversal.mode {
        NatTMode::Auto => "auto",
        NatTMode::Force => "yes",
        NatTMode::Off => "no",
    };
    let _ = writeln!(out, "    encapsulation={encapsulation}");
    let _ = writeln!(out, "    nat-ikev1-method={}", nat_ikev1_method(&connection.nat_traversal));
    // Both lifetimes share one margin in pluto: 10 % of the shorter, without fuzz, as
    // strongSwan's rendering re-keys at 90 %.
    let shortest =
        child.map_or(view.ike_lifetime_secs(), |child| child.lifetime.seconds.min(view.ike_lifetime_secs()));
    let _ = writeln!(
        out,
        "    rekey={}\n    rekeymargin={}s\n    rekeyfuzz=0%",
        yes_no(connection.rekey),
        shortest - rekey_before(shortest)
    );
    if let Some(dpd) = connection.dpd {
        let timeout = dpd.interval_secs.saturating_mul(dpd.retries.max(1));
        let _ = writeln!(
            out,
            "    dpddelay={}s\n    dpdtimeout={timeout}s\n    dpdaction=clear",
            dpd.interval_secs
        );
    }
    if let Some(child) = child {
        child_settings(out, child, inner);
    }
    out.push_str("    keyingtries=1\n    auto=add\n");
    Ok(())
}

fn child_settings(out: &mut String, child: &ChildPolicy, inner: Option<IpAddr>) {
    let pfs = child.pfs.map(|group| format!(";{}", group.token())).unwrap_or_default();
    let proposals: Vec<String> =
        child.esp_proposals.iter().map(|proposal| format!("{}{pfs}", esp(proposal))).collect();
    let mode = match child.mode {
        IpsecMode::Tunnel => "tunnel",
        IpsecMode::Transport => "transport",
    };
    let _ = writeln!(out, "    type={mode}");
    // Our inner address (or a host selector, one of our own addresses): as
    // leftsourceip, _updown routes the remote subnet with it as source, without which
    // replies have no route at all.
    let host = (child.local_ts.prefix_len == 32 && child.local_ts.address.is_ipv4())
        .then_some(child.local_ts.address);
    if let Some(source) = inner.filter(|address| child.local_ts.contains(*address)).or(host) {
        let _ = writeln!(out, "    leftsourceip={source}");
    }
    selector(out, "left", &child.local_ts);
    selector(out, "right", &child.remote_ts);
    let _ = writeln!(out, "    phase2=esp\n    phase2alg={}", proposals.join(","));
    let _ =
        writeln!(out, "    pfs={}\n    salifetime={}s", yes_no(child.pfs.is_some()), child.lifetime.seconds);
    // Not negotiated in IKEv1 by pluto: a local limit only (ipsec.conf(5)).
    if let Some(kilobytes) = child.lifetime.kilobytes {
        let _ = writeln!(out, "    ipsec-max-bytes={kilobytes}KiB");
    }
}

fn selector(out: &mut String, side: &str, selector: &TrafficSelector) {
    let _ = writeln!(out, "    {side}subnet={}", subnet(selector));
    if selector.protocol != 0 {
        let _ = writeln!(out, "    {side}protoport={}/{}", selector.protocol, selector.port);
    }
}

/// `aes128-sha2_256`, `aes_gcm128` (Libreswan's ESP spelling; its `aes_gcm` is the
/// 16-byte ICV, ipsec.conf(5)).
fn esp(proposal: &EspProposal) -> String {
    use ikev1::policy::{EspCipher, EspIntegrityAlgorithm};
    let cipher = match proposal.cipher {
        EspCipher::Aes128gcm16 => "aes_gcm128",
        EspCipher::Aes192gcm16 => "aes_gcm192",
        EspCipher::Aes256gcm16 => "aes_gcm256",
        other => other.token(),
    };
    match proposal.integrity {
        None => cipher.to_owned(),
        Some(integrity) => {
            let hash = match integrity {
                EspIntegrityAlgorithm::Md5 => IkeHash::Md5,
                EspIntegrityAlgorithm::Sha1 => IkeHash::Sha1,
                EspIntegrityAlgorithm::Sha256 => IkeHash::Sha256,
                EspIntegrityAlgorithm::Sha384 => IkeHash::Sha384,
                EspIntegrityAlgorithm::Sha512 => IkeHash::Sha512,
            };
            format!("{cipher}-{}", self::hash(hash))
        }
    }
}

/// Which NAT-T vendor IDs pluto sends and honours.
fn nat_ikev1_method(nat_traversal: &NatTraversal) -> &'static str {
    match (nat_traversal.rfc3947, nat_traversal.drafts) {
        (true, true) => "both",
        (true, false) => "rfc",
        (false, true) => "drafts",
        (false, false) => "none",
    }
}

fn hash(hash: IkeHash) -> &'static str {
    match hash {
        IkeHash::Md5 => "md5",
        IkeHash::Sha1 => "sha1",
        IkeHash::Sha256 => "sha2_256",
        IkeHash::Sha384 => "sha2_384",
        IkeHash::Sha512 => "sha2_512",
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikev1::policy::{Connection, DhGroup, IdentityConfig, IpsecLifetime, Keyring, PeerSelector};

    fn policy(children: usize) -> Policy {
        let mut connection = Connection::new(
            "ref",
            "192.0.2.2".parse().unwrap(),
            Some("192.0.2.1".parse().unwrap()),
            vec!["aes128-sha256-modp2048".parse::<ikev1::policy::IkeProposal>().unwrap().with_lifetime(3600)],
        );
        connection.local_id = Some(IdentityConfig::Fqdn("peer.example".into()));
        connection.remote_id = Some(IdentityConfig::Fqdn("ref.example".into()));
        for index in 0..children {
            connection.children.push(ChildPolicy {
                name: format!("net{index}"),
                mode: IpsecMode::Tunnel,
                local_ts: TrafficSelector::host("198.51.100.129".parse().unwrap()),
                remote_ts: TrafficSelector::host("198.51.100.1".parse().unwrap()),
                esp_proposals: vec!["aes128-sha256".parse().unwrap()],
                pfs: Some(DhGroup::Modp2048),
                lifetime: IpsecLifetime { seconds: 1200, kilobytes: None },
            });
        }
        let keyring = Keyring::default().with(PeerSelector::Address("192.0.2.1".parse().unwrap()), "s3cret");
        Policy { connections: vec![connection], keyring }
    }

    #[test]
    fn one_child_is_one_conn_with_the_policy_settings() {
        let conf = ipsec_conf(&config_setup(&[]), &policy(1), None).unwrap();
        for expected in [
            "ikev1-policy=accept",
            "conn ref\n",
            "ike=aes128-sha2_256;modp2048\n    ikelifetime=3600s",
            "leftid=@peer.example",
            "rightid=@ref.example",
            "leftsubnet=198.51.100.129/32",
            "phase2alg=aes128-sha2_256;modp2048",
            "pfs=yes\n    salifetime=1200s",
            "aggressive=no",
        ] {
            assert!(conf.contains(expected), "missing {expected:?} in\n{conf}");
        }
        assert_eq!(ipsec_secrets(&policy(1)).unwrap(), "@peer.example @ref.example : PSK \"s3cret\"\n");
    }

    #[test]
    fn several_children_become_several_conns() {
        let conf = ipsec_conf(&config_setup(&[]), &policy(2), None).unwrap();
        assert!(conf.contains("conn ref-net0\n") && conf.contains("conn ref-net1\n"), "{conf}");
    }
}
