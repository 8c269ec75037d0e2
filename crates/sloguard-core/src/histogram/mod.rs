//! Latency histograms: O(1) recording, constant memory, exact counts at classic boundaries.
//!
//! (Over 400 lines with its docs: one type, its two layouts and their snapshot belong
//! together; the bucket arithmetic is apart in `layout` and `classic`.)
//!
//! Every value lands in a log-linear bucket (32 per power of two; [`bucket_bounds_nanos`] gives
//! its edges) whose midpoint is within 1.6% of it,
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

pub(crate) mod classic;
pub(crate) mod layout;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::clock::duration_nanos;
use crate::exemplar::{Exemplar, Slot};
use crate::shard::{add, Sharded};
use classic::ClassicIndex;
use layout::{bucket_index, bucket_lower, bucket_upper, BUCKETS};

/// The most classic boundaries one histogram may have.
pub const MAX_BOUNDARIES: usize = 64;

/// The edges of log-linear bucket `index` (as in [`HistogramSnapshot::buckets`]) in
/// nanoseconds: values `v` with `lower <= v < upper` land in it.
pub fn bucket_bounds_nanos(index: u32) -> (u64, u64) {
    let index = (index as usize).min(layout::OVERFLOW_INDEX);
    (layout::bucket_lower(index), layout::bucket_upper(index))
}

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
    index: ClassicIndex,
    shards: Shards,
    /// One exemplar slot per classic bucket, `+Inf` last: made by the first exemplar offered,
    /// so a histogram without exemplars costs one empty cell.
    exemplars: OnceLock<Box<[Slot]>>,
}

/// A latency histogram handle. Cheap to clone; clones record into the same histogram.
///
/// Memory: [`SHARD_BYTES`] (fine) or [`CLASSIC_SHARD_BYTES`] (classic) per recording thread,
/// allocated on that thread's first record, plus 3 KiB of shared layout (the classic index
/// and the shard table), whatever the traffic.
#[derive(Clone)]
pub struct Histogram {
    inner: Arc<Inner>,
}

impl fmt::Debug for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Histogram")
            .field("boundaries", self.inner.index.boundaries())
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
        Histogram {
            inner: Arc::new(Inner {
                index: ClassicIndex::new(boundaries),
                shards,
                exemplars: OnceLock::new(),
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
    #[inline(always)]
    pub fn record_nanos(&self, nanos: u64) {
        let inner = &*self.inner;
        match &inner.shards {
            // The classic path is the request series' and is a handful of instructions, so it
            // is inlined into the caller; the fine path is larger and stays a call.
            Shards::Classic(shards) => {
                // At most `MAX_BOUNDARIES` by construction; `min` lets the compiler see that.
                let classic = inner.index.classic_bucket(nanos).min(MAX_BOUNDARIES);
                shards.with_local(|shard, owned| {
                    add(&shard.counts[classic], 1, owned);
                    add(&shard.sum, nanos, owned);
                })
            }
            Shards::Fine(shards) => inner.record_fine(shards, nanos),
        }
    }

    /// Offers the exemplar of a value recorded here (see [`crate::exemplar`]): kept beside
    /// the value's classic bucket if it is the first of its interval there. Record the value
    /// itself with [`Histogram::record_nanos`].
    pub fn offer_exemplar(&self, exemplar: Exemplar) {
        let inner = &*self.inner;
        let bucket = inner
            .index
            .classic_bucket(duration_nanos(exemplar.value))
            .min(MAX_BOUNDARIES);
        let slots = inner.exemplars.get_or_init(|| {
            (0..=inner.index.boundaries().0.len())
                .map(|_| Slot::default())
                .collect()
        });
        if let Some(slot) = slots.get(bucket) {
            slot.offer(exemplar);
        }
    }

    /// The classic boundaries.
    pub fn boundaries(&self) -> &Boundaries {
        self.inner.index.boundaries()
    }

    /// Sums every thread's shard into a snapshot, with the exemplars kept.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut snapshot = self.counts();
        if let Some(slots) = self.inner.exemplars.get() {
            snapshot.exemplars = slots
                .iter()
                .enumerate()
                .filter_map(|(bucket, slot)| slot.read().map(|e| (bucket, e)))
                .collect();
        }
        snapshot
    }

    fn counts(&self) -> HistogramSnapshot {
        let inner = &*self.inner;
        let bounds = inner.index.boundaries();
        match &inner.shards {
            Shards::Fine(shards) => {
                let mut sum = 0u64;
                let mut counts = vec![0u64; BUCKETS];
                let mut at_or_below = [0u64; MAX_BOUNDARIES];
                shards.for_each(|shard| {
                    add_loaded(&mut counts, &shard.counts);
                    add_loaded(&mut at_or_below, &shard.at_or_below);
                    sum = sum.wrapping_add(shard.sum.load(Ordering::Relaxed));
                });
                let mut classic = Vec::with_capacity(bounds.0.len());
                let mut below_bucket = 0u64; // values in buckets before `next`
                let mut next = 0usize;
                for (j, b) in bounds.0.iter().enumerate() {
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
                let count = buckets.iter().map(|(_, c)| c).sum();
                let mut snapshot = HistogramSnapshot::monotonic(count, sum, buckets, classic);
                snapshot.fine = true;
                snapshot
            }
            Shards::Classic(shards) => {
                let mut sum = 0u64;
                let mut counts = [0u64; MAX_BOUNDARIES + 1];
                shards.for_each(|shard| {
                    add_loaded(&mut counts, &shard.counts);
                    sum = sum.wrapping_add(shard.sum.load(Ordering::Relaxed));
                });
                HistogramSnapshot::from_classic_buckets(bounds, &counts, sum)
            }
        }
    }
}

fn add_loaded(totals: &mut [u64], counters: &[AtomicU64]) {
    for (total, c) in totals.iter_mut().zip(counters) {
        *total += c.load(Ordering::Relaxed);
    }
}

impl Inner {
    #[inline(never)]
    fn record_fine(&self, shards: &Sharded<FineShard>, nanos: u64) {
        let index = bucket_index(nanos);
        let split = self.index.first_boundary_in(index);
        shards.with_local(|shard, owned| {
            add(&shard.counts[index], 1, owned);
            add(&shard.sum, nanos, owned);
            if let Some(first) = split {
                self.record_at_or_below(shard, owned, index, first, nanos);
            }
        })
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
        for (j, b) in self.index.boundaries().0.iter().enumerate().skip(first) {
            if bucket_index(*b) != bucket {
                break;
            }
            if nanos <= *b {
                add(&shard.at_or_below[j], 1, owned);
            }
        }
    }
}

/// A histogram's counts at one moment. Two snapshots are equal when they hold the same counts
/// and exemplars, whichever layout they were read from.
#[derive(Clone, Debug)]
pub struct HistogramSnapshot {
    count: u64,
    sum_nanos: u64,
    buckets: Vec<(u32, u64)>,
    classic: Vec<(Duration, u64)>,
    exemplars: Vec<(usize, Exemplar)>,
    /// Whether it was read from the fine layout (so `buckets` is meaningful even when empty).
    fine: bool,
}

impl PartialEq for HistogramSnapshot {
    fn eq(&self, other: &Self) -> bool {
        (
            self.count,
            self.sum_nanos,
            &self.buckets,
            &self.classic,
            &self.exemplars,
        ) == (
            other.count,
            other.sum_nanos,
            &other.buckets,
            &other.classic,
            &other.exemplars,
        )
    }
}

impl Eq for HistogramSnapshot {}

impl HistogramSnapshot {
    /// A classic snapshot from per-bucket (not cumulative) counts: one per boundary, then the
    /// `+Inf` bucket; missing trailing buckets count as empty.
    pub(crate) fn from_classic_buckets(
        bounds: &Boundaries,
        counts: &[u64],
        sum_nanos: u64,
    ) -> Self {
        let mut running = 0;
        let classic = bounds
            .0
            .iter()
            .zip(counts.iter().chain(std::iter::repeat(&0)))
            .map(|(b, c)| {
                running += c;
                (Duration::from_nanos(*b), running)
            })
            .collect();
        let count = counts.iter().take(bounds.0.len() + 1).sum();
        HistogramSnapshot::monotonic(count, sum_nanos, Vec::new(), classic)
    }

    /// Counts are read one by one while writers go on, so a bucket read late may hold a value
    /// whose classic counter was read earlier; clamping keeps the series monotonic.
    fn monotonic(
        count: u64,
        sum_nanos: u64,
        buckets: Vec<(u32, u64)>,
        mut classic: Vec<(Duration, u64)>,
    ) -> Self {
        let mut running = 0;
        for (_, c) in classic.iter_mut() {
            running = (*c).max(running).min(count);
            *c = running;
        }
        HistogramSnapshot {
            count,
            sum_nanos,
            buckets,
            classic,
            exemplars: Vec::new(),
            fine: false,
        }
    }

    /// An empty snapshot (for series that have not recorded yet).
    pub fn empty(boundaries: &Boundaries) -> Self {
        HistogramSnapshot {
            count: 0,
            sum_nanos: 0,
            buckets: Vec::new(),
            classic: boundaries.iter().map(|b| (b, 0)).collect(),
            exemplars: Vec::new(),
            fine: false,
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

    /// Whether this is a snapshot of a fine histogram ([`Histogram::new`]), whose log-linear
    /// [`buckets`](Self::buckets) hold every value, even when there are none yet.
    pub fn is_fine(&self) -> bool {
        self.fine
    }

    /// The exemplars kept, as `(classic bucket, exemplar)`: bucket `i` is the one whose upper
    /// bound is `classic()[i]`, and `classic().len()` is `+Inf`. Each exemplar's value lies in
    /// its bucket.
    pub fn exemplars(&self) -> &[(usize, Exemplar)] {
        &self.exemplars
    }

    /// Non-empty log-linear buckets as `(index, count)`; [`bucket_bounds_nanos`] gives the
    /// edges of an index.
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
