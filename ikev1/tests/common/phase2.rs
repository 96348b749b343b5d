//! Phase 2 in the simulation: tunnels between the inner hosts, the IPsec SA
//! events, and pings through the tunnel answered by the other side's
//! userspace stack (`ikev1::ip::answer_echo`), as the runner checks real
//! peers.

use std::net::IpAddr;
use std::time::Duration;

use ikev1::child_sa::IpsecSaInfo;
use ikev1::endpoint::SendError;
use ikev1::esp::EspCounters;
use ikev1::ip::{EchoKind, IcmpEcho, IpPacket};
use ikev1::policy::{ChildPolicy, DhGroup, ExchangeMode};
use ikev1::sim::{Side, Simulation};
use ikev1::trace::show_ipsec::{IpsecSaView, SessionStatus};
use ikev1::{Event, Timestamp};

use super::{Peers, child};

/// The Phase 1 policy of the Phase 2 tests: what IOS and strongSwan agree
/// on by default today.
pub const PHASE1: &str = "aes128-sha256-modp2048";

/// The ICMP identifier of our pings.
const PING_ID: u16 = 0x1234;

impl Peers {
    /// A and B in Main Mode with one child policy each, "net", a tunnel
    /// between the inner hosts with these transform sets and PFS group.
    pub fn tunnel(esp: &[&str], pfs: Option<DhGroup>) -> Self {
        Self::same(ExchangeMode::Main, PHASE1)
            .a(|c| c.children = vec![child(Side::A, esp, pfs)])
            .b(|c| c.children = vec![child(Side::B, esp, pfs)])
    }

    /// Changes every child policy of one side.
    pub fn children(self, side: Side, change: impl Fn(&mut ChildPolicy)) -> Self {
        let apply = |c: &mut ikev1::policy::Connection| c.children.iter_mut().for_each(&change);
        match side {
            Side::A => self.a(apply),
            Side::B => self.b(apply),
        }
    }
}

/// The IPsec SA pairs a side reported up, in order.
pub fn ipsec_up(sim: &Simulation, side: Side) -> Vec<IpsecSaInfo> {
    sim.events(side)
        .iter()
        .filter_map(|event| match event {
            Event::IpsecSaEstablished(info) => Some(info.clone()),
            _ => None,
        })
        .collect()
}

/// Why Quick Modes of a side failed.
pub fn ipsec_failures(sim: &Simulation, side: Side) -> Vec<String> {
    sim.events(side)
        .iter()
        .filter_map(|event| match event {
            Event::IpsecSaFailed { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

/// An IPsec SA pair a side deleted or dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gone {
    pub inbound_spi: String,
    pub outbound_spi: String,
    pub reason: String,
}

pub fn ipsec_deleted(sim: &Simulation, side: Side) -> Vec<Gone> {
    sim.events(side)
        .iter()
        .filter_map(|event| match event {
            Event::IpsecSaDeleted { inbound_spi, outbound_spi, reason, .. } => Some(Gone {
                inbound_spi: inbound_spi.clone(),
                outbound_spi: outbound_spi.clone(),
                reason: reason.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// The inner packets a side received, with the SPI of the SA that took each.
pub fn inner_packets(sim: &Simulation, side: Side) -> Vec<(u32, Vec<u8>)> {
    sim.events(side)
        .iter()
        .filter_map(|event| match event {
            Event::InnerPacket { inbound_spi, packet, .. } => Some((*inbound_spi, packet.clone())),
            _ => None,
        })
        .collect()
}

/// An ICMP echo request between two addresses.
pub fn echo_request_between(src: IpAddr, dst: IpAddr, sequence: u16) -> Vec<u8> {
    echo_between(EchoKind::Request, src, dst, sequence, b"ikelab ping")
}

/// An ICMP echo of our identifier with `data`.
pub fn echo_between(kind: EchoKind, src: IpAddr, dst: IpAddr, sequence: u16, data: &[u8]) -> Vec<u8> {
    let echo = IcmpEcho { kind, identifier: PING_ID, sequence, data };
    echo.to_packet(src, dst).expect("an echo packet")
}

/// What an inner packet is, if one of our echoes: kind, sequence, source,
/// destination.
pub fn echo_of(packet: &[u8]) -> Option<(EchoKind, u16, IpAddr, IpAddr)> {
    let ip = IpPacket::parse(packet).ok()?;
    let echo = IcmpEcho::from_packet(&ip).ok()?;
    (echo.identifier == PING_ID).then_some((echo.kind, echo.sequence, ip.src(), ip.dst()))
}

/// `show crypto session` status of a side's (first) connection.
pub fn session_status(sim: &Simulation, side: Side) -> SessionStatus {
    let now = sim.now;
    match side {
        Side::A => sim.a.show_session(now)[0].status,
        Side::B => sim.b.show_session(now)[0].status,
    }
}

/// `show crypto ipsec sa` of a side.
pub fn ipsec_views(sim: &Simulation, side: Side) -> Vec<IpsecSaView> {
    let now = sim.now;
    match side {
        Side::A => sim.a.show_ipsec_sa(now),
        Side::B => sim.b.show_ipsec_sa(now),
    }
}

/// A counter summed over a side's inbound SAs.
pub fn inbound_total(sim: &Simulation, side: Side, counter: impl Fn(&EspCounters) -> u64) -> u64 {
    ipsec_views(sim, side).iter().map(|view| counter(&view.inbound.counters)).sum()
}

/// A counter summed over a side's outbound SAs.
pub fn outbound_total(sim: &Simulation, side: Side, counter: impl Fn(&EspCounters) -> u64) -> u64 {
    ipsec_views(sim, side)
        .iter()
        .filter_map(|view| view.outbound.as_ref())
        .map(|sa| counter(&sa.counters))
        .sum()
}

/// The SPIs (inbound, outbound) of the pair a side sends on now: the newest
/// one reported up that is still installed.
pub fn active_spis(sim: &Simulation, side: Side) -> Option<(String, String)> {
    let installed = match side {
        Side::A => sim.a.ipsec_sas(),
        Side::B => sim.b.ipsec_sas(),
    };
    ipsec_up(sim, side)
        .into_iter()
        .rev()
        .find(|info| installed.iter().any(|i| i.inbound_spi == info.inbound_spi))
        .map(|info| (info.inbound_spi, info.outbound_spi))
}

/// Pings through a simulation: requests from one side, the other side
/// answering every request that reaches it, replies recorded by sequence.
pub struct Pinger {
    pub from: Side,
    src: IpAddr,
    dst: IpAddr,
    /// Events of A and B already looked at.
    seen: [usize; 2],
    next_sequence: u16,
    data: Vec<u8>,
    /// Requests and when they were handed to the engine.
    pub sent: Vec<(u16, Timestamp)>,
    /// Requests the engine refused to send, and why.
    pub refused: Vec<(u16, SendError)>,
    /// Replies and when they arrived.
    pub replies: Vec<(u16, Timestamp)>,
    /// Replies the answering side could not send.
    pub unanswered: Vec<(u16, SendError)>,
}

impl Pinger {
    /// Pings between the inner hosts, from `from`.
    pub fn new(sim: &Simulation, from: Side) -> Self {
        Self::between(sim, from, super::inner(from), super::inner(from.other()))
    }

    /// Pings from `src` on side `from` to `dst` on the other side. Only
    /// events after now are looked at.
    pub fn between(sim: &Simulation, from: Side, src: IpAddr, dst: IpAddr) -> Self {
        Self {
            from,
            src,
            dst,
            seen: [sim.events_a.len(), sim.events_b.len()],
            next_sequence: 1,
            data: b"ikelab ping".to_vec(),
            sent: Vec::new(),
            refused: Vec::new(),
            replies: Vec::new(),
            unanswered: Vec::new(),
        }
    }

    /// Requests carry `len` bytes of data (the default is "ikelab ping").
    pub fn with_data(mut self, len: usize) -> Self {
        self.data = (0..len).map(|i| i as u8).collect();
        self
    }

    /// Hands one request to the engine now.
    pub fn send(&mut self, sim: &mut Simulation) -> Result<(), SendError> {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let request = echo_between(EchoKind::Request, self.src, self.dst, sequence, &self.data);
        let result = sim.act(self.from, |endpoint, now| endpoint.send_inner(now, &request));
        match &result {
            Ok(()) => self.sent.push((sequence, sim.now)),
            Err(error) => self.refused.push((sequence, error.clone())),
        }
        result
    }

    /// Answers the requests that reached the other side and records the
    /// replies that came back.
    pub fn poll(&mut self, sim: &mut Simulation) {
        let other = self.from.other();
        let (index_from, index_other) = (side_index(self.from), side_index(other));
        let arrived: Vec<Vec<u8>> = new_inner(sim, other, &mut self.seen[index_other]);
        for packet in arrived {
            let Some((EchoKind::Request, sequence, _, _)) = echo_of(&packet) else { continue };
            let reply = ikev1::ip::answer_echo(&packet).expect("an echo request");
            if let Err(error) = sim.act(other, |endpoint, now| endpoint.send_inner(now, &reply)) {
                self.unanswered.push((sequence, error));
            }
        }
        let now = sim.now;
        for packet in new_inner(sim, self.from, &mut self.seen[index_from]) {
            if let Some((EchoKind::Reply, sequence, _, dst)) = echo_of(&packet)
                && dst == self.src
            {
                self.replies.push((sequence, now));
            }
        }
    }

    /// One ping: the request, time for it and its answer to cross; whether
    /// the reply came.
    pub fn ping(&mut self, sim: &mut Simulation) -> bool {
        let sequence = self.next_sequence;
        let _ = self.send(sim);
        for _ in 0..2 {
            sim.run_for(Duration::from_millis(5));
            self.poll(sim);
        }
        self.replies.iter().any(|(s, _)| *s == sequence)
    }

    /// A ping every `interval` (at least 10 ms) for `span` of virtual time.
    pub fn every(&mut self, sim: &mut Simulation, interval: Duration, span: Duration) {
        self.every_observed(sim, interval, span, |_| {});
    }

    /// As [`Self::every`], showing the simulation to `observe` after every
    /// step (a delivery or a timer), to watch states change in between.
    pub fn every_observed(
        &mut self,
        sim: &mut Simulation,
        interval: Duration,
        span: Duration,
        mut observe: impl FnMut(&Simulation),
    ) {
        let end = sim.now + span;
        let mut run = |sim: &mut Simulation, until: Timestamp| {
            sim.run_until_condition(until.saturating_since(sim.now), |s| {
                observe(s);
                false
            });
            sim.run_until(until);
        };
        while sim.now < end {
            let tick = sim.now + interval;
            let _ = self.send(sim);
            for _ in 0..2 {
                run(sim, sim.now + Duration::from_millis(5));
                self.poll(sim);
            }
            run(sim, tick);
            self.poll(sim);
        }
    }

    /// Sequence numbers sent without a reply.
    pub fn lost(&self) -> Vec<u16> {
        self.sent.iter().map(|(s, _)| *s).filter(|s| !self.replies.iter().any(|(r, _)| r == s)).collect()
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}

/// Inner packets of a side from its event `cursor` on; moves the cursor.
fn new_inner(sim: &Simulation, side: Side, cursor: &mut usize) -> Vec<Vec<u8>> {
    let events = sim.events(side);
    let packets = events[*cursor..]
        .iter()
        .filter_map(|event| match event {
            Event::InnerPacket { packet, .. } => Some(packet.clone()),
            _ => None,
        })
        .collect();
    *cursor = events.len();
    packets
}

/// Brings the tunnel up from `initiator` and checks one pair on each side,
/// mirror images of each other.
pub fn bring_up(sim: &mut Simulation, initiator: Side) -> (IpsecSaInfo, IpsecSaInfo) {
    sim.initiate(initiator, "peer");
    sim.run_for(Duration::from_secs(2));
    let (on_a, on_b) = (ipsec_up(sim, Side::A), ipsec_up(sim, Side::B));
    assert_eq!(on_a.len(), 1, "A: {on_a:?}, failures {:?}", ipsec_failures(sim, Side::A));
    assert_eq!(on_b.len(), 1, "B: {on_b:?}, failures {:?}", ipsec_failures(sim, Side::B));
    assert_eq!(on_a[0].inbound_spi, on_b[0].outbound_spi);
    assert_eq!(on_a[0].outbound_spi, on_b[0].inbound_spi);
    assert_eq!(on_a[0].we_initiated, initiator == Side::A);
    assert_eq!(on_b[0].we_initiated, initiator == Side::B);
    (on_a[0].clone(), on_b[0].clone())
}

/// `count` pings from each side, each answered.
pub fn assert_pings_both_ways(sim: &mut Simulation, count: u16) {
    for from in [Side::A, Side::B] {
        let mut pinger = Pinger::new(sim, from);
        for _ in 0..count {
            assert!(pinger.ping(sim), "ping from {from:?}: refused {:?}", pinger.refused);
        }
        assert_eq!(pinger.replies.len(), usize::from(count));
    }
}

/// Drops every ESP packet (raw or in UDP) one side sends and lets IKE
/// through: a data path that fails while the control path works.
pub struct DropEspFrom(pub Side);

impl ikev1::sim::Interceptor for DropEspFrom {
    fn intercept(&mut self, _now: Timestamp, packet: &mut ikev1::sim::Packet) -> ikev1::sim::Verdict {
        if packet.from == self.0 && super::wire::is_esp(packet) {
            ikev1::sim::Verdict::Drop
        } else {
            ikev1::sim::Verdict::Deliver
        }
    }
}

/// The NAT's public address in the NAT-T tests.
pub fn nat_public() -> IpAddr {
    "203.0.113.254".parse().unwrap()
}

impl Peers {
    /// A behind a masquerading NAT: B knows A only by the NAT's public
    /// address (connection and key).
    pub fn behind_nat(self) -> Simulation {
        let mut peers = self.b(|c| c.remote_address = Some(nat_public()));
        peers.b.policy.keyring = ikev1::policy::Keyring::default()
            .with(ikev1::policy::PeerSelector::Address(nat_public()), super::PSK);
        let mut sim = peers.build();
        sim.nat = Some(ikev1::sim::Nat::new(nat_public()));
        sim
    }
}
