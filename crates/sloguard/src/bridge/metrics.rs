//! The SLO series through the `metrics` facade.
//!
//! [`publish`] registers a tick observer: after every evaluation the registry's SLO series are
//! written to whatever recorder the application installed (`metrics-exporter-prometheus`,
//! say), under the same names and labels as sloguard's own `/metrics`. Counters are set with
//! `absolute` (they are sloguard's cumulative counts), gauges with `set`. A burn-rate window
//! that had events and then has none is set to NaN ("no data"), since the facade cannot
//! remove a series; one that never had events is never created.
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
use sloguard_core::contract::{self, label};
use sloguard_core::duration::format_duration;
use sloguard_core::model::Severity;
use sloguard_core::snapshot::{Health, Snapshot};
use sloguard_core::Registry;

/// Publishes the registry's SLO series to the installed `metrics` recorder after every tick.
pub fn publish(registry: &Registry) {
    let published_windows = Mutex::new(HashSet::<(String, String)>::new());
    registry.on_tick(move |snapshot| {
        let mut seen = published_windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        write(snapshot, &mut seen);
    });
}

fn write(snapshot: &Snapshot, windows_with_data: &mut HashSet<(String, String)>) {
    for slo in &snapshot.slos {
        let name = slo.definition.name().to_owned();
        let ids = || {
            vec![
                Label::new(label::SERVICE, snapshot.service.clone()),
                Label::new(label::SLO, name.clone()),
            ]
        };
        counter!(contract::SLO_EVENTS.name, ids()).absolute(slo.counts.events());
        counter!(contract::SLO_BAD_EVENTS.name, ids()).absolute(slo.counts.bad);
        gauge!(contract::SLO_OBJECTIVE.name, ids()).set(slo.definition.objective().ratio());
        for (window, remaining) in slo.budgets() {
            let mut labels = ids();
            labels.push(Label::new(label::WINDOW, window));
            gauge!(contract::SLO_BUDGET_REMAINING.name, labels).set(remaining);
        }
        for w in slo.windows() {
            let window = format_duration(w.window);
            let key = (name.clone(), window.clone());
            let value = match w.burn_rate {
                Some(rate) => {
                    windows_with_data.insert(key);
                    rate
                }
                None if windows_with_data.contains(&key) => f64::NAN,
                None => continue,
            };
            let mut labels = ids();
            labels.push(Label::new(label::WINDOW, window));
            gauge!(contract::SLO_BURN_RATE.name, labels).set(value);
        }
        let no_data = slo.health() == Health::NoData;
        gauge!(contract::SLO_NO_DATA.name, ids()).set(if no_data { 1.0 } else { 0.0 });
        for severity in Severity::ALL {
            let mut labels = ids();
            labels.push(Label::new(label::SEVERITY, severity.as_str()));
            gauge!(contract::SLO_ALERT_FIRING.name, labels).set(if slo.firing(severity) {
                1.0
            } else {
                0.0
            });
        }
    }
}
