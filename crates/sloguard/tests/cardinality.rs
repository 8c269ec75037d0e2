//! A cardinality attack: a client sends a million distinct paths, and the operation function
//! (the worst case) names operations by the raw path. No more operations than the cap are
//! created, series stay bounded, and every request is still recorded once.

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::{ready, Future};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use sloguard::layer::{SliLayer, DEFAULT_MAX_OPERATIONS};
use sloguard::model::Slo;
use sloguard::Registry;
use tower::{Layer, Service};

const REQUESTS: usize = 1_000_000;

/// Sends `req` through `service`, whose inner service answers at once, to the body's end.
fn call<S, B>(service: &mut S, req: Request<()>)
where
    S: Service<Request<()>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: Body,
{
    let mut cx = Context::from_waker(Waker::noop());
    let mut future = pin!(service.call(req));
    let Poll::Ready(Ok(response)) = future.as_mut().poll(&mut cx) else {
        panic!("ready at once");
    };
    let mut body = pin!(response.into_body());
    while let Poll::Ready(Some(_)) = body.as_mut().poll_frame(&mut cx) {}
}

#[test]
fn a_million_distinct_paths_stay_within_the_cap() {
    let registry = Registry::builder("attacked").build();
    registry
        .register(Slo::availability("availability").build().expect("valid"))
        .expect("ok");
    let layer =
        SliLayer::new(&registry).operation_fn(|req| Some(Cow::Owned(req.uri.path().to_owned())));
    let mut service = layer.layer(tower::service_fn(|_: Request<()>| {
        ready(Ok::<_, Infallible>(Response::new(Full::new(Bytes::new()))))
    }));
    for i in 0..REQUESTS {
        let req = Request::builder()
            .uri(format!("/probe/{i}"))
            .body(())
            .expect("request");
        call(&mut service, req);
    }
    assert_eq!(layer.operation_count(), DEFAULT_MAX_OPERATIONS);
    // One request series per operation (one method, one status), `other` included.
    assert_eq!(registry.histogram_count(), DEFAULT_MAX_OPERATIONS + 1);
    assert_eq!(
        registry.slo("availability").expect("a").counts().events(),
        REQUESTS as u64
    );
    let other = registry
        .snapshot()
        .histograms
        .into_iter()
        .find(|h| {
            h.labels
                .iter()
                .any(|(k, v)| k == "http_route" && v == "other")
        })
        .expect("the other series");
    assert_eq!(
        other.histogram.count(),
        (REQUESTS - DEFAULT_MAX_OPERATIONS) as u64
    );
}

#[test]
fn the_overflow_series_of_an_operation_claims_no_method_it_did_not_see() {
    let registry = Registry::builder("attacked").build();
    registry
        .register(Slo::availability("availability").build().expect("valid"))
        .expect("ok");
    let layer = SliLayer::new(&registry).operation_fn(|_| Some(Cow::Borrowed("/pay")));
    // Every request answers with the status its path names: more statuses than an operation
    // keeps series for.
    let mut service = layer.layer(tower::service_fn(|req: Request<()>| {
        let status: u16 = req.uri().path()[1..].parse().expect("a status");
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = http::StatusCode::from_u16(status).expect("status");
        ready(Ok::<_, Infallible>(response))
    }));
    for status in 200..260u16 {
        let req = Request::builder()
            .method("PUT")
            .uri(format!("/{status}"))
            .body(())
            .expect("request");
        call(&mut service, req);
    }
    let histograms: Vec<_> = registry
        .snapshot()
        .histograms
        .into_iter()
        .filter(|h| h.name == sloguard::layer::REQUEST_DURATION)
        .collect();
    let label = |labels: &[(String, String)], key: &str| {
        labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let overflow = histograms
        .iter()
        .find(|h| label(&h.labels, "http_response_status_code") == "other")
        .expect("an overflow series");
    assert_eq!(label(&overflow.labels, "http_request_method"), "_OTHER");
    let seen: u64 = histograms.iter().map(|h| h.histogram.count()).sum();
    assert_eq!(seen, 60, "every request in one series or the overflow");
    assert!(histograms
        .iter()
        .filter(|h| label(&h.labels, "http_response_status_code") != "other")
        .all(|h| label(&h.labels, "http_request_method") == "PUT"));
}
