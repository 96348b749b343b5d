//! Checks on the SAs themselves: what Phase 1 and Phase 2 negotiated (RFC 2409 5,
//! 5.5; RFC 2407 4.5 lifetimes), that a negotiation failed, how many SAs each side
//! holds, re-keys, and the reference's SA events.

use std::time::Duration;

use ikev1::IkeSaInfo;
use peers::PeerStatus;
use serde_json::json;

use super::{Found, PEER_CONNECTION, Session, StepResult};
use crate::runner::engine_api::IpsecSaUp;
use crate::runner::reference::SaEventKind;
use crate::scenario::SaKind;

/// How long the peer may lag behind the reference in reporting an SA.
const PEER_LAG: Duration = Duration::from_secs(3);

impl Session<'_> {
    /// RFC 2409 5: both sides hold the ISAKMP SA with the expected transform; the
    /// reference's lifetime is the expected one (RFC 2407 4.5, IOS policy matching).
    pub(super) fn phase1(
        &mut self,
        proposal: Option<&str>,
        lifetime: Option<u32>,
        within: Option<u64>,
    ) -> StepResult {
        let proposal = proposal.unwrap_or(&self.case.expect.ike).to_owned();
        let lifetime = lifetime.unwrap_or(self.case.expect.ike_lifetime_secs);
        let timeout = self.within(within);
        let newest = |sas: Vec<IkeSaInfo>| sas.into_iter().max_by_key(|sa| sa.conn_id);
        let found = self.poll(timeout, |session| Ok(newest(session.snapshot()?.established)))?;
        let Some(info) = found else {
            return Err(format!(
                "the reference has no ISAKMP SA after {timeout:?}{}{}",
                self.failure_since(),
                self.peer_said()
            ));
        };
        let mode = if info.aggressive { "Aggressive" } else { "Main" };
        let values = json!({
            "mode": mode, "proposal": info.proposal, "lifetime_secs": info.lifetime_secs,
            "nat_detected": info.nat_detected, "local": info.local, "remote": info.remote,
        });
        if info.proposal != proposal {
            return Err(format!("the reference negotiated {} instead of {proposal}", info.proposal));
        }
        if info.lifetime_secs != lifetime {
            return Err(format!(
                "the reference's ISAKMP SA lifetime is {} s instead of {lifetime} s",
                info.lifetime_secs
            ));
        }
        let peer = self.peer_view(|status| status.established(PEER_CONNECTION).last().cloned())?;
        if peer.proposal.as_deref() != Some(proposal.as_str()) {
            return Err(format!("the peer reports {:?} instead of {proposal}", peer.proposal));
        }
        Ok(Found::new(
            format!(
                "{mode} Mode, {proposal}, {lifetime} s; peer state {}, peer re-keys in {:?} s",
                peer.state, peer.rekey_in_secs
            ),
            json!({ "reference": values, "peer_state": peer.state, "peer_rekey_in_secs": peer.rekey_in_secs }),
        ))
    }

    /// No ISAKMP SA within the window; with `notify`, the reference sent or received it.
    pub(super) fn phase1_fails(&mut self, notify: Option<&str>, within: Option<u64>) -> StepResult {
        let timeout = self.within(within);
        let since = self.last_disruption;
        // Done early once the reference saw the named notify, or else a refusal.
        let settled = self.poll(timeout, |session| {
            let settled = match notify {
                Some(name) => session.notified(name)? > 0,
                None => session.node()?.observed().failures().any(|event| event.at >= since),
            };
            Ok(settled.then_some(()))
        })?;
        let snapshot = self.snapshot()?;
        if let Some(info) = snapshot.established.first() {
            return Err(format!("Phase 1 completed: {} ({})", info.proposal, info.remote));
        }
        let status = self.station.peer.status().map_err(|error| error.to_string())?;
        if let Some(sa) = status.established(PEER_CONNECTION).next() {
            return Err(format!("the peer established an ISAKMP SA ({})", sa.state));
        }
        self.expect_notify(notify)?;
        let why = self.failure_since();
        let waited = if settled.is_some() { "refused" } else { "nothing established" };
        Ok(Found::new(format!("{waited} within {timeout:?}{why}"), json!({ "notifies": snapshot.counters })))
    }

    /// RFC 2409 5.5: both sides hold the IPsec SA pair with the expected transform, PFS
    /// group and lifetime, and agree on the SPIs.
    pub(super) fn phase2(
        &mut self,
        proposal: Option<&str>,
        lifetime_secs: Option<u32>,
        lifetime_kilobytes: Option<u32>,
        within: Option<u64>,
    ) -> StepResult {
        let expect = self.case.expect.clone();
        let proposal = proposal.unwrap_or(&expect.esp).to_owned();
        let pfs = expect.pfs.map(|group| group.token().to_owned());
        let lifetime_secs = lifetime_secs.unwrap_or(expect.ipsec_lifetime_secs);
        let lifetime_kilobytes = lifetime_kilobytes.or(expect.ipsec_lifetime_kilobytes);
        let timeout = self.within(within);
        let found = self
            .poll(timeout, |session| Ok(Some(session.snapshot()?.ipsec_sas).filter(|sas| !sas.is_empty())))?;
        let Some(sas) = found else {
            return Err(format!(
                "the reference has no IPsec SA after {timeout:?}{}{}",
                self.failure_since(),
                self.peer_said()
            ));
        };
        // While a re-key overlaps there are two pairs; each must be as expected.
        let sa = sas.last().cloned().expect("not empty");
        if sa.proposal != proposal || sa.pfs != pfs {
            return Err(format!(
                "the reference negotiated {} PFS {:?} instead of {proposal} PFS {pfs:?}",
                sa.proposal, sa.pfs
            ));
        }
        if sa.lifetime_secs != lifetime_secs || sa.lifetime_kilobytes != lifetime_kilobytes {
            return Err(format!(
                "the reference's IPsec SA lifetime is {} s / {:?} KB instead of {lifetime_secs} s / {lifetime_kilobytes:?} KB",
                sa.lifetime_secs, sa.lifetime_kilobytes
            ));
        }
        if let Some(other) = sas.iter().find(|other| other.proposal != sa.proposal || other.pfs != sa.pfs) {
            return Err(format!("the reference also holds {} PFS {:?}", other.proposal, other.pfs));
        }
        let pairs: Vec<(Option<u32>, Option<u32>)> =
            sas.iter().map(|sa| (spi(&sa.inbound_spi), spi(&sa.outbound_spi))).collect();
        let child = self.peer_view(|status| {
            status
                .installed_children()
                .find(|child| {
                    pairs.iter().any(|(spi_in, spi_out)| child.spi_in == *spi_out && child.spi_out == *spi_in)
                })
                .cloned()
        });
        let child = child.map_err(|error| {
            format!("the peer has no IPsec SA with SPIs {}/{}: {error}", sa.outbound_spi, sa.inbound_spi)
        })?;
        // A peer that shows only its configured PFS group cannot contradict the
        // negotiated one; the reference's own check above stands for both.
        let pfs_differs = !child.pfs_group_is_configured && child.pfs_group != pfs;
        if child.proposal.as_deref() != Some(proposal.as_str()) || pfs_differs {
            return Err(format!("the peer reports {:?} PFS {:?}", child.proposal, child.pfs_group));
        }
        Ok(Found::new(
            format!(
                "{proposal} PFS {}, {lifetime_secs} s{}, SPIs {}/{}; peer expires in {:?} s",
                pfs.as_deref().unwrap_or("none"),
                lifetime_kilobytes.map(|kb| format!(" / {kb} KB")).unwrap_or_default(),
                sa.inbound_spi,
                sa.outbound_spi,
                child.expires_in_secs.or(child.rekey_in_secs)
            ),
            json!({ "reference": sa, "peer": child }),
        ))
    }

    /// No IPsec SA within the window; with `notify`, the reference sent or received it.
    pub(super) fn phase2_fails(&mut self, notify: Option<&str>, within: Option<u64>) -> StepResult {
        let timeout = self.within(within);
        let since = self.last_disruption;
        self.poll(timeout, |session| {
            let settled = match notify {
                Some(name) => session.notified(name)? > 0,
                None => session.node()?.observed().sa_events.iter().any(|event| {
                    event.at >= since
                        && matches!(event.kind, SaEventKind::IpsecSaFailed | SaEventKind::IkeSaFailed)
                }),
            };
            Ok(settled.then_some(()))
        })?;
        if let Some(sa) = self.snapshot()?.ipsec_sas.first() {
            return Err(format!(
                "Quick Mode completed: {} SPIs {}/{}",
                sa.proposal, sa.inbound_spi, sa.outbound_spi
            ));
        }
        let status = self.station.peer.status().map_err(|error| error.to_string())?;
        if let Some(child) = status.installed_children().next() {
            return Err(format!("the peer installed an IPsec SA ({:?})", child.proposal));
        }
        self.expect_notify(notify)?;
        Ok(Found::new(format!("no IPsec SA within {timeout:?}{}", self.failure_since()), json!(null)))
    }

    /// The reference established at least `at_least` SAs of this phase during the case.
    pub(super) fn rekeyed(&mut self, phase: u8, at_least: u32) -> StepResult {
        let node = self.node()?;
        let observed = node.observed();
        let count = match phase {
            1 => observed.ike_sas.len(),
            2 => observed.ipsec_sas.len(),
            other => return Err(format!("phase {other}: there are phases 1 and 2")),
        };
        let what = if phase == 1 { "ISAKMP" } else { "IPsec" };
        let values = match phase {
            1 => {
                json!(observed.ike_sas.iter().map(|sa: &IkeSaInfo| &sa.initiator_cookie).collect::<Vec<_>>())
            }
            _ => json!(
                observed
                    .ipsec_sas
                    .iter()
                    .map(|sa: &IpsecSaUp| format!("{:08x}", sa.spi_in))
                    .collect::<Vec<_>>()
            ),
        };
        drop(observed);
        if count >= at_least as usize {
            Ok(Found::new(format!("{count} {what} SAs established in the case"), values))
        } else {
            Err(format!("{count} {what} SAs established in the case, expected at least {at_least}"))
        }
    }

    /// The reference holds this many established ISAKMP SAs and IPsec SA pairs
    /// within the bound (0: right now); the counts reported are the ones that matched.
    pub(super) fn reference_sas(
        &mut self,
        ike: Option<usize>,
        ipsec: Option<usize>,
        within: Option<u64>,
    ) -> StepResult {
        let timeout = self.within(within);
        let counts = |session: &mut Self| -> Result<(usize, usize), String> {
            let snapshot = session.snapshot()?;
            Ok((snapshot.established.len(), snapshot.ipsec_sas.len()))
        };
        let matched = self.poll(timeout, |session| {
            let now = counts(session)?;
            Ok(counts_match(now, ike, ipsec).then_some(now))
        })?;
        match matched {
            Some((ike_now, ipsec_now)) => Ok(Found::new(
                format!("the reference holds {ike_now} ISAKMP and {ipsec_now} IPsec SAs"),
                json!([ike_now, ipsec_now]),
            )),
            None => {
                let (ike_now, ipsec_now) = counts(self)?;
                Err(format!(
                    "the reference holds {ike_now} ISAKMP and {ipsec_now} IPsec SAs after {timeout:?}, expected {} and {}",
                    count_text(ike),
                    count_text(ipsec)
                ))
            }
        }
    }

    /// The peer reports this many established ISAKMP SAs and installed IPsec SA pairs
    /// within the bound (0: right now); the status reported is the one that matched.
    pub(super) fn peer_sas(
        &mut self,
        ike: Option<usize>,
        ipsec: Option<usize>,
        within: Option<u64>,
    ) -> StepResult {
        let timeout = self.within(within);
        let counts = |status: &PeerStatus| {
            (status.established(PEER_CONNECTION).count(), status.installed_children().count())
        };
        let states = |status: &PeerStatus| -> Vec<String> {
            status.ike_sas.iter().map(|sa| sa.state.clone()).collect()
        };
        let matched = self.poll(timeout, |session| {
            let status = session.station.peer.status().map_err(|error| error.to_string())?;
            Ok(counts_match(counts(&status), ike, ipsec).then_some(status))
        })?;
        match matched {
            Some(status) => {
                let (ike_now, ipsec_now) = counts(&status);
                let detail = format!(
                    "the peer holds {ike_now} ISAKMP and {ipsec_now} IPsec SAs ({:?})",
                    states(&status)
                );
                Ok(Found::new(detail, json!(status)))
            }
            None => {
                let status = self.station.peer.status().map_err(|error| error.to_string())?;
                let (ike_now, ipsec_now) = counts(&status);
                Err(format!(
                    "the peer holds {ike_now} ISAKMP and {ipsec_now} IPsec SAs after {timeout:?} ({:?}), expected {} and {}",
                    states(&status),
                    count_text(ike),
                    count_text(ipsec)
                ))
            }
        }
    }

    /// An SA event of the reference since the last disruption.
    pub(super) fn reference_event(
        &mut self,
        kind: SaKind,
        reason: Option<&str>,
        within: Option<u64>,
    ) -> StepResult {
        let wanted = match kind {
            SaKind::IkeSaDeleted => SaEventKind::IkeSaDeleted,
            SaKind::IkeSaFailed => SaEventKind::IkeSaFailed,
            SaKind::IpsecSaDeleted => SaEventKind::IpsecSaDeleted,
            SaKind::IpsecSaFailed => SaEventKind::IpsecSaFailed,
        };
        let since = self.last_disruption;
        let timeout = self.within(within);
        let found = self.poll(timeout, |session| {
            let node = session.node()?;
            let observed = node.observed();
            let event = observed.sa_events.iter().find(|event| {
                event.at >= since
                    && event.kind == wanted
                    && reason.is_none_or(|text| event.reason.contains(text))
            });
            Ok(event.map(|event| (event.at, event.reason.clone())))
        })?;
        match found {
            Some((at, why)) => {
                let after = at.saturating_duration_since(since).as_secs_f64();
                Ok(Found::new(
                    format!("{wanted:?} after {after:.1} s: {why}"),
                    json!({ "after_secs": after, "reason": why }),
                ))
            }
            None => {
                let seen: Vec<String> = self
                    .node()?
                    .observed()
                    .sa_events
                    .iter()
                    .map(|event| format!("{:?}: {}", event.kind, event.reason))
                    .collect();
                Err(format!(
                    "no {wanted:?} (reason containing {reason:?}) within {timeout:?}; seen: {seen:?}"
                ))
            }
        }
    }

    /// Why the reference's negotiations failed since the last disruption, if they did.
    pub(super) fn failure_since(&self) -> String {
        let Ok(node) = self.node() else { return String::new() };
        let observed = node.observed();
        let reasons: Vec<&str> = observed
            .sa_events
            .iter()
            .filter(|event| event.at >= self.last_disruption)
            .filter(|event| matches!(event.kind, SaEventKind::IkeSaFailed | SaEventKind::IpsecSaFailed))
            .map(|event| event.reason.as_str())
            .collect();
        if reasons.is_empty() { String::new() } else { format!("; the reference: {}", reasons.join("; ")) }
    }

    /// Polls the peer's status briefly: a responder may lag behind by a message.
    pub(super) fn peer_view<T>(
        &mut self,
        mut find: impl FnMut(&PeerStatus) -> Option<T>,
    ) -> Result<T, String> {
        let found = self.poll(PEER_LAG, |session| {
            let status = session.station.peer.status().map_err(|error| error.to_string())?;
            Ok(find(&status))
        })?;
        match found {
            Some(found) => Ok(found),
            None => {
                let status = self.station.peer.status().map_err(|error| error.to_string())?;
                Err(format!("the peer does not report it: {}{}", summary(&status), self.peer_said()))
            }
        }
    }
}

fn counts_match(counts: (usize, usize), ike: Option<usize>, ipsec: Option<usize>) -> bool {
    ike.is_none_or(|ike| counts.0 == ike) && ipsec.is_none_or(|ipsec| counts.1 == ipsec)
}

fn count_text(count: Option<usize>) -> String {
    count.map_or_else(|| "any".into(), |count| count.to_string())
}

fn spi(hex: &str) -> Option<u32> {
    u32::from_str_radix(hex, 16).ok()
}

fn summary(status: &PeerStatus) -> String {
    if status.ike_sas.is_empty() {
        return "no SAs".into();
    }
    let sas: Vec<String> = status
        .ike_sas
        .iter()
        .map(|sa| format!("{} {} with {} children", sa.connection, sa.state, sa.children.len()))
        .collect();
    sas.join(", ")
}
