//! After any run, nothing of it is left: no namespace, daemon (charon, pluto,
//! linux.uml, tcpdump) or temp folder. Faults are injected on purpose: a case that
//! fails, a case that times out, a peer killed in the middle of a case, and SIGINT to a
//! running `ikelab run`. Needs root and the peers (fails, never skips, without them).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use harness::cases::{Case, catalogue};
use harness::runner::{self, Mode};
use peers::guard::naming::OWNER_VARIABLE;
use peers::guard::remains_of_run;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn results() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cleanup-results")
}

fn isolated(body: impl FnOnce()) {
    assert!(peers::guard::is_root(), "the cleanup proof starts real peers and needs root; CI runs as root");
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    body();
    assert_nothing_left_of(std::process::id());
}

fn assert_nothing_left_of(pid: u32) {
    let remains = remains_of_run(pid).expect("listing what the run left");
    assert!(remains.is_empty(), "run {pid} left {remains:?}");
    let namespaces =
        String::from_utf8(Command::new("ip").args(["netns", "list"]).output().unwrap().stdout).unwrap();
    assert!(!namespaces.contains(&format!("ikelab-{pid}-")), "namespaces of run {pid} remain:\n{namespaces}");
    for daemon in ["charon", "pluto", "linux.uml", "tcpdump"] {
        let owned = processes_named(daemon)
            .into_iter()
            .filter(|&process| owner_of(process) == Some(pid))
            .collect::<Vec<_>>();
        assert!(owned.is_empty(), "{daemon} of run {pid} still running: {owned:?}");
    }
}

/// Pids whose command name is `name`.
fn processes_named(name: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == name)
        })
        .collect()
}

/// The run that started a process, from the owner variable the guards set.
fn owner_of(pid: u32) -> Option<u32> {
    let environment = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    let marker = format!("{OWNER_VARIABLE}=");
    environment
        .split(|&byte| byte == 0)
        .filter_map(|entry| std::str::from_utf8(entry).ok()?.strip_prefix(&marker)?.parse().ok())
        .next()
}

fn case(id: &str) -> Case {
    catalogue::all().into_iter().find(|case| case.id() == id).unwrap_or_else(|| panic!("no case {id}"))
}

#[test]
fn a_failing_case_leaves_nothing() {
    isolated(|| {
        let mut case = case("strongswan::reference-initiates::main-mode");
        // Proposals the peer refuses: Phase 1 fails with NO-PROPOSAL-CHOSEN.
        case.peer_side.ike_proposals = vec!["3des-md5-modp1024".parse().unwrap()];
        let report = runner::run_case(&case, Mode::Real, &results());
        assert!(!report.passed, "{report:?}");
    });
}

#[test]
fn a_case_that_times_out_leaves_nothing() {
    isolated(|| {
        let mut case = case("libreswan::reference-initiates::main-mode");
        // Different keys: the exchange never completes and the wait runs out.
        case.peer_side.psk = "not-the-reference-key".into();
        case.timeout_secs = 2;
        let report = runner::run_case(&case, Mode::Real, &results());
        assert!(!report.passed, "{report:?}");
        assert!(report.failure.as_deref().unwrap_or_default().contains("phase-1"), "{report:?}");
    });
}

#[test]
fn a_peer_killed_in_the_middle_of_a_case_leaves_nothing() {
    isolated(|| {
        let case = case("strongswan::peer-initiates::main-mode");
        let running = thread::spawn(move || runner::run_case(&case, Mode::Real, &results()));
        let me = std::process::id();
        let deadline = Instant::now() + Duration::from_secs(20);
        let charon = loop {
            if let Some(pid) = processes_named("charon").into_iter().find(|&pid| owner_of(pid) == Some(me)) {
                break pid;
            }
            assert!(Instant::now() < deadline, "charon of this run never started");
            thread::sleep(Duration::from_millis(5));
        };
        kill_hard(charon);
        let report = running.join().expect("the case thread returns a report, not a panic");
        assert!(!report.passed, "a case whose peer was killed passed: {report:?}");
    });
}

/// SIGKILL, as an OOM killer or a crash would end the daemon.
fn kill_hard(pid: u32) {
    let status = Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    assert!(status.success());
}

#[test]
fn sigint_to_a_running_ikelab_run_leaves_nothing() {
    isolated(|| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ikelab"))
            .args(["run", "libreswan::reference-initiates::main-mode", "--results"])
            .arg(results())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        // Wait until the guest is booting: the deepest point of a case.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !processes_named("linux.uml").into_iter().any(|uml| owner_of(uml) == Some(pid)) {
            assert!(Instant::now() < deadline, "ikelab run never started the guest");
            assert!(child.try_wait().unwrap().is_none(), "ikelab run ended before the guest started");
            thread::sleep(Duration::from_millis(10));
        }
        let status = Command::new("kill").args(["-INT", &pid.to_string()]).status().unwrap();
        assert!(status.success());
        let exit = child.wait().unwrap();
        assert!(!exit.success(), "an interrupted run must not report success");
        assert_nothing_left_of(pid);
    });
}
