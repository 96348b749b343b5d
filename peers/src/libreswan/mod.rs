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
    #[test]
    fn conns_of_a_connection_are_itself_or_its_children() {
        let conf = "config setup\nconn a\nconn b-x\nconn b-y\nconn bb\n";
        assert_eq!(super::conns_of(conf, "a"), ["a"]);
        assert_eq!(super::conns_of(conf, "b"), ["b-x", "b-y"]);
    }
}
