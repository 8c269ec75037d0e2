//! The SLO series through the `metrics` facade.
//!
//! [`publish`] registers a tick observer: after every evaluation the registry's SLO series
//! ([`series::SLO_SERIES`], the mapping sloguard's own `/metrics` walks) are written to
//! whatever recorder the application installed (`metrics-exporter-prometheus`, say), under the
//! same names, labels and values. Counters are set with `absolute` (they are sloguard's
//! cumulative counts), gauges with `set`.
//!
//! One difference is forced by the facade, which cannot remove a series: a series that had a
//! sample and now has none (a burn-rate window whose events aged out, a diagnostic that
//! cleared) is set to NaN, "no data", where `/metrics` writes no sample. One that never had a
//! sample is never created.
//!
//! Request histograms stay in sloguard's exposition: the facade's histograms take single
//! values, not bucket counts.
//!
//! ```
//! use sloguard::{Registry, bridge, model::Slo};
//!
//! let registry = Registry::builder("payments").build();
//! registry.register(Slo::availability("availability").build().unwrap()).unwrap();
//! bridge::metrics::publish(&registry); // values appear after each tick
//! ```

use std::collections::HashSet;
use std::sync::Mutex;

use metrics::{counter, gauge, Label};
use sloguard_core::contract::Kind;
use sloguard_core::series::{self, Value};
use sloguard_core::snapshot::Snapshot;
use sloguard_core::Registry;

/// Publishes the registry's SLO series to the installed `metrics` recorder after every tick.
pub fn publish(registry: &Registry) {
    let published = Mutex::new(Published::default());
    registry.on_tick(move |snapshot| {
        published
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .write(snapshot);
    });
}

/// A series: its family's name and its labels.
type SeriesKey = (&'static str, Vec<(&'static str, String)>);

/// The gauges written so far, to set NaN on those without a sample now.
#[derive(Default)]
pub(crate) struct Published {
    gauges: HashSet<SeriesKey>,
}

impl Published {
    /// Writes one snapshot's SLO series to the installed recorder.
    pub(crate) fn write(&mut self, snapshot: &Snapshot) {
        let mut now = HashSet::new();
        for published in &series::SLO_SERIES {
            let family = published.family;
            published.for_each(snapshot, |labels, value| {
                let owned: Vec<Label> = labels
                    .iter()
                    .map(|(k, v)| Label::new(*k, (*v).to_owned()))
                    .collect();
                match (family.kind, value) {
                    (Kind::Counter, Value::Int(count)) => {
                        counter!(family.name, owned).absolute(count);
                    }
                    _ => {
                        gauge!(family.name, owned).set(value.as_f64());
                        let key = labels.iter().map(|(k, v)| (*k, (*v).to_owned()));
                        now.insert((family.name, key.collect()));
                    }
                }
            });
        }
        for (name, labels) in self.gauges.difference(&now) {
            let owned: Vec<Label> = labels
                .iter()
                .map(|(k, v)| Label::new(*k, v.clone()))
                .collect();
            gauge!(*name, owned).set(f64::NAN);
        }
        self.gauges.extend(now);
    }
}
