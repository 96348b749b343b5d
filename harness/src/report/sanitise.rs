//! Peer-log excerpts fit to publish and to compare: timestamps, thread numbers, SA
//! handles, cookies, SPIs, message IDs, NAT-mapped ports and every hex dump (DH
//! secrets, nonces, SKEYIDs, keys) are redacted, and the daemons' control chatter is
//! dropped. What is left is what the peer decided, in its own words.

use std::sync::LazyLock;

use regex::Regex;

/// Lines that say nothing about the exchange: control-socket chatter and config dumps.
static NOISE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"vici client|waiting for data on sockets|\[JOB\]|\[CFG\]\s{3,}\S+ = |^\s*$")
        .expect("a valid regex")
});

/// charon's level-4 hex dumps: `   16: 0E 6E DD 75 ...  .n.u`.
static HEX_DUMP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\[\w+\] )?(<[^>]*> )?\s*\d+: (?:[0-9A-F]{2} )+").expect("a valid regex"));

/// (pattern, replacement), applied in order to every kept line.
static RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // charon: `21:29:00.178 16[IKE]` -> `[IKE]`.
        (r"^\d{2}:\d{2}:\d{2}\.\d+ \d+\[", "["),
        // pluto: `Nov 26 21:29:22.208022: ` -> ``.
        (r"^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}\.\d+: ", ""),
        // charon's IKE_SA and CHILD_SA handles: `<reference|12>`, `reference[12]`, `inner{7}`.
        (r"<([\w-]+\|)?\d+>", "<${1}#>"),
        (r"\b(IKE_SA [\w()-]+)\[\d+\]", "$1[#]"),
        (r"\b(CHILD_SA [\w()-]+)\{\d+\}", "$1{#}"),
        // A dump's header keeps its name and size: `SKEYID => 32 bytes @ 0x7f98...`.
        (r" @ 0x[0-9a-f]+", " (redacted)"),
        // Cookies and SPIs.
        (r"\b[0-9a-f]{16}_([ir])\b", "<cookie>_$1"),
        (r"\b[0-9a-f]{8}_([io])\b", "<spi>_$1"),
        (r"0x[0-9a-fA-F]{8}\b", "0x<spi>"),
        (r"(?i)\bspi[ =:]+[0-9a-f]{8}\b", "SPI <spi>"),
        // pluto's state and connection serials, and message IDs.
        (r"#\d+", "#N"),
        (r"serial \$\d+", "serial $$N"),
        (r"(?i)(msgid[:=] ?)[0-9a-f]{8}", "${1}<msgid>"),
        // Ports a NAT chose (topology NAT_PORTS and NAT_PORTS_REBOUND).
        (r"([:\[])4[01]0\d\d\b", "$1<nat-port>"),
        // Ages and counts of time that differ run to run.
        (r"aged \d+(\.\d+)?s", "aged <t>"),
    ]
    .into_iter()
    .map(|(pattern, replacement)| (Regex::new(pattern).expect("a valid regex"), replacement))
    .collect()
});

/// The excerpt with secrets and run-to-run noise taken out.
pub fn peer_log(log: &str) -> String {
    let mut out = String::with_capacity(log.len() / 2);
    for line in log.lines() {
        let mut line = line.to_owned();
        for (pattern, replacement) in RULES.iter() {
            line = pattern.replace_all(&line, *replacement).into_owned();
        }
        if NOISE.is_match(&line) || HEX_DUMP.is_match(&line) {
            continue;
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charon_lines_lose_times_handles_dumps_and_spis() {
        let log = "21:29:00.177 08[IKE] <reference|1> SKEYID => 32 bytes @ 0x7f98c0001f60\n\
                   21:29:00.177 08[IKE] <reference|1>    0: BA 47 04 9A E5 82 1D AA F0 8E 55 1A BC 2C CE 7E  .G........U..,.~\n\
                   21:29:00.178 16[IKE] <reference|1> IKE_SA reference[1] established between 192.0.2.2[peer]...192.0.2.1[ref]\n\
                   21:29:00.180 05[IKE] <reference|1> CHILD_SA inner{1} established with SPIs c5b3d2a1_i 1a2b3c4d_o\n\
                   21:29:00.181 09[CFG] vici client 3 requests: list-sas\n";
        let clean = peer_log(log);
        assert_eq!(
            clean,
            "[IKE] <reference|#> SKEYID => 32 bytes (redacted)\n\
             [IKE] <reference|#> IKE_SA reference[#] established between 192.0.2.2[peer]...192.0.2.1[ref]\n\
             [IKE] <reference|#> CHILD_SA inner{#} established with SPIs <spi>_i <spi>_o\n"
        );
    }

    #[test]
    fn pluto_lines_lose_times_serials_spis_and_nat_ports() {
        let log = "Nov 26 21:29:22.308433: \"reference\" #2: sent Quick Mode reply {ESPinUDP=>0x263987fe <0x915fe3fe NATD=203.0.113.1:40043}\n\
                   Nov 26 21:29:23.321275: \"reference\" #2: deleting state (STATE_QUICK_R2) aged 1.106974s\n";
        assert_eq!(
            peer_log(log),
            "\"reference\" #N: sent Quick Mode reply {ESPinUDP=>0x<spi> <0x<spi> NATD=203.0.113.1:<nat-port>}\n\
             \"reference\" #N: deleting state (STATE_QUICK_R2) aged <t>\n"
        );
    }
}
