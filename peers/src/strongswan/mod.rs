//! strongSwan: charon with kernel-libipsec inside a topology host's namespace, one
//! instance per peer with its own strongswan.conf, vici socket, log and /run.
//!
//! charon 5.9.8 hard-codes /var/run/charon.pid, so a second instance would find the
//! first one's pid file; `ip netns exec` gives each start a private mount namespace in
//! which the instance's own `run/` folder is bind-mounted over /run.

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
use crate::guard::{ChildProcess, TempDir};
use crate::peer::error::{io_error, tail, write_file};
use crate::peer::installation::StrongSwanFiles;
use crate::peer::wait::poll;
use crate::peer::{
    Installation, KeyMaterial, Peer, PeerError, PeerKind, PeerResult, PeerStatus, ping_in_namespace,
};
use crate::topology::Host;
use config::PEER;

/// charon answers vici within about 50 ms here; this is the bound for a loaded machine.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `stop` waits for charon to delete its SAs and exit after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// One charon instance. Fields drop in order: the daemon before its folder.
#[derive(Debug)]
pub struct StrongSwan {
    charon: Option<ChildProcess>,
    files: StrongSwanFiles,
    namespace: String,
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

    /// `swanctl <args> --uri <socket>`, its output on success.
    fn swanctl(&self, args: &[&str]) -> PeerResult<String> {
        let mut command = Command::new(&self.files.swanctl);
        command.args(args).args(["--uri", &self.uri()]).env("STRONGSWAN_CONF", self.conf_path());
        let described = describe(&command);
        match run(&mut command) {
            Ok(output) => Ok(String::from_utf8_lossy(&output.stdout).into_owned()),
            Err(crate::guard::Error::Failed { stderr, .. }) => Err(PeerError::Control {
                peer: PEER,
                command: described,
                output: format!("{stderr}\n--- charon.log ---\n{}", tail(&self.log(), 25)),
            }),
            Err(other) => Err(other.into()),
        }
    }

    fn charon_alive(&mut self) -> bool {
        self.charon.as_mut().is_some_and(|charon| matches!(charon.try_wait(), Ok(None)))
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
}

impl Peer for StrongSwan {
    fn start(host: &Host) -> PeerResult<Self> {
        let files = Installation::load()?.strongswan()?;
        let dir = TempDir::new("strongswan")?;
        write_file(&dir.join("strongswan.conf"), &config::strongswan_conf(dir.path()))?;
        write_file(&dir.join("swanctl.conf"), "connections {\n}\nsecrets {\n}\n")?;
        fs::create_dir(dir.join("run")).map_err(|source| io_error("creating run/", source))?;
        let stdout = fs::File::create(dir.join("charon.stdout"))
            .map_err(|source| io_error("creating charon.stdout", source))?;
        let mut command = host.namespace().command("env");
        let script =
            format!("mount --bind {} /run && exec {}", dir.join("run").display(), files.charon.display());
        command
            .arg(format!("STRONGSWAN_CONF={}", dir.join("strongswan.conf").display()))
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stderr(stdout.try_clone().map_err(|source| io_error("charon.stdout", source))?)
            .stdout(stdout);
        let charon = ChildProcess::spawn(command)?.with_grace(STOP_GRACE);
        let mut peer =
            StrongSwan { charon: Some(charon), files, namespace: host.namespace().name().to_owned(), dir };
        peer.wait_until_answering()?;
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
        let policy = fs::read_to_string(self.dir.join("swanctl.conf")).unwrap_or_default();
        let seconds = timeout.as_secs().max(1).to_string();
        let children = children_of(&policy, connection);
        if children.is_empty() {
            return self.swanctl(&["--initiate", "--ike", connection, "--timeout", &seconds]).map(drop);
        }
        for child in children {
            self.swanctl(&["--initiate", "--ike", connection, "--child", &child, "--timeout", &seconds])?;
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
        fs::read_to_string(self.dir.join("charon.log")).unwrap_or_default()
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

    fn stop(&mut self) -> PeerResult<()> {
        if let Some(charon) = self.charon.take() {
            charon.stop()?;
        }
        Ok(())
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
