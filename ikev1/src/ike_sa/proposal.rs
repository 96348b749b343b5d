//! Phase 1 SA payloads: building our offer from the ISAKMP policies, reading a
//! transform back into policy terms, and choosing one as responder
//! (RFC 2408 5.4-5.6, RFC 2409 5 and Appendix A).

use isakmp::numbers::{
    AuthenticationMethod, Doi, GroupDescription, IsakmpTransformId, LifeType, NotifyType,
    Phase1AttributeType as A, ProtocolId, Situation,
};
use isakmp::payload::{IpsecSituation, Proposal, SaContent, SecurityAssociation, Transform};
use isakmp::{Attribute, AttributeValue};

use crate::crypto::{EncryptionAlgorithm, HashAlgorithm};
use crate::policy::{DhGroup, IkeCipher, IkeHash, IkeProposal, LifetimeRule, ResponderChoice};

/// RFC 2409 Appendix A: the lifetime when a transform names none.
pub const DEFAULT_PHASE1_LIFETIME_SECS: u32 = 28_800;

/// Our offer: one proposal with one transform per ISAKMP policy, in
/// priority order (RFC 2409 5: a single Proposal with multiple Transforms).
pub fn offer(proposals: &[IkeProposal]) -> SecurityAssociation {
    let transforms =
        proposals.iter().enumerate().map(|(index, p)| transform_for(index as u8 + 1, p)).collect();
    SecurityAssociation::ipsec(vec![Proposal {
        reserved: 0,
        number: 1,
        protocol: ProtocolId::ISAKMP,
        spi: Vec::new(),
        transforms,
    }])
}

/// A KEY_IKE transform, attributes in the order strongSwan sends them.
pub fn transform_for(number: u8, proposal: &IkeProposal) -> Transform {
    let (encryption, key_length) = proposal.cipher.algorithm().ike_attributes();
    let mut attributes = vec![Attribute::basic(A::ENCRYPTION_ALGORITHM.0, encryption)];
    if let Some(bits) = key_length {
        attributes.push(Attribute::basic(A::KEY_LENGTH.0, bits));
    }
    attributes.extend([
        Attribute::basic(A::HASH_ALGORITHM.0, proposal.hash.algorithm().ike_attribute()),
        Attribute::basic(A::GROUP_DESCRIPTION.0, proposal.group.number()),
        Attribute::basic(A::AUTHENTICATION_METHOD.0, AuthenticationMethod::PRE_SHARED_KEY.0),
        Attribute::basic(A::LIFE_TYPE.0, LifeType::SECONDS.0),
        Attribute::integer(A::LIFE_DURATION.0, u64::from(proposal.lifetime_secs)),
    ]);
    Transform { reserved: 0, number, transform_id: IsakmpTransformId::KEY_IKE.0, reserved2: 0, attributes }
}

/// Why a transform cannot be used, in IOS's words where it has some.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAcceptable(pub String);

/// Reads a KEY_IKE transform into policy terms, refusing anything we do not
/// implement (RFC 2408 5.6: ATTRIBUTES-NOT-SUPPORTED).
pub fn read_transform(transform: &Transform) -> Result<IkeProposal, NotAcceptable> {
    let refuse = |why: String| Err(NotAcceptable(why));
    if transform.transform_id != IsakmpTransformId::KEY_IKE.0 {
        return refuse(format!("transform id {} is not KEY_IKE", transform.transform_id));
    }
    let mut encryption = None;
    let mut key_length = None;
    let mut hash = None;
    let mut group = None;
    let mut auth = None;
    let mut lifetime = DEFAULT_PHASE1_LIFETIME_SECS;
    let mut life_type = None;
    for attribute in &transform.attributes {
        let basic = match attribute.value {
            AttributeValue::Basic(value) => Some(value),
            AttributeValue::Variable(_) => None,
        };
        match (A(attribute.kind), basic) {
            (A::ENCRYPTION_ALGORITHM, Some(value)) => encryption = Some(value),
            (A::KEY_LENGTH, Some(value)) => key_length = Some(value),
            (A::HASH_ALGORITHM, Some(value)) => hash = Some(value),
            (A::GROUP_DESCRIPTION, Some(value)) => group = Some(value),
            (A::AUTHENTICATION_METHOD, Some(value)) => auth = Some(value),
            (A::LIFE_TYPE, Some(value)) => life_type = Some(LifeType(value)),
            // RFC 2409 A: a Life-Duration follows its Life-Type.
            (A::LIFE_DURATION, _) if life_type == Some(LifeType::SECONDS) => {
                let seconds =
                    attribute.as_integer().ok_or_else(|| NotAcceptable("bad life duration".into()))?;
                lifetime = u32::try_from(seconds).unwrap_or(u32::MAX);
            }
            // Kilobyte lifetimes are not enforced on ISAKMP SAs; accept and ignore.
            (A::LIFE_DURATION, _) if life_type == Some(LifeType::KILOBYTES) => {}
            (kind, _) => return refuse(format!("attribute {} is not supported", kind.labelled())),
        }
    }
    let cipher = encryption
        .ok_or_else(|| NotAcceptable("no encryption algorithm".into()))
        .and_then(|value| {
            EncryptionAlgorithm::from_ike_attributes(value, key_length)
                .map_err(|_| NotAcceptable("Encryption algorithm offered does not match policy!".into()))
        })
        .map(IkeCipher::from_algorithm)?;
    let hash = hash
        .ok_or_else(|| NotAcceptable("no hash algorithm".into()))
        .and_then(|value| {
            HashAlgorithm::from_ike_attribute(value)
                .map_err(|_| NotAcceptable("Hash algorithm offered does not match policy!".into()))
        })
        .map(IkeHash::from_algorithm)?;
    let group = group
        .and_then(DhGroup::from_number)
        .ok_or_else(|| NotAcceptable("Diffie-Hellman group offered does not match policy!".into()))?;
    if auth != Some(AuthenticationMethod::PRE_SHARED_KEY.0) {
        return refuse("Authentication method offered does not match policy!".into());
    }
    Ok(IkeProposal { priority: 0, cipher, hash, group, lifetime_secs: lifetime })
}

/// The IOS-style attribute lines of `Checking ISAKMP transform`.
pub fn describe(transform: &Transform) -> Vec<String> {
    transform
        .attributes
        .iter()
        .map(|attribute| {
            let value = attribute.as_integer().unwrap_or_default();
            let value16 = u16::try_from(value).unwrap_or(u16::MAX);
            match A(attribute.kind) {
                A::ENCRYPTION_ALGORITHM => {
                    format!("encryption {}", isakmp::numbers::EncryptionAlgorithm(value16))
                }
                A::KEY_LENGTH => format!("keylength of {value}"),
                A::HASH_ALGORITHM => format!("hash {}", isakmp::numbers::HashAlgorithm(value16)),
                A::GROUP_DESCRIPTION => format!("default group {}", GroupDescription(value16).0),
                A::AUTHENTICATION_METHOD if value16 == 1 => "auth pre-share".to_owned(),
                A::AUTHENTICATION_METHOD => format!("auth {}", AuthenticationMethod(value16)),
                A::LIFE_TYPE => format!("life type in {}", LifeType(value16)),
                A::LIFE_DURATION => format!("life duration of {value}"),
                other => format!("{} {value}", other.labelled()),
            }
        })
        .collect()
}

/// The outcome of matching an initiator's SA against our policies.
#[derive(Debug)]
pub struct Choice {
    /// The initiator's transform, to be returned verbatim (RFC 2409 5: the
    /// responder MUST NOT modify it).
    pub transform: Transform,
    pub proposal_number: u8,
    /// The agreed parameters: the initiator's lifetime, our policy's priority.
    pub agreed: IkeProposal,
}

/// One "Checking ISAKMP transform N against priority P policy" step.
#[derive(Debug)]
pub struct Check {
    pub transform: u8,
    pub priority: u16,
    pub attributes: Vec<String>,
    pub outcome: Result<(), NotAcceptable>,
}

/// Why no choice was made, with the Notify type RFC 2408 5.4-5.6 prescribes.
#[derive(Debug)]
pub struct Refusal {
    pub notify: NotifyType,
    pub reason: String,
}

/// Chooses a transform of a Phase 1 SA as responder.
pub fn choose(
    sa: &SecurityAssociation,
    own: &[IkeProposal],
    rule: ResponderChoice,
    lifetime_rule: LifetimeRule,
    checks: &mut Vec<Check>,
) -> Result<Choice, Refusal> {
    let refuse = |notify, reason: &str| Refusal { notify, reason: reason.to_owned() };
    let ipsec = ipsec_situation(sa)?;
    let [proposal] = ipsec.proposals.as_slice() else {
        return Err(refuse(NotifyType::BAD_PROPOSAL_SYNTAX, "Phase 1 SA must hold exactly one proposal"));
    };
    if proposal.protocol != ProtocolId::ISAKMP {
        return Err(refuse(NotifyType::INVALID_PROTOCOL_ID, "proposal protocol is not PROTO_ISAKMP"));
    }
    let mut ordered = own.to_vec();
    ordered.sort_by_key(|policy| policy.priority);
    let offered: Vec<(&Transform, Result<IkeProposal, NotAcceptable>)> =
        proposal.transforms.iter().map(|t| (t, read_transform(t))).collect();
    let mut attempt =
        |transform: &Transform, theirs: &Result<IkeProposal, NotAcceptable>, policy: &IkeProposal| {
            let outcome = match theirs {
                Err(why) => Err(why.clone()),
                Ok(theirs) if !theirs.same_algorithms(policy) => {
                    Err(NotAcceptable(mismatch(theirs, policy).to_owned()))
                }
                Ok(theirs) if !lifetime_rule.accepts(theirs.lifetime_secs, policy.lifetime_secs) => {
                    Err(NotAcceptable(format!(
                        "Lifetime {} does not match policy ({lifetime_rule:?})",
                        theirs.lifetime_secs
                    )))
                }
                Ok(_) => Ok(()),
            };
            checks.push(Check {
                transform: transform.number,
                priority: policy.priority,
                attributes: describe(transform),
                outcome: outcome.clone(),
            });
            outcome.is_ok()
        };
    let pair = match rule {
        ResponderChoice::OwnPriority => ordered.iter().find_map(|policy| {
            offered
                .iter()
                .find(|(t, theirs)| attempt(t, theirs, policy))
                .map(|(t, theirs)| (*t, theirs, policy))
        }),
        ResponderChoice::InitiatorOrder => offered.iter().find_map(|(t, theirs)| {
            ordered.iter().find(|policy| attempt(t, theirs, policy)).map(|policy| (*t, theirs, policy))
        }),
    };
    match pair {
        Some((transform, Ok(theirs), policy)) => Ok(Choice {
            transform: transform.clone(),
            proposal_number: proposal.number,
            agreed: IkeProposal { priority: policy.priority, ..*theirs },
        }),
        _ => Err(refuse(NotifyType::NO_PROPOSAL_CHOSEN, "no offered transform matches a policy")),
    }
}

/// RFC 2408 5.4: the DOI must be supported (DOI-NOT-SUPPORTED) and the
/// situation too (SITUATION-NOT-SUPPORTED; we support SIT_IDENTITY_ONLY).
pub fn ipsec_situation(sa: &SecurityAssociation) -> Result<&IpsecSituation, Refusal> {
    let refuse = |notify, reason: &str| Refusal { notify, reason: reason.to_owned() };
    match &sa.content {
        SaContent::Ipsec(ipsec) if sa.doi == Doi::IPSEC => {
            if ipsec.situation == Situation::IDENTITY_ONLY {
                Ok(ipsec)
            } else {
                Err(refuse(NotifyType::SITUATION_NOT_SUPPORTED, "situation is not SIT_IDENTITY_ONLY"))
            }
        }
        _ => Err(refuse(NotifyType::DOI_NOT_SUPPORTED, "DOI is not IPsec")),
    }
}

fn mismatch(theirs: &IkeProposal, ours: &IkeProposal) -> &'static str {
    if theirs.cipher != ours.cipher {
        "Encryption algorithm offered does not match policy!"
    } else if theirs.hash != ours.hash {
        "Hash algorithm offered does not match policy!"
    } else {
        "Diffie-Hellman group offered does not match policy!"
    }
}

/// As initiator: the responder's SA must hold one proposal with one of our
/// transforms, unmodified (RFC 2409 5).
pub fn accept_response(
    sa: &SecurityAssociation,
    offered: &SecurityAssociation,
) -> Result<IkeProposal, NotAcceptable> {
    let [proposal] = sa.proposals() else {
        return Err(NotAcceptable("responder SA must hold exactly one proposal".into()));
    };
    let [transform] = proposal.transforms.as_slice() else {
        return Err(NotAcceptable("responder proposal must hold exactly one transform".into()));
    };
    // Compare meanings, not attribute order: peers rebuild the transform.
    let chosen = read_transform(transform)?;
    let mut ours =
        offered.proposals().iter().flat_map(|p| p.transforms.iter()).filter_map(|t| read_transform(t).ok());
    ours.find(|ours| *ours == chosen)
        .ok_or_else(|| NotAcceptable("responder chose a transform we did not offer".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposal(text: &str, priority: u16) -> IkeProposal {
        text.parse::<IkeProposal>().unwrap().with_priority(priority)
    }

    #[test]
    fn own_priority_and_initiator_order_pick_differently() {
        let offered = offer(&[proposal("aes128-sha1-modp1024", 0), proposal("aes256-sha256-modp2048", 0)]);
        let own = [proposal("aes256-sha256-modp2048", 10), proposal("aes128-sha1-modp1024", 20)];
        let mut checks = Vec::new();
        let chosen =
            choose(&offered, &own, ResponderChoice::OwnPriority, LifetimeRule::AcceptShorter, &mut checks)
                .unwrap();
        assert_eq!(chosen.agreed.to_string(), "aes256-sha256-modp2048");
        assert_eq!(chosen.transform.number, 2);
        let chosen =
            choose(&offered, &own, ResponderChoice::InitiatorOrder, LifetimeRule::AcceptShorter, &mut checks)
                .unwrap();
        assert_eq!(chosen.agreed.to_string(), "aes128-sha1-modp1024");
    }

    #[test]
    fn lifetime_rules_decide_acceptance() {
        let offered = offer(&[proposal("aes128-sha256-modp2048", 0).with_lifetime(90_000)]);
        let own = [proposal("aes128-sha256-modp2048", 10)];
        let mut checks = Vec::new();
        let refused =
            choose(&offered, &own, ResponderChoice::OwnPriority, LifetimeRule::AcceptShorter, &mut checks);
        assert_eq!(refused.unwrap_err().notify, NotifyType::NO_PROPOSAL_CHOSEN);
        assert!(checks[0].outcome.is_err());
        let accepted =
            choose(&offered, &own, ResponderChoice::OwnPriority, LifetimeRule::AcceptAny, &mut checks);
        assert_eq!(accepted.unwrap().agreed.lifetime_secs, 90_000);
    }

    #[test]
    fn our_transforms_read_back_as_the_policy_they_came_from() {
        for text in ["aes128-sha256-modp2048", "3des-md5-modp768", "aes256-sha512-modp8192"] {
            let policy = proposal(text, 0).with_lifetime(3600);
            assert_eq!(read_transform(&transform_for(1, &policy)).unwrap(), policy);
        }
    }
}
