//! ikelab's library: scenarios as data, the cases they expand into, the runner that
//! plays them against real peers (or, without root, against a second reference engine
//! in simulation), the expectations that judge them, and the reports. The `ikelab`
//! binary and the interop tests are its two front ends.

pub mod cases;
pub mod cve;
pub mod expectations;
pub mod live_fuzz;
pub mod peers_command;
pub mod report;
pub mod runner;
pub mod scenario;
