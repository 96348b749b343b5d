//! One side's policy as scenario files write it: every key optional, layered from
//! `defaults.toml` up to the scenario, then resolved into a [`SideTemplate`].
//!
//! ```toml
//! [scenario.reference]
//! ike_proposals = ["aes256-sha256-modp2048", "aes128-sha1-modp2048"]   # priority 10, 20
//! pfs = "none"
//! ipsec_lifetime_secs = 10
//! ```

use std::net::IpAddr;
use std::str::FromStr;

use ikev1::impairment::Impairment;
use ikev1::policy::{
    DhGroup, Dpd, EspProposal, ExchangeMode, IkeProposal, IpsecLifetime, LifetimeRule, NatTMode,
    NatTraversal, ResponderChoice, TrafficSelector,
};
use serde::{Deserialize, Deserializer, Serialize};

use crate::cases::SideTemplate;

/// IOS numbers ISAKMP policies 10, 20, 30...: the order in the file is the priority.
const PRIORITY_STEP: u16 = 10;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SideOverrides {
    pub exchange: Option<ExchangeMode>,
    /// `cipher-hash-group` in preference order.
    pub ike_proposals: Option<Vec<String>>,
    pub ike_lifetime_secs: Option<u32>,
    pub esp_proposals: Option<Vec<String>>,
    /// A MODP group name, or `none` for no PFS.
    pub pfs: Option<Pfs>,
    /// Our FQDN identity.
    pub identity: Option<String>,
    /// The identity we require of the other side (default: the one it sends).
    pub expects_identity: Option<String>,
    pub psk: Option<String>,
    pub ipsec_lifetime_secs: Option<u32>,
    pub ipsec_lifetime_kilobytes: Option<u32>,
    /// `198.51.100.0/24`, optionally `[protocol]` or `[protocol/port]` (default: our
    /// inner host address, and the other side's).
    pub local_ts: Option<String>,
    pub remote_ts: Option<String>,
    pub nat_t: Option<NatTMode>,
    pub nat_t_rfc3947: Option<bool>,
    pub nat_t_drafts: Option<bool>,
    pub keepalive_secs: Option<u32>,
    pub dpd: Option<Dpd>,
    pub initial_contact: Option<bool>,
    pub invalid_spi_recovery: Option<bool>,
    pub responder_choice: Option<ResponderChoice>,
    pub lifetime_rule: Option<LifetimeRule>,
    /// Whether this side re-keys before expiry.
    pub rekey: Option<bool>,
    pub impairments: Option<Vec<Impairment>>,
}

/// `pfs = "modp2048"` or `pfs = "none"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct Pfs(pub Option<DhGroup>);

impl From<Pfs> for String {
    fn from(pfs: Pfs) -> String {
        pfs.0.map_or_else(|| "none".to_owned(), |group| group.token().to_owned())
    }
}

impl<'de> Deserialize<'de> for Pfs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_pfs(&text).map(Pfs).map_err(serde::de::Error::custom)
    }
}

pub fn parse_pfs(text: &str) -> Result<Option<DhGroup>, String> {
    if text == "none" {
        return Ok(None);
    }
    DhGroup::ALL
        .into_iter()
        .find(|group| group.token() == text)
        .map(Some)
        .ok_or_else(|| format!("`{text}` is not a MODP group name or `none`"))
}

macro_rules! layer {
    ($into:expr, $from:expr, [$($field:ident),* $(,)?]) => {
        $(if $from.$field.is_some() { $into.$field = $from.$field.clone(); })*
    };
}

impl SideOverrides {
    /// Puts `later`'s keys over ours.
    pub fn layer(&mut self, later: &SideOverrides) {
        layer!(
            self,
            later,
            [
                exchange,
                ike_proposals,
                ike_lifetime_secs,
                esp_proposals,
                pfs,
                identity,
                expects_identity,
                psk,
                ipsec_lifetime_secs,
                ipsec_lifetime_kilobytes,
                local_ts,
                remote_ts,
                nat_t,
                nat_t_rfc3947,
                nat_t_drafts,
                keepalive_secs,
                dpd,
                initial_contact,
                invalid_spi_recovery,
                responder_choice,
                lifetime_rule,
                rekey,
                impairments,
            ]
        );
    }

    /// The side's template; `defaults.toml` must have given every required key.
    pub fn resolve(&self) -> Result<SideTemplate, String> {
        let required = |name: &str| format!("no `{name}` for this side (defaults.toml sets one)");
        let ike_proposals = self
            .ike_proposals
            .as_ref()
            .ok_or_else(|| required("ike_proposals"))?
            .iter()
            .zip(1..)
            .map(|(text, rank)| {
                let proposal = IkeProposal::from_str(text).map_err(|error| error.to_string())?;
                let proposal = proposal.with_priority(rank * PRIORITY_STEP);
                // Without a lifetime, the policy model's default: one day, as IOS.
                Ok(self.ike_lifetime_secs.map_or(proposal, |seconds| proposal.with_lifetime(seconds)))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let esp_proposals = self
            .esp_proposals
            .as_ref()
            .ok_or_else(|| required("esp_proposals"))?
            .iter()
            .map(|text| EspProposal::from_str(text).map_err(|error| error.to_string()))
            .collect::<Result<Vec<_>, String>>()?;
        let defaults = NatTraversal::default();
        Ok(SideTemplate {
            exchange: self.exchange.unwrap_or_default(),
            ike_proposals,
            esp_proposals,
            pfs: self.pfs.and_then(|pfs| pfs.0),
            identity: self.identity.clone().ok_or_else(|| required("identity"))?,
            expects_identity: self.expects_identity.clone(),
            psk: self.psk.clone().ok_or_else(|| required("psk"))?,
            ipsec_lifetime: IpsecLifetime {
                seconds: self.ipsec_lifetime_secs.unwrap_or(IpsecLifetime::default().seconds),
                kilobytes: self.ipsec_lifetime_kilobytes,
            },
            local_ts: self.local_ts.as_deref().map(parse_selector).transpose()?,
            remote_ts: self.remote_ts.as_deref().map(parse_selector).transpose()?,
            nat_traversal: NatTraversal {
                mode: self.nat_t.unwrap_or(defaults.mode),
                rfc3947: self.nat_t_rfc3947.unwrap_or(defaults.rfc3947),
                drafts: self.nat_t_drafts.unwrap_or(defaults.drafts),
                keepalive_secs: self.keepalive_secs.unwrap_or(defaults.keepalive_secs),
            },
            dpd: self.dpd,
            initial_contact: self.initial_contact.unwrap_or(true),
            invalid_spi_recovery: self.invalid_spi_recovery.unwrap_or(false),
            responder_choice: self.responder_choice.unwrap_or_default(),
            lifetime_rule: self.lifetime_rule.unwrap_or_default(),
            rekey: self.rekey.unwrap_or(true),
            impairments: self.impairments.clone().unwrap_or_default(),
        })
    }
}

/// `198.51.100.0/24`, `198.51.100.1/32[1]`, `198.51.100.1/32[17/53]`.
pub fn parse_selector(text: &str) -> Result<TrafficSelector, String> {
    let invalid = || format!("`{text}` is not a selector like 198.51.100.0/24[17/53]");
    let (subnet, protocol_port) = match text.split_once('[') {
        Some((subnet, rest)) => (subnet, Some(rest.strip_suffix(']').ok_or_else(invalid)?)),
        None => (text, None),
    };
    let (address, prefix) = subnet.split_once('/').ok_or_else(invalid)?;
    let address: IpAddr = address.parse().map_err(|_| invalid())?;
    let prefix_len: u8 = prefix.parse().map_err(|_| invalid())?;
    let mut selector = TrafficSelector::subnet(address, prefix_len);
    if let Some(protocol_port) = protocol_port {
        let (protocol, port) = protocol_port.split_once('/').unwrap_or((protocol_port, "0"));
        selector.protocol = protocol.parse().map_err(|_| invalid())?;
        selector.port = port.parse().map_err(|_| invalid())?;
    }
    Ok(selector)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> SideOverrides {
        toml::from_str(
            r#"
            ike_proposals = ["aes128-sha256-modp2048"]
            esp_proposals = ["aes128-sha256"]
            pfs = "modp2048"
            identity = "a.example"
            psk = "k"
            "#,
        )
        .unwrap()
    }

    #[test]
    fn later_layers_win_key_by_key() {
        let mut side = base();
        side.layer(
            &toml::from_str(
                r#"pfs = "none"
ike_proposals = ["aes256-sha256-modp2048", "aes128-sha1-modp1024"]
ike_lifetime_secs = 3600"#,
            )
            .unwrap(),
        );
        let template = side.resolve().unwrap();
        assert_eq!(template.pfs, None);
        assert_eq!(template.identity, "a.example");
        let priorities: Vec<(u16, u32)> =
            template.ike_proposals.iter().map(|p| (p.priority, p.lifetime_secs)).collect();
        assert_eq!(priorities, [(10, 3600), (20, 3600)]);
        assert_eq!(template.ike_proposals[1].to_string(), "aes128-sha1-modp1024");
    }

    #[test]
    fn selectors_read_like_swanctl() {
        let selector = parse_selector("198.51.100.1/32[17/53]").unwrap();
        assert_eq!((selector.prefix_len, selector.protocol, selector.port), (32, 17, 53));
        assert_eq!(parse_selector("198.51.100.0/24").unwrap().protocol, 0);
        assert!(parse_selector("198.51.100.0").is_err());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(toml::from_str::<SideOverrides>("pfs = \"modp999\"").is_err());
        assert!(toml::from_str::<SideOverrides>("identty = \"x\"").is_err());
        let mut side = base();
        side.ike_proposals = Some(vec!["aes128-sha256".into()]);
        assert!(side.resolve().is_err());
    }
}
