//! ikelab's library: interop cases as data and the runner that plays them against
//! real peers (or, without root, against a second reference engine in simulation).
//! The `ikelab` binary and the interop tests are its two front ends.

pub mod cases;
pub mod live_fuzz;
pub mod peers_command;
pub mod runner;
