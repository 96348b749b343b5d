//! A network namespace that disappears, with every process inside it, when its guard drops.

use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant};

use super::command::{Error, Result, run, run_for_text, run_with_input};
use super::naming::{self, OWNER_VARIABLE};
use super::process::{ChildProcess, signal_process};

/// How long processes left in a namespace get between SIGTERM and SIGKILL on teardown.
const TEARDOWN_GRACE: Duration = Duration::from_secs(2);
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// A named network namespace (`ip netns add`), with `lo` up.
#[derive(Debug)]
pub struct Namespace {
    name: String,
}

/// [`Namespace::command`] for a namespace known by name (a driver that outlives the
/// borrow of its topology host keeps only the name).
pub fn command_in(namespace: &str, program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new("ip");
    command
        .args(["netns", "exec", namespace])
        .arg(program)
        .env(OWNER_VARIABLE, std::process::id().to_string());
    command
}

impl Namespace {
    /// Creates `ikelab-<pid>-<n>-<label>`.
    pub fn create(label: &str) -> Result<Self> {
        super::interrupt::refuse_if_interrupted("a namespace")?;
        let name = naming::unique(label);
        run(Command::new("ip").args(["netns", "add", &name]))?;
        // From here on the guard owns it, so a failure below still removes it.
        let namespace = Namespace { name };
        namespace.ip(["link", "set", "lo", "up"])?;
        Ok(namespace)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A command that runs `program` inside the namespace (`ip netns exec`), marked with
    /// the owner variable. `ip netns exec` also gives it a private mount namespace with
    /// /sys remounted, in which a daemon may bind-mount its own /run.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        command_in(&self.name, program)
    }

    /// Runs `program args` inside the namespace to completion; failure is an error.
    pub fn exec<I, S>(&self, program: &str, args: I) -> Result<Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        run(self.command(program).args(args))
    }

    /// Starts `command` (usually from [`command`](Self::command)) under a process guard.
    pub fn spawn(&self, command: Command) -> Result<ChildProcess> {
        ChildProcess::spawn(command)
    }

    /// Runs `ip -n NAME args`.
    pub fn ip<I, S>(&self, args: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        run(Command::new("ip").args(["-n", &self.name]).args(args)).map(drop)
    }

    /// Sets a sysctl inside the namespace, e.g. `net.ipv4.ip_forward` = `1`.
    pub fn sysctl(&self, key: &str, value: &str) -> Result<()> {
        self.exec("sysctl", ["-qw", &format!("{key}={value}")]).map(drop)
    }

    /// Loads an nft script (`nft -f -`) inside the namespace, as one atomic batch.
    pub fn nft(&self, script: &str) -> Result<()> {
        run_with_input(self.command("nft").args(["-f", "-"]), script.as_bytes()).map(drop)
    }

    /// The pids of the processes whose network namespace this is.
    pub fn pids(&self) -> Result<Vec<u32>> {
        pids_in(&self.name)
    }

    /// Runs `work` on a thread that has entered the namespace, and returns its result.
    /// Sockets made there stay in the namespace when used from any other thread, so this
    /// is how in-process code (a UDP probe, the reference engine) gets sockets inside.
    pub fn run_inside<T, F>(&self, work: F) -> Result<T>
    where
        T: Send,
        F: FnOnce() -> T + Send,
    {
        let path = format!("/run/netns/{}", self.name);
        let handle = File::open(&path).map_err(|source| Error::io(format!("opening {path}"), source))?;
        thread::scope(|scope| {
            scope
                .spawn(|| {
                    // SAFETY: setns(2) with a valid descriptor; it changes only this
                    // short-lived thread's network namespace.
                    if unsafe { libc::setns(handle.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                        let source = std::io::Error::last_os_error();
                        return Err(Error::io(format!("entering namespace {}", self.name), source));
                    }
                    Ok(work())
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        if let Err(error) = remove(&self.name) {
            eprintln!("ikelab: removing namespace {}: {error}", self.name);
        }
    }
}

/// The pids inside the named namespace (`ip netns pids`; zombies are not listed).
pub(crate) fn pids_in(name: &str) -> Result<Vec<u32>> {
    let text = run_for_text(Command::new("ip").args(["netns", "pids", name]))?;
    Ok(text.split_whitespace().filter_map(|pid| pid.parse().ok()).collect())
}

/// Stops every process inside the namespace (SIGTERM, bounded wait, SIGKILL), then
/// deletes it. A namespace that is already gone is fine. Returns the pids it signalled.
pub(crate) fn remove(name: &str) -> Result<Vec<u32>> {
    if !exists(name) {
        return Ok(Vec::new());
    }
    let signalled = pids_in(name)?;
    stop_all_inside(name, &signalled)?;
    match run(Command::new("ip").args(["netns", "del", name])) {
        Ok(_) => Ok(signalled),
        // Someone else (a sweep, another guard's cleanup) got there first.
        Err(_) if !exists(name) => Ok(signalled),
        Err(error) => Err(error),
    }
}

fn stop_all_inside(name: &str, pids: &[u32]) -> Result<()> {
    if pids.is_empty() {
        return Ok(());
    }
    for &pid in pids {
        signal_process(pid as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + TEARDOWN_GRACE;
    loop {
        let left = pids_in(name)?;
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            for &pid in &left {
                signal_process(pid as i32, libc::SIGKILL);
            }
            break;
        }
        thread::sleep(POLL_INTERVAL);
    }
    let deadline = Instant::now() + TEARDOWN_GRACE;
    while !pids_in(name)?.is_empty() {
        if Instant::now() >= deadline {
            return Err(Error::io(
                format!("processes in namespace {name} survive SIGKILL"),
                std::io::Error::from(std::io::ErrorKind::TimedOut),
            ));
        }
        thread::sleep(POLL_INTERVAL);
    }
    Ok(())
}

fn exists(name: &str) -> bool {
    std::path::Path::new("/run/netns").join(name).exists()
}

/// The names in `ip netns list`.
pub(crate) fn list() -> Result<Vec<String>> {
    let text = run_for_text(Command::new("ip").args(["netns", "list"]))?;
    Ok(text.lines().filter_map(|line| line.split_whitespace().next()).map(str::to_owned).collect())
}
