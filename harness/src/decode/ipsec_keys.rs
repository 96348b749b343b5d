//! The keys of the IPsec SAs: KEYMAT (RFC 2409 5.5),
//!
//! ```text
//! KEYMAT = prf(SKEYID_d, [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b) ...
//! ```
//!
//! split encryption key first, integrity key second. The inputs come from the
//! decrypted Quick Mode (nonces, SPIs, accepted transform, whether KE payloads
//! were sent); only g(qm)^xy, which needs a private DH value, comes from the
//! key file. An IPsec SA the key file lists but whose Quick Mode is not in the
//! capture is derived from the key file's inputs instead.

use ikev1::crypto::{EspEncryption, EspIntegrity, EspSuite, HashFunction, Secret};
use ikev1::keys::{EspKeys, KeymatInput, PROTO_IPSEC_ESP, esp_keys};
use isakmp::numbers::IpsecAttributeType;
use isakmp::payload::Proposal;
use vectors::KeyFile;
use vectors::keys::{IkeSa, IpsecSa};

use super::algorithms::esp_suite;
use super::keys::KeyCheck;
use super::quick_mode::QuickModeExchange;

/// Where the inputs of an IPsec SA's KEYMAT came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeymatSource {
    QuickMode { message_id: u32, frames: Vec<u64> },
    KeyFile,
}

/// One IPsec SA (one direction) with its derived keys.
pub struct IpsecSaKeys {
    pub spi: u32,
    pub suite: EspSuite,
    pub pfs: bool,
    pub source: KeymatSource,
    pub keys: EspKeys,
    /// Derived keys next to the key file's, named `esp:<spi>:encryption` / `:integrity`.
    pub checks: Vec<KeyCheck>,
}

/// The two IPsec SAs a Quick Mode created: one inbound at each side.
pub fn from_quick_mode(
    exchange: &QuickModeExchange,
    prf: &dyn HashFunction,
    skeyid_d: &Secret,
    key_file: &KeyFile,
    ike_sa: &IkeSa,
) -> Result<Vec<IpsecSaKeys>, String> {
    let context = format!("Quick Mode {:#010x} (frames {:?})", exchange.message_id, exchange.frames);
    let (initiator_spi, responder_spi, accepted) =
        exchange.esp_spis().ok_or_else(|| format!("{context}: no accepted ESP proposal was decrypted"))?;
    let ni_b = exchange.ni_b.as_deref().ok_or_else(|| format!("{context}: Ni_b was not decrypted"))?;
    let nr_b = exchange.nr_b.as_deref().ok_or_else(|| format!("{context}: Nr_b was not decrypted"))?;
    let suite = accepted_suite(accepted).map_err(|error| format!("{context}: {error}"))?;
    let logged: Vec<&IpsecSa> = logged_sas_of(key_file, ike_sa).collect();
    let pfs_g_xy = if exchange.pfs {
        let spis = [initiator_spi, responder_spi];
        let secret = logged
            .iter()
            .filter(|sa| {
                spis.contains(&sa.spi.as_slice()) || sa.qm_msgid.map(|id| id.0) == Some(exchange.message_id)
            })
            .find_map(|sa| sa.qm_g_xy.as_ref())
            .ok_or_else(|| {
                format!("{context} used PFS (KE payloads) but the key file has no qm_g_xy for it")
            })?;
        Some(secret.as_slice())
    } else {
        None
    };
    let source = KeymatSource::QuickMode { message_id: exchange.message_id, frames: exchange.frames.clone() };
    [initiator_spi, responder_spi]
        .into_iter()
        .map(|spi| {
            let spi = esp_spi(spi).ok_or_else(|| format!("{context}: SPI {spi:02x?} is not 4 bytes"))?;
            let logged = logged.iter().copied().find(|sa| sa.spi_u32() == Some(spi));
            let inputs = KeymatInputs { spi, suite, pfs_g_xy, ni_b, nr_b };
            Ok(derive(&inputs, prf, skeyid_d, source.clone(), logged))
        })
        .collect()
}

/// An IPsec SA from the key file's own inputs (spi, qm_ni, qm_nr, qm_g_xy, names).
pub fn from_key_file(
    logged: &IpsecSa,
    prf: &dyn HashFunction,
    skeyid_d: &Secret,
) -> Result<IpsecSaKeys, String> {
    let context = format!("key file IPsec SA {}", logged.spi);
    let spi = logged.spi_u32().ok_or_else(|| format!("{context}: the SPI is not 4 bytes"))?;
    let suite = esp_suite(&logged.encryption, logged.encryption_key_bits, &logged.integrity)
        .map_err(|error| format!("{context}: {error}"))?;
    let inputs = KeymatInputs {
        spi,
        suite,
        pfs_g_xy: logged.qm_g_xy.as_deref(),
        ni_b: &logged.qm_ni,
        nr_b: &logged.qm_nr,
    };
    Ok(derive(&inputs, prf, skeyid_d, KeymatSource::KeyFile, Some(logged)))
}

/// The IPsec SAs of the key file negotiated under `ike_sa`.
pub fn logged_sas_of<'k>(key_file: &'k KeyFile, ike_sa: &'k IkeSa) -> impl Iterator<Item = &'k IpsecSa> {
    key_file.ipsec_sas.iter().filter(move |sa| {
        key_file.ike_sa_for(sa).is_some_and(|owner| owner.initiator_cookie == ike_sa.initiator_cookie)
    })
}

struct KeymatInputs<'a> {
    spi: u32,
    suite: EspSuite,
    pfs_g_xy: Option<&'a [u8]>,
    ni_b: &'a [u8],
    nr_b: &'a [u8],
}

fn derive(
    inputs: &KeymatInputs<'_>,
    prf: &dyn HashFunction,
    skeyid_d: &Secret,
    source: KeymatSource,
    logged: Option<&IpsecSa>,
) -> IpsecSaKeys {
    let spi_bytes = inputs.spi.to_be_bytes();
    let keymat_input = KeymatInput {
        pfs_g_xy: inputs.pfs_g_xy,
        protocol: PROTO_IPSEC_ESP,
        spi: &spi_bytes,
        ni_b: inputs.ni_b,
        nr_b: inputs.nr_b,
    };
    let keys = esp_keys(prf, skeyid_d, &keymat_input, inputs.suite);
    let name = |part: &str| format!("esp:{:08x}:{part}", inputs.spi);
    let logged_encryption = logged.and_then(|sa| sa.encryption_key.as_deref());
    let logged_integrity = logged.and_then(|sa| sa.integrity_key.as_deref());
    let mut checks = vec![KeyCheck::new(
        name("encryption"),
        "Encryption key",
        keys.encryption.clone(),
        &Vec::from_iter(logged_encryption),
    )];
    if inputs.suite.integrity().is_some() {
        checks.push(KeyCheck::new(
            name("integrity"),
            "Integrity key",
            keys.integrity.clone(),
            &Vec::from_iter(logged_integrity),
        ));
    }
    IpsecSaKeys { spi: inputs.spi, suite: inputs.suite, pfs: inputs.pfs_g_xy.is_some(), source, keys, checks }
}

fn esp_spi(spi: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(spi).ok().map(u32::from_be_bytes)
}

/// The ESP suite of the accepted proposal's transform: transform ID with the
/// Key Length attribute, and the Authentication Algorithm attribute (RFC 2407 4.5).
fn accepted_suite(proposal: &Proposal) -> Result<EspSuite, String> {
    let transform = proposal.transforms.first().ok_or("the accepted proposal has no transform")?;
    let attribute =
        |kind: IpsecAttributeType| transform.attribute(kind.0).and_then(|attribute| attribute.as_integer());
    let key_length =
        attribute(IpsecAttributeType::KEY_LENGTH).map(|bits| u16::try_from(bits).unwrap_or(u16::MAX));
    let encryption = EspEncryption::from_transform(transform.transform_id, key_length)
        .map_err(|error| error.to_string())?;
    let integrity = attribute(IpsecAttributeType::AUTHENTICATION_ALGORITHM)
        .map(|value| EspIntegrity::from_auth_algorithm(u16::try_from(value).unwrap_or(u16::MAX)))
        .transpose()
        .map_err(|error| error.to_string())?;
    EspSuite::new(encryption, integrity).map_err(|error| error.to_string())
}
