//! What a peer reports about its SAs, in one shape for every implementation, with
//! algorithms spelled as the policy model spells them (`aes128-sha256-modp2048`) so
//! checks compare them with the configured proposals directly.

use std::net::IpAddr;

use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PeerStatus {
    pub ike_sas: Vec<IkeSaStatus>,
}

impl PeerStatus {
    /// The established IKE SAs of a connection.
    pub fn established(&self, connection: &str) -> impl Iterator<Item = &IkeSaStatus> {
        self.ike_sas.iter().filter(move |sa| sa.connection == connection && sa.established)
    }

    /// Every installed IPsec SA pair, whichever IKE SA it hangs off.
    pub fn installed_children(&self) -> impl Iterator<Item = &ChildSaStatus> {
        self.ike_sas.iter().flat_map(|sa| sa.children.iter()).filter(|child| child.installed)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IkeSaStatus {
    /// The implementation's handle for this SA (charon's unique id, pluto's `#serial`).
    pub id: Option<String>,
    pub connection: String,
    /// The implementation's own word for the state (`ESTABLISHED`, `STATE_MAIN_R3`).
    pub state: String,
    pub established: bool,
    pub local: Option<Endpoint>,
    pub remote: Option<Endpoint>,
    /// Cookies as 16 hex digits, when the peer reports them.
    pub initiator_cookie: Option<String>,
    pub responder_cookie: Option<String>,
    /// `aes128-sha256-modp2048`
    pub proposal: Option<String>,
    /// Seconds until the peer replaces or re-authenticates this SA.
    pub rekey_in_secs: Option<u64>,
    pub children: Vec<ChildSaStatus>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    pub address: IpAddr,
    pub port: Option<u16>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChildSaStatus {
    /// The implementation's handle for this SA pair (charon's unique id, pluto's `#serial`).
    pub id: Option<String>,
    pub name: String,
    pub state: String,
    pub installed: bool,
    /// `tunnel` or `transport`.
    pub mode: String,
    /// ESP in UDP (RFC 3948).
    pub udp_encapsulated: bool,
    /// The SPI this peer receives with, and the one it sends with.
    pub spi_in: Option<u32>,
    pub spi_out: Option<u32>,
    /// `aes128-sha256`
    pub proposal: Option<String>,
    /// The Quick Mode PFS group (`modp2048`), if PFS was used.
    pub pfs_group: Option<String>,
    /// `pfs_group` is the connection's configured group, not the negotiated one:
    /// pluto's `whack --status` shows its policy even when it accepted another group.
    pub pfs_group_is_configured: bool,
    pub bytes_in: Option<u64>,
    pub bytes_out: Option<u64>,
    pub packets_in: Option<u64>,
    pub packets_out: Option<u64>,
    pub rekey_in_secs: Option<u64>,
    pub expires_in_secs: Option<u64>,
    pub local_ts: Vec<String>,
    pub remote_ts: Vec<String>,
}
