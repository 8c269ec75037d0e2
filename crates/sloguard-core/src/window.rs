//! Time windows: cumulative counts sampled into rings of fixed size at several resolutions.
//!
//! A windowed count is a difference of two cumulative readings: the live one and the ring
//! sample at or just before `now - window`. Four rings keep memory fixed whatever the traffic:
//!
//! | ring | resolution | span | serves |
//! | --- | --- | --- | --- |
//! | fine | 10 s | 1 h | 5m, 30m, 1h |
//! | medium | 1 min | 6 h | 2h, 6h |
//! | coarse | 10 min | 3 d | 1d, 3d |
//! | period | period / 720 | the period | the period, and any window longer than 3 d |
//!
//! Each ring holds its span / resolution + 2 samples of 16 bytes: 1,880 samples, 30,080 bytes
//! per SLO for any period ([`WINDOW_BYTES`]). A window is therefore measured over
//! `[slot start, now]`, at most one resolution longer than asked, and exact when `now` falls on
//! the resolution grid (as it does when a virtual clock is stepped by the tick).
//!
//! When samples are missed (a stalled sampler, a suspended process), the missing slots are
//! filled by linear interpolation between the readings on either side of the gap, so windows
//! neither jump nor go negative when sampling resumes.
//!
//! (Crate-private: users see windows through the burn rates of a snapshot.)

use std::time::Duration;

use crate::clock::duration_nanos;

const SEC: u64 = 1_000_000_000;

/// Cumulative counts at one moment: judged events and bad events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Reading {
    /// Events judged by the SLI (good + bad).
    pub total: u64,
    /// Bad events.
    pub bad: u64,
}

/// The counts within one window, and where the window actually started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WindowCounts {
    /// Events in the window.
    pub total: u64,
    /// Bad events in the window.
    pub bad: u64,
    /// Nanoseconds since the epoch at which the measured window starts.
    pub since_nanos: u64,
}

/// One ring: a sample per `resolution`-aligned slot, oldest overwritten first.
#[derive(Clone, Debug)]
pub(crate) struct Ring {
    pub(crate) resolution: u64,
    pub(crate) samples: Box<[Reading]>,
    /// The slot number (`time / resolution`) of the newest sample.
    pub(crate) newest_slot: u64,
    /// Samples held (up to capacity).
    pub(crate) len: u64,
}

impl Ring {
    fn new(resolution: u64, span: u64, start: u64, initial: Reading) -> Self {
        let capacity = span.div_ceil(resolution) as usize + 2;
        let mut ring = Ring {
            resolution,
            samples: vec![Reading::default(); capacity].into_boxed_slice(),
            newest_slot: start / resolution,
            len: 1,
        };
        let at = ring.index(ring.newest_slot);
        ring.samples[at] = initial;
        ring
    }

    pub(crate) fn capacity(&self) -> u64 {
        self.samples.len() as u64
    }

    fn index(&self, slot: u64) -> usize {
        (slot % self.capacity()) as usize
    }

    /// Adds samples for every slot start in `(last_time, now]`, interpolating between the
    /// previous reading and this one.
    fn observe(&mut self, last: (u64, Reading), now: u64, reading: Reading) {
        let now_slot = now / self.resolution;
        if now_slot <= self.newest_slot {
            return;
        }
        // After a gap longer than the ring, only the newest `capacity` slots matter.
        let first = (self.newest_slot + 1).max(now_slot.saturating_sub(self.capacity() - 1));
        for slot in first..=now_slot {
            let at_time = slot * self.resolution;
            let sample = interpolate(last, (now, reading), at_time);
            let index = self.index(slot);
            self.samples[index] = sample;
        }
        self.len = (self.len + now_slot - self.newest_slot).min(self.capacity());
        self.newest_slot = now_slot;
    }

    fn oldest_slot(&self) -> u64 {
        self.newest_slot + 1 - self.len
    }

    /// The sample at or before `time`, or the oldest one if the ring does not reach back that
    /// far, with its slot's start time.
    fn at_or_before(&self, time: u64) -> (u64, Reading) {
        let slot = (time / self.resolution).clamp(self.oldest_slot(), self.newest_slot);
        (slot * self.resolution, self.samples[self.index(slot)])
    }

    fn span(&self) -> u64 {
        (self.capacity() - 2) * self.resolution
    }
}

/// The reading at `at` on the line between two readings (`at` between their times).
pub(crate) fn interpolate(a: (u64, Reading), b: (u64, Reading), at: u64) -> Reading {
    let (t0, r0) = a;
    let (t1, r1) = b;
    if at >= t1 || t1 <= t0 {
        return r1;
    }
    if at <= t0 {
        return r0;
    }
    // Rounded to the nearest event: rounding down would leave a fraction of an event in the
    // window right after a gap, and one interpolated bad event can be a 1000x burn (a false
    // page after a suspended process resumes). Rounding is monotonic, so bad <= total holds.
    let part = |x0: u64, x1: u64| -> u64 {
        let delta = x1.saturating_sub(x0) as u128;
        let span = (t1 - t0) as u128;
        x0 + ((delta * (at - t0) as u128 + span / 2) / span) as u64
    };
    Reading {
        total: part(r0.total, r1.total),
        bad: part(r0.bad, r1.bad),
    }
}

/// Bytes of window state one SLO holds, whatever its period and traffic.
pub const WINDOW_BYTES: usize = (362 + 362 + 434 + 722) * std::mem::size_of::<Reading>();

/// The rings of one SLO.
#[derive(Clone, Debug)]
pub(crate) struct Windows {
    pub(crate) rings: [Ring; 4],
    pub(crate) last: (u64, Reading),
}

impl Windows {
    /// Windows for an SLO with this period, starting at `start_nanos` with `initial` counts.
    pub(crate) fn new(period: Duration, start_nanos: u64, initial: Reading) -> Self {
        let period = duration_nanos(period).max(720 * SEC);
        let ring = |resolution: u64, span: u64| Ring::new(resolution, span, start_nanos, initial);
        Windows {
            rings: [
                ring(10 * SEC, 3_600 * SEC),
                ring(60 * SEC, 6 * 3_600 * SEC),
                ring(600 * SEC, 3 * 86_400 * SEC),
                ring(period.div_ceil(720), period),
            ],
            last: (start_nanos, initial),
        }
    }

    /// Records the cumulative reading at `now`. A time earlier than the last one (a clock
    /// set back) is ignored, so windows never see counts go backwards.
    #[cfg(test)]
    pub(crate) fn observe(&mut self, now: u64, reading: Reading) {
        self.observe_before(now, reading, now);
    }

    /// [`Windows::observe`] for a reading of the past when the observations are known to go
    /// on up to `until` (a rebuild from history): a ring whose span ends before `now` as seen
    /// from `until` is not written, since every slot it keeps at `until` is written (by
    /// interpolation from `last`, which moves on) at the first observation within its span.
    /// The result at `until` is the same as observing every ring each time; rebuilding 30
    /// days of hourly readings then no longer rewrites the one-hour ring at each of them.
    pub(crate) fn observe_before(&mut self, now: u64, reading: Reading, until: u64) {
        if now < self.last.0 {
            return;
        }
        // A reading lower than the last one can only come from a restore; keep counts monotonic.
        let reading = Reading {
            total: reading.total.max(self.last.1.total),
            bad: reading.bad.max(self.last.1.bad),
        };
        for ring in &mut self.rings {
            // Two resolutions of margin: the slots a ring keeps at `until` reach back its
            // span plus one resolution.
            let reach = ring.span().saturating_add(2 * ring.resolution);
            if until.saturating_sub(now) <= reach {
                ring.observe(self.last, now, reading);
            }
        }
        self.last = (now, reading);
    }

    /// The cumulative reading the finest ring reaching back to `at` holds at or before it
    /// (a slot start), with that slot's time; the oldest sample when none reaches back.
    pub(crate) fn reading_at(&self, at: u64) -> (u64, Reading) {
        if at >= self.last.0 {
            return self.last;
        }
        let back = self.last.0 - at;
        let ring = self
            .rings
            .iter()
            .find(|r| r.span() >= back)
            .unwrap_or(&self.rings[3]);
        ring.at_or_before(at)
    }

    /// The slot times ring `ring` holds samples for within `[from, to]`, oldest first.
    pub(crate) fn slot_times(&self, ring: usize, from: u64, to: u64) -> Vec<u64> {
        let r = &self.rings[ring];
        let first = r.oldest_slot().max(from.div_ceil(r.resolution));
        let last = r.newest_slot.min(to / r.resolution);
        (first..=last).map(|slot| slot * r.resolution).collect()
    }

    /// The time of the oldest sample any ring holds: how far back history reaches.
    pub(crate) fn oldest(&self) -> u64 {
        let r = &self.rings[3];
        r.oldest_slot() * r.resolution
    }

    /// The counts within `window` before `now`, given the live reading at `now`.
    pub(crate) fn window(&self, now: u64, live: Reading, window: Duration) -> WindowCounts {
        let window = duration_nanos(window);
        let ring = self
            .rings
            .iter()
            .find(|r| r.span() >= window)
            .unwrap_or(&self.rings[3]);
        let (since_nanos, base) = ring.at_or_before(now.saturating_sub(window));
        WindowCounts {
            total: live.total.saturating_sub(base.total),
            bad: live
                .bad
                .saturating_sub(base.bad)
                .min(live.total.saturating_sub(base.total)),
            since_nanos,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(total: u64, bad: u64) -> Reading {
        Reading { total, bad }
    }

    #[test]
    fn a_rebuild_that_knows_its_end_keeps_what_observing_everything_keeps() {
        let period = Duration::from_secs(30 * 86_400);
        // 31 days back: hourly, then ten-minute, one-minute and ten-second readings, with a
        // bad patch in each stretch, as `sloguard serve` rebuilds history.
        let end = 40 * 86_400 * SEC;
        let mut times: Vec<u64> = (0..31 * 24)
            .map(|h| end - 31 * 86_400 * SEC + h * 3_600 * SEC)
            .collect();
        times.extend((0..432).map(|m| end - 3 * 86_400 * SEC + m * 600 * SEC));
        times.extend((0..300).map(|m| end - 6 * 3_600 * SEC + m * 60 * SEC));
        times.extend((0..=360).map(|k| end - 3_600 * SEC + k * 10 * SEC));
        times.dedup();
        let reading = |t: u64| {
            let secs = t / SEC;
            r(
                secs * 3,
                secs / 7 + u64::from(secs % 5_000 < 300) * secs / 100,
            )
        };
        let start = times[0] - 3_600 * SEC;
        let mut all = Windows::new(period, start, reading(start));
        let mut rebuilt = all.clone();
        for &t in &times {
            all.observe(t, reading(t));
            rebuilt.observe_before(t, reading(t), end);
        }
        assert_eq!(all.last, rebuilt.last);
        for (a, b) in all.rings.iter().zip(&rebuilt.rings) {
            assert_eq!((a.newest_slot, a.len), (b.newest_slot, b.len));
            for slot in a.oldest_slot()..=a.newest_slot {
                assert_eq!(
                    a.samples[a.index(slot)],
                    b.samples[b.index(slot)],
                    "slot {slot}"
                );
            }
        }
        for window in [
            300u64, 1_800, 3_600, 7_200, 21_600, 86_400, 259_200, 2_592_000,
        ] {
            let d = Duration::from_secs(window);
            assert_eq!(
                all.window(end, reading(end), d),
                rebuilt.window(end, reading(end), d)
            );
        }
    }

    #[test]
    fn a_window_is_a_difference_of_two_readings() {
        let period = Duration::from_secs(30 * 86_400);
        let mut w = Windows::new(period, 0, Reading::default());
        w.observe(600 * SEC, r(600, 6));
        let five_min = w.window(600 * SEC, r(600, 6), Duration::from_secs(300));
        assert_eq!((five_min.total, five_min.bad), (300, 3));
    }

    #[test]
    fn memory_is_fixed_and_documented() {
        for days in [1, 7, 30, 90, 365] {
            let w = Windows::new(Duration::from_secs(days * 86_400), 0, r(0, 0));
            let samples: usize = w.rings.iter().map(|ring| ring.samples.len()).sum();
            assert_eq!(
                samples * std::mem::size_of::<Reading>(),
                WINDOW_BYTES,
                "{days}d"
            );
        }
        const { assert!(WINDOW_BYTES <= 64 * 1024) };
    }

    #[test]
    fn short_history_means_the_window_covers_all_of_it() {
        let mut w = Windows::new(Duration::from_secs(30 * 86_400), 100 * SEC, r(0, 0));
        w.observe(130 * SEC, r(30, 3));
        let c = w.window(130 * SEC, r(30, 3), Duration::from_secs(3_600));
        assert_eq!((c.total, c.bad, c.since_nanos), (30, 3, 100 * SEC));
    }

    #[test]
    fn a_stall_is_interpolated_not_dumped_at_one_end() {
        let mut w = Windows::new(Duration::from_secs(30 * 86_400), 0, r(0, 0));
        // Sampler stalls for 20 minutes while 1,200 events (100 bad) arrive.
        w.observe(1_200 * SEC, r(1_200, 100));
        let c = w.window(1_200 * SEC, r(1_200, 100), Duration::from_secs(300));
        assert_eq!((c.total, c.bad), (300, 25));
    }

    #[test]
    fn a_clock_set_back_is_ignored() {
        let mut w = Windows::new(Duration::from_secs(30 * 86_400), 1_000 * SEC, r(0, 0));
        w.observe(1_600 * SEC, r(600, 0));
        w.observe(100 * SEC, r(700, 700));
        assert_eq!(w.last, (1_600 * SEC, r(600, 0)));
        // A window ending before the history starts reads as the whole history, not negative.
        let c = w.window(100 * SEC, r(700, 700), Duration::from_secs(300));
        assert_eq!((c.total, c.bad), (700, 700));
    }

    #[test]
    fn a_gap_longer_than_a_ring_keeps_windows_sane() {
        let mut w = Windows::new(Duration::from_secs(30 * 86_400), 0, r(0, 0));
        w.observe(10 * SEC, r(10, 0));
        w.observe(10 * 86_400 * SEC, r(10 + 864_000, 864));
        let hour = w.window(
            10 * 86_400 * SEC,
            r(10 + 864_000, 864),
            Duration::from_secs(3_600),
        );
        // Evenly interpolated: one hour of a day-long gap holds 1/240 of its events.
        assert!((3_590..=3_610).contains(&hour.total), "{hour:?}");
        assert!(hour.bad <= hour.total);
    }
}
