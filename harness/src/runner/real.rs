//! One case against a real peer: topology, capture, peer, reference engine, checks,
//! then keys, traces and logs into the results folder. Everything started here is
//! owned by a guard (topology namespaces, tcpdump, the peer, the engine thread), so
//! an early return or a panic still tears it all down.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use ikev1::EndpointConfig;
use peers::{KeyMaterial, LibreswanGuest, LibreswanHost, Peer, PeerKind, StrongSwan};

use super::capture::Capture;
use super::network::{Network, PEER_SIDE, REFERENCE_SIDE};
use super::reference::ReferenceNode;
use super::report::CaseReport;
use super::results::ResultsFolder;
use super::tshark;
use crate::cases::catalogue::{PEER_IDENTITY, REFERENCE_IDENTITY};
use crate::cases::{Case, Check, Initiator};

/// The reference's connection to the peer, and the peer's to the reference.
const REFERENCE_CONNECTION: &str = "peer";
const PEER_CONNECTION: &str = "reference";
/// A fixed seed: the reference's cookies, nonces and SPIs repeat from run to run.
const SEED: u64 = 0x1ce1ab;
const PING_TIMEOUT: Duration = Duration::from_secs(2);

pub fn start_peer(kind: PeerKind, host: &peers::Host) -> Result<Box<dyn Peer>, String> {
    let started: peers::PeerResult<Box<dyn Peer>> = match kind {
        PeerKind::StrongSwan => StrongSwan::start(host).map(|peer| Box::new(peer) as Box<dyn Peer>),
        PeerKind::LibreswanGuest => LibreswanGuest::start(host).map(|peer| Box::new(peer) as Box<dyn Peer>),
        PeerKind::LibreswanHost => LibreswanHost::start(host).map(|peer| Box::new(peer) as Box<dyn Peer>),
    };
    started.map_err(|error| error.to_string())
}

/// Runs `case`; everything it made is gone when this returns.
pub fn run(case: &Case, folder: &ResultsFolder, report: &mut CaseReport) -> Result<(), String> {
    folder.write_json("case.json", case);
    let network = Network::build(case.topology, case.initiator)?;
    let reference_host = network.reference();
    let capture =
        Capture::start(reference_host.namespace(), reference_host.interface(), &folder.join("capture.pcap"))?;
    let peer = start_peer(case.peer, network.peer())?;
    let reference_policy =
        case.reference.policy(REFERENCE_CONNECTION, network.addresses(REFERENCE_SIDE), PEER_IDENTITY);
    let peer_policy =
        case.peer_side.policy(PEER_CONNECTION, network.addresses(PEER_SIDE), REFERENCE_IDENTITY);
    folder.write_json("reference.policy.json", &reference_policy);
    folder.write_json("peer.policy.json", &peer_policy);
    let mut session = Session {
        case,
        node: None,
        peer,
        capture: Some(capture),
        network,
        peer_initiate_error: None,
        keys: KeyMaterial::default(),
    };
    // Whatever happens from here on, the folder gets the keys, traces and logs.
    let outcome = session.execute(&peer_policy, reference_policy, report);
    session.finish(folder);
    if outcome? && case.checks.contains(&Check::CaptureDecrypts) {
        report.record(
            Check::CaptureDecrypts.label(),
            tshark::check(&folder.join("capture.pcap"), &folder.join("wireshark")),
        );
    }
    Ok(())
}

/// What lives while the checks run. Drop order is field order: the engine and the
/// peer stop before the capture, the namespaces go last.
struct Session<'a> {
    case: &'a Case,
    node: Option<ReferenceNode>,
    peer: Box<dyn Peer>,
    capture: Option<Capture>,
    network: Network,
    peer_initiate_error: Option<String>,
    keys: KeyMaterial,
}

impl Session<'_> {
    /// Loads the peer, starts the reference, initiates, and runs the live checks;
    /// whether they all passed.
    fn execute(
        &mut self,
        peer_policy: &ikev1::policy::Policy,
        reference_policy: ikev1::policy::Policy,
        report: &mut CaseReport,
    ) -> Result<bool, String> {
        self.peer.load(peer_policy).map_err(|error| format!("loading the peer's policy: {error}"))?;
        let reference = self.network.reference();
        self.node = Some(ReferenceNode::start(
            reference.namespace(),
            reference.address(),
            reference.inner(),
            EndpointConfig::new(reference_policy),
            SEED,
        )?);
        self.initiate()?;
        for check in self.case.checks.iter().filter(|check| **check != Check::CaptureDecrypts) {
            if !report.record(check.label(), self.check(check)) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn node(&mut self) -> &mut ReferenceNode {
        self.node.as_mut().expect("the reference runs during the checks")
    }

    fn initiate(&mut self) -> Result<(), String> {
        match self.case.initiator {
            Initiator::Reference => self.node().initiate(REFERENCE_CONNECTION),
            Initiator::Peer => {
                // The peer's own verdict is kept for the checks to report: Phase 1 may be
                // up even when the peer's initiation as a whole (Quick Mode) failed.
                let timeout = self.case.timeout();
                if let Err(error) = self.peer.initiate(PEER_CONNECTION, timeout) {
                    self.peer_initiate_error = Some(error.to_string());
                }
                Ok(())
            }
        }
    }

    fn peer_said(&self) -> String {
        self.peer_initiate_error
            .as_ref()
            .map(|error| format!("; the peer's initiation failed: {error}"))
            .unwrap_or_default()
    }

    fn check(&mut self, check: &Check) -> Result<String, String> {
        match check {
            Check::Phase1 { proposal } => self.phase1(proposal),
            Check::NatTraversal => self.nat_traversal(),
            Check::Phase2 { proposal, pfs } => self.phase2(proposal, pfs.map(|group| group.token())),
            Check::PingReferenceToPeer => {
                let (source, destination) = (self.inner(REFERENCE_SIDE), self.inner(PEER_SIDE));
                let rtt = self.node().ping(source, destination, PING_TIMEOUT)?;
                Ok(format!("{source} -> {destination}: reply in {:.1} ms", rtt.as_secs_f64() * 1000.0))
            }
            Check::PingPeerToReference => {
                let (source, destination) = (self.inner(PEER_SIDE), self.inner(REFERENCE_SIDE));
                if self.peer.ping(source, destination, PING_TIMEOUT).map_err(|error| error.to_string())? {
                    Ok(format!("{source} -> {destination}: replied"))
                } else {
                    let unhandled = self.node().observed().unhandled.join("; ");
                    Err(format!("{source} -> {destination}: no reply within {PING_TIMEOUT:?}. {unhandled}"))
                }
            }
            Check::CaptureDecrypts => Err("checked after the capture stops".into()),
        }
    }

    fn inner(&self, side: peers::Side) -> Ipv4Addr {
        self.network.host(side).inner()
    }

    fn phase1(&mut self, proposal: &str) -> Result<String, String> {
        let timeout = self.case.timeout();
        let reference = self.node().wait(timeout, |observed| {
            observed.ike_sas.first().cloned().map(Ok).or_else(|| observed.failures.first().cloned().map(Err))
        });
        let info = match reference {
            Some(Ok(info)) => info,
            Some(Err(failure)) => {
                return Err(format!("the reference's Phase 1 failed: {failure}{}", self.peer_said()));
            }
            None => {
                return Err(format!("the reference has no ISAKMP SA after {timeout:?}{}", self.peer_said()));
            }
        };
        if info.proposal != proposal {
            return Err(format!("the reference negotiated {} instead of {proposal}", info.proposal));
        }
        let peer = self.peer_view(|status| status.established(PEER_CONNECTION).next().cloned())?;
        if peer.proposal.as_deref() != Some(proposal) {
            return Err(format!("the peer reports {:?} instead of {proposal}", peer.proposal));
        }
        let mode = if info.aggressive { "Aggressive" } else { "Main" };
        Ok(format!(
            "{mode} Mode, {proposal}, cookies {}/{}, peer state {}",
            info.initiator_cookie, info.responder_cookie, peer.state
        ))
    }

    /// Both sides float to 4500 (each side's own port; the far side may see a NAT's
    /// mapped port) and the reference detected the NAT.
    fn nat_traversal(&mut self) -> Result<String, String> {
        let info = self.node().observed().ike_sas.first().cloned().ok_or("no ISAKMP SA")?;
        if !info.nat_detected || info.local.port() != 4500 {
            return Err(format!(
                "the reference did not float: NAT detected {}, {} -> {}",
                info.nat_detected, info.local, info.remote
            ));
        }
        let peer = self.peer_view(|status| status.established(PEER_CONNECTION).next().cloned())?;
        let local_port = peer.local.and_then(|local| local.port);
        let remote_port = peer.remote.and_then(|remote| remote.port);
        let floated = match local_port {
            Some(port) => port == 4500,
            None => remote_port.is_some_and(|port| port != 500),
        };
        if floated {
            Ok(format!(
                "NAT detected, reference {} <-> {}, peer ports {local_port:?} <-> {remote_port:?}",
                info.local, info.remote
            ))
        } else {
            Err(format!("the peer's IKE SA did not float: ports {local_port:?} <-> {remote_port:?}"))
        }
    }

    fn phase2(&mut self, proposal: &str, pfs: Option<&str>) -> Result<String, String> {
        let timeout = self.case.timeout();
        let reference = self.node().wait(timeout, |observed| observed.ipsec_sas.first().cloned());
        let sa = reference
            .ok_or_else(|| format!("the reference has no IPsec SA after {timeout:?}{}", self.peer_said()))?;
        let child = self.peer_view(|status| status.installed_children().next().cloned())?;
        if sa.proposal != proposal || sa.pfs_group.as_deref() != pfs {
            return Err(format!("the reference negotiated {} PFS {:?}", sa.proposal, sa.pfs_group));
        }
        if child.proposal.as_deref() != Some(proposal) || child.pfs_group.as_deref() != pfs {
            return Err(format!("the peer reports {:?} PFS {:?}", child.proposal, child.pfs_group));
        }
        if (child.spi_in, child.spi_out) != (Some(sa.spi_out), Some(sa.spi_in)) {
            return Err(format!(
                "SPIs disagree: peer {:?}/{:?}, reference {:08x}/{:08x}",
                child.spi_in, child.spi_out, sa.spi_in, sa.spi_out
            ));
        }
        Ok(format!("{proposal} PFS {pfs:?}, SPIs {:08x}/{:08x}", sa.spi_in, sa.spi_out))
    }

    /// Polls the peer's status (briefly: a responder may lag behind by a message).
    fn peer_view<T>(&mut self, mut find: impl FnMut(&peers::PeerStatus) -> Option<T>) -> Result<T, String> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let status = self.peer.status().map_err(|error| error.to_string())?;
            if let Some(found) = find(&status) {
                return Ok(found);
            }
            if Instant::now() >= deadline {
                return Err(format!("the peer does not report it: {}{}", summary(&status), self.peer_said()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Keys, status and logs into the folder, then everything stopped in order.
    fn finish(&mut self, folder: &ResultsFolder) {
        if let Ok(status) = self.peer.status() {
            folder.write_json("peer/status.json", &status);
        }
        let mut notes = Vec::new();
        match self.peer.keys() {
            Ok(keys) => self.keys.merge(keys),
            Err(error) => notes.push(format!("peer keys: {error}")),
        }
        if let Some(node) = self.node.as_ref() {
            match node.keys() {
                Ok(keys) => self.keys.merge(keys),
                Err(error) => notes.push(format!("reference keys: {error}")),
            }
        }
        if let Err(error) = self.keys.write_wireshark_profile(&folder.join("wireshark")) {
            notes.push(format!("writing the Wireshark files: {error}"));
        }
        folder.write_json("keys.json", &serde_json::json!({ "keys": self.keys, "notes": notes }));
        if let Some(node) = self.node.take() {
            folder.write_trace(&node.finish());
        }
        if let Err(error) = self.peer.stop() {
            eprintln!("ikelab: stopping {}: {error}", self.case.peer.label());
        }
        folder.keep_peer_files(&self.peer.artifacts());
        if let Some(capture) = self.capture.take() {
            capture.stop();
        }
    }
}

fn summary(status: &peers::PeerStatus) -> String {
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
