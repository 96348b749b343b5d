//! Field trees, one per message, headed by where the message was seen.

use std::io::{self, Write};

use isakmp::pretty::message_tree;

use super::{Found, absolute};

pub fn write(found: &Found<'_>, out: &mut dyn Write) -> io::Result<()> {
    let framing = if found.behind_marker { " (non-ESP marker)" } else { "" };
    writeln!(out, "Frame {}: {} -> {}{}", found.frame, found.src, found.dst, framing)?;
    match &found.message {
        Ok(message) => write!(out, "{}", message_tree(message).render())?,
        Err(err) => writeln!(out, "    Malformed ISAKMP message: {}", absolute(err, found))?,
    }
    writeln!(out)
}
