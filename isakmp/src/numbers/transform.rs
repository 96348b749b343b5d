//! Transform identifiers: one namespace per security protocol (RFC 2407 4.4).

use crate::registry::open_registry;

open_registry! {
    /// Transform IDs of PROTO_ISAKMP (RFC 2407 4.4.2).
    pub struct IsakmpTransformId(u8) {
        KEY_IKE = 1 => "KEY_IKE",
    }
}

open_registry! {
    /// Transform IDs of PROTO_IPSEC_AH (RFC 2407 4.4.3, RFC 4868).
    pub struct AhTransformId(u8) {
        MD5 = 2 => "AH_MD5",
        SHA = 3 => "AH_SHA",
        DES = 4 => "AH_DES",
        SHA2_256 = 5 => "AH_SHA2-256",
        SHA2_384 = 6 => "AH_SHA2-384",
        SHA2_512 = 7 => "AH_SHA2-512",
    }
}

open_registry! {
    /// Transform IDs of PROTO_IPSEC_ESP (RFC 2407 4.4.4, RFC 3602, RFC 4106 and later).
    pub struct EspTransformId(u8) {
        DES_IV64 = 1 => "ESP_DES_IV64",
        DES = 2 => "ESP_DES",
        TRIPLE_DES = 3 => "ESP_3DES",
        RC5 = 4 => "ESP_RC5",
        IDEA = 5 => "ESP_IDEA",
        CAST = 6 => "ESP_CAST",
        BLOWFISH = 7 => "ESP_BLOWFISH",
        THREE_IDEA = 8 => "ESP_3IDEA",
        DES_IV32 = 9 => "ESP_DES_IV32",
        RC4 = 10 => "ESP_RC4",
        NULL = 11 => "ESP_NULL",
        AES_CBC = 12 => "ESP_AES-CBC",
        AES_CTR = 13 => "ESP_AES-CTR",
        AES_CCM_8 = 14 => "ESP_AES-CCM_8",
        AES_CCM_12 = 15 => "ESP_AES-CCM_12",
        AES_CCM_16 = 16 => "ESP_AES-CCM_16",
        AES_GCM_8 = 18 => "ESP_AES-GCM_8",
        AES_GCM_12 = 19 => "ESP_AES-GCM_12",
        AES_GCM_16 = 20 => "ESP_AES-GCM_16",
        NULL_AUTH_AES_GMAC = 23 => "ESP_NULL_AUTH_AES-GMAC",
    }
}

open_registry! {
    /// Transform IDs of PROTO_IPCOMP (RFC 2407 4.4.5).
    pub struct IpcompTransformId(u8) {
        OUI = 1 => "IPCOMP_OUI",
        DEFLATE = 2 => "IPCOMP_DEFLATE",
        LZS = 3 => "IPCOMP_LZS",
    }
}
