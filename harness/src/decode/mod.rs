//! `ikelab decode [--keys KEYS.json] [--json] CAPTURE`: every ISAKMP message of a
//! capture, pretty-printed as a field tree or, with `--json`, as JSON Lines.
//!
//! With `--keys` (the keys.json schema of vectors/real/README.md; only the
//! inputs are required) the decoder also derives the keys of every ISAKMP SA
//! from the PSK, cookies, g^xy and nonces, decrypts every encrypted message
//! (byte-identical retransmissions included), checks the HASH payloads, derives
//! KEYMAT from the decrypted Quick Modes and decapsulates every ESP packet.
//!
//! A malformed frame or message, a message that cannot be decrypted and an ESP
//! packet that cannot be decapsulated are reported on stderr with the frame
//! number, and decoding goes on. Exit status: 0 when everything was decoded,
//! 1 when something was not, 2 when the capture or key file cannot be read.
//!
//! # JSON Lines
//!
//! One object per line; `kind` says which of three:
//!
//! `"kind": "ike_sa"` (with `--keys`, one per ISAKMP SA of the key file, first):
//! - `ike_sa`, `responder_cookie`: the cookies (hex); `exchange`: `main` | `aggressive`
//! - `keys_derived`: bool; `error`: why not (e.g. `key file has no algorithms`)
//! - `key_sets`: `["shared"]`, or `["initiator", "responder"]` when the sides
//!   used different PSKs (each side's keys are derived with its own PSK)
//! - `derived`: name -> hex of every derived value: `skeyid`, `skeyid_d`,
//!   `skeyid_a`, `skeyid_e`, `enc_key` (Ka), `iv0`, prefixed `initiator:` /
//!   `responder:` per side, and `esp:<spi>:encryption`, `esp:<spi>:integrity`
//! - `keys_match`: name -> bool for each derived value the key file also logs
//!   (values it does not log are absent: a key file of inputs only gives `{}`)
//! - `ipsec_sas`: `[{spi, protocol, encryption, integrity, pfs, source:
//!   "quick_mode" | "key_file", message_id, frames}]`; `ipsec_sa_errors`: `[string]`
//!
//! `"kind": "message"` (one per ISAKMP message, in capture order):
//! - `frame`, `src`, `dst`, `sport`, `dport`, `non_esp_marker`, `length`
//! - `initiator_cookie`, `responder_cookie`, `exchange`, `exchange_type`,
//!   `version`, `flags`, `flags_byte`, `message_id`, `first_payload`, `encrypted`
//! - `payloads` (short names) and `payload_types` (numbers): the plaintext
//!   payloads, or with `--keys` the decrypted ones; `notify_types` (numbers)
//!   and `delete_spis` (hex) when Notify or Delete payloads are among them
//! - a malformed message has `error` and `offset` instead of the header fields
//! - with `--keys`: `decrypted` (bool); `from`: `initiator` | `responder`
//!   (Phase 1 role of the sender); `decrypted_with`: the key set; `iv`: hex;
//!   `retransmission_of`: the frame this one repeats byte for byte;
//!   `decrypt_error`; `hash`: `{name: "HASH_I" | "HASH_R" | "HASH(1)" |
//!   "HASH(2)" | "HASH(3)", key_set, valid: bool | null, unchecked: reason}`
//!
//! `"kind": "esp"` (with `--keys`, one per ESP packet, after the messages):
//! - `frame`, `src`, `dst`, `udp_encapsulated`, `sport`, `dport` (when in UDP)
//! - `spi` (8 hex digits), `seq`
//! - `decapsulated`: bool; `icv_valid`: bool, or null when no SA has the SPI
//! - `protocol` (number), `protocol_name`, `inner_src`, `inner_dst`,
//!   `ipv4_checksum_valid`, `icmp_type`, `icmp_code` (ICMP only)
//! - `error` when not decapsulated

mod algorithms;
mod authentication;
mod capture;
mod esp;
mod ike_decrypt;
mod inner_packet;
mod ipsec_keys;
mod json;
mod keyed;
mod keys;
mod quick_mode;
mod sa_reader;
mod text;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use vectors::KeyFile;

use capture::CaptureItem;
use keyed::KeyedReport;

#[derive(clap::Args)]
pub struct DecodeArgs {
    /// The capture to decode.
    pub capture: PathBuf,
    /// One JSON object per line instead of field trees.
    #[arg(long)]
    pub json: bool,
    /// A key file (keys.json schema): derive the keys, decrypt ISAKMP and ESP.
    #[arg(long, value_name = "KEYS.json")]
    pub keys: Option<PathBuf>,
}

pub fn main(args: &DecodeArgs) -> ExitCode {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let outcome = decode(args, &mut out).and_then(|summary| out.flush().map(|_| summary));
    match outcome {
        Ok(summary) if summary.all_decoded() => ExitCode::SUCCESS,
        Ok(summary) => {
            eprintln!("ikelab decode: {}", summary.shortfall());
            ExitCode::from(1)
        }
        Err(err) => {
            eprintln!("ikelab decode: {err}");
            ExitCode::from(2)
        }
    }
}

/// How much of the capture was decoded.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub messages: usize,
    pub malformed: usize,
    /// With a key file: encrypted messages, and those not decrypted.
    pub encrypted: usize,
    pub not_decrypted: usize,
    /// With a key file: ESP packets, and those not decapsulated.
    pub esp_packets: usize,
    pub not_decapsulated: usize,
}

impl Summary {
    fn all_decoded(&self) -> bool {
        self.malformed == 0 && self.not_decrypted == 0 && self.not_decapsulated == 0
    }

    fn shortfall(&self) -> String {
        let mut parts = Vec::new();
        if self.malformed > 0 {
            parts.push(format!("{} of {} ISAKMP messages were malformed", self.malformed, self.messages));
        }
        if self.not_decrypted > 0 {
            parts.push(format!(
                "{} of {} encrypted ISAKMP messages were not decrypted",
                self.not_decrypted, self.encrypted
            ));
        }
        if self.not_decapsulated > 0 {
            parts.push(format!(
                "{} of {} ESP packets were not decapsulated",
                self.not_decapsulated, self.esp_packets
            ));
        }
        parts.join("; ")
    }
}

pub fn decode(args: &DecodeArgs, out: &mut dyn Write) -> io::Result<Summary> {
    let in_file = |path: &PathBuf, err: &dyn std::fmt::Display| {
        io::Error::new(io::ErrorKind::InvalidData, format!("{}: {err}", path.display()))
    };
    let bytes = std::fs::read(&args.capture).map_err(|err| in_file(&args.capture, &err))?;
    let key_file = match &args.keys {
        Some(path) => Some(
            KeyFile::read(path).map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err.to_string()))?,
        ),
        None => None,
    };
    let mut summary = Summary::default();
    let mut items = Vec::new();
    let damaged = capture::walk(&bytes, |item| {
        if let CaptureItem::Isakmp(found) = &item {
            summary.messages += 1;
            if let Err(err) = &found.message {
                summary.malformed += 1;
                eprintln!("frame {}: malformed ISAKMP message: {}", found.frame, found.absolute(err));
            }
        }
        match (&key_file, item, args.json) {
            (Some(_), item, _) => items.push(item),
            (None, CaptureItem::Isakmp(found), true) => json::write(&found, out)?,
            (None, CaptureItem::Isakmp(found), false) => text::write(&found, out)?,
            (None, CaptureItem::Esp(_), _) => {}
        }
        Ok(())
    })
    .map_err(|err| in_file(&args.capture, &err))?;
    if damaged {
        summary.malformed += 1;
    }
    if let Some(key_file) = &key_file {
        let report = keyed::decode(key_file, items);
        report_problems(&report, &mut summary);
        if args.json {
            json::write_keyed(&report, out)?;
        } else {
            text::write_keyed(&report, out)?;
        }
    }
    Ok(summary)
}

/// Counts and reports on stderr, with frame numbers, what the keys did not open.
fn report_problems(report: &KeyedReport, summary: &mut Summary) {
    for sa in &report.ike_sas {
        let cookie = isakmp::hex::encode(&sa.initiator_cookie);
        if let Err(error) = &sa.phase1 {
            eprintln!("ISAKMP SA {cookie}: no keys derived: {error}");
        }
        for problem in &sa.ipsec_problems {
            eprintln!("ISAKMP SA {cookie}: IPsec SA not derived: {problem}");
        }
    }
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    for message in &report.messages {
        if message.found.message.as_ref().is_ok_and(|m| m.is_encrypted()) {
            summary.encrypted += 1;
        }
        if let Some(error) = message.decrypt_error() {
            summary.not_decrypted += 1;
            eprintln!("frame {}: {error}", message.found.frame);
        }
    }
    for packet in &report.esp_packets {
        summary.esp_packets += 1;
        if packet.esp.outcome.inner().is_none() {
            summary.not_decapsulated += 1;
            eprintln!("frame {}: ESP: {}", packet.found.frame, packet.esp.outcome);
        }
    }
}
