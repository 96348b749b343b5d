//! A two-party simulation in one process: two endpoints, a virtual clock, a
//! wire with latency and an [`Interceptor`] that drops, duplicates, delays
//! or mutates datagrams, and optionally a NAT in front of side A (quinn's
//! two-party test driver has this shape).
//!
//! Everything is deterministic: same configurations, same seeds, same
//! interceptor, same bytes on the wire and same traces.

mod interceptor;
mod nat;

use std::net::SocketAddr;
use std::time::Duration;

pub use interceptor::{Action, Interceptor, Pass, Rule, Rules, Verdict};
pub use nat::Nat;

use crate::config::EndpointConfig;
use crate::endpoint::Endpoint;
use crate::endpoint::io::{Event, Protocol, Transmit};
use crate::time::Timestamp;
use crate::trace::TraceEvent;

/// Which endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Side {
    A,
    B,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// A datagram on the simulated wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub from: Side,
    pub source: SocketAddr,
    pub destination: SocketAddr,
    pub payload: Vec<u8>,
    /// UDP, or raw ESP (IP protocol 50, ports meaningless).
    pub protocol: Protocol,
}

/// A datagram as it was delivered (or dropped), for assertions and pcaps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireRecord {
    pub at: Timestamp,
    pub packet: Packet,
    pub delivered: bool,
}

pub struct Simulation {
    pub now: Timestamp,
    pub a: Endpoint,
    pub b: Endpoint,
    pub latency: Duration,
    pub interceptor: Box<dyn Interceptor>,
    pub nat: Option<Nat>,
    in_flight: Vec<(Timestamp, u64, Packet)>,
    sequence: u64,
    /// Every datagram put on the wire, in order.
    pub wire: Vec<WireRecord>,
    pub events_a: Vec<Event>,
    pub events_b: Vec<Event>,
}

/// A bound on simulation steps, so a livelock fails a test instead of hanging it.
const MAX_STEPS: usize = 200_000;

impl Simulation {
    pub fn new(a: EndpointConfig, seed_a: u64, b: EndpointConfig, seed_b: u64) -> Self {
        Self::with_endpoints(Endpoint::new(a, seed_a), Endpoint::new(b, seed_b))
    }

    pub fn with_endpoints(a: Endpoint, b: Endpoint) -> Self {
        Self {
            now: Timestamp::ZERO,
            a,
            b,
            latency: Duration::from_millis(1),
            interceptor: Box::new(Pass),
            nat: None,
            in_flight: Vec::new(),
            sequence: 0,
            wire: Vec::new(),
            events_a: Vec::new(),
            events_b: Vec::new(),
        }
    }

    pub fn endpoint(&mut self, side: Side) -> &mut Endpoint {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    pub fn events(&self, side: Side) -> &[Event] {
        match side {
            Side::A => &self.events_a,
            Side::B => &self.events_b,
        }
    }

    /// The trace events of one side.
    pub fn traces(&self, side: Side) -> Vec<&TraceEvent> {
        self.events(side)
            .iter()
            .filter_map(|event| match event {
                Event::Trace(trace) => Some(trace),
                _ => None,
            })
            .collect()
    }

    /// Starts a connection on one side.
    pub fn initiate(&mut self, side: Side, connection: &str) {
        let now = self.now;
        self.endpoint(side).initiate(now, connection).expect("the connection is configured");
        self.collect();
    }

    /// Runs an operator action on one side at the current time (delete a
    /// connection, shut down...) and puts what it sent on the wire.
    pub fn act<T>(&mut self, side: Side, action: impl FnOnce(&mut Endpoint, Timestamp) -> T) -> T {
        let now = self.now;
        let outcome = action(self.endpoint(side), now);
        self.collect();
        outcome
    }

    /// Puts a datagram on the wire as if `from` had sent it from `source` to
    /// `destination`: a crafted or forged message, which meets the NAT and
    /// the interceptor like any other.
    pub fn inject(&mut self, from: Side, source: SocketAddr, destination: SocketAddr, payload: Vec<u8>) {
        self.send(from, Transmit::udp(source, destination, payload));
    }

    /// Runs until nothing is in flight and no timer is due before `deadline`.
    pub fn run_until(&mut self, deadline: Timestamp) {
        for _ in 0..MAX_STEPS {
            if !self.step(deadline) {
                self.now = self.now.max(deadline);
                return;
            }
        }
        panic!("simulation did not settle within {MAX_STEPS} steps");
    }

    /// Runs for a span of virtual time.
    pub fn run_for(&mut self, span: Duration) {
        let deadline = self.now + span;
        self.run_until(deadline);
    }

    /// Runs until `done` holds (checked after every step) or `limit` passes.
    pub fn run_until_condition(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&Simulation) -> bool,
    ) -> bool {
        let deadline = self.now + limit;
        for _ in 0..MAX_STEPS {
            if done(self) {
                return true;
            }
            if !self.step(deadline) {
                return done(self);
            }
        }
        panic!("simulation did not settle within {MAX_STEPS} steps");
    }

    /// One delivery or one timer, whichever is first; false if nothing is
    /// due before `deadline`.
    fn step(&mut self, deadline: Timestamp) -> bool {
        let next_packet = self.in_flight.iter().map(|(at, seq, _)| (*at, *seq)).min();
        let timers = [self.a.poll_timeout(), self.b.poll_timeout()];
        let next_timer = timers.iter().flatten().min().copied();
        let next = match (next_packet, next_timer) {
            (Some((at, _)), Some(timer)) => at.min(timer),
            (Some((at, _)), None) => at,
            (None, Some(timer)) => timer,
            (None, None) => return false,
        };
        if next > deadline {
            return false;
        }
        self.now = self.now.max(next);
        if let Some((at, seq)) = next_packet
            && at <= self.now
        {
            let index = self.in_flight.iter().position(|(a, s, _)| (*a, *s) == (at, seq)).expect("in flight");
            let (_, _, packet) = self.in_flight.remove(index);
            self.deliver(packet);
        } else {
            let now = self.now;
            for side in [Side::A, Side::B] {
                let endpoint = self.endpoint(side);
                if endpoint.poll_timeout().is_some_and(|at| at <= now) {
                    endpoint.handle_timeout(now);
                }
            }
        }
        self.collect();
        true
    }

    fn deliver(&mut self, packet: Packet) {
        let now = self.now;
        let Packet { from, source, destination, payload, protocol } = packet;
        let endpoint = self.endpoint(from.other());
        match protocol {
            Protocol::Udp => endpoint.handle_datagram(now, destination, source, &payload),
            Protocol::Esp => endpoint.handle_esp(now, source.ip(), destination.ip(), &payload),
        }
    }

    /// Moves what both endpoints produced onto the wire and into the logs.
    fn collect(&mut self) {
        for side in [Side::A, Side::B] {
            while let Some(transmit) = self.endpoint(side).poll_transmit() {
                self.send(side, transmit);
            }
            while let Some(event) = self.endpoint(side).poll_event() {
                match side {
                    Side::A => self.events_a.push(event),
                    Side::B => self.events_b.push(event),
                }
            }
        }
    }

    fn send(&mut self, from: Side, transmit: Transmit) {
        let mut packet = Packet {
            from,
            source: transmit.local,
            destination: transmit.remote,
            payload: transmit.payload,
            protocol: transmit.protocol,
        };
        let mapped = self.nat.as_mut().is_none_or(|nat| nat.translate(&mut packet));
        let verdict = if mapped { self.interceptor.intercept(self.now, &mut packet) } else { Verdict::Drop };
        let copies = match verdict {
            Verdict::Deliver => vec![self.latency],
            Verdict::Drop => Vec::new(),
            Verdict::Duplicate => vec![self.latency, self.latency],
            Verdict::Delay(extra) => vec![self.latency + extra],
        };
        self.wire.push(WireRecord { at: self.now, packet: packet.clone(), delivered: !copies.is_empty() });
        for delay in copies {
            self.sequence += 1;
            self.in_flight.push((self.now + delay, self.sequence, packet.clone()));
        }
    }

    /// Drops one side's notion of everything, as a reboot would.
    pub fn reboot(&mut self, side: Side) {
        self.endpoint(side).forget_all();
    }
}
