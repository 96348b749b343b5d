//! SA lifetimes (RFC 4301 4.4.2.1): time since the SA was made, bytes protected
//! and packets, each with a soft limit (time to negotiate a successor) and a
//! hard one (the SA must go). The SA says where it stands; the engine decides
//! what to do about it.

use std::time::Duration;

use serde::Serialize;

use crate::time::Timestamp;

/// One set of limits; `None` is no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Limits {
    pub seconds: Option<u64>,
    /// Bytes the cipher was applied to, padding and trailer included (RFC 4301
    /// 4.4.2.1 (a)); IKEv1 negotiates kilobytes (RFC 2407 4.5).
    pub bytes: Option<u64>,
    pub packets: Option<u64>,
}

impl Limits {
    pub const UNLIMITED: Self = Self { seconds: None, bytes: None, packets: None };

    fn reached(&self, age: Duration, bytes: u64, packets: u64) -> bool {
        let reached = |limit: Option<u64>, used: u64| limit.is_some_and(|limit| used >= limit);
        self.seconds.is_some_and(|seconds| age >= Duration::from_secs(seconds))
            || reached(self.bytes, bytes)
            || reached(self.packets, packets)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LifetimeLimits {
    pub soft: Limits,
    pub hard: Limits,
}

/// Where an SA stands, in order of gravity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LifetimeState {
    Active,
    /// A soft limit is reached: time to rekey.
    SoftExpired,
    /// A hard limit is reached (or, outbound, the sequence numbers are used up):
    /// the SA must not be used any more.
    HardExpired,
}

/// What an SA has used so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Lifetime {
    limits: LifetimeLimits,
    created: Timestamp,
    bytes: u64,
    packets: u64,
    last_used: Option<Timestamp>,
}

impl Lifetime {
    pub fn new(limits: LifetimeLimits, now: Timestamp) -> Self {
        Self { limits, created: now, bytes: 0, packets: 0, last_used: None }
    }

    /// Counts one packet whose cipher input was `bytes` long.
    pub(crate) fn record(&mut self, now: Timestamp, bytes: usize) {
        self.bytes = self.bytes.saturating_add(bytes as u64);
        self.packets = self.packets.saturating_add(1);
        self.last_used = Some(now);
    }

    pub fn state(&self, now: Timestamp) -> LifetimeState {
        let age = now.saturating_since(self.created);
        if self.limits.hard.reached(age, self.bytes, self.packets) {
            LifetimeState::HardExpired
        } else if self.limits.soft.reached(age, self.bytes, self.packets) {
            LifetimeState::SoftExpired
        } else {
            LifetimeState::Active
        }
    }

    /// The next instant after `now` at which a time limit is reached, for the
    /// engine's `poll_timeout`; `None` when no time limit lies ahead.
    pub fn next_deadline(&self, now: Timestamp) -> Option<Timestamp> {
        [self.limits.soft.seconds, self.limits.hard.seconds]
            .into_iter()
            .flatten()
            .map(|seconds| self.created + Duration::from_secs(seconds))
            .filter(|deadline| *deadline > now)
            .min()
    }

    /// What is left before the hard limits (IOS "remaining key lifetime").
    pub fn remaining(&self, now: Timestamp) -> Limits {
        let age = now.saturating_since(self.created).as_secs();
        let hard = self.limits.hard;
        Limits {
            seconds: hard.seconds.map(|seconds| seconds.saturating_sub(age)),
            bytes: hard.bytes.map(|bytes| bytes.saturating_sub(self.bytes)),
            packets: hard.packets.map(|packets| packets.saturating_sub(self.packets)),
        }
    }

    pub fn limits(&self) -> LifetimeLimits {
        self.limits
    }

    pub fn created(&self) -> Timestamp {
        self.created
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// When the SA last protected or accepted a packet (IOS tells UP-IDLE from
    /// UP-ACTIVE by this).
    pub fn last_used(&self) -> Option<Timestamp> {
        self.last_used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> Timestamp {
        Timestamp::from_millis(seconds * 1000)
    }

    #[test]
    fn time_limits_count_from_creation() {
        let limits = LifetimeLimits {
            soft: Limits { seconds: Some(3240), ..Limits::UNLIMITED },
            hard: Limits { seconds: Some(3600), ..Limits::UNLIMITED },
        };
        let lifetime = Lifetime::new(limits, at(100));
        assert_eq!(lifetime.state(at(3339)), LifetimeState::Active);
        assert_eq!(lifetime.state(at(3340)), LifetimeState::SoftExpired);
        assert_eq!(lifetime.state(at(3700)), LifetimeState::HardExpired);
        assert_eq!(lifetime.next_deadline(at(100)), Some(at(3340)));
        assert_eq!(lifetime.next_deadline(at(3340)), Some(at(3700)));
        assert_eq!(lifetime.next_deadline(at(3700)), None);
        assert_eq!(lifetime.remaining(at(1100)).seconds, Some(2600));
        assert_eq!(lifetime.remaining(at(9999)).seconds, Some(0));
    }

    #[test]
    fn bytes_and_packets_count_what_was_recorded() {
        let limits = LifetimeLimits {
            soft: Limits { bytes: Some(1000), ..Limits::UNLIMITED },
            hard: Limits { packets: Some(3), bytes: Some(4000), ..Limits::UNLIMITED },
        };
        let mut lifetime = Lifetime::new(limits, at(0));
        lifetime.record(at(1), 999);
        assert_eq!((lifetime.state(at(1)), lifetime.last_used()), (LifetimeState::Active, Some(at(1))));
        lifetime.record(at(2), 1);
        assert_eq!(lifetime.state(at(2)), LifetimeState::SoftExpired);
        assert_eq!(lifetime.remaining(at(2)), Limits { seconds: None, bytes: Some(3000), packets: Some(1) });
        lifetime.record(at(3), 1);
        assert_eq!(lifetime.state(at(3)), LifetimeState::HardExpired);
        assert_eq!((lifetime.bytes(), lifetime.packets()), (1001, 3));
    }

    #[test]
    fn without_limits_an_sa_stays_active() {
        let mut lifetime = Lifetime::new(LifetimeLimits::default(), at(0));
        lifetime.record(at(1), usize::MAX);
        lifetime.record(at(1), usize::MAX);
        assert_eq!(lifetime.state(Timestamp::from_millis(u64::MAX)), LifetimeState::Active);
        assert_eq!(lifetime.next_deadline(at(0)), None);
        assert_eq!(lifetime.remaining(at(5)), Limits::UNLIMITED);
    }
}
