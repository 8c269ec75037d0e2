//! An application rendering with metrics-exporter-prometheus sees the SLO series after a tick.

use std::time::Duration;

use metrics_exporter_prometheus::PrometheusBuilder;
use sloguard::clock::{Timestamp, VirtualClock};
use sloguard::model::{AlertPolicy, Slo};
use sloguard::{bridge, Outcome, Registry};

#[test]
fn slo_series_appear_in_the_existing_exporter() {
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .expect("the only recorder of this test binary");
    let clock = VirtualClock::new(Timestamp::from_unix_secs(1_767_225_600));
    let registry = Registry::builder("payments").clock(clock.clock()).build();
    let slo = registry
        .register(
            Slo::availability("availability")
                // One failure in ten pages here (the default waits for ten failures): the test
                // is about the firing state reaching the exporter.
                .alerting(AlertPolicy::workbook().min_bad_events(1))
                .build()
                .expect("valid"),
        )
        .expect("ok");
    bridge::metrics::publish(&registry);
    for i in 0..10 {
        slo.record(
            if i == 0 {
                Outcome::Error
            } else {
                Outcome::Success
            },
            Duration::from_millis(5),
        );
    }
    registry.advance_to(Timestamp::from_unix_secs(1_767_225_610));
    let text = handle.render();
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .map(str::to_owned)
    };
    assert_eq!(
        line("sloguard_slo_events_total").as_deref(),
        Some("sloguard_slo_events_total{service=\"payments\",slo=\"availability\"} 10")
    );
    assert_eq!(
        line("sloguard_slo_bad_events_total").as_deref(),
        Some("sloguard_slo_bad_events_total{service=\"payments\",slo=\"availability\"} 1")
    );
    assert!(
        text.contains(
            "sloguard_slo_burn_rate{service=\"payments\",slo=\"availability\",window=\"5m\"} 100"
        ),
        "{text}"
    );
    assert!(text.contains("sloguard_slo_alert_firing{service=\"payments\",slo=\"availability\",severity=\"page\"} 1"), "{text}");
    assert!(text
        .contains("sloguard_slo_objective_ratio{service=\"payments\",slo=\"availability\"} 0.999"));
}
