//! Two hosts on one cable: left 192.0.2.1/24, right 192.0.2.2/24.

use super::addresses::Side;
use super::host::{HOST_INTERFACE, Host};
use super::link::veth;
use crate::guard::Result;

#[derive(Debug)]
pub struct Direct {
    left: Host,
    right: Host,
}

impl Direct {
    pub fn new() -> Result<Self> {
        let left = direct_host(Side::Left)?;
        let right = direct_host(Side::Right)?;
        veth(left.namespace(), HOST_INTERFACE, right.namespace(), HOST_INTERFACE)?;
        left.configure()?;
        right.configure()?;
        Ok(Direct { left, right })
    }

    pub fn left(&self) -> &Host {
        &self.left
    }

    pub fn right(&self) -> &Host {
        &self.right
    }

    pub fn host(&self, side: Side) -> &Host {
        match side {
            Side::Left => &self.left,
            Side::Right => &self.right,
        }
    }
}

fn direct_host(side: Side) -> Result<Host> {
    let address = side.private();
    Host::create(side, address, None, address.address)
}
