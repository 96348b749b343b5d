//! Topologies and guards against the real kernel. They need root (developers' machines
//! and CI have it) and fail, never skip, without it.
//!
//! Every test runs alone (they share one process under `cargo test`) and ends by
//! checking that nothing of this run is left: no namespace with the run's prefix, no live
//! process marked with its pid, no temp folder.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use peers::guard::naming::{self, OWNER_VARIABLE};
use peers::guard::{ChildProcess, Namespace, remains_of_run, sweep_leftovers};
use peers::topology::addresses::NAT_PORTS;
use peers::{Direct, NatInFront, NatOf, Side};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs a test body alone, then proves it left nothing behind.
fn isolated(body: impl FnOnce()) {
    // SAFETY: geteuid(2) has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    assert!(root, "these tests create network namespaces and need root; run them as root (CI does)");
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    body();
    assert_nothing_left();
}

fn assert_nothing_left() {
    let remains = remains_of_run(std::process::id()).expect("listing what this run left");
    assert!(remains.is_empty(), "this run left {remains:?}");
    let listed =
        String::from_utf8(Command::new("ip").args(["netns", "list"]).output().unwrap().stdout).unwrap();
    assert!(!listed.contains(&naming::run_prefix()), "ip netns list still shows this run:\n{listed}");
}

fn udp_socket(namespace: &Namespace, address: SocketAddrV4) -> UdpSocket {
    let socket = namespace.run_inside(|| UdpSocket::bind(address)).unwrap().unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    socket
}

/// Sends a datagram from `sender` to `target`, answers it from `receiver`, and returns
/// the source address the receiver saw. The answer must come back from `target`.
fn source_seen_by_receiver(sender: &UdpSocket, receiver: &UdpSocket, target: SocketAddrV4) -> SocketAddrV4 {
    let mut buffer = [0u8; 64];
    sender.send_to(b"ikelab probe", target).unwrap();
    let (length, seen) = receiver.recv_from(&mut buffer).expect("the probe did not arrive");
    assert_eq!(&buffer[..length], b"ikelab probe");
    receiver.send_to(b"ikelab answer", seen).unwrap();
    let (length, answered_from) = sender.recv_from(&mut buffer).expect("the answer did not come back");
    assert_eq!(&buffer[..length], b"ikelab answer");
    assert_eq!(answered_from, SocketAddr::V4(target), "the answer came back from elsewhere");
    match seen {
        SocketAddr::V4(seen) => seen,
        SocketAddr::V6(seen) => panic!("an IPv6 source {seen}"),
    }
}

fn any_address(port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)
}

fn assert_rewritten(seen: SocketAddrV4, public: Ipv4Addr, original_port: u16) {
    assert_eq!(*seen.ip(), public, "the source address was not rewritten to the NAT's");
    assert!(
        NAT_PORTS.contains(&seen.port()),
        "source port {} (was {original_port}) outside {NAT_PORTS:?}",
        seen.port()
    );
}

#[test]
fn direct_hosts_ping_each_other_across_the_link() {
    isolated(|| {
        let topology = Direct::new().unwrap();
        let (left, right) = (topology.left(), topology.right());
        assert_eq!(left.address(), Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(right.address(), Ipv4Addr::new(192, 0, 2, 2));
        assert!(left.ping(right.address(), None).unwrap(), "left cannot ping right");
        assert!(right.ping(left.address(), None).unwrap(), "right cannot ping left");
        let inner = left.namespace().exec("ip", ["-4", "-o", "addr", "show", "dev", "lo"]).unwrap();
        assert!(String::from_utf8_lossy(&inner.stdout).contains("198.51.100.1/32"));
    });
}

#[test]
fn nat_in_front_of_left_rewrites_its_source_address_and_ports() {
    isolated(|| {
        let topology = NatInFront::new(NatOf::Left).unwrap();
        let (left, right) = (topology.left(), topology.right());
        let nat_public = topology.nat(Side::Left).unwrap().public_address();
        assert_eq!(left.public_address(), nat_public);
        for port in [500, 4500] {
            let sender = udp_socket(left.namespace(), SocketAddrV4::new(left.address(), port));
            let receiver = udp_socket(right.namespace(), any_address(port));
            let target = SocketAddrV4::new(right.public_address(), port);
            assert_rewritten(source_seen_by_receiver(&sender, &receiver, target), nat_public, port);
        }
        assert!(left.ping(right.public_address(), None).unwrap(), "left cannot ping through its NAT");
    });
}

#[test]
fn nat_in_front_of_right_forwards_ike_to_it_and_rewrites_what_it_sends() {
    isolated(|| {
        let topology = NatInFront::new(NatOf::Right).unwrap();
        let (left, right) = (topology.left(), topology.right());
        let nat_public = topology.nat(Side::Right).unwrap().public_address();
        // The left initiates to the NAT's public address; the NAT forwards port 500.
        let left_socket = udp_socket(left.namespace(), SocketAddrV4::new(left.address(), 500));
        let right_socket = udp_socket(right.namespace(), SocketAddrV4::new(right.address(), 500));
        let seen = source_seen_by_receiver(&left_socket, &right_socket, SocketAddrV4::new(nat_public, 500));
        assert_eq!(seen, SocketAddrV4::new(left.address(), 500), "a forwarded packet keeps its source");
        // The right initiates from behind its NAT on 4500.
        let right_socket = udp_socket(right.namespace(), SocketAddrV4::new(right.address(), 4500));
        let left_socket = udp_socket(left.namespace(), any_address(4500));
        let seen =
            source_seen_by_receiver(&right_socket, &left_socket, SocketAddrV4::new(left.address(), 4500));
        assert_rewritten(seen, nat_public, 4500);
    });
}

#[test]
fn nats_in_front_of_both_rewrite_and_forward() {
    isolated(|| {
        let topology = NatInFront::new(NatOf::Both).unwrap();
        let (left, right) = (topology.left(), topology.right());
        assert_eq!(
            (left.address(), right.address()),
            (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2))
        );
        assert_eq!(left.gateway(), Some(Ipv4Addr::new(192, 0, 2, 254)));
        let left_public = topology.nat(Side::Left).unwrap().public_address();
        let sender = udp_socket(left.namespace(), SocketAddrV4::new(left.address(), 500));
        let receiver = udp_socket(right.namespace(), any_address(500));
        let target = SocketAddrV4::new(right.public_address(), 500);
        assert_rewritten(source_seen_by_receiver(&sender, &receiver, target), left_public, 500);
    });
}

/// Whether one of three pings is answered: a lone echo (or the ARP before it) can
/// miss its one-second bound on a loaded machine, and that is not what a loss
/// test is about; at 100% loss all three must go unanswered.
fn answered(host: &peers::Host, destination: Ipv4Addr) -> bool {
    (0..3).any(|_| host.ping(destination, None).unwrap())
}

#[test]
fn loss_of_100_percent_blocks_pings_and_0_restores_them() {
    isolated(|| {
        let topology = Direct::new().unwrap();
        let (left, right) = (topology.left(), topology.right());
        assert!(answered(left, right.address()), "no ping before any loss");
        left.loss().set_percent(100).unwrap();
        assert!(!left.ping(right.address(), None).unwrap(), "a ping crossed a link with 100% loss");
        assert!(!right.ping(left.address(), None).unwrap(), "a ping crossed the other way");
        left.loss().set_percent(0).unwrap();
        assert!(answered(left, right.address()), "pings did not come back at 0% loss");
    });
}

#[test]
fn loss_on_a_nat_outside_link_is_changeable_at_runtime() {
    isolated(|| {
        let topology = NatInFront::new(NatOf::Left).unwrap();
        let (left, right) = (topology.left(), topology.right());
        let loss = topology.nat(Side::Left).unwrap().loss_outside();
        for (percent, expected) in [(100, false), (0, true), (100, false), (0, true)] {
            loss.set_percent(percent).unwrap();
            assert_eq!(answered(left, right.public_address()), expected, "at {percent}% loss");
        }
    });
}

#[test]
fn dropping_a_topology_kills_what_runs_inside_it() {
    isolated(|| {
        let topology = Direct::new().unwrap();
        // Started without a process guard, as a careless driver might.
        let mut unguarded = topology.left().namespace().command("sleep").arg("600").spawn().unwrap();
        let guarded = ChildProcess::spawn({
            let mut command = topology.right().namespace().command("sleep");
            command.arg("600");
            command
        })
        .unwrap();
        let pids = [unguarded.id(), guarded.id()];
        wait_until_inside(topology.left().namespace().name(), pids[0]);
        wait_until_inside(topology.right().namespace().name(), pids[1]);
        assert!(pids.iter().all(|&pid| naming::is_alive(pid)));
        drop(topology);
        assert!(pids.iter().all(|&pid| !naming::is_alive(pid)), "a process outlived its namespace");
        unguarded.wait().unwrap();
        drop(guarded);
    });
}

#[test]
fn a_panic_in_the_middle_of_setup_leaves_nothing() {
    isolated(|| {
        let created = Mutex::new(Vec::new());
        let outcome = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let topology = NatInFront::new(NatOf::Both).unwrap();
                    let mut daemon = topology.left().namespace().command("sleep");
                    daemon.arg("600");
                    let daemon = ChildProcess::spawn(daemon).unwrap();
                    wait_until_inside(topology.left().namespace().name(), daemon.id());
                    let names =
                        [topology.left(), topology.right()].map(|host| host.namespace().name().to_owned());
                    created.lock().unwrap().push((names, daemon.id()));
                    panic!("deliberate panic halfway through a case");
                })
                .join()
        });
        assert!(outcome.is_err(), "the setup thread was meant to panic");
        let (names, daemon) = created.into_inner().unwrap().pop().expect("the thread recorded what it made");
        for name in names {
            assert!(!std::path::Path::new("/run/netns").join(&name).exists(), "{name} survived the panic");
        }
        assert!(!naming::is_alive(daemon), "the daemon survived the panic");
    });
}

#[test]
fn a_sweep_removes_what_a_dead_run_left() {
    isolated(|| {
        // A pid that certainly belongs to no live run: a process that has exited.
        let mut finished = Command::new("true").spawn().unwrap();
        let dead_run = finished.id();
        finished.wait().unwrap();
        let name = format!("ikelab-{dead_run}-0-crashed");
        let status = Command::new("ip").args(["netns", "add", &name]).status().unwrap();
        assert!(status.success());
        let mut stray = Command::new("ip")
            .args(["netns", "exec", &name, "sleep", "600"])
            .env(OWNER_VARIABLE, dead_run.to_string())
            .spawn()
            .unwrap();
        wait_until_inside(&name, stray.id());
        let folder = std::env::temp_dir().join(format!("ikelab-{dead_run}-0-crashed"));
        std::fs::create_dir_all(&folder).unwrap();

        let report = sweep_leftovers().unwrap();
        stray.wait().unwrap();

        assert!(report.namespaces.contains(&name), "{report:?}");
        assert!(report.processes.contains(&stray.id()), "{report:?}");
        assert!(!std::path::Path::new("/run/netns").join(&name).exists());
        assert!(!naming::is_alive(stray.id()));
        if !peers::guard::temp_dir::keep_requested() {
            assert!(!folder.exists(), "the dead run's temp folder survived");
        }
        let _ = std::fs::remove_dir_all(&folder);
    });
}

/// `ip netns exec` enters the namespace a moment after it starts.
fn wait_until_inside(namespace: &str, pid: u32) {
    for _ in 0..500 {
        let pids = Command::new("ip").args(["netns", "pids", namespace]).output().unwrap().stdout;
        if String::from_utf8_lossy(&pids).split_whitespace().any(|listed| listed == pid.to_string()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("process {pid} never entered namespace {namespace}");
}

const INTERRUPT_CHILD: &str = "IKELAB_TEST_INTERRUPT_CHILD";

/// Runs this test binary again as a child that builds a topology and waits; SIGINT to
/// the child must remove its namespaces before it dies of the signal.
#[test]
fn an_interrupt_removes_the_runs_namespaces() {
    if std::env::var_os(INTERRUPT_CHILD).is_some() {
        peers::guard::clean_up_on_interrupt();
        let topology = Direct::new().unwrap();
        println!("READY {} {}", topology.left().namespace().name(), topology.right().namespace().name());
        std::thread::sleep(Duration::from_secs(60));
        unreachable!("the parent interrupts this child long before");
    }
    isolated(|| {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "an_interrupt_removes_the_runs_namespaces", "--nocapture", "--test-threads=1"])
            .env(INTERRUPT_CHILD, "1")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let ready = std::io::BufRead::lines(std::io::BufReader::new(stdout))
            .map(Result::unwrap)
            .find(|line| line.contains("READY "))
            .expect("the child never reported its topology");
        let names: Vec<String> =
            ready.split("READY ").nth(1).unwrap().split_whitespace().map(str::to_owned).collect();
        assert_eq!(names.len(), 2);
        assert!(names.iter().all(|name| std::path::Path::new("/run/netns").join(name).exists()));

        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let status = child.wait().unwrap();

        assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(libc::SIGINT), "{status:?}");
        for name in &names {
            assert!(!std::path::Path::new("/run/netns").join(name).exists(), "{name} outlived the interrupt");
        }
    });
}

/// The paths `peers/install.sh` wrote, from `$IKELAB_PEERS_DIR/peers.env`.
fn installed_peers() -> std::collections::HashMap<String, String> {
    let directory = std::env::var("IKELAB_PEERS_DIR").unwrap_or_else(|_| "/opt/ikelab".into());
    let manifest = format!("{directory}/peers.env");
    let text = std::fs::read_to_string(&manifest)
        .unwrap_or_else(|error| panic!("{manifest}: {error}; run peers/install.sh first"));
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

fn wait_for_file(path: &std::path::Path, guest: &mut ChildProcess, timeout: Duration) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if path.exists() {
            return true;
        }
        assert!(guest.try_wait().unwrap().is_none(), "the guest exited early; see its console.log");
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// The user-mode-linux guest takes over the right host's addresses through the TAP
/// bridge: the left pings it, and it pings back through a command dropped in its share.
#[test]
fn a_guest_attached_to_a_host_answers_for_its_addresses() {
    isolated(|| {
        let installed = installed_peers();
        let topology = Direct::new().unwrap();
        let (left, right) = (topology.left(), topology.right());
        let port = right.attach_guest().unwrap();
        // Checked without pinging: a failed ARP would make the next ping fail at once.
        let addresses = right.namespace().exec("ip", ["-4", "-o", "addr", "show"]).unwrap();
        let addresses = String::from_utf8_lossy(&addresses.stdout);
        assert!(!addresses.contains(&right.address().to_string()), "the namespace kept {addresses}");

        let share = peers::TempDir::new("guest-share").unwrap();
        std::fs::write(share.join("network.ip"), port.network_ip()).unwrap();
        std::fs::write(share.join("ipsec.conf"), "config setup\n    ikev1-policy=accept\n").unwrap();
        std::fs::write(share.join("ipsec.secrets"), "").unwrap();
        let console = std::fs::File::create(share.join("console.log")).unwrap();
        let mut kernel = right.namespace().command(&installed["IKELAB_UML_KERNEL"]);
        kernel
            .args(["mem=256M", &format!("initrd={}", installed["IKELAB_GUEST_INITRD"]), "rdinit=/init"])
            .args(["con=null", "con0=fd:0,fd:1", &port.tap().uml_argument()])
            .arg(format!("ikelab.share={}", share.path().display()))
            .env("TMPDIR", "/dev/shm")
            .stdin(Stdio::null())
            .stdout(console.try_clone().unwrap())
            .stderr(console);
        let mut guest = ChildProcess::spawn(kernel).unwrap();

        assert!(wait_for_file(&share.join("ready"), &mut guest, Duration::from_secs(30)), "guest not ready");
        assert!(
            left.ping(right.address(), None).unwrap(),
            "the guest does not answer for {}",
            right.address()
        );
        std::fs::create_dir_all(share.join("ctl")).unwrap();
        std::fs::write(share.join("ctl/.001.tmp"), format!("ping -c 1 -W 2 {}\n", left.address())).unwrap();
        std::fs::rename(share.join("ctl/.001.tmp"), share.join("ctl/001.cmd")).unwrap();
        assert!(wait_for_file(&share.join("ctl/001.rc"), &mut guest, Duration::from_secs(10)), "no answer");
        let output = std::fs::read_to_string(share.join("ctl/001.out")).unwrap();
        assert_eq!(std::fs::read_to_string(share.join("ctl/001.rc")).unwrap().trim(), "0", "{output}");

        std::fs::write(share.join("stop"), "").unwrap();
        let status =
            guest.wait_timeout(Duration::from_secs(10)).unwrap().expect("the guest did not power off");
        assert!(status.success(), "{status:?}");
        assert!(share.join("halted").exists() && share.join("final/status").exists());
    });
}
