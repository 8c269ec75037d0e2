//! The log-linear bucket layout: 32 linear sub-buckets in every power-of-two octave.
//!
//! Values 0..32 ns get a bucket each. From there each octave `[2^k, 2^(k+1))` is split
//! into 32 equal sub-buckets, up to `2^42` ns (about 73 minutes); slower values land in
//! one overflow bucket. A bucket is at most 1/32 of its lower bound wide, so its midpoint
//! is within 1/64 (1.6%) of any value in it. The index is a few shifts from the leading
//! zero count: no search, no float.
//!
//! Octave edges (`2^k` ns) are bucket edges, so the layout maps exactly onto a base-2
//! exponential histogram at scale 0 (OpenTelemetry `ExponentialHistogram`, Prometheus
//! native histograms with schema 0) by adding up each octave's 32 sub-buckets.

/// log2 of the number of sub-buckets per octave.
pub(crate) const SUB_BITS: u32 = 5;
/// Sub-buckets per octave.
pub(crate) const SUB_BUCKETS: usize = 1 << SUB_BITS;
/// The last octave: values below `2^(MAX_EXPONENT + 1)` ns are bucketed finely.
pub(crate) const MAX_EXPONENT: u32 = 41;
/// Index of the overflow bucket (values of `2^(MAX_EXPONENT + 1)` ns and more).
pub(crate) const OVERFLOW_INDEX: usize =
    (MAX_EXPONENT as usize - SUB_BITS as usize + 2) * SUB_BUCKETS;
/// Number of buckets including the overflow bucket.
pub(crate) const BUCKETS: usize = OVERFLOW_INDEX + 1;

/// The bucket of a value in nanoseconds.
///
/// Branch-free: `nanos | 32` has the same top bit as `nanos` from 32 up and gives shift 0
/// below, where the formula reduces to `nanos` itself (the exact buckets); values past the last
/// octave compute indices beyond [`OVERFLOW_INDEX`], which the final `min` folds into it.
#[inline(always)]
pub(crate) const fn bucket_index(nanos: u64) -> usize {
    let exponent = 63 - (nanos | SUB_BUCKETS as u64).leading_zeros();
    let shift = exponent - SUB_BITS;
    // The value's top SUB_BITS + 1 bits: 32..=63 past the exact region, so `sub` is the index
    // within the octave plus 32, which also accounts for the first, exact group of buckets.
    let sub = (nanos >> shift) as usize;
    let index = (shift as usize) * SUB_BUCKETS + sub;
    if index < OVERFLOW_INDEX {
        index
    } else {
        OVERFLOW_INDEX
    }
}

/// The smallest value in bucket `index`.
pub(crate) const fn bucket_lower(index: usize) -> u64 {
    if index < SUB_BUCKETS {
        return index as u64;
    }
    if index >= OVERFLOW_INDEX {
        return 1 << (MAX_EXPONENT + 1);
    }
    let shift = (index / SUB_BUCKETS - 1) as u32;
    let sub = (index % SUB_BUCKETS + SUB_BUCKETS) as u64;
    sub << shift
}

/// One past the largest value in bucket `index` (`u64::MAX` for the overflow bucket).
pub(crate) const fn bucket_upper(index: usize) -> u64 {
    if index >= OVERFLOW_INDEX {
        return u64::MAX;
    }
    bucket_lower(index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_are_contiguous_and_bounds_hold_their_values() {
        // Every bucket's upper bound is the next bucket's lower bound, and its edges map
        // back to it: the layout has no gaps and no overlaps.
        for i in 0..OVERFLOW_INDEX {
            let (lo, hi) = (bucket_lower(i), bucket_upper(i));
            assert!(lo < hi, "bucket {i}");
            assert_eq!(bucket_index(lo), i);
            assert_eq!(bucket_index(hi - 1), i);
            assert_eq!(bucket_index(hi), i + 1);
            // Width at most 1/32 of the lower bound past the exact region.
            if lo >= SUB_BUCKETS as u64 {
                assert!((hi - lo) * 32 <= lo, "bucket {i} too wide");
            }
        }
        assert_eq!(bucket_index(u64::MAX), OVERFLOW_INDEX);
        assert_eq!(bucket_index(1 << 42), OVERFLOW_INDEX);
        assert_eq!(bucket_index((1 << 42) - 1), OVERFLOW_INDEX - 1);
        for small in 0..SUB_BUCKETS as u64 * 2 {
            assert_eq!(bucket_index(small), small as usize);
        }
    }

    #[test]
    fn octave_edges_are_bucket_edges() {
        for k in SUB_BITS..=MAX_EXPONENT {
            let i = bucket_index(1 << k);
            assert_eq!(bucket_lower(i), 1 << k);
            assert_eq!(i % SUB_BUCKETS, 0);
        }
    }
}
