//! Every case of the scenario files compiled into ikelab (`scenarios/*.toml`): each
//! scenario against each of its peers in each of its roles.

use super::Case;
use crate::scenario::Catalogue;

/// Identities of the default sides (scenarios/defaults.toml).
pub const REFERENCE_IDENTITY: &str = "reference.ikelab.example";
pub const PEER_IDENTITY: &str = "peer1.ikelab.example";

/// Every built-in case, in catalogue order. The embedded files are checked by the
/// unit tests, so a broken one cannot ship.
pub fn all() -> Vec<Case> {
    Catalogue::embedded().unwrap_or_else(|error| panic!("the embedded scenario files: {error}")).cases()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_runner_cases_keep_their_ids_and_survive_serde() {
        let cases = all();
        let ids: Vec<String> = cases.iter().map(Case::id).collect();
        for id in [
            "strongswan::reference-initiates::main-mode",
            "libreswan::peer-initiates::aggressive-mode-nat",
            "libreswan::reference-initiates::main-mode",
            "strongswan::peer-initiates::main-mode",
        ] {
            assert!(ids.contains(&id.to_owned()), "{id}");
        }
        for case in cases {
            let json = serde_json::to_string(&case).unwrap();
            assert_eq!(serde_json::from_str::<Case>(&json).unwrap(), case);
        }
    }
}
