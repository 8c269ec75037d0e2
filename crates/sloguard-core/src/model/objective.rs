//! The objective: a ratio strictly between 0 and 1, and its error budget.

use super::error::DefinitionErrorKind;

/// A validated objective: the share of events that must be good, strictly between 0 and 1,
/// resolved to 12 decimal places.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Objective {
    ratio: f64,
    budget: f64,
}

impl Objective {
    /// The objective as a ratio, e.g. 0.999.
    pub const fn ratio(self) -> f64 {
        self.ratio
    }

    /// The objective as a percentage, e.g. 99.9.
    pub fn percent(self) -> f64 {
        self.ratio * 100.0
    }

    /// An objective from a percentage such as 99.9. Below 1 it is refused as a ratio written
    /// where a percentage is expected ("did you mean 99.9?"); the spec reader and the builder
    /// both check here.
    pub fn from_percent(percent: f64) -> Result<Objective, DefinitionErrorKind> {
        if percent > 0.0 && percent < 1.0 {
            return Err(DefinitionErrorKind::ObjectiveLooksLikeRatio { percent });
        }
        Objective::checked(percent / 100.0, format!("{percent}%"))
    }

    /// An objective from a ratio such as 0.999.
    pub fn from_ratio(ratio: f64) -> Result<Objective, DefinitionErrorKind> {
        Objective::checked(ratio, format!("{ratio}"))
    }

    fn checked(ratio: f64, written: String) -> Result<Objective, DefinitionErrorKind> {
        // Rounded to 12 decimals: `99.9 / 100` is 0.9990000000000001 in binary, which would
        // leak into exported objectives and burn rates; no real objective needs more digits.
        let round = |x: f64| (x * 1e12).round() / 1e12;
        let ratio = round(ratio);
        let budget = round(1.0 - ratio);
        // NaN fails both comparisons, so it is refused here too.
        if ratio > 0.0 && ratio < 1.0 && budget > 0.0 {
            Ok(Objective { ratio, budget })
        } else {
            Err(DefinitionErrorKind::ObjectiveOutOfRange { ratio, written })
        }
    }

    /// The error budget `1 - objective`, e.g. 0.001 (both rounded to 12 decimals).
    pub const fn error_budget(self) -> f64 {
        self.budget
    }

    /// The highest burn rate possible: every event bad.
    pub fn max_burn_rate(self) -> f64 {
        1.0 / self.budget
    }
}
