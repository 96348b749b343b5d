//! The timeline vocabulary: what a scenario does (`do = "..."`) and what it verifies
//! (`check = "..."`), one inline table per step, in order.
//!
//! ```toml
//! timeline = [
//!   { do = "initiate" },
//!   { check = "phase-1" },
//!   { do = "reference-forgets" },
//!   { check = "traffic-recovers", from = "peer", within_secs = 20 },
//! ]
//! ```
//!
//! Parameters a check leaves out come from the scenario's `[expect]` section (the
//! negotiated proposal, PFS group and lifetimes), so most timelines stay generic.

use ikev1::impairment::Impairment;
use peers::SaScope;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

/// One entry of a timeline: an action or a check.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Step {
    Do(Action),
    Check(Check),
}

/// Which side a step is about. `initiator` and `responder` follow the case's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Actor {
    Reference,
    Peer,
    Initiator,
    Responder,
}

/// What the reference forgets when it "reboots".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Forget {
    /// Every ISAKMP and IPsec SA, as after a reboot.
    #[default]
    All,
    /// The ISAKMP SAs only; the IPsec SAs stay (IOS then shows UP-NO-IKE).
    Ike,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Action {
    /// Start Phase 1 (and Quick Mode for the tunnel); `by` defaults to the case's initiator.
    Initiate {
        #[serde(default)]
        by: Option<Actor>,
    },
    Wait {
        secs: f64,
    },
    /// A background stream of ICMP echo requests through the tunnel for `secs`.
    Traffic {
        from: Actor,
        secs: f64,
        #[serde(default = "default_interval_ms")]
        interval_ms: u64,
        /// ICMP data bytes per echo.
        #[serde(default = "default_payload")]
        payload: usize,
    },
    /// The reference loses its SAs without telling the peer.
    ReferenceForgets {
        #[serde(default)]
        what: Forget,
    },
    /// A fresh reference engine (new seed, nothing remembered); impairments are dropped
    /// unless `keep_impairments`.
    ReferenceRestarts {
        #[serde(default)]
        keep_impairments: bool,
    },
    /// The peer daemon is killed (no Delete), its kernel SAs flushed, and started again
    /// with the same policy.
    PeerRestarts,
    /// `by` deletes SAs, telling the other side.
    Delete {
        by: Actor,
        scope: SaScope,
    },
    /// The NAT in front of `side` forgets its mappings and maps to new ports.
    NatRebind {
        side: Actor,
    },
    /// Frame loss on `side`'s link, both ways: every (100/percent)th frame, or random.
    Loss {
        percent: u8,
        #[serde(default = "default_loss_side")]
        side: Actor,
        #[serde(default)]
        random: bool,
    },
    /// These datagrams (hex), as they are, from the reference's UDP port 500 to the
    /// peer's: malformed or stray messages no engine would build (`ikelab cve`).
    SendDatagrams {
        hex: Vec<String>,
    },
    /// The reference's impairments from now on, replacing those it has, for its SAs
    /// already up too; message counts go on (ikev1 `Endpoint::set_impairments`).
    Impair {
        impairments: Vec<Impairment>,
    },
}

/// Which way a notify went, seen from the reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Sent,
    Received,
    Either,
}

/// How a peer took a deliberate protocol violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reaction {
    /// The exchange completed as if nothing were wrong.
    Accepted,
    /// The peer answered with an error notify.
    Rejected,
    /// The peer dropped what it got, without a word.
    Ignored,
    /// The peer process died.
    Crashed,
    /// The peer process lives but no longer answers its control socket.
    Hung,
}

impl Reaction {
    /// As scenario files and reports spell it.
    pub fn label(self) -> &'static str {
        match self {
            Reaction::Accepted => "accepted",
            Reaction::Rejected => "rejected",
            Reaction::Ignored => "ignored",
            Reaction::Crashed => "crashed",
            Reaction::Hung => "hung",
        }
    }
}

/// What "the peer accepted it" means for an impairment: the exchange it spoils
/// completed anyway, or traffic flowed despite damaged ESP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Acceptance {
    #[default]
    #[serde(rename = "phase-1")]
    Phase1,
    #[serde(rename = "phase-2")]
    Phase2,
    /// An echo from the reference is answered.
    Traffic,
    /// The peer no longer holds an ISAKMP SA with the reference: it believed a Delete.
    IkeSaDeleted,
    /// The peer answered an R-U-THERE with an R-U-THERE-ACK (RFC 3706 5).
    DpdAnswered,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SaKind {
    IkeSaDeleted,
    IkeSaFailed,
    IpsecSaDeleted,
    IpsecSaFailed,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Check {
    /// Both sides have an ISAKMP SA with the expected proposal; the reference's
    /// lifetime is the expected one.
    #[serde(rename = "phase-1")]
    Phase1 {
        #[serde(default)]
        proposal: Option<String>,
        #[serde(default)]
        lifetime_secs: Option<u32>,
        #[serde(default)]
        within_secs: Option<u64>,
    },
    /// No ISAKMP SA comes up; with `notify`, the reference sent or received it.
    #[serde(rename = "phase-1-fails")]
    Phase1Fails {
        #[serde(default)]
        notify: Option<String>,
        #[serde(default)]
        within_secs: Option<u64>,
    },
    /// Both sides have the IPsec SA pair with the expected transform, PFS group and
    /// lifetimes, and agree on the SPIs.
    #[serde(rename = "phase-2")]
    Phase2 {
        #[serde(default)]
        proposal: Option<String>,
        #[serde(default)]
        lifetime_secs: Option<u32>,
        #[serde(default)]
        lifetime_kilobytes: Option<u32>,
        #[serde(default)]
        within_secs: Option<u64>,
    },
    #[serde(rename = "phase-2-fails")]
    Phase2Fails {
        #[serde(default)]
        notify: Option<String>,
        #[serde(default)]
        within_secs: Option<u64>,
    },
    /// One echo through the tunnel from `from`'s inner address, answered.
    Ping {
        from: Actor,
        /// Echoes sent until one is answered: two by default, so a lone echo lost
        /// while a loaded machine settles a new SA does not decide a case.
        #[serde(default = "two")]
        attempts: u32,
    },
    /// Whether the reference detected a NAT, and whether IKE floated to 4500.
    Nat { detected: bool },
    /// Whether both sides' IPsec SAs carry ESP in UDP (RFC 3948).
    UdpEncapsulation { expected: bool },
    /// The NAT-T version both sides agreed on: `rfc3947`, `draft-03`, `draft-02`,
    /// `draft` (either draft) or `none`.
    NatTVersion { version: String },
    /// The reference's counters show a notify of this type.
    Notify {
        name: String,
        direction: Direction,
        #[serde(default = "one")]
        at_least: u32,
        /// Wait up to this long for the count (default: look once).
        #[serde(default)]
        within_secs: Option<u64>,
    },
    /// The reference never sent or received this notify.
    NoNotify { name: String, direction: Direction },
    /// `show crypto session` on the reference shows this status within the bound.
    Session {
        status: String,
        #[serde(default)]
        within_secs: Option<u64>,
    },
    /// The status appeared in the reference's session history at some point.
    SessionSeen { status: String },
    /// Echoes from `from` until one is answered; measured from the last disruptive step.
    TrafficRecovers { from: Actor, within_secs: u64 },
    /// No echo from `from` is answered for `secs`.
    TrafficStaysDown { from: Actor, secs: u64 },
    /// The last background stream from `from` ended with at most `max_lost` unanswered.
    TrafficDelivered {
        from: Actor,
        #[serde(default)]
        max_lost: u32,
    },
    /// The reference established at least `at_least` SAs of this phase in the case.
    Rekeyed {
        phase: u8,
        #[serde(default = "two")]
        at_least: u32,
    },
    /// The reference holds this many established ISAKMP SAs / IPsec SA pairs.
    ReferenceSas {
        #[serde(default)]
        ike: Option<usize>,
        #[serde(default)]
        ipsec: Option<usize>,
        #[serde(default)]
        within_secs: Option<u64>,
    },
    /// The peer reports this many established ISAKMP SAs / installed IPsec SA pairs.
    PeerSas {
        #[serde(default)]
        ike: Option<usize>,
        #[serde(default)]
        ipsec: Option<usize>,
        #[serde(default)]
        within_secs: Option<u64>,
    },
    /// An event of the reference, optionally with a reason containing this text.
    ReferenceEvent {
        kind: SaKind,
        #[serde(default)]
        reason: Option<String>,
        #[serde(default)]
        within_secs: Option<u64>,
    },
    /// NAT keepalives (RFC 3948 2.3) sent by `from` during the case.
    Keepalives {
        from: Actor,
        #[serde(default = "one")]
        at_least: u32,
    },
    /// The peer's process lives and answers its control socket.
    PeerAlive,
    /// How the peer took what the reference sent, one of `expect`.
    PeerReaction {
        expect: Vec<Reaction>,
        #[serde(default)]
        accepted_if: Acceptance,
    },
    /// tshark, with the case's key files, decrypts Quick Mode and ICMP in the capture.
    CaptureDecrypts,
    /// The reference's trace shows at least this many `Mutate` impairments applied:
    /// a replay that relies on them did reach the wire.
    Mutated {
        #[serde(default = "one")]
        at_least: u32,
    },
    /// Records what the peer sent the reference so far (never fails): the ISAKMP
    /// messages in the capture by exchange, the Notify types of those in the clear,
    /// and those the reference decrypted.
    PeerMessages,
}

fn one() -> u32 {
    1
}

fn two() -> u32 {
    2
}

fn default_interval_ms() -> u64 {
    200
}

fn default_payload() -> usize {
    56
}

fn default_loss_side() -> Actor {
    Actor::Reference
}

impl Step {
    /// The tag as written in the file (`initiate`, `phase-1`), for reports.
    pub fn label(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or_default();
        let tag = value.get("do").or_else(|| value.get("check"));
        tag.and_then(|tag| tag.as_str()).unwrap_or("step").to_owned()
    }

    /// The step as one line of the scenario's own notation.
    pub fn describe(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or_default();
        let Some(fields) = value.as_object() else { return self.label() };
        let parts: Vec<String> = fields.iter().map(|(key, value)| format!("{key} = {value}")).collect();
        format!("{{ {} }}", parts.join(", "))
    }

    /// Whether the step changes what the tunnel carries, so recovery is timed from it.
    pub fn disrupts(&self) -> bool {
        matches!(
            self,
            Step::Do(
                Action::ReferenceForgets { .. }
                    | Action::ReferenceRestarts { .. }
                    | Action::PeerRestarts
                    | Action::Delete { .. }
                    | Action::NatRebind { .. }
                    | Action::Loss { .. }
            )
        )
    }
}

/// A step is a table with either `do` or `check`; the error names the step and says
/// what is wrong with it.
impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let has = |key: &str| value.get(key).is_some();
        let parsed = match (has("do"), has("check")) {
            (true, false) => serde_json::from_value(value.clone()).map(Step::Do),
            (false, true) => serde_json::from_value(value.clone()).map(Step::Check),
            (true, true) => {
                return Err(de::Error::custom(format!("a step is `do` or `check`, not both: {value}")));
            }
            (false, false) => {
                return Err(de::Error::custom(format!("a step needs `do` or `check`: {value}")));
            }
        };
        parsed.map_err(|error| de::Error::custom(format!("{error} in step {value}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Timeline {
        timeline: Vec<Step>,
    }

    fn parse(text: &str) -> Result<Vec<Step>, String> {
        toml::from_str::<Timeline>(text).map(|t| t.timeline).map_err(|error| error.to_string())
    }

    #[test]
    fn actions_and_checks_read_from_inline_tables() {
        let steps = parse(
            r#"timeline = [
                { do = "initiate" },
                { check = "phase-1", proposal = "aes256-sha256-modp2048" },
                { do = "delete", by = "peer", scope = "phase-1" },
                { check = "traffic-recovers", from = "peer", within_secs = 20 },
            ]"#,
        )
        .unwrap();
        assert_eq!(steps[0], Step::Do(Action::Initiate { by: None }));
        assert_eq!(
            steps[1],
            Step::Check(Check::Phase1 {
                proposal: Some("aes256-sha256-modp2048".into()),
                lifetime_secs: None,
                within_secs: None
            })
        );
        assert_eq!(steps[2], Step::Do(Action::Delete { by: Actor::Peer, scope: SaScope::Phase1 }));
        assert!(steps[2].disrupts() && !steps[3].disrupts());
        assert_eq!(steps[3].label(), "traffic-recovers");
    }

    #[test]
    fn mistakes_are_named() {
        let unknown = parse(r#"timeline = [{ do = "initiate", by = "referee" }]"#).unwrap_err();
        assert!(unknown.contains("referee"), "{unknown}");
        let extra = parse(r#"timeline = [{ check = "ping", from = "peer", typo = 1 }]"#).unwrap_err();
        assert!(extra.contains("typo"), "{extra}");
        let neither = parse(r#"timeline = [{ from = "peer" }]"#).unwrap_err();
        assert!(neither.contains("needs `do` or `check`"), "{neither}");
    }

    #[test]
    fn reaction_labels_are_the_file_spelling() {
        for reaction in
            [Reaction::Accepted, Reaction::Rejected, Reaction::Ignored, Reaction::Crashed, Reaction::Hung]
        {
            assert_eq!(serde_json::to_value(reaction).unwrap(), reaction.label());
        }
    }

    #[test]
    fn steps_survive_json() {
        let steps = parse(
            r#"timeline = [{ do = "traffic", from = "reference", secs = 2.5 }, { check = "peer-alive" }]"#,
        )
        .unwrap();
        let json = serde_json::to_string(&steps).unwrap();
        assert_eq!(serde_json::from_str::<Vec<Step>>(&json).unwrap(), steps);
        assert_eq!(steps[1].describe(), r#"{ check = "peer-alive" }"#);
    }
}
