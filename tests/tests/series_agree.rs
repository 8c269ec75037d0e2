//! One snapshot read three ways (scraped from `/metrics`, through the `metrics` facade into
//! `metrics-exporter-prometheus`, and through the OpenTelemetry SDK) gives the same series
//! with the same values: a platform team sees one product whichever way it reads sloguard.

use std::collections::BTreeMap;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusBuilder;
use opentelemetry::metrics::MeterProvider;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use sloguard::clock::Timestamp;
use sloguard::diagnostic::Diagnostic;
use sloguard::expose::text::{render, Format};
use sloguard::model::{Calendar, Sla, Slo};
use sloguard::series::SLO_SERIES;
use sloguard::sim::Simulation;
use sloguard::{bridge, Outcome};

/// A series: its Prometheus name and its labels.
type Key = (String, BTreeMap<String, String>);

#[test]
fn text_metrics_facade_and_opentelemetry_publish_the_same_series() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let facade = recorder.handle();
    metrics::set_global_recorder(recorder).expect("the only recorder of this test binary");

    let sim = Simulation::new("payments", Timestamp::from_unix_secs(1_767_225_600));
    let registry = sim.registry();
    let month = Calendar::month("UTC").expect("zone");
    let checkout = registry
        .register(
            Slo::availability("checkout")
                .calendar(month.clone())
                .sla(Sla::new(99.5, month).expect("sla"))
                .build()
                .expect("valid"),
        )
        .expect("registered");
    let search = registry
        .register(
            Slo::latency("search", Duration::from_millis(100))
                .build()
                .expect("valid"),
        )
        .expect("registered");
    registry.report(Diagnostic::slo("sink_failing", "checkout", "a sink failed"));
    bridge::metrics::publish(registry);
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    let _instruments = bridge::opentelemetry::register(registry, &provider.meter("payments"));

    // Twenty minutes with a third of checkout failing (a page fires), then a quiet tick
    // interval, so the last evaluation has read every event and ran at the time the exposition
    // reads (calendar budgets depend on the time).
    let mut i = 0u64;
    sim.run(Duration::from_secs(1200), Duration::from_secs(1), |_| {
        i += 1;
        let outcome = if i % 3 == 0 {
            Outcome::Error
        } else {
            Outcome::Success
        };
        checkout.record(outcome, Duration::from_millis(20));
        search.record(Outcome::Success, Duration::from_millis(150));
    });
    let tick = registry.tick_interval();
    sim.run(tick, tick, |_| {});

    let scraped = from_text(&render(&registry.snapshot(), Format::Prometheus));
    let names: Vec<&str> = SLO_SERIES.iter().map(|s| s.family.name).collect();
    for name in &names {
        assert!(
            scraped.keys().any(|(n, _)| n == name),
            "{name} has a sample in /metrics"
        );
    }
    same(&from_text(&facade.render()), &scraped, "the metrics facade");
    same(
        &from_opentelemetry(&provider, &exporter),
        &scraped,
        "OpenTelemetry",
    );

    // Ten quiet minutes: the 5-minute window holds no event, so it has no sample in /metrics
    // nor in OpenTelemetry; the facade, which cannot remove a series, says NaN.
    sim.run(Duration::from_secs(600), Duration::from_secs(1), |_| {});
    let scraped = from_text(&render(&registry.snapshot(), Format::Prometheus));
    let five_minutes = |(name, labels): &Key| {
        name == "sloguard_slo_burn_rate" && labels.get("window").is_some_and(|w| w == "5m")
    };
    assert!(!scraped.keys().any(five_minutes));
    same(
        &from_opentelemetry(&provider, &exporter),
        &scraped,
        "OpenTelemetry",
    );
    let mut through_facade = from_text(&facade.render());
    let stale: Vec<Key> = through_facade
        .iter()
        .filter(|(_, v)| v.is_nan())
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(stale.len(), 2, "{stale:?}");
    assert!(stale.iter().all(five_minutes), "{stale:?}");
    through_facade.retain(|k, _| !stale.contains(k));
    same(&through_facade, &scraped, "the metrics facade");
}

/// The same series with the same values, or a message that lists every difference.
fn same(read: &BTreeMap<Key, f64>, scraped: &BTreeMap<Key, f64>, how: &str) {
    let mut differences = Vec::new();
    for (key, value) in scraped {
        match read.get(key) {
            Some(v) if v == value => {}
            other => differences.push(format!("{key:?}: /metrics {value}, {how} {other:?}")),
        }
    }
    for key in read.keys().filter(|k| !scraped.contains_key(*k)) {
        differences.push(format!("{key:?}: only through {how}"));
    }
    assert!(
        differences.is_empty(),
        "{how} differs:\n{}",
        differences.join("\n")
    );
}

/// The SLO series of a Prometheus text exposition.
fn from_text(text: &str) -> BTreeMap<Key, f64> {
    let families: Vec<&str> = SLO_SERIES.iter().map(|s| s.family.name).collect();
    let mut series = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name_and_labels, value) = line.rsplit_once(' ').expect("name and value");
        let (name, labels) = match name_and_labels.split_once('{') {
            Some((name, rest)) => (name, labels_of(rest.trim_end_matches('}'))),
            None => (name_and_labels, BTreeMap::new()),
        };
        if families.contains(&name) {
            let value = value.parse().unwrap_or_else(|_| panic!("a number: {line}"));
            series.insert((name.to_owned(), labels), value);
        }
    }
    series
}

/// `k="v",k="v"`; this test's values hold no quote, comma or backslash.
fn labels_of(text: &str) -> BTreeMap<String, String> {
    text.split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("k=v");
            (k.to_owned(), v.trim_matches('"').to_owned())
        })
        .collect()
}

/// The SLO series one OpenTelemetry collection reports, under their Prometheus names.
fn from_opentelemetry(
    provider: &SdkMeterProvider,
    exporter: &InMemoryMetricExporter,
) -> BTreeMap<Key, f64> {
    exporter.reset();
    provider.force_flush().expect("collects");
    let mut series = BTreeMap::new();
    let collected = exporter.get_finished_metrics().expect("metrics");
    let metrics = collected
        .iter()
        .flat_map(|rm| rm.scope_metrics())
        .flat_map(|sm| sm.metrics());
    for metric in metrics {
        let prometheus = SLO_SERIES
            .iter()
            .find(|s| s.family.instrument.map(|i| i.name) == Some(metric.name()))
            .unwrap_or_else(|| panic!("{} is an SLO instrument", metric.name()))
            .family
            .name;
        let mut put = |attributes: Vec<(String, String)>, value: f64| {
            let key = (prometheus.to_owned(), attributes.into_iter().collect());
            assert!(series.insert(key, value).is_none(), "one point per series");
        };
        match metric.data() {
            AggregatedMetrics::U64(MetricData::Sum(sum)) => {
                for p in sum.data_points() {
                    put(attributes(p.attributes()), p.value() as f64);
                }
            }
            AggregatedMetrics::U64(MetricData::Gauge(g)) => {
                for p in g.data_points() {
                    put(attributes(p.attributes()), p.value() as f64);
                }
            }
            AggregatedMetrics::F64(MetricData::Gauge(g)) => {
                for p in g.data_points() {
                    put(attributes(p.attributes()), p.value());
                }
            }
            other => panic!("{}: unexpected data {other:?}", metric.name()),
        }
    }
    series
}

fn attributes<'a>(
    attributes: impl Iterator<Item = &'a opentelemetry::KeyValue>,
) -> Vec<(String, String)> {
    attributes
        .map(|kv| (kv.key.to_string(), kv.value.to_string()))
        .collect()
}
