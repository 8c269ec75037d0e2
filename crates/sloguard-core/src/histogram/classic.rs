//! Where a value falls among a histogram's classic boundaries, in a table lookup.
//!
//! Each log-linear bucket ([`super::layout`]) either lies wholly between two classic
//! boundaries, and then its entry is the classic bucket every value in it belongs to, or holds
//! one or more boundaries, and then its entry marks it as split and names the first of them; a
//! value there steps past the boundaries it exceeds (rare: a few buckets of 1,217).

use super::layout::{bucket_index, bucket_lower, OVERFLOW_INDEX, SUB_BITS, SUB_BUCKETS};
use super::Boundaries;

/// Marks a table entry whose log-linear bucket holds a boundary; the low bits are its index.
const SPLIT: u8 = 0x80;

/// Entries of the table: a power of two above the largest unclamped index of a `u64`
/// (58 × 32 + 63), so that masking the index is the whole bounds check.
const ENTRIES: usize = 2048;

/// [`bucket_index`] without folding the indices past the last octave into the overflow
/// bucket: the table repeats the overflow entry there instead, which saves the clamp.
#[inline(always)]
fn unclamped_index(nanos: u64) -> usize {
    let shift = 63 - (nanos | SUB_BUCKETS as u64).leading_zeros() - SUB_BITS;
    ((shift as usize) * SUB_BUCKETS + (nanos >> shift) as usize) & (ENTRIES - 1)
}

/// The table of one boundary set. Inline, so that a record reads it from the same allocation
/// as the handle's other state.
pub(crate) struct ClassicIndex {
    boundaries: Boundaries,
    table: [u8; ENTRIES],
}

impl ClassicIndex {
    pub(crate) fn new(boundaries: Boundaries) -> Self {
        let mut table = [0u8; ENTRIES];
        for (i, entry) in table.iter_mut().enumerate() {
            let lower = bucket_lower(i.min(OVERFLOW_INDEX));
            *entry = boundaries.0.iter().filter(|b| **b < lower).count() as u8;
        }
        for (j, b) in boundaries.0.iter().enumerate().rev() {
            // Reverse order leaves the *first* boundary of a shared bucket in the table. The
            // boundaries below that bucket number exactly `j`, so nothing is lost.
            let bucket = bucket_index(*b);
            table[bucket] = SPLIT | j as u8;
            if bucket == OVERFLOW_INDEX {
                table[OVERFLOW_INDEX..].fill(SPLIT | j as u8);
            }
        }
        ClassicIndex { boundaries, table }
    }

    pub(crate) fn boundaries(&self) -> &Boundaries {
        &self.boundaries
    }

    /// The classic bucket of a value: the number of boundaries below it, so 0 for the first
    /// `le` bucket and `boundaries.len()` for `+Inf`.
    #[inline(always)]
    pub(crate) fn classic_bucket(&self, nanos: u64) -> usize {
        let entry = self.table[unclamped_index(nanos)];
        if entry & SPLIT == 0 {
            entry as usize
        } else {
            self.step_past(usize::from(entry & !SPLIT), nanos)
        }
    }

    /// The first boundary inside a log-linear bucket, if it holds any.
    #[inline(always)]
    pub(crate) fn first_boundary_in(&self, bucket: usize) -> Option<usize> {
        let entry = self.table[bucket];
        (entry & SPLIT != 0).then_some(usize::from(entry & !SPLIT))
    }

    #[cold]
    fn step_past(&self, mut classic: usize, nanos: u64) -> usize {
        while self.boundaries.0.get(classic).is_some_and(|b| nanos > *b) {
            classic += 1;
        }
        classic
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn every_value_lands_past_exactly_the_boundaries_below_it() {
        let bounds = Boundaries::http_default()
            .with([
                Duration::from_millis(300),
                Duration::from_nanos(300_000_001),
            ])
            .expect("fits");
        let index = ClassicIndex::new(bounds.clone());
        let edges: Vec<u64> = bounds.0.clone();
        for b in &edges {
            for v in [b - 1, *b, b + 1] {
                let expected = edges.iter().filter(|e| **e < v).count();
                assert_eq!(index.classic_bucket(v), expected, "value {v}");
            }
        }
        assert_eq!(index.classic_bucket(0), 0);
        assert_eq!(index.classic_bucket(u64::MAX), edges.len());
    }

    #[test]
    fn the_unclamped_index_agrees_with_the_layout_below_the_overflow_bucket() {
        for shift in 0..64 {
            for v in [1u64 << shift, (1u64 << shift) - 1, (1u64 << shift) + 7] {
                let (layout, unclamped) = (bucket_index(v), unclamped_index(v));
                if layout < OVERFLOW_INDEX {
                    assert_eq!(unclamped, layout, "value {v}");
                } else {
                    assert!(unclamped >= OVERFLOW_INDEX, "value {v}");
                }
            }
        }
        // Boundaries past the last octave still count exactly.
        let far = Boundaries::new([Duration::from_secs(5 * 3600)]).expect("fits");
        let index = ClassicIndex::new(far);
        let edge = 5 * 3600 * 1_000_000_000u64;
        assert_eq!(index.classic_bucket(edge), 0);
        assert_eq!(index.classic_bucket(edge + 1), 1);
        assert_eq!(index.classic_bucket(u64::MAX), 1);
    }
}
