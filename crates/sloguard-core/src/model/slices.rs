//! Time-slice SLIs: "99.9% of minutes were good". Time is cut into slices of a fixed length;
//! a slice is good when the share of good events in it meets the slice objective (for a
//! latency SLI, the share of events within the latency target). Budgets, burn rates, calendar
//! periods and SLAs then count slices instead of events.
//!
//! A slice is scored by its [`SliceRule`]: judged good or bad against a slice objective (the
//! default, OpenSLO's `Timeslices`), or counted by its share of good events (OpenSLO's
//! `RatioTimeslices`: the SLI is the mean of the slices' ratios, so a quiet minute weighs as
//! much as a busy one).
//!
//! Slices are aligned to the Unix epoch (a 1m slice starts on a whole UTC minute), so every
//! replica cuts the same slices and the fleet rules can judge the same minutes. A slice with no
//! events follows [`EmptySlices`]: skipped by default, or bad for services that must always
//! have traffic. It is never counted good: a service nobody reaches would then show a perfect
//! record and an `ok` status, the false green sloguard exists to prevent.
//!
//! ```
//! use sloguard_core::model::{EmptySlices, Slo, TimeSlices};
//! use std::time::Duration;
//!
//! let minutes = TimeSlices::new(Duration::from_secs(60), 99.0).unwrap().empty(EmptySlices::Bad);
//! let slo = Slo::availability("uptime").objective_percent(99.9).time_slices(minutes).build().unwrap();
//! assert_eq!(slo.time_slices().unwrap().length(), Duration::from_secs(60));
//! assert!(TimeSlices::new(Duration::from_secs(45), 99.0).is_err()); // not whole 10 s steps
//! // A slice objective may be 100%: a minute is good only without a single bad event.
//! assert_eq!(TimeSlices::new(Duration::from_secs(60), 100.0).unwrap().count(10, 1), Some((1, 1)));
//! // Ratio slices: a minute with 1 bad event in 4 counts three quarters good.
//! let mean = TimeSlices::ratio(Duration::from_secs(60)).unwrap();
//! assert_eq!(mean.count(4, 1), Some((1_000_000, 250_000)));
//! ```

use std::time::Duration;

use super::error::DefinitionErrorKind;
use super::objective::Objective;

/// The parts a ratio slice is counted in: its bad share is counted in millionths, rounded up
/// (never a better figure than the events give).
pub const RATIO_SLICE_PARTS: u64 = 1_000_000;

/// The step slice lengths are made of: the evaluator's default tick, so slice ends fall on
/// ticks and each slice is judged on exact counts.
pub const SLICE_STEP: Duration = Duration::from_secs(10);

/// What a slice without events counts as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EmptySlices {
    /// Not counted at all (the default): the SLI is the share of good slices among slices
    /// with traffic, and a period without traffic has no data.
    #[default]
    Skip,
    /// A bad slice: for services that always have traffic, where silence means an outage
    /// upstream of them.
    Bad,
}

impl EmptySlices {
    /// `skip`, `bad`: the spec's words.
    pub fn as_str(self) -> &'static str {
        match self {
            EmptySlices::Skip => "skip",
            EmptySlices::Bad => "bad",
        }
    }

    /// The rule of a spec word.
    pub fn parse(word: &str) -> Option<EmptySlices> {
        [EmptySlices::Skip, EmptySlices::Bad]
            .into_iter()
            .find(|e| e.as_str() == word)
    }
}

/// How a slice counts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SliceRule {
    /// One slice, good when at least this share of its events is good (0 < share ≤ 1).
    Objective(f64),
    /// [`RATIO_SLICE_PARTS`] parts, as many of them bad as the slice's bad share.
    Ratio,
}

/// A time-slice SLI: slice length, how each slice counts, the empty-slice rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeSlices {
    length: Duration,
    rule: SliceRule,
    empty: EmptySlices,
}

impl TimeSlices {
    /// Slices of `length` (a whole number of [`SLICE_STEP`]s, at most a day), each good when
    /// at least `objective_percent` of its events are good. Unlike an SLO's objective, a slice
    /// objective may be 100%: a slice is then good only without a bad event.
    pub fn new(
        length: Duration,
        objective_percent: f64,
    ) -> Result<TimeSlices, DefinitionErrorKind> {
        let share = if objective_percent == 100.0 {
            1.0
        } else {
            Objective::from_percent(objective_percent)?.ratio()
        };
        Ok(TimeSlices {
            length: checked_length(length)?,
            rule: SliceRule::Objective(share),
            empty: EmptySlices::Skip,
        })
    }

    /// Slices of `length`, each counted by its share of good events: the SLI is the mean of
    /// the slices' ratios.
    pub fn ratio(length: Duration) -> Result<TimeSlices, DefinitionErrorKind> {
        Ok(TimeSlices {
            length: checked_length(length)?,
            rule: SliceRule::Ratio,
            empty: EmptySlices::Skip,
        })
    }

    /// What slices without events count as.
    pub fn empty(mut self, rule: EmptySlices) -> Self {
        self.empty = rule;
        self
    }

    /// The slice length.
    pub fn length(&self) -> Duration {
        self.length
    }

    /// How a slice counts.
    pub fn rule(&self) -> SliceRule {
        self.rule
    }

    /// The empty-slice rule.
    pub fn empty_rule(&self) -> EmptySlices {
        self.empty
    }

    /// The highest error share a slice judged by an objective may have and still be good,
    /// with the tolerance the burn-rate thresholds use (0.999 has no exact binary form).
    /// `None` for ratio slices, which are not judged.
    pub fn bad_share_allowed(&self) -> Option<f64> {
        match self.rule {
            SliceRule::Objective(share) => Some((1.0 - share) * (1.0 + 1e-9)),
            SliceRule::Ratio => None,
        }
    }

    /// What a slice with these event counts adds to the slice reading: `(total, bad)`, or
    /// `None` when it is not counted (an empty slice that is skipped).
    pub fn count(&self, events: u64, bad: u64) -> Option<(u64, u64)> {
        let bad = bad.min(events);
        match (self.rule, events) {
            (_, 0) if self.empty == EmptySlices::Skip => None,
            (SliceRule::Objective(_), 0) => Some((1, 1)),
            (SliceRule::Ratio, 0) => Some((RATIO_SLICE_PARTS, RATIO_SLICE_PARTS)),
            (SliceRule::Objective(_), _) => {
                let allowed = self.bad_share_allowed().unwrap_or(0.0);
                Some((1, u64::from(bad as f64 / events as f64 > allowed)))
            }
            (SliceRule::Ratio, _) => {
                // Exact integer rounding up: the share in parts is never understated.
                let parts =
                    (u128::from(bad) * u128::from(RATIO_SLICE_PARTS)).div_ceil(u128::from(events));
                Some((RATIO_SLICE_PARTS, parts as u64))
            }
        }
    }
}

fn checked_length(length: Duration) -> Result<Duration, DefinitionErrorKind> {
    let step = SLICE_STEP.as_nanos();
    if length.is_zero() || length.as_nanos() % step != 0 || length > Duration::from_secs(86_400) {
        return Err(DefinitionErrorKind::InvalidSliceLength { length });
    }
    Ok(length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_is_good_when_its_share_meets_the_objective() {
        let s = TimeSlices::new(Duration::from_secs(60), 99.0).expect("valid");
        assert_eq!(s.count(100, 1), Some((1, 0)));
        assert_eq!(s.count(100, 2), Some((1, 1)));
        assert_eq!(s.count(0, 0), None);
        assert_eq!(s.empty(EmptySlices::Bad).count(0, 0), Some((1, 1)));
        assert_eq!(
            EmptySlices::parse("good"),
            None,
            "never good: no false green"
        );
        let exact = TimeSlices::new(Duration::from_secs(60), 99.9).expect("valid");
        assert_eq!(
            exact.count(1000, 1),
            Some((1, 0)),
            "exactly at the objective"
        );
        let flawless = TimeSlices::new(Duration::from_secs(60), 100.0).expect("valid");
        assert_eq!(flawless.count(1_000_000, 0), Some((1, 0)));
        assert_eq!(flawless.count(1_000_000, 1), Some((1, 1)));
        assert!(TimeSlices::new(Duration::from_secs(60), 100.5).is_err());
    }

    #[test]
    fn ratio_slices_count_their_share_rounded_up() {
        let s = TimeSlices::ratio(Duration::from_secs(60)).expect("valid");
        assert_eq!(s.count(3, 1), Some((RATIO_SLICE_PARTS, 333_334)));
        assert_eq!(s.count(3, 0), Some((RATIO_SLICE_PARTS, 0)));
        assert_eq!(
            s.count(u64::MAX, 1),
            Some((RATIO_SLICE_PARTS, 1)),
            "never rounded to good"
        );
        assert_eq!(s.count(0, 0), None);
        assert_eq!(
            s.empty(EmptySlices::Bad).count(0, 0),
            Some((RATIO_SLICE_PARTS, RATIO_SLICE_PARTS))
        );
        assert_eq!(s.bad_share_allowed(), None);
    }

    #[test]
    fn slice_lengths_are_whole_steps_up_to_a_day() {
        for bad in [0, 5, 45, 86_410] {
            assert!(
                TimeSlices::new(Duration::from_secs(bad), 99.0).is_err(),
                "{bad}s"
            );
        }
        for good in [10, 60, 300, 86_400] {
            assert!(
                TimeSlices::new(Duration::from_secs(good), 99.0).is_ok(),
                "{good}s"
            );
        }
    }
}
