use crate::registry::open_registry;

open_registry! {
    /// Next Payload values: RFC 2408 3.1, RFC 3947 (NAT-T) and its drafts,
    /// IKE fragmentation, and IKEv2's numbers so stray IKEv2 payloads are named.
    pub struct PayloadType(u8) {
        NONE = 0 => "None",
        SA = 1 => "Security Association",
        PROPOSAL = 2 => "Proposal",
        TRANSFORM = 3 => "Transform",
        KE = 4 => "Key Exchange",
        ID = 5 => "Identification",
        CERT = 6 => "Certificate",
        CR = 7 => "Certificate Request",
        HASH = 8 => "Hash",
        SIG = 9 => "Signature",
        NONCE = 10 => "Nonce",
        NOTIFICATION = 11 => "Notification",
        DELETE = 12 => "Delete",
        VENDOR_ID = 13 => "Vendor ID",
        ATTRIBUTES = 14 => "Attributes (Config Mode)",
        NAT_D = 20 => "NAT-D (RFC 3947)",
        NAT_OA = 21 => "NAT-OA (RFC 3947)",
        IKEV2_SA = 33 => "Security Association (IKEv2)",
        IKEV2_KE = 34 => "Key Exchange (IKEv2)",
        IKEV2_IDI = 35 => "Identification - Initiator (IKEv2)",
        IKEV2_IDR = 36 => "Identification - Responder (IKEv2)",
        IKEV2_CERT = 37 => "Certificate (IKEv2)",
        IKEV2_CERTREQ = 38 => "Certificate Request (IKEv2)",
        IKEV2_AUTH = 39 => "Authentication (IKEv2)",
        IKEV2_NONCE = 40 => "Nonce (IKEv2)",
        IKEV2_NOTIFY = 41 => "Notify (IKEv2)",
        IKEV2_DELETE = 42 => "Delete (IKEv2)",
        IKEV2_VENDOR_ID = 43 => "Vendor ID (IKEv2)",
        IKEV2_TSI = 44 => "Traffic Selector - Initiator (IKEv2)",
        IKEV2_TSR = 45 => "Traffic Selector - Responder (IKEv2)",
        IKEV2_SK = 46 => "Encrypted and Authenticated (IKEv2)",
        IKEV2_CP = 47 => "Configuration (IKEv2)",
        IKEV2_EAP = 48 => "Extensible Authentication (IKEv2)",
        NAT_D_DRAFT = 130 => "NAT-D (draft-ietf-ipsec-nat-t-ike)",
        NAT_OA_DRAFT = 131 => "NAT-OA (draft-ietf-ipsec-nat-t-ike)",
        FRAGMENT = 132 => "IKE Fragment",
    }
}

impl PayloadType {
    /// The short name used in JSON output and one-line summaries.
    pub fn short_name(self) -> Option<&'static str> {
        Some(match self {
            Self::SA => "SA",
            Self::PROPOSAL => "P",
            Self::TRANSFORM => "T",
            Self::KE => "KE",
            Self::ID => "ID",
            Self::CERT => "CERT",
            Self::CR => "CR",
            Self::HASH => "HASH",
            Self::SIG => "SIG",
            Self::NONCE => "NONCE",
            Self::NOTIFICATION => "N",
            Self::DELETE => "D",
            Self::VENDOR_ID => "VID",
            Self::ATTRIBUTES => "ATTR",
            Self::NAT_D | Self::NAT_D_DRAFT => "NAT-D",
            Self::NAT_OA | Self::NAT_OA_DRAFT => "NAT-OA",
            Self::FRAGMENT => "FRAG",
            _ => return None,
        })
    }

    /// The short name, or the number for a type without one.
    pub fn short_label(self) -> String {
        self.short_name().map_or_else(|| self.0.to_string(), str::to_owned)
    }
}
