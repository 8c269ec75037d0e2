//! `record/*`: the cost of recording one event (an SLO judgement plus a histogram record),
//! next to the cost of one shared atomic increment for scale. Clock reads are excluded.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sloguard::histogram::{Boundaries, Histogram};
use sloguard::model::Slo;
use sloguard::{Outcome, Registry};
use sloguard_benches::latency_stream;

fn record(c: &mut Criterion) {
    let stream = latency_stream(1024);
    let registry = Registry::builder("bench").build();
    let slo = registry
        .register(
            Slo::latency("latency", Duration::from_millis(300))
                .build()
                .expect("valid"),
        )
        .expect("registered");
    let histogram: Histogram = registry.histogram(
        "http_server_request_duration_seconds",
        &[("http_route", "/pay")],
        Boundaries::http_default()
            .with([Duration::from_millis(300)])
            .expect("fits"),
    );

    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sloguard", |b| {
        let mut i = 0usize;
        b.iter(|| {
            let ns = stream[i & 1023];
            i = i.wrapping_add(1);
            slo.record_nanos(Outcome::Success, black_box(ns));
            histogram.record_nanos(black_box(ns));
        })
    });
    let shared = AtomicU64::new(0);
    group.bench_function("shared_atomic_fetch_add", |b| {
        b.iter(|| shared.fetch_add(black_box(1), Ordering::Relaxed))
    });
    group.finish();
}

criterion_group!(benches, record);
criterion_main!(benches);
