//! `ikelab peers`: what peers/install.sh installed, or what is missing.

use std::fmt::Write as _;

use peers::Installation;
use peers::peer::installation::find_program;

/// The report, and whether everything the interop cases need is there.
pub fn report() -> (String, bool) {
    let mut out = String::new();
    let mut complete = true;
    let installation = match Installation::load() {
        Ok(installation) => installation,
        Err(error) => return (format!("{error}\n"), false),
    };
    let _ = writeln!(out, "peers installed in {}", installation.dir().display());
    let mut line = |name: &str, found: Result<String, String>| match found {
        Ok(detail) => {
            let _ = writeln!(out, "  {name:<18} {detail}");
        }
        Err(missing) => {
            complete = false;
            let _ = writeln!(out, "  {name:<18} MISSING: {missing}");
        }
    };
    let version =
        |package: &str| installation.stamped_version(package).unwrap_or_else(|| "version unknown".into());
    line(
        "strongSwan",
        installation
            .strongswan()
            .map(|files| format!("{} (charon {})", version("strongswan-charon"), files.charon.display()))
            .map_err(|error| error.to_string()),
    );
    line(
        "Libreswan",
        installation
            .libreswan()
            .map(|files| format!("{} ({})", files.version, files.root.display()))
            .map_err(|error| error.to_string()),
    );
    line(
        "Libreswan guest",
        installation
            .guest()
            .map(|files| format!("user-mode-linux {} ({})", files.kernel_version, files.initrd.display()))
            .map_err(|error| error.to_string()),
    );
    for tool in ["tcpdump", "tshark", "nft", "conntrack", "ike-scan"] {
        line(
            tool,
            find_program(tool)
                .map(|path| path.display().to_string())
                .ok_or_else(|| format!("{tool} not on PATH")),
        );
    }
    (out, complete)
}
