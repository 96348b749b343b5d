//! What one fuzz input means: how the scripted peers are configured, then a
//! sequence of steps on the wire and on the clock. The byte form (see
//! [`super::bytes`]) is read by the targets and written by the seed corpus
//! generator; `read(write(s)) == s` for every script whose lists fit
//! [`super::bytes::MAX_LIST`].

mod forgery;
mod mutation;

use std::time::Duration;

pub use forgery::{Forgery, MessageIdChoice, Protection, Spi, Template};
pub use mutation::{HeaderField, Mutation, PayloadEdit};

use serde::{Deserialize, Serialize};

use super::bytes::{Encode, ScriptReader, ScriptWriter};

/// Steps in one input: enough for a Phase 1, a Quick Mode and a dozen
/// mutated extras, few enough that every execution stays fast.
pub const MAX_STEPS: usize = 48;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    pub setup: Setup,
    pub steps: Vec<Step>,
}

impl Script {
    /// Any byte string is a script.
    pub fn from_bytes(data: &[u8]) -> Self {
        let mut reader = ScriptReader::new(data);
        let setup = Setup(reader.byte());
        let mut steps = Vec::new();
        while !reader.is_empty() && steps.len() < MAX_STEPS {
            steps.push(Step::read(&mut reader));
        }
        Self { setup, steps }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = ScriptWriter::default();
        writer.byte(self.setup.0);
        self.steps.iter().for_each(|step| step.write(&mut writer));
        writer.into_bytes()
    }
}

/// Which negotiation the honest side runs, one bit each. In JSON: the
/// names of the bits set, e.g. `["aggressive", "pfs"]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Setup(pub u8);

impl Setup {
    pub const AGGRESSIVE: u8 = 1;
    pub const PFS: u8 = 2;
    /// Both Main and Aggressive Mode connections are brought up.
    pub const BOTH_MODES: u8 = 4;
    /// NAT-T forced (strongSwan's `encap = yes`): float to 4500, UDP-encapsulated ESP.
    pub const FORCE_NAT_T: u8 = 8;

    const NAMES: [(u8, &'static str); 4] = [
        (Self::AGGRESSIVE, "aggressive"),
        (Self::PFS, "pfs"),
        (Self::BOTH_MODES, "both_modes"),
        (Self::FORCE_NAT_T, "force_nat_t"),
    ];

    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

impl TryFrom<Vec<String>> for Setup {
    type Error = String;

    fn try_from(names: Vec<String>) -> Result<Self, String> {
        names.iter().try_fold(Setup(0), |setup, name| {
            let bit = Self::NAMES.iter().find(|(_, known)| known == name).map(|(bit, _)| *bit);
            bit.map(|bit| Setup(setup.0 | bit)).ok_or_else(|| format!("no setup flag {name}"))
        })
    }
}

impl From<Setup> for Vec<String> {
    fn from(setup: Setup) -> Self {
        Setup::NAMES.iter().filter(|(bit, _)| setup.has(*bit)).map(|(_, name)| (*name).to_owned()).collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// The next datagram a scripted peer sent, changed, to the subject.
    Deliver { route: Route, mutation: Mutation },
    /// The next datagram a scripted peer sent is lost.
    Drop,
    /// A datagram a scripted peer sent earlier, changed, again.
    Replay { pick: u8, mutation: Mutation },
    /// Virtual time passes: `amount` units of 1 ms, 100 ms, 1 s, 1 min or 1 h.
    Wait { amount: u8, unit: u8 },
    /// The subject's next datagram to a peer is lost.
    LoseReply,
    /// A message made up on the cookies of an SA the subject knows.
    Forge(Forgery),
    /// A scripted peer does something of its own accord.
    Peer { peer: u8, action: PeerAction },
    /// The honest exchanges run until they are done (as at the end of every
    /// script), so later steps meet established SAs.
    Settle,
    /// A datagram as it is, from the first peer's address to the subject's
    /// port 500: what a first message (or a stranger's) can be.
    Datagram(#[serde(with = "crate::impairment::hex_field")] Vec<u8>),
}

impl Step {
    pub fn wait_duration(amount: u8, unit: u8) -> Duration {
        const UNITS_MS: [u64; 5] = [1, 100, 1_000, 60_000, 3_600_000];
        Duration::from_millis(u64::from(amount) * UNITS_MS[usize::from(unit) % UNITS_MS.len()])
    }
}

impl Encode for Step {
    fn read(reader: &mut ScriptReader<'_>) -> Self {
        match reader.choice(9) {
            0 => Self::Deliver { route: Route::read(reader), mutation: Mutation::read(reader) },
            1 => Self::Drop,
            2 => Self::Replay { pick: reader.byte(), mutation: Mutation::read(reader) },
            3 => Self::Wait { amount: reader.byte(), unit: reader.byte() },
            4 => Self::LoseReply,
            5 => Self::Forge(Forgery::read(reader)),
            6 => Self::Peer { peer: reader.byte(), action: PeerAction::read(reader) },
            7 => Self::Settle,
            _ => Self::Datagram(reader.blob()),
        }
    }

    fn write(&self, writer: &mut ScriptWriter) {
        match self {
            Self::Deliver { route, mutation } => {
                writer.byte(0);
                route.write(writer);
                mutation.write(writer);
            }
            Self::Drop => writer.byte(1),
            Self::Replay { pick, mutation } => {
                writer.byte(2);
                writer.byte(*pick);
                mutation.write(writer);
            }
            Self::Wait { amount, unit } => {
                writer.byte(3);
                writer.byte(*amount);
                writer.byte(*unit);
            }
            Self::LoseReply => writer.byte(4),
            Self::Forge(forgery) => {
                writer.byte(5);
                forgery.write(writer);
            }
            Self::Peer { peer, action } => {
                writer.bytes(&[6, *peer]);
                action.write(writer);
            }
            Self::Settle => writer.byte(7),
            Self::Datagram(bytes) => {
                writer.byte(8);
                writer.blob(bytes);
            }
        }
    }
}

/// How a datagram reaches the subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    AsSent,
    /// On port 4500 behind the Non-ESP Marker (RFC 3948 2.2), as after a float.
    NatT,
    /// From the same address but another source port, as after a NAT rebinding.
    Rebound,
}

impl Encode for Route {
    fn read(reader: &mut ScriptReader<'_>) -> Self {
        match reader.choice(3) {
            0 => Self::AsSent,
            1 => Self::NatT,
            _ => Self::Rebound,
        }
    }

    fn write(&self, writer: &mut ScriptWriter) {
        writer.byte(*self as u8);
    }
}

/// What a scripted peer's own configuration lets it do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerAction {
    InitiateMain,
    InitiateAggressive,
    /// Deletes every SA of its Main Mode connection, telling the subject.
    DeleteMain,
    /// Deletes everything, telling the subject.
    Shutdown,
    /// Forgets everything without a word, as a reboot would.
    Reboot,
    /// Sends an ICMP echo from its inner host to the subject's through its
    /// IPsec SA (ESP, raw or UDP-encapsulated).
    SendTraffic,
}

impl Encode for PeerAction {
    fn read(reader: &mut ScriptReader<'_>) -> Self {
        match reader.choice(6) {
            0 => Self::InitiateMain,
            1 => Self::InitiateAggressive,
            2 => Self::DeleteMain,
            3 => Self::Shutdown,
            4 => Self::Reboot,
            _ => Self::SendTraffic,
        }
    }

    fn write(&self, writer: &mut ScriptWriter) {
        writer.byte(*self as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind_of_step() -> Vec<Step> {
        vec![
            Step::Deliver { route: Route::NatT, mutation: Mutation::FlipBit { at: 300, bit: 7 } },
            Step::Drop,
            Step::Replay {
                pick: 3,
                mutation: Mutation::Header { field: HeaderField::MessageId, value: 0x0102_0304 },
            },
            Step::Wait { amount: 9, unit: 2 },
            Step::LoseReply,
            Step::Forge(Forgery {
                sa: 1,
                exchange: 5,
                message_id: MessageIdChoice::Value(77),
                protection: Protection::ValidHash,
                payloads: vec![
                    Template::Notify { notify: 11, protocol: 3, spi: Spi::Outbound(0), data: vec![1] },
                    Template::Delete { protocol: 1, spis: vec![Spi::IkeCookies, Spi::Raw(vec![9; 4])] },
                    Template::Dpd { ack: false, sequence: 5 },
                    Template::Arbitrary(vec![0x42; 12]),
                ],
                edit: Mutation::Payload(PayloadEdit::Patch { payload: 1, offset: 6, value: 0xff }),
            }),
            Step::Peer { peer: 1, action: PeerAction::Reboot },
            Step::Settle,
            Step::Datagram(vec![0xde, 0xad]),
            Step::Deliver {
                route: Route::Rebound,
                mutation: Mutation::Payload(PayloadEdit::Attribute {
                    payload: 0,
                    proposal: 0,
                    transform: 1,
                    attribute: 2,
                    value: 0x0e,
                }),
            },
        ]
    }

    #[test]
    fn scripts_read_back_what_was_written() {
        let script = Script { setup: Setup(Setup::PFS | Setup::AGGRESSIVE), steps: every_kind_of_step() };
        assert_eq!(Script::from_bytes(&script.to_bytes()), script);
    }

    #[test]
    fn scripts_read_back_from_json() {
        let script = Script { setup: Setup(Setup::PFS | Setup::AGGRESSIVE), steps: every_kind_of_step() };
        let json = serde_json::to_string(&script).expect("serializes");
        assert!(json.contains(r#""setup":["aggressive","pfs"]"#), "{json}");
        assert!(json.contains(r#"{"datagram":"dead"}"#), "{json}");
        assert_eq!(serde_json::from_str::<Script>(&json).expect("parses"), script);
    }

    #[test]
    fn any_bytes_are_a_script_of_bounded_length() {
        let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        assert!(Script::from_bytes(&noise).steps.len() <= MAX_STEPS);
        assert_eq!(Script::from_bytes(&[]), Script { setup: Setup(0), steps: Vec::new() });
    }
}
