//! Libreswan's pluto on the host kernel, in a topology host's namespace: Phase 1 only.
//! The host kernel has XFRM but no ESP, so Quick Mode fails installing the SA
//! (errno 93); Main and Aggressive Mode complete.
//!
//! pluto 4.10 runs helpers (addconn, _updown) from its compiled-in
//! /usr/libexec/ipsec, so the extracted libexec is bind-mounted over /usr/libexec in
//! the private mount namespace `ip netns exec` gives the daemon.

use std::fs;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use ikev1::policy::Policy;

use crate::guard::command::{describe, run};
use crate::guard::namespace::command_in;
use crate::guard::{ChildProcess, TempDir};
use crate::peer::error::{io_error, tail, write_file};
use crate::peer::installation::LibreswanFiles;
use crate::peer::traffic::Streams;
use crate::peer::wait::poll;
use crate::peer::{
    Health, Installation, KeyMaterial, Peer, PeerError, PeerKind, PeerResult, PeerStatus, SaScope, Traffic,
    ping_in_namespace,
};
use crate::topology::Host;

use super::config::{self, PEER};
use super::status;

const START_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_GRACE: Duration = Duration::from_secs(3);

#[derive(Debug)]
pub struct LibreswanHost {
    traffic: Streams,
    pluto: Option<ChildProcess>,
    files: LibreswanFiles,
    namespace: String,
    /// Where the current pluto.log excerpt starts, in bytes.
    log_mark: usize,
    dir: TempDir,
}

impl LibreswanHost {
    /// Starts pluto in the namespace and waits until whack answers.
    fn launch(&mut self) -> PeerResult<()> {
        let stdout = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("pluto.stdout"))
            .map_err(|source| io_error("pluto.stdout", source))?;
        let dir = self.dir.path().display().to_string();
        let script = format!(
            "mount --bind {root}/usr/libexec /usr/libexec && exec {pluto} --nofork --config {dir}/ipsec.conf \
             --rundir {dir}/run --nssdir {dir}/nss --secretsfile {dir}/ipsec.secrets --ipsecdir {dir}/ipsec.d \
             --logfile {dir}/pluto.log",
            root = self.files.root.display(),
            pluto = self.files.program("pluto").display(),
        );
        let mut command = command_in(&self.namespace, "sh");
        command
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stderr(stdout.try_clone().map_err(|source| io_error("pluto.stdout", source))?)
            .stdout(stdout);
        self.pluto = Some(ChildProcess::spawn(command)?.with_grace(STOP_GRACE));
        let ready = poll(START_TIMEOUT, || {
            if !self.pluto_alive() {
                return Some(false);
            }
            self.control("whack", &["--globalstatus"]).ok().map(|_| true)
        });
        if ready == Some(true) {
            return Ok(());
        }
        let stdout = fs::read_to_string(self.dir.join("pluto.stdout")).unwrap_or_default();
        Err(PeerError::StartFailed {
            peer: PEER,
            detail: if ready.is_none() { "whack got no answer".into() } else { "pluto exited".into() },
            log_tail: tail(&format!("{stdout}{}", self.log()), 20),
        })
    }

    fn pluto_alive(&mut self) -> bool {
        matches!(self.pluto.as_mut().map(|pluto| pluto.try_wait()), Some(Ok(None)))
    }

    fn control_socket(&self) -> PathBuf {
        self.dir.join("run/pluto.ctl")
    }

    fn setup(&self) -> String {
        let dir = self.dir.path().display();
        config::config_setup(&[format!("dumpdir={dir}/run"), format!("nssdir={dir}/nss")])
    }

    /// Runs a Libreswan program against this pluto; its output on success.
    fn control(&self, program: &str, args: &[&str]) -> PeerResult<String> {
        let mut command = Command::new(self.files.program(program));
        command.arg("--ctlsocket").arg(self.control_socket()).args(args);
        let described = describe(&command);
        match run(&mut command) {
            Ok(output) => Ok(String::from_utf8_lossy(&output.stdout).into_owned()),
            Err(crate::guard::Error::Failed { stderr, .. }) => Err(PeerError::Control {
                peer: PEER,
                command: described,
                output: stderr + &tail(&self.log(), 20),
            }),
            Err(other) => Err(other.into()),
        }
    }
}

impl Peer for LibreswanHost {
    fn start(host: &Host) -> PeerResult<Self> {
        let files = Installation::load()?.libreswan()?;
        let dir = TempDir::new("libreswan-host")?;
        for sub in ["run", "nss", "ipsec.d"] {
            fs::create_dir(dir.join(sub)).map_err(|source| io_error(format!("creating {sub}/"), source))?;
        }
        run(Command::new("certutil")
            .args(["-N", "--empty-password", "-d"])
            .arg(format!("sql:{}", dir.join("nss").display())))
        .map_err(|error| PeerError::Missing {
            peer: PEER,
            what: format!("an NSS database from certutil ({error})"),
        })?;
        let mut peer = LibreswanHost {
            traffic: Streams::default(),
            pluto: None,
            files,
            namespace: host.namespace().name().to_owned(),
            log_mark: 0,
            dir,
        };
        write_file(&peer.dir.join("ipsec.conf"), &peer.setup())?;
        write_file(&peer.dir.join("ipsec.secrets"), "")?;
        peer.launch()?;
        Ok(peer)
    }

    fn kind(&self) -> PeerKind {
        PeerKind::LibreswanHost
    }

    fn load(&mut self, policy: &Policy) -> PeerResult<()> {
        let conf = self.dir.join("ipsec.conf");
        write_file(&conf, &config::ipsec_conf(&self.setup(), policy, None)?)?;
        write_file(&self.dir.join("ipsec.secrets"), &config::ipsec_secrets(policy)?)?;
        self.control("whack", &["--rereadsecrets"])?;
        self.control("addconn", &["--config", &conf.to_string_lossy(), "--addall"])?;
        let status = self.control("whack", &["--status"])?;
        let conns: Vec<String> =
            policy.connections.iter().flat_map(config::conn_names).map(|(name, _)| name).collect();
        super::check_loaded(&status, &conns, &self.log())
    }

    /// Phase 1 only: returns once the ISAKMP SA is up (Quick Mode cannot succeed here).
    fn initiate(&mut self, connection: &str, timeout: Duration) -> PeerResult<()> {
        let conf = fs::read_to_string(self.dir.join("ipsec.conf")).unwrap_or_default();
        for conn in super::conns_of(&conf, connection) {
            self.control("whack", &["--name", &conn, "--initiate", "--asynchronous"])?;
        }
        let established = poll(timeout, || {
            let status = self.status().ok()?;
            status.ike_sas.iter().any(|sa| sa.established).then_some(())
        });
        established.ok_or(PeerError::Timeout { peer: PEER, waiting_for: format!("Phase 1 of {connection}") })
    }

    fn status(&mut self) -> PeerResult<PeerStatus> {
        Ok(status::parse_whack_status(&self.control("whack", &["--status"])?))
    }

    fn ping(&mut self, source: Ipv4Addr, destination: Ipv4Addr, timeout: Duration) -> PeerResult<bool> {
        ping_in_namespace(&self.namespace, source, destination, timeout)
    }

    fn log(&self) -> String {
        let bytes = fs::read(self.dir.join("pluto.log")).unwrap_or_default();
        String::from_utf8_lossy(bytes.get(self.log_mark..).unwrap_or_default()).into_owned()
    }

    fn keys(&mut self) -> PeerResult<KeyMaterial> {
        // pluto keeps its IKE keys inside NSS, and the host kernel installs no ESP SA.
        Ok(KeyMaterial::default())
    }

    fn artifacts(&self) -> Vec<PathBuf> {
        ["ipsec.conf", "ipsec.secrets", "pluto.log", "pluto.stdout"]
            .iter()
            .map(|name| self.dir.join(name))
            .filter(|path| path.exists())
            .collect()
    }

    fn config_files(&self) -> Vec<PathBuf> {
        vec![self.dir.join("ipsec.conf"), self.dir.join("ipsec.secrets")]
    }

    fn mark_log(&mut self) {
        self.log_mark = fs::metadata(self.dir.join("pluto.log")).map_or(0, |meta| meta.len() as usize);
    }

    fn reset(&mut self) -> PeerResult<()> {
        self.traffic.stop();
        let conf = fs::read_to_string(self.dir.join("ipsec.conf")).unwrap_or_default();
        for conn in conf.lines().filter_map(|line| line.strip_prefix("conn ")) {
            self.control("whack", &["--delete", "--name", conn.trim()])?;
        }
        write_file(&self.dir.join("ipsec.conf"), &self.setup())?;
        write_file(&self.dir.join("ipsec.secrets"), "")?;
        self.control("whack", &["--rereadsecrets"]).map(drop)
    }

    fn delete(&mut self, connection: &str, scope: SaScope) -> PeerResult<()> {
        let conf = fs::read_to_string(self.dir.join("ipsec.conf")).unwrap_or_default();
        // Both phases is what an operator's `ipsec down` (whack --terminate) does: no
        // revival follows.
        if scope == SaScope::Both {
            for conn in super::conns_of(&conf, connection) {
                self.control("whack", &["--name", &conn, "--terminate"])?;
            }
            return Ok(());
        }
        let status = self.status()?;
        for serial in super::states_to_delete(&status, &super::conns_of(&conf, connection), scope) {
            self.control("whack", &["--deletestate", &serial])?;
        }
        Ok(())
    }

    fn restart(&mut self, policy: &Policy) -> PeerResult<()> {
        if let Some(pluto) = self.pluto.take() {
            pluto.kill()?;
        }
        // The stale pid file would stop the new pluto.
        let _ = fs::remove_file(self.dir.join("run/pluto.pid"));
        self.launch()?;
        self.load(policy)
    }

    fn health(&mut self, _timeout: Duration) -> Health {
        if !self.pluto_alive() {
            return Health::Crashed(format!("pluto exited\n{}", tail(&self.log(), 10)));
        }
        match self.control("whack", &["--globalstatus"]) {
            Ok(_) => Health::Alive,
            Err(error) => Health::Hung(error.to_string()),
        }
    }

    fn start_traffic(&mut self, traffic: Traffic) -> PeerResult<()> {
        self.traffic.start(&self.namespace, traffic)
    }

    fn stop(&mut self) -> PeerResult<()> {
        self.traffic.stop();
        if let Some(pluto) = self.pluto.take() {
            // --shutdown deletes the SAs (telling the peer) before pluto exits.
            let _ = self.control("whack", &["--shutdown"]);
            pluto.stop()?;
        }
        Ok(())
    }
}
