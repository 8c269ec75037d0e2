//! `layer/*`: one request through a ready `service_fn` answering 200, driven through
//! `Service::call`, the response future and the end of the body, bare and under each layer, so
//! the differences are the layers' own overhead.
#![allow(missing_docs)]

use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use sloguard::model::Slo;
use sloguard::{Registry, SliLayer};
use tower::{Layer, Service};

fn ok(_: Request<Full<Bytes>>) -> Ready<Result<Response<Full<Bytes>>, Infallible>> {
    ready(Ok(Response::new(Full::new(Bytes::from_static(b"ok")))))
}

/// One request, polled by hand (every future here is ready at once).
#[inline]
fn drive<S, B>(service: &mut S)
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: Body,
{
    let mut cx = Context::from_waker(Waker::noop());
    let _ = service.poll_ready(&mut cx);
    let mut future = pin!(service.call(Request::new(Full::new(Bytes::new()))));
    let Poll::Ready(Ok(response)) = future.as_mut().poll(&mut cx) else {
        return;
    };
    let mut body = pin!(response.into_body());
    while let Poll::Ready(Some(_)) = body.as_mut().poll_frame(&mut cx) {}
}

fn layers(c: &mut Criterion) {
    let registry = Registry::builder("bench").build();
    registry
        .register(Slo::availability("availability").build().expect("valid"))
        .expect("ok");
    registry
        .register(
            Slo::latency("latency", std::time::Duration::from_millis(300))
                .build()
                .expect("valid"),
        )
        .expect("ok");
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
