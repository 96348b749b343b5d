//! The authentication hashes: HASH_I and HASH_R of Phase 1 (RFC 2409 5), HASH(1),
//! HASH(2), HASH(3) of Quick Mode (RFC 2409 5.5) and HASH(1) of Informational
//! exchanges (RFC 2409 5.7). Compare a received hash with `Secret::ct_eq`.

use super::{Cookies, message_id_bytes};
use crate::crypto::{HashFunction, Secret};

/// What both Phase 1 hashes cover besides the identity.
#[derive(Clone, Copy, Debug)]
pub struct Phase1Transcript<'a> {
    /// The initiator's KE data (g^xi).
    pub g_xi: &'a [u8],
    /// The responder's KE data (g^xr).
    pub g_xr: &'a [u8],
    pub cookies: &'a Cookies,
    /// The body of the initiator's SA payload (without its generic header), as sent.
    pub sa_i_b: &'a [u8],
}

/// `HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)` (RFC 2409 5).
pub fn hash_i(
    prf: &dyn HashFunction,
    skeyid: &Secret,
    transcript: &Phase1Transcript<'_>,
    id_ii_b: &[u8],
) -> Secret {
    let Phase1Transcript { g_xi, g_xr, cookies, sa_i_b } = *transcript;
    prf.prf(skeyid.as_bytes(), &[g_xi, g_xr, &cookies.initiator, &cookies.responder, sa_i_b, id_ii_b])
}

/// `HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)` (RFC 2409 5).
pub fn hash_r(
    prf: &dyn HashFunction,
    skeyid: &Secret,
    transcript: &Phase1Transcript<'_>,
    id_ir_b: &[u8],
) -> Secret {
    let Phase1Transcript { g_xi, g_xr, cookies, sa_i_b } = *transcript;
    prf.prf(skeyid.as_bytes(), &[g_xr, g_xi, &cookies.responder, &cookies.initiator, sa_i_b, id_ir_b])
}

/// Quick Mode `HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ])`
/// (RFC 2409 5.5): `rest` is the whole message after the HASH payload, generic
/// headers included, padding excluded.
pub fn quick_mode_hash_1(prf: &dyn HashFunction, skeyid_a: &Secret, message_id: u32, rest: &[u8]) -> Secret {
    prf.prf(skeyid_a.as_bytes(), &[&message_id_bytes(message_id), rest])
}

/// Quick Mode `HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [ | KE ] [ | IDci | IDcr ])`
/// (RFC 2409 5.5): `ni_b` is the body of the initiator's nonce payload, `rest` as
/// in [`quick_mode_hash_1`].
pub fn quick_mode_hash_2(
    prf: &dyn HashFunction,
    skeyid_a: &Secret,
    message_id: u32,
    ni_b: &[u8],
    rest: &[u8],
) -> Secret {
    prf.prf(skeyid_a.as_bytes(), &[&message_id_bytes(message_id), ni_b, rest])
}

/// Quick Mode `HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)` with 0 a single
/// octet (RFC 2409 5.5).
pub fn quick_mode_hash_3(
    prf: &dyn HashFunction,
    skeyid_a: &Secret,
    message_id: u32,
    ni_b: &[u8],
    nr_b: &[u8],
) -> Secret {
    prf.prf(skeyid_a.as_bytes(), &[&[0], &message_id_bytes(message_id), ni_b, nr_b])
}

/// Informational `HASH(1) = prf(SKEYID_a, M-ID | N/D)` (RFC 2409 5.7): `payloads`
/// is the Notify or Delete payload after the HASH payload, generic header included.
pub fn informational_hash(
    prf: &dyn HashFunction,
    skeyid_a: &Secret,
    message_id: u32,
    payloads: &[u8],
) -> Secret {
    prf.prf(skeyid_a.as_bytes(), &[&message_id_bytes(message_id), payloads])
}
