//! `show crypto ipsec sa` and `show crypto session`, as IOS prints them, from
//! the state the engine uses (DESIGN.md, "Traces and status views").

use std::fmt::Write;
use std::net::IpAddr;

use serde::Serialize;

use crate::esp::{EspSaStatus, Limits};
use crate::policy::{EspCipher, EspIntegrityAlgorithm, EspProposal, IpsecMode};

/// One IPsec SA pair and its selectors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IpsecSaView {
    pub connection: String,
    pub conn_id: u32,
    pub local: IpAddr,
    pub peer: IpAddr,
    pub peer_port: u16,
    pub local_ts: String,
    pub remote_ts: String,
    /// The DH group number of PFS, if used.
    pub pfs_group: Option<u16>,
    pub inbound: EspSaStatus,
    /// `None` until the exchange is confirmed.
    pub outbound: Option<EspSaStatus>,
}

/// IOS `show crypto session` statuses, as the seed document defines them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum SessionStatus {
    /// IPsec SAs up and traffic moving through them.
    #[serde(rename = "UP-ACTIVE")]
    UpActive,
    /// IPsec SAs up, no traffic lately (or only the ISAKMP SA up).
    #[serde(rename = "UP-IDLE")]
    UpIdle,
    /// IPsec SAs without an ISAKMP SA: the peer keeps using them, but
    /// nothing could tell it they are gone (invalid-SPI recovery needs one).
    #[serde(rename = "UP-NO-IKE")]
    UpNoIke,
    /// No IPsec SA, a negotiation under way.
    #[serde(rename = "DOWN-NEGOTIATING")]
    DownNegotiating,
    #[serde(rename = "DOWN")]
    Down,
}

impl SessionStatus {
    pub fn ios_name(self) -> &'static str {
        match self {
            Self::UpActive => "UP-ACTIVE",
            Self::UpIdle => "UP-IDLE",
            Self::UpNoIke => "UP-NO-IKE",
            Self::DownNegotiating => "DOWN-NEGOTIATING",
            Self::Down => "DOWN",
        }
    }
}

/// One peer's session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionView {
    pub connection: String,
    pub peer: IpAddr,
    pub peer_port: u16,
    pub status: SessionStatus,
    /// `local/port remote/port state` of each ISAKMP SA.
    pub ike_sas: Vec<(String, String, &'static str)>,
    /// `(local selector, remote selector, active SAs)` per IPsec flow.
    pub flows: Vec<(String, String, usize)>,
}

pub fn render_ipsec_sa(views: &[IpsecSaView]) -> String {
    let mut out = String::from("interface: ikelab\n");
    for view in views {
        let (inbound, outbound) = (&view.inbound, view.outbound.as_ref());
        let sent = outbound.map(|sa| sa.counters).unwrap_or_default();
        let received = &inbound.counters;
        let _ = write!(
            out,
            "    Crypto map tag: {connection}, local addr {local}\n\n   protected vrf: (none)\n   local  ident (addr/mask/prot/port): ({local_ts})\n   remote ident (addr/mask/prot/port): ({remote_ts})\n   current_peer {peer} port {port}\n     PERMIT, flags={{origin_is_acl,}}\n",
            connection = view.connection,
            local = view.local,
            local_ts = ident(&view.local_ts),
            remote_ts = ident(&view.remote_ts),
            peer = view.peer,
            port = view.peer_port,
        );
        let _ = write!(
            out,
            "    #pkts encaps: {e}, #pkts encrypt: {e}, #pkts digest: {d}\n    #pkts decaps: {de}, #pkts decrypt: {dc}, #pkts verify: {v}\n    #pkts compressed: 0, #pkts decompressed: 0\n    #pkts not compressed: 0, #pkts compr. failed: 0\n    #pkts not decompressed: 0, #pkts decompress failed: 0\n    #send errors {se}, #recv errors {re}\n\n",
            e = sent.pkts_encaps,
            d = sent.pkts_digest,
            de = received.pkts_decaps,
            dc = received.pkts_decrypt,
            v = received.pkts_verify,
            se = sent.send_errors,
            re = received.recv_errors,
        );
        let _ =
            writeln!(out, "     local crypto endpt.: {}, remote crypto endpt.: {}", view.local, view.peer);
        if let Some(outbound) = outbound {
            let _ = writeln!(out, "     current outbound spi: 0x{:08X}({})", outbound.spi, outbound.spi);
        }
        let _ = writeln!(
            out,
            "     PFS (Y/N): {}, DH group: {}\n",
            if view.pfs_group.is_some() { "Y" } else { "N" },
            view.pfs_group.map_or_else(|| "none".to_owned(), |g| format!("group{g}"))
        );
        render_sa(&mut out, "inbound", Some(inbound), view);
        render_sa(&mut out, "outbound", outbound, view);
    }
    out
}

fn render_sa(out: &mut String, direction: &str, sa: Option<&EspSaStatus>, view: &IpsecSaView) {
    let _ = writeln!(out, "     {direction} esp sas:");
    let Some(sa) = sa else {
        let _ = writeln!(out);
        return;
    };
    let mode = match (sa.mode, sa.udp.is_some()) {
        (IpsecMode::Tunnel, false) => "Tunnel",
        (IpsecMode::Tunnel, true) => "Tunnel UDP-Encaps",
        (IpsecMode::Transport, false) => "Transport",
        (IpsecMode::Transport, true) => "Transport UDP-Encaps",
    };
    let _ = write!(
        out,
        "      spi: 0x{spi:08X}({spi})\n        transform: {transform} ,\n        in use settings ={{{mode}, }}\n        conn id: {conn_id}, crypto map: {connection}\n        sa timing: remaining key lifetime (k/sec): ({remaining})\n        IV size: {iv} bytes\n        replay detection support: {replay}\n        Status: {status}\n\n",
        spi = sa.spi,
        transform = ios_transform(&sa.transform),
        conn_id = view.conn_id,
        connection = view.connection,
        remaining = remaining(&sa.remaining),
        iv = iv_size(sa.transform.cipher),
        replay = if sa.replay_window.is_some() || direction == "outbound" { "Y" } else { "N" },
        status = serde_json::to_value(sa.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_uppercase))
            .unwrap_or_default(),
    );
}

/// `198.51.100.1/32` as IOS prints it: `198.51.100.1/255.255.255.255/0/0`.
fn ident(selector: &str) -> String {
    let (address, prefix) = selector.split_once('/').unwrap_or((selector, "32"));
    let prefix: u32 = prefix.parse().unwrap_or(32);
    let mask = if address.contains(':') {
        format!("{prefix}")
    } else {
        std::net::Ipv4Addr::from(u32::MAX.checked_shl(32 - prefix.min(32)).unwrap_or(0)).to_string()
    };
    format!("{address}/{mask}/0/0")
}

/// IOS transform-set names (`esp-aes esp-sha256-hmac`).
pub fn ios_transform(proposal: &EspProposal) -> String {
    let cipher = match proposal.cipher {
        EspCipher::Aes128 => "esp-aes",
        EspCipher::Aes192 => "esp-aes 192",
        EspCipher::Aes256 => "esp-aes 256",
        EspCipher::TripleDes => "esp-3des",
        EspCipher::Aes128gcm16 => "esp-gcm",
        EspCipher::Aes192gcm16 => "esp-gcm 192",
        EspCipher::Aes256gcm16 => "esp-gcm 256",
    };
    let integrity = proposal.integrity.map(|integrity| match integrity {
        EspIntegrityAlgorithm::Md5 => " esp-md5-hmac",
        EspIntegrityAlgorithm::Sha1 => " esp-sha-hmac",
        EspIntegrityAlgorithm::Sha256 => " esp-sha256-hmac",
        EspIntegrityAlgorithm::Sha384 => " esp-sha384-hmac",
        EspIntegrityAlgorithm::Sha512 => " esp-sha512-hmac",
    });
    format!("{cipher}{}", integrity.unwrap_or(""))
}

fn iv_size(cipher: EspCipher) -> usize {
    match cipher {
        EspCipher::TripleDes | EspCipher::Aes128gcm16 | EspCipher::Aes192gcm16 | EspCipher::Aes256gcm16 => 8,
        EspCipher::Aes128 | EspCipher::Aes192 | EspCipher::Aes256 => 16,
    }
}

/// `(kilobytes/seconds)` left, IOS style; unlimited kilobytes as 4608000 (its default).
fn remaining(limits: &Limits) -> String {
    let kilobytes = limits.bytes.map_or(4_608_000, |bytes| bytes / 1024);
    let seconds = limits.seconds.unwrap_or(0);
    format!("{kilobytes}/{seconds}")
}

pub fn render_session(sessions: &[SessionView]) -> String {
    let mut out = String::from("Crypto session current status\n\n");
    for session in sessions {
        let _ = writeln!(out, "Interface: ikelab");
        let _ = writeln!(out, "Session status: {}", session.status.ios_name());
        let _ = writeln!(out, "Peer: {} port {}", session.peer, session.peer_port);
        for (local, remote, state) in &session.ike_sas {
            let _ = writeln!(out, "  IKEv1 SA: local {local} remote {remote} {state}");
        }
        for (local, remote, active) in &session.flows {
            let _ = writeln!(out, "  IPSEC FLOW: permit ip {} {}", flow_host(local), flow_host(remote));
            let _ = writeln!(out, "        Active SAs: {active}, origin: crypto map");
        }
        let _ = writeln!(out);
    }
    out
}

/// `host 198.51.100.1` or `198.51.100.0/255.255.255.0`, as an ACL entry reads.
fn flow_host(selector: &str) -> String {
    match selector.split_once('/') {
        Some((address, "32" | "128")) => format!("host {address}"),
        _ => ident(selector).trim_end_matches("/0/0").to_owned(),
    }
}
