//! The hot path: recording one event of an SLI.
//!
//! A [`SloRecorder`] is resolved once (from a [`Registry`](crate::Registry)), then
//! [`SloRecorder::record`] files the event once: into the calling thread's own cache-padded
//! shard, as one count in the latency bucket of its outcome, plus its latency in that
//! outcome's sum. No allocation, no lock, no hash, no clock read, and no judging: the SLI is
//! applied when the counts are read, bucket by bucket. That is exact, because the latency
//! threshold is one of the bucket boundaries, and it gives every SLO a latency histogram per
//! outcome at no extra cost on the hot path (exported as
//! [`SLO_EVENT_DURATION`](crate::contract::SLO_EVENT_DURATION)).
//!
//! The caller measures latency (it already reads the clock for its own request) and says what
//! happened.
//!
//! ```
//! use sloguard_core::{Outcome, Registry, model::Slo};
//! use std::time::Duration;
//!
//! let registry = Registry::builder("payments").build();
//! let latency = registry
//!     .register(Slo::latency("latency", Duration::from_millis(300)).objective_percent(99.0).build().unwrap())
//!     .unwrap();
//! latency.record(Outcome::Success, Duration::from_millis(120)); // good
//! latency.record(Outcome::Success, Duration::from_millis(450)); // bad: too slow
//! latency.record(Outcome::Error, Duration::from_millis(5));     // bad: failed
//! latency.record(Outcome::Cancelled, Duration::from_millis(9)); // left out
//! let counts = latency.counts();
//! assert_eq!((counts.events(), counts.bad, counts.cancelled), (3, 2, 1));
//! // The same events, as a latency histogram of the successes:
//! let successes = latency.latency(Outcome::Success);
//! assert_eq!(successes.count(), 2);
//! assert_eq!(successes.classic().iter().find(|(le, _)| *le == Duration::from_millis(300)).unwrap().1, 1);
//! ```

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::clock::duration_nanos;
use crate::histogram::classic::ClassicIndex;
use crate::histogram::{Boundaries, HistogramSnapshot};
use crate::model::{CancelledPolicy, Sli, SloDefinition};
use crate::shard::{add, Sharded};

/// What happened to one event, as its caller saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The call completed and did what was asked (an HTTP 2xx/3xx/4xx, an `Ok`).
    Success,
    /// The call failed through the service's fault (an HTTP 5xx, a transport error, an `Err`).
    Error,
    /// The caller went away before the call completed.
    Cancelled,
}

impl Outcome {
    /// `success`, `error` or `cancelled`: the `outcome` label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Error => "error",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// Cumulative counts of one SLO since it was registered (or restored).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Events that met the SLI.
    pub good: u64,
    /// Events that missed the SLI.
    pub bad: u64,
    /// Cancelled events left out of the SLI (zero when cancellations count as bad).
    pub cancelled: u64,
}

impl Counts {
    /// Events judged by the SLI: good + bad. Cancelled events left out are not among them.
    pub const fn events(&self) -> u64 {
        self.good + self.bad
    }
}

/// Latency buckets of an SLO: the OpenTelemetry HTTP advice's 14 boundaries, the threshold,
/// and `+Inf`. A power of two (see `record_nanos`).
const BUCKETS: usize = 16;

/// The outcomes in the order of their discriminants, which index the shard.
const OUTCOMES: [Outcome; 3] = [Outcome::Success, Outcome::Error, Outcome::Cancelled];

/// One thread's record of an SLO's events.
#[derive(Default)]
struct Shard {
    /// Per outcome: events per latency bucket (not cumulative).
    buckets: [[AtomicU64; BUCKETS]; 3],
    /// Per outcome: the sum of latencies in nanoseconds.
    sums: [AtomicU64; 3],
    /// Counts added in bulk ([`SloRecorder::add_counts`]), indexed by [`Verdict`]: restored
    /// state and pre-aggregated data, which carry no latency.
    added: [AtomicU64; 3],
}

/// What an event in one latency bucket of one outcome counts as; the discriminant indexes
/// the good, bad and cancelled totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Good = 0,
    Bad = 1,
    Cancelled = 2,
}

/// The SLI as a table over (outcome, latency bucket), applied when counts are read.
fn verdicts(definition: &SloDefinition, index: &ClassicIndex) -> [[Verdict; BUCKETS]; 3] {
    // Buckets up to and including the threshold's hold the values at or below it.
    let (fast_buckets, error_is_bad) = match definition.sli() {
        Sli::Availability => (BUCKETS, true),
        Sli::Latency {
            threshold,
            require_success,
        } => (
            index.classic_bucket(duration_nanos(threshold)) + 1,
            require_success,
        ),
    };
    let cancelled_is_bad = definition.cancelled() == CancelledPolicy::CountAsBad;
    let by_latency = |b: usize| {
        if b < fast_buckets {
            Verdict::Good
        } else {
            Verdict::Bad
        }
    };
    let success: [Verdict; BUCKETS] = std::array::from_fn(by_latency);
    let error = if error_is_bad {
        [Verdict::Bad; BUCKETS]
    } else {
        success
    };
    let cancelled = if cancelled_is_bad {
        Verdict::Bad
    } else {
        Verdict::Cancelled
    };
    // Rows in the order of `Outcome`'s discriminants, which index them.
    [success, error, [cancelled; BUCKETS]]
}

pub(crate) struct SloShared {
    pub(crate) definition: SloDefinition,
    index: ClassicIndex,
    verdicts: [[Verdict; BUCKETS]; 3],
    shards: Sharded<Shard>,
    /// Who feeds it: 0 nobody yet, else a [`Feed`] as `u8` (see [`SloRecorder::claim`]).
    feed: AtomicU8,
    /// The exemplar of a recent bad event (see [`SloRecorder::offer_bad_exemplar`]).
    bad_exemplar: crate::exemplar::Slot,
}

/// What feeds an SLO's events. An SLO is fed by one or the other, never both, so no call is
/// counted twice (a handler under the layer and `#[sli]`) and an SLO an attribute names is not
/// also fed every HTTP request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// Requests, through the tower layer.
    Requests = 1,
    /// Calls, through `#[sli]`.
    Calls = 2,
}

/// A handle to record events into one SLO. Cheap to clone; clones share the counts.
#[derive(Clone)]
pub struct SloRecorder {
    pub(crate) shared: Arc<SloShared>,
}

impl std::fmt::Debug for SloRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SloRecorder")
            .field("slo", &self.shared.definition.name())
            .finish_non_exhaustive()
    }
}

/// Bytes one recording thread's shard of an SLO takes.
pub const SHARD_BYTES: usize = std::mem::size_of::<crate::shard::CachePadded<Shard>>();

/// The latency boundaries of an SLO's events: the OpenTelemetry HTTP advice plus the latency
/// threshold, if any.
pub fn event_boundaries(definition: &SloDefinition) -> Boundaries {
    match definition.sli() {
        Sli::Latency { threshold, .. } => Boundaries::http_default()
            .with([threshold])
            .unwrap_or_else(|_| Boundaries::http_default()),
        Sli::Availability => Boundaries::http_default(),
    }
}

impl SloRecorder {
    pub(crate) fn new(definition: SloDefinition) -> Self {
        let index = ClassicIndex::new(event_boundaries(&definition));
        let verdicts = verdicts(&definition, &index);
        SloRecorder {
            shared: Arc::new(SloShared {
                definition,
                index,
                verdicts,
                shards: Sharded::new(),
                feed: AtomicU8::new(0),
                bad_exemplar: crate::exemplar::Slot::default(),
            }),
        }
    }

    /// Claims the SLO for `feed`, its first feeder: `Ok` when it was unclaimed or is already
    /// fed so, `Err` with the feed that owns it otherwise. Recording itself does not check;
    /// the layer and the attribute claim once, when they first route events to the SLO.
    pub fn claim(&self, feed: Feed) -> Result<(), Feed> {
        match self
            .shared
            .feed
            .compare_exchange(0, feed as u8, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(()),
            Err(owner) if owner == feed as u8 => Ok(()),
            Err(_) => Err(match feed {
                Feed::Requests => Feed::Calls,
                Feed::Calls => Feed::Requests,
            }),
        }
    }

    /// What feeds this SLO, once something has claimed it.
    pub fn feed(&self) -> Option<Feed> {
        match self.shared.feed.load(Ordering::Acquire) {
            1 => Some(Feed::Requests),
            2 => Some(Feed::Calls),
            _ => None,
        }
    }

    /// The SLO this handle records into.
    pub fn definition(&self) -> &SloDefinition {
        &self.shared.definition
    }

    /// Records one event.
    #[inline]
    pub fn record(&self, outcome: Outcome, latency: Duration) {
        self.record_nanos(outcome, duration_nanos(latency));
    }

    /// Offers the exemplar of an event recorded here with `outcome` (see
    /// [`crate::exemplar`]): when the SLI judges it bad, kept beside the bad-event counter if
    /// it is the first of its interval. Record the event itself with [`SloRecorder::record`].
    pub fn offer_exemplar(&self, outcome: Outcome, exemplar: crate::exemplar::Exemplar) {
        let shared = &*self.shared;
        let bucket = shared.index.classic_bucket(duration_nanos(exemplar.value)) & (BUCKETS - 1);
        if shared.verdicts[outcome as usize][bucket] == Verdict::Bad {
            shared.bad_exemplar.offer(exemplar);
        }
    }

    /// The exemplar of a recent bad event, if one was offered.
    pub fn bad_exemplar(&self) -> Option<crate::exemplar::Exemplar> {
        self.shared.bad_exemplar.read()
    }

    /// Records one event whose latency is in nanoseconds.
    #[inline(always)]
    pub fn record_nanos(&self, outcome: Outcome, latency_nanos: u64) {
        let shared = &*self.shared;
        // At most 15 boundaries by construction, so the bucket is below 16 and the mask only
        // tells the compiler so.
        let bucket = shared.index.classic_bucket(latency_nanos) & (BUCKETS - 1);
        shared.shards.with_local(|shard, owned| {
            add(&shard.buckets[outcome as usize][bucket], 1, owned);
            add(&shard.sums[outcome as usize], latency_nanos, owned);
        });
    }

    /// The cumulative counts, summed over every thread's shard and judged by the SLI.
    pub fn counts(&self) -> Counts {
        let verdicts = &self.shared.verdicts;
        let mut totals = [0u64; 3];
        self.shared.shards.for_each(|s| {
            for (row, verdict_row) in s.buckets.iter().zip(verdicts) {
                for (count, verdict) in row.iter().zip(verdict_row) {
                    totals[*verdict as usize] += count.load(Ordering::Relaxed);
                }
            }
            for (total, added) in totals.iter_mut().zip(&s.added) {
                *total += added.load(Ordering::Relaxed);
            }
        });
        let [good, bad, cancelled] = totals;
        Counts {
            good,
            bad,
            cancelled,
        }
    }

    /// The latency histogram of the events of one outcome (bulk-added counts carry no latency
    /// and are not in it).
    pub fn latency(&self, outcome: Outcome) -> HistogramSnapshot {
        let o = outcome as usize;
        let mut buckets = [0u64; BUCKETS];
        let mut sum = 0u64;
        self.shared.shards.for_each(|s| {
            for (total, count) in buckets.iter_mut().zip(&s.buckets[o]) {
                *total += count.load(Ordering::Relaxed);
            }
            sum = sum.wrapping_add(s.sums[o].load(Ordering::Relaxed));
        });
        HistogramSnapshot::from_classic_buckets(self.shared.index.boundaries(), &buckets, sum)
    }

    /// Every outcome's latency histogram, in the order success, error, cancelled.
    pub fn latencies(&self) -> impl Iterator<Item = (Outcome, HistogramSnapshot)> + '_ {
        OUTCOMES.into_iter().map(|o| (o, self.latency(o)))
    }

    /// Adds counts in bulk: to restore persisted state or feed pre-aggregated data.
    pub fn add_counts(&self, counts: Counts) {
        self.shared.shards.with_local(|shard, owned| {
            add(&shard.added[Verdict::Good as usize], counts.good, owned);
            add(&shard.added[Verdict::Bad as usize], counts.bad, owned);
            add(
                &shard.added[Verdict::Cancelled as usize],
                counts.cancelled,
                owned,
            );
        });
    }
}

#[cfg(test)]
mod feed_tests {
    use super::*;
    use crate::model::Slo;

    #[test]
    fn the_first_feeder_owns_an_slo() {
        let slo = SloRecorder::new(Slo::availability("a").build().expect("valid"));
        assert_eq!(slo.feed(), None);
        assert_eq!(slo.claim(Feed::Calls), Ok(()));
        assert_eq!(slo.claim(Feed::Calls), Ok(()));
        assert_eq!(slo.claim(Feed::Requests), Err(Feed::Calls));
        assert_eq!(slo.feed(), Some(Feed::Calls));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Slo;

    fn recorder(b: crate::model::SloBuilder) -> SloRecorder {
        SloRecorder::new(b.build().expect("valid"))
    }

    #[test]
    fn availability_judges_by_outcome_only() {
        let r = recorder(Slo::availability("a"));
        r.record(Outcome::Success, Duration::from_secs(3600));
        r.record(Outcome::Error, Duration::ZERO);
        r.record(Outcome::Cancelled, Duration::ZERO);
        assert_eq!(
            r.counts(),
            Counts {
                good: 1,
                bad: 1,
                cancelled: 1
            }
        );
    }

    #[test]
    fn latency_threshold_is_inclusive() {
        let r = recorder(Slo::latency("l", Duration::from_millis(300)));
        r.record_nanos(Outcome::Success, 300_000_000);
        r.record_nanos(Outcome::Success, 300_000_001);
        assert_eq!(
            r.counts(),
            Counts {
                good: 1,
                bad: 1,
                cancelled: 0
            }
        );
    }

    #[test]
    fn latency_may_ignore_failures_when_asked() {
        let r =
            recorder(Slo::latency("l", Duration::from_millis(300)).latency_requires_success(false));
        r.record(Outcome::Error, Duration::from_millis(10));
        r.record(Outcome::Error, Duration::from_millis(400));
        assert_eq!(
            r.counts(),
            Counts {
                good: 1,
                bad: 1,
                cancelled: 0
            }
        );
    }

    #[test]
    fn cancelled_can_count_as_bad() {
        let r = recorder(Slo::availability("a").cancelled(CancelledPolicy::CountAsBad));
        r.record(Outcome::Cancelled, Duration::ZERO);
        assert_eq!(
            r.counts(),
            Counts {
                good: 0,
                bad: 1,
                cancelled: 0
            }
        );
    }

    #[test]
    fn availability_ignores_even_a_saturated_latency() {
        let r = recorder(Slo::availability("a"));
        r.record_nanos(Outcome::Success, u64::MAX);
        r.record(Outcome::Success, Duration::MAX);
        assert_eq!(r.counts().good, 2);
        let l = recorder(Slo::latency("l", Duration::from_millis(300)));
        l.record_nanos(Outcome::Success, u64::MAX);
        assert_eq!(l.counts().bad, 1);
    }

    #[test]
    fn shard_fits_four_padded_line_pairs() {
        assert_eq!(SHARD_BYTES, 512);
    }

    #[test]
    fn latency_histograms_hold_every_recorded_event_by_outcome() {
        let r = recorder(Slo::latency("l", Duration::from_millis(300)));
        r.record(Outcome::Success, Duration::from_millis(300));
        r.record(Outcome::Success, Duration::from_nanos(300_000_001));
        r.record(Outcome::Error, Duration::from_millis(2));
        r.add_counts(Counts {
            good: 5,
            bad: 0,
            cancelled: 0,
        });
        let success = r.latency(Outcome::Success);
        assert_eq!(success.count(), 2);
        assert_eq!(success.sum_nanos(), 600_000_001);
        let at = |le: Duration| {
            success
                .classic()
                .iter()
                .find(|(b, _)| *b == le)
                .map(|(_, c)| *c)
        };
        assert_eq!(at(Duration::from_millis(300)), Some(1));
        assert_eq!(at(Duration::from_millis(500)), Some(2));
        assert_eq!(r.latency(Outcome::Error).count(), 1);
        assert_eq!(r.latency(Outcome::Cancelled).count(), 0);
        assert_eq!(
            r.counts(),
            Counts {
                good: 6,
                bad: 2,
                cancelled: 0
            }
        );
    }
}
