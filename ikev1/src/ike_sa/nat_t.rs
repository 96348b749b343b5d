//! NAT traversal in Phase 1 (RFC 3947): vendor IDs that announce support,
//! NAT-D hashes that detect address rewriting, and the port float to 4500.

use std::net::{IpAddr, SocketAddr};

use isakmp::Payload;
use isakmp::payload::{NatDiscovery, NatTNumbering, PayloadBody};
use isakmp::vendor_id::{self, NatTVersion};

use crate::crypto::HashFunction;
use crate::keys::Cookies;
use crate::policy::{NatTMode, NatTraversal};

/// The vendor IDs we announce, best version first.
pub fn vendor_ids(config: &NatTraversal) -> Vec<(&'static str, Vec<u8>)> {
    if config.mode == NatTMode::Off {
        return Vec::new();
    }
    let mut ids = Vec::new();
    if config.rfc3947 {
        ids.push(("NAT-T vendor-rfc3947", vendor_id::NAT_T_RFC3947.to_vec()));
    }
    if config.drafts {
        ids.push(("NAT-T vendor-03", vendor_id::NAT_T_DRAFT_03.to_vec()));
        ids.push(("NAT-T vendor-02", vendor_id::NAT_T_DRAFT_02.to_vec()));
        ids.push(("NAT-T vendor-02\\n", vendor_id::NAT_T_DRAFT_02_NEWLINE.to_vec()));
    }
    ids
}

/// The best NAT-T version both sides announce, if any.
pub fn common_version(config: &NatTraversal, peer_vendor_ids: &[&[u8]]) -> Option<NatTVersion> {
    let ours: Vec<NatTVersion> =
        vendor_ids(config).iter().filter_map(|(_, id)| vendor_id::nat_t_version(id)).collect();
    peer_vendor_ids.iter().filter_map(|id| vendor_id::nat_t_version(id)).filter(|v| ours.contains(v)).max()
}

/// The vendor ID that announces exactly `version` (a responder echoes one).
pub fn vendor_id_for(version: NatTVersion) -> Vec<u8> {
    match version {
        NatTVersion::Rfc3947 => vendor_id::NAT_T_RFC3947.to_vec(),
        NatTVersion::Draft03 => vendor_id::NAT_T_DRAFT_03.to_vec(),
        NatTVersion::Draft02 => vendor_id::NAT_T_DRAFT_02.to_vec(),
    }
}

/// How IOS names a NAT-T vendor ID it constructs.
pub fn vendor_id_label(version: NatTVersion) -> &'static str {
    match version {
        NatTVersion::Rfc3947 => "NAT-T vendor-rfc3947",
        NatTVersion::Draft03 => "NAT-T vendor-03",
        NatTVersion::Draft02 => "NAT-T vendor-02",
    }
}

/// Payload numbering: RFC 3947 uses 20/21, the drafts 130/131.
pub fn numbering(version: NatTVersion) -> NatTNumbering {
    match version {
        NatTVersion::Rfc3947 => NatTNumbering::Rfc3947,
        NatTVersion::Draft02 | NatTVersion::Draft03 => NatTNumbering::Draft,
    }
}

/// RFC 3947 3.2: HASH = HASH(CKY-I | CKY-R | IP | Port), with the negotiated hash.
pub fn nat_d_hash(hash: &dyn HashFunction, cookies: &Cookies, address: SocketAddr) -> Vec<u8> {
    let ip: Vec<u8> = match address.ip() {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    hash.hash(&[&cookies.initiator, &cookies.responder, &ip, &address.port().to_be_bytes()])
}

/// The NAT-D payloads of MM3/MM4 (or AM2/AM3): first the peer's address as
/// we send to it, then our own (RFC 3947 3.2). With `fake_local` our own hash
/// is replaced by one that cannot match, so the peer sees a NAT and both
/// sides float to 4500 (forced encapsulation).
pub fn nat_d_payloads(
    hash: &dyn HashFunction,
    cookies: &Cookies,
    version: NatTVersion,
    local: SocketAddr,
    remote: SocketAddr,
    fake_local: Option<Vec<u8>>,
) -> Vec<Payload> {
    let numbering = numbering(version);
    let local_hash = fake_local.unwrap_or_else(|| nat_d_hash(hash, cookies, local));
    [nat_d_hash(hash, cookies, remote), local_hash]
        .into_iter()
        .map(|hash| Payload::from(PayloadBody::NatDiscovery(NatDiscovery { numbering, hash })))
        .collect()
}

/// What the NAT-D payloads of the peer say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NatDetection {
    /// Our address as the peer saw it differs from ours: we are behind a NAT.
    pub local_behind_nat: bool,
    /// The peer's address as we see it matches none of its hashes.
    pub peer_behind_nat: bool,
}

impl NatDetection {
    pub fn any(self) -> bool {
        self.local_behind_nat || self.peer_behind_nat
    }
}

/// RFC 3947 3.2: the first NAT-D is the receiver's (our) address, the others
/// the sender's.
pub fn detect(
    hash: &dyn HashFunction,
    cookies: &Cookies,
    received: &[&[u8]],
    local: SocketAddr,
    remote: SocketAddr,
) -> Option<NatDetection> {
    let (first, rest) = received.split_first()?;
    let ours = nat_d_hash(hash, cookies, local);
    let theirs = nat_d_hash(hash, cookies, remote);
    Some(NatDetection {
        local_behind_nat: *first != ours.as_slice(),
        peer_behind_nat: !rest.contains(&theirs.as_slice()),
    })
}
