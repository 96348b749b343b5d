//! What the strongSwan and Libreswan renderers share: reading a policy connection the
//! way a configuration file needs it (identities, the PSK, lifetimes, selectors), and
//! refusing text that would break out of a quoted value or a section name.

use std::net::{IpAddr, Ipv4Addr};

use ikev1::policy::{Connection, IdentityConfig, IkeProposal, Policy, TrafficSelector};

use super::error::{PeerError, PeerResult};

/// A connection with what the renderers look up around it.
pub(crate) struct ConnectionView<'a> {
    pub connection: &'a Connection,
    pub psk: &'a str,
}

impl<'a> ConnectionView<'a> {
    /// Every connection of the policy with its PSK; a connection without a key is
    /// refused, since both peers are configured for PSK authentication only.
    pub fn all(peer: &'static str, policy: &'a Policy) -> PeerResult<Vec<Self>> {
        policy
            .connections
            .iter()
            .map(|connection| {
                safe_name(peer, &connection.name)?;
                let remote = connection.remote_address.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
                let remote_id = connection.remote_id.as_ref().map(IdentityConfig::to_identity);
                let psk = policy.keyring.lookup(remote, remote_id.as_ref()).ok_or_else(|| {
                    PeerError::Unsupported {
                        peer,
                        what: format!("connection {} without a PSK", connection.name),
                    }
                })?;
                safe_secret(peer, psk)?;
                Ok(ConnectionView { connection, psk })
            })
            .collect()
    }

    /// The IKE proposals in the order they are offered.
    pub fn ike_proposals(&self) -> Vec<IkeProposal> {
        self.connection.ordered_proposals()
    }

    /// The ISAKMP SA lifetime: IKEv1 peers have one per connection, so the preferred
    /// proposal's.
    pub fn ike_lifetime_secs(&self) -> u32 {
        // A connection without proposals is refused by both peers anyway; one day is
        // the policy model's default.
        self.ike_proposals().first().map_or(86_400, |proposal| proposal.lifetime_secs)
    }

    /// Our identity as both peers write it (`@fqdn`, an address, `user@fqdn`).
    pub fn local_id(&self) -> String {
        self.connection.local_identity().to_string()
    }

    /// The identity required of the other side; its address when the policy names none.
    pub fn remote_id(&self) -> Option<String> {
        match (&self.connection.remote_id, self.connection.remote_address) {
            (Some(id), _) => Some(id.to_string()),
            (None, Some(address)) => Some(address.to_string()),
            (None, None) => None,
        }
    }

    pub fn remote_address(&self) -> Option<IpAddr> {
        self.connection.remote_address
    }
}

/// `198.51.100.0/24` (protocol and port are rendered by each peer its own way).
pub(crate) fn subnet(selector: &TrafficSelector) -> String {
    format!("{}/{}", selector.address, selector.prefix_len)
}

/// A rekey time before `lifetime`: 90 %, as both peers' defaults keep a 10 % margin.
pub(crate) fn rekey_before(lifetime_secs: u32) -> u32 {
    lifetime_secs - (lifetime_secs / 10).max(1).min(lifetime_secs.saturating_sub(1))
}

/// Names become section names and file names: letters, digits, `-` and `_` only.
pub(crate) fn safe_name(peer: &'static str, name: &str) -> PeerResult<()> {
    let fine = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if fine { Ok(()) } else { Err(PeerError::Unsupported { peer, what: format!("the name {name:?}") }) }
}

/// Secrets are written between double quotes.
fn safe_secret(peer: &'static str, secret: &str) -> PeerResult<()> {
    if secret.contains(['"', '\n', '\r', '\\']) {
        Err(PeerError::Unsupported { peer, what: "a PSK containing quotes, backslashes or newlines".into() })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikev1::policy::{Keyring, PeerSelector};

    #[test]
    fn a_connection_gets_the_psk_of_its_peer_and_default_identities() {
        let peer: IpAddr = "192.0.2.2".parse().unwrap();
        let connection = Connection::new(
            "c1",
            "192.0.2.1".parse().unwrap(),
            Some(peer),
            vec!["aes128-sha256-modp2048".parse().unwrap()],
        );
        let policy = Policy {
            connections: vec![connection],
            keyring: Keyring::default().with(PeerSelector::Address(peer), "secret"),
        };
        let views = ConnectionView::all("test", &policy).unwrap();
        assert_eq!(views[0].psk, "secret");
        assert_eq!(views[0].local_id(), "192.0.2.1");
        assert_eq!(views[0].remote_id().as_deref(), Some("192.0.2.2"));
        assert_eq!(views[0].ike_lifetime_secs(), 86_400);
    }

    #[test]
    fn names_and_secrets_that_would_break_a_config_are_refused() {
        assert!(safe_name("test", "ok-name_1").is_ok());
        assert!(safe_name("test", "bad name").is_err());
        assert!(safe_name("test", "x{").is_err());
        assert!(safe_secret("test", "a\"b").is_err());
    }

    #[test]
    fn rekeying_happens_before_expiry() {
        assert_eq!(rekey_before(3600), 3240);
        assert_eq!(rekey_before(5), 4);
        assert_eq!(rekey_before(2), 1);
    }
}
