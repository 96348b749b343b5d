//! Traffic selectors as Quick Mode client identities (RFC 2409 5.5,
//! RFC 2407 4.6.2): a host becomes ID_IPV4_ADDR / ID_IPV6_ADDR, a subnet
//! ID_*_ADDR_SUBNET, as strongSwan and Libreswan send them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use isakmp::payload::{Identification, Identity};

use crate::policy::TrafficSelector;

pub fn identification(ts: &TrafficSelector) -> Identification {
    let full = if ts.address.is_ipv4() { 32 } else { 128 };
    let identity = match ts.address {
        IpAddr::V4(address) if ts.prefix_len >= full => Identity::Ipv4(address),
        IpAddr::V6(address) if ts.prefix_len >= full => Identity::Ipv6(address),
        IpAddr::V4(address) => {
            let mask = Ipv4Addr::from(u32::MAX.checked_shl(32 - u32::from(ts.prefix_len)).unwrap_or(0));
            Identity::Ipv4Subnet { address: Ipv4Addr::from(u32::from(address) & u32::from(mask)), mask }
        }
        IpAddr::V6(address) => {
            let mask = Ipv6Addr::from(u128::MAX.checked_shl(128 - u32::from(ts.prefix_len)).unwrap_or(0));
            Identity::Ipv6Subnet { address: Ipv6Addr::from(u128::from(address) & u128::from(mask)), mask }
        }
    };
    Identification { protocol: ts.protocol, port: ts.port, identity }
}

/// The selector a client identity stands for; `None` for identity types
/// that name no addresses (or ranges, which we do not negotiate).
pub fn selector(id: &Identification) -> Option<TrafficSelector> {
    let (address, prefix_len) = match &id.identity {
        Identity::Ipv4(address) => (IpAddr::V4(*address), 32),
        Identity::Ipv6(address) => (IpAddr::V6(*address), 128),
        Identity::Ipv4Subnet { address, mask } => {
            (IpAddr::V4(*address), u32::from(*mask).leading_ones() as u8)
        }
        Identity::Ipv6Subnet { address, mask } => {
            (IpAddr::V6(*address), u128::from(*mask).leading_ones() as u8)
        }
        _ => return None,
    };
    Some(TrafficSelector { address, prefix_len, protocol: id.protocol, port: id.port })
}

/// Whether `inner` lies within `outer` (protocol and port 0 mean any).
pub fn within(inner: &TrafficSelector, outer: &TrafficSelector) -> bool {
    inner.prefix_len >= outer.prefix_len
        && outer.contains(inner.address)
        && (outer.protocol == 0 || outer.protocol == inner.protocol)
        && (outer.port == 0 || outer.port == inner.port)
}

/// RFC 2409 5.5: whether QM2 returns the client IDs QM1 proposed for `local` <->
/// `remote`. IKEv1 has no narrowing, so other ones mean the responder would protect
/// other traffic than the initiator; none at all is accepted (some responders leave
/// them out).
pub fn returned_as_proposed(
    ids: &[&Identification],
    local: &TrafficSelector,
    remote: &TrafficSelector,
) -> Result<(), String> {
    let proposed = (selector(&identification(local)), selector(&identification(remote)));
    match ids {
        [] => Ok(()),
        [initiator, responder] => {
            let returned = (selector(initiator), selector(responder));
            if returned == proposed {
                Ok(())
            } else {
                Err(format!("QM2 returns client IDs {returned:?} for the proposed {proposed:?}"))
            }
        }
        _ => Err("QM2 carries client IDs that are not a pair".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qm2_must_return_the_proposed_client_ids() {
        let wide = TrafficSelector::subnet("198.51.100.0".parse().unwrap(), 24);
        let host = |text: &str| TrafficSelector::host(text.parse().unwrap());
        let (ours, theirs) = (identification(&wide), identification(&wide));
        assert!(returned_as_proposed(&[&ours, &theirs], &wide, &wide).is_ok());
        assert!(returned_as_proposed(&[], &wide, &wide).is_ok());
        let narrowed = (identification(&host("198.51.100.1")), identification(&host("198.51.100.129")));
        assert!(returned_as_proposed(&[&narrowed.0, &narrowed.1], &wide, &wide).is_err());
        assert!(returned_as_proposed(&[&ours], &wide, &wide).is_err());
    }

    #[test]
    fn hosts_and_subnets_round_trip_through_identities() {
        let host = TrafficSelector::host("198.51.100.1".parse().unwrap());
        assert_eq!(identification(&host).identity, Identity::Ipv4("198.51.100.1".parse().unwrap()));
        assert_eq!(selector(&identification(&host)), Some(host));
        let subnet = TrafficSelector::subnet("198.51.100.128".parse().unwrap(), 25);
        assert_eq!(selector(&identification(&subnet)), Some(subnet));
        assert!(within(&host, &TrafficSelector::subnet("198.51.100.0".parse().unwrap(), 24)));
        assert!(!within(&TrafficSelector::subnet("198.51.100.0".parse().unwrap(), 24), &host));
    }
}
