//! The hot path: judging one event against an SLI and counting it.
//!
//! A [`SloRecorder`] is resolved once (from a [`Registry`](crate::registry::Registry)), then
//! [`SloRecorder::record`] costs a comparison and one plain store into the calling thread's own
//! cache-padded shard: no allocation, no lock, no hash, no clock read. The caller measures
//! latency (it already reads the clock for its own request) and says what happened.
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
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::clock::duration_nanos;
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

#[derive(Default)]
struct Shard {
    good: AtomicU64,
    bad: AtomicU64,
    cancelled: AtomicU64,
}

/// The SLI as three numbers the hot path can test without matching on the definition.
#[derive(Clone, Copy, Debug)]
struct Judge {
    /// Slowest good latency in ns (`u64::MAX` for availability).
    threshold_nanos: u64,
    /// Whether a failed event is bad however fast (always for availability).
    error_is_bad: bool,
    cancelled_is_bad: bool,
}

pub(crate) struct SloShared {
    pub(crate) definition: SloDefinition,
    judge: Judge,
    shards: Sharded<Shard>,
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

impl SloRecorder {
    pub(crate) fn new(definition: SloDefinition) -> Self {
        let judge = match definition.sli() {
            Sli::Availability => Judge {
                threshold_nanos: u64::MAX,
                error_is_bad: true,
                cancelled_is_bad: false,
            },
            Sli::Latency {
                threshold,
                require_success,
            } => Judge {
                threshold_nanos: duration_nanos(threshold),
                error_is_bad: require_success,
                cancelled_is_bad: false,
            },
        };
        let judge = Judge {
            cancelled_is_bad: definition.cancelled() == CancelledPolicy::CountAsBad,
            ..judge
        };
        SloRecorder {
            shared: Arc::new(SloShared {
                definition,
                judge,
                shards: Sharded::new(),
            }),
        }
    }

    /// The SLO this handle records into.
    pub fn definition(&self) -> &SloDefinition {
        &self.shared.definition
    }

    /// Judges and counts one event.
    #[inline]
    pub fn record(&self, outcome: Outcome, latency: Duration) {
        self.record_nanos(outcome, duration_nanos(latency));
    }

    /// Judges and counts one event whose latency is in nanoseconds.
    #[inline]
    pub fn record_nanos(&self, outcome: Outcome, latency_nanos: u64) {
        let judge = self.shared.judge;
        self.shared.shards.with_local(|shard, owned| {
            let counter = match outcome {
                Outcome::Success if latency_nanos <= judge.threshold_nanos => &shard.good,
                Outcome::Success => &shard.bad,
                Outcome::Error if judge.error_is_bad || latency_nanos > judge.threshold_nanos => {
                    &shard.bad
                }
                Outcome::Error => &shard.good,
                Outcome::Cancelled if judge.cancelled_is_bad => &shard.bad,
                Outcome::Cancelled => &shard.cancelled,
            };
            add(counter, 1, owned);
        });
    }

    /// The cumulative counts, summed over every thread's shard.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        self.shared.shards.for_each(|s| {
            counts.good += s.good.load(Ordering::Relaxed);
            counts.bad += s.bad.load(Ordering::Relaxed);
            counts.cancelled += s.cancelled.load(Ordering::Relaxed);
        });
        counts
    }

    /// Adds counts in bulk: to restore persisted state or feed pre-aggregated data.
    pub fn add_counts(&self, counts: Counts) {
        self.shared.shards.with_local(|shard, owned| {
            add(&shard.good, counts.good, owned);
            add(&shard.bad, counts.bad, owned);
            add(&shard.cancelled, counts.cancelled, owned);
        });
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
    fn shard_fits_one_padded_line_pair() {
        assert_eq!(SHARD_BYTES, 128);
    }
}
