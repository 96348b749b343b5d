//! The reference engine on real sockets inside a topology host's namespace.
//!
//! The sockets (UDP 500 and 4500 on the host's address, a raw IPv4 socket for ESP,
//! IP protocol 50) are opened on a thread that entered the namespace, so they live
//! there whichever thread uses them. A dedicated thread runs a single-threaded tokio
//! runtime that owns the sans-IO [`Endpoint`]: it feeds datagrams and timeouts in,
//! puts transmits on the wire, answers ICMP echo requests to the inner address, and
//! publishes what happened in [`Observed`], which the case driver polls. Commands
//! (initiate, send a ping, shut down) reach it over a channel.

use std::io::{self, Read as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use ikev1::{Endpoint, EndpointConfig, Event, IkeSaInfo, Timestamp};
use peers::{KeyMaterial, Namespace};
use socket2::{Domain, Protocol, SockAddr, SockRef, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use super::engine_api::{self, IpsecSaUp, Outgoing};
use super::icmp::Echo;

const IKE_PORT: u16 = 500;
const NAT_T_PORT: u16 = 4500;
const ESP_PROTOCOL: i32 = 50;
/// After `shutdown`, how long the loop keeps running so Delete notifications leave.
const SHUTDOWN_LINGER: Duration = Duration::from_millis(50);
const POLL: Duration = Duration::from_millis(10);

/// What the engine has done so far, as the case driver sees it.
#[derive(Debug, Default)]
pub struct Observed {
    pub ike_sas: Vec<IkeSaInfo>,
    pub failures: Vec<String>,
    pub ipsec_sas: Vec<IpsecSaUp>,
    pub echo_replies: Vec<Echo>,
    pub echo_requests_answered: u32,
    /// Packets the engine could not take yet, with the API they wait for.
    pub unhandled: Vec<String>,
}

enum Command {
    Initiate(String, oneshot::Sender<Result<(), String>>),
    SendInner(Vec<u8>, oneshot::Sender<Result<(), String>>),
    Keys(oneshot::Sender<Result<KeyMaterial, String>>),
    Shutdown,
}

pub struct ReferenceNode {
    commands: mpsc::UnboundedSender<Command>,
    observed: Arc<Mutex<Observed>>,
    thread: Option<thread::JoinHandle<Vec<Event>>>,
    next_sequence: u16,
}

/// The sockets, opened inside the namespace.
struct StdSockets {
    ike: StdUdpSocket,
    nat_t: StdUdpSocket,
    esp: Socket,
}

impl ReferenceNode {
    /// Opens the sockets on `address` inside `namespace` and starts the engine.
    pub fn start(
        namespace: &Namespace,
        address: Ipv4Addr,
        inner: Ipv4Addr,
        config: EndpointConfig,
        seed: u64,
    ) -> Result<Self, String> {
        let sockets = namespace
            .run_inside(|| open_sockets(address))
            .map_err(|error| error.to_string())?
            .map_err(|error| format!("opening the reference's sockets on {address}: {error}"))?;
        let (commands, receiver) = mpsc::unbounded_channel();
        let observed = Arc::new(Mutex::new(Observed::default()));
        let shared = Arc::clone(&observed);
        let thread = thread::Builder::new()
            .name("ikelab-reference".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a single-threaded tokio runtime");
                runtime.block_on(async move {
                    let endpoint = Endpoint::new(config, seed);
                    match Loop::new(endpoint, sockets, shared, inner) {
                        Ok(node) => node.serve(receiver).await,
                        Err(error) => panic!("registering the reference's sockets: {error}"),
                    }
                })
            })
            .map_err(|error| format!("starting the reference thread: {error}"))?;
        Ok(ReferenceNode { commands, observed, thread: Some(thread), next_sequence: 1 })
    }

    fn ask<T>(&self, command: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, String> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(command(reply)).map_err(|_| "the reference engine has stopped".to_owned())?;
        answer.blocking_recv().map_err(|_| "the reference engine stopped before answering".to_owned())
    }

    pub fn initiate(&self, connection: &str) -> Result<(), String> {
        self.ask(|reply| Command::Initiate(connection.to_owned(), reply))?
    }

    pub fn observed(&self) -> MutexGuard<'_, Observed> {
        self.observed.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Polls what the engine observed until `probe` finds something or `timeout` passes.
    pub fn wait<T>(&self, timeout: Duration, mut probe: impl FnMut(&Observed) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = probe(&self.observed()) {
                return Some(found);
            }
            if Instant::now() >= deadline || self.thread.as_ref().is_none_or(|thread| thread.is_finished()) {
                return None;
            }
            thread::sleep(POLL);
        }
    }

    /// One ICMP echo from the userspace stack through the tunnel; the round-trip time.
    pub fn ping(
        &mut self,
        source: Ipv4Addr,
        destination: Ipv4Addr,
        timeout: Duration,
    ) -> Result<Duration, String> {
        let sequence = self.next_sequence;
        self.next_sequence = self.next_sequence.wrapping_add(1);
        let identifier = std::process::id() as u16;
        let request = Echo {
            source,
            destination,
            request: true,
            identifier,
            sequence,
            data: b"ikelab reference".to_vec(),
        };
        let started = Instant::now();
        self.ask(|reply| Command::SendInner(request.to_packet(), reply))??;
        let answered = self.wait(timeout, |observed| {
            observed
                .echo_replies
                .iter()
                .any(|echo| echo.identifier == identifier && echo.sequence == sequence)
                .then_some(())
        });
        answered
            .map(|()| started.elapsed())
            .ok_or_else(|| format!("no echo reply from {destination} within {timeout:?}"))
    }

    pub fn keys(&self) -> Result<KeyMaterial, String> {
        self.ask(Command::Keys)?
    }

    /// Deletes the SAs (telling the peer), stops the engine, and returns every event.
    pub fn finish(mut self) -> Vec<Event> {
        self.stop()
    }

    fn stop(&mut self) -> Vec<Event> {
        let _ = self.commands.send(Command::Shutdown);
        match self.thread.take().map(thread::JoinHandle::join) {
            Some(Ok(events)) => events,
            Some(Err(_)) => {
                eprintln!("ikelab: the reference engine's thread panicked");
                Vec::new()
            }
            None => Vec::new(),
        }
    }
}

impl Drop for ReferenceNode {
    fn drop(&mut self) {
        self.stop();
    }
}

fn open_sockets(address: Ipv4Addr) -> io::Result<StdSockets> {
    let udp = |port| {
        let socket = StdUdpSocket::bind(SocketAddr::new(IpAddr::V4(address), port))?;
        socket.set_nonblocking(true)?;
        Ok::<_, io::Error>(socket)
    };
    let esp = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(ESP_PROTOCOL)))?;
    esp.set_nonblocking(true)?;
    Ok(StdSockets { ike: udp(IKE_PORT)?, nat_t: udp(NAT_T_PORT)?, esp })
}

/// The engine and its sockets, driven by one task.
struct Loop {
    endpoint: Endpoint,
    ike: UdpSocket,
    nat_t: UdpSocket,
    esp: AsyncFd<Socket>,
    observed: Arc<Mutex<Observed>>,
    inner: Ipv4Addr,
    origin: tokio::time::Instant,
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
            events: Vec::new(),
        })
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_duration(self.origin.elapsed())
    }

    async fn serve(mut self, mut commands: mpsc::UnboundedReceiver<Command>) -> Vec<Event> {
        let mut ike_buffer = vec![0u8; 65536];
        let mut nat_t_buffer = vec![0u8; 65536];
        let mut esp_buffer = vec![0u8; 65536];
        loop {
            self.flush();
            let wake =
                self.endpoint.poll_timeout().map(|at| self.origin + Duration::from_millis(at.as_millis()));
            tokio::select! {
                received = self.ike.recv_from(&mut ike_buffer) => self.datagram(IKE_PORT, received, &ike_buffer),
                received = self.nat_t.recv_from(&mut nat_t_buffer) => self.datagram(NAT_T_PORT, received, &nat_t_buffer),
                received = receive_raw(&self.esp, &mut esp_buffer) => self.raw_esp(received, &esp_buffer),
                command = commands.recv() => match command {
                    Some(Command::Shutdown) | None => break,
                    Some(command) => self.command(command),
                },
                () = sleep_until(wake) => {
                    let now = self.now();
                    self.endpoint.handle_timeout(now);
                }
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
        let header_len = usize::from(packet.first().copied().unwrap_or(0) & 0x0f) * 4;
        if packet.len() < header_len.max(20) {
            return;
        }
        let address =
            |at: usize| IpAddr::V4(Ipv4Addr::new(packet[at], packet[at + 1], packet[at + 2], packet[at + 3]));
        let (source, destination) = (SocketAddr::new(address(12), 0), SocketAddr::new(address(16), 0));
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
            Command::Shutdown => {}
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
        match &event {
            Event::IkeSaEstablished(info) => observed.ike_sas.push(info.clone()),
            Event::IkeSaFailed { connection, peer, reason } => {
                observed.failures.push(format!("{connection} with {peer}: {reason}"));
            }
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
            let answered = engine_api::send_inner(&mut self.endpoint, now, &echo.reply().to_packet()).is_ok();
            self.observed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).echo_requests_answered +=
                u32::from(answered);
        } else if !echo.request {
            self.observed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).echo_replies.push(echo);
        }
    }

    fn note_unhandled(&self, what: String) {
        let mut observed = self.observed.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !observed.unhandled.contains(&what) {
            observed.unhandled.push(what);
        }
    }
}

async fn receive_raw(socket: &AsyncFd<Socket>, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        let mut ready = socket.readable().await?;
        match ready.try_io(|inner| inner.get_ref().read(buffer)) {
            Ok(result) => return result,
            Err(_would_block) => continue,
        }
    }
}

async fn sleep_until(wake: Option<tokio::time::Instant>) {
    match wake {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
