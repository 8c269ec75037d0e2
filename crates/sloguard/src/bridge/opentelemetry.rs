//! The SLO series as OpenTelemetry observable instruments.
//!
//! [`register`] adds one instrument per family of [`series::SLO_SERIES`] (the mapping sloguard's
//! own `/metrics` walks) to a meter, whose callbacks read a registry snapshot at each
//! collection, so OTLP users get the same SLO series with no other moving part. The callbacks
//! of one collection read one shared snapshot, so the instruments agree with each other
//! (events and bad events from the same reading). Names follow the OpenTelemetry conventions
//! and map back to sloguard's Prometheus names under the OpenTelemetry-to-Prometheus rules
//! (dots to underscores, `_total` for monotonic sums, `_ratio` for unit `1`, `_seconds` for
//! unit `s`):
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
//! | `sloguard.slo.period.events` | gauge, `{event}` | `sloguard_slo_period_events` |
//! | `sloguard.slo.period.bad_events` | gauge, `{event}` | `sloguard_slo_period_bad_events` |
//! | `sloguard.slo.period.start` | gauge, `s` | `sloguard_slo_period_start_seconds` |
//! | `sloguard.slo.period.end` | gauge, `s` | `sloguard_slo_period_end_seconds` |
//! | `sloguard.slo.sla_status` | gauge, no unit | `sloguard_slo_sla_status` |
//! | `sloguard.diagnostics` | gauge, no unit | `sloguard_diagnostics` |
//!
//! Attributes are the Prometheus labels. A series without a sample in `/metrics` (a burn-rate
//! window without events) reports no data point here either.
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

use opentelemetry::metrics::{
    AsyncInstrument, AsyncInstrumentBuilder, Meter, ObservableCounter, ObservableGauge,
};
use opentelemetry::KeyValue;
use sloguard_core::contract::{Family, Kind};
use sloguard_core::series::{self, SeriesFamily};
use sloguard_core::snapshot::Snapshot;
use sloguard_core::Registry;

/// The registered instruments. Keep it as long as the SLOs should be reported.
#[derive(Debug)]
pub struct Instruments {
    _held: Vec<Held>,
}

#[derive(Debug)]
#[allow(dead_code)] // held only to keep the instruments alive
enum Held {
    Counter(ObservableCounter<u64>),
    Count(ObservableGauge<u64>),
    Measure(ObservableGauge<f64>),
}

/// How many callbacks one collection runs: one per instrument.
const CALLBACKS: usize = series::SLO_SERIES.len();

/// The snapshot the callbacks of one collection share. A collection runs every callback
/// once, so a snapshot is taken by the first callback and served to the others; one older
/// than a second is never served (a collection whose callbacks did not all run).
struct Shared {
    registry: Registry,
    current: Mutex<Option<(Instant, usize, Arc<Snapshot>)>>,
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

    /// Observes the samples of `published` in the collection's snapshot.
    fn observe<T>(
        &self,
        published: &SeriesFamily,
        o: &dyn AsyncInstrument<T>,
        value: fn(series::Value) -> T,
    ) {
        let snapshot = self.snapshot();
        published.for_each(&snapshot, |labels, v| {
            let attributes: Vec<KeyValue> = labels
                .iter()
                .map(|(k, v)| KeyValue::new(*k, (*v).to_owned()))
                .collect();
            o.observe(value(v), &attributes);
        });
    }
}

/// An instrument builder described and with the unit the contract gives `family`.
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

fn count(v: series::Value) -> u64 {
    match v {
        series::Value::Int(v) => v,
        series::Value::Float(v) => v as u64,
    }
}

/// Registers the SLO instruments of `registry` on `meter`.
pub fn register(registry: &Registry, meter: &Meter) -> Instruments {
    let shared = Arc::new(Shared {
        registry: registry.clone(),
        current: Mutex::new(None),
    });
    let held = series::SLO_SERIES
        .iter()
        .map(|published| {
            let s = Arc::clone(&shared);
            let f = published.family;
            match (f.kind, published.integer) {
                (Kind::Counter, _) => Held::Counter(
                    described(meter.u64_observable_counter(name(f)), f)
                        .with_callback(move |o| s.observe(published, o, count))
                        .build(),
                ),
                (_, true) => Held::Count(
                    described(meter.u64_observable_gauge(name(f)), f)
                        .with_callback(move |o| s.observe(published, o, count))
                        .build(),
                ),
                (_, false) => Held::Measure(
                    described(meter.f64_observable_gauge(name(f)), f)
                        .with_callback(move |o| s.observe(published, o, series::Value::as_f64))
                        .build(),
                ),
            }
        })
        .collect();
    Instruments { _held: held }
}
