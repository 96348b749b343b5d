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
use crate::peer::{Installation, KeyMaterial, Peer, PeerError, PeerKind, PeerResult, PeerStatus};
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

/// One guest. Fields drop in order: the UML process, then the TAP, then the share.
#[derive(Debug)]
pub struct LibreswanGuest {
    uml: Option<ChildProcess>,
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
        let mut guest = LibreswanGuest { uml: Some(uml), _port: port, share, dir };
        guest.wait_until_ready()?;
        Ok(guest)
    }

    fn kind(&self) -> PeerKind {
        PeerKind::LibreswanGuest
    }

    fn load(&mut self, policy: &Policy) -> PeerResult<()> {
        self.share.write("ipsec.conf", &config::ipsec_conf(&self.setup(), policy)?)?;
        self.share.write("ipsec.secrets", &config::ipsec_secrets(policy)?)?;
        self.share.run(
            "whack --rereadsecrets && ipsec addconn --config /host/ipsec.conf --addall",
            REQUEST_TIMEOUT,
        )?;
        Ok(())
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
        self.share.read("pluto.log").unwrap_or_default()
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

impl Drop for LibreswanGuest {
    fn drop(&mut self) {
        // A clean halt keeps final/ and the log complete; the process guard kills the
        // guest anyway if it does not halt in time.
        if let Err(error) = self.stop() {
            eprintln!("ikelab: stopping the Libreswan guest: {error}");
        }
    }
}
