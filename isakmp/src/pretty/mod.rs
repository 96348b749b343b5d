//! A stable pretty-printer: messages as an indented field tree, in the spirit
//! of `tshark -V`. Traces and snapshots depend on this output, so changing a
//! label is a visible, reviewed change.

mod attributes;
mod message;
mod tree;

pub use message::{message_tree, payloads_tree};
pub use tree::Node;
