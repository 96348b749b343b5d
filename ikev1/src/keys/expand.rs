//! The PRF feedback of RFC 2409, used twice with different seeds: Appendix B's
//! Ka = K1 | K2 | ... and 5.5's KEYMAT = K1 | K2 | ...

use crate::crypto::{HashFunction, Secret};

/// `len` bytes of K1 | K2 | ... where K1 = prf(key, first) and
/// Kn+1 = prf(key, Kn | then).
pub(super) fn expand(
    prf: &dyn HashFunction,
    key: &[u8],
    len: usize,
    first: &[&[u8]],
    then: &[&[u8]],
) -> Secret {
    let mut block = prf.prf(key, first);
    let mut output = block.clone();
    while output.len() < len {
        let mut input: Vec<&[u8]> = Vec::with_capacity(1 + then.len());
        input.push(block.as_bytes());
        input.extend_from_slice(then);
        block = prf.prf(key, &input);
        output.extend_from_slice(block.as_bytes());
    }
    output.truncate(len);
    output
}
