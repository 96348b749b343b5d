//! What happens to each datagram on the simulated wire.

use std::time::Duration;

use super::{Packet, Side};
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Deliver,
    Drop,
    Duplicate,
    /// Deliver after this much extra time (reordering).
    Delay(Duration),
}

pub trait Interceptor {
    /// Decides a datagram's fate; it may also rewrite the datagram.
    fn intercept(&mut self, now: Timestamp, packet: &mut Packet) -> Verdict;
}

/// Delivers everything untouched.
pub struct Pass;

impl Interceptor for Pass {
    fn intercept(&mut self, _now: Timestamp, _packet: &mut Packet) -> Verdict {
        Verdict::Deliver
    }
}

/// One rule: datagrams from `from` (any side if `None`), counted per side
/// from 1; `nth` picks one of them (all if `None`).
pub struct Rule {
    pub from: Option<Side>,
    pub nth: Option<u32>,
    pub action: Action,
}

/// A rewrite of a datagram's payload.
pub type Mutation = Box<dyn FnMut(&mut Vec<u8>)>;

pub enum Action {
    Verdict(Verdict),
    /// Rewrites the payload, then delivers it.
    Mutate(Mutation),
}

impl Rule {
    pub fn drop(from: Side, nth: u32) -> Self {
        Self { from: Some(from), nth: Some(nth), action: Action::Verdict(Verdict::Drop) }
    }

    pub fn duplicate(from: Side, nth: u32) -> Self {
        Self { from: Some(from), nth: Some(nth), action: Action::Verdict(Verdict::Duplicate) }
    }

    pub fn delay(from: Side, nth: u32, by: Duration) -> Self {
        Self { from: Some(from), nth: Some(nth), action: Action::Verdict(Verdict::Delay(by)) }
    }

    /// Every datagram from `from` is dropped (the side is silent).
    pub fn silence(from: Side) -> Self {
        Self { from: Some(from), nth: None, action: Action::Verdict(Verdict::Drop) }
    }

    pub fn mutate(from: Side, nth: u32, change: impl FnMut(&mut Vec<u8>) + 'static) -> Self {
        Self { from: Some(from), nth: Some(nth), action: Action::Mutate(Box::new(change)) }
    }
}

/// An ordered list of rules; the first that matches decides.
#[derive(Default)]
pub struct Rules {
    rules: Vec<Rule>,
    sent: [u32; 2],
}

impl Rules {
    pub fn new(rules: Vec<Rule>) -> Self {
        Self { rules, sent: [0, 0] }
    }
}

impl Interceptor for Rules {
    fn intercept(&mut self, _now: Timestamp, packet: &mut Packet) -> Verdict {
        let index = match packet.from {
            Side::A => 0,
            Side::B => 1,
        };
        self.sent[index] += 1;
        let count = self.sent[index];
        for rule in &mut self.rules {
            let side_matches = rule.from.is_none_or(|side| side == packet.from);
            let nth_matches = rule.nth.is_none_or(|nth| nth == count);
            if side_matches && nth_matches {
                return match &mut rule.action {
                    Action::Verdict(verdict) => *verdict,
                    Action::Mutate(change) => {
                        change(&mut packet.payload);
                        Verdict::Deliver
                    }
                };
            }
        }
        Verdict::Deliver
    }
}
