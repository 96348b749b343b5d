//! The host side of the guest's share protocol (peers/guest/README.md): marker files
//! written atomically by the guest, and numbered command requests in `ctl/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::peer::error::{PeerError, PeerResult, io_error, write_file};
use crate::peer::wait::poll;

use super::config::PEER;

/// The share folder of one guest, and the number of the next request.
#[derive(Debug)]
pub(crate) struct Share {
    path: PathBuf,
    next_request: u32,
}

/// What a request printed and how it exited.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: i32,
    pub output: String,
}

impl Share {
    pub fn new(path: &Path) -> PeerResult<Self> {
        fs::create_dir_all(path.join("ctl"))
            .map_err(|source| io_error("creating the guest's ctl/", source))?;
        Ok(Share { path: path.to_owned(), next_request: 1 })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&self, name: &str, text: &str) -> PeerResult<()> {
        write_file(&self.path.join(name), text)
    }

    pub fn read(&self, name: &str) -> Option<String> {
        fs::read(self.path.join(name)).ok().map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }

    pub fn has(&self, name: &str) -> bool {
        self.path.join(name).exists()
    }

    /// Runs `script` in the guest with `/bin/sh` and waits up to `timeout` for its exit
    /// status. The guest serves requests one at a time, in name order.
    pub fn request(&mut self, script: &str, timeout: Duration) -> PeerResult<Reply> {
        let name = format!("{:06}", self.next_request);
        self.next_request += 1;
        let ctl = self.path.join("ctl");
        let staging = ctl.join(format!(".{name}.tmp"));
        write_file(&staging, script)?;
        fs::rename(&staging, ctl.join(format!("{name}.cmd")))
            .map_err(|source| io_error(format!("publishing request {name}"), source))?;
        let rc = ctl.join(format!("{name}.rc"));
        let status =
            poll(timeout, || fs::read_to_string(&rc).ok()?.trim().parse::<i32>().ok()).ok_or_else(|| {
                PeerError::Timeout {
                    peer: PEER,
                    waiting_for: format!("the guest to run `{}`", script.trim()),
                }
            })?;
        let output = fs::read_to_string(ctl.join(format!("{name}.out"))).unwrap_or_default();
        Ok(Reply { status, output })
    }

    /// Like [`request`](Self::request), but a non-zero exit is an error with the output.
    pub fn run(&mut self, script: &str, timeout: Duration) -> PeerResult<String> {
        let reply = self.request(script, timeout)?;
        if reply.status == 0 {
            Ok(reply.output)
        } else {
            Err(PeerError::Control {
                peer: PEER,
                command: format!("{} (in the guest, exit {})", script.trim(), reply.status),
                output: reply.output,
            })
        }
    }
}
