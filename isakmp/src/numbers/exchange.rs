use crate::registry::open_registry;

open_registry! {
    /// Exchange types: RFC 2408 3.1, RFC 2409 (Quick Mode, New Group Mode),
    /// draft-ietf-ipsec-isakmp-mode-cfg (Transaction), and IKEv2's for recognition.
    pub struct ExchangeType(u8) {
        NONE = 0 => "None",
        BASE = 1 => "Base",
        /// Main Mode in RFC 2409 terms.
        IDENTITY_PROTECTION = 2 => "Identity Protection (Main Mode)",
        AUTHENTICATION_ONLY = 3 => "Authentication Only",
        AGGRESSIVE = 4 => "Aggressive",
        INFORMATIONAL = 5 => "Informational",
        TRANSACTION = 6 => "Transaction (Config Mode)",
        QUICK_MODE = 32 => "Quick Mode",
        NEW_GROUP_MODE = 33 => "New Group Mode",
        IKEV2_SA_INIT = 34 => "IKE_SA_INIT (IKEv2)",
        IKEV2_AUTH = 35 => "IKE_AUTH (IKEv2)",
        IKEV2_CREATE_CHILD_SA = 36 => "CREATE_CHILD_SA (IKEv2)",
        IKEV2_INFORMATIONAL = 37 => "INFORMATIONAL (IKEv2)",
    }
}
