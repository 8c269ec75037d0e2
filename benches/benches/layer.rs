//! `layer/*`: one request through a ready `service_fn` answering 200, driven through
//! `Service::call`, the response future and the end of the body, bare and under each layer, so
//! the differences are the layers' own overhead.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sloguard::SliLayer;
use sloguard_benches::request::{drive, ok};
use tower::Layer;

fn layers(c: &mut Criterion) {
    let registry = sloguard_benches::request::registry();
    let mut bare = tower::service_fn(ok);
    let mut sloguard = SliLayer::new(&registry)
        .operation("/pay")
        .layer(tower::service_fn(ok));
    // axum-prometheus spawns an upkeep task when its recorder is built, so it needs a runtime.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _inside = runtime.enter();
    let (prometheus_layer, _handle) = axum_prometheus::PrometheusMetricLayer::pair();
    let mut axum_prometheus = prometheus_layer.layer(tower::service_fn(ok));

    let mut group = c.benchmark_group("layer");
    group.throughput(Throughput::Elements(1));
    group.bench_function("bare", |b| b.iter(|| drive(&mut bare)));
    group.bench_function("sloguard", |b| b.iter(|| drive(&mut sloguard)));
    group.bench_function("axum_prometheus", |b| {
        b.iter(|| drive(&mut axum_prometheus))
    });
    group.finish();
}

criterion_group!(benches, layers);
criterion_main!(benches);
