//! How long a private exponent should be. RFC 3526 8 gives, per group, a strength
//! estimate and the exponent size that matches it: twice the strength, since the
//! best attacks on a short exponent take about the square root of its range. We use
//! the larger of its two estimates ("Strength Estimate 2").

use crate::crypto::DhGroupId;

/// Default private exponent length in bits, or `None` for a group we do not know.
///
/// | group | modulus | RFC 3526 8 exponent size |
/// |-------|---------|--------------------------|
/// | 1     | 768     | 160 (not in RFC 3526; see below) |
/// | 2     | 1024    | 160 (not in RFC 3526; see below) |
/// | 5     | 1536    | 240                      |
/// | 14    | 2048    | 320                      |
/// | 15    | 3072    | 420                      |
/// | 16    | 4096    | 480                      |
/// | 17    | 6144    | 540                      |
/// | 18    | 8192    | 620                      |
///
/// Groups 1 and 2 predate RFC 3526; a 1024-bit group offers about 80 bits (NIST SP
/// 800-57 part 1, table 2), so 160 bits is twice that, and more than twice what 768
/// bits offer.
pub const fn default_private_exponent_bits(group: DhGroupId) -> Option<u32> {
    match group.0 {
        1 | 2 => Some(160),
        5 => Some(240),
        14 => Some(320),
        15 => Some(420),
        16 => Some(480),
        17 => Some(540),
        18 => Some(620),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_gets_at_least_twice_its_rfc3526_strength() {
        // RFC 3526 8, the larger strength estimate per group.
        let strength = [(5, 120), (14, 160), (15, 210), (16, 240), (17, 270), (18, 310), (2, 80)];
        for (group, bits) in strength {
            assert!(default_private_exponent_bits(DhGroupId(group)) >= Some(2 * bits), "group {group}");
        }
        assert_eq!(default_private_exponent_bits(DhGroupId(19)), None);
    }
}
