//! Notifications in words a support or communications person can use.

use sloguard_core::alert::{AlertState, AlertTransition, SlaNotice};
use sloguard_core::compliance::SlaStatus;
use sloguard_core::duration::{format_duration, human_duration};
use sloguard_core::words::{objective_percent, percent, period_adjective, sli_problem, Outlook};

/// The alert name the generated Prometheus rules use too (see
/// [`contract::alert_name`](sloguard_core::contract::alert_name)).
pub use sloguard_core::contract::alert_name as default_alert_name;

/// One sentence or two: what users experience, and how long until the budget is gone.
///
/// ```
/// # use sloguard::alerting::summary;
/// # use sloguard::alert::{AlertState, AlertTransition};
/// # use sloguard::clock::Timestamp;
/// # use sloguard::model::{Severity, Sli};
/// # use std::time::Duration;
/// let t = AlertTransition {
///     service: "checkout".into(), slo: "availability".into(), alert_name: "AvailabilityBudgetBurn".into(), sli: Sli::Availability,
///     runbook_url: None, tier_id: "page-1h".into(), severity: Severity::Page,
///     state: AlertState::Firing, at: Timestamp::EPOCH, firing_since: Timestamp::EPOCH,
///     threshold: 14.4, long_window: Duration::from_secs(3600), short_window: Duration::from_secs(300),
///     long_burn_rate: Some(21.0), short_burn_rate: Some(21.0), short_error_ratio: Some(0.021),
///     objective: 0.999, period: Duration::from_secs(30 * 86_400), budget_remaining: 0.8,
///     time_to_exhaustion: Some(Duration::from_secs(3 * 3600 + 600)), budget_window: None, sla: None,
/// };
/// assert_eq!(summary(&t), "2.1% of checkout requests are failing; at this rate the 30-day error budget runs out in 3h 10m.");
/// ```
pub fn summary(t: &AlertTransition) -> String {
    if let Some(sla) = &t.sla {
        return sla_summary(t, sla);
    }
    let budget = budget_name(t);
    let problem = sli_problem(t.sli);
    let share = t.short_error_ratio.map_or("none".to_owned(), percent);
    let left = || {
        format!(
            "{} of {budget} is left",
            percent(t.budget_remaining.max(0.0))
        )
    };
    match t.state {
        AlertState::Firing => {
            let outlook = match Outlook::of(t.time_to_exhaustion) {
                Outlook::Spent => format!("{budget} is already spent"),
                Outlook::RunsOutIn(d) => {
                    format!("at this rate {budget} runs out in {}", human_duration(d))
                }
                Outlook::Steady => left(),
            };
            format!("{share} of {} requests {problem}; {outlook}.", t.service)
        }
        // "Cleared", not "fixed": the burn fell below this alert's level, which is not the
        // same as being back within the objective.
        AlertState::Resolved => format!(
            "The alert has cleared: {share} of {} requests {problem} over the last {}; {}.",
            t.service,
            format_duration(t.short_window),
            left()
        ),
    }
}

/// The budget a burn-rate notification quotes: `this month's error budget` when the SLO's
/// alerting reads a calendar window, else `the 30-day error budget`.
pub(super) fn budget_name(t: &AlertTransition) -> String {
    match t.budget_window {
        Some(window) => format!("this {window}'s error budget"),
        None => format!("the {} error budget", period_adjective(t.period)),
    }
}

/// An SLA notification: the commitment, where this period stands, and for "at risk" when
/// what it allows would run out.
fn sla_summary(t: &AlertTransition, sla: &SlaNotice) -> String {
    let commitment = format!(
        "The {} SLA ({}% per calendar {})",
        t.service,
        objective_percent(t.objective),
        sla.window
    );
    let allowed = percent(1.0 - t.objective);
    let so_far = t.short_error_ratio.map_or("none".to_owned(), percent);
    let share = format!(
        "so far this {}, {so_far} of {} requests {}",
        sla.window,
        t.service,
        sli_problem(t.sli)
    );
    let state = if t.alert_name == sloguard_core::contract::SLA_BREACHED_ALERT {
        "breached"
    } else {
        "at risk"
    };
    match t.state {
        AlertState::Firing if sla.status == SlaStatus::Breached => {
            format!("{commitment} is breached: {share}, more than the {allowed} it allows.")
        }
        AlertState::Firing => {
            let outlook = match Outlook::of(t.time_to_exhaustion) {
                Outlook::RunsOutIn(d) => format!(
                    "; at this pace what it allows runs out in {}, before the {} ends",
                    human_duration(d),
                    sla.window
                ),
                _ => String::new(),
            };
            format!("{commitment} is at risk: {share}, more than the {allowed} it allows{outlook}.")
        }
        AlertState::Resolved if sla.period_start > t.firing_since => format!(
            "{commitment} is no longer {state}: a new {} has begun.",
            sla.window
        ),
        AlertState::Resolved => format!(
            "{commitment} is no longer {state}: {share}, within what it allows at this pace."
        ),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use sloguard_core::alert::{AlertState, AlertTransition};
    use sloguard_core::clock::Timestamp;
    use sloguard_core::model::{Severity, Sli};

    use super::*;

    /// A transition for tests.
    pub(crate) fn transition(
        sli: Sli,
        state: AlertState,
        exhaustion: Option<Duration>,
    ) -> AlertTransition {
        AlertTransition {
            service: "checkout".into(),
            slo: "latency".into(),
            alert_name: "LatencyBudgetBurn".into(),
            sli,
            runbook_url: None,
            tier_id: "page-1h".into(),
            severity: Severity::Page,
            state,
            at: Timestamp::EPOCH,
            firing_since: Timestamp::EPOCH,
            threshold: 14.4,
            long_window: Duration::from_secs(3_600),
            short_window: Duration::from_secs(300),
            long_burn_rate: Some(40.0),
            short_burn_rate: Some(0.0),
            short_error_ratio: Some(0.0004),
            objective: 0.99,
            period: Duration::from_secs(28 * 86_400),
            budget_remaining: 0.42,
            time_to_exhaustion: exhaustion,
            budget_window: None,
            sla: None,
        }
    }

    #[test]
    fn a_calendar_alerting_window_is_quoted_by_name() {
        let mut t = transition(
            Sli::Availability,
            AlertState::Firing,
            Some(Duration::from_secs(2 * 86_400)),
        );
        t.budget_window = Some("month");
        assert_eq!(
            summary(&t),
            "0.04% of checkout requests are failing; at this rate this month's error budget runs out in 2d."
        );
        t.state = AlertState::Resolved;
        assert!(
            summary(&t).ends_with("; 42% of this month's error budget is left."),
            "{}",
            summary(&t)
        );
        t.budget_window = None;
        assert!(summary(&t).contains("of the 28-day error budget"));
    }

    #[test]
    fn sla_wording() {
        let mut t = transition(
            Sli::Availability,
            AlertState::Firing,
            Some(Duration::from_secs(5 * 86_400)),
        );
        t.tier_id = "sla-at-risk".into();
        t.alert_name = sloguard_core::contract::SLA_AT_RISK_ALERT.into();
        t.objective = 0.99;
        t.short_error_ratio = Some(0.012);
        t.firing_since = Timestamp::from_unix_secs(100);
        t.sla = Some(SlaNotice {
            window: "month",
            status: SlaStatus::AtRisk,
            period_start: Timestamp::from_unix_secs(10),
            period_end: Timestamp::from_unix_secs(2_678_410),
            events: 1_000,
            bad_events: 12,
        });
        assert_eq!(
            summary(&t),
            "The checkout SLA (99% per calendar month) is at risk: so far this month, 1.2% of checkout requests are failing, more than the 1.0% it allows; at this pace what it allows runs out in 5d, before the month ends."
        );
        t.tier_id = "sla-breached".into();
        t.alert_name = sloguard_core::contract::SLA_BREACHED_ALERT.into();
        t.state = AlertState::Resolved;
        if let Some(sla) = t.sla.as_mut() {
            sla.period_start = Timestamp::from_unix_secs(200);
            sla.status = SlaStatus::NoData;
        }
        assert_eq!(
            summary(&t),
            "The checkout SLA (99% per calendar month) is no longer breached: a new month has begun."
        );
    }

    #[test]
    fn latency_spent_and_resolved_wording() {
        let latency = Sli::Latency {
            threshold: Duration::from_millis(300),
            require_success: true,
        };
        assert_eq!(
            summary(&transition(latency, AlertState::Firing, Some(Duration::ZERO))),
            "0.04% of checkout requests are slower than 300ms or failing; the 28-day error budget is already spent."
        );
        assert_eq!(
            summary(&transition(Sli::Availability, AlertState::Resolved, None)),
            "The alert has cleared: 0.04% of checkout requests are failing over the last 5m; 42% of the 28-day error budget is left."
        );
        assert_eq!(
            default_alert_name("checkout-latency"),
            "CheckoutLatencyBudgetBurn"
        );
        assert_eq!(default_alert_name("99th"), "Slo99thBudgetBurn");
    }
}
