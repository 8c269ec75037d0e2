//! The one mapping from a [`Snapshot`] to the SLO series: for each family of the
//! [`contract`], which samples it has and where each value comes from.
//!
//! The Prometheus/OpenMetrics text exposition, the `metrics` bridge and the OpenTelemetry
//! bridge all walk [`SLO_SERIES`], so whoever reads sloguard, by scraping it or through either
//! bridge, sees the same series with the same values. A family has no sample where the engine
//! has no value (a burn-rate window without events, a code without diagnostics): absent means
//! "no data", never zero and never NaN.
//!
//! ```
//! use sloguard_core::{Outcome, Registry, model::Slo, series::{self, Value}};
//! use std::time::Duration;
//!
//! let registry = Registry::builder("payments").build();
//! let slo = registry.register(Slo::availability("checkout").build().unwrap()).unwrap();
//! slo.record(Outcome::Error, Duration::from_millis(3));
//! let snapshot = registry.snapshot();
//! let events = &series::SLO_SERIES[0];
//! assert_eq!(events.family.name, "sloguard_slo_events_total");
//! let mut seen = Vec::new();
//! events.for_each(&snapshot, |labels, value| {
//!     seen.push((labels.iter().map(|(_, v)| v.to_string()).collect::<Vec<_>>(), value));
//! });
//! assert_eq!(seen, [(vec!["payments".to_owned(), "checkout".to_owned()], Value::Int(1))]);
//! // Every family the contract names for SLOs is published, plus the diagnostics.
//! assert_eq!(series::SLO_SERIES.len(), sloguard_core::contract::SLO_FAMILIES.len() + 1);
//! ```

use crate::compliance::{ComplianceWindow, SlaStatus};
use crate::contract::{self, label, Family};
use crate::duration::format_duration;
use crate::model::Severity;
use crate::snapshot::{Health, SloSnapshot, Snapshot};

/// A sample's value: a count, or a measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// A count or a 0/1 state (written without a decimal point).
    Int(u64),
    /// A ratio, rate or time.
    Float(f64),
}

impl Value {
    /// The value as a float, as the bridges' gauges take it.
    pub fn as_f64(self) -> f64 {
        match self {
            Value::Int(v) => v as f64,
            Value::Float(v) => v,
        }
    }
}

/// Label pairs in the family's label order.
pub type Labels<'a> = [(&'static str, &'a str)];

/// A sample visitor: the labels and the value of one sample.
pub type Visit<'v> = dyn FnMut(&Labels<'_>, Value) + 'v;

/// One family and how its samples come from a snapshot.
pub struct SeriesFamily {
    /// The family's name, kind, help, labels and OpenTelemetry instrument.
    pub family: &'static Family,
    /// Whether its values are counts ([`Value::Int`]) rather than measurements.
    pub integer: bool,
    /// Whether the family applies to this snapshot at all: calendar families only where an
    /// SLO has calendar windows, the SLA family only where one has an SLA. The text exposition
    /// describes (HELP, TYPE) the families that apply, with or without samples.
    pub applies: fn(&Snapshot) -> bool,
    samples: fn(&Snapshot, &mut Visit<'_>),
}

impl std::fmt::Debug for SeriesFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeriesFamily")
            .field("family", &self.family.name)
            .finish_non_exhaustive()
    }
}

impl SeriesFamily {
    /// Calls `visit` with each sample of this family in `snapshot`, in exposition order.
    pub fn for_each(&self, snapshot: &Snapshot, mut visit: impl FnMut(&Labels<'_>, Value)) {
        (self.samples)(snapshot, &mut visit);
    }
}

fn always(_: &Snapshot) -> bool {
    true
}

fn has_calendars(snapshot: &Snapshot) -> bool {
    snapshot.slos.iter().any(|s| !s.compliance.is_empty())
}

fn has_slas(snapshot: &Snapshot) -> bool {
    snapshot
        .slos
        .iter()
        .any(|s| s.compliance.iter().any(|c| c.sla.is_some()))
}

/// Each SLO with its `service` and `slo` labels.
fn per_slo(snapshot: &Snapshot, visit: &mut Visit<'_>, value: impl Fn(&SloSnapshot) -> Value) {
    for slo in &snapshot.slos {
        let labels = [
            (label::SERVICE, snapshot.service.as_str()),
            (label::SLO, slo.definition.name()),
        ];
        visit(&labels, value(slo));
    }
}

/// Each SLO with a third label, from the pairs `extra` gives it.
fn per_slo_and<'s, I, S>(
    snapshot: &'s Snapshot,
    visit: &mut Visit<'_>,
    name: &'static str,
    extra: impl Fn(&'s SloSnapshot) -> I,
) where
    I: IntoIterator<Item = (S, Value)>,
    S: AsRef<str>,
{
    for slo in &snapshot.slos {
        for (third, value) in extra(slo) {
            let labels = [
                (label::SERVICE, snapshot.service.as_str()),
                (label::SLO, slo.definition.name()),
                (name, third.as_ref()),
            ];
            visit(&labels, value);
        }
    }
}

/// Each calendar window of each SLO, labelled `window`.
fn per_calendar(snapshot: &Snapshot, visit: &mut Visit<'_>, value: fn(&ComplianceWindow) -> Value) {
    per_slo_and(snapshot, visit, label::WINDOW, |slo| {
        slo.compliance.iter().map(move |c| (c.name, value(c)))
    });
}

fn events(s: &Snapshot, v: &mut Visit<'_>) {
    per_slo(s, v, |slo| Value::Int(slo.counts.events()));
}

fn bad_events(s: &Snapshot, v: &mut Visit<'_>) {
    per_slo(s, v, |slo| Value::Int(slo.counts.bad));
}

fn objective(s: &Snapshot, v: &mut Visit<'_>) {
    per_slo(s, v, |slo| Value::Float(slo.definition.objective().ratio()));
}

fn burn_rate(s: &Snapshot, v: &mut Visit<'_>) {
    per_slo_and(s, v, label::WINDOW, |slo| {
        slo.windows().iter().filter_map(|w| {
            let rate = w.burn_rate?;
            Some((format_duration(w.window), Value::Float(rate)))
        })
    });
}

fn budget_remaining(s: &Snapshot, v: &mut Visit<'_>) {
    per_slo_and(s, v, label::WINDOW, |slo| {
        slo.budgets()
            .into_iter()
            .map(|(window, remaining)| (window, Value::Float(remaining)))
    });
}

fn alert_firing(s: &Snapshot, v: &mut Visit<'_>) {
    per_slo_and(s, v, label::SEVERITY, |slo| {
        Severity::ALL.into_iter().map(|severity| {
            (
                severity.as_str(),
                Value::Int(u64::from(slo.firing(severity))),
            )
        })
    });
}

fn no_data(s: &Snapshot, v: &mut Visit<'_>) {
    per_slo(s, v, |slo| {
        Value::Int(u64::from(slo.health() == Health::NoData))
    });
}

fn period_events(s: &Snapshot, v: &mut Visit<'_>) {
    per_calendar(s, v, |c| Value::Int(c.events));
}

fn period_bad_events(s: &Snapshot, v: &mut Visit<'_>) {
    per_calendar(s, v, |c| Value::Int(c.bad_events));
}

fn period_start(s: &Snapshot, v: &mut Visit<'_>) {
    per_calendar(s, v, |c| Value::Float(c.start.as_unix_secs_f64()));
}

fn period_end(s: &Snapshot, v: &mut Visit<'_>) {
    per_calendar(s, v, |c| Value::Float(c.end.as_unix_secs_f64()));
}

fn sla_status(s: &Snapshot, visit: &mut Visit<'_>) {
    for slo in &s.slos {
        for c in &slo.compliance {
            let Some(sla) = &c.sla else { continue };
            for status in SlaStatus::ALL {
                let labels = [
                    (label::SERVICE, s.service.as_str()),
                    (label::SLO, slo.definition.name()),
                    (label::WINDOW, c.name),
                    (label::STATUS, status.as_str()),
                ];
                visit(&labels, Value::Int(u64::from(sla.status == status)));
            }
        }
    }
}

/// How many diagnostics of each code; the snapshot keeps them sorted by code.
fn diagnostics(s: &Snapshot, visit: &mut Visit<'_>) {
    let mut codes: Vec<&str> = s.diagnostics.iter().map(|d| d.code).collect();
    codes.dedup();
    for code in codes {
        let count = s.diagnostics.iter().filter(|d| d.code == code).count();
        let labels = [(label::SERVICE, s.service.as_str()), (label::CODE, code)];
        visit(&labels, Value::Int(count as u64));
    }
}

const fn series(
    family: &'static Family,
    integer: bool,
    applies: fn(&Snapshot) -> bool,
    samples: fn(&Snapshot, &mut Visit<'_>),
) -> SeriesFamily {
    SeriesFamily {
        family,
        integer,
        applies,
        samples,
    }
}

/// The SLO families and the diagnostics, in the order the exposition writes them.
pub static SLO_SERIES: [SeriesFamily; 13] = [
    series(&contract::SLO_EVENTS, true, always, events),
    series(&contract::SLO_BAD_EVENTS, true, always, bad_events),
    series(&contract::SLO_OBJECTIVE, false, always, objective),
    series(&contract::SLO_BURN_RATE, false, always, burn_rate),
    series(
        &contract::SLO_BUDGET_REMAINING,
        false,
        always,
        budget_remaining,
    ),
    series(&contract::SLO_ALERT_FIRING, true, always, alert_firing),
    series(&contract::SLO_NO_DATA, true, always, no_data),
    series(
        &contract::SLO_PERIOD_EVENTS,
        true,
        has_calendars,
        period_events,
    ),
    series(
        &contract::SLO_PERIOD_BAD_EVENTS,
        true,
        has_calendars,
        period_bad_events,
    ),
    series(
        &contract::SLO_PERIOD_START,
        false,
        has_calendars,
        period_start,
    ),
    series(&contract::SLO_PERIOD_END, false, has_calendars, period_end),
    series(&contract::SLO_SLA_STATUS, true, has_slas, sla_status),
    series(&contract::DIAGNOSTICS, true, always, diagnostics),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slo_family_of_the_contract_is_published_once_in_its_order() {
        let published: Vec<&str> = SLO_SERIES.iter().map(|s| s.family.name).collect();
        let mut expected: Vec<&str> = contract::SLO_FAMILIES.iter().map(|f| f.name).collect();
        expected.push(contract::DIAGNOSTICS.name);
        assert_eq!(published, expected);
        assert!(SLO_SERIES.iter().all(|s| s.family.instrument.is_some()));
    }
}
