//! Cleaning up when the run is interrupted (Ctrl-C, `kill`), where no `Drop` runs.
//!
//! A signal handler may do almost nothing safely, so it only writes the signal number
//! into a pipe; a watcher thread reads it, sweeps this run and then dies of the same
//! signal, so the parent sees the usual exit status.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use super::sweep::sweep_run;

const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

static INSTALL: Once = Once::new();
/// Set once a signal arrived: guards refuse to create anything more, so the run's main
/// thread, still busy with a case, cannot make what the sweep would miss.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Atomics are lock-free, so the handler may read this.
static PIPE_WRITE_END: AtomicI32 = AtomicI32::new(-1);

/// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove this run's namespaces,
/// processes and temp folders before the process dies. Calling it again does nothing.
pub fn clean_up_on_interrupt() {
    INSTALL.call_once(|| {
        let mut ends = [0 as libc::c_int; 2];
        // SAFETY: pipe2(2) fills the two-element array we own.
        if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            eprintln!("ikelab: no interrupt cleanup: pipe: {}", std::io::Error::last_os_error());
            return;
        }
        PIPE_WRITE_END.store(ends[1], Ordering::SeqCst);
        let read_end = ends[0];
        std::thread::Builder::new()
            .name("ikelab-interrupt".into())
            .spawn(move || watch(read_end))
            .expect("spawning the interrupt watcher thread");
        for signal in SIGNALS {
            // SAFETY: the handler only calls write(2), which is async-signal-safe.
            unsafe { libc::signal(signal, forward_to_pipe as *const () as libc::sighandler_t) };
        }
    });
}

extern "C" fn forward_to_pipe(signal: libc::c_int) {
    let byte = signal as u8;
    let descriptor = PIPE_WRITE_END.load(Ordering::SeqCst);
    // SAFETY: write(2) of one byte from the stack to a descriptor set before installation.
    unsafe { libc::write(descriptor, (&byte as *const u8).cast(), 1) };
}

fn watch(read_end: libc::c_int) {
    let mut byte = 0u8;
    // SAFETY: read(2) of one byte into a local.
    let count = unsafe { libc::read(read_end, (&mut byte as *mut u8).cast(), 1) };
    if count != 1 {
        return;
    }
    let signal = libc::c_int::from(byte);
    INTERRUPTED.store(true, Ordering::SeqCst);
    eprintln!("ikelab: interrupted (signal {signal}), removing this run's namespaces and processes");
    // The second sweep catches what a guard created between its check and the flag.
    for _ in 0..2 {
        if let Err(error) = sweep_run(std::process::id()) {
            eprintln!("ikelab: interrupt cleanup: {error}");
        }
    }
    // SAFETY: restoring the default action and re-raising ends the process as the
    // signal would have.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Whether this process was interrupted; guards then refuse to create anything.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The error a guard returns instead of creating something after an interrupt.
pub(crate) fn refuse_if_interrupted(what: &str) -> super::command::Result<()> {
    if interrupted() {
        Err(super::command::Error::io(
            format!("not creating {what}: the run was interrupted"),
            std::io::Error::from(std::io::ErrorKind::Interrupted),
        ))
    } else {
        Ok(())
    }
}
