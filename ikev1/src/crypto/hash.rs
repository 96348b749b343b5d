//! Hashes and HMAC from RustCrypto (md-5, sha1, sha2, hmac).

use super::{HashAlgorithm, HashFunction, Secret};
use core::marker::PhantomData;
use hmac::{Hmac, KeyInit, Mac, digest::block_api::EagerHash};

/// A stateless handle on one hash; the real provider keeps one static per algorithm.
pub(crate) struct RustCryptoHash<D> {
    algorithm: HashAlgorithm,
    digest: PhantomData<fn() -> D>,
}

impl<D> RustCryptoHash<D> {
    const fn new(algorithm: HashAlgorithm) -> Self {
        Self { algorithm, digest: PhantomData }
    }
}

pub(crate) static MD5: RustCryptoHash<md5::Md5> = RustCryptoHash::new(HashAlgorithm::Md5);
pub(crate) static SHA1: RustCryptoHash<sha1::Sha1> = RustCryptoHash::new(HashAlgorithm::Sha1);
pub(crate) static SHA256: RustCryptoHash<sha2::Sha256> = RustCryptoHash::new(HashAlgorithm::Sha256);
pub(crate) static SHA384: RustCryptoHash<sha2::Sha384> = RustCryptoHash::new(HashAlgorithm::Sha384);
pub(crate) static SHA512: RustCryptoHash<sha2::Sha512> = RustCryptoHash::new(HashAlgorithm::Sha512);

/// The static implementation of `algorithm`.
pub(crate) fn hash_function(algorithm: HashAlgorithm) -> &'static dyn HashFunction {
    match algorithm {
        HashAlgorithm::Md5 => &MD5,
        HashAlgorithm::Sha1 => &SHA1,
        HashAlgorithm::Sha256 => &SHA256,
        HashAlgorithm::Sha384 => &SHA384,
        HashAlgorithm::Sha512 => &SHA512,
    }
}

/// A keyed HMAC. HMAC takes keys of any length (RFC 2104 2: longer ones are hashed
/// first), so keying cannot fail.
pub(crate) fn keyed_hmac<D: EagerHash>(key: &[u8]) -> Hmac<D> {
    <Hmac<D> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length (RFC 2104 2)")
}

impl<D: EagerHash> HashFunction for RustCryptoHash<D> {
    fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    fn hash(&self, parts: &[&[u8]]) -> Vec<u8> {
        let mut digest = D::new();
        parts.iter().for_each(|part| digest.update(part));
        digest.finalize().to_vec()
    }

    fn prf(&self, key: &[u8], parts: &[&[u8]]) -> Secret {
        let mut mac = keyed_hmac::<D>(key);
        parts.iter().for_each(|part| mac.update(part));
        Secret::from_slice(&mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
    }

    #[test]
    fn plain_hashes_of_abc() {
        // FIPS 180-2 / RFC 1321 "abc" examples.
        let expected = [
            (HashAlgorithm::Md5, "900150983cd24fb0d6963f7d28e17f72"),
            (HashAlgorithm::Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (HashAlgorithm::Sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                HashAlgorithm::Sha384,
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
            ),
            (
                HashAlgorithm::Sha512,
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            ),
        ];
        for (algorithm, digest) in expected {
            let function = hash_function(algorithm);
            assert_eq!(function.hash(&[b"a", b"", b"bc"]), hex(digest), "{algorithm:?}");
            assert_eq!(function.output_len(), digest.len() / 2);
        }
    }

    #[test]
    fn hmac_rfc2104_md5_known_answers() {
        // RFC 2104 Appendix "Test Vectors".
        let md5 = hash_function(HashAlgorithm::Md5);
        assert_eq!(md5.prf(&[0x0b; 16], &[b"Hi There"]).as_bytes(), hex("9294727a3638bb1c13f48ef8158bfc9d"));
        assert_eq!(
            md5.prf(b"Jefe", &[b"what do ya want ", b"for nothing?"]).as_bytes(),
            hex("750c783e6ab0b503eaa86e310a5db738")
        );
        assert_eq!(md5.prf(&[0xaa; 16], &[&[0xdd; 50]]).as_bytes(), hex("56be34521d144c88dbb8c733f0e8b3f6"));
    }

    #[test]
    fn hmac_rfc4231_and_rfc2202_known_answers() {
        // RFC 4231 4.3 (test case 2) for SHA-2, RFC 2202 3 (test case 2) for SHA-1.
        let expected = [
            (HashAlgorithm::Sha1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
            (HashAlgorithm::Sha256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            (
                HashAlgorithm::Sha384,
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
            ),
            (
                HashAlgorithm::Sha512,
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            ),
        ];
        for (algorithm, mac) in expected {
            let prf = hash_function(algorithm).prf(b"Jefe", &[b"what do ya want for nothing?"]);
            assert_eq!(prf.as_bytes(), hex(mac), "{algorithm:?}");
        }
    }

    #[test]
    fn hmac_key_longer_than_the_block_is_hashed_first() {
        // RFC 4231 4.7 (test case 6): 131-byte key.
        let prf = hash_function(HashAlgorithm::Sha256)
            .prf(&[0xaa; 131], &[b"Test Using Larger Than Block-Size Key - Hash Key First"]);
        assert_eq!(prf.as_bytes(), hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
    }
}
