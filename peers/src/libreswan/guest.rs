//! Libreswan's pluto in a user-mode-linux guest with a real kernel ESP data plane,
//! networked through a TAP device that takes over a topology host's addresses.
//!
//! The guest (peers/guest/init.sh) boots from install.sh's initramfs, reads its
//! inputs from the share folder (mounted with hostfs), starts pluto and then runs the
//! commands the driver drops into `ctl/`. See peers/guest/README.md.

use std::fs;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use ikev1::policy::Policy;

use crate::guard::{ChildProcess, TempDir};
use crate::peer::error::{io_error, tail};
use crate::peer::wait::poll;
use crate::peer::{
    Health, Installation, KeyMaterial, Peer, PeerError, PeerKind, PeerResult, PeerStatus, SaScope, Traffic,
};
use crate::topology::{GuestPort, Host};

use super::config;
use super::share::Share;
use super::status;

/// pluto answers `whack` about 3 s after the kernel starts; this bounds a slow machine.
const BOOT_TIMEOUT: Duration = Duration::from_secs(40);
/// How long a plain control request (status, addconn) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// After `stop`, the guest snapshots, shuts pluto down and powers off in about 0.5 s.
const HALT_TIMEOUT: Duration = Duration::from_secs(5);
/// The guest powers itself off after this long, should the driver die without a stop.
const MAX_LIFE_SECS: u32 = 1800;
const MEMORY: &str = "mem=256M";

/// How long pluto may take to answer whack again after a restart inside the guest.
const RESTART_TIMEOUT_SECS: u32 = 15;
/// After `reset`, how long the states may take to disappear.
const RESET_TIMEOUT: Duration = Duration::from_secs(5);
/// The pid file of the guest's background ping, in the share.
const TRAFFIC_PID: &str = "/host/traffic.pid";

/// One guest. Fields drop in order: the UML process, then the TAP, then the share.
#[derive(Debug)]
pub struct LibreswanGuest {
    uml: Option<ChildProcess>,
    /// Where the current pluto.log excerpt starts, in bytes.
    log_mark: usize,
    /// The host's address behind the tunnel, the source of what the guest sends into it.
    inner: Ipv4Addr,
    /// Held for its TAP device, which goes when the guest is gone.
    _port: GuestPort,
    share: Share,
    dir: TempDir,
}

impl LibreswanGuest {
    fn setup(&self) -> String {
        config::config_setup(&[])
    }

    fn boot_failure(&mut self, detail: String) -> PeerError {
        let console = fs::read_to_string(self.dir.join("console.log")).unwrap_or_default();
        let reason =
            self.share.read("failed").map(|reason| format!(" ({})", reason.trim())).unwrap_or_default();
        PeerError::StartFailed {
            peer: "Libreswan guest",
            detail: detail + &reason,
            log_tail: tail(&console, 20),
        }
    }

    fn wait_until_ready(&mut self) -> PeerResult<()> {
        let outcome = poll(BOOT_TIMEOUT, || {
            if self.share.has("ready") {
                return Some(Ok(()));
            }
            if self.share.has("failed") {
                return Some(Err("the guest reported a failure".to_owned()));
            }
            match self.uml.as_mut().map(|uml| uml.try_wait()) {
                Some(Ok(Some(status))) => Some(Err(format!("linux.uml exited ({status})"))),
                _ => None,
            }
        });
        match outcome {
            Some(Ok(())) => Ok(()),
            Some(Err(detail)) => Err(self.boot_failure(detail)),
            None => Err(self.boot_failure(format!("pluto was not ready within {BOOT_TIMEOUT:?}"))),
        }
    }
}

impl Peer for LibreswanGuest {
    fn start(host: &Host) -> PeerResult<Self> {
        let files = Installation::load()?.guest()?;
        let dir = TempDir::new("libreswan-guest")?;
        let share = Share::new(dir.path())?;
        let port = host.attach_guest()?;
        share.write("network.ip", port.network_ip())?;
        share.write("ipsec.conf", &config::config_setup(&[]))?;
        share.write("ipsec.secrets", "")?;
        let console =
            fs::File::create(dir.join("console.log")).map_err(|source| io_error("console.log", source))?;
        let mut command = host.namespace().command("env");
        command
            .arg("TMPDIR=/dev/shm")
            .arg(&files.kernel)
            .arg(MEMORY)
            .arg(format!("initrd={}", files.initrd.display()))
            .args(["rdinit=/init", "con=null", "con0=fd:0,fd:1"])
            .arg(port.tap().uml_argument())
            .arg(format!("ikelab.share={}", dir.path().display()))
            .arg(format!("ikelab.maxlife={MAX_LIFE_SECS}"))
            .stdin(Stdio::null())
            .stderr(console.try_clone().map_err(|source| io_error("console.log", source))?)
            .stdout(console);
        let uml = ChildProcess::spawn(command)?.with_grace(HALT_TIMEOUT);
        let mut guest =
            LibreswanGuest { uml: Some(uml), log_mark: 0, inner: host.inner(), _port: port, share, dir };
        guest.wait_until_ready()?;
        Ok(guest)
    }

    fn kind(&self) -> PeerKind {
        PeerKind::LibreswanGuest
    }

    fn load(&mut self, policy: &Policy) -> PeerResult<()> {
        let inner = Some(std::net::IpAddr::V4(self.inner));
        self.share.write("ipsec.conf", &config::ipsec_conf(&self.setup(), policy, inner)?)?;
        self.share.write("ipsec.secrets", &config::ipsec_secrets(policy)?)?;
        let status = self.share.run(
            "whack --rereadsecrets && ipsec addconn --config /host/ipsec.conf --addall && whack --status",
            REQUEST_TIMEOUT,
        )?;
        let conns: Vec<String> =
            policy.connections.iter().flat_map(config::conn_names).map(|(name, _)| name).collect();
        super::check_loaded(&status, &conns, &self.log())
    }

    fn initiate(&mut self, connection: &str, timeout: Duration) -> PeerResult<()> {
        let conf = self.share.read("ipsec.conf").unwrap_or_default();
        let seconds = timeout.as_secs().max(1);
        for conn in super::conns_of(&conf, connection) {
            // whack waits for the outcome and exits non-zero when the exchange fails.
            let script = format!("timeout {seconds} whack --name {conn} --initiate");
            self.share.run(&script, timeout + Duration::from_secs(2))?;
        }
        Ok(())
    }

    fn status(&mut self) -> PeerResult<PeerStatus> {
        Ok(status::parse_whack_status(&self.share.run("whack --status", REQUEST_TIMEOUT)?))
    }

    fn ping(&mut self, source: Ipv4Addr, destination: Ipv4Addr, timeout: Duration) -> PeerResult<bool> {
        let seconds = timeout.as_secs().max(1);
        let script = format!("ping -c 1 -W {seconds} -I {source} {destination}");
        Ok(self.share.request(&script, timeout + REQUEST_TIMEOUT)?.status == 0)
    }

    fn log(&self) -> String {
        let bytes = std::fs::read(self.share.path().join("pluto.log")).unwrap_or_default();
        String::from_utf8_lossy(bytes.get(self.log_mark..).unwrap_or_default()).into_owned()
    }

    fn keys(&mut self) -> PeerResult<KeyMaterial> {
        // The kernel SAD while the guest runs; the final snapshot after it stopped.
        let xfrm = match self.share.has("halted") {
            true => self.share.read("final/xfrm-state").unwrap_or_default(),
            false => self.share.run("ip xfrm state", REQUEST_TIMEOUT)?,
        };
        // IKE keys stay inside pluto's NSS: Libreswan reveals the ESP keys only.
        Ok(KeyMaterial { ike: Vec::new(), esp: status::parse_xfrm_state(&xfrm) })
    }

    fn artifacts(&self) -> Vec<PathBuf> {
        let names = ["ipsec.conf", "ipsec.secrets", "network.ip", "pluto.log", "console.log", "final"];
        names.iter().map(|name| self.share.path().join(name)).filter(|path| path.exists()).collect()
    }

    fn config_files(&self) -> Vec<PathBuf> {
        ["ipsec.conf", "ipsec.secrets", "network.ip"]
            .iter()
            .map(|name| self.share.path().join(name))
            .collect()
    }

    fn mark_log(&mut self) {
        self.log_mark =
            std::fs::metadata(self.share.path().join("pluto.log")).map_or(0, |meta| meta.len() as usize);
    }

    fn reset(&mut self) -> PeerResult<()> {
        self.stop_traffic()?;
        let conf = self.share.read("ipsec.conf").unwrap_or_default();
        let mut script: Vec<String> = conf
            .lines()
            .filter_map(|line| line.strip_prefix("conn "))
            .map(|conn| format!("whack --delete --name {}", conn.trim()))
            .collect();
        script.push("ip xfrm state flush && ip xfrm policy flush".into());
        self.share.write("ipsec.conf", &self.setup())?;
        self.share.write("ipsec.secrets", "")?;
        self.share.run(&(script.join("; ") + "; whack --rereadsecrets"), REQUEST_TIMEOUT)?;
        let cleared = poll(RESET_TIMEOUT, || self.status().ok().filter(|status| status.ike_sas.is_empty()));
        cleared.map(drop).ok_or(PeerError::Timeout {
            peer: super::config::PEER,
            waiting_for: "its states to go after a reset".into(),
        })
    }

    fn delete(&mut self, connection: &str, scope: SaScope) -> PeerResult<()> {
        // Both phases is what an operator's `ipsec down` (whack --terminate) does: no
        // revival follows.
        if scope == SaScope::Both {
            for conn in self.conns(connection) {
                self.share.run(&format!("whack --name {conn} --terminate"), REQUEST_TIMEOUT)?;
            }
            return Ok(());
        }
        let status = self.status()?;
        for serial in super::states_to_delete(&status, &self.conns(connection), scope) {
            self.share.run(&format!("whack --deletestate {serial}"), REQUEST_TIMEOUT)?;
        }
        Ok(())
    }

    fn restart(&mut self, policy: &Policy) -> PeerResult<()> {
        self.restart_pluto()?;
        self.load(policy)
    }

    fn health(&mut self, timeout: Duration) -> Health {
        if let Some(Ok(Some(status))) = self.uml.as_mut().map(|uml| uml.try_wait()) {
            return Health::Crashed(format!("the guest exited ({status})"));
        }
        let seconds = timeout.as_secs().max(1);
        let script =
            format!("pidof pluto >/dev/null || exit 3; timeout {seconds} whack --globalstatus >/dev/null");
        match self.share.request(&script, timeout + REQUEST_TIMEOUT) {
            Ok(reply) if reply.status == 0 => Health::Alive,
            Ok(reply) if reply.status == 3 => {
                Health::Crashed(format!("pluto is no longer running in the guest\n{}", tail(&self.log(), 10)))
            }
            Ok(reply) => {
                Health::Hung(format!("whack got no answer within {timeout:?} (exit {})", reply.status))
            }
            Err(error) => Health::Hung(format!("the guest does not answer: {error}")),
        }
    }

    fn start_traffic(&mut self, traffic: Traffic) -> PeerResult<()> {
        let script = format!(
            "ping -q -c {} -i {:.3} -s {} -I {} {} >/dev/null 2>&1 & echo $! > {TRAFFIC_PID}",
            traffic.count,
            traffic.interval.as_secs_f64(),
            traffic.payload,
            traffic.source,
            traffic.destination
        );
        self.share.run(&script, REQUEST_TIMEOUT).map(drop)
    }

    fn stop(&mut self) -> PeerResult<()> {
        let Some(mut uml) = self.uml.take() else { return Ok(()) };
        if !self.share.has("halted") {
            self.share.write("stop", "")?;
        }
        if uml.wait_timeout(HALT_TIMEOUT)?.is_none() {
            eprintln!("ikelab: the Libreswan guest did not halt within {HALT_TIMEOUT:?}; killing it");
        }
        uml.stop()?;
        Ok(())
    }
}

impl LibreswanGuest {
    fn conns(&self, connection: &str) -> Vec<String> {
        super::conns_of(&self.share.read("ipsec.conf").unwrap_or_default(), connection)
    }

    fn stop_traffic(&mut self) -> PeerResult<()> {
        let script = format!("[ -f {TRAFFIC_PID} ] && kill $(cat {TRAFFIC_PID}); rm -f {TRAFFIC_PID}; true");
        self.share.run(&script, REQUEST_TIMEOUT).map(drop)
    }

    fn restart_pluto(&mut self) -> PeerResult<()> {
        // SIGKILL: no Delete leaves. The kernel SAs and policies would outlive pluto,
        // so they go too, as after a reboot; the stale pid file would stop pluto.
        let script = format!(
            "pid=$(pidof pluto); [ -n \"$pid\" ] && kill -9 $pid; \
             while [ -n \"$pid\" ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done; \
             ip xfrm state flush; ip xfrm policy flush; rm -f /run/pluto/pluto.pid; \
             pluto --config /host/ipsec.conf --secretsfile /host/ipsec.secrets --logfile /host/pluto.log \
               </dev/null >/dev/null 2>&1; \
             tries=0; until whack --globalstatus >/dev/null 2>&1; do \
               tries=$((tries + 1)); [ $tries -lt {} ] || exit 1; sleep 0.1; done",
            RESTART_TIMEOUT_SECS * 10
        );
        let limit = Duration::from_secs(u64::from(RESTART_TIMEOUT_SECS)) + REQUEST_TIMEOUT;
        self.share.run(&script, limit).map(drop)
    }
}

impl Drop for LibreswanGuest {
    fn drop(&mut self) {
        // A clean halt keeps final/ and the log complete; the process guard kills the
        // guest anyway if it does not halt in time.
        if let Err(error) = self.stop() {
            eprintln!("ikelab: stopping the Libreswan guest: {error}");
        }
    }
}
