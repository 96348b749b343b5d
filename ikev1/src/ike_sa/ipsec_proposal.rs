//! Quick Mode SA payloads for ESP (RFC 2407 4.4.4, 4.5; RFC 3947 5.1 for
//! the UDP-encapsulated modes): our offer from a child policy, reading a
//! transform back, and the responder's choice.

use isakmp::numbers::{
    EncapsulationMode, EspTransformId, IpsecAttributeType as A, LifeType, NotifyType, ProtocolId,
};
use isakmp::payload::{Proposal, SecurityAssociation, Transform};
use isakmp::vendor_id::NatTVersion;
use isakmp::{Attribute, AttributeValue};

use super::proposal::{Check, NotAcceptable, Refusal};
use crate::crypto::{EspEncryption, EspIntegrity};
use crate::policy::{
    ChildPolicy, DhGroup, EspCipher, EspIntegrityAlgorithm, EspProposal, IpsecLifetime, IpsecMode,
    LifetimeRule, ResponderChoice,
};

/// RFC 2407 4.5: the IPsec SA lifetime when a transform names none.
pub const DEFAULT_IPSEC_LIFETIME_SECS: u32 = 28_800;

/// What one ESP transform asks for, in policy terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EspOffer {
    pub proposal: EspProposal,
    pub pfs: Option<DhGroup>,
    pub mode: IpsecMode,
    pub udp_encapsulated: bool,
    pub lifetime: IpsecLifetime,
}

/// The Encapsulation-Mode value for a mode, with or without UDP
/// encapsulation, in the numbering of the agreed NAT-T version.
pub fn encapsulation_mode(mode: IpsecMode, udp: Option<NatTVersion>) -> EncapsulationMode {
    match (mode, udp) {
        (IpsecMode::Tunnel, None) => EncapsulationMode::TUNNEL,
        (IpsecMode::Transport, None) => EncapsulationMode::TRANSPORT,
        (IpsecMode::Tunnel, Some(NatTVersion::Rfc3947)) => EncapsulationMode::UDP_ENCAPSULATED_TUNNEL,
        (IpsecMode::Transport, Some(NatTVersion::Rfc3947)) => EncapsulationMode::UDP_ENCAPSULATED_TRANSPORT,
        (IpsecMode::Tunnel, Some(_)) => EncapsulationMode::UDP_ENCAPSULATED_TUNNEL_DRAFT,
        (IpsecMode::Transport, Some(_)) => EncapsulationMode::UDP_ENCAPSULATED_TRANSPORT_DRAFT,
    }
}

fn read_encapsulation_mode(value: u16) -> Option<(IpsecMode, bool)> {
    match EncapsulationMode(value) {
        EncapsulationMode::TUNNEL => Some((IpsecMode::Tunnel, false)),
        EncapsulationMode::TRANSPORT => Some((IpsecMode::Transport, false)),
        EncapsulationMode::UDP_ENCAPSULATED_TUNNEL | EncapsulationMode::UDP_ENCAPSULATED_TUNNEL_DRAFT => {
            Some((IpsecMode::Tunnel, true))
        }
        EncapsulationMode::UDP_ENCAPSULATED_TRANSPORT
        | EncapsulationMode::UDP_ENCAPSULATED_TRANSPORT_DRAFT => Some((IpsecMode::Transport, true)),
        _ => None,
    }
}

/// One ESP transform with its attributes.
pub fn transform_for(number: u8, offer: &EspOffer, udp: Option<NatTVersion>) -> Transform {
    let (transform_id, key_length) = offer.proposal.cipher.encryption().transform();
    let mut attributes = vec![
        Attribute::basic(A::SA_LIFE_TYPE.0, LifeType::SECONDS.0),
        Attribute::integer(A::SA_LIFE_DURATION.0, u64::from(offer.lifetime.seconds)),
    ];
    if let Some(kilobytes) = offer.lifetime.kilobytes {
        attributes.push(Attribute::basic(A::SA_LIFE_TYPE.0, LifeType::KILOBYTES.0));
        attributes.push(Attribute::integer(A::SA_LIFE_DURATION.0, u64::from(kilobytes)));
    }
    if let Some(group) = offer.pfs {
        attributes.push(Attribute::basic(A::GROUP_DESCRIPTION.0, group.number()));
    }
    attributes.push(Attribute::basic(A::ENCAPSULATION_MODE.0, encapsulation_mode(offer.mode, udp).0));
    if let Some(integrity) = offer.proposal.integrity {
        attributes
            .push(Attribute::basic(A::AUTHENTICATION_ALGORITHM.0, integrity.integrity().auth_algorithm()));
    }
    if let Some(bits) = key_length {
        attributes.push(Attribute::basic(A::KEY_LENGTH.0, bits));
    }
    Transform { reserved: 0, number, transform_id, reserved2: 0, attributes }
}

/// Our offer: one ESP proposal with our SPI and one transform per transform
/// set, in our order of preference.
pub fn offer(child: &ChildPolicy, spi: u32, udp: Option<NatTVersion>) -> SecurityAssociation {
    let transforms = offers(child)
        .iter()
        .enumerate()
        .map(|(index, offer)| transform_for(index as u8 + 1, offer, udp))
        .collect();
    SecurityAssociation::ipsec(vec![Proposal {
        reserved: 0,
        number: 1,
        protocol: ProtocolId::ESP,
        spi: spi.to_be_bytes().to_vec(),
        transforms,
    }])
}

/// The transforms a child policy stands for.
pub fn offers(child: &ChildPolicy) -> Vec<EspOffer> {
    child
        .esp_proposals
        .iter()
        .map(|proposal| EspOffer {
            proposal: *proposal,
            pfs: child.pfs,
            mode: child.mode,
            udp_encapsulated: false,
            lifetime: child.lifetime,
        })
        .collect()
}

/// Reads an ESP transform into policy terms (RFC 2407 4.5).
pub fn read_transform(transform: &Transform) -> Result<EspOffer, NotAcceptable> {
    let refuse = |why: &str| NotAcceptable(why.to_owned());
    let mut key_length = None;
    let mut integrity = None;
    let mut pfs = None;
    let mut encapsulation = None;
    let mut lifetime = IpsecLifetime { seconds: DEFAULT_IPSEC_LIFETIME_SECS, kilobytes: None };
    let mut life_type = None;
    for attribute in &transform.attributes {
        let basic = match attribute.value {
            AttributeValue::Basic(value) => Some(value),
            AttributeValue::Variable(_) => None,
        };
        match (A(attribute.kind), basic) {
            (A::SA_LIFE_TYPE, Some(value)) => life_type = Some(LifeType(value)),
            (A::SA_LIFE_DURATION, _) => {
                let value = attribute.as_integer().ok_or_else(|| refuse("bad SA life duration"))?;
                let value = u32::try_from(value).unwrap_or(u32::MAX);
                match life_type {
                    Some(LifeType::SECONDS) => lifetime.seconds = value,
                    Some(LifeType::KILOBYTES) => lifetime.kilobytes = Some(value),
                    _ => return Err(refuse("SA life duration without a life type")),
                }
            }
            (A::GROUP_DESCRIPTION, Some(value)) => {
                pfs = Some(DhGroup::from_number(value).ok_or_else(|| refuse("PFS group not supported"))?)
            }
            (A::ENCAPSULATION_MODE, Some(value)) => {
                encapsulation =
                    Some(read_encapsulation_mode(value).ok_or_else(|| refuse("encapsulation mode"))?)
            }
            (A::AUTHENTICATION_ALGORITHM, Some(value)) => {
                integrity = Some(
                    EspIntegrity::from_auth_algorithm(value)
                        .map_err(|_| refuse("authentication algorithm not supported"))?,
                )
            }
            (A::KEY_LENGTH, Some(value)) => key_length = Some(value),
            (kind, _) => {
                return Err(NotAcceptable(format!("attribute {} is not supported", kind.labelled())));
            }
        }
    }
    // RFC 2451 / 2407: 3DES has a fixed key length; some peers still send 192.
    let key_length = if transform.transform_id == EspTransformId::TRIPLE_DES.0 { None } else { key_length };
    let encryption = EspEncryption::from_transform(transform.transform_id, key_length)
        .map_err(|_| refuse("ESP transform not supported"))?;
    let (mode, udp_encapsulated) = encapsulation.unwrap_or((IpsecMode::Tunnel, false));
    let integrity = integrity.map(EspIntegrityAlgorithm::from_integrity);
    if encryption.is_aead() != integrity.is_none() {
        return Err(refuse("integrity algorithm does not fit the cipher"));
    }
    Ok(EspOffer {
        proposal: EspProposal { cipher: EspCipher::from_encryption(encryption), integrity },
        pfs,
        mode,
        udp_encapsulated,
        lifetime,
    })
}

/// What the responder agreed to.
#[derive(Debug)]
pub struct Chosen {
    pub proposal_number: u8,
    /// The initiator's SPI: our outbound SPI.
    pub peer_spi: u32,
    pub transform: Transform,
    pub agreed: EspOffer,
    /// Set when our lifetime is shorter than proposed and we tell the
    /// initiator so (RFC 2407 4.6.3.1).
    pub responder_lifetime: Option<IpsecLifetime>,
}

/// The responder's choice among the initiator's ESP transforms.
pub fn choose(
    sa: &SecurityAssociation,
    child: &ChildPolicy,
    rule: ResponderChoice,
    lifetime_rule: LifetimeRule,
    checks: &mut Vec<Check>,
) -> Result<Chosen, Refusal> {
    let refuse = |notify, reason: &str| Refusal { notify, reason: reason.to_owned() };
    let ipsec = super::proposal::ipsec_situation(sa)?;
    let ours = offers(child);
    let mut candidates = Vec::new();
    for proposal in &ipsec.proposals {
        if proposal.protocol != ProtocolId::ESP {
            continue;
        }
        let Ok(spi) = <[u8; 4]>::try_from(proposal.spi.as_slice()) else {
            return Err(refuse(NotifyType::INVALID_SPI, "ESP SPI must be 4 bytes"));
        };
        for transform in &proposal.transforms {
            candidates.push((proposal.number, u32::from_be_bytes(spi), transform, read_transform(transform)));
        }
    }
    if candidates.is_empty() {
        return Err(refuse(NotifyType::INVALID_PROTOCOL_ID, "no ESP proposal"));
    }
    let mut attempt = |theirs: &Result<EspOffer, NotAcceptable>, own: &EspOffer, number: u8| {
        let outcome = match theirs {
            Err(why) => Err(why.clone()),
            Ok(theirs) => compare(theirs, own, lifetime_rule),
        };
        checks.push(Check {
            transform: number,
            priority: 0,
            attributes: Vec::new(),
            outcome: outcome.clone().map(|_| ()),
        });
        outcome.map(|responder_lifetime| (responder_lifetime, *own))
    };
    let found = match rule {
        ResponderChoice::OwnPriority => ours.iter().find_map(|own| {
            candidates.iter().find_map(|c| attempt(&c.3, own, c.2.number).ok().map(|r| (c, r)))
        }),
        ResponderChoice::InitiatorOrder => candidates
            .iter()
            .find_map(|c| ours.iter().find_map(|own| attempt(&c.3, own, c.2.number).ok().map(|r| (c, r)))),
    };
    let Some(((number, spi, transform, Ok(theirs)), (responder_lifetime, _own))) = found else {
        return Err(refuse(NotifyType::NO_PROPOSAL_CHOSEN, "no offered ESP transform matches"));
    };
    let agreed = EspOffer { lifetime: responder_lifetime.unwrap_or(theirs.lifetime), ..*theirs };
    Ok(Chosen {
        proposal_number: *number,
        peer_spi: *spi,
        transform: (*transform).clone(),
        agreed,
        responder_lifetime,
    })
}

/// Whether an offered transform matches one of ours; `Some(lifetime)` when
/// the responder imposes its shorter lifetime.
fn compare(
    theirs: &EspOffer,
    own: &EspOffer,
    rule: LifetimeRule,
) -> Result<Option<IpsecLifetime>, NotAcceptable> {
    if theirs.proposal != own.proposal {
        return Err(NotAcceptable("transform set does not match".into()));
    }
    if theirs.mode != own.mode {
        return Err(NotAcceptable("encapsulation mode does not match".into()));
    }
    // PFS: required by us => the same group; not required => whatever the
    // initiator asks for (as IOS does).
    if own.pfs.is_some() && theirs.pfs != own.pfs {
        return Err(NotAcceptable("PFS group does not match policy".into()));
    }
    let own_kb = own.lifetime.kilobytes.unwrap_or(u32::MAX);
    let their_kb = theirs.lifetime.kilobytes.unwrap_or(u32::MAX);
    match rule {
        LifetimeRule::RequireEqual if theirs.lifetime != own.lifetime => {
            Err(NotAcceptable("lifetime does not match policy".into()))
        }
        // IOS: a longer proposal is accepted with our lifetime, and the
        // initiator is told with RESPONDER-LIFETIME.
        LifetimeRule::AcceptShorter
            if theirs.lifetime.seconds > own.lifetime.seconds || their_kb > own_kb =>
        {
            Ok(Some(IpsecLifetime {
                seconds: theirs.lifetime.seconds.min(own.lifetime.seconds),
                kilobytes: own.lifetime.kilobytes.or(theirs.lifetime.kilobytes).map(|kb| kb.min(their_kb)),
            }))
        }
        _ => Ok(None),
    }
}

/// As initiator: the responder's SA must hold one ESP transform we offered,
/// unmodified; returns it and the responder's SPI.
pub fn accept_response(
    sa: &SecurityAssociation,
    offered: &SecurityAssociation,
) -> Result<(EspOffer, u32), NotAcceptable> {
    let proposals: Vec<&Proposal> = sa.proposals().iter().filter(|p| p.protocol == ProtocolId::ESP).collect();
    let [proposal] = proposals.as_slice() else {
        return Err(NotAcceptable("responder must choose exactly one ESP proposal".into()));
    };
    let [transform] = proposal.transforms.as_slice() else {
        return Err(NotAcceptable("responder must choose exactly one transform".into()));
    };
    let spi = <[u8; 4]>::try_from(proposal.spi.as_slice())
        .map_err(|_| NotAcceptable("responder SPI must be 4 bytes".into()))?;
    // Peers rebuild the transform from what they selected rather than echo
    // it (strongSwan does), so compare meanings, not attribute order. The
    // lifetime may only shrink, and then only by RESPONDER-LIFETIME.
    let chosen = read_transform(transform)?;
    let offered =
        offered.proposals().iter().flat_map(|p| p.transforms.iter()).filter_map(|t| read_transform(t).ok());
    let matched = offered
        .into_iter()
        .find(|ours| {
            EspOffer { lifetime: chosen.lifetime, ..*ours } == chosen
                && chosen.lifetime.seconds <= ours.lifetime.seconds
        })
        .ok_or_else(|| NotAcceptable("responder chose a transform we did not offer".into()))?;
    Ok((matched, u32::from_be_bytes(spi)))
}

/// The lifetime attributes of a RESPONDER-LIFETIME notify (RFC 2407 4.6.3.1).
pub fn lifetime_attributes(lifetime: &IpsecLifetime) -> Vec<u8> {
    let mut attributes = vec![
        Attribute::basic(A::SA_LIFE_TYPE.0, LifeType::SECONDS.0),
        Attribute::integer(A::SA_LIFE_DURATION.0, u64::from(lifetime.seconds)),
    ];
    if let Some(kilobytes) = lifetime.kilobytes {
        attributes.push(Attribute::basic(A::SA_LIFE_TYPE.0, LifeType::KILOBYTES.0));
        attributes.push(Attribute::integer(A::SA_LIFE_DURATION.0, u64::from(kilobytes)));
    }
    let mut writer = isakmp::codec::Writer::new();
    let _ = Attribute::emit_all(&attributes, &mut writer);
    writer.into_vec()
}

/// Reads the lifetimes of a RESPONDER-LIFETIME notify.
pub fn read_lifetime_attributes(data: &[u8], mut lifetime: IpsecLifetime) -> IpsecLifetime {
    let Ok(attributes) = Attribute::parse_all(&mut isakmp::codec::Reader::new(data)) else { return lifetime };
    let mut life_type = None;
    for attribute in attributes {
        match A(attribute.kind) {
            A::SA_LIFE_TYPE => life_type = attribute.as_integer().map(|v| LifeType(v as u16)),
            A::SA_LIFE_DURATION => {
                let value = attribute.as_integer().map(|v| u32::try_from(v).unwrap_or(u32::MAX));
                match (life_type, value) {
                    (Some(LifeType::SECONDS), Some(seconds)) => lifetime.seconds = seconds,
                    (Some(LifeType::KILOBYTES), Some(kilobytes)) => lifetime.kilobytes = Some(kilobytes),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    lifetime
}
