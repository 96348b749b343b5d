//! What a scenario expects to be negotiated, for the checks that leave it out:
//!
//! ```toml
//! [scenario.expect]
//! ike = "aes256-sha256-modp2048"
//! ipsec_lifetime_secs = 10
//! ```

use ikev1::policy::DhGroup;
use serde::{Deserialize, Serialize};

use super::side::Pfs;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectOverrides {
    /// The ISAKMP proposal both sides end up with (`aes128-sha256-modp2048`).
    pub ike: Option<String>,
    /// The ESP transform (`aes128-sha256`).
    pub esp: Option<String>,
    /// The Quick Mode PFS group, or `none`.
    pub pfs: Option<Pfs>,
    pub ike_lifetime_secs: Option<u32>,
    pub ipsec_lifetime_secs: Option<u32>,
    pub ipsec_lifetime_kilobytes: Option<u32>,
}

/// The resolved expectations of a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    pub ike: String,
    pub esp: String,
    pub pfs: Option<DhGroup>,
    pub ike_lifetime_secs: u32,
    pub ipsec_lifetime_secs: u32,
    pub ipsec_lifetime_kilobytes: Option<u32>,
}

impl ExpectOverrides {
    pub fn layer(&mut self, later: &ExpectOverrides) {
        let ExpectOverrides {
            ike,
            esp,
            pfs,
            ike_lifetime_secs,
            ipsec_lifetime_secs,
            ipsec_lifetime_kilobytes,
        } = later;
        self.ike = ike.clone().or(self.ike.take());
        self.esp = esp.clone().or(self.esp.take());
        self.pfs = pfs.or(self.pfs);
        self.ike_lifetime_secs = ike_lifetime_secs.or(self.ike_lifetime_secs);
        self.ipsec_lifetime_secs = ipsec_lifetime_secs.or(self.ipsec_lifetime_secs);
        self.ipsec_lifetime_kilobytes = ipsec_lifetime_kilobytes.or(self.ipsec_lifetime_kilobytes);
    }

    pub fn resolve(&self) -> Result<Expected, String> {
        let missing = |key: &str| format!("no `expect.{key}` (defaults.toml sets one)");
        Ok(Expected {
            ike: self.ike.clone().ok_or_else(|| missing("ike"))?,
            esp: self.esp.clone().ok_or_else(|| missing("esp"))?,
            pfs: self.pfs.ok_or_else(|| missing("pfs"))?.0,
            ike_lifetime_secs: self.ike_lifetime_secs.ok_or_else(|| missing("ike_lifetime_secs"))?,
            ipsec_lifetime_secs: self.ipsec_lifetime_secs.ok_or_else(|| missing("ipsec_lifetime_secs"))?,
            ipsec_lifetime_kilobytes: self.ipsec_lifetime_kilobytes,
        })
    }
}
