//! A child process that cannot outlive its guard.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use super::command::{Error, Result, describe};
use super::naming::OWNER_VARIABLE;

/// How long a stopped process gets to exit after SIGTERM before SIGKILL.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3);

const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// A process started in its own process group. Dropping the guard stops the whole group
/// (the daemon and anything it forked): SIGTERM, a bounded wait, then SIGKILL, and the
/// child is reaped so no zombie stays behind.
#[derive(Debug)]
pub struct ChildProcess {
    child: Child,
    description: String,
    grace: Duration,
    status: Option<ExitStatus>,
}

impl ChildProcess {
    /// Starts `command` as the leader of a new process group, marked with the owner
    /// variable so a sweep can find it if this run crashes.
    pub fn spawn(mut command: Command) -> Result<Self> {
        let description = describe(&command);
        super::interrupt::refuse_if_interrupted(&format!("`{description}`"))?;
        let child = command
            .process_group(0)
            .env(OWNER_VARIABLE, std::process::id().to_string())
            .spawn()
            .map_err(|source| Error::Spawn { command: description.clone(), source })?;
        Ok(ChildProcess { child, description, grace: DEFAULT_GRACE, status: None })
    }

    /// Sets how long [`stop`](Self::stop) and `Drop` wait after SIGTERM.
    pub fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The command line it was started with.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Its exit status if it has exited (reaping it), without waiting.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = self
                .child
                .try_wait()
                .map_err(|source| Error::io(format!("waiting for `{}`", self.description), source))?;
        }
        Ok(self.status)
    }

    /// Waits up to `timeout` for it to exit by itself.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<Option<ExitStatus>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// Kills the process group at once (SIGKILL): a crash, not a shutdown, so a daemon
    /// gets no chance to tell its peers anything.
    pub fn kill(mut self) -> Result<ExitStatus> {
        signal_group(self.id(), libc::SIGKILL);
        let status = self
            .child
            .wait()
            .map_err(|source| Error::io(format!("waiting for `{}`", self.description), source))?;
        self.status = Some(status);
        Ok(status)
    }

    /// Stops the process group now (what `Drop` does) and returns the leader's status.
    pub fn stop(mut self) -> Result<ExitStatus> {
        self.terminate()
    }

    fn terminate(&mut self) -> Result<ExitStatus> {
        let group = self.id();
        signal_group(group, libc::SIGTERM);
        let status = match self.wait_timeout(self.grace)? {
            Some(status) => status,
            None => {
                signal_group(group, libc::SIGKILL);
                self.child
                    .wait()
                    .map_err(|source| Error::io(format!("waiting for `{}`", self.description), source))?
            }
        };
        // Members that ignored SIGTERM or outlived the leader go too.
        signal_group(group, libc::SIGKILL);
        self.status = Some(status);
        Ok(status)
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        if let Err(error) = self.terminate() {
            eprintln!("ikelab: stopping `{}`: {error}", self.description);
        }
    }
}

/// Sends `signal` to every process in the group; a group that is already gone is fine.
pub(crate) fn signal_group(group: u32, signal: libc::c_int) {
    signal_process(-(group as i32), signal);
}

/// Sends `signal` to a pid (negative: a process group); a missing target is fine.
pub(crate) fn signal_process(pid: i32, signal: libc::c_int) {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    let result = unsafe { libc::kill(pid, signal) };
    if result != 0 {
        let error = io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::ESRCH) {
            eprintln!("ikelab: kill({pid}, {signal}): {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::naming::is_alive;

    #[test]
    fn drop_stops_the_process_and_what_it_forked() {
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 600 & echo $! ; wait"]).stdout(std::process::Stdio::piped());
        let mut process = ChildProcess::spawn(command).unwrap();
        let leader = process.id();
        let mut line = String::new();
        let stdout = process.child.stdout.take().unwrap();
        io::BufRead::read_line(&mut io::BufReader::new(stdout), &mut line).unwrap();
        let grandchild: u32 = line.trim().parse().unwrap();
        assert!(is_alive(grandchild));
        drop(process);
        assert!(!is_alive(leader));
        // SIGKILL is pending on the orphan when drop returns; under load it takes a
        // moment to die (kill(2) does not wait).
        let deadline = Instant::now() + Duration::from_secs(1);
        while is_alive(grandchild) && Instant::now() < deadline {
            thread::sleep(POLL_INTERVAL);
        }
        assert!(!is_alive(grandchild), "the forked sleep survived its group");
    }

    #[test]
    fn a_process_ignoring_sigterm_is_killed_after_the_grace() {
        let mut command = Command::new("sh");
        command.args(["-c", "trap '' TERM; sleep 600"]);
        let process = ChildProcess::spawn(command).unwrap().with_grace(Duration::from_millis(200));
        let started = Instant::now();
        let status = process.stop().unwrap();
        assert!(!status.success());
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_missing_program_is_a_spawn_error_naming_it() {
        let error = ChildProcess::spawn(Command::new("/nonexistent/ikelab-program")).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/ikelab-program"), "{error}");
    }
}
