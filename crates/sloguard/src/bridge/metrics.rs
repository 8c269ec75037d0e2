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
use sloguard_core::duration::format_duration;
use sloguard_core::model::Severity;
use sloguard_core::snapshot::Snapshot;
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
                Label::new("service", snapshot.service.clone()),
                Label::new("slo", name.clone()),
            ]
        };
        counter!("sloguard_slo_events_total", ids()).absolute(slo.counts.events());
        counter!("sloguard_slo_bad_events_total", ids()).absolute(slo.counts.bad);
        gauge!("sloguard_slo_objective_ratio", ids()).set(slo.definition.objective().ratio());
        gauge!("sloguard_slo_error_budget_remaining_ratio", ids()).set(slo.budget_remaining());
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
            labels.push(Label::new("window", window));
            gauge!("sloguard_slo_burn_rate", labels).set(value);
        }
        for severity in Severity::ALL {
            let mut labels = ids();
            labels.push(Label::new("severity", severity.as_str()));
            gauge!("sloguard_slo_alert_firing", labels).set(if slo.firing(severity) {
                1.0
            } else {
                0.0
            });
        }
    }
}
