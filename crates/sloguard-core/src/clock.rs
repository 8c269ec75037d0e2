//! Time sources: the real clock for production and a virtual clock for tests and replays.
//!
//! Every time inside the engine is a [`Timestamp`], nanoseconds since the Unix epoch. The
//! system clock is anchored to the wall clock once, at creation, and then advances with the
//! monotonic clock, so a wall-clock jump (NTP step, manual change) cannot move a window
//! backwards or stretch it.
//!
//! Durations on the hot path (a request's latency) are measured with [`Clock::tick`] instead:
//! one read of the CPU's time-stamp counter where it is invariant (`clock/tick` against
//! `clock/instant_now` in the benches), converted to nanoseconds only when the duration is
//! known. The counter comes from the `quanta` crate, which calibrates it once per process
//! against the monotonic clock (200 ms at most) and falls back to the monotonic clock itself
//! where the CPU has no invariant counter. A virtual clock ticks in its own time,
//! so replays measure the latencies they replay.
//!
//! ```
//! use sloguard_core::clock::{Clock, Timestamp, VirtualClock};
//! use std::time::Duration;
//!
//! let virt = VirtualClock::new(Timestamp::from_unix_secs(1_767_225_600));
//! let clock: Clock = virt.clock();
//! virt.advance(Duration::from_secs(90));
//! assert_eq!(clock.now().as_unix_secs_f64(), 1_767_225_690.0);
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A point in time: nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// From nanoseconds since the Unix epoch.
    pub const fn from_unix_nanos(nanos: u64) -> Self {
        Timestamp(nanos)
    }

    /// From whole seconds since the Unix epoch.
    pub const fn from_unix_secs(secs: u64) -> Self {
        Timestamp(secs.saturating_mul(1_000_000_000))
    }

    /// The latest time read from outside (2500-01-01T00:00:00Z). Nanoseconds fit in a `u64`
    /// until 2554; the half century between leaves room for every window, period and tick
    /// added to a time, so engine arithmetic on an accepted time cannot wrap.
    pub const LATEST: Timestamp = Timestamp(16_725_225_600 * 1_000_000_000);

    /// From fractional seconds since the Unix epoch; `None` if negative, not finite or later
    /// than [`Timestamp::LATEST`].
    ///
    /// ```
    /// use sloguard_core::clock::Timestamp;
    /// assert_eq!(Timestamp::from_unix_secs_f64(1.5), Some(Timestamp::from_unix_nanos(1_500_000_000)));
    /// assert_eq!(Timestamp::from_unix_secs_f64(18_446_744_073.7), None); // would wrap near 2554
    /// ```
    pub fn from_unix_secs_f64(secs: f64) -> Option<Self> {
        // Whole seconds and the fraction apart: `secs * 1e9` would exceed f64's 53-bit
        // mantissa for present-day times and lose the sub-microsecond digits.
        if !(secs.is_finite() && secs >= 0.0 && secs <= Timestamp::LATEST.as_unix_secs_f64()) {
            return None;
        }
        let whole = secs.trunc() as u64;
        let frac = ((secs - secs.trunc()) * 1e9).round() as u64;
        whole
            .checked_mul(1_000_000_000)?
            .checked_add(frac)
            .map(Timestamp)
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn as_unix_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the Unix epoch, as a float (for JSON and Prometheus timestamps).
    pub fn as_unix_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// This time plus `d`, saturating at the end of representable time.
    pub fn saturating_add(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_add(duration_nanos(d)))
    }

    /// This time minus `d`, saturating at the epoch.
    pub fn saturating_sub(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_sub(duration_nanos(d)))
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Timestamp) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        Timestamp(duration_nanos(since))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}", self.as_unix_secs_f64())
    }
}

/// A duration in whole nanoseconds, saturating at `u64::MAX` (584 years).
pub(crate) fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The time source of a registry. Cheap to clone; all clones show the same time.
#[derive(Clone, Debug)]
pub struct Clock {
    source: Source,
}

#[derive(Clone, Debug)]
enum Source {
    System {
        anchor_wall: Timestamp,
        anchor: Instant,
        /// The latency counter: see the module docs.
        counter: quanta::Clock,
    },
    Virtual(Arc<AtomicU64>),
}

/// A reading of a clock's latency counter, from [`Clock::tick`]. Its unit is the counter's,
/// so it means something only to the clock that took it: turn two of them into nanoseconds
/// with [`Clock::nanos_between`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tick(u64);

impl Clock {
    /// The real clock: wall time at creation, advancing monotonically from there.
    pub fn system() -> Self {
        Clock {
            source: Source::System {
                anchor_wall: Timestamp::from(SystemTime::now()),
                anchor: Instant::now(),
                counter: quanta::Clock::new(),
            },
        }
    }

    /// Reads the latency counter, for durations only (a request's latency): see the module
    /// docs. Cheaper than [`Clock::now`], and never a point in time.
    #[inline]
    pub fn tick(&self) -> Tick {
        match &self.source {
            Source::System { counter, .. } => Tick(counter.raw()),
            Source::Virtual(nanos) => Tick(nanos.load(Ordering::Acquire)),
        }
    }

    /// Nanoseconds from `start` to `end`, two readings of this clock's [`Clock::tick`]; zero if
    /// `end` is not later (a virtual clock set back, a counter read out of order).
    #[inline]
    pub fn nanos_between(&self, start: Tick, end: Tick) -> u64 {
        match &self.source {
            Source::System { counter, .. } => counter.delta_as_nanos(start.0, end.0),
            Source::Virtual(_) => end.0.saturating_sub(start.0),
        }
    }

    /// Nanoseconds from `start`, a reading of this clock's [`Clock::tick`], to now.
    #[inline]
    pub fn nanos_since(&self, start: Tick) -> u64 {
        self.nanos_between(start, self.tick())
    }

    /// The current time.
    #[inline]
    pub fn now(&self) -> Timestamp {
        match &self.source {
            Source::System {
                anchor_wall,
                anchor,
                ..
            } => anchor_wall.saturating_add(anchor.elapsed()),
            Source::Virtual(nanos) => Timestamp(nanos.load(Ordering::Acquire)),
        }
    }

    /// Whether this clock only moves when told to.
    pub fn is_virtual(&self) -> bool {
        matches!(self.source, Source::Virtual(_))
    }

    /// Moves a virtual clock to `t` (forwards or backwards); does nothing to the system clock.
    pub(crate) fn set_if_virtual(&self, t: Timestamp) {
        if let Source::Virtual(nanos) = &self.source {
            nanos.store(t.0, Ordering::Release);
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

/// A clock that moves only when told to: for tests, replays and accelerated demos.
#[derive(Clone, Debug)]
pub struct VirtualClock {
    nanos: Arc<AtomicU64>,
}

impl VirtualClock {
    /// A virtual clock showing `start`.
    pub fn new(start: Timestamp) -> Self {
        VirtualClock {
            nanos: Arc::new(AtomicU64::new(start.0)),
        }
    }

    /// A [`Clock`] that reads this virtual time.
    pub fn clock(&self) -> Clock {
        Clock {
            source: Source::Virtual(Arc::clone(&self.nanos)),
        }
    }

    /// The current virtual time.
    pub fn now(&self) -> Timestamp {
        Timestamp(self.nanos.load(Ordering::Acquire))
    }

    /// Moves the clock to `t`, which may be earlier than now (to test clock faults).
    pub fn set(&self, t: Timestamp) {
        self.nanos.store(t.0, Ordering::Release);
    }

    /// Moves the clock forwards by `d`.
    pub fn advance(&self, d: Duration) {
        let step = duration_nanos(d);
        let _ = self
            .nanos
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_add(step))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_close_to_wall_time_and_monotonic() {
        let clock = Clock::system();
        let a = clock.now();
        let wall = Timestamp::from(SystemTime::now());
        let b = clock.now();
        assert!(b >= a);
        let skew = wall.as_unix_nanos().abs_diff(a.as_unix_nanos());
        assert!(skew < 1_000_000_000, "skew {skew} ns");
        assert!(!clock.is_virtual());
    }

    #[test]
    fn ticks_measure_durations_on_both_clocks() {
        let clock = Clock::system();
        // The monotonic clock is read on both sides of each counter read, so a thread
        // preempted between two reads (a loaded machine) widens the bracket instead of
        // failing the comparison.
        let outer_start = Instant::now();
        let start = clock.tick();
        let inner_start = Instant::now();
        std::thread::sleep(Duration::from_millis(20));
        let inner = duration_nanos(inner_start.elapsed());
        let measured = clock.nanos_since(start);
        let outer = duration_nanos(outer_start.elapsed());
        // The counter agrees with the monotonic clock to within 2% (a wrong calibration would
        // be off by its whole error, tens of percent), plus 100 µs for the reads themselves.
        assert!(measured >= 20_000_000, "{measured} ns");
        let slack = outer / 50 + 100_000;
        assert!(
            measured + slack >= inner && measured <= outer + slack,
            "{measured} ns, not within [{inner}, {outer}] ns"
        );
        assert_eq!(
            clock.nanos_between(clock.tick(), start),
            0,
            "backwards is zero"
        );

        let v = VirtualClock::new(Timestamp::from_unix_secs(100));
        let c = v.clock();
        let start = c.tick();
        v.advance(Duration::from_millis(7));
        assert_eq!(c.nanos_since(start), 7_000_000);
        v.set(Timestamp::from_unix_secs(99));
        assert_eq!(c.nanos_since(start), 0);
    }

    #[test]
    fn float_seconds_round_trip_and_refuse_nonsense() {
        let t = Timestamp::from_unix_secs_f64(1_767_225_600.25).expect("valid");
        assert_eq!(t.as_unix_nanos(), 1_767_225_600_250_000_000);
        assert!(Timestamp::from_unix_secs_f64(-1.0).is_none());
        assert!(Timestamp::from_unix_secs_f64(f64::NAN).is_none());
        assert!(Timestamp::from_unix_secs_f64(1e30).is_none());
    }

    #[test]
    fn virtual_clock_moves_both_ways() {
        let v = VirtualClock::new(Timestamp::from_unix_secs(100));
        let c = v.clock();
        v.advance(Duration::from_secs(5));
        assert_eq!(c.now(), Timestamp::from_unix_secs(105));
        v.set(Timestamp::from_unix_secs(50));
        assert_eq!(c.now(), Timestamp::from_unix_secs(50));
        c.set_if_virtual(Timestamp::from_unix_secs(70));
        assert_eq!(v.now(), Timestamp::from_unix_secs(70));
    }
}
