//! Modular exponentiation for secret exponents: Montgomery multiplication over
//! 64-bit limbs (Montgomery, "Modular multiplication without trial division",
//! 1985, in the CIOS arrangement of Koc, Acar and Kaliski, 1996) with a fixed
//! 4-bit window.
//!
//! Written here rather than taken from num-bigint for two reasons: every
//! temporary that depends on the exponent is wiped when dropped (num-bigint's
//! are not), and the work done does not depend on the exponent's bits: every
//! window multiplies, and the table entry is picked by reading all entries.

use crate::crypto::Secret;
use num_bigint::BigUint;
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

const WINDOW_BITS: u32 = 4;
const TABLE_LEN: usize = 1 << WINDOW_BITS;

/// An odd modulus p with what Montgomery multiplication needs, R = 2^(64 limbs).
pub(super) struct MontgomeryModulus {
    /// p, least significant limb first.
    limbs: Vec<u64>,
    /// -p^-1 mod 2^64.
    minus_inverse: u64,
    /// R mod p: 1 in Montgomery form.
    r: Vec<u64>,
    /// R^2 mod p: converts into Montgomery form.
    r_squared: Vec<u64>,
}

impl MontgomeryModulus {
    /// `modulus` is big-endian, odd, and a whole number of 64-bit limbs long (every
    /// MODP prime is). Public data, so this may use num-bigint freely.
    pub(super) fn new(modulus: &[u8]) -> Self {
        assert!(!modulus.is_empty() && modulus.len().is_multiple_of(8), "whole 64-bit limbs");
        let limbs = limbs_from_be(modulus);
        assert!(limbs[0] & 1 == 1, "Montgomery multiplication needs an odd modulus");
        let p = BigUint::from_bytes_be(modulus);
        let r_bits = 64 * limbs.len() as u64;
        let reduced_power = |exponent: u64| limbs_of(&((BigUint::from(1u32) << exponent) % &p), limbs.len());
        Self {
            minus_inverse: minus_inverse(limbs[0]),
            r: reduced_power(r_bits),
            r_squared: reduced_power(2 * r_bits),
            limbs,
        }
    }

    /// base^exponent mod p, big-endian and padded to the modulus length. `base` is
    /// big-endian, the modulus length, and less than p; `exponent` is big-endian.
    pub(super) fn pow(&self, base: &[u8], exponent: &[u8]) -> Secret {
        let n = self.limbs.len();
        let mut scratch = Zeroizing::new(vec![0u64; n + 1]);
        let table = self.window_table(base, &mut scratch);
        let mut accumulator = Zeroizing::new(self.r.clone());
        let mut product = Zeroizing::new(vec![0u64; n]);
        let mut entry = Zeroizing::new(vec![0u64; n]);
        let windows = exponent.iter().flat_map(|&byte| [byte >> 4, byte & 0x0f]);
        for window in windows {
            for _ in 0..WINDOW_BITS {
                self.multiply(&accumulator, &accumulator, &mut product, &mut scratch);
                std::mem::swap(&mut accumulator, &mut product);
            }
            select_entry(&table, window, &mut entry);
            self.multiply(&accumulator, &entry, &mut product, &mut scratch);
            std::mem::swap(&mut accumulator, &mut product);
        }
        // Out of Montgomery form: multiply by plain 1.
        let mut one = vec![0u64; n];
        one[0] = 1;
        self.multiply(&accumulator, &one, &mut product, &mut scratch);
        Secret::new(product.iter().rev().flat_map(|limb| limb.to_be_bytes()).collect())
    }

    /// base^0 .. base^15 in Montgomery form, one after the other.
    fn window_table(&self, base: &[u8], scratch: &mut [u64]) -> Zeroizing<Vec<u64>> {
        let n = self.limbs.len();
        let base = Zeroizing::new(limbs_from_be(base));
        let mut table = Zeroizing::new(vec![0u64; TABLE_LEN * n]);
        table[..n].copy_from_slice(&self.r);
        self.multiply(&base, &self.r_squared, &mut table[n..2 * n], scratch);
        for i in 2..TABLE_LEN {
            let (done, rest) = table.split_at_mut(i * n);
            self.multiply(&done[(i - 1) * n..], &done[n..2 * n], &mut rest[..n], scratch);
        }
        table
    }

    /// out = a * b / R mod p, for a, b < p: CIOS with the multiplication and
    /// reduction passes fused into one loop. `scratch` holds n + 1 limbs.
    fn multiply(&self, a: &[u64], b: &[u64], out: &mut [u64], scratch: &mut [u64]) {
        let n = self.limbs.len();
        // Exact-length slices let the compiler drop the bounds checks below.
        let (p, b, out, t) = (&self.limbs[..n], &b[..n], &mut out[..n], &mut scratch[..n + 1]);
        t.fill(0);
        for &a_i in &a[..n] {
            // t = (t + a_i b + m p) / 2^64, m chosen so that the low limb is zero.
            let (low, mut product_carry) = multiply_add(t[0], a_i, b[0], 0);
            let m = low.wrapping_mul(self.minus_inverse);
            let (_, mut reduction_carry) = multiply_add(low, m, p[0], 0);
            for j in 1..n {
                let (sum, carry) = multiply_add(t[j], a_i, b[j], product_carry);
                (t[j - 1], reduction_carry) = multiply_add(sum, m, p[j], reduction_carry);
                product_carry = carry;
            }
            let (sum, first) = t[n].overflowing_add(product_carry);
            let (sum, second) = sum.overflowing_add(reduction_carry);
            (t[n - 1], t[n]) = (sum, u64::from(first) + u64::from(second));
        }
        // Now t < 2p; subtract p unless that borrows, choosing without a branch.
        let mut borrow = 0;
        for j in 0..n {
            (out[j], borrow) = subtract_borrow(t[j], p[j], borrow);
        }
        let (_, t_below_p) = subtract_borrow(t[n], 0, borrow);
        let keep_t = t_below_p.wrapping_neg(); // all ones when t < p
        for (out_j, &t_j) in out.iter_mut().zip(t.iter()) {
            *out_j = (t_j & keep_t) | (*out_j & !keep_t);
        }
    }
}

/// Copies table entry `index` into `entry`, reading every entry (subtle selects).
fn select_entry(table: &[u64], index: u8, entry: &mut [u64]) {
    entry.fill(0);
    for (i, candidate) in table.chunks_exact(entry.len()).enumerate() {
        let chosen = (i as u8).ct_eq(&index);
        for (out, &limb) in entry.iter_mut().zip(candidate) {
            out.conditional_assign(&limb, chosen);
        }
    }
}

/// a + b * c + carry as (low, high); cannot overflow 128 bits.
fn multiply_add(a: u64, b: u64, c: u64, carry: u64) -> (u64, u64) {
    let wide = u128::from(a) + u128::from(b) * u128::from(c) + u128::from(carry);
    (wide as u64, (wide >> 64) as u64)
}

/// a - b - borrow as (difference, borrow out).
fn subtract_borrow(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let (difference, first) = a.overflowing_sub(b);
    let (difference, second) = difference.overflowing_sub(borrow);
    (difference, u64::from(first | second))
}

/// -p0^-1 mod 2^64 by Newton's iteration: p0 is its own inverse mod 8, and each
/// step doubles the correct low bits (3, 6, 12, 24, 48, 96).
fn minus_inverse(p0: u64) -> u64 {
    let mut inverse = p0;
    for _ in 0..5 {
        inverse = inverse.wrapping_mul(2u64.wrapping_sub(p0.wrapping_mul(inverse)));
    }
    inverse.wrapping_neg()
}

/// Big-endian bytes (whole limbs) to limbs, least significant first.
fn limbs_from_be(bytes: &[u8]) -> Vec<u64> {
    bytes
        .rchunks_exact(8)
        .map(|chunk| {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            u64::from_be_bytes(word)
        })
        .collect()
}

/// A public number as `len` limbs, least significant first.
fn limbs_of(value: &BigUint, len: usize) -> Vec<u64> {
    let mut limbs: Vec<u64> = value.iter_u64_digits().collect();
    limbs.resize(len, 0);
    limbs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic source of test numbers (SplitMix64).
    struct Numbers(u64);

    impl Numbers {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn bytes(&mut self, len: usize) -> Vec<u8> {
            (0..len).map(|_| self.next() as u8).collect()
        }
    }

    #[test]
    fn inverse_is_exact() {
        for p0 in [1u64, 3, 0xffff_ffff_ffff_ffff, 0x1234_5678_9abc_def1] {
            assert_eq!(p0.wrapping_mul(minus_inverse(p0)), u64::MAX, "{p0:#x}");
        }
    }

    #[test]
    fn agrees_with_num_bigint_on_random_odd_moduli() {
        let mut numbers = Numbers(3526);
        for limbs in 1..=5 {
            for top_bit in [false, true] {
                let mut modulus = numbers.bytes(8 * limbs);
                modulus[8 * limbs - 1] |= 1;
                modulus[0] = if top_bit { modulus[0] | 0x80 } else { modulus[0] & 0x3f };
                let p = BigUint::from_bytes_be(&modulus);
                let montgomery = MontgomeryModulus::new(&modulus);
                for exponent_len in [0, 1, 5, 40] {
                    let base = BigUint::from_bytes_be(&numbers.bytes(8 * limbs)) % &p;
                    let exponent = numbers.bytes(exponent_len);
                    let base_bytes = padded(&base, 8 * limbs);
                    let expected = base.modpow(&BigUint::from_bytes_be(&exponent), &p);
                    let power = montgomery.pow(&base_bytes, &exponent);
                    assert_eq!(
                        power.as_bytes(),
                        padded(&expected, 8 * limbs),
                        "{limbs} limbs, {exponent_len}-byte exponent"
                    );
                }
            }
        }
    }

    #[test]
    fn edge_values() {
        // p = 2^64 - 59, the largest 64-bit prime.
        let modulus = (u64::MAX - 58).to_be_bytes();
        let montgomery = MontgomeryModulus::new(&modulus);
        let pow = |base: u64, exponent: &[u8]| {
            u64::from_be_bytes(
                montgomery.pow(&base.to_be_bytes(), exponent).as_bytes().try_into().expect("8 bytes"),
            )
        };
        assert_eq!(pow(5, &[]), 1, "x^0");
        assert_eq!(pow(5, &[0, 0, 1]), 5, "leading zero bytes");
        assert_eq!(pow(0, &[7]), 0);
        assert_eq!(pow(u64::MAX - 59, &[2]), 1, "(p-1)^2");
        assert_eq!(pow(u64::MAX - 59, &[3]), u64::MAX - 59, "(p-1)^3");
        // Fermat: a^(p-1) = 1.
        assert_eq!(pow(2, &(u64::MAX - 59).to_be_bytes()), 1);
    }

    fn padded(value: &BigUint, len: usize) -> Vec<u8> {
        let bytes = value.to_bytes_be();
        [vec![0; len - bytes.len()], bytes].concat()
    }
}
