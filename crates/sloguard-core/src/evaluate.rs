//! From window counts to burn rates, budget remaining, time to exhaustion and alert state.
//!
//! Semantics, all request-weighted (a window's rate is its bad events over its events, never
//! an average of per-interval rates):
//! - burn rate over a window: `(bad / total) / (1 - objective)`; `None` when the window holds
//!   no events (not 0, which would claim health, and not NaN);
//! - budget remaining: `1 - (bad / total over the period) / (1 - objective)`; 1.0 over a period
//!   with no events; below zero once the budget is overspent;
//! - time to exhaustion: remaining budget divided by the 1h burn rate, in units of the
//!   period; zero once the budget is spent, `None` while nothing burns;
//! - a tier fires while both its windows burn at or above its threshold and its long window
//!   holds at least `min_events` (and at least one) events and at least `min_bad_events` bad
//!   events. Thresholds are compared with a
//!   relative tolerance of 1e-9, so that a 0.3% error rate on a 99.9% SLO reaches 3x despite
//!   0.999 having no exact binary form.
//!
//! (Crate-private: what users see of it is the [`Evaluation`] in each snapshot.)

use std::time::Duration;

use crate::clock::Timestamp;
use crate::model::{AlertPolicy, AlertTier, SloDefinition};
use crate::window::{Reading, WindowCounts, Windows};

/// The window whose burn rate drives the time-to-exhaustion estimate.
pub(crate) const EXHAUSTION_WINDOW: Duration = Duration::from_secs(3_600);

const TOLERANCE: f64 = 1e-9;

/// `(bad / total) / budget`, or `None` without events.
pub(crate) fn burn_rate(total: u64, bad: u64, budget: f64) -> Option<f64> {
    (total > 0).then(|| (bad as f64 / total as f64) / budget)
}

/// Whether `burn` reaches `threshold` (with the documented tolerance).
pub(crate) fn reaches(burn: Option<f64>, threshold: f64) -> bool {
    burn.is_some_and(|b| b >= threshold * (1.0 - TOLERANCE))
}

/// The burn rate over one window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowBurn {
    /// The window asked for, e.g. 5 minutes.
    pub window: Duration,
    /// Events in it.
    pub events: u64,
    /// Bad events in it.
    pub bad_events: u64,
    /// Where the measured window starts (at most one ring resolution before `now - window`,
    /// or the start of history when that is younger than the window).
    pub since: Timestamp,
    /// The burn rate; `None` without events.
    pub burn_rate: Option<f64>,
}

/// Everything computed for one SLO at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// When.
    pub at: Timestamp,
    /// Burn per window, shortest first.
    pub windows: Vec<WindowBurn>,
    /// Events and bad events over the period.
    pub period: WindowBurn,
    /// Budget remaining over the period.
    pub budget_remaining: f64,
    /// Time until the budget is spent at the current 1h burn rate.
    pub time_to_exhaustion: Option<Duration>,
    /// Per tier of the policy (disabled ones included, never true): its condition holds.
    pub conditions: Vec<bool>,
}

impl Evaluation {
    /// The burn over `window`, if it was computed.
    pub fn window(&self, window: Duration) -> Option<&WindowBurn> {
        self.windows.iter().find(|w| w.window == window)
    }
}

fn to_burn(window: Duration, counts: WindowCounts, budget: f64) -> WindowBurn {
    WindowBurn {
        window,
        events: counts.total,
        bad_events: counts.bad,
        since: Timestamp::from_unix_nanos(counts.since_nanos),
        burn_rate: burn_rate(counts.total, counts.bad, budget),
    }
}

/// Evaluates an SLO at `now` from its rings and the live cumulative reading.
pub(crate) fn evaluate(
    definition: &SloDefinition,
    window_list: &[Duration],
    windows: &Windows,
    now: Timestamp,
    live: Reading,
) -> Evaluation {
    let budget = definition.objective().error_budget();
    let at = now.as_unix_nanos();
    let burns: Vec<WindowBurn> = window_list
        .iter()
        .map(|w| to_burn(*w, windows.window(at, live, *w), budget))
        .collect();
    let period = to_burn(
        definition.period(),
        windows.window(at, live, definition.period()),
        budget,
    );
    let budget_remaining = period.burn_rate.map_or(1.0, |b| 1.0 - b);
    let exhaustion_burn = burns
        .iter()
        .find(|w| w.window == EXHAUSTION_WINDOW)
        .and_then(|w| w.burn_rate);
    let time_to_exhaustion = if budget_remaining <= 0.0 {
        Some(Duration::ZERO)
    } else {
        exhaustion_burn.filter(|b| *b > 0.0).and_then(|b| {
            Duration::try_from_secs_f64(budget_remaining * definition.period().as_secs_f64() / b)
                .ok()
        })
    };
    let find = |w: Duration| burns.iter().find(|b| b.window == w);
    let conditions = definition
        .alerting()
        .tiers
        .iter()
        .map(|tier| {
            tier.enabled
                && holds(
                    tier,
                    definition.alerting(),
                    find(tier.long_window),
                    find(tier.short_window),
                )
        })
        .collect();
    Evaluation {
        at: now,
        windows: burns,
        period,
        budget_remaining,
        time_to_exhaustion,
        conditions,
    }
}

fn holds(
    tier: &AlertTier,
    policy: &AlertPolicy,
    long: Option<&WindowBurn>,
    short: Option<&WindowBurn>,
) -> bool {
    let (Some(long), Some(short)) = (long, short) else {
        return false;
    };
    long.events >= policy.min_events.max(1)
        && long.bad_events >= policy.min_bad_events
        && reaches(long.burn_rate, tier.burn_rate)
        && reaches(short.burn_rate, tier.burn_rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlertPolicy, Slo};

    #[test]
    fn burn_rate_is_none_without_events() {
        assert_eq!(
            burn_rate(1_000, 3, 0.001).map(|b| (b * 1e6).round() / 1e6),
            Some(3.0)
        );
        assert_eq!(burn_rate(0, 0, 0.001), None);
    }

    #[test]
    fn standard_windows_plus_tier_windows_within_period() {
        let day = Duration::from_secs(86_400);
        let def = Slo::availability("a")
            .period(day)
            .alerting(AlertPolicy::none().tier(AlertTier::new(
                crate::model::Severity::Page,
                10.0,
                Duration::from_secs(5_400),
                Duration::from_secs(600),
            )))
            .build()
            .expect("valid");
        let labels: Vec<String> = def
            .evaluated_windows()
            .into_iter()
            .map(crate::duration::format_duration)
            .collect();
        assert_eq!(
            labels,
            ["5m", "10m", "30m", "1h", "1h30m", "2h", "6h", "1d"]
        );
    }

    #[test]
    fn empty_period_has_full_budget_and_no_burn() {
        let def = Slo::availability("a").build().expect("valid");
        let w = Windows::new(def.period(), 0, Reading::default());
        let e = evaluate(
            &def,
            &def.evaluated_windows(),
            &w,
            Timestamp::from_unix_secs(60),
            Reading::default(),
        );
        assert_eq!(e.budget_remaining, 1.0);
        assert!(e.windows.iter().all(|w| w.burn_rate.is_none()));
        assert_eq!(e.time_to_exhaustion, None);
        assert!(e.conditions.iter().all(|c| !c));
    }

    #[test]
    fn overspent_budget_goes_negative_and_is_exhausted_now() {
        let def = Slo::availability("a").build().expect("valid");
        let w = Windows::new(def.period(), 0, Reading::default());
        let live = Reading { total: 100, bad: 1 }; // 1% bad on a 0.1% budget
        let e = evaluate(
            &def,
            &def.evaluated_windows(),
            &w,
            Timestamp::from_unix_secs(60),
            live,
        );
        assert!((e.budget_remaining - -9.0).abs() < 1e-9);
        assert_eq!(e.time_to_exhaustion, Some(Duration::ZERO));
    }

    #[test]
    fn time_to_exhaustion_scales_with_the_hourly_burn() {
        // 100 events / 0 bad in the old part of the period, then 1,000 / 5 bad in the last hour.
        let def = Slo::availability("a").build().expect("valid");
        let hour = 3_600_000_000_000u64;
        let mut w = Windows::new(def.period(), 0, Reading::default());
        w.observe(
            10 * hour,
            Reading {
                total: 100_000,
                bad: 0,
            },
        );
        let live = Reading {
            total: 101_000,
            bad: 5,
        };
        let e = evaluate(
            &def,
            &def.evaluated_windows(),
            &w,
            Timestamp::from_unix_nanos(11 * hour),
            live,
        );
        let burn = e
            .window(EXHAUSTION_WINDOW)
            .and_then(|b| b.burn_rate)
            .expect("traffic");
        assert!((burn - 5.0).abs() < 1e-9);
        let remaining = 1.0 - (5.0 / 101_000.0) / 0.001;
        let want = remaining * 30.0 * 86_400.0 / 5.0;
        let got = e.time_to_exhaustion.expect("burning").as_secs_f64();
        assert!((got - want).abs() < 1.0, "{got} vs {want}");
    }
}
