//! Running the external tools (`ip`, `nft`, ...) that set up namespaces and topologies,
//! with errors that say which command failed and what it printed.

use std::fmt;
use std::io::{self, Write};
use std::process::{Command, ExitStatus, Output, Stdio};

/// What can go wrong while creating or tearing down peers and topologies.
#[derive(Debug)]
pub enum Error {
    /// The program could not be started at all (missing binary, bad path...).
    Spawn { command: String, source: io::Error },
    /// The program ran and exited unsuccessfully.
    Failed { command: String, status: ExitStatus, stderr: String },
    /// Any other system call failed.
    Io { context: String, source: io::Error },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Spawn { command, source } => write!(f, "cannot start `{command}`: {source}"),
            Error::Failed { command, status, stderr } => {
                write!(f, "`{command}` failed ({status})")?;
                if !stderr.trim().is_empty() {
                    write!(f, ": {}", stderr.trim())?;
                }
                Ok(())
            }
            Error::Io { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Spawn { source, .. } | Error::Io { source, .. } => Some(source),
            Error::Failed { .. } => None,
        }
    }
}

/// The command line as a shell user would type it, for messages.
pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a command to completion; a non-zero exit is an error carrying its stderr.
pub fn run(command: &mut Command) -> Result<Output> {
    run_with_input(command, &[])
}

/// Like [`run`], feeding `input` to the command's standard input.
pub fn run_with_input(command: &mut Command, input: &[u8]) -> Result<Output> {
    let described = describe(command);
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Spawn { command: described.clone(), source })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that exits without reading its input is judged by its status alone.
        let _ = stdin.write_all(input);
    }
    let output = child.wait_with_output().map_err(|source| Error::io(described.clone(), source))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(Error::Failed {
            command: described,
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

/// Runs a command and returns its standard output as text.
pub fn run_for_text(command: &mut Command) -> Result<String> {
    let output = run(command)?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
