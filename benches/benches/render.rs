//! `render/*`: one scrape of `/metrics`. sloguard renders 100 SLOs (each with its burn rates,
//! budget and alert series) plus 100 operation histograms; metrics-exporter-prometheus renders
//! 100 series of its own (a counter, a gauge and a histogram each), for scale.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use metrics_exporter_prometheus::PrometheusBuilder;
use sloguard::expose::text::{render, Format};
use sloguard::histogram::Boundaries;
use sloguard::model::Slo;
use sloguard::{Outcome, Registry};

fn sloguard_registry() -> Registry {
    let registry = Registry::builder("bench").build();
    for i in 0..100 {
        let slo = registry
            .register(
                Slo::availability(format!("slo-{i}"))
                    .build()
                    .expect("valid"),
            )
            .expect("registered");
        for n in 0..50u64 {
            slo.record(
                if n % 10 == 0 {
                    Outcome::Error
                } else {
                    Outcome::Success
                },
                Duration::from_millis(n),
            );
        }
        let route = format!("/route/{i}");
        let h = registry.classic_histogram(
            "http_server_request_duration_seconds",
            &[
                ("http_request_method", "GET"),
                ("http_route", &route),
                ("http_response_status_code", "200"),
            ],
            Boundaries::http_default(),
        );
        for n in 0..50u64 {
            h.record(Duration::from_millis(n * 7));
        }
    }
    registry.tick();
    registry
}

fn renders(c: &mut Criterion) {
    let registry = sloguard_registry();
    let mut group = c.benchmark_group("render");
    group.bench_function("sloguard/100slos", |b| {
        b.iter(|| black_box(render(&registry.snapshot(), Format::Prometheus)))
    });

    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        for i in 0..100 {
            let labels = [("route", format!("/route/{i}"))];
            metrics::counter!("requests_total", &labels).increment(50);
            metrics::gauge!("in_flight", &labels).set(1.0);
            for n in 0..50u64 {
                metrics::histogram!("request_duration_seconds", &labels).record(n as f64 * 0.007);
            }
        }
    });
    group.bench_function("metrics_exporter_prometheus/100series", |b| {
        b.iter(|| black_box(handle.render()))
    });
    group.finish();
}

criterion_group!(benches, renders);
criterion_main!(benches);
