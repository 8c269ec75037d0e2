//! One HTTP request driven by hand through a tower service: the work of `layer/*` and of the
//! instruction-count driver, written once.
//!
//! ```
//! use sloguard::{model::Slo, Registry, SliLayer};
//! use tower::Layer;
//!
//! let registry = Registry::builder("bench").build();
//! let slo = registry.register(Slo::availability("a").build().unwrap()).unwrap();
//! let layer = SliLayer::new(&registry).operation("/pay");
//! let mut service = layer.layer(tower::service_fn(sloguard_benches::request::ok));
//! sloguard_benches::request::drive(&mut service);
//! assert_eq!(slo.counts().good, 1);
//! ```

use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use sloguard::model::Slo;
use sloguard::Registry;
use tower_service::Service;

/// The registry every layer measurement uses: an availability SLO and a 300 ms latency SLO,
/// both over every operation, so a request is recorded into two SLOs.
pub fn registry() -> Registry {
    let registry = Registry::builder("bench").build();
    for slo in [
        Slo::availability("availability").build(),
        Slo::latency("latency", std::time::Duration::from_millis(300)).build(),
    ] {
        registry
            .register(slo.expect("valid"))
            .expect("distinct names");
    }
    registry
}

/// The inner service: answers 200 `ok` at once. Inlined, as it was when each bench had its
/// own copy, so figures stay comparable across the move.
#[inline]
pub fn ok(_: Request<Full<Bytes>>) -> Ready<Result<Response<Full<Bytes>>, Infallible>> {
    ready(Ok(Response::new(Full::new(Bytes::from_static(b"ok")))))
}

/// One request, polled by hand (every future here is ready at once): `call`, the response
/// future and the body to its end.
#[inline]
pub fn drive<S, B>(service: &mut S)
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: Body,
{
    drive_request(service, Request::new(Full::new(Bytes::new())));
}

/// A W3C `traceparent` a traced caller sends.
pub const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// [`drive`] with a request that carries [`TRACEPARENT`] (made inside, as a server makes it).
#[inline]
pub fn drive_traced<S, B>(service: &mut S)
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: Body,
{
    let mut request = Request::new(Full::new(Bytes::new()));
    request
        .headers_mut()
        .insert("traceparent", http::HeaderValue::from_static(TRACEPARENT));
    drive_request(service, request);
}

#[inline]
fn drive_request<S, B>(service: &mut S, request: Request<Full<Bytes>>)
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: Body,
{
    let mut cx = Context::from_waker(Waker::noop());
    let _ = service.poll_ready(&mut cx);
    let mut future = pin!(service.call(request));
    let Poll::Ready(Ok(response)) = future.as_mut().poll(&mut cx) else {
        return;
    };
    let mut body = pin!(response.into_body());
    while let Poll::Ready(Some(_)) = body.as_mut().poll_frame(&mut cx) {}
}
