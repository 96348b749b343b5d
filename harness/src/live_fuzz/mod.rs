//! Live fuzzing (`ikelab fuzz --peer`): damaged handshakes against a real
//! peer, each followed by the question whether the peer is still alive.

pub mod generate;

pub use generate::FuzzCase;
