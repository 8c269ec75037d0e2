//! SLA notifications: a month whose failures put the SLA at risk and then breach it sends
//! `sla-at-risk` (a ticket) and `sla-breached` (a page) to the sinks, each once, and the new
//! month resolves them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sloguard_core::alert::{AlertState, AlertTransition};
use sloguard_core::clock::{Timestamp, VirtualClock};
use sloguard_core::compliance::SlaStatus;
use sloguard_core::contract;
use sloguard_core::model::{AlertPolicy, Calendar, Sla, Slo};
use sloguard_core::{Outcome, Registry};

/// 2026-02-01 00:00 UTC; March starts 28 days later.
const FEB: u64 = 1_769_904_000;
const MAR: u64 = FEB + 28 * 86_400;

#[test]
fn an_sla_at_risk_then_breached_notifies_and_a_new_month_resolves() {
    let clock = VirtualClock::new(Timestamp::from_unix_secs(FEB));
    let seen: Arc<Mutex<Vec<AlertTransition>>> = Arc::default();
    let sink = {
        let seen = Arc::clone(&seen);
        move |t: &AlertTransition| seen.lock().expect("lock").push(t.clone())
    };
    let registry = Registry::builder("shop")
        .clock(clock.clock())
        .alert_sink(sink)
        .build();
    let slo = Slo::availability("checkout")
        .objective_percent(99.9)
        .alerting(AlertPolicy::none())
        .sla(Sla::new(99.0, Calendar::month("UTC").expect("zone")).expect("valid"))
        .build()
        .expect("valid");
    let recorder = registry.register(slo).expect("registers");
    // 100 requests an hour; from day 10, 3 of them fail (3% against the 1% allowed): at risk
    // once the month's share passes 1%, breached once the bad events exceed 1% of the month's
    // expected traffic. (The evaluator ticks every 10 s: the longest tick there is.)
    for hour in 0..28 * 24 + 3 {
        registry.advance_to(Timestamp::from_unix_secs(FEB + hour * 3_600 + 1));
        let bad = if (10 * 24..28 * 24).contains(&hour) {
            3
        } else {
            0
        };
        for i in 0..100 {
            let outcome = if i < bad {
                Outcome::Error
            } else {
                Outcome::Success
            };
            recorder.record(outcome, Duration::from_millis(5));
        }
    }
    let seen = seen.lock().expect("lock");
    let steps: Vec<(&str, AlertState, SlaStatus)> = seen
        .iter()
        .map(|t| {
            let sla = t.sla.as_ref().expect("SLA notifications only");
            (t.tier_id.as_str(), t.state, sla.status)
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("sla-at-risk", AlertState::Firing, SlaStatus::AtRisk),
            ("sla-at-risk", AlertState::Resolved, SlaStatus::Breached),
            ("sla-breached", AlertState::Firing, SlaStatus::Breached),
            ("sla-breached", AlertState::Resolved, SlaStatus::NoData),
        ],
        "{seen:#?}"
    );
    let (at_risk, breached, resolved) = (&seen[0], &seen[2], &seen[3]);
    assert_eq!(at_risk.alert_name, contract::SLA_AT_RISK_ALERT);
    assert_eq!(breached.alert_name, contract::SLA_BREACHED_ALERT);
    // At risk once the month's share of failures passes 1% (3h > 240 + h after h bad hours:
    // the 121st, hour 360 of the month), at the first tick after that hour's requests.
    assert_eq!(
        at_risk.at,
        Timestamp::from_unix_secs(FEB + 360 * 3_600 + 10)
    );
    assert!(at_risk.time_to_exhaustion.is_some(), "at risk says when");
    assert!(breached.budget_remaining <= 0.0);
    assert!((breached.objective - 0.99).abs() < 1e-12);
    assert_eq!(
        resolved.at,
        Timestamp::from_unix_secs(MAR),
        "the new month resolves it"
    );
    // Breached when 1% of the month's pace is spent: bad > 1% x events x (28 days / elapsed).
    let sla = breached.sla.as_ref().expect("SLA");
    let elapsed = breached
        .at
        .saturating_duration_since(sla.period_start)
        .as_secs_f64();
    let pace = sla.bad_events as f64 / sla.events as f64 / 0.01 * elapsed / (28.0 * 86_400.0);
    assert!(pace >= 1.0, "{pace}");
}

#[test]
fn burn_rate_notifications_quote_the_alerting_window_budget() {
    // Two weeks of clean traffic, then an outage on Monday of the third ISO week: the page
    // quotes that week's budget (which starts whole on Monday) instead of the rolling 30 days.
    let run = |quote_week: bool| {
        let start = FEB + 86_400; // Monday 2026-02-02
        let clock = VirtualClock::new(Timestamp::from_unix_secs(start));
        let seen: Arc<Mutex<Vec<AlertTransition>>> = Arc::default();
        let sink = {
            let seen = Arc::clone(&seen);
            move |t: &AlertTransition| seen.lock().expect("lock").push(t.clone())
        };
        let registry = Registry::builder("shop")
            .clock(clock.clock())
            .alert_sink(sink)
            .build();
        let mut slo = Slo::availability("checkout")
            .objective_percent(99.0)
            .calendar(Calendar::week("UTC").expect("zone"));
        if quote_week {
            slo = slo.alerting_window("week");
        }
        let recorder = registry
            .register(slo.build().expect("valid"))
            .expect("registers");
        // Two requests every 10 s tick, one of them failing in the outage.
        for step in 0..(14 * 24 + 2) * 360 {
            // On a tick, so a snapshot now sees what the tick saw.
            registry.advance_to(Timestamp::from_unix_secs(start + step * 10));
            if !seen.lock().expect("lock").is_empty() {
                let week = registry.snapshot().slos[0].compliance[0].clone();
                let first = seen.lock().expect("lock")[0].clone();
                return (first, week);
            }
            let outage = step >= (14 * 24 + 1) * 360;
            recorder.record(Outcome::Success, Duration::from_millis(5));
            let second = if outage {
                Outcome::Error
            } else {
                Outcome::Success
            };
            recorder.record(second, Duration::from_millis(5));
        }
        panic!("no page");
    };
    let (quoted, week) = run(true);
    assert_eq!(quoted.state, AlertState::Firing);
    assert_eq!(quoted.budget_window, Some("week"));
    assert_eq!(quoted.budget_remaining, week.budget_remaining);
    assert_eq!(quoted.time_to_exhaustion, week.time_to_exhaustion);
    let (rolling, _) = run(false);
    assert_eq!(rolling.budget_window, None);
    assert_eq!(
        (rolling.tier_id.as_str(), rolling.at),
        (quoted.tier_id.as_str(), quoted.at)
    );
    // Fourteen clean days behind the rolling budget; the week's is a day and a bit old.
    assert!(
        rolling.budget_remaining > quoted.budget_remaining + 0.03,
        "rolling {} week {}",
        rolling.budget_remaining,
        quoted.budget_remaining
    );
}
