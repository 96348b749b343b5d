//! Where a Phase 1 negotiation stands, as one `Expect*` struct per state
//! holding exactly what the next message needs (rustls' shape).

use isakmp::payload::{Identification, SecurityAssociation};

use crate::crypto::DhKeyPair;
use crate::policy::IkeProposal;

pub enum Phase {
    /// Main Mode initiator: MM1 sent, MM2 expected.
    MainExpectSa(ExpectSa),
    /// Main Mode initiator: MM3 sent, MM4 expected.
    MainExpectKe(ExpectKe),
    /// Main Mode initiator: MM5 sent, MM6 expected.
    MainExpectIdResponse(Transcript),
    /// Main Mode responder: MM2 sent, MM3 expected.
    MainExpectKeRequest(ExpectKeRequest),
    /// Main Mode responder: MM4 sent, MM5 expected.
    MainExpectIdRequest(Transcript),
    /// Aggressive Mode initiator: AM1 sent, AM2 expected.
    AggressiveExpectResponse(ExpectAggressiveResponse),
    /// Aggressive Mode responder: AM2 sent, AM3 expected.
    AggressiveExpectAuth(ExpectAggressiveAuth),
    /// Phase 1 complete: QM_IDLE.
    Established,
    /// Failed or deleted; removed from the table by the endpoint.
    Dead,
}

/// What the initiator offered in MM1.
pub struct ExpectSa {
    pub offered: SecurityAssociation,
    /// SAi_b: the SA payload body, as HASH_I/HASH_R cover it.
    pub sa_i_b: Vec<u8>,
}

/// After the SA exchange, before the key exchange completes.
pub struct ExpectKe {
    pub sa_i_b: Vec<u8>,
    pub proposal: IkeProposal,
    pub key_pair: Box<dyn DhKeyPair>,
    pub ni: Vec<u8>,
}

/// The responder after MM2.
pub struct ExpectKeRequest {
    pub sa_i_b: Vec<u8>,
    pub proposal: IkeProposal,
}

/// What HASH_I and HASH_R cover besides the identities (RFC 2409 5).
pub struct Transcript {
    pub g_xi: Vec<u8>,
    pub g_xr: Vec<u8>,
    pub sa_i_b: Vec<u8>,
}

pub struct ExpectAggressiveResponse {
    pub offered: SecurityAssociation,
    pub sa_i_b: Vec<u8>,
    pub key_pair: Box<dyn DhKeyPair>,
    pub ni: Vec<u8>,
}

pub struct ExpectAggressiveAuth {
    pub transcript: Transcript,
    /// IDii from AM1, which HASH_I covers.
    pub id_ii: Identification,
}
