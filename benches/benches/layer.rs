//! `layer/*`: one request through a ready `service_fn` answering 200, driven through
//! `Service::call`, the response future and the end of the body, bare and under each layer, so
//! the differences are the layers' own overhead.
//!
//! `layer_threads/sloguard/N`: the same request on one thread while N − 1 other threads send
//! requests through their own clones of the same service (one configuration, the same SLOs and request
//! series), the time per request of one of N threads at once; N = 1 and N =
//! `SLOGUARD_BENCH_THREADS` (default 2), so larger machines can ask for more.
//! `layer_threads/sloguard_cloned/N`: the same with a clone of the one shared service per
//! request, as axum's router makes.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
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
    // OpenTelemetry's HTTP layer with its defaults: tracing and metrics on, through the global
    // providers (none installed here, so its instruments are the API's no-ops).
    let otel_layer = opentelemetry_instrumentation_tower::http::server::LayerBuilder::builder()
        .build()
        .expect("the OpenTelemetry layer builds");
    let mut opentelemetry = otel_layer.layer(tower::service_fn(ok));

    let mut group = c.benchmark_group("layer");
    group.throughput(Throughput::Elements(1));
    group.bench_function("bare", |b| b.iter(|| drive(&mut bare)));
    group.bench_function("sloguard", |b| b.iter(|| drive(&mut sloguard)));
    group.bench_function("axum_prometheus", |b| {
        b.iter(|| drive(&mut axum_prometheus))
    });
    group.bench_function("opentelemetry_instrumentation_tower", |b| {
        b.iter(|| drive(&mut opentelemetry))
    });
    group.finish();

    let threads: usize = std::env::var("SLOGUARD_BENCH_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2)
        .clamp(1, 256);
    let mut group = c.benchmark_group("layer_threads");
    group.throughput(Throughput::Elements(1));
    for n in [1, threads] {
        group.bench_with_input(BenchmarkId::new("sloguard", n), &n, |b, &n| {
            b.iter_custom(|iters| together(&sloguard, n, iters, false))
        });
        // As axum's router does: a clone of the service per request.
        group.bench_with_input(BenchmarkId::new("sloguard_cloned", n), &n, |b, &n| {
            b.iter_custom(|iters| together(&sloguard, n, iters, true))
        });
        if threads == 1 {
            break;
        }
    }
    group.finish();
}

/// Times `iters` requests on this thread while `n - 1` other threads send requests all along,
/// every thread through its own clone of `service`, made on that thread; with `clone_each`,
/// every request goes through a fresh clone of `service` itself, made on the thread that
/// sends it, as axum's router clones the one service of a route per request.
fn together<S, B>(service: &S, n: usize, iters: u64, clone_each: bool) -> Duration
where
    S: Clone + Send + Sync,
    S: tower::Service<
        http::Request<http_body_util::Full<bytes::Bytes>>,
        Response = http::Response<B>,
    >,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
{
    let stop = AtomicBool::new(false);
    let barrier = Barrier::new(n);
    std::thread::scope(|s| {
        for _ in 1..n {
            s.spawn(|| {
                let mut mine = service.clone();
                barrier.wait();
                // Bounded: stops when the timed loop is done, and after a minute whatever happens.
                let deadline = Instant::now() + Duration::from_secs(60);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    for _ in 0..1024 {
                        one(service, &mut mine, clone_each);
                    }
                }
            });
        }
        let mut mine = service.clone();
        barrier.wait();
        let start = Instant::now();
        for _ in 0..iters {
            one(service, &mut mine, clone_each);
        }
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        elapsed
    })
}

/// One request through the thread's own clone `mine`, or through a clone of `shared` made
/// for the request.
fn one<S, B>(shared: &S, mine: &mut S, clone_each: bool)
where
    S: Clone
        + tower::Service<
            http::Request<http_body_util::Full<bytes::Bytes>>,
            Response = http::Response<B>,
        >,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
{
    if clone_each {
        drive(&mut shared.clone());
    } else {
        drive(mine);
    }
}

criterion_group!(benches, layers);
criterion_main!(benches);
