//! Judging time slices: the evaluator's step from event counts to slice counts.
//!
//! At each tick the cumulative event reading is cut at every slice end that passed (the
//! reading there taken on the line from the previous tick's reading to this one, exact when
//! slice ends fall on ticks, as they do with whole 10 s steps and the default tick). Each
//! closed slice is counted by [`TimeSlices::count`] and added to a cumulative reading of
//! slices (total, bad), which the windows, calendar periods and SLAs then read exactly as
//! they read events. The slice still open is not counted until it closes.
//!
//! The first slice after a start (or a restore without slice state) counts only the events
//! seen since then. A gap of more than [`MAX_CLOSED`] slices between two ticks (a process
//! suspended for weeks) judges the newest ones only.
//!
//! (Crate-private: users see slice counts as the events of a time-slice SLO's evaluation.)

use crate::model::TimeSlices;
use crate::window::{interpolate, Reading};

/// Slices closed at most per tick: five weeks of one-minute slices.
pub(crate) const MAX_CLOSED: u64 = 50_400;

/// The evaluator's state for a time-slice SLO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SliceTrack {
    /// Slice length, ns.
    pub(crate) length: u64,
    /// End of the open slice, ns since the epoch.
    pub(crate) end: u64,
    /// Event reading at the open slice's start.
    pub(crate) base: Reading,
    /// The latest event reading and its time.
    pub(crate) last: (u64, Reading),
    /// Slices judged so far: `total` counted, `bad` of them bad (in parts, for ratio
    /// slices).
    pub(crate) judged: Reading,
    /// Whether the slices are ratio slices, counted in parts: a saved state fits only an SLO
    /// that counts its slices the same way.
    pub(crate) ratio: bool,
}

impl SliceTrack {
    pub(crate) fn new(slices: &TimeSlices, now: u64, events: Reading) -> Self {
        let length = crate::clock::duration_nanos(slices.length()).max(1);
        SliceTrack {
            length,
            end: (now / length + 1) * length,
            base: events,
            last: (now, events),
            judged: Reading::default(),
            ratio: slices.rule() == crate::model::SliceRule::Ratio,
        }
    }

    /// Closes every slice that ended by `now` and returns the cumulative slice reading.
    pub(crate) fn observe(&mut self, slices: &TimeSlices, now: u64, events: Reading) -> Reading {
        if now < self.last.0 {
            return self.judged;
        }
        let due = now.saturating_sub(self.end) / self.length + u64::from(now >= self.end);
        if due > MAX_CLOSED {
            // Skip to the newest MAX_CLOSED slices; their share of the gap is interpolated.
            self.end += (due - MAX_CLOSED) * self.length;
            self.base = interpolate(self.last, (now, events), self.end - self.length);
        }
        while now >= self.end {
            let at_end = interpolate(self.last, (now, events), self.end);
            let total = at_end.total.saturating_sub(self.base.total);
            let bad = at_end.bad.saturating_sub(self.base.bad);
            if let Some((total, bad)) = slices.count(total, bad) {
                self.judged.total += total;
                self.judged.bad += bad;
            }
            self.base = at_end;
            self.end += self.length;
        }
        self.last = (now, events);
        self.judged
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::EmptySlices;

    const MIN: u64 = 60_000_000_000;

    fn r(total: u64, bad: u64) -> Reading {
        Reading { total, bad }
    }

    #[test]
    fn slices_close_on_their_ends_and_empty_ones_follow_the_rule() {
        let rule = TimeSlices::new(Duration::from_secs(60), 99.0).expect("valid");
        let mut track = SliceTrack::new(&rule, 0, r(0, 0));
        assert_eq!(
            track.observe(&rule, 30 * MIN / 60, r(50, 0)),
            r(0, 0),
            "open"
        );
        assert_eq!(track.observe(&rule, MIN, r(100, 0)), r(1, 0), "good minute");
        assert_eq!(track.observe(&rule, 2 * MIN, r(200, 5)), r(2, 1), "5% bad");
        assert_eq!(
            track.observe(&rule, 3 * MIN, r(200, 5)),
            r(2, 1),
            "empty skipped"
        );
        let silent = rule.empty(EmptySlices::Bad);
        let mut track = SliceTrack::new(&silent, 0, r(0, 0));
        assert_eq!(track.observe(&silent, 5 * MIN, r(0, 0)), r(5, 5));
    }

    #[test]
    fn a_long_gap_is_bounded() {
        let rule = TimeSlices::new(Duration::from_secs(60), 99.0)
            .expect("valid")
            .empty(EmptySlices::Bad);
        let mut track = SliceTrack::new(&rule, 0, r(0, 0));
        let judged = track.observe(&rule, 365 * 1_440 * MIN, r(0, 0));
        assert_eq!(judged.total, MAX_CLOSED);
        assert_eq!(track.end, (365 * 1_440 + 1) * MIN);
    }
}
