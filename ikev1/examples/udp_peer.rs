//! A throwaway driver: runs one endpoint on real UDP sockets (500 and 4500 on
//! the given address) and initiates a connection to a peer. For manual
//! interop checks in a network namespace:
//!
//! `udp_peer LOCAL REMOTE PSK [aggressive]`

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use ikev1::policy::{
    ChildPolicy, Connection, DhGroup, ExchangeMode, IdentityConfig, IpsecLifetime, IpsecMode, Keyring,
    PeerSelector, Policy, TrafficSelector,
};
use ikev1::trace::ios;
use ikev1::{Endpoint, EndpointConfig, Event, Timestamp};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let local: IpAddr = args[1].parse().unwrap();
    let remote: IpAddr = args[2].parse().unwrap();
    let psk = &args[3];
    let mut connection =
        Connection::new("peer", local, Some(remote), vec!["aes128-sha256-modp2048".parse().unwrap()]);
    if args.get(4).map(String::as_str) == Some("aggressive") {
        connection.exchange = ExchangeMode::Aggressive;
        connection.local_id = Some(IdentityConfig::Fqdn("a.example".into()));
    }
    connection.children.push(ChildPolicy {
        name: "net".into(),
        mode: IpsecMode::Tunnel,
        local_ts: TrafficSelector::host("198.51.100.1".parse().unwrap()),
        remote_ts: TrafficSelector::host("198.51.100.129".parse().unwrap()),
        esp_proposals: vec!["aes128-sha256".parse().unwrap()],
        pfs: Some(DhGroup::Modp2048),
        lifetime: IpsecLifetime::default(),
    });
    let keyring = Keyring::default().with(PeerSelector::Address(remote), psk);
    let mut endpoint =
        Endpoint::new(EndpointConfig::new(Policy { connections: vec![connection], keyring }), seed());
    let sockets: Vec<UdpSocket> =
        [500, 4500].iter().map(|port| UdpSocket::bind(SocketAddr::new(local, *port)).unwrap()).collect();
    for socket in &sockets {
        socket.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    }
    let start = Instant::now();
    let now = || Timestamp::from_duration(start.elapsed());
    endpoint.initiate(now(), "peer").unwrap();
    let mut buffer = [0u8; 65536];
    while start.elapsed() < Duration::from_secs(15) {
        while let Some(transmit) = endpoint.poll_transmit() {
            let socket = sockets.iter().find(|s| s.local_addr().unwrap() == transmit.local).unwrap();
            socket.send_to(&transmit.payload, transmit.remote).unwrap();
        }
        while let Some(event) = endpoint.poll_event() {
            match event {
                Event::Trace(trace) => ios::render(&trace).iter().for_each(|line| println!("{line}")),
                other => println!("EVENT {other:?}"),
            }
        }
        for socket in &sockets {
            if let Ok((len, from)) = socket.recv_from(&mut buffer) {
                endpoint.handle_datagram(now(), socket.local_addr().unwrap(), from, &buffer[..len]);
            }
        }
        if endpoint.poll_timeout().is_some_and(|at| at <= now()) {
            endpoint.handle_timeout(now());
        }
        if !endpoint.ipsec_sas().is_empty() {
            while let Some(transmit) = endpoint.poll_transmit() {
                let socket = sockets.iter().find(|s| s.local_addr().unwrap() == transmit.local).unwrap();
                socket.send_to(&transmit.payload, transmit.remote).unwrap();
            }
            std::thread::sleep(Duration::from_millis(300));
            while let Some(Event::Trace(trace)) = endpoint.poll_event() {
                ios::render(&trace).iter().for_each(|line| println!("{line}"));
            }
            println!("ESTABLISHED {:?}", endpoint.established());
            println!("IPSEC {:?}", endpoint.ipsec_sas());
            return;
        }
    }
    println!("TIMEOUT");
}

/// A different seed per run, so a peer never mistakes us for an earlier run.
fn seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(7, |t| t.as_nanos() as u64)
}
