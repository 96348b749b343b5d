//! `show crypto isakmp sa`, from the state the engine uses.
//!
//! ```text
//! IPv4 Crypto ISAKMP SA
//! dst             src             state          conn-id status
//! 192.0.2.2       192.0.2.1       QM_IDLE           1001 ACTIVE
//! ```

use std::fmt::Write;
use std::net::IpAddr;

use serde::Serialize;

use super::SaState;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IsakmpSaRow {
    pub dst: IpAddr,
    pub src: IpAddr,
    pub state: SaState,
    pub conn_id: u32,
    /// ACTIVE once established, otherwise the negotiation is in progress or dead.
    pub status: &'static str,
}

pub fn render_isakmp_sa(rows: &[IsakmpSaRow]) -> String {
    let mut out = String::from(
        "IPv4 Crypto ISAKMP SA\ndst             src             state          conn-id status\n",
    );
    for row in rows {
        let _ = writeln!(
            out,
            "{:<15} {:<15} {:<15} {:>6} {}",
            row.dst.to_string(),
            row.src.to_string(),
            row.state.ios_name(),
            row.conn_id,
            row.status
        );
    }
    out
}
