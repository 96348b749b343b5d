//! Names for what the guards create: `ikelab-<pid>-<counter>-<label>`.
//!
//! The pid keeps parallel test processes (nextest runs one per test) apart, the counter
//! keeps threads of one process apart, and the pid also tells a sweep whether the run
//! that made a leftover is still alive.

use std::sync::atomic::{AtomicU32, Ordering};

/// What every namespace, temp folder and marked process of ikelab carries.
pub const PREFIX: &str = "ikelab";

/// Environment variable set on every process the guards start, holding the pid of the
/// run that owns it, so a sweep finds processes that are in no namespace.
pub const OWNER_VARIABLE: &str = "IKELAB_OWNER";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The part of every name this process creates: `ikelab-<pid>-`.
pub fn run_prefix() -> String {
    prefix_of(std::process::id())
}

pub(crate) fn prefix_of(pid: u32) -> String {
    format!("{PREFIX}-{pid}-")
}

/// A name no other guard of any live run uses. Labels are for humans reading
/// `ip netns list`; keep them short and free of `/` and spaces.
pub fn unique(label: &str) -> String {
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}{counter}-{label}", run_prefix())
}

/// The pid of the run that made `name`, if it is an ikelab name.
pub fn owner_of(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(PREFIX)?.strip_prefix('-')?;
    let (pid, _) = rest.split_once('-')?;
    pid.parse().ok()
}

/// Whether a process with this pid exists (as anything but a zombie).
pub fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the parenthesised command name.
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_carry_the_run_and_differ() {
        let first = unique("left");
        let second = unique("left");
        assert!(first.starts_with(&run_prefix()));
        assert!(first.ends_with("-left"));
        assert_ne!(first, second);
    }

    #[test]
    fn owner_is_read_back_from_a_name() {
        assert_eq!(owner_of(&unique("nat")), Some(std::process::id()));
        assert_eq!(owner_of("ikelab-123-4-left"), Some(123));
        assert_eq!(owner_of("ikelabx-123-4"), None);
        assert_eq!(owner_of("other-123-4"), None);
        assert_eq!(owner_of("ikelab-notapid-4"), None);
    }

    #[test]
    fn this_process_is_alive() {
        assert!(is_alive(std::process::id()));
        assert!(!is_alive(u32::MAX));
    }
}
