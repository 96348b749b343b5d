//! strongSwan: charon with kernel-libipsec inside a topology host's namespace, one
//! instance per peer with its own strongswan.conf, vici socket, log and /run.
//!
//! charon 5.9.8 hard-codes /var/run/charon.pid, so a second instance would find the
//! first one's pid file; `ip netns exec` gives each start a private mount namespace in
//! which the instance's own `run/` folder is bind-mounted over /run.
//!
//! One instance can serve many cases: [`Peer::reset`] terminates every SA and unloads
//! the connections, and [`Peer::mark_log`] starts a new log excerpt. The log is
//! appended to across restarts, so an excerpt survives a crash and restart.

mod config;
mod keys;
mod status;

use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use ikev1::policy::Policy;

use crate::guard::command::{describe, run};
use crate::guard::namespace::command_in;
use crate::guard::{ChildProcess, TempDir};
use crate::peer::error::{io_error, tail, write_file};
use crate::peer::installation::StrongSwanFiles;
use crate::peer::traffic::Streams;
use crate::peer::wait::poll;
use crate::peer::{
    Health, Installation, KeyMaterial, Peer, PeerError, PeerKind, PeerResult, PeerStatus, SaScope, Traffic,
    ping_in_namespace,
};
use crate::topology::Host;
use config::PEER;

/// charon answers vici within about 50 ms here; this is the bound for a loaded machine.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `stop` waits for charon to delete its SAs and exit after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(2);
/// No swanctl call may take longer: a hung charon must fail a case, not hang the run.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(10);
/// After `reset` terminated them, how long the SAs may take to disappear.
const RESET_TIMEOUT: Duration = Duration::from_secs(3);

/// One charon instance. Fields drop in order: the daemon before its folder.
#[derive(Debug)]
pub struct StrongSwan {
    traffic: Streams,
    charon: Option<ChildProcess>,
    files: StrongSwanFiles,
    namespace: String,
    /// Where the current log excerpt starts, in bytes.
    log_mark: usize,
    dir: TempDir,
}

impl StrongSwan {
    /// The instance's folder: configs, `run/` (vici socket, pid), `charon.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn conf_path(&self) -> PathBuf {
        self.dir.join("strongswan.conf")
    }

    fn uri(&self) -> String {
        format!("unix://{}", self.dir.join("run/charon.vici").display())
    }

    /// `swanctl <args> --uri <socket>` under a time limit, its output on success.
    fn swanctl_within(&self, limit: Duration, args: &[&str]) -> PeerResult<String> {
        let mut command = Command::new("timeout");
        command
            .arg(limit.as_secs().max(1).to_string())
            .arg(&self.files.swanctl)
            .args(args)
            .args(["--uri", &self.uri()])
            .env("STRONGSWAN_CONF", self.conf_path());
        let described = describe(&command);
        match run(&mut command) {
            Ok(output) => Ok(String::from_utf8_lossy(&output.stdout).into_owned()),
            Err(crate::guard::Error::Failed { stderr, status, .. }) => Err(PeerError::Control {
                peer: PEER,
                command: described,
                output: format!("{status}: {stderr}\n--- charon.log ---\n{}", tail(&self.log(), 25)),
            }),
            Err(other) => Err(other.into()),
        }
    }

    fn swanctl(&self, args: &[&str]) -> PeerResult<String> {
        self.swanctl_within(CONTROL_TIMEOUT, args)
    }

    fn charon_alive(&mut self) -> bool {
        self.charon.as_mut().is_some_and(|charon| matches!(charon.try_wait(), Ok(None)))
    }

    /// Starts charon in the namespace and waits until vici answers.
    fn launch(&mut self) -> PeerResult<()> {
        let stdout = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("charon.stdout"))
            .map_err(|source| io_error("opening charon.stdout", source))?;
        let script = format!(
            "mount --bind {} /run && exec {}",
            self.dir.join("run").display(),
            self.files.charon.display()
        );
        let mut command = command_in(&self.namespace, "env");
        command
            .arg(format!("STRONGSWAN_CONF={}", self.conf_path().display()))
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stderr(stdout.try_clone().map_err(|source| io_error("charon.stdout", source))?)
            .stdout(stdout);
        self.charon = Some(ChildProcess::spawn(command)?.with_grace(STOP_GRACE));
        self.wait_until_answering()
    }

    fn wait_until_answering(&mut self) -> PeerResult<()> {
        let answered = poll(START_TIMEOUT, || {
            if !self.charon_alive() {
                return Some(false);
            }
            self.swanctl(&["--stats"]).ok().map(|_| true)
        });
        match answered {
            Some(true) => Ok(()),
            outcome => {
                let stdout = fs::read_to_string(self.dir.join("charon.stdout")).unwrap_or_default();
                Err(PeerError::StartFailed {
                    peer: PEER,
                    detail: if outcome.is_none() {
                        format!("vici did not answer within {START_TIMEOUT:?}")
                    } else {
                        "charon exited".into()
                    },
                    log_tail: tail(&format!("{stdout}{}", self.log()), 20),
                })
            }
        }
    }

    /// The loaded configuration, as the last `load` wrote it.
    fn loaded_conf(&self) -> String {
        fs::read_to_string(self.dir.join("swanctl.conf")).unwrap_or_default()
    }
}

impl Peer for StrongSwan {
    fn start(host: &Host) -> PeerResult<Self> {
        let files = Installation::load()?.strongswan()?;
        let dir = TempDir::new("strongswan")?;
        write_file(&dir.join("strongswan.conf"), &config::strongswan_conf(dir.path()))?;
        write_file(&dir.join("swanctl.conf"), config::EMPTY_SWANCTL_CONF)?;
        fs::create_dir(dir.join("run")).map_err(|source| io_error("creating run/", source))?;
        let mut peer = StrongSwan {
            traffic: Streams::default(),
            charon: None,
            files,
            namespace: host.namespace().name().to_owned(),
            log_mark: 0,
            dir,
        };
        peer.launch()?;
        Ok(peer)
    }

    fn kind(&self) -> PeerKind {
        PeerKind::StrongSwan
    }

    fn load(&mut self, policy: &Policy) -> PeerResult<()> {
        let text = config::swanctl_conf(policy)?;
        let path = self.dir.join("swanctl.conf");
        write_file(&path, &text)?;
        self.swanctl(&["--load-all", "--noprompt", "--file", &path.to_string_lossy()]).map(drop)
    }

    fn initiate(&mut self, connection: &str, timeout: Duration) -> PeerResult<()> {
        let seconds = timeout.as_secs().max(1).to_string();
        let limit = timeout + Duration::from_secs(2);
        let children = children_of(&self.loaded_conf(), connection);
        if children.is_empty() {
            let args = ["--initiate", "--ike", connection, "--timeout", &seconds];
            return self.swanctl_within(limit, &args).map(drop);
        }
        for child in children {
            let args = ["--initiate", "--ike", connection, "--child", &child, "--timeout", &seconds];
            self.swanctl_within(limit, &args)?;
        }
        Ok(())
    }

    fn status(&mut self) -> PeerResult<PeerStatus> {
        status::parse_list_sas(&self.swanctl(&["--list-sas", "--raw"])?)
    }

    fn ping(&mut self, source: Ipv4Addr, destination: Ipv4Addr, timeout: Duration) -> PeerResult<bool> {
        ping_in_namespace(&self.namespace, source, destination, timeout)
    }

    fn log(&self) -> String {
        let bytes = fs::read(self.dir.join("charon.log")).unwrap_or_default();
        String::from_utf8_lossy(bytes.get(self.log_mark..).unwrap_or_default()).into_owned()
    }

    fn keys(&mut self) -> PeerResult<KeyMaterial> {
        Ok(keys::keys_from_log(&self.log()))
    }

    fn artifacts(&self) -> Vec<PathBuf> {
        ["strongswan.conf", "swanctl.conf", "charon.log", "charon.stdout"]
            .iter()
            .map(|name| self.dir.join(name))
            .filter(|path| path.exists())
            .collect()
    }

    fn config_files(&self) -> Vec<PathBuf> {
        vec![self.dir.join("strongswan.conf"), self.dir.join("swanctl.conf")]
    }

    fn stop(&mut self) -> PeerResult<()> {
        self.traffic.stop();
        if let Some(charon) = self.charon.take() {
            charon.stop()?;
        }
        Ok(())
    }

    fn mark_log(&mut self) {
        self.log_mark = fs::metadata(self.dir.join("charon.log")).map_or(0, |meta| meta.len() as usize);
    }

    fn reset(&mut self) -> PeerResult<()> {
        self.traffic.stop();
        // --force: no waiting for a peer that may be gone already.
        let status = self.status()?;
        for id in status.ike_sas.iter().filter_map(|sa| sa.id.as_deref()) {
            // An SA may vanish between listing and terminating it.
            let _ = self.swanctl(&["--terminate", "--ike-id", id, "--force", "--timeout", "2"]);
        }
        let path = self.dir.join("swanctl.conf");
        write_file(&path, config::EMPTY_SWANCTL_CONF)?;
        self.swanctl(&["--load-all", "--noprompt", "--file", &path.to_string_lossy()])?;
        let cleared = poll(RESET_TIMEOUT, || self.status().ok().filter(|status| status.ike_sas.is_empty()));
        match cleared {
            Some(_) => Ok(()),
            None => Err(PeerError::Timeout { peer: PEER, waiting_for: "its SAs to go after a reset".into() }),
        }
    }

    fn delete(&mut self, connection: &str, scope: SaScope) -> PeerResult<()> {
        match scope {
            SaScope::Phase1 => Err(PeerError::Unsupported {
                peer: PEER,
                what: "deleting an IKEv1 ISAKMP SA alone (swanctl terminates an IKE_SA with its CHILD_SAs)"
                    .into(),
            }),
            SaScope::Phase2 => {
                for child in children_of(&self.loaded_conf(), connection) {
                    self.swanctl(&["--terminate", "--child", &child, "--timeout", "2"])?;
                }
                Ok(())
            }
            SaScope::Both => self.swanctl(&["--terminate", "--ike", connection, "--timeout", "2"]).map(drop),
        }
    }

    fn restart(&mut self, policy: &Policy) -> PeerResult<()> {
        // SIGKILL: no Delete leaves; libipsec's SAs die with the process.
        if let Some(charon) = self.charon.take() {
            charon.kill()?;
        }
        self.launch()?;
        self.load(policy)
    }

    fn health(&mut self, timeout: Duration) -> Health {
        if !self.charon_alive() {
            let status = self.charon.as_mut().and_then(|charon| charon.try_wait().ok().flatten());
            return Health::Crashed(format!("charon exited ({status:?})\n{}", tail(&self.log(), 10)));
        }
        match self.swanctl_within(timeout, &["--stats"]) {
            Ok(_) => Health::Alive,
            Err(error) => Health::Hung(format!("vici did not answer within {timeout:?}: {error}")),
        }
    }

    fn start_traffic(&mut self, traffic: Traffic) -> PeerResult<()> {
        self.traffic.start(&self.namespace, traffic)
    }
}

/// The children of a connection in a rendered swanctl.conf, in order. Reading them back
/// from the file keeps `initiate` independent of the policy object.
fn children_of(swanctl_conf: &str, connection: &str) -> Vec<String> {
    let mut depth = 0;
    let mut in_connection = false;
    let mut in_children = false;
    let mut children = Vec::new();
    for line in swanctl_conf.lines().map(str::trim) {
        if let Some(name) = line.strip_suffix(" {") {
            depth += 1;
            match depth {
                2 => in_connection = name == connection,
                3 => in_children = in_connection && name == "children",
                4 if in_children => children.push(name.to_owned()),
                _ => {}
            }
        } else if line == "}" {
            depth -= 1;
            if depth < 3 {
                in_children = false;
            }
        }
    }
    children
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_read_back_from_the_rendered_file() {
        let conf = "connections {\n  a {\n    children {\n      x {\n      }\n      y {\n      }\n    }\n  }\n  b {\n    children {\n      z {\n      }\n    }\n  }\n}\nsecrets {\n  ike-0 {\n  }\n}\n";
        assert_eq!(children_of(conf, "a"), ["x", "y"]);
        assert_eq!(children_of(conf, "b"), ["z"]);
        assert!(children_of(conf, "c").is_empty());
    }
}
