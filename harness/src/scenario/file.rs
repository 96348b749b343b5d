//! The shape of the files under `scenarios/`: `defaults.toml` and one file per theme.
//!
//! ```toml
//! theme = "policy-order"
//! title = "Which ISAKMP policy and transform set is chosen"
//!
//! [defaults]                  # for every scenario of this file (optional)
//! timeout_secs = 8
//!
//! [templates.tunnel]          # named bundles of keys a scenario starts from
//! timeline = [{ do = "initiate" }, { check = "phase-1" }]
//!
//! [[scenario]]
//! name = "ike-responder-priority"
//! template = "tunnel"
//! summary = "..."
//! rfc = ["RFC 2409 5"]
//! initiator.ike_proposals = ["aes128-sha256-modp2048", "aes256-sha256-modp2048"]
//! responder.ike_proposals = ["aes256-sha256-modp2048", "aes128-sha256-modp2048"]
//! expect.ike = "aes256-sha256-modp2048"
//! ```
//!
//! Keys are layered: defaults.toml, the file's `[defaults]`, the template, the
//! scenario; a later layer replaces what it names (a timeline as a whole, a side key
//! by key). Per side, `reference`/`peer` and `initiator`/`responder` win over `both`.

use std::collections::BTreeMap;

use peers::PeerKind;
use serde::Deserialize;

use super::expect::ExpectOverrides;
use super::side::SideOverrides;
use super::step::Step;
use crate::cases::{Initiator, TopologySpec};

/// What defaults.toml, a file's `[defaults]`, a template and a scenario may set.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    pub name: Option<String>,
    pub template: Option<String>,
    /// One sentence: what the scenario shows.
    pub summary: Option<String>,
    /// The RFC sections the checks rest on, e.g. `RFC 2407 4.6.3.1`.
    pub rfc: Option<Vec<String>>,
    pub topology: Option<TopologySpec>,
    pub peers: Option<Vec<PeerKind>>,
    pub roles: Option<Vec<Initiator>>,
    /// The bound of each wait (Phase 1, Phase 2, a ping) unless a step names its own.
    pub timeout_secs: Option<u64>,
    #[serde(default)]
    pub both: SideOverrides,
    #[serde(default)]
    pub reference: SideOverrides,
    #[serde(default)]
    pub peer: SideOverrides,
    #[serde(default)]
    pub initiator: SideOverrides,
    #[serde(default)]
    pub responder: SideOverrides,
    #[serde(default)]
    pub expect: ExpectOverrides,
    pub timeline: Option<Vec<Step>>,
    /// Steps that run even after a failed step: liveness and clean-up checks.
    pub finally: Option<Vec<Step>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeFile {
    pub theme: String,
    pub title: String,
    #[serde(default)]
    pub defaults: Fields,
    #[serde(default)]
    pub templates: BTreeMap<String, Fields>,
    pub scenario: Vec<Fields>,
}

impl Fields {
    /// Puts `later`'s keys over ours.
    pub fn layer(&mut self, later: &Fields) {
        macro_rules! replace {
            ($($field:ident),*) => {
                $(if later.$field.is_some() { self.$field = later.$field.clone(); })*
            };
        }
        replace!(name, template, summary, rfc, topology, peers, roles, timeout_secs, timeline, finally);
        self.both.layer(&later.both);
        self.reference.layer(&later.reference);
        self.peer.layer(&later.peer);
        self.initiator.layer(&later.initiator);
        self.responder.layer(&later.responder);
        self.expect.layer(&later.expect);
    }

    /// `reference` or `peer`'s side for a role: both, then the side, then its role.
    pub fn side(&self, reference: bool, initiator: Initiator) -> SideOverrides {
        let initiates = (initiator == Initiator::Reference) == reference;
        let mut side = self.both.clone();
        side.layer(if reference { &self.reference } else { &self.peer });
        side.layer(if initiates { &self.initiator } else { &self.responder });
        side
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_theme_file_reads_and_layers() {
        let file: ThemeFile = toml::from_str(
            r#"
            theme = "t"
            title = "T"
            [templates.up]
            timeline = [{ do = "initiate" }]
            reference.pfs = "none"
            [[scenario]]
            name = "s"
            template = "up"
            initiator.identity = "i.example"
            reference.identity = "r.example"
            "#,
        )
        .unwrap();
        let mut fields = file.templates["up"].clone();
        fields.layer(&file.scenario[0]);
        assert_eq!(fields.name.as_deref(), Some("s"));
        assert_eq!(fields.timeline.as_ref().map(Vec::len), Some(1));
        // The reference initiates: its initiator key wins over its reference key.
        let side = fields.side(true, Initiator::Reference);
        assert_eq!(side.identity.as_deref(), Some("i.example"));
        assert!(side.pfs.is_some());
        let side = fields.side(true, Initiator::Peer);
        assert_eq!(side.identity.as_deref(), Some("r.example"));
        assert_eq!(fields.side(false, Initiator::Peer).identity.as_deref(), Some("i.example"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = toml::from_str::<ThemeFile>("theme = \"t\"\ntitle = \"T\"\n[[scenario]]\nnmae = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("nmae"), "{error}");
    }
}
