//! The SLO series as OpenTelemetry observable instruments.
//!
//! [`register`] adds instruments to a meter whose callbacks read a registry snapshot at each
//! collection, so OTLP users get the SLOs with no other moving part. The seven callbacks of one
//! collection read one shared snapshot, so the instruments agree with each other (events and
//! bad events from the same reading). Names follow the
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
//! | `sloguard.slo.no_data` | gauge, no unit | `sloguard_slo_no_data` |
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

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use opentelemetry::metrics::{AsyncInstrumentBuilder, Meter, ObservableCounter, ObservableGauge};
use opentelemetry::KeyValue;
use sloguard_core::contract::{self, label, Family};
use sloguard_core::duration::format_duration;
use sloguard_core::model::Severity;
use sloguard_core::snapshot::{Health, SloSnapshot, Snapshot};
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
    _no_data: ObservableGauge<u64>,
}

/// How many callbacks one collection runs: one per instrument.
const CALLBACKS: u8 = 7;

/// The snapshot the callbacks of one collection share. A collection runs every callback
/// once, so a snapshot is taken by the first callback and served to the next five; one older
/// than a second is never served (a collection whose callbacks did not all run).
struct Shared {
    registry: Registry,
    current: Mutex<Option<(Instant, u8, Arc<Snapshot>)>>,
}

impl Shared {
    fn snapshot(&self) -> Arc<Snapshot> {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((taken, served, snapshot)) = current.as_mut() {
            if *served < CALLBACKS && taken.elapsed().as_secs() < 1 {
                *served += 1;
                return Arc::clone(snapshot);
            }
        }
        let snapshot = Arc::new(self.registry.snapshot());
        *current = Some((Instant::now(), 1, Arc::clone(&snapshot)));
        snapshot
    }
}

fn ids(snapshot: &Snapshot, slo: &SloSnapshot) -> Vec<KeyValue> {
    vec![
        KeyValue::new(label::SERVICE, snapshot.service.clone()),
        KeyValue::new(label::SLO, slo.definition.name().to_owned()),
    ]
}

/// An instrument builder named, described and with the unit the contract gives `family`.
fn described<'a, I, M>(
    builder: AsyncInstrumentBuilder<'a, I, M>,
    family: &Family,
) -> AsyncInstrumentBuilder<'a, I, M> {
    let Some(instrument) = family.instrument else {
        return builder;
    };
    let builder = builder.with_description(instrument.description);
    match instrument.unit {
        Some(unit) => builder.with_unit(unit),
        None => builder,
    }
}

fn name(family: &Family) -> &'static str {
    family.instrument.map_or(family.name, |i| i.name)
}

/// Registers the SLO instruments of `registry` on `meter`.
pub fn register(registry: &Registry, meter: &Meter) -> Instruments {
    let shared = Arc::new(Shared {
        registry: registry.clone(),
        current: Mutex::new(None),
    });
    let s = Arc::clone(&shared);
    let f = &contract::SLO_EVENTS;
    let events = described(meter.u64_observable_counter(name(f)), f)
        .with_callback(move |o| {
            let snap = s.snapshot();
            for slo in &snap.slos {
                o.observe(slo.counts.events(), &ids(&snap, slo));
            }
        })
        .build();
    let s = Arc::clone(&shared);
    let f = &contract::SLO_BAD_EVENTS;
    let bad_events = described(meter.u64_observable_counter(name(f)), f)
        .with_callback(move |o| {
            let snap = s.snapshot();
            for slo in &snap.slos {
                o.observe(slo.counts.bad, &ids(&snap, slo));
            }
        })
        .build();
    let s = Arc::clone(&shared);
    let f = &contract::SLO_OBJECTIVE;
    let objective = described(meter.f64_observable_gauge(name(f)), f)
        .with_callback(move |o| {
            let snap = s.snapshot();
            for slo in &snap.slos {
                o.observe(slo.definition.objective().ratio(), &ids(&snap, slo));
            }
        })
        .build();
    let s = Arc::clone(&shared);
    let f = &contract::SLO_BURN_RATE;
    let burn_rate = described(meter.f64_observable_gauge(name(f)), f)
        .with_callback(move |o| {
            let snap = s.snapshot();
            for slo in &snap.slos {
                for w in slo.windows() {
                    if let Some(rate) = w.burn_rate {
                        let mut attrs = ids(&snap, slo);
                        attrs.push(KeyValue::new(label::WINDOW, format_duration(w.window)));
                        o.observe(rate, &attrs);
                    }
                }
            }
        })
        .build();
    let s = Arc::clone(&shared);
    let f = &contract::SLO_BUDGET_REMAINING;
    let budget = described(meter.f64_observable_gauge(name(f)), f)
        .with_callback(move |o| {
            let snap = s.snapshot();
            for slo in &snap.slos {
                for (window, remaining) in slo.budgets() {
                    let mut attrs = ids(&snap, slo);
                    attrs.push(KeyValue::new(label::WINDOW, window));
                    o.observe(remaining, &attrs);
                }
            }
        })
        .build();
    let s = Arc::clone(&shared);
    let f = &contract::SLO_ALERT_FIRING;
    let firing = described(meter.u64_observable_gauge(name(f)), f)
        .with_callback(move |o| {
            let snap = s.snapshot();
            for slo in &snap.slos {
                for severity in Severity::ALL {
                    let mut attrs = ids(&snap, slo);
                    attrs.push(KeyValue::new(label::SEVERITY, severity.as_str()));
                    o.observe(u64::from(slo.firing(severity)), &attrs);
                }
            }
        })
        .build();
    let s = shared;
    let f = &contract::SLO_NO_DATA;
    let no_data = described(meter.u64_observable_gauge(name(f)), f)
        .with_callback(move |o| {
            let snap = s.snapshot();
            for slo in &snap.slos {
                let no_data = slo.health() == Health::NoData;
                o.observe(u64::from(no_data), &ids(&snap, slo));
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
        _no_data: no_data,
    }
}
