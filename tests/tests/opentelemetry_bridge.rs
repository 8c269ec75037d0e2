//! OTLP users get the SLO series: collected through the OpenTelemetry SDK's in-memory exporter.

use std::time::Duration;

use opentelemetry::metrics::MeterProvider;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use sloguard::model::Slo;
use sloguard::{bridge, Outcome, Registry};

#[test]
fn slo_series_are_collected_as_observable_instruments() {
    let registry = Registry::builder("payments").build();
    let slo = registry
        .register(Slo::availability("availability").build().expect("valid"))
        .expect("ok");
    for i in 0..20 {
        slo.record(
            if i < 2 {
                Outcome::Error
            } else {
                Outcome::Success
            },
            Duration::from_millis(5),
        );
    }
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    let meter = provider.meter("payments");
    let _instruments = bridge::opentelemetry::register(&registry, &meter);
    provider.force_flush().expect("collects");

    let collected = exporter.get_finished_metrics().expect("metrics");
    let mut u64_points = Vec::new();
    let mut f64_points = Vec::new();
    for rm in &collected {
        for sm in rm.scope_metrics() {
            for metric in sm.metrics() {
                let name = metric.name().to_owned();
                let unit = metric.unit().to_owned();
                match metric.data() {
                    AggregatedMetrics::U64(MetricData::Sum(sum)) => {
                        assert!(sum.is_monotonic(), "{name} is a counter");
                        for p in sum.data_points() {
                            u64_points.push((
                                name.clone(),
                                unit.clone(),
                                attrs(p.attributes()),
                                p.value(),
                            ));
                        }
                    }
                    AggregatedMetrics::U64(MetricData::Gauge(g)) => {
                        for p in g.data_points() {
                            u64_points.push((
                                name.clone(),
                                unit.clone(),
                                attrs(p.attributes()),
                                p.value(),
                            ));
                        }
                    }
                    AggregatedMetrics::F64(MetricData::Gauge(g)) => {
                        for p in g.data_points() {
                            f64_points.push((
                                name.clone(),
                                unit.clone(),
                                attrs(p.attributes()),
                                p.value(),
                            ));
                        }
                    }
                    other => panic!("unexpected data for {name}: {other:?}"),
                }
            }
        }
    }
    let ids = "service=payments,slo=availability";
    let find_u = |n: &str, a: &str| {
        u64_points
            .iter()
            .find(|p| p.0 == n && p.2 == a)
            .map(|p| (p.1.clone(), p.3))
    };
    let find_f = |n: &str, a: &str| {
        f64_points
            .iter()
            .find(|p| p.0 == n && p.2 == a)
            .map(|p| (p.1.clone(), p.3))
    };
    assert_eq!(
        find_u("sloguard.slo.events", ids),
        Some(("{event}".to_owned(), 20))
    );
    assert_eq!(
        find_u("sloguard.slo.bad_events", ids),
        Some(("{event}".to_owned(), 2))
    );
    assert_eq!(
        find_f("sloguard.slo.objective", ids),
        Some(("1".to_owned(), 0.999))
    );
    let burn = find_f("sloguard.slo.burn_rate", &format!("{ids},window=5m")).expect("5m burn");
    assert!((burn.1 - 100.0).abs() < 1e-9);
    let budget = find_f(
        "sloguard.slo.error_budget_remaining",
        &format!("{ids},window=30d"),
    )
    .expect("budget");
    assert!((budget.1 - -99.0).abs() < 1e-9);
    // Attributes are compared sorted: `severity` sorts before `slo`.
    assert_eq!(
        find_u(
            "sloguard.slo.alert_firing",
            "service=payments,severity=page,slo=availability"
        )
        .map(|p| p.1),
        Some(0)
    );
}

fn attrs<'a>(kv: impl Iterator<Item = &'a opentelemetry::KeyValue>) -> String {
    let mut pairs: Vec<String> = kv.map(|kv| format!("{}={}", kv.key, kv.value)).collect();
    pairs.sort();
    pairs.join(",")
}
