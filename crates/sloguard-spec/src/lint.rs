//! `sloguard lint SPEC`: validates a spec and warns about what would not work as meant.
//!
//! Errors are the spec's own (with file, line, column and field). Warnings:
//! - what an import could not carry over ([`SloSpec::notes`](crate::SloSpec::notes));
//! - a period shorter than a standard window (that window's burn rate is never reported);
//! - alerts without a runbook URL, or an SLO with every tier disabled;
//! - with `--expected-rate`: traffic too low for the objective (an alert needs
//!   `min_bad_events` failures in its long window, far past its threshold at that rate);
//!   tiers that can never fire because `min_events` exceeds the
//!   traffic of their long window, and low-traffic risk: a single failed request in a page
//!   tier's short window burning fast enough to page.

use crate::Spec;
use sloguard_core::duration::format_duration;
use sloguard_core::model::Severity;
use sloguard_core::model::STANDARD_WINDOWS;

/// One warning about one SLO.
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    /// The SLO.
    pub slo: String,
    /// What may go wrong and what to do.
    pub message: String,
}

/// The warnings of a valid spec; `expected_rate` is the expected events per second.
pub fn lint(spec: &Spec, expected_rate: Option<f64>) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for slo in &spec.slos {
        let def = &slo.definition;
        let mut warn = |message: String| {
            warnings.push(Warning {
                slo: def.name().to_owned(),
                message,
            })
        };
        for note in slo
            .notes
            .iter()
            .cloned()
            .chain(crate::rules::fleet_notes(slo))
        {
            warn(note);
        }
        for w in STANDARD_WINDOWS.iter().filter(|w| **w > def.period()) {
            warn(format!(
                "the period {} is shorter than the standard window {}: no {} burn rate is reported",
                format_duration(def.period()),
                format_duration(*w),
                format_duration(*w)
            ));
        }
        let enabled: Vec<_> = def.alerting().enabled_tiers().collect();
        if enabled.is_empty() {
            warn("every alert tier is disabled: this SLO never alerts anyone".into());
        } else if slo.alerting.runbook_url.is_none() {
            warn("alerts have no runbook URL: whoever is paged gets no instructions (alerting.runbook_url)".into());
        }
        let Some(rate) = expected_rate.filter(|r| *r > 0.0) else {
            continue;
        };
        let budget = def.objective().error_budget();
        let min_events = def.alerting().min_events;
        for tier in &enabled {
            let expected_long = rate * tier.long_window.as_secs_f64();
            if (min_events as f64) > expected_long {
                warn(format!(
                    "tier {} can never fire at {rate} events/s: its {} window holds about {expected_long:.0} events, fewer than min_events {min_events}",
                    tier.id(),
                    format_duration(tier.long_window)
                ));
                continue;
            }
            // The failures an alert needs in the long window, as a burn: above the tier's
            // threshold, traffic is too low for the objective to alert as designed.
            let min_bad = def.alerting().min_bad_events;
            let needed_burn = min_bad as f64 / expected_long / budget;
            if needed_burn > tier.burn_rate {
                warn(format!(
                    "low traffic for a {}% objective: at {rate} events/s the {} window holds about {expected_long:.0} events, and tier {} needs {min_bad} failures there (alerting.min_bad_events): it fires at a {needed_burn:.0}x burn, not {}x; a lower objective or a longer period suits this traffic",
                    def.objective().percent(),
                    format_duration(tier.long_window),
                    tier.id(),
                    tier.burn_rate
                ));
                continue;
            }
            if tier.severity != Severity::Page || min_bad > 1 {
                continue;
            }
            let expected_short = rate * tier.short_window.as_secs_f64();
            let one_failure_burn = if expected_short > 0.0 {
                1.0 / expected_short / budget
            } else {
                f64::INFINITY
            };
            let fewest_safe = (1.0 / (tier.burn_rate * budget)).ceil() as u64;
            if one_failure_burn >= tier.burn_rate && min_events < fewest_safe {
                warn(format!(
                    "low traffic: at {rate} events/s the {} window holds about {expected_short:.0} events, so a single failure is a {one_failure_burn:.0}x burn and pages ({} tier at {}x); set alerting.min_events to at least {fewest_safe}, or leave alerting.min_bad_events at its default",
                    format_duration(tier.short_window),
                    tier.id(),
                    tier.burn_rate
                ));
            }
        }
    }
    warnings
}
