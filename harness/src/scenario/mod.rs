//! Scenarios as data: the reviewed TOML files under `scenarios/` (one per theme, on
//! top of `defaults.toml`), resolved into [`Scenario`]s and expanded into cases, one
//! per peer and role. `scenarios/README.md` is the writer's guide.

pub mod expect;
pub mod file;
mod liveness;
pub mod side;
pub mod step;

use std::path::Path;

use peers::PeerKind;
use serde::{Deserialize, Serialize};

use crate::cases::{Case, Initiator, TopologySpec};
pub use expect::Expected;
use file::{Fields, ThemeFile};
pub use liveness::liveness;
pub use step::{Acceptance, Action, Actor, Check, Direction, Forget, Reaction, SaKind, Step};

/// The scenario files compiled into ikelab, in catalogue order.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("basic.toml", include_str!("../../../scenarios/basic.toml")),
    ("policy-order.toml", include_str!("../../../scenarios/policy-order.toml")),
    ("lifetimes.toml", include_str!("../../../scenarios/lifetimes.toml")),
    ("nat-t.toml", include_str!("../../../scenarios/nat-t.toml")),
    ("pfs.toml", include_str!("../../../scenarios/pfs.toml")),
    ("invalid-spi.toml", include_str!("../../../scenarios/invalid-spi.toml")),
    ("dpd.toml", include_str!("../../../scenarios/dpd.toml")),
    ("delete.toml", include_str!("../../../scenarios/delete.toml")),
    ("initial-contact.toml", include_str!("../../../scenarios/initial-contact.toml")),
    ("authentication.toml", include_str!("../../../scenarios/authentication.toml")),
    ("selectors.toml", include_str!("../../../scenarios/selectors.toml")),
    ("resilience.toml", include_str!("../../../scenarios/resilience.toml")),
    ("negative.toml", include_str!("../../../scenarios/negative.toml")),
];

pub const EMBEDDED_DEFAULTS: &str = include_str!("../../../scenarios/defaults.toml");

/// One scenario, all layers applied; sides are resolved per role by [`Scenario::case`].
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub theme: String,
    pub summary: String,
    pub rfc: Vec<String>,
    pub topology: TopologySpec,
    pub peers: Vec<PeerKind>,
    pub roles: Vec<Initiator>,
    pub timeout_secs: u64,
    pub expect: Expected,
    pub timeline: Vec<Step>,
    pub finally: Vec<Step>,
    fields: Fields,
}

/// A theme: its file's title and scenarios.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Theme {
    pub name: String,
    pub title: String,
    pub scenarios: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Catalogue {
    pub themes: Vec<Theme>,
    pub scenarios: Vec<Scenario>,
}

impl Scenario {
    fn resolve(theme: &str, fields: Fields) -> Result<Scenario, String> {
        let name = fields.name.clone().ok_or("a scenario without a name")?;
        let context = |error: String| format!("scenario {name}: {error}");
        let valid_name = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid_name {
            return Err(context("names are lowercase letters, digits and dashes".into()));
        }
        let required = |key: &str| context(format!("no `{key}`"));
        let scenario = Scenario {
            theme: theme.to_owned(),
            summary: fields.summary.clone().ok_or_else(|| required("summary"))?,
            rfc: fields.rfc.clone().unwrap_or_default(),
            topology: fields.topology.ok_or_else(|| required("topology"))?,
            peers: fields.peers.clone().ok_or_else(|| required("peers"))?,
            roles: fields.roles.clone().ok_or_else(|| required("roles"))?,
            timeout_secs: fields.timeout_secs.ok_or_else(|| required("timeout_secs"))?,
            expect: fields.expect.resolve().map_err(context)?,
            timeline: fields
                .timeline
                .clone()
                .filter(|t| !t.is_empty())
                .ok_or_else(|| required("timeline"))?,
            finally: fields.finally.clone().unwrap_or_default(),
            name: name.clone(),
            fields,
        };
        if scenario.peers.is_empty() || scenario.roles.is_empty() {
            return Err(context("`peers` and `roles` must not be empty".into()));
        }
        // Every case must resolve, so a bad side shows up when the files load.
        for &role in &scenario.roles {
            scenario.case(PeerKind::StrongSwan, role).map_err(context)?;
        }
        Ok(scenario)
    }

    /// The case of this scenario for one peer and role.
    pub fn case(&self, peer: PeerKind, initiator: Initiator) -> Result<Case, String> {
        let side = |reference| self.fields.side(reference, initiator).resolve();
        Ok(Case {
            name: self.name.clone(),
            theme: self.theme.clone(),
            summary: self.summary.clone(),
            rfc: self.rfc.clone(),
            peer,
            initiator,
            topology: self.topology,
            reference: side(true).map_err(|error| format!("the reference's side: {error}"))?,
            peer_side: side(false).map_err(|error| format!("the peer's side: {error}"))?,
            expect: self.expect.clone(),
            timeline: self.timeline.clone(),
            finally: self.finally.clone(),
            timeout_secs: self.timeout_secs,
        })
    }

    /// Every case of this scenario: each of its peers in each of its roles.
    pub fn cases(&self) -> Vec<Case> {
        let mut cases = Vec::new();
        for &peer in &self.peers {
            for &role in &self.roles {
                cases.push(self.case(peer, role).expect("checked when the scenario was resolved"));
            }
        }
        cases
    }
}

impl Catalogue {
    /// The scenario files compiled into the binary.
    pub fn embedded() -> Result<Catalogue, String> {
        Catalogue::parse(
            EMBEDDED_DEFAULTS,
            EMBEDDED.iter().map(|(name, text)| (name.to_string(), text.to_string())),
        )
    }

    /// The files of a folder: `defaults.toml` and every other `*.toml` but
    /// `expectations.toml`, in name order.
    pub fn load(folder: &Path) -> Result<Catalogue, String> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|error| format!("reading {}: {error}", path.display()))
        };
        let defaults = read(&folder.join("defaults.toml"))?;
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .map_err(|error| format!("reading {}: {error}", folder.display()))?
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".toml") && name != "defaults.toml" && name != "expectations.toml")
            .collect();
        names.sort();
        let files = names.into_iter().map(|name| read(&folder.join(&name)).map(|text| (name, text)));
        Catalogue::parse(&defaults, files.collect::<Result<Vec<_>, _>>()?)
    }

    fn parse(defaults: &str, files: impl IntoIterator<Item = (String, String)>) -> Result<Catalogue, String> {
        let defaults: Fields = toml::from_str(defaults).map_err(|error| format!("defaults.toml: {error}"))?;
        let mut catalogue = Catalogue { themes: Vec::new(), scenarios: Vec::new() };
        for (file_name, text) in files {
            let file: ThemeFile = toml::from_str(&text).map_err(|error| format!("{file_name}: {error}"))?;
            let mut theme =
                Theme { name: file.theme.clone(), title: file.title.clone(), scenarios: Vec::new() };
            for entry in &file.scenario {
                let mut fields = defaults.clone();
                fields.layer(&file.defaults);
                if let Some(template) = &entry.template {
                    let template = file.templates.get(template).ok_or_else(|| {
                        format!("{file_name}: no template `{template}` for {:?}", entry.name)
                    })?;
                    fields.layer(template);
                }
                fields.layer(entry);
                let scenario = Scenario::resolve(&file.theme, fields)
                    .map_err(|error| format!("{file_name}: {error}"))?;
                if catalogue.scenarios.iter().any(|known| known.name == scenario.name) {
                    return Err(format!("{file_name}: scenario {} is defined twice", scenario.name));
                }
                theme.scenarios.push(scenario.name.clone());
                catalogue.scenarios.push(scenario);
            }
            catalogue.themes.push(theme);
        }
        Ok(catalogue)
    }

    /// Every case, scenario by scenario.
    pub fn cases(&self) -> Vec<Case> {
        self.scenarios.iter().flat_map(Scenario::cases).collect()
    }

    pub fn scenario(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|scenario| scenario.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalogue_loads_and_matches_the_folder() {
        let embedded = Catalogue::embedded().unwrap();
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let on_disk = Catalogue::load(&folder).unwrap();
        let names = |catalogue: &Catalogue| -> Vec<String> {
            catalogue.scenarios.iter().map(|scenario| scenario.name.clone()).collect()
        };
        let (mut sorted_embedded, mut sorted_disk) = (names(&embedded), names(&on_disk));
        sorted_embedded.sort();
        sorted_disk.sort();
        assert_eq!(sorted_embedded, sorted_disk, "every file in scenarios/ is listed in EMBEDDED");
    }

    #[test]
    fn case_ids_are_unique() {
        let cases = Catalogue::embedded().unwrap().cases();
        let mut ids: Vec<String> = cases.iter().map(Case::id).collect();
        ids.sort();
        let count = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), count);
    }
}
