//! Latency histograms: O(1) recording, constant memory, exact counts at classic boundaries.
//!
//! Every value lands in a log-linear bucket ([`layout`]) whose midpoint is within 1.6% of it,
//! which bounds quantile estimates. Prometheus and the SLO thresholds need *exact* counts at
//! a few classic `le` boundaries (`0.3` seconds must count a 300 ms request, and a 300.001 ms
//! one not), which log-linear edges do not give. So each configured boundary that falls
//! inside a bucket gets a counter of the values in that bucket at or below it, updated only
//! when a value lands in that bucket; a small table says which buckets hold a boundary.
//!
//! Two layouts share that index. [`Histogram::new`] keeps every log-linear bucket (9.8 KiB per
//! recording thread) for quantiles and exponential-histogram export. [`Histogram::classic`]
//! keeps only the classic buckets (0.6 KiB per recording thread): the layout for the many
//! per-route request series, which are exported as classic Prometheus histograms anyway.
//!
//! ```
//! use sloguard_core::histogram::{Boundaries, Histogram};
//! use std::time::Duration;
//!
//! let h = Histogram::new(Boundaries::new([Duration::from_millis(300)]).unwrap());
//! h.record(Duration::from_millis(300));
//! h.record(Duration::from_nanos(300_000_001));
//! let snap = h.snapshot();
//! assert_eq!(snap.count(), 2);
//! assert_eq!(snap.classic(), &[(Duration::from_millis(300), 1)]);
//! ```

pub mod layout;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::clock::duration_nanos;
use crate::shard::{add, Sharded};
use layout::{bucket_index, bucket_lower, bucket_upper, BUCKETS};

/// The most classic boundaries one histogram may have.
pub const MAX_BOUNDARIES: usize = 64;

/// Sorted, distinct classic bucket boundaries (`le` values).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Boundaries(Vec<u64>);

/// More than [`MAX_BOUNDARIES`] boundaries were given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooManyBoundaries {
    /// How many distinct boundaries were given.
    pub given: usize,
}

impl fmt::Display for TooManyBoundaries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} histogram boundaries given; at most {MAX_BOUNDARIES} are supported",
            self.given
        )
    }
}

impl std::error::Error for TooManyBoundaries {}

impl Boundaries {
    /// The given boundaries, sorted and without duplicates.
    pub fn new(bounds: impl IntoIterator<Item = Duration>) -> Result<Self, TooManyBoundaries> {
        let mut v: Vec<u64> = bounds.into_iter().map(duration_nanos).collect();
        v.sort_unstable();
        v.dedup();
        if v.len() > MAX_BOUNDARIES {
            return Err(TooManyBoundaries { given: v.len() });
        }
        Ok(Boundaries(v))
    }

    /// The OpenTelemetry HTTP semantic conventions' advice for `http.server.request.duration`:
    /// 5 ms to 10 s.
    pub fn http_default() -> Self {
        const MS: [u64; 14] = [
            5, 10, 25, 50, 75, 100, 250, 500, 750, 1_000, 2_500, 5_000, 7_500, 10_000,
        ];
        Boundaries(MS.iter().map(|ms| ms * 1_000_000).collect())
    }

    /// These boundaries plus `extra` (an SLO threshold, say).
    pub fn with(
        self,
        extra: impl IntoIterator<Item = Duration>,
    ) -> Result<Self, TooManyBoundaries> {
        Boundaries::new(self.0.into_iter().map(Duration::from_nanos).chain(extra))
    }

    /// The boundaries in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Duration> + '_ {
        self.0.iter().map(|n| Duration::from_nanos(*n))
    }
}

struct FineShard {
    counts: [AtomicU64; BUCKETS],
    /// Per boundary: values in the boundary's bucket that are at or below it.
    at_or_below: [AtomicU64; MAX_BOUNDARIES],
    sum: AtomicU64,
}

impl Default for FineShard {
    fn default() -> Self {
        FineShard {
            counts: [const { AtomicU64::new(0) }; BUCKETS],
            at_or_below: [const { AtomicU64::new(0) }; MAX_BOUNDARIES],
            sum: AtomicU64::new(0),
        }
    }
}

struct ClassicShard {
    /// Per classic bucket (`le` = boundary j, and +Inf last): values in it, not cumulative.
    counts: [AtomicU64; MAX_BOUNDARIES + 1],
    sum: AtomicU64,
}

impl Default for ClassicShard {
    fn default() -> Self {
        ClassicShard {
            counts: [const { AtomicU64::new(0) }; MAX_BOUNDARIES + 1],
            sum: AtomicU64::new(0),
        }
    }
}

enum Shards {
    Fine(Sharded<FineShard>),
    Classic(Sharded<ClassicShard>),
}

struct Inner {
    boundaries: Boundaries,
    /// Per bucket: 1 + the index of the first boundary inside it, or 0.
    split: Box<[u8; BUCKETS]>,
    /// Per bucket: how many boundaries lie below its lower edge.
    below: Box<[u8; BUCKETS]>,
    shards: Shards,
}

/// A latency histogram handle. Cheap to clone; clones record into the same histogram.
///
/// Memory: [`SHARD_BYTES`] (fine) or [`CLASSIC_SHARD_BYTES`] (classic) per recording thread,
/// allocated on that thread's first record, plus 2.4 KiB of shared layout, whatever the
/// traffic.
#[derive(Clone)]
pub struct Histogram {
    inner: Arc<Inner>,
}

impl fmt::Debug for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Histogram")
            .field("boundaries", &self.inner.boundaries)
            .finish_non_exhaustive()
    }
}

/// Bytes one recording thread's shard of a fine histogram takes.
pub const SHARD_BYTES: usize = std::mem::size_of::<crate::shard::CachePadded<FineShard>>();
/// Bytes one recording thread's shard of a classic histogram takes.
pub const CLASSIC_SHARD_BYTES: usize =
    std::mem::size_of::<crate::shard::CachePadded<ClassicShard>>();

impl Histogram {
    /// A fine histogram: every log-linear bucket plus exact classic counts; has quantiles.
    pub fn new(boundaries: Boundaries) -> Self {
        Self::with_shards(boundaries, Shards::Fine(Sharded::new()))
    }

    /// A classic histogram: only the classic buckets, exact; no quantiles.
    pub fn classic(boundaries: Boundaries) -> Self {
        Self::with_shards(boundaries, Shards::Classic(Sharded::new()))
    }

    fn with_shards(boundaries: Boundaries, shards: Shards) -> Self {
        let mut split = Box::new([0u8; BUCKETS]);
        for (j, b) in boundaries.0.iter().enumerate().rev() {
            // Reverse order leaves the *first* boundary of a shared bucket in the table.
            split[bucket_index(*b)] = j as u8 + 1;
        }
        let mut below = Box::new([0u8; BUCKETS]);
        for (i, slot) in below.iter_mut().enumerate() {
            let lower = bucket_lower(i);
            *slot = boundaries.0.iter().filter(|b| **b < lower).count() as u8;
        }
        Histogram {
            inner: Arc::new(Inner {
                boundaries,
                split,
                below,
                shards,
            }),
        }
    }

    /// Whether this histogram keeps log-linear buckets (and so has quantiles).
    pub fn is_fine(&self) -> bool {
        matches!(self.inner.shards, Shards::Fine(_))
    }

    /// Records one value.
    #[inline]
    pub fn record(&self, value: Duration) {
        self.record_nanos(duration_nanos(value));
    }

    /// Records one value in nanoseconds: no allocation (after the thread's first record), no
    /// lock, no search.
    #[inline]
    pub fn record_nanos(&self, nanos: u64) {
        let inner = &*self.inner;
        let index = bucket_index(nanos);
        let split = inner.split[index];
        match &inner.shards {
            Shards::Fine(shards) => shards.with_local(|shard, owned| {
                add(&shard.counts[index], 1, owned);
                add(&shard.sum, nanos, owned);
                if split != 0 {
                    inner.record_at_or_below(shard, owned, index, split as usize - 1, nanos);
                }
            }),
            Shards::Classic(shards) => {
                let mut classic = inner.below[index] as usize;
                if split != 0 {
                    classic = inner.classic_index_in_split(classic, nanos);
                }
                shards.with_local(|shard, owned| {
                    add(&shard.counts[classic], 1, owned);
                    add(&shard.sum, nanos, owned);
                })
            }
        }
    }

    /// The classic boundaries.
    pub fn boundaries(&self) -> &Boundaries {
        &self.inner.boundaries
    }

    /// Sums every thread's shard into a snapshot.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let inner = &*self.inner;
        let bounds = &inner.boundaries.0;
        let mut sum = 0u64;
        let (buckets, mut classic) = match &inner.shards {
            Shards::Fine(shards) => {
                let mut counts = vec![0u64; BUCKETS];
                let mut at_or_below = [0u64; MAX_BOUNDARIES];
                shards.for_each(|shard| {
                    add_loaded(&mut counts, &shard.counts);
                    add_loaded(&mut at_or_below, &shard.at_or_below);
                    sum = sum.wrapping_add(shard.sum.load(Ordering::Relaxed));
                });
                let mut classic = Vec::with_capacity(bounds.len());
                let mut below_bucket = 0u64; // values in buckets before `next`
                let mut next = 0usize;
                for (j, b) in bounds.iter().enumerate() {
                    let bucket = bucket_index(*b);
                    below_bucket += counts[next..bucket].iter().sum::<u64>();
                    next = bucket;
                    classic.push((Duration::from_nanos(*b), below_bucket + at_or_below[j]));
                }
                let buckets: Vec<(u32, u64)> = counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(i, c)| (i as u32, *c))
                    .collect();
                (buckets, classic)
            }
            Shards::Classic(shards) => {
                let mut counts = [0u64; MAX_BOUNDARIES + 1];
                shards.for_each(|shard| {
                    add_loaded(&mut counts, &shard.counts);
                    sum = sum.wrapping_add(shard.sum.load(Ordering::Relaxed));
                });
                let mut running = 0;
                let classic = bounds
                    .iter()
                    .zip(counts)
                    .map(|(b, c)| {
                        running += c;
                        (Duration::from_nanos(*b), running)
                    })
                    .collect();
                // The +Inf bucket holds the values above every boundary.
                let total = counts[..=bounds.len()].iter().sum::<u64>();
                (vec![(u32::MAX, total)], classic)
            }
        };
        let count: u64 = buckets.iter().map(|(_, c)| c).sum();
        let buckets = if self.is_fine() { buckets } else { Vec::new() };
        // Counts are read one by one while writers go on, so a bucket read late may hold a
        // value whose classic counter was read earlier; clamp so the series stays monotonic.
        let mut running = 0;
        for (_, c) in classic.iter_mut() {
            running = (*c).max(running).min(count);
            *c = running;
        }
        HistogramSnapshot {
            count,
            sum_nanos: sum,
            buckets,
            classic,
        }
    }
}

fn add_loaded(totals: &mut [u64], counters: &[AtomicU64]) {
    for (total, c) in totals.iter_mut().zip(counters) {
        *total += c.load(Ordering::Relaxed);
    }
}

impl Inner {
    /// The classic bucket of a value in a log-linear bucket that holds boundaries: step past
    /// each boundary of that bucket the value exceeds.
    #[cold]
    fn classic_index_in_split(&self, mut classic: usize, nanos: u64) -> usize {
        while self.boundaries.0.get(classic).is_some_and(|b| nanos > *b) {
            classic += 1;
        }
        classic
    }

    #[cold]
    fn record_at_or_below(
        &self,
        shard: &FineShard,
        owned: bool,
        bucket: usize,
        first: usize,
        nanos: u64,
    ) {
        for (j, b) in self.boundaries.0.iter().enumerate().skip(first) {
            if bucket_index(*b) != bucket {
                break;
            }
            if nanos <= *b {
                add(&shard.at_or_below[j], 1, owned);
            }
        }
    }
}

/// A histogram's counts at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistogramSnapshot {
    count: u64,
    sum_nanos: u64,
    buckets: Vec<(u32, u64)>,
    classic: Vec<(Duration, u64)>,
}

impl HistogramSnapshot {
    /// An empty snapshot (for series that have not recorded yet).
    pub fn empty(boundaries: &Boundaries) -> Self {
        HistogramSnapshot {
            count: 0,
            sum_nanos: 0,
            buckets: Vec::new(),
            classic: boundaries.iter().map(|b| (b, 0)).collect(),
        }
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sum of all values in nanoseconds (wraps after 584 years of total latency).
    pub fn sum_nanos(&self) -> u64 {
        self.sum_nanos
    }

    /// Cumulative counts at each classic boundary: values at or below it. Exact.
    pub fn classic(&self) -> &[(Duration, u64)] {
        &self.classic
    }

    /// Non-empty log-linear buckets as `(index, count)`; see [`layout`] for the edges.
    /// Empty for classic histograms.
    pub fn buckets(&self) -> &[(u32, u64)] {
        &self.buckets
    }

    /// An estimate of the `q` quantile (0.0..=1.0), within 1.6% of the exact rank value
    /// below 73 minutes. `None` when empty, `q` is out of range, or the histogram is classic.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        if self.count == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (index, c) in &self.buckets {
            seen += c;
            if seen >= rank {
                let (lo, hi) = (bucket_lower(*index as usize), bucket_upper(*index as usize));
                let estimate = if hi == u64::MAX {
                    lo
                } else {
                    lo + (hi - 1 - lo) / 2
                };
                return Some(Duration::from_nanos(estimate));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests;
