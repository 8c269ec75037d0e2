//! Sloth's SLO periods and their alert windows: which multiwindow multi-burn-rate tiers a
//! Sloth SLO gets for its period.
//!
//! Sloth writes a period's windows as the share of the error budget each tier may spend over
//! its long window; the burn-rate threshold follows: `share × period / long window`. Sloth
//! ships 30 days (2% over 1h, 5% over 6h, 10% over 1d, 10% over 3d: 14.4, 6, 3, 1) and 28 days
//! (the same shares: 13.44, 5.6, 2.8, 0.933…); other periods come from `AlertWindows` files
//! (`apiVersion: sloth.slok.dev/v1`, `kind: AlertWindows`), given to `sloguard rules` with
//! `--slo-period-windows-path`.
//!
//! ```
//! use std::time::Duration;
//! use sloguard_spec::sloth_windows::SlothPeriods;
//!
//! let periods = SlothPeriods::builtin(Duration::from_secs(28 * 86_400));
//! let policy = periods.policy().unwrap();
//! let rates: Vec<f64> = policy.tiers.iter().map(|t| (t.burn_rate * 1e4).round() / 1e4).collect();
//! assert_eq!(rates, [13.44, 5.6, 2.8, 0.9333]);
//! ```

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use sloguard_core::duration::format_duration;
use sloguard_core::model::{AlertPolicy, AlertTier, Severity, DEFAULT_BUDGET_SHARES};

use crate::values::DurationText;
use crate::SpecError;

/// One tier's window: the budget share it may spend over `long`, checked over `short` too.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// The share of the period's error budget, in percent (2 for 2%).
    pub error_budget_percent: f64,
    /// The short window.
    pub short: Duration,
    /// The long window.
    pub long: Duration,
}

/// The four windows of one SLO period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlertWindows {
    /// The SLO period these windows are for.
    pub period: Duration,
    /// Page, quick then slow; ticket, quick then slow.
    pub windows: [(Severity, Window); 4],
}

const DAY: u64 = 86_400;

impl AlertWindows {
    /// Sloth's built-in windows, for 30-day and 28-day periods.
    fn builtin(period: Duration) -> Option<AlertWindows> {
        if period != Duration::from_secs(30 * DAY) && period != Duration::from_secs(28 * DAY) {
            return None;
        }
        // Sloth's built-in windows are the default tiers every format gets.
        let windows = DEFAULT_BUDGET_SHARES.map(|share| {
            (
                share.severity,
                Window {
                    error_budget_percent: f64::from(share.percent),
                    short: share.short_window,
                    long: share.long_window,
                },
            )
        });
        Some(AlertWindows { period, windows })
    }

    /// The tiers: each threshold is `share × period / long window`.
    pub fn policy(&self) -> AlertPolicy {
        self.windows
            .iter()
            .fold(AlertPolicy::none(), |policy, (severity, w)| {
                let burn_rate = w.error_budget_percent / 100.0 * self.period.as_secs_f64()
                    / w.long.as_secs_f64();
                policy.tier(AlertTier::new(*severity, burn_rate, w.long, w.short))
            })
    }

    /// Reads an `AlertWindows` file.
    pub fn parse(text: &str) -> Result<AlertWindows, SpecError> {
        let file: WindowsFile =
            serde_yaml_ng::from_str(text).map_err(|e| crate::yaml_error(e, ""))?;
        if file.api_version != "sloth.slok.dev/v1" || file.kind != "AlertWindows" {
            return Err(SpecError::new(
                "kind",
                format!(
                    "{} {} is not an alert windows file; expected apiVersion sloth.slok.dev/v1, kind AlertWindows",
                    file.api_version, file.kind
                ),
            ));
        }
        let s = file.spec;
        let w = |w: WindowText| Window {
            error_budget_percent: w.error_budget_percent,
            short: w.short_window.0,
            long: w.long_window.0,
        };
        Ok(AlertWindows {
            period: s.slo_period.0,
            windows: [
                (Severity::Page, w(s.page.quick)),
                (Severity::Page, w(s.page.slow)),
                (Severity::Ticket, w(s.ticket.quick)),
                (Severity::Ticket, w(s.ticket.slow)),
            ],
        })
    }
}

/// The period Sloth SLOs get and the windows known for each period.
#[derive(Clone, Debug, PartialEq)]
pub struct SlothPeriods {
    /// The period of SLOs whose spec gives none (Sloth's `--default-slo-period`; 30 days).
    pub default_period: Duration,
    /// Windows from files, which take precedence over the built-in ones of the same period.
    pub files: Vec<AlertWindows>,
}

impl Default for SlothPeriods {
    fn default() -> Self {
        SlothPeriods::builtin(Duration::from_secs(30 * DAY))
    }
}

impl SlothPeriods {
    /// Sloth's built-in windows with `default_period`.
    pub fn builtin(default_period: Duration) -> Self {
        SlothPeriods {
            default_period,
            files: Vec::new(),
        }
    }

    /// Adds every `AlertWindows` file (`*.yaml`, `*.yml`) of a directory, as Sloth's
    /// `--slo-period-windows-path` does.
    pub fn load_dir(mut self, dir: &Path) -> Result<Self, SpecError> {
        let entries = std::fs::read_dir(dir).map_err(|e| SpecError {
            file: Some(dir.to_owned()),
            ..SpecError::new("", format!("cannot read the windows directory: {e}"))
        })?;
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| SpecError {
                file: Some(path.clone()),
                ..SpecError::new("", format!("cannot read: {e}"))
            })?;
            let windows = AlertWindows::parse(&text).map_err(|e| SpecError {
                file: Some(path.clone()),
                ..e
            })?;
            self.files.push(windows);
        }
        Ok(self)
    }

    /// The windows of `period`.
    pub fn windows(&self, period: Duration) -> Option<AlertWindows> {
        self.files
            .iter()
            .rev()
            .find(|w| w.period == period)
            .copied()
            .or_else(|| AlertWindows::builtin(period))
    }

    /// The tiers of the default period.
    pub fn policy(&self) -> Result<AlertPolicy, SpecError> {
        self.policy_for(self.default_period)
    }

    /// The tiers of `period`, or why there are none.
    pub fn policy_for(&self, period: Duration) -> Result<AlertPolicy, SpecError> {
        self.windows(period).map(|w| w.policy()).ok_or_else(|| {
            SpecError::new(
                "",
                format!(
                    "Sloth has no alert windows for a {} period (it has 30d and 28d built in): give an AlertWindows file with sloPeriod {} through --slo-period-windows-path",
                    format_duration(period),
                    format_duration(period)
                ),
            )
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WindowsFile {
    api_version: String,
    kind: String,
    spec: WindowsSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WindowsSpec {
    slo_period: DurationText,
    page: QuickSlow,
    ticket: QuickSlow,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuickSlow {
    quick: WindowText,
    slow: WindowText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WindowText {
    error_budget_percent: f64,
    short_window: DurationText,
    long_window: DurationText,
}

/// `policy` without the tiers `objective_percent` leaves unreachable: a tier whose burn rate
/// times the error budget is 1 or more cannot fire even when every event fails (below about
/// 93%, the 14.4x page). Sloth and Pyrra write such SLOs with all their tiers; they are read
/// here with those tiers left out, each said in a note that names `field`. An objective that
/// is not a percentage keeps every tier, and the definition's own check refuses it.
pub(crate) fn reachable(
    policy: AlertPolicy,
    objective_percent: f64,
    field: &str,
    notes: &mut Vec<String>,
) -> AlertPolicy {
    let Ok(objective) = sloguard_core::model::Objective::from_percent(objective_percent) else {
        return policy;
    };
    let (kept, dropped) = policy.split_unreachable(objective);
    for tier in &dropped {
        notes.push(format!(
            "{field}: tier {} (burn rate {}) can never fire at {objective_percent}%: even every event failing burns at most {:.4}x, so it is left out",
            tier.id(),
            (tier.burn_rate * 1e4).round() / 1e4,
            objective.max_burn_rate()
        ));
    }
    kept
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_days_are_the_workbook_and_files_add_periods() {
        let policy = SlothPeriods::default().policy().expect("30d");
        let rates: Vec<f64> = policy.tiers.iter().map(|t| t.burn_rate).collect();
        assert_eq!(rates, [14.4, 6.0, 3.0, 1.0]);
        let file = "apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 7d\n  page:\n    quick: {errorBudgetPercent: 8, shortWindow: 5m, longWindow: 1h}\n    slow: {errorBudgetPercent: 12.5, shortWindow: 30m, longWindow: 6h}\n  ticket:\n    quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 1d}\n    slow: {errorBudgetPercent: 42, shortWindow: 6h, longWindow: 3d}\n";
        let mut periods = SlothPeriods::builtin(Duration::from_secs(7 * DAY));
        assert!(periods.policy().is_err(), "no 7d windows built in");
        periods
            .files
            .push(AlertWindows::parse(file).expect("valid"));
        let rates: Vec<f64> = periods
            .policy()
            .expect("7d")
            .tiers
            .iter()
            .map(|t| (t.burn_rate * 1e6).round() / 1e6)
            .collect();
        assert_eq!(rates, [13.44, 3.5, 1.4, 0.98]);
    }
}
