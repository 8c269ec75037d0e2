//! `layer/*`: one request through a ready `service_fn` answering 200, driven through
//! `Service::call`, the response future and the end of the body, bare and under each layer, so
//! the differences are the layers' own overhead. `*_traced` requests carry a W3C
//! `traceparent`: `sloguard_traced` with exemplars off, `sloguard_exemplars_traced` with them
//! on, each against `bare_traced`.
//!
//! `layer_threads/sloguard/N`: the same request on one thread while N − 1 other threads send
//! requests through their own clones of the same service (one configuration, the same SLOs
//! and request series), the time per request of one of N threads at once; N = 1 and N =
//! `SLOGUARD_BENCH_THREADS` (default 2), so larger machines can ask for more.
//! `layer_threads/sloguard_cloned/N`: the same with a clone of the one shared service per
//! request, as axum's router makes. `layer_threads/sloguard_cloned_elsewhere/N`: with a clone
//! per request of the thread's own clone made on another thread, as a per-connection clone
//! moved into its connection's task is cloned per request.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sloguard::SliLayer;
use sloguard_benches::request::{drive, drive_traced, ok};
use tower::Layer;

fn layers(c: &mut Criterion) {
    let registry = sloguard_benches::request::registry();
    let mut bare = tower::service_fn(ok);
    let mut sloguard = SliLayer::new(&registry)
        .operation("/pay")
        .layer(tower::service_fn(ok));
    // Exemplars on, every request traced: the cost of reading `traceparent` per request and of
    // offering an exemplar (kept at most once per bucket per 10 s).
    let mut exemplars = SliLayer::new(&registry)
        .operation("/pay")
        .exemplars(sloguard::layer::Exemplars::traceparent())
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
    group.bench_function("sloguard_exemplars_traced", |b| {
        b.iter(|| drive_traced(&mut exemplars))
    });
    // The same traced request with exemplars off: what reading nothing costs.
    group.bench_function("sloguard_traced", |b| {
        b.iter(|| drive_traced(&mut sloguard))
    });
    group.bench_function("bare_traced", |b| b.iter(|| drive_traced(&mut bare)));
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
        for (name, clones) in [
            ("sloguard", Clones::None),
            ("sloguard_cloned", Clones::OfTheShared),
            ("sloguard_cloned_elsewhere", Clones::OfOneMadeElsewhere),
        ] {
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
                b.iter_custom(|iters| together(&sloguard, n, iters, clones))
            });
        }
        if threads == 1 {
            break;
        }
    }
    group.finish();
}

/// Which service a thread sends each request through.
#[derive(Clone, Copy)]
enum Clones {
    /// Its own clone of the shared service, made on the thread.
    None,
    /// A fresh clone of the shared service, made on the thread for the request: axum's router
    /// clones the one service of a route so.
    OfTheShared,
    /// A fresh clone of its own clone, which was made on the spawning thread: a per-connection
    /// clone moved into the connection's task, cloned per request (hyper-util's
    /// `TowerToHyperService` does so).
    OfOneMadeElsewhere,
}

/// Times `iters` requests on this thread while `n - 1` other threads send requests all along,
/// each as `clones` says.
fn together<S, B>(service: &S, n: usize, iters: u64, clones: Clones) -> Duration
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
            let made_here = matches!(clones, Clones::OfOneMadeElsewhere).then(|| service.clone());
            let (stop, barrier) = (&stop, &barrier);
            s.spawn(move || {
                let mut mine = made_here.unwrap_or_else(|| service.clone());
                barrier.wait();
                // Bounded: stops when the timed loop is done, and after a minute whatever happens.
                let deadline = Instant::now() + Duration::from_secs(60);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    for _ in 0..1024 {
                        one(service, &mut mine, clones);
                    }
                }
            });
        }
        // This thread's own clone, for `OfOneMadeElsewhere` made on another thread.
        let mut mine = match clones {
            Clones::OfOneMadeElsewhere => s
                .spawn(|| service.clone())
                .join()
                .expect("a clone made on another thread"),
            Clones::None | Clones::OfTheShared => service.clone(),
        };
        barrier.wait();
        let start = Instant::now();
        for _ in 0..iters {
            one(service, &mut mine, clones);
        }
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        elapsed
    })
}

/// One request as `clones` says, through the thread's own clone `mine` or the shared service.
fn one<S, B>(shared: &S, mine: &mut S, clones: Clones)
where
    S: Clone
        + tower::Service<
            http::Request<http_body_util::Full<bytes::Bytes>>,
            Response = http::Response<B>,
        >,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
{
    match clones {
        Clones::None => drive(mine),
        Clones::OfTheShared => drive(&mut shared.clone()),
        Clones::OfOneMadeElsewhere => drive(&mut mine.clone()),
    }
}

criterion_group!(benches, layers);
criterion_main!(benches);
