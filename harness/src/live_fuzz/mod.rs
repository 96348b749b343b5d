//! Live fuzzing (`ikelab fuzz --peer`): damaged handshakes against a real
//! peer, each followed by the question whether the peer is still alive.

pub mod campaign;
pub mod case;
pub mod generate;

pub use campaign::{Campaign, Summary};
pub use generate::FuzzCase;
