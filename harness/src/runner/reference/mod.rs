//! The reference engine on real sockets inside a topology host's namespace.
//!
//! The sockets are opened on a thread that entered the namespace, so they live there
//! whichever thread uses them. A dedicated thread runs a single-threaded tokio runtime
//! that owns the sans-IO [`Endpoint`](ikev1::Endpoint) ([`event_loop`]): it feeds
//! datagrams and timeouts in, puts transmits on the wire, answers ICMP echo requests to
//! the inner address, and publishes what happened in [`Observed`], which the case
//! driver polls. Commands (initiate, forget, delete, ping, snapshot, raw datagrams,
//! impairments, shut down) reach it over a channel.

mod event_loop;
mod observed;
mod sockets;

use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use ikev1::counters::Counters;
use ikev1::impairment::Impairment;
use ikev1::trace::show_ipsec::SessionView;
use ikev1::{EndpointConfig, Event, IkeSaInfo};
use peers::{KeyMaterial, Namespace};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use super::icmp::Echo;
use crate::scenario::Forget;
pub use observed::{Observed, SaEvent, SaEventKind, StreamRequest};
use peers::SaScope;

const POLL: Duration = Duration::from_millis(10);
/// How long a port may look taken by a descriptor copy in a process being spawned.
const BIND_PATIENCE: Duration = Duration::from_secs(2);

/// The engine's own views at one moment.
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    pub sessions: Vec<SessionView>,
    pub established: Vec<IkeSaInfo>,
    pub ipsec_sas: Vec<ikev1::child_sa::IpsecSaInfo>,
    pub counters: Counters,
}

/// A background stream of echo requests from the reference's inner address.
#[derive(Clone, Copy, Debug)]
pub struct StreamSpec {
    pub source: Ipv4Addr,
    pub destination: Ipv4Addr,
    pub identifier: u16,
    pub interval: Duration,
    pub count: u16,
    pub payload: usize,
}

enum Command {
    Initiate(String, oneshot::Sender<Result<(), String>>),
    SendInner(Vec<u8>, oneshot::Sender<Result<(), String>>),
    Keys(oneshot::Sender<Result<KeyMaterial, String>>),
    Forget(Forget),
    Delete(SaScope, String),
    Snapshot(oneshot::Sender<Snapshot>),
    Stream(StreamSpec),
    /// Bytes as they are, from the IKE socket (port 500) to this address.
    SendRaw(Vec<u8>, SocketAddrV4, oneshot::Sender<Result<(), String>>),
    SetImpairments(String, Vec<Impairment>),
    Shutdown,
}

pub struct ReferenceNode {
    commands: mpsc::UnboundedSender<Command>,
    observed: Arc<Mutex<Observed>>,
    thread: Option<thread::JoinHandle<Vec<Event>>>,
    next_sequence: u16,
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
        let sockets = open_sockets(namespace, address)?;
        let (commands, receiver) = mpsc::unbounded_channel();
        let observed = Arc::new(Mutex::new(Observed::default()));
        let shared = Arc::clone(&observed);
        let thread = thread::Builder::new()
            .name("ikelab-reference".into())
            .spawn(move || event_loop::run(config, seed, sockets, shared, inner, receiver))
            .map_err(|error| format!("starting the reference thread: {error}"))?;
        Ok(ReferenceNode { commands, observed, thread: Some(thread), next_sequence: 1 })
    }

    fn ask<T>(&self, command: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, String> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(command(reply)).map_err(|_| "the reference engine has stopped".to_owned())?;
        answer.blocking_recv().map_err(|_| "the reference engine stopped before answering".to_owned())
    }

    fn tell(&self, command: Command) -> Result<(), String> {
        self.commands.send(command).map_err(|_| "the reference engine has stopped".to_owned())
    }

    /// Sends a command and returns once the engine has carried it out: commands are
    /// handled in order, so the answer to a snapshot asked after it proves it done.
    /// The next step then meets the new state (a ping right after `forget` must not
    /// be answered by SAs the engine has yet to drop).
    fn tell_and_confirm(&self, command: Command) -> Result<(), String> {
        self.tell(command)?;
        self.snapshot().map(drop)
    }

    pub fn initiate(&self, connection: &str) -> Result<(), String> {
        self.ask(|reply| Command::Initiate(connection.to_owned(), reply))?
    }

    /// Loses SAs without telling the peer, as a reboot would.
    pub fn forget(&self, what: Forget) -> Result<(), String> {
        self.tell_and_confirm(Command::Forget(what))
    }

    /// Deletes SAs of `connection`, telling the peer.
    pub fn delete(&self, scope: SaScope, connection: &str) -> Result<(), String> {
        self.tell_and_confirm(Command::Delete(scope, connection.to_owned()))
    }

    pub fn snapshot(&self) -> Result<Snapshot, String> {
        self.ask(Command::Snapshot)
    }

    /// Sends `datagram` unchanged from the engine's own port-500 socket to `to`: what
    /// the peer answers reaches the engine as any datagram does.
    pub fn send_raw(&self, datagram: Vec<u8>, to: SocketAddrV4) -> Result<(), String> {
        self.ask(|reply| Command::SendRaw(datagram, to, reply))?
    }

    /// Replaces the impairments of `connection` from now on (its SAs up included).
    pub fn set_impairments(&self, connection: &str, impairments: Vec<Impairment>) -> Result<(), String> {
        self.tell_and_confirm(Command::SetImpairments(connection.to_owned(), impairments))
    }

    /// Starts a background stream of echo requests; its records land in [`Observed`].
    pub fn stream(&self, spec: StreamSpec) -> Result<(), String> {
        self.tell(Command::Stream(spec))
    }

    pub fn observed(&self) -> MutexGuard<'_, Observed> {
        self.observed.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|thread| !thread.is_finished())
    }

    /// Polls what the engine observed until `probe` finds something or `timeout` passes.
    pub fn wait<T>(&self, timeout: Duration, mut probe: impl FnMut(&Observed) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = probe(&self.observed()) {
                return Some(found);
            }
            if Instant::now() >= deadline || !self.is_running() {
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
        self.wait(timeout, |observed| observed.reply_to(identifier, sequence))
            .map(|_| started.elapsed())
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

/// Opens the sockets inside `namespace`. A port the previous engine of the case just
/// closed can look taken for a moment: a process another thread is spawning holds a
/// copy of the descriptor from fork until exec. That passes; anything else does not.
fn open_sockets(namespace: &Namespace, address: Ipv4Addr) -> Result<sockets::StdSockets, String> {
    let deadline = Instant::now() + BIND_PATIENCE;
    loop {
        let opened = namespace.run_inside(|| sockets::open(address)).map_err(|error| error.to_string())?;
        match opened {
            Ok(sockets) => return Ok(sockets),
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                thread::sleep(POLL);
            }
            Err(error) => return Err(format!("opening the reference's sockets on {address}: {error}")),
        }
    }
}

impl Drop for ReferenceNode {
    fn drop(&mut self) {
        self.stop();
    }
}
