//! Removing what guards could not: leftovers of a run that crashed or was killed.
//!
//! Call [`sweep_leftovers`] at startup (runner, test setup). It only touches things
//! whose owning run is dead, so parallel test processes never sweep each other.
//! [`sweep_run`] removes everything of one run; the interrupt handler uses it for the
//! current process.

use std::fs;
use std::path::PathBuf;

use super::command::Result;
use super::namespace;
use super::naming::{self, OWNER_VARIABLE, PREFIX};
use super::process::signal_process;
use super::temp_dir::keep_requested;

/// What a sweep removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub namespaces: Vec<String>,
    pub processes: Vec<u32>,
    pub temp_dirs: Vec<PathBuf>,
}

impl SweepReport {
    pub fn is_empty(&self) -> bool {
        *self == SweepReport::default()
    }
}

/// Removes the namespaces (and the processes inside), marked processes and temp folders
/// of every ikelab run that is no longer alive.
pub fn sweep_leftovers() -> Result<SweepReport> {
    sweep_where(|owner| !naming::is_alive(owner))
}

/// Removes everything of the run with this pid (`std::process::id()` for this one).
pub fn sweep_run(pid: u32) -> Result<SweepReport> {
    sweep_where(|owner| owner == pid)
}

/// What of the run with this pid still exists, removing nothing: the namespaces, the
/// live marked processes and the temp folders. Tests use it to prove nothing leaked.
pub fn remains_of_run(pid: u32) -> Result<SweepReport> {
    let owned = |owner| owner == pid;
    Ok(SweepReport {
        namespaces: owned_namespaces(&owned)?,
        processes: marked_processes(&owned),
        temp_dirs: owned_temp_dirs(&owned),
    })
}

fn sweep_where(owned: impl Fn(u32) -> bool) -> Result<SweepReport> {
    let mut report = SweepReport::default();
    for name in owned_namespaces(&owned)? {
        report.processes.extend(namespace::remove(&name)?);
        report.namespaces.push(name);
    }
    for pid in marked_processes(&owned) {
        signal_process(pid as i32, libc::SIGKILL);
        report.processes.push(pid);
    }
    if !keep_requested() {
        report.temp_dirs =
            owned_temp_dirs(&owned).into_iter().filter(|path| fs::remove_dir_all(path).is_ok()).collect();
    }
    Ok(report)
}

fn owned_namespaces(owned: &impl Fn(u32) -> bool) -> Result<Vec<String>> {
    Ok(namespace::list()?.into_iter().filter(|name| naming::owner_of(name).is_some_and(owned)).collect())
}

/// Live processes whose environment names an owner that `owned` selects.
fn marked_processes(owned: &impl Fn(u32) -> bool) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
    let marker = format!("{OWNER_VARIABLE}=");
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != std::process::id())
        .filter(|&pid| {
            // Processes may vanish or hide their environment; skip those.
            let Ok(environment) = fs::read(format!("/proc/{pid}/environ")) else { return false };
            environment
                .split(|&byte| byte == 0)
                .filter_map(|entry| std::str::from_utf8(entry).ok()?.strip_prefix(&marker))
                .any(|owner| owner.parse().is_ok_and(owned))
        })
        .filter(|&pid| naming::is_alive(pid))
        .collect()
}

fn owned_temp_dirs(owned: &impl Fn(u32) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else { return Vec::new() };
    entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with(PREFIX) && naming::owner_of(&name).is_some_and(owned)
        })
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect()
}
