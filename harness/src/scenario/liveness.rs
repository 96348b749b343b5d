//! The liveness block that ends a case meant to hurt the peer (the `finally` of
//! scenarios/negative.toml, of `ikelab fuzz` and of `ikelab cve`): the peer's
//! process answers, and a fresh reference without impairments (as after a
//! reboot) completes a new tunnel with it and pings through.

use super::{Action, Actor, Check, Step};

pub fn liveness() -> Vec<Step> {
    vec![
        Step::Check(Check::PeerAlive),
        Step::Do(Action::ReferenceRestarts { keep_impairments: false }),
        Step::Do(Action::Initiate { by: Some(Actor::Reference) }),
        Step::Check(Check::Phase1 { proposal: None, lifetime_secs: None, within_secs: None }),
        Step::Check(Check::Phase2 {
            proposal: None,
            lifetime_secs: None,
            lifetime_kilobytes: None,
            within_secs: None,
        }),
        Step::Check(Check::Ping { from: Actor::Reference, attempts: 3 }),
    ]
}
