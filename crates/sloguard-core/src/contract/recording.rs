//! The names of the Prometheus recording rules and rule labels that `sloguard rules` writes
//! and the Grafana dashboard, the fleet rules and `sloguard serve` read: Sloth's names, so
//! dashboards and alerts written for Sloth read sloguard's rules unchanged.
//!
//! ```
//! use sloguard_core::contract::recording;
//!
//! assert_eq!(recording::sli_error("5m"), "slo:sli_error:ratio_rate5m");
//! assert_eq!(recording::OBJECTIVE, "slo:objective:ratio");
//! ```

/// The error ratio over a window: [`sli_error`] appends the window (`5m`, `30d`).
pub const SLI_ERROR_PREFIX: &str = "slo:sli_error:ratio_rate";
/// The objective as a ratio.
pub const OBJECTIVE: &str = "slo:objective:ratio";
/// The error budget as a ratio (1 − objective).
pub const ERROR_BUDGET: &str = "slo:error_budget:ratio";
/// The period in days.
pub const TIME_PERIOD_DAYS: &str = "slo:time_period:days";
/// The burn rate over 5 minutes.
pub const CURRENT_BURN_RATE: &str = "slo:current_burn_rate:ratio";
/// The burn rate over the period.
pub const PERIOD_BURN_RATE: &str = "slo:period_burn_rate:ratio";
/// The budget left over the rolling period.
pub const PERIOD_BUDGET_REMAINING: &str = "slo:period_error_budget_remaining:ratio";
/// The fleet's error ratio over the current calendar period.
pub const SLI_ERROR_CALENDAR: &str = "slo:sli_error:ratio_calendar";
/// The fleet's budget left in the current calendar period.
pub const CALENDAR_BUDGET_REMAINING: &str = "slo:calendar_error_budget_remaining:ratio";
/// The fleet's SLA budget left in the current calendar period.
pub const SLA_BUDGET_REMAINING: &str = "slo:sla_error_budget_remaining:ratio";

/// sloguard's own: events per second over 5 minutes, the period ratio's addends.
pub const EVENTS_RATE5M: &str = "sloguard:slo_events:rate5m";
/// sloguard's own: bad events per second over 5 minutes.
pub const BAD_EVENTS_RATE5M: &str = "sloguard:slo_bad_events:rate5m";
/// sloguard's own: the fleet's events in the current calendar period.
pub const PERIOD_EVENTS_SUM: &str = "sloguard:slo_period_events:sum";
/// sloguard's own: the fleet's bad events in the current calendar period.
pub const PERIOD_BAD_EVENTS_SUM: &str = "sloguard:slo_period_bad_events:sum";
/// sloguard's own: the error ratio of a time-slice SLO's slices.
pub const SLICE_ERROR: &str = "sloguard:slo_slice_error:ratio";
/// sloguard's own: whether a time slice was bad.
pub const SLICE_BAD: &str = "sloguard:slo_slice_bad";

/// Labels the rules put on their series and alerts.
pub mod label {
    /// The SLO's id (`SERVICE-SLO`).
    pub const ID: &str = "sloth_id";
    /// The service.
    pub const SERVICE: &str = "sloth_service";
    /// The SLO.
    pub const SLO: &str = "sloth_slo";
    /// The window of an error-ratio series.
    pub const WINDOW: &str = "sloth_window";
    /// An alert's severity (`page`, `ticket`).
    pub const SEVERITY: &str = "sloth_severity";
    /// An alert's tier (`page-1h`), sloguard's own.
    pub const TIER: &str = "sloguard_tier";
}

/// The error-ratio series of a window, e.g. `slo:sli_error:ratio_rate5m`.
pub fn sli_error(window: &str) -> String {
    format!("{SLI_ERROR_PREFIX}{window}")
}
