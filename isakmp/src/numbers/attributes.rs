//! Data attribute types and their value registries.
//!
//! Phase 1 (PROTO_ISAKMP) transforms use the attribute classes of RFC 2409
//! Appendix A; IPsec transforms (AH, ESP, IPCOMP) use RFC 2407 4.5. The same
//! number means different things in each, so they are separate registries.

use crate::registry::open_registry;

open_registry! {
    /// Phase 1 attribute classes (RFC 2409 Appendix A).
    pub struct Phase1AttributeType(u16) {
        ENCRYPTION_ALGORITHM = 1 => "Encryption-Algorithm",
        HASH_ALGORITHM = 2 => "Hash-Algorithm",
        AUTHENTICATION_METHOD = 3 => "Authentication-Method",
        GROUP_DESCRIPTION = 4 => "Group-Description",
        GROUP_TYPE = 5 => "Group-Type",
        GROUP_PRIME = 6 => "Group-Prime/Irreducible-Polynomial",
        GROUP_GENERATOR_ONE = 7 => "Group-Generator-One",
        GROUP_GENERATOR_TWO = 8 => "Group-Generator-Two",
        GROUP_CURVE_A = 9 => "Group-Curve-A",
        GROUP_CURVE_B = 10 => "Group-Curve-B",
        LIFE_TYPE = 11 => "Life-Type",
        LIFE_DURATION = 12 => "Life-Duration",
        PRF = 13 => "PRF",
        KEY_LENGTH = 14 => "Key-Length",
        FIELD_SIZE = 15 => "Field-Size",
        GROUP_ORDER = 16 => "Group-Order",
    }
}

open_registry! {
    /// IPsec DOI attribute types (RFC 2407 4.5, RFC 3168 ECN, RFC 4304 ESN).
    pub struct IpsecAttributeType(u16) {
        SA_LIFE_TYPE = 1 => "SA-Life-Type",
        SA_LIFE_DURATION = 2 => "SA-Life-Duration",
        GROUP_DESCRIPTION = 3 => "Group-Description",
        ENCAPSULATION_MODE = 4 => "Encapsulation-Mode",
        AUTHENTICATION_ALGORITHM = 5 => "Authentication-Algorithm",
        KEY_LENGTH = 6 => "Key-Length",
        KEY_ROUNDS = 7 => "Key-Rounds",
        COMPRESS_DICTIONARY_SIZE = 8 => "Compress-Dictionary-Size",
        COMPRESS_PRIVATE_ALGORITHM = 9 => "Compress-Private-Algorithm",
        ECN_TUNNEL = 10 => "ECN-Tunnel",
        EXTENDED_SEQUENCE_NUMBER = 11 => "Extended-Sequence-Number",
    }
}

open_registry! {
    /// Phase 1 encryption algorithms (RFC 2409 Appendix A, RFC 3602 for AES).
    pub struct EncryptionAlgorithm(u16) {
        DES_CBC = 1 => "DES-CBC",
        IDEA_CBC = 2 => "IDEA-CBC",
        BLOWFISH_CBC = 3 => "Blowfish-CBC",
        RC5_R16_B64_CBC = 4 => "RC5-R16-B64-CBC",
        TRIPLE_DES_CBC = 5 => "3DES-CBC",
        CAST_CBC = 6 => "CAST-CBC",
        AES_CBC = 7 => "AES-CBC",
        CAMELLIA_CBC = 8 => "CAMELLIA-CBC",
    }
}

open_registry! {
    /// Phase 1 hash algorithms (RFC 2409 Appendix A, RFC 4868 for SHA-2).
    pub struct HashAlgorithm(u16) {
        MD5 = 1 => "MD5",
        SHA1 = 2 => "SHA",
        TIGER = 3 => "Tiger",
        SHA2_256 = 4 => "SHA2-256",
        SHA2_384 = 5 => "SHA2-384",
        SHA2_512 = 6 => "SHA2-512",
    }
}

open_registry! {
    /// Phase 1 authentication methods (RFC 2409 Appendix A; XAUTH and hybrid
    /// values from draft-ietf-ipsec-isakmp-xauth, which Cisco IOS uses).
    pub struct AuthenticationMethod(u16) {
        PRE_SHARED_KEY = 1 => "pre-shared key",
        DSS_SIGNATURES = 2 => "DSS signatures",
        RSA_SIGNATURES = 3 => "RSA signatures",
        RSA_ENCRYPTION = 4 => "Encryption with RSA",
        RSA_REVISED_ENCRYPTION = 5 => "Revised encryption with RSA",
        HYBRID_INIT_RSA = 64221 => "HybridInitRSA",
        HYBRID_RESP_RSA = 64222 => "HybridRespRSA",
        HYBRID_INIT_DSS = 64223 => "HybridInitDSS",
        HYBRID_RESP_DSS = 64224 => "HybridRespDSS",
        XAUTH_INIT_PRE_SHARED = 65001 => "XAUTHInitPreShared",
        XAUTH_RESP_PRE_SHARED = 65002 => "XAUTHRespPreShared",
        XAUTH_INIT_DSS = 65003 => "XAUTHInitDSS",
        XAUTH_RESP_DSS = 65004 => "XAUTHRespDSS",
        XAUTH_INIT_RSA = 65005 => "XAUTHInitRSA",
        XAUTH_RESP_RSA = 65006 => "XAUTHRespRSA",
        XAUTH_INIT_RSA_ENCRYPTION = 65007 => "XAUTHInitRSAEncryption",
        XAUTH_RESP_RSA_ENCRYPTION = 65008 => "XAUTHRespRSAEncryption",
        XAUTH_INIT_RSA_REVISED = 65009 => "XAUTHInitRSARevisedEncryption",
        XAUTH_RESP_RSA_REVISED = 65010 => "XAUTHRespRSARevisedEncryption",
    }
}

open_registry! {
    /// Group descriptions, shared by Phase 1 and IPsec attributes
    /// (RFC 2409 6, RFC 3526, RFC 5903, RFC 5114, RFC 6932).
    pub struct GroupDescription(u16) {
        MODP_768 = 1 => "768-bit MODP group",
        MODP_1024 = 2 => "1024-bit MODP group",
        EC2N_155 = 3 => "EC2N group on GP[2^155]",
        EC2N_185 = 4 => "EC2N group on GP[2^185]",
        MODP_1536 = 5 => "1536-bit MODP group",
        MODP_2048 = 14 => "2048-bit MODP group",
        MODP_3072 = 15 => "3072-bit MODP group",
        MODP_4096 = 16 => "4096-bit MODP group",
        MODP_6144 = 17 => "6144-bit MODP group",
        MODP_8192 = 18 => "8192-bit MODP group",
        ECP_256 = 19 => "256-bit random ECP group",
        ECP_384 = 20 => "384-bit random ECP group",
        ECP_521 = 21 => "521-bit random ECP group",
        MODP_1024_S160 = 22 => "1024-bit MODP group with 160-bit prime order subgroup",
        MODP_2048_S224 = 23 => "2048-bit MODP group with 224-bit prime order subgroup",
        MODP_2048_S256 = 24 => "2048-bit MODP group with 256-bit prime order subgroup",
        ECP_192 = 25 => "192-bit random ECP group",
        ECP_224 = 26 => "224-bit random ECP group",
        BRAINPOOL_P224 = 27 => "224-bit Brainpool ECP group",
        BRAINPOOL_P256 = 28 => "256-bit Brainpool ECP group",
        BRAINPOOL_P384 = 29 => "384-bit Brainpool ECP group",
        BRAINPOOL_P512 = 30 => "512-bit Brainpool ECP group",
    }
}

open_registry! {
    /// Group types (RFC 2409 Appendix A).
    pub struct GroupType(u16) {
        MODP = 1 => "MODP",
        ECP = 2 => "ECP",
        EC2N = 3 => "EC2N",
    }
}

open_registry! {
    /// Life types, shared by Phase 1 (RFC 2409 A) and IPsec (RFC 2407 4.5).
    pub struct LifeType(u16) {
        SECONDS = 1 => "seconds",
        KILOBYTES = 2 => "kilobytes",
    }
}

open_registry! {
    /// IPsec encapsulation modes (RFC 2407 4.5, RFC 3947 5 and its drafts).
    pub struct EncapsulationMode(u16) {
        TUNNEL = 1 => "Tunnel",
        TRANSPORT = 2 => "Transport",
        UDP_ENCAPSULATED_TUNNEL = 3 => "UDP-Encapsulated-Tunnel",
        UDP_ENCAPSULATED_TRANSPORT = 4 => "UDP-Encapsulated-Transport",
        UDP_ENCAPSULATED_TUNNEL_DRAFT = 61443 => "UDP-Encapsulated-Tunnel (draft)",
        UDP_ENCAPSULATED_TRANSPORT_DRAFT = 61444 => "UDP-Encapsulated-Transport (draft)",
    }
}

open_registry! {
    /// IPsec authentication algorithms (RFC 2407 4.5, RFC 4868, RFC 4543).
    pub struct AuthenticationAlgorithm(u16) {
        HMAC_MD5 = 1 => "HMAC-MD5",
        HMAC_SHA1 = 2 => "HMAC-SHA",
        DES_MAC = 3 => "DES-MAC",
        KPDK = 4 => "KPDK",
        HMAC_SHA2_256 = 5 => "HMAC-SHA2-256",
        HMAC_SHA2_384 = 6 => "HMAC-SHA2-384",
        HMAC_SHA2_512 = 7 => "HMAC-SHA2-512",
        HMAC_RIPEMD = 8 => "HMAC-RIPEMD",
        AES_XCBC_MAC = 9 => "AES-XCBC-MAC",
        SIG_RSA = 10 => "SIG-RSA",
        AES_128_GMAC = 11 => "AES-128-GMAC",
        AES_192_GMAC = 12 => "AES-192-GMAC",
        AES_256_GMAC = 13 => "AES-256-GMAC",
    }
}
