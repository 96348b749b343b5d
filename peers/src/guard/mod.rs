//! Guards: each owns one thing outside the process and removes it on `Drop`, also when
//! a test panics. [`sweep`] and [`interrupt`] cover the cases where `Drop` never runs.

pub mod command;
pub mod interrupt;
pub mod namespace;
pub mod naming;
pub mod process;
pub mod root;
pub mod sweep;
pub mod temp_dir;

pub use command::{Error, Result};
pub use interrupt::clean_up_on_interrupt;
pub use namespace::Namespace;
pub use process::ChildProcess;
pub use root::is_root;
pub use sweep::{SweepReport, remains_of_run, sweep_leftovers, sweep_run};
pub use temp_dir::TempDir;
