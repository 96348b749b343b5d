//! A packet capture of one interface of a namespace, by tcpdump under a process guard.
//! tcpdump writes packets as they come (`--immediate-mode -U`): without that, short
//! captures in a namespace come out empty.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use peers::{ChildProcess, Namespace};

const READY_TIMEOUT: Duration = Duration::from_secs(5);
/// tcpdump flushes and exits on SIGTERM at once; the guard's bound if it does not.
const STOP_GRACE: Duration = Duration::from_secs(2);

pub struct Capture {
    tcpdump: Option<ChildProcess>,
    pcap: PathBuf,
    log: PathBuf,
}

impl Capture {
    /// Starts capturing `interface` of `namespace` into `pcap`, and returns once tcpdump
    /// says it is listening (so the first packet of the case is in the file).
    pub fn start(namespace: &Namespace, interface: &str, pcap: &Path) -> Result<Self, String> {
        let log = pcap.with_extension("tcpdump.log");
        let stderr =
            fs::File::create(&log).map_err(|error| format!("creating {}: {error}", log.display()))?;
        let mut command = namespace.command("tcpdump");
        command
            .args(["--immediate-mode", "-U", "-n", "-i", interface, "-w"])
            .arg(pcap)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        let tcpdump = ChildProcess::spawn(command).map_err(|error| error.to_string())?.with_grace(STOP_GRACE);
        let mut capture = Capture { tcpdump: Some(tcpdump), pcap: pcap.to_owned(), log };
        let deadline = Instant::now() + READY_TIMEOUT;
        while !fs::read_to_string(&capture.log).unwrap_or_default().contains("listening on") {
            let exited =
                capture.tcpdump.as_mut().is_some_and(|tcpdump| !matches!(tcpdump.try_wait(), Ok(None)));
            if exited || Instant::now() >= deadline {
                let said = fs::read_to_string(&capture.log).unwrap_or_default();
                return Err(format!("tcpdump did not start capturing on {interface}: {}", said.trim()));
            }
            thread::sleep(Duration::from_millis(10));
        }
        Ok(capture)
    }

    /// Stops tcpdump (which completes the file) and returns the pcap's path.
    pub fn stop(mut self) -> PathBuf {
        if let Some(tcpdump) = self.tcpdump.take()
            && let Err(error) = tcpdump.stop()
        {
            eprintln!("ikelab: stopping tcpdump: {error}");
        }
        self.pcap.clone()
    }
}
