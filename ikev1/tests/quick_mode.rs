//! Quick Mode between two reference engines in the simulation.

mod common;

use std::time::Duration;

use common::*;
use ikev1::Event;
use ikev1::policy::{DhGroup, ExchangeMode};
use ikev1::sim::{Side, Simulation};

fn with_children(
    mode: ExchangeMode,
    esp_a: &[&str],
    esp_b: &[&str],
    pfs_a: Option<DhGroup>,
    pfs_b: Option<DhGroup>,
) -> Simulation {
    let mut side_a = connection(a(), b(), mode, proposals(&["aes128-sha256-modp2048"]));
    side_a.children.push(child(Side::A, esp_a, pfs_a));
    let mut side_b = connection(b(), a(), mode, proposals(&["aes128-sha256-modp2048"]));
    side_b.children.push(child(Side::B, esp_b, pfs_b));
    Simulation::new(config(side_a, PSK), 11, config(side_b, PSK), 12)
}

fn ipsec_up(sim: &Simulation, side: Side) -> Vec<ikev1::child_sa::IpsecSaInfo> {
    sim.events(side)
        .iter()
        .filter_map(|event| match event {
            Event::IpsecSaEstablished(info) => Some(info.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn quick_mode_with_pfs_brings_up_a_pair_of_ipsec_sas() {
    let pfs = Some(DhGroup::Modp2048);
    let mut sim = with_children(ExchangeMode::Main, &["aes128-sha256"], &["aes128-sha256"], pfs, pfs);
    sim.initiate(Side::A, "peer");
    sim.run_for(Duration::from_secs(30));
    let a = ipsec_up(&sim, Side::A);
    let b = ipsec_up(&sim, Side::B);
    assert_eq!(
        a.len(),
        1,
        "{:?}",
        sim.events(Side::A).iter().filter(|e| !matches!(e, Event::Trace(_))).collect::<Vec<_>>()
    );
    assert_eq!(b.len(), 1);
    assert_eq!(a[0].inbound_spi, b[0].outbound_spi);
    assert_eq!(a[0].outbound_spi, b[0].inbound_spi);
    assert_eq!(a[0].pfs.as_deref(), Some("modp2048"));
    assert_eq!(sim.wire.len(), 9, "six Main Mode messages and three Quick Mode messages");
    println!("{}", ikev1::trace::ios::render_all(sim.traces(Side::B)));
}
