//! Background ICMP echo streams from a namespace (iputils ping under a process guard),
//! for peers whose inner address lives in a topology namespace.

use std::process::Stdio;

use super::Traffic;
use super::error::PeerResult;
use crate::guard::ChildProcess;
use crate::guard::namespace::command_in;

/// The running streams of one peer; dropping it (or [`stop`](Self::stop)) ends them.
#[derive(Debug, Default)]
pub(crate) struct Streams {
    running: Vec<ChildProcess>,
}

impl Streams {
    pub fn start(&mut self, namespace: &str, traffic: Traffic) -> PeerResult<()> {
        let mut command = command_in(namespace, "ping");
        command
            .args(["-n", "-q", "-c", &traffic.count.to_string()])
            .args(["-i", &format!("{:.3}", traffic.interval.as_secs_f64())])
            .args(["-s", &traffic.payload.to_string(), "-W", "1", "-I"])
            .arg(traffic.source.to_string())
            .arg(traffic.destination.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.running.push(ChildProcess::spawn(command)?);
        Ok(())
    }

    pub fn stop(&mut self) {
        self.running.clear();
    }
}
