use crate::registry::open_registry;

open_registry! {
    /// Certificate encodings (RFC 2408 3.9), also used as CR certificate types.
    pub struct CertificateEncoding(u8) {
        NONE = 0 => "NONE",
        PKCS7 = 1 => "PKCS #7 wrapped X.509 certificate",
        PGP = 2 => "PGP Certificate",
        DNS_SIGNED_KEY = 3 => "DNS Signed Key",
        X509_SIGNATURE = 4 => "X.509 Certificate - Signature",
        X509_KEY_EXCHANGE = 5 => "X.509 Certificate - Key Exchange",
        KERBEROS = 6 => "Kerberos Tokens",
        CRL = 7 => "Certificate Revocation List (CRL)",
        ARL = 8 => "Authority Revocation List (ARL)",
        SPKI = 9 => "SPKI Certificate",
        X509_ATTRIBUTE = 10 => "X.509 Certificate - Attribute",
    }
}
