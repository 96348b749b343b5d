use crate::registry::open_registry;

open_registry! {
    /// Identification types (RFC 2407 4.6.2.1).
    pub struct IdType(u8) {
        IPV4_ADDR = 1 => "ID_IPV4_ADDR",
        FQDN = 2 => "ID_FQDN",
        USER_FQDN = 3 => "ID_USER_FQDN",
        IPV4_ADDR_SUBNET = 4 => "ID_IPV4_ADDR_SUBNET",
        IPV6_ADDR = 5 => "ID_IPV6_ADDR",
        IPV6_ADDR_SUBNET = 6 => "ID_IPV6_ADDR_SUBNET",
        IPV4_ADDR_RANGE = 7 => "ID_IPV4_ADDR_RANGE",
        IPV6_ADDR_RANGE = 8 => "ID_IPV6_ADDR_RANGE",
        DER_ASN1_DN = 9 => "ID_DER_ASN1_DN",
        DER_ASN1_GN = 10 => "ID_DER_ASN1_GN",
        KEY_ID = 11 => "ID_KEY_ID",
    }
}
