//! NAT traversal checks: detection and the float to 4500 (RFC 3947 3-4), ESP in UDP
//! (RFC 3948 2), the NAT-T version agreed through vendor IDs, and keepalives (RFC
//! 3948 2.3).

use serde_json::json;

use super::{Found, PEER_CONNECTION, Session, StepResult};
use crate::scenario::Actor;

/// The NAT-T vendor IDs as the engine's traces name them, best first.
const VERSIONS: [(&str, &[&str]); 3] = [
    ("rfc3947", &["RFC 3947 NAT-T"]),
    ("draft-03", &["draft-ietf-ipsec-nat-t-ike-03"]),
    ("draft-02", &["draft-ietf-ipsec-nat-t-ike-02", "draft-ietf-ipsec-nat-t-ike-02\\n"]),
];

impl Session<'_> {
    /// RFC 3947 3: NAT-D decides; with a NAT both sides float to 4500 (RFC 3947 4).
    pub(super) fn nat(&mut self, detected: bool) -> StepResult {
        let snapshot = self.snapshot()?;
        let info = snapshot.established.iter().max_by_key(|sa| sa.conn_id).cloned().ok_or("no ISAKMP SA")?;
        let reference_port = info.local.port();
        let peer = self.peer_view(|status| status.established(PEER_CONNECTION).last().cloned())?;
        let peer_local = peer.local.and_then(|local| local.port);
        let peer_remote = peer.remote.and_then(|remote| remote.port);
        // Each side's own port; the far side of a NAT sees a mapped one.
        let peer_floated = match peer_local {
            Some(port) => port == 4500,
            None => peer_remote.is_some_and(|port| port != 500),
        };
        let values = json!({
            "reference_detected": info.nat_detected, "reference": info.local, "reference_sees_peer_at": info.remote,
            "peer_local_port": peer_local, "peer_remote_port": peer_remote,
        });
        let seen = format!(
            "reference NAT detected {} on {} <-> {}; peer ports {peer_local:?} <-> {peer_remote:?}",
            info.nat_detected, info.local, info.remote
        );
        if info.nat_detected != detected {
            return Err(format!("expected NAT detected {detected}: {seen}"));
        }
        let reference_floated = reference_port == 4500;
        if reference_floated != detected || peer_floated != detected {
            let want = if detected { "both on 4500" } else { "both on 500" };
            return Err(format!("expected {want}: {seen}"));
        }
        Ok(Found::new(seen, values))
    }

    /// RFC 3948 2: ESP in UDP exactly when expected, on both sides.
    pub(super) fn udp_encapsulation(&mut self, expected: bool) -> StepResult {
        let snapshot = self.snapshot()?;
        let sa = snapshot.ipsec_sas.last().cloned().ok_or("the reference has no IPsec SA")?;
        let child = self.peer_view(|status| status.installed_children().last().cloned())?;
        let seen = format!(
            "the reference: {}, the peer: {}",
            encapsulation(sa.udp_encapsulated),
            encapsulation(child.udp_encapsulated)
        );
        let values = json!({ "reference": sa.udp_encapsulated, "peer": child.udp_encapsulated });
        if sa.udp_encapsulated == expected && child.udp_encapsulated == expected {
            Ok(Found::new(seen, values))
        } else {
            Err(format!("expected {}: {seen}", encapsulation(expected)))
        }
    }

    /// The best NAT-T version both announced (RFC 3947 over the drafts), or `none`;
    /// `draft` accepts either draft.
    pub(super) fn nat_t_version(&mut self, version: &str) -> StepResult {
        let peer_ids = self.node()?.observed().peer_vendor_ids.clone();
        let ours = &self.case.reference.nat_traversal;
        let announced_by_us = |name: &str| match name {
            "rfc3947" => ours.rfc3947,
            _ => ours.drafts,
        } && ours.mode != ikev1::policy::NatTMode::Off;
        let agreed = VERSIONS
            .iter()
            .find(|(name, ids)| {
                announced_by_us(name) && ids.iter().any(|id| peer_ids.iter().any(|seen| seen == id))
            })
            .map_or("none", |(name, _)| name);
        let detail = format!("agreed {agreed}; the peer's vendor IDs: {peer_ids:?}");
        let values = json!({ "agreed": agreed, "peer_vendor_ids": peer_ids });
        // `draft`: whichever draft both announce (peers differ in which they send).
        if agreed == version || (version == "draft" && agreed.starts_with("draft-")) {
            Ok(Found::new(detail, values))
        } else {
            Err(format!("expected {version}, {detail}"))
        }
    }

    /// Keepalives sent by the reference, or received from the peer (counted by the
    /// engine as non-IKE datagrams on 4500).
    pub(super) fn keepalives(&mut self, from: Actor, at_least: u32) -> StepResult {
        let count = match self.resolve(from) {
            Actor::Reference => u64::from(self.node()?.observed().keepalives_sent),
            _ => self.snapshot()?.counters.dropped(ikev1::counters::DropReason::NotIke),
        };
        let detail = format!("{count} NAT keepalives from {:?}", self.resolve(from));
        if count >= u64::from(at_least) {
            Ok(Found::new(detail, json!({ "keepalives": count })))
        } else {
            Err(format!("{detail}, expected at least {at_least}"))
        }
    }
}

fn encapsulation(udp: bool) -> &'static str {
    if udp { "ESP in UDP" } else { "plain ESP" }
}
