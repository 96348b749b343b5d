//! The reference's sockets: UDP 500 and 4500 on its address and a raw IPv4 socket for
//! ESP (IP protocol 50), opened on a thread inside the host's namespace.

use std::io::{self, Read as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket as StdUdpSocket};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::unix::AsyncFd;

pub const IKE_PORT: u16 = 500;
pub const NAT_T_PORT: u16 = 4500;
const ESP_PROTOCOL: i32 = 50;

pub struct StdSockets {
    pub ike: StdUdpSocket,
    pub nat_t: StdUdpSocket,
    pub esp: Socket,
}

pub fn open(address: Ipv4Addr) -> io::Result<StdSockets> {
    let udp = |port| {
        let socket = StdUdpSocket::bind(SocketAddr::new(IpAddr::V4(address), port))?;
        socket.set_nonblocking(true)?;
        Ok::<_, io::Error>(socket)
    };
    let esp = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(ESP_PROTOCOL)))?;
    esp.set_nonblocking(true)?;
    Ok(StdSockets { ike: udp(IKE_PORT)?, nat_t: udp(NAT_T_PORT)?, esp })
}

pub async fn receive_raw(socket: &AsyncFd<Socket>, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        let mut ready = socket.readable().await?;
        match ready.try_io(|inner| inner.get_ref().read(buffer)) {
            Ok(result) => return result,
            Err(_would_block) => continue,
        }
    }
}

/// Source and destination of a raw IPv4 packet, and where its payload starts.
pub fn ipv4_addresses(packet: &[u8]) -> Option<(SocketAddr, SocketAddr, usize)> {
    let header_len = usize::from(packet.first().copied().unwrap_or(0) & 0x0f) * 4;
    if packet.len() < header_len.max(20) {
        return None;
    }
    let address =
        |at: usize| IpAddr::V4(Ipv4Addr::new(packet[at], packet[at + 1], packet[at + 2], packet[at + 3]));
    Some((SocketAddr::new(address(12), 0), SocketAddr::new(address(16), 0), header_len))
}
