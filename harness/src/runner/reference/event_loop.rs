//! The task that owns the engine: datagrams, raw ESP, timeouts, commands, echo
//! streams and the session-status sampler, all in one `select!`.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ikev1::trace::Trace;
use ikev1::{Endpoint, EndpointConfig, Event, Timestamp};
use socket2::{SockAddr, SockRef, Socket};
use tokio::io::unix::AsyncFd;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::super::engine_api::{self, Outgoing};
use super::super::icmp::Echo;
use super::observed::{Observed, SaEvent, SaEventKind, StreamRequest};
use super::sockets::{self, IKE_PORT, NAT_T_PORT, StdSockets};
use super::{Command, Snapshot, StreamSpec};
use crate::scenario::Forget;
use peers::SaScope;

/// After `shutdown`, how long the loop keeps running so Delete notifications leave.
const SHUTDOWN_LINGER: Duration = Duration::from_millis(50);
/// How often `show crypto session` is sampled for the status history.
const SESSION_SAMPLE: Duration = Duration::from_millis(100);

/// Runs the engine until a shutdown command; returns every event it produced.
pub(super) fn run(
    config: EndpointConfig,
    seed: u64,
    sockets: StdSockets,
    observed: Arc<Mutex<Observed>>,
    inner: Ipv4Addr,
    commands: mpsc::UnboundedReceiver<Command>,
) -> Vec<Event> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a single-threaded tokio runtime");
    runtime.block_on(async move {
        let endpoint = Endpoint::new(config, seed);
        match Loop::new(endpoint, sockets, observed, inner) {
            Ok(node) => node.serve(commands).await,
            Err(error) => panic!("registering the reference's sockets: {error}"),
        }
    })
}

/// One running echo stream.
struct Stream {
    spec: StreamSpec,
    sent: u16,
    next_at: tokio::time::Instant,
}

struct Loop {
    endpoint: Endpoint,
    ike: UdpSocket,
    nat_t: UdpSocket,
    esp: AsyncFd<Socket>,
    observed: Arc<Mutex<Observed>>,
    inner: Ipv4Addr,
    origin: tokio::time::Instant,
    streams: Vec<Stream>,
    events: Vec<Event>,
}

impl Loop {
    fn new(
        endpoint: Endpoint,
        sockets: StdSockets,
        observed: Arc<Mutex<Observed>>,
        inner: Ipv4Addr,
    ) -> io::Result<Self> {
        Ok(Loop {
            endpoint,
            ike: UdpSocket::from_std(sockets.ike)?,
            nat_t: UdpSocket::from_std(sockets.nat_t)?,
            // SAFETY: the socket owns its descriptor and moves into the AsyncFd, so the
            // descriptor stays open and the same for the AsyncFd's whole life.
            esp: unsafe { AsyncFd::register(sockets.esp) }.map_err(io::Error::from)?,
            observed,
            inner,
            origin: tokio::time::Instant::now(),
            streams: Vec::new(),
            events: Vec::new(),
        })
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_duration(self.origin.elapsed())
    }

    fn observed(&self) -> MutexGuard<'_, Observed> {
        self.observed.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn serve(mut self, mut commands: mpsc::UnboundedReceiver<Command>) -> Vec<Event> {
        let mut ike_buffer = vec![0u8; 65536];
        let mut nat_t_buffer = vec![0u8; 65536];
        let mut esp_buffer = vec![0u8; 65536];
        let mut sampler = tokio::time::interval(SESSION_SAMPLE);
        loop {
            self.flush();
            let wake =
                self.endpoint.poll_timeout().map(|at| self.origin + Duration::from_millis(at.as_millis()));
            let next_echo = self.streams.iter().map(|stream| stream.next_at).min();
            tokio::select! {
                received = self.ike.recv_from(&mut ike_buffer) => self.datagram(IKE_PORT, received, &ike_buffer),
                received = self.nat_t.recv_from(&mut nat_t_buffer) => self.datagram(NAT_T_PORT, received, &nat_t_buffer),
                received = sockets::receive_raw(&self.esp, &mut esp_buffer) => self.raw_esp(received, &esp_buffer),
                command = commands.recv() => match command {
                    Some(Command::Shutdown) | None => break,
                    Some(command) => self.command(command),
                },
                () = sleep_until(wake) => {
                    let now = self.now();
                    self.endpoint.handle_timeout(now);
                }
                () = sleep_until(next_echo) => self.send_due_echoes(),
                _ = sampler.tick() => self.sample_session(),
            }
        }
        let now = self.now();
        self.endpoint.shutdown(now);
        self.flush();
        tokio::time::sleep(SHUTDOWN_LINGER).await;
        self.flush();
        self.events
    }

    fn datagram(&mut self, port: u16, received: io::Result<(usize, SocketAddr)>, buffer: &[u8]) {
        let Ok((length, remote)) = received else { return };
        let local = match port {
            IKE_PORT => self.ike.local_addr(),
            _ => self.nat_t.local_addr(),
        };
        if let Ok(local) = local {
            let now = self.now();
            self.endpoint.handle_datagram(now, local, remote, &buffer[..length]);
        }
    }

    /// A raw IPv4 packet of protocol 50: the IP header, then ESP.
    fn raw_esp(&mut self, received: io::Result<usize>, buffer: &[u8]) {
        let Ok(length) = received else { return };
        let packet = &buffer[..length];
        let Some((source, destination, header_len)) = sockets::ipv4_addresses(packet) else { return };
        let now = self.now();
        engine_api::handle_esp(&mut self.endpoint, now, source, destination, &packet[header_len..]);
    }

    fn command(&mut self, command: Command) {
        let now = self.now();
        match command {
            Command::Initiate(connection, reply) => {
                let _ =
                    reply.send(self.endpoint.initiate(now, &connection).map_err(|error| error.to_string()));
            }
            Command::SendInner(packet, reply) => {
                let _ = reply.send(engine_api::send_inner(&mut self.endpoint, now, &packet));
            }
            Command::Keys(reply) => {
                let _ = reply.send(Ok(engine_api::keys(&self.endpoint)));
            }
            Command::Forget(Forget::All) => self.endpoint.forget_all(),
            Command::Forget(Forget::Ike) => self.endpoint.forget_ike_sas(),
            Command::Delete(scope, connection) => match scope {
                SaScope::Phase1 => self.endpoint.delete_ike_sas(now, &connection),
                SaScope::Phase2 => self.endpoint.delete_ipsec_sas(now, &connection),
                SaScope::Both => self.endpoint.delete_connection(now, &connection),
            },
            Command::Snapshot(reply) => {
                let _ = reply.send(Snapshot {
                    sessions: self.endpoint.show_session(now),
                    established: self.endpoint.established(),
                    ipsec_sas: self.endpoint.ipsec_sas(),
                    counters: self.endpoint.counters().clone(),
                });
            }
            Command::Stream(spec) => {
                self.streams.push(Stream { spec, sent: 0, next_at: tokio::time::Instant::now() });
            }
            Command::SendRaw(datagram, to, reply) => {
                // The engine's own socket, so the peer's answer comes back to the engine
                // (one socket per port; a second one could not bind 500 anyway).
                let sent = SockRef::from(&self.ike).send_to(&datagram, &SockAddr::from(to));
                let _ = reply.send(sent.map(drop).map_err(|error| format!("sending to {to}: {error}")));
            }
            Command::SetImpairments(connection, impairments) => {
                self.endpoint.set_impairments(&connection, impairments);
            }
            Command::Shutdown => {}
        }
    }

    /// Sends the echo requests of every stream that is due.
    fn send_due_echoes(&mut self) {
        let now = tokio::time::Instant::now();
        let mut due = Vec::new();
        for stream in self.streams.iter_mut().filter(|stream| stream.next_at <= now) {
            stream.sent += 1;
            stream.next_at += stream.spec.interval;
            due.push((stream.spec, stream.sent));
        }
        self.streams.retain(|stream| stream.sent < stream.spec.count);
        for (spec, sequence) in due {
            let echo = Echo {
                source: spec.source,
                destination: spec.destination,
                request: true,
                identifier: spec.identifier,
                sequence,
                data: vec![0x5a; spec.payload],
            };
            let timestamp = self.now();
            let protected = engine_api::send_inner(&mut self.endpoint, timestamp, &echo.to_packet()).is_ok();
            self.observed().stream_requests.push(StreamRequest {
                identifier: spec.identifier,
                sequence,
                sent_at: Instant::now(),
                protected,
            });
        }
    }

    fn sample_session(&mut self) {
        let status =
            self.endpoint.show_session(self.now()).first().map(|view| view.status.ios_name().to_owned());
        let Some(status) = status else { return };
        let mut observed = self.observed();
        if observed.session_status() != Some(status.as_str()) {
            observed.session_history.push((Instant::now(), status));
        }
    }

    /// Puts what the engine wants to send on the wire and handles its events.
    fn flush(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(transmit) = self.endpoint.poll_transmit() {
                progressed = true;
                self.send(engine_api::outgoing(transmit));
            }
            while let Some(event) = self.endpoint.poll_event() {
                progressed = true;
                self.event(event);
            }
            if !progressed {
                return;
            }
        }
    }

    fn send(&mut self, outgoing: Outgoing) {
        let result = match outgoing {
            Outgoing::Udp { local, remote, payload } => {
                if payload == isakmp::natt::KEEPALIVE {
                    self.observed().keepalives_sent += 1;
                }
                let socket = if local.port() == NAT_T_PORT { &self.nat_t } else { &self.ike };
                // A plain sendto(2): tokio's try_send_to reports WouldBlock until the
                // reactor has seen the socket writable, which drops the first message.
                SockRef::from(socket).send_to(&payload, &SockAddr::from(remote)).map(drop)
            }
            Outgoing::Esp { remote, payload } => {
                self.esp.get_ref().send_to(&payload, &SockAddr::from(remote)).map(drop)
            }
        };
        if let Err(error) = result {
            self.note_unhandled(format!("sending failed: {error}"));
        }
    }

    fn event(&mut self, event: Event) {
        let mut observed = self.observed.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let sa_event = |kind, reason: &str| SaEvent { at: Instant::now(), kind, reason: reason.to_owned() };
        match &event {
            Event::IkeSaEstablished(info) => observed.ike_sas.push(info.clone()),
            Event::IkeSaFailed { connection, peer, reason } => {
                let reason = format!("{connection} with {peer}: {reason}");
                observed.sa_events.push(sa_event(SaEventKind::IkeSaFailed, &reason));
            }
            Event::IkeSaDeleted { reason, .. } => {
                observed.sa_events.push(sa_event(SaEventKind::IkeSaDeleted, reason));
            }
            Event::IpsecSaFailed { reason, .. } => {
                observed.sa_events.push(sa_event(SaEventKind::IpsecSaFailed, reason));
            }
            Event::IpsecSaDeleted { reason, .. } => {
                observed.sa_events.push(sa_event(SaEventKind::IpsecSaDeleted, reason));
            }
            Event::Trace(trace) => match &trace.trace {
                Trace::VendorId { name } => observed.peer_vendor_ids.push(name.clone()),
                Trace::Impaired { impairment, detail } if impairment == "mutate" => {
                    observed.mutations_applied.push(detail.clone());
                }
                _ => {}
            },
            _ => {}
        }
        if let Some(sa) = engine_api::ipsec_sa_established(&event) {
            observed.ipsec_sas.push(sa);
        }
        let echo = engine_api::inner_packet(&event).and_then(Echo::parse);
        drop(observed);
        if let Some(echo) = echo {
            self.echo(echo);
        }
        self.events.push(event);
    }

    /// Answers echo requests to our inner address; records replies for `ping`.
    fn echo(&mut self, echo: Echo) {
        if echo.request && echo.destination == self.inner {
            let now = self.now();
            if engine_api::send_inner(&mut self.endpoint, now, &echo.reply().to_packet()).is_ok() {
                self.observed().echo_requests_answered.push(Instant::now());
            }
        } else if !echo.request {
            self.observed().echo_replies.push((Instant::now(), echo));
        }
    }

    fn note_unhandled(&self, what: String) {
        let mut observed = self.observed();
        if !observed.unhandled.contains(&what) {
            observed.unhandled.push(what);
        }
    }
}

async fn sleep_until(wake: Option<tokio::time::Instant>) {
    match wake {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
