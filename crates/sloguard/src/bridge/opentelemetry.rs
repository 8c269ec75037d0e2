//! The SLO series as OpenTelemetry observable instruments.
//!
//! [`register`] adds instruments to a meter whose callbacks read a registry snapshot at each
//! collection, so OTLP users get the SLOs with no other moving part. Names follow the
//! OpenTelemetry conventions and map back to sloguard's Prometheus names under the
//! OpenTelemetry-to-Prometheus rules (dots to underscores, `_total` for monotonic sums, `_ratio`
//! for unit `1`):
//!
//! | OpenTelemetry instrument | kind, unit | Prometheus name |
//! | --- | --- | --- |
//! | `sloguard.slo.events` | counter, `{event}` | `sloguard_slo_events_total` |
//! | `sloguard.slo.bad_events` | counter, `{event}` | `sloguard_slo_bad_events_total` |
//! | `sloguard.slo.objective` | gauge, `1` | `sloguard_slo_objective_ratio` |
//! | `sloguard.slo.burn_rate` | gauge, no unit | `sloguard_slo_burn_rate` |
//! | `sloguard.slo.error_budget_remaining` | gauge, `1` | `sloguard_slo_error_budget_remaining_ratio` |
//! | `sloguard.slo.alert_firing` | gauge, no unit | `sloguard_slo_alert_firing` |
//!
//! Attributes are the Prometheus labels: `service`, `slo`, and `window` or `severity`. A
//! burn-rate window without events reports no data point, as in sloguard's own exposition.
//!
//! ```
//! use sloguard::{Registry, bridge, model::Slo};
//!
//! let registry = Registry::builder("payments").build();
//! registry.register(Slo::availability("availability").build().unwrap()).unwrap();
//! let meter = opentelemetry::global::meter("payments");
//! let _instruments = bridge::opentelemetry::register(&registry, &meter);
//! ```

use opentelemetry::metrics::{Meter, ObservableCounter, ObservableGauge};
use opentelemetry::KeyValue;
use sloguard_core::duration::format_duration;
use sloguard_core::model::Severity;
use sloguard_core::snapshot::{SloSnapshot, Snapshot};
use sloguard_core::Registry;

/// The registered instruments. Keep it as long as the SLOs should be reported.
#[derive(Debug)]
pub struct Instruments {
    _events: ObservableCounter<u64>,
    _bad_events: ObservableCounter<u64>,
    _objective: ObservableGauge<f64>,
    _burn_rate: ObservableGauge<f64>,
    _budget: ObservableGauge<f64>,
    _firing: ObservableGauge<u64>,
}

fn ids(snapshot: &Snapshot, slo: &SloSnapshot) -> Vec<KeyValue> {
    vec![
        KeyValue::new("service", snapshot.service.clone()),
        KeyValue::new("slo", slo.definition.name().to_owned()),
    ]
}

/// Registers the SLO instruments of `registry` on `meter`.
pub fn register(registry: &Registry, meter: &Meter) -> Instruments {
    let r = registry.clone();
    let events = meter
        .u64_observable_counter("sloguard.slo.events")
        .with_unit("{event}")
        .with_description("Events judged by the SLI.")
        .with_callback(move |o| {
            let s = r.snapshot();
            for slo in &s.slos {
                o.observe(slo.counts.events(), &ids(&s, slo));
            }
        })
        .build();
    let r = registry.clone();
    let bad_events = meter
        .u64_observable_counter("sloguard.slo.bad_events")
        .with_unit("{event}")
        .with_description("Events that missed the SLI.")
        .with_callback(move |o| {
            let s = r.snapshot();
            for slo in &s.slos {
                o.observe(slo.counts.bad, &ids(&s, slo));
            }
        })
        .build();
    let r = registry.clone();
    let objective = meter
        .f64_observable_gauge("sloguard.slo.objective")
        .with_unit("1")
        .with_description("The SLO's objective.")
        .with_callback(move |o| {
            let s = r.snapshot();
            for slo in &s.slos {
                o.observe(slo.definition.objective().ratio(), &ids(&s, slo));
            }
        })
        .build();
    let r = registry.clone();
    let burn_rate = meter
        .f64_observable_gauge("sloguard.slo.burn_rate")
        .with_description("How fast the error budget is spent over the window.")
        .with_callback(move |o| {
            let s = r.snapshot();
            for slo in &s.slos {
                for w in slo.windows() {
                    if let Some(rate) = w.burn_rate {
                        let mut attrs = ids(&s, slo);
                        attrs.push(KeyValue::new("window", format_duration(w.window)));
                        o.observe(rate, &attrs);
                    }
                }
            }
        })
        .build();
    let r = registry.clone();
    let budget = meter
        .f64_observable_gauge("sloguard.slo.error_budget_remaining")
        .with_unit("1")
        .with_description("Share of the error budget left over the SLO period.")
        .with_callback(move |o| {
            let s = r.snapshot();
            for slo in &s.slos {
                o.observe(slo.budget_remaining(), &ids(&s, slo));
            }
        })
        .build();
    let r = registry.clone();
    let firing = meter
        .u64_observable_gauge("sloguard.slo.alert_firing")
        .with_description("1 while an alert of this severity fires.")
        .with_callback(move |o| {
            let s = r.snapshot();
            for slo in &s.slos {
                for severity in Severity::ALL {
                    let mut attrs = ids(&s, slo);
                    attrs.push(KeyValue::new("severity", severity.as_str()));
                    o.observe(u64::from(slo.firing(severity)), &attrs);
                }
            }
        })
        .build();
    Instruments {
        _events: events,
        _bad_events: bad_events,
        _objective: objective,
        _burn_rate: burn_rate,
        _budget: budget,
        _firing: firing,
    }
}
