//! Phase 1 keys of one ISAKMP SA, derived from the key file's inputs (PSK,
//! cookies, g^xy, Ni_b, Nr_b, algorithms) and never copied from its logged
//! values, which serve only to check the derivation.
//!
//! With one PSK there is one key set. When the two sides used different PSKs
//! (case I) each side has its own SKEYID and so its own key set; each reads
//! the messages its side wrote.

use std::fmt;

use ikev1::crypto::{CryptoError, CryptoProvider, HashFunction, IkeCipher, Iv, Secret};
use ikev1::keys::{Cookies, Phase1Keys, encryption_key, phase1_iv};
use vectors::KeyFile;
use vectors::keys::{IkeSa, MissingInput, Psk, Role};

use super::algorithms::{Phase1Suite, UnknownAlgorithm, phase1_suite};

/// Whose view of the ISAKMP SA a key set is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOwner {
    /// Both sides: they shared the PSK.
    Shared,
    /// One side, derived with the PSK of the side with this Phase 1 role.
    Side(Role),
}

impl KeyOwner {
    pub fn label(self) -> &'static str {
        match self {
            Self::Shared => "shared",
            Self::Side(Role::Initiator) => "initiator",
            Self::Side(Role::Responder) => "responder",
        }
    }

    /// The name of a derived value in `keys_match`: bare for shared keys,
    /// `initiator:skeyid` for one side's.
    pub fn qualify(self, name: &str) -> String {
        match self {
            Self::Shared => name.to_owned(),
            Self::Side(_) => format!("{}:{name}", self.label()),
        }
    }
}

/// Everything one side needs to read the ISAKMP SA's encrypted messages.
pub struct KeySet {
    pub owner: KeyOwner,
    pub keys: Phase1Keys,
    /// Ka (RFC 2409 Appendix B).
    pub enc_key: Secret,
    pub iv0: Iv,
    pub cipher: Box<dyn IkeCipher>,
    /// Each derived value next to the logged one.
    pub checks: Vec<KeyCheck>,
}

/// A derived value next to what the key file logged for it.
#[derive(Clone, Debug)]
pub struct KeyCheck {
    /// The `keys_match` name (`skeyid`, `initiator:enc_key`, `esp:3dd039a8:encryption`).
    pub name: String,
    /// How the RFC names it (`SKEYID_d`, `Ka`...).
    pub label: &'static str,
    pub derived: Secret,
    /// `None` when the key file does not log this value.
    pub matches_logged: Option<bool>,
}

impl KeyCheck {
    /// Compares with every logged value; all must agree.
    pub fn new(name: String, label: &'static str, derived: Secret, logged: &[&[u8]]) -> Self {
        let matches_logged = (!logged.is_empty()).then(|| logged.iter().all(|value| derived.ct_eq(value)));
        Self { name, label, derived, matches_logged }
    }
}

/// The Phase 1 keys of an ISAKMP SA and what is needed to use them.
pub struct Phase1 {
    pub suite: Phase1Suite,
    pub cookies: Cookies,
    /// KE data, for HASH_I / HASH_R (RFC 2409 5).
    pub g_xi: Vec<u8>,
    pub g_xr: Vec<u8>,
    pub key_sets: Vec<KeySet>,
}

impl Phase1 {
    /// The checks of every key set.
    pub fn checks(&self) -> impl Iterator<Item = &KeyCheck> {
        self.key_sets.iter().flat_map(|key_set| &key_set.checks)
    }

    pub fn prf<'p>(&self, provider: &'p dyn CryptoProvider) -> &'p dyn HashFunction {
        provider.hash(self.suite.prf)
    }

    pub fn hash<'p>(&self, provider: &'p dyn CryptoProvider) -> &'p dyn HashFunction {
        provider.hash(self.suite.hash)
    }
}

/// Why an ISAKMP SA of the key file yields no keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoPhase1Keys {
    MissingInput(MissingInput),
    Algorithm(UnknownAlgorithm),
    NotACookie { field: &'static str, len: usize },
    Crypto(CryptoError),
}

impl fmt::Display for NoPhase1Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingInput(missing) => write!(f, "{missing}"),
            Self::Algorithm(unknown) => write!(f, "{unknown}"),
            Self::NotACookie { field, len } => write!(f, "key file {field} is {len} bytes, a cookie is 8"),
            Self::Crypto(error) => write!(f, "{error}"),
        }
    }
}

/// The values RFC 2409 derives in Phase 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Derived {
    Skeyid,
    SkeyidD,
    SkeyidA,
    SkeyidE,
    Ka,
    Iv0,
}

impl Derived {
    const ALL: [Self; 6] = [Self::Skeyid, Self::SkeyidD, Self::SkeyidA, Self::SkeyidE, Self::Ka, Self::Iv0];

    /// The key file's field, also the `keys_match` name.
    fn field(self) -> &'static str {
        match self {
            Self::Skeyid => "skeyid",
            Self::SkeyidD => "skeyid_d",
            Self::SkeyidA => "skeyid_a",
            Self::SkeyidE => "skeyid_e",
            Self::Ka => "enc_key",
            Self::Iv0 => "iv0",
        }
    }

    /// The RFC's name.
    fn label(self) -> &'static str {
        match self {
            Self::Skeyid => "SKEYID",
            Self::SkeyidD => "SKEYID_d",
            Self::SkeyidA => "SKEYID_a",
            Self::SkeyidE => "SKEYID_e",
            Self::Ka => "Ka",
            Self::Iv0 => "IV0",
        }
    }

    fn of(self, key_set: &KeySet) -> Secret {
        let keys = &key_set.keys;
        match self {
            Self::Skeyid => keys.skeyid.clone(),
            Self::SkeyidD => keys.skeyid_d.clone(),
            Self::SkeyidA => keys.skeyid_a.clone(),
            Self::SkeyidE => keys.skeyid_e.clone(),
            Self::Ka => key_set.enc_key.clone(),
            Self::Iv0 => Secret::from_slice(key_set.iv0.as_bytes()),
        }
    }

    fn logged_at_top_level(self, sa: &IkeSa) -> Option<&[u8]> {
        let value = match self {
            Self::Skeyid => &sa.skeyid,
            Self::SkeyidD => &sa.skeyid_d,
            Self::SkeyidA => &sa.skeyid_a,
            Self::SkeyidE => &sa.skeyid_e,
            Self::Ka => &sa.enc_key,
            Self::Iv0 => &sa.iv0,
        };
        value.as_deref()
    }
}

/// Derives every key set of `sa` (RFC 2409 5, 5.4 and Appendix B).
pub fn derive(key_file: &KeyFile, sa: &IkeSa, provider: &dyn CryptoProvider) -> Result<Phase1, NoPhase1Keys> {
    let inputs = sa.key_inputs().map_err(NoPhase1Keys::MissingInput)?;
    let suite = phase1_suite(inputs.algorithms).map_err(NoPhase1Keys::Algorithm)?;
    let cookies = Cookies {
        initiator: cookie("initiator_cookie", inputs.initiator_cookie)?,
        responder: cookie("responder_cookie", inputs.responder_cookie)?,
    };
    let prf = provider.hash(suite.prf);
    let hash = provider.hash(suite.hash);
    let owners: Vec<(KeyOwner, &str)> = match &key_file.psk {
        Psk::Shared(psk) => vec![(KeyOwner::Shared, psk)],
        Psk::PerSide { ini, rsp } => {
            vec![(KeyOwner::Side(Role::Initiator), ini), (KeyOwner::Side(Role::Responder), rsp)]
        }
    };
    let mut key_sets = Vec::new();
    for (owner, psk) in owners {
        let keys = Phase1Keys::from_pre_shared_key(
            prf,
            psk.as_bytes(),
            (inputs.ni, inputs.nr),
            inputs.g_xy,
            &cookies,
        );
        let enc_key = encryption_key(prf, &keys.skeyid_e, suite.cipher.key_len());
        let iv0 = phase1_iv(hash, inputs.g_xi, inputs.g_xr, suite.cipher.block_len())
            .map_err(NoPhase1Keys::Crypto)?;
        let cipher = provider.ike_cipher(suite.cipher, enc_key.as_bytes()).map_err(NoPhase1Keys::Crypto)?;
        let mut key_set = KeySet { owner, keys, enc_key, iv0, cipher, checks: Vec::new() };
        key_set.checks = compare_with_logged(sa, &key_set);
        key_sets.push(key_set);
    }
    Ok(Phase1 { suite, cookies, g_xi: inputs.g_xi.to_vec(), g_xr: inputs.g_xr.to_vec(), key_sets })
}

fn cookie(field: &'static str, bytes: &[u8]) -> Result<[u8; 8], NoPhase1Keys> {
    bytes.try_into().map_err(|_| NoPhase1Keys::NotACookie { field, len: bytes.len() })
}

fn compare_with_logged(sa: &IkeSa, key_set: &KeySet) -> Vec<KeyCheck> {
    Derived::ALL
        .iter()
        .map(|&value| {
            let logged = logged_values(sa, value, key_set.owner);
            KeyCheck::new(key_set.owner.qualify(value.field()), value.label(), value.of(key_set), &logged)
        })
        .collect()
}

/// What the key file logged for `value` as seen by `owner`: the top-level value,
/// plus the per-log values (case I) of the logs written by that side (all logs
/// for shared keys).
fn logged_values(sa: &IkeSa, value: Derived, owner: KeyOwner) -> Vec<&[u8]> {
    let written_by_owner = |log: &str| match owner {
        KeyOwner::Shared => true,
        KeyOwner::Side(role) => {
            sa.roles_of_logging_sides.as_ref().and_then(|roles| roles.get(log)) == Some(&role)
        }
    };
    let per_log = sa.per_log_values.as_ref().and_then(|values| values.get(value.field()));
    let per_log = per_log.into_iter().flat_map(|logs| {
        logs.iter().filter(|(log, _)| written_by_owner(log)).map(|(_, logged)| logged.as_slice())
    });
    value.logged_at_top_level(sa).into_iter().chain(per_log).collect()
}
