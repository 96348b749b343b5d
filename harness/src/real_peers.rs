//! What every command that drives the real peers does first.

/// Installs what is missing, arms the clean-up for Ctrl-C and kill (this run's
/// namespaces, daemons and guests go), and removes what a crashed earlier run left.
pub fn prepare() {
    install_missing_peers();
    peers::guard::clean_up_on_interrupt();
    if let Ok(swept) = peers::guard::sweep_leftovers()
        && !swept.is_empty()
    {
        eprintln!("ikelab: removed leftovers of earlier runs: {swept:?}");
    }
}

/// The peers and tools the cases need, installed first if any is missing (as the
/// README promises: the main command works on a fresh machine). A failed install
/// is reported; the cases then fail, each saying what is missing.
fn install_missing_peers() {
    let (report, complete) = harness::peers_command::report();
    if complete {
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../peers/install.sh");
    eprintln!("ikelab: peers or tools are missing:\n{report}ikelab: installing them with {script}");
    match std::process::Command::new("bash").arg(script).status() {
        Ok(status) if status.success() => {}
        Ok(status) => eprintln!("ikelab: {script} failed ({status}); the cases will say what is missing"),
        Err(error) => eprintln!("ikelab: cannot run {script}: {error}"),
    }
}
