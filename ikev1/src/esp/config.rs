//! What an ESP SA is set up with once Quick Mode has agreed on it.

use std::net::IpAddr;

use serde::Serialize;

use super::LifetimeLimits;
use crate::policy::IpsecMode;

/// One direction of an IPsec SA, keys aside (the transform holds them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EspSaConfig {
    /// The SPI the receiving side chose (RFC 4303 2.1).
    pub spi: u32,
    pub mode: IpsecMode,
    /// This end's outer address: the source when sending, the destination when
    /// receiving.
    pub local: IpAddr,
    /// The other end's outer address, as this end sees it (after NAT).
    pub peer: IpAddr,
    /// UDP encapsulation (RFC 3948) with these ports, when NAT-T is in use.
    pub udp: Option<UdpPorts>,
    pub lifetime: LifetimeLimits,
}

impl EspSaConfig {
    /// Plain ESP (IP protocol 50) without lifetime limits.
    pub fn new(spi: u32, mode: IpsecMode, local: IpAddr, peer: IpAddr) -> Self {
        Self { spi, mode, local, peer, udp: None, lifetime: LifetimeLimits::default() }
    }

    pub fn with_udp(self, udp: UdpPorts) -> Self {
        Self { udp: Some(udp), ..self }
    }

    pub fn with_lifetime(self, lifetime: LifetimeLimits) -> Self {
        Self { lifetime, ..self }
    }
}

/// The UDP ports of both ends for ESP in UDP: "the same as that used by IKE
/// traffic" (RFC 3948 2.1), 4500 unless a NAT mapped the peer's elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct UdpPorts {
    pub local: u16,
    pub peer: u16,
}

impl UdpPorts {
    pub const NAT_T: Self = Self { local: isakmp::natt::NAT_T_PORT, peer: isakmp::natt::NAT_T_PORT };
}
