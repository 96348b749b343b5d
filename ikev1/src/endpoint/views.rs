//! The status views' data, from the endpoint's own tables.

use std::time::Duration;

use super::Endpoint;
use crate::time::Timestamp;
use crate::trace::show_ipsec::{IpsecSaView, SessionStatus, SessionView};

/// Traffic within this long makes a session UP-ACTIVE rather than UP-IDLE.
const ACTIVE_WINDOW: Duration = Duration::from_secs(10);

impl Endpoint {
    /// Inbound ESP packets no IPsec SA could take: unknown SPIs (RFC 4303
    /// 3.4.2, IOS %CRYPTO-4-RECVD_PKT_INV_SPI) and packets too short to
    /// name one. Per-SA refusals are in [`Self::show_ipsec_sa`].
    pub fn esp_counters(&self) -> crate::esp::DatabaseCounters {
        *self.esp.counters()
    }

    /// `show crypto ipsec sa`.
    pub fn show_ipsec_sa(&self, now: Timestamp) -> Vec<IpsecSaView> {
        self.children
            .iter()
            .filter_map(|record| {
                let child = &record.sa;
                let spi = child.inbound.spi;
                Some(IpsecSaView {
                    connection: child.connection.clone(),
                    conn_id: child.conn_id,
                    local: child.local.ip(),
                    peer: child.remote.ip(),
                    peer_port: child.remote.port(),
                    local_ts: format!("{}/{}", child.local_ts.address, child.local_ts.prefix_len),
                    remote_ts: format!("{}/{}", child.remote_ts.address, child.remote_ts.prefix_len),
                    pfs_group: child.pfs.map(|group| group.number()),
                    inbound: self.esp.inbound(spi)?.status(now),
                    outbound: self.esp.outbound(&spi).map(|sa| sa.status(now)),
                })
            })
            .collect()
    }

    /// `show crypto session`: one line of status per configured peer.
    pub fn show_session(&self, now: Timestamp) -> Vec<SessionView> {
        let mut sessions = Vec::new();
        for connection in &self.core.config.policy.connections {
            let ike_sas: Vec<_> =
                self.sas.values().filter(|sa| sa.connection.name == connection.name).collect();
            let children: Vec<_> = self
                .children
                .iter()
                .filter(|r| r.sa.connection == connection.name && r.outbound_active)
                .collect();
            let peer = ike_sas
                .first()
                .map(|sa| sa.remote)
                .or_else(|| children.first().map(|r| r.sa.remote))
                .or_else(|| connection.remote_address.map(|a| std::net::SocketAddr::new(a, 500)));
            let Some(peer) = peer else { continue };
            let established = ike_sas.iter().any(|sa| sa.is_established());
            let negotiating = ike_sas.iter().any(|sa| !sa.is_established() || sa.negotiating_children());
            let recent = children.iter().any(|r| {
                let spi = r.sa.inbound.spi;
                let used = [
                    self.esp.inbound(spi).and_then(|sa| sa.lifetime().last_used()),
                    self.esp.outbound(&spi).and_then(|sa| sa.lifetime().last_used()),
                ];
                used.into_iter().flatten().any(|at| now.saturating_since(at) < ACTIVE_WINDOW)
            });
            let status = match (children.is_empty(), established) {
                (false, false) => SessionStatus::UpNoIke,
                (false, true) if recent => SessionStatus::UpActive,
                (false, true) => SessionStatus::UpIdle,
                (true, _) if negotiating => SessionStatus::DownNegotiating,
                (true, true) => SessionStatus::UpIdle,
                (true, false) => SessionStatus::Down,
            };
            let ike = ike_sas
                .iter()
                .map(|sa| {
                    let state = if sa.is_established() { "Active" } else { "Negotiating" };
                    let slash =
                        |address: std::net::SocketAddr| format!("{}/{}", address.ip(), address.port());
                    (slash(sa.local), slash(sa.remote), state)
                })
                .collect();
            // One line per ACL entry, as IOS has it: during a re-key the old
            // and the new pair share the flow, and its Active SAs count both.
            let mut flows: Vec<(String, String, usize)> = Vec::new();
            for record in &children {
                let ts = |t: &crate::policy::TrafficSelector| format!("{}/{}", t.address, t.prefix_len);
                let (local, remote) = (ts(&record.sa.local_ts), ts(&record.sa.remote_ts));
                match flows.iter_mut().find(|(l, r, _)| *l == local && *r == remote) {
                    Some((_, _, active)) => *active += 2,
                    None => flows.push((local, remote, 2)),
                }
            }
            sessions.push(SessionView {
                connection: connection.name.clone(),
                peer: peer.ip(),
                peer_port: peer.port(),
                status,
                ike_sas: ike,
                flows,
            });
        }
        sessions
    }
}
