//! Time-slice SLIs: "99.9% of minutes were good". Time is cut into slices of a fixed length;
//! a slice is good when the share of good events in it meets the slice objective (for a
//! latency SLI, the share of events within the latency target). Budgets, burn rates, calendar
//! periods and SLAs then count slices instead of events.
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
//! ```

use std::time::Duration;

use super::{DefinitionErrorKind, Objective};

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

/// A time-slice SLI: slice length, the objective each slice is judged by, the empty-slice rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeSlices {
    length: Duration,
    objective: Objective,
    empty: EmptySlices,
}

impl TimeSlices {
    /// Slices of `length` (a whole number of [`SLICE_STEP`]s, at most a day), each good when
    /// at least `objective_percent` of its events are good.
    pub fn new(
        length: Duration,
        objective_percent: f64,
    ) -> Result<TimeSlices, DefinitionErrorKind> {
        let step = SLICE_STEP.as_nanos();
        if length.is_zero() || length.as_nanos() % step != 0 || length > Duration::from_secs(86_400)
        {
            return Err(DefinitionErrorKind::InvalidSliceLength { length });
        }
        Ok(TimeSlices {
            length,
            objective: Objective::from_percent(objective_percent)?,
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

    /// The objective a slice is judged by.
    pub fn objective(&self) -> Objective {
        self.objective
    }

    /// The empty-slice rule.
    pub fn empty_rule(&self) -> EmptySlices {
        self.empty
    }

    /// Whether a slice with these counts is good (`None`: not counted).
    pub fn judge(&self, events: u64, bad: u64) -> Option<bool> {
        if events == 0 {
            return match self.empty {
                EmptySlices::Skip => None,
                EmptySlices::Bad => Some(false),
            };
        }
        // Good share >= objective, compared as bad share <= budget with the same tolerance
        // the burn-rate thresholds use (0.999 has no exact binary form).
        let bad_share = bad.min(events) as f64 / events as f64;
        Some(bad_share <= self.objective.error_budget() * (1.0 + 1e-9))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_is_good_when_its_share_meets_the_objective() {
        let s = TimeSlices::new(Duration::from_secs(60), 99.0).expect("valid");
        assert_eq!(s.judge(100, 1), Some(true));
        assert_eq!(s.judge(100, 2), Some(false));
        assert_eq!(s.judge(0, 0), None);
        assert_eq!(s.empty(EmptySlices::Bad).judge(0, 0), Some(false));
        assert_eq!(
            EmptySlices::parse("good"),
            None,
            "never good: no false green"
        );
        let exact = TimeSlices::new(Duration::from_secs(60), 99.9).expect("valid");
        assert_eq!(exact.judge(1000, 1), Some(true), "exactly at the objective");
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
