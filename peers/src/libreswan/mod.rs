//! Libreswan 4.10: pluto in a user-mode-linux guest (full IKE + ESP with the guest
//! kernel's data plane), or on the host kernel for Phase-1-only checks (the host has
//! no ESP, so Quick Mode fails there installing the SA).
//!
//! Key material: the guest kernel's SAD gives the ESP keys; the IKE keys (Ka) are not
//! obtainable, since pluto 4.10 keeps them inside NSS and logs only key handles even
//! with `plutodebug="crypt private"`.

mod config;
mod guest;
mod host;
mod share;
mod status;

pub use guest::LibreswanGuest;
pub use host::LibreswanHost;

use crate::peer::{PeerError, PeerResult, PeerStatus, SaScope};

/// `ipsec addconn` exits 0 even when pluto refuses a connection; the refusal is in
/// pluto's log (`"x": failed to add connection: ...`) and the conn is missing from
/// `whack --status`. A refused policy must fail the load, saying why.
fn check_loaded(status: &str, conns: &[String], log: &str) -> PeerResult<()> {
    let missing: Vec<&String> =
        conns.iter().filter(|conn| !status.contains(&format!("\"{conn}\":"))).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let refusals: Vec<&str> = log.lines().filter(|line| line.contains("failed to add connection")).collect();
    Err(PeerError::Control {
        peer: config::PEER,
        command: format!("ipsec addconn (connections {missing:?} not loaded)"),
        output: refusals.last().map_or_else(|| "pluto gave no reason".to_owned(), |line| line.to_string()),
    })
}

/// The `whack --deletestate` serials that delete `scope` of these conns, IPsec SAs
/// before their ISAKMP SA (pluto sends a Delete for each established one). A
/// connection pluto brought up is revived at once after such a delete.
fn states_to_delete(status: &PeerStatus, conns: &[String], scope: SaScope) -> Vec<String> {
    let ours = status.ike_sas.iter().filter(|sa| conns.contains(&sa.connection));
    let mut serials = Vec::new();
    for sa in ours {
        if scope != SaScope::Phase1 {
            serials.extend(sa.children.iter().filter_map(|child| child.id.clone()));
        }
        if scope != SaScope::Phase2 {
            serials.extend(sa.id.clone());
        }
    }
    serials.into_iter().map(|serial| serial.trim_start_matches('#').to_owned()).collect()
}

/// The Libreswan conns a policy connection was rendered as, read back from ipsec.conf
/// (`conn <name>` or `conn <name>-<child>`).
fn conns_of(ipsec_conf: &str, connection: &str) -> Vec<String> {
    let prefix = format!("{connection}-");
    ipsec_conf
        .lines()
        .filter_map(|line| line.strip_prefix("conn "))
        .map(str::trim)
        .filter(|conn| *conn == connection || conn.starts_with(&prefix))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::peer::status::{ChildSaStatus, IkeSaStatus};
    use crate::peer::{PeerStatus, SaScope};

    #[test]
    fn deletes_name_children_before_their_isakmp_sa() {
        let child = ChildSaStatus { id: Some("#2".into()), ..ChildSaStatus::default() };
        let sa = IkeSaStatus {
            id: Some("#1".into()),
            connection: "a".into(),
            children: vec![child],
            ..IkeSaStatus::default()
        };
        let other = IkeSaStatus { id: Some("#3".into()), connection: "b".into(), ..IkeSaStatus::default() };
        let status = PeerStatus { ike_sas: vec![sa, other] };
        let conns = ["a".to_owned()];
        assert_eq!(super::states_to_delete(&status, &conns, SaScope::Both), ["2", "1"]);
        assert_eq!(super::states_to_delete(&status, &conns, SaScope::Phase1), ["1"]);
        assert_eq!(super::states_to_delete(&status, &conns, SaScope::Phase2), ["2"]);
    }

    #[test]
    fn conns_of_a_connection_are_itself_or_its_children() {
        let conf = "config setup\nconn a\nconn b-x\nconn b-y\nconn bb\n";
        assert_eq!(super::conns_of(conf, "a"), ["a"]);
        assert_eq!(super::conns_of(conf, "b"), ["b-x", "b-y"]);
    }
}
