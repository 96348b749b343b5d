//! `ikelab decode FILE.pcap`: every ISAKMP message of a capture, pretty-printed
//! as a field tree or, with `--json`, as JSON Lines.
//!
//! A malformed frame or message is reported with its frame number and byte
//! offset, and decoding goes on with the next frame.

mod json;
mod text;

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use isakmp::Message;
use isakmp::natt::IkeDatagram;
use vectors::capture::FrameReader;

#[derive(clap::Args)]
pub struct DecodeArgs {
    /// The capture to decode.
    pub capture: PathBuf,
    /// One JSON object per ISAKMP message instead of field trees.
    #[arg(long)]
    pub json: bool,
}

/// One ISAKMP datagram found in a capture, decoded or not.
pub struct Found<'a> {
    pub frame: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The message came after a Non-ESP Marker on port 4500 (RFC 3948 2.2).
    pub behind_marker: bool,
    pub message: Result<Message, isakmp::Error>,
    /// Offset of the ISAKMP message in the UDP payload, to report absolute offsets.
    pub offset_in_payload: usize,
    pub bytes: &'a [u8],
}

pub fn main(args: &DecodeArgs) -> ExitCode {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let outcome = decode(args, &mut out).and_then(|summary| out.flush().map(|_| summary));
    match outcome {
        Ok(summary) if summary.malformed == 0 => ExitCode::SUCCESS,
        Ok(summary) => {
            eprintln!(
                "ikelab decode: {} of {} ISAKMP messages were malformed",
                summary.malformed, summary.messages
            );
            ExitCode::from(1)
        }
        Err(err) => {
            eprintln!("ikelab decode: {}: {err}", args.capture.display());
            ExitCode::from(2)
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub messages: usize,
    pub malformed: usize,
}

pub fn decode(args: &DecodeArgs, out: &mut dyn Write) -> io::Result<Summary> {
    let bytes = std::fs::read(&args.capture)?;
    let reader = FrameReader::new(&bytes)
        .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err.to_string()))?;
    let mut summary = Summary::default();
    for frame in reader {
        let frame = match frame {
            Ok(frame) => frame,
            Err(err) => {
                // The file itself is damaged past this point: say so and stop.
                eprintln!("ikelab decode: {err}");
                summary.malformed += 1;
                break;
            }
        };
        let (Some(udp), Some(payload)) = (frame.udp(), frame.payload()) else { continue };
        let classified = IkeDatagram::classify(udp.src.port(), udp.dst.port(), payload);
        let (message_bytes, behind_marker) = match classified {
            Some(Ok(IkeDatagram::Ike { message, behind_marker })) => (message, behind_marker),
            Some(Err(err)) => {
                eprintln!(
                    "frame {}: byte {}: not IKE, ESP or a keepalive: {}",
                    frame.number, err.offset, err
                );
                continue;
            }
            _ => continue,
        };
        let found = Found {
            frame: frame.number,
            src: udp.src,
            dst: udp.dst,
            behind_marker,
            message: Message::parse(message_bytes),
            offset_in_payload: payload.len() - message_bytes.len(),
            bytes: message_bytes,
        };
        summary.messages += 1;
        if let Err(err) = &found.message {
            summary.malformed += 1;
            eprintln!("frame {}: malformed ISAKMP message: {}", found.frame, absolute(err, &found));
        }
        if args.json {
            json::write(&found, out)?;
        } else {
            text::write(&found, out)?;
        }
    }
    Ok(summary)
}

/// The error with its offset counted from the start of the UDP payload.
pub fn absolute(err: &isakmp::Error, found: &Found<'_>) -> isakmp::Error {
    let mut shifted = err.clone();
    shifted.offset += found.offset_in_payload;
    shifted
}
