//! Unit tests of the layer with tower-test mocks: every classification rule and every way a
//! request can end, each recorded exactly once.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use sloguard_core::clock::{Timestamp, VirtualClock};
use sloguard_core::model::{CancelledPolicy, Selector, Slo};
use sloguard_core::{Counts, Registry};
use tower::{Layer, Service, ServiceExt};
use tower_test::mock;

use super::*;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A body that yields prepared frames; it reports its end through `is_end_stream` (as
/// `Full` does) unless `end_by_none` is set (as streams do).
struct TestBody {
    frames: VecDeque<Result<Frame<Bytes>, &'static str>>,
    end_by_none: bool,
}

impl TestBody {
    fn data(chunks: usize) -> Self {
        TestBody {
            frames: (0..chunks)
                .map(|_| Ok(Frame::data(Bytes::from_static(b"chunk"))))
                .collect(),
            end_by_none: false,
        }
    }
    fn streaming(frames: Vec<Result<Frame<Bytes>, &'static str>>) -> Self {
        TestBody {
            frames: frames.into(),
            end_by_none: true,
        }
    }
}

impl Body for TestBody {
    type Data = Bytes;
    type Error = &'static str;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.frames.pop_front())
    }
    fn is_end_stream(&self) -> bool {
        !self.end_by_none && self.frames.is_empty()
    }
}

type Mock = mock::Mock<Request<()>, Response<TestBody>>;
type Handle = mock::Handle<Request<()>, Response<TestBody>>;

struct Fixture {
    registry: Registry,
    clock: VirtualClock,
}

impl Fixture {
    fn new() -> Self {
        let clock = VirtualClock::new(Timestamp::from_unix_secs(1_767_225_600));
        let registry = Registry::builder("test").clock(clock.clock()).build();
        registry
            .register(Slo::availability("availability").build().expect("valid"))
            .expect("ok");
        Fixture { registry, clock }
    }

    fn counts(&self) -> Counts {
        self.registry
            .slo("availability")
            .expect("registered")
            .counts()
    }

    fn histogram_count(&self) -> u64 {
        self.registry
            .snapshot()
            .histograms
            .iter()
            .filter(|h| h.name == REQUEST_DURATION)
            .map(|h| h.histogram.count())
            .sum()
    }

    fn active(&self) -> i64 {
        self.registry
            .snapshot()
            .gauges
            .iter()
            .map(|g| g.value)
            .sum()
    }
}

fn counts(good: u64, bad: u64, cancelled: u64) -> Counts {
    Counts {
        good,
        bad,
        cancelled,
    }
}

async fn respond<L>(
    layer: L,
    response: Result<Response<TestBody>, &'static str>,
) -> Result<Response<L::Body>, BoxError>
where
    L: Layer<Mock>,
    L::Service: Service<Request<()>, Response = Response<<L as BodyOf>::Body>, Error = BoxError>,
    L: BodyOf,
{
    respond_at(layer, "/", response).await
}

/// [`respond`] to a request for `path`.
async fn respond_at<L>(
    layer: L,
    path: &str,
    response: Result<Response<TestBody>, &'static str>,
) -> Result<Response<L::Body>, BoxError>
where
    L: Layer<Mock>,
    L::Service: Service<Request<()>, Response = Response<<L as BodyOf>::Body>, Error = BoxError>,
    L: BodyOf,
{
    let request = Request::builder().uri(path).body(()).expect("request");
    respond_to(layer, request, response).await
}

/// [`respond`] to `request`.
async fn respond_to<L>(
    layer: L,
    request: Request<()>,
    response: Result<Response<TestBody>, &'static str>,
) -> Result<Response<L::Body>, BoxError>
where
    L: Layer<Mock>,
    L::Service: Service<Request<()>, Response = Response<<L as BodyOf>::Body>, Error = BoxError>,
    L: BodyOf,
{
    let (service, mut handle): (Mock, Handle) = mock::pair();
    let mut service = layer.layer(service);
    let future = service.ready().await.expect("ready").call(request);
    let (_, send) = handle.next_request().await.expect("request");
    match response {
        Ok(r) => send.send_response(r),
        Err(e) => send.send_error(e),
    }
    future.await
}

/// The body type a layer's service answers with, to name it in `respond`.
trait BodyOf {
    type Body;
}
impl<M: tower_http::classify::MakeClassifier> BodyOf for SliLayer<M> {
    type Body = ResponseBody<TestBody, M::ClassifyEos>;
}

fn status(code: u16) -> Response<TestBody> {
    let mut r = Response::new(TestBody::data(1));
    *r.status_mut() = StatusCode::from_u16(code).expect("code");
    r
}

async fn drain<B: Body + Unpin>(body: B) -> Result<(), B::Error> {
    body.collect().await.map(|_| ())
}

#[tokio::test]
async fn http_statuses_are_classified_5xx_bad_4xx_good() {
    let f = Fixture::new();
    for code in [200, 204, 301, 400, 404, 429, 500, 503] {
        let res = respond(SliLayer::new(&f.registry).operation("/t"), Ok(status(code)))
            .await
            .expect("ok");
        drain(res.into_body()).await.expect("body");
    }
    assert_eq!(f.counts(), counts(6, 2, 0));
    assert_eq!(f.histogram_count(), 8);
    assert_eq!(f.active(), 0);
}

#[tokio::test]
async fn a_transport_error_is_bad() {
    let f = Fixture::new();
    let err = respond(
        SliLayer::new(&f.registry).operation("/t"),
        Err("connection reset"),
    )
    .await
    .err();
    assert!(err.is_some());
    assert_eq!(f.counts(), counts(0, 1, 0));
    assert_eq!(f.histogram_count(), 1);
}

#[tokio::test]
async fn a_status_closure_decides_failures() {
    let f = Fixture::new();
    let layer = SliLayer::new(&f.registry)
        .operation("/t")
        .classify_status(|s: StatusCode| s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS);
    for code in [200, 429, 404, 500] {
        let res = respond(layer.clone(), Ok(status(code))).await.expect("ok");
        drain(res.into_body()).await.expect("body");
    }
    assert_eq!(f.counts(), counts(2, 2, 0));
}

fn grpc_headers(code: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("grpc-status", code.parse().expect("header"));
    h
}

#[tokio::test]
async fn grpc_status_in_headers_or_trailers_is_classified() {
    let f = Fixture::new();
    // Trailers-only responses carry the status in the headers.
    for (code, bad) in [
        ("0", false),
        ("5", false),
        ("3", false),
        ("14", true),
        ("4", true),
        ("13", true),
    ] {
        let before = f.counts();
        let mut r = Response::new(TestBody::data(0));
        *r.headers_mut() = grpc_headers(code);
        let res = respond(SliLayer::grpc(&f.registry), Ok(r))
            .await
            .expect("ok");
        drain(res.into_body()).await.expect("body");
        let after = f.counts();
        assert_eq!(
            (after.events() - before.events(), after.bad - before.bad),
            (1, bad as u64),
            "code {code}"
        );
    }
    // Streams carry it in the trailers: only the end of the stream decides.
    for (code, bad) in [("0", false), ("16", false), ("13", true), ("8", true)] {
        let before = f.counts();
        let body = TestBody::streaming(vec![
            Ok(Frame::data(Bytes::from_static(b"msg"))),
            Ok(Frame::trailers(grpc_headers(code))),
        ]);
        let res = respond(SliLayer::grpc(&f.registry), Ok(Response::new(body)))
            .await
            .expect("ok");
        assert_eq!(f.counts(), before, "nothing recorded before the trailers");
        drain(res.into_body()).await.expect("body");
        assert_eq!(f.counts().bad - before.bad, bad as u64, "code {code}");
    }
    assert_eq!(f.counts(), counts(5, 5, 0));
    // A stream that ends without trailers has no failure status.
    let res = respond(
        SliLayer::grpc(&f.registry),
        Ok(Response::new(TestBody::streaming(vec![]))),
    )
    .await
    .expect("ok");
    drain(res.into_body()).await.expect("body");
    assert_eq!(f.counts(), counts(6, 5, 0));
}

/// A trailers-only gRPC answer with this status.
fn grpc_answer(code: &str) -> Response<TestBody> {
    let mut r = Response::new(TestBody::data(0));
    *r.headers_mut() = grpc_headers(code);
    r
}

fn operations_capped(f: &Fixture) -> Option<String> {
    f.registry
        .snapshot()
        .diagnostics
        .into_iter()
        .find(|d| d.code == sloguard_core::diagnostic::code::OPERATIONS_CAPPED)
        .map(|d| d.message)
}

#[tokio::test]
async fn grpc_methods_the_server_does_not_have_are_no_operation_and_no_event() {
    let f = Fixture::new();
    let layer = SliLayer::grpc(&f.registry);
    // A client invents 300 methods, more than the operation cap; the server has none of them.
    for i in 0..300 {
        let res = respond_at(
            layer.clone(),
            &format!("/junk.Service/M{i}"),
            Ok(grpc_answer("12")),
        )
        .await
        .expect("ok");
        drain(res.into_body()).await.expect("body");
    }
    assert_eq!(
        layer.operation_count(),
        0,
        "no invented method became an operation"
    );
    assert_eq!(
        f.counts(),
        counts(0, 0, 0),
        "UNIMPLEMENTED is not the service's event"
    );
    assert_eq!(
        f.histogram_count(),
        300,
        "still in the request series, as other"
    );
    // The real method is still an operation of its own, and its calls are the SLO's events.
    for code in ["0", "0", "13"] {
        let res = respond_at(layer.clone(), "/pay.Payments/Charge", Ok(grpc_answer(code)))
            .await
            .expect("ok");
        drain(res.into_body()).await.expect("body");
    }
    assert_eq!(layer.operation_count(), 1);
    assert_eq!(f.counts(), counts(2, 1, 0));
    assert!(f.registry.snapshot().histograms.iter().any(|h| h
        .labels
        .iter()
        .any(|(k, v)| k == "http_route" && v == "/pay.Payments/Charge")));
    assert_eq!(operations_capped(&f), None);
}

/// A gRPC call to `path`, as clients send it.
fn grpc_call(path: &str) -> Request<()> {
    Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/grpc")
        .body(())
        .expect("request")
}

/// The RPC series of `f` as `(rpc_method, rpc_response_status_code, count)`, sorted.
fn rpc_series(f: &Fixture) -> Vec<(String, String, u64)> {
    let mut out: Vec<_> = f
        .registry
        .snapshot()
        .histograms
        .iter()
        .filter(|h| h.name == sloguard_core::contract::RPC_SERVER_CALL_DURATION.name)
        .map(|h| {
            let label = |k: &str| {
                h.labels
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            assert_eq!(label("rpc_system_name"), "grpc");
            (
                label("rpc_method"),
                label("rpc_response_status_code"),
                h.histogram.count(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn grpc_calls_are_in_the_rpc_series_with_their_code_names() {
    let f = Fixture::new();
    let layer = SliLayer::grpc(&f.registry);
    let charge = "/pay.Payments/Charge";
    // Trailers-only answers, codes in trailers, an HTTP status without a code, a stream
    // without trailers, a dropped body, and a method the server does not have.
    let streamed = |code| {
        TestBody::streaming(vec![
            Ok(Frame::data(Bytes::from_static(b"msg"))),
            Ok(Frame::trailers(grpc_headers(code))),
        ])
    };
    let mut answers: Vec<Response<TestBody>> = ["0", "0", "5", "14"].map(grpc_answer).into();
    answers.extend(["0", "13", "99"].map(|code| Response::new(streamed(code))));
    answers.push(status(503));
    answers.push(Response::new(TestBody::streaming(vec![])));
    for answer in answers {
        let res = respond_to(layer.clone(), grpc_call(charge), Ok(answer))
            .await
            .expect("ok");
        drain(res.into_body()).await.expect("body");
    }
    let dropped = respond_to(
        layer.clone(),
        grpc_call(charge),
        Ok(Response::new(streamed("0"))),
    );
    drop(dropped.await.expect("ok"));
    let missing = respond_to(
        layer.clone(),
        grpc_call("/no.Such/Method"),
        Ok(grpc_answer("12")),
    );
    drain(missing.await.expect("ok").into_body())
        .await
        .expect("body");

    let series = |m: &str, c: &str, n: u64| (m.to_owned(), c.to_owned(), n);
    let method = "pay.Payments/Charge";
    assert_eq!(
        rpc_series(&f),
        [
            series("_OTHER", "UNIMPLEMENTED", 1),
            series(method, "CANCELLED", 1),
            series(method, "INTERNAL", 1),
            series(method, "NOT_FOUND", 1),
            series(method, "OK", 3),
            series(method, "UNAVAILABLE", 2),
            series(method, "UNKNOWN", 2),
        ]
    );
    assert_eq!(f.histogram_count(), 0, "no gRPC call is an HTTP series");
    // The classifier judges the calls that carried a `grpc-status` (0, 0, 5 and streamed 0
    // are good; 14, 13 and 99 bad). The 503 and the stream that ended without a status carried
    // none: they failed as their clients saw them, whatever tower-http's classifier says. The
    // dropped body is cancelled.
    assert_eq!(f.counts(), counts(4, 5, 1));
}

#[tokio::test]
async fn names_past_the_cap_or_too_long_are_other_and_say_so() {
    let f = Fixture::new();
    let long = format!("/{}", "x".repeat(MAX_OPERATION_NAME));
    let layer = SliLayer::new(&f.registry)
        .max_operations(2)
        .operation_fn(|req| Some(std::borrow::Cow::Owned(req.uri.path().to_owned())));
    let res = respond_at(layer.clone(), &long, Ok(status(200)))
        .await
        .expect("ok");
    drain(res.into_body()).await.expect("body");
    assert_eq!(layer.operation_count(), 0);
    let message = operations_capped(&f).expect("a too-long name is reported");
    assert!(message.contains("more than 200"), "{message}");
    for path in ["/a", "/b", "/c"] {
        let res = respond_at(layer.clone(), path, Ok(status(200)))
            .await
            .expect("ok");
        drain(res.into_body()).await.expect("body");
    }
    assert_eq!(layer.operation_count(), 2);
    let message = operations_capped(&f).expect("the cap is reported");
    assert!(
        message.contains("cap of 2 distinct operations"),
        "{message}"
    );
    assert_eq!(
        f.counts(),
        counts(4, 0, 0),
        "every request still counted once"
    );
}

#[tokio::test]
async fn the_request_ends_when_the_body_ends_not_at_the_head() {
    let f = Fixture::new();
    let res = respond(
        SliLayer::new(&f.registry).operation("/t"),
        Ok(Response::new(TestBody::streaming(vec![Ok(Frame::data(
            Bytes::from_static(b"a"),
        ))]))),
    )
    .await
    .expect("ok");
    assert_eq!(f.counts().events(), 0);
    assert_eq!(f.active(), 1);
    drain(res.into_body()).await.expect("body");
    assert_eq!(f.counts(), counts(1, 0, 0));
    assert_eq!(f.active(), 0);
}

#[tokio::test]
async fn a_body_error_is_bad_once() {
    let f = Fixture::new();
    let body = TestBody::streaming(vec![
        Ok(Frame::data(Bytes::from_static(b"a"))),
        Err("reset mid-body"),
    ]);
    let res = respond(
        SliLayer::new(&f.registry).operation("/t"),
        Ok(Response::new(body)),
    )
    .await
    .expect("ok");
    assert!(drain(res.into_body()).await.is_err());
    assert_eq!(f.counts(), counts(0, 1, 0));
    assert_eq!(f.histogram_count(), 1);
}

#[tokio::test]
async fn a_dropped_future_is_cancelled_once() {
    let f = Fixture::new();
    let (service, mut handle): (Mock, Handle) = mock::pair();
    let mut service = SliLayer::new(&f.registry).operation("/t").layer(service);
    let future = service.ready().await.expect("ready").call(Request::new(()));
    let _request = handle.next_request().await.expect("request");
    assert_eq!(f.active(), 1);
    drop(future);
    assert_eq!(f.counts(), counts(0, 0, 1));
    assert_eq!(f.active(), 0);
    assert_eq!(f.histogram_count(), 1);
}

#[tokio::test]
async fn a_dropped_body_is_cancelled_once_or_bad_when_the_slo_says_so() {
    let f = Fixture::new();
    f.registry
        .register(
            Slo::availability("strict")
                .cancelled(CancelledPolicy::CountAsBad)
                .build()
                .expect("valid"),
        )
        .expect("ok");
    let body = TestBody::streaming(vec![
        Ok(Frame::data(Bytes::from_static(b"a"))),
        Ok(Frame::data(Bytes::from_static(b"b"))),
    ]);
    let res = respond(
        SliLayer::new(&f.registry).operation("/t"),
        Ok(Response::new(body)),
    )
    .await
    .expect("ok");
    let mut body = res.into_body();
    let _first = body.frame().await.expect("frame").expect("ok");
    drop(body);
    assert_eq!(f.counts(), counts(0, 0, 1));
    assert_eq!(
        f.registry.slo("strict").expect("strict").counts(),
        counts(0, 1, 0)
    );
    assert_eq!(f.histogram_count(), 1);
}

#[tokio::test]
async fn an_empty_body_finishes_at_the_head() {
    let f = Fixture::new();
    // A server never polls a body that is already at its end; the request must not wait for it.
    let res = respond(
        SliLayer::new(&f.registry).operation("/t"),
        Ok(Response::new(TestBody::data(0))),
    )
    .await
    .expect("ok");
    assert_eq!(f.counts(), counts(1, 0, 0));
    drop(res);
    assert_eq!(f.counts(), counts(1, 0, 0));
}

#[derive(Clone)]
struct Panics {
    in_call: bool,
}

impl Service<Request<()>> for Panics {
    type Response = Response<TestBody>;
    type Error = Infallible;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Response<TestBody>, Infallible>> + Send>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, _: Request<()>) -> Self::Future {
        assert!(!self.in_call, "handler bug in call");
        Box::pin(async { panic!("handler bug in poll") })
    }
}

#[tokio::test]
async fn a_panic_is_bad_and_keeps_unwinding() {
    for in_call in [true, false] {
        let f = Fixture::new();
        let mut service = SliLayer::new(&f.registry)
            .operation("/t")
            .layer(Panics { in_call });
        let outcome =
            tokio::spawn(async move { service.call(Request::new(())).await.map(|_| ()) }).await;
        assert!(outcome.expect_err("the panic reaches the task").is_panic());
        assert_eq!(f.counts(), counts(0, 1, 0), "panic in call: {in_call}");
        assert_eq!(f.active(), 0);
    }
}

#[tokio::test]
async fn latency_runs_to_the_body_end_or_to_the_head() {
    for (end, good) in [(LatencyEnd::Body, false), (LatencyEnd::Head, true)] {
        let f = Fixture::new();
        f.registry
            .register(
                Slo::latency("latency", Duration::from_millis(300))
                    .build()
                    .expect("valid"),
            )
            .expect("ok");
        let (service, mut handle): (Mock, Handle) = mock::pair();
        let mut service = SliLayer::new(&f.registry)
            .operation("/t")
            .latency_until(end)
            .layer(service);
        let future = service.ready().await.expect("ready").call(Request::new(()));
        let (_, send) = handle.next_request().await.expect("request");
        f.clock.advance(Duration::from_millis(200));
        send.send_response(Response::new(TestBody::streaming(vec![Ok(Frame::data(
            Bytes::from_static(b"a"),
        ))])));
        let body = future.await.expect("ok").into_body();
        f.clock.advance(Duration::from_millis(200));
        drain(body).await.expect("body");
        let latency = f.registry.slo("latency").expect("latency").counts();
        assert_eq!(
            latency,
            if good {
                counts(1, 0, 0)
            } else {
                counts(0, 1, 0)
            },
            "{end:?}"
        );
    }
}

#[tokio::test]
async fn operations_come_from_a_function_and_feed_the_slos_that_select_them() {
    let f = Fixture::new();
    f.registry
        .register(
            Slo::availability("pay")
                .operations(Selector::routes(["pay"]))
                .build()
                .expect("valid"),
        )
        .expect("ok");
    let layer = SliLayer::new(&f.registry)
        .operation("/t")
        .operation_fn(|req| {
            let name = if req.uri.path().starts_with("/pay") {
                "pay"
            } else {
                "refund"
            };
            Some(name.into())
        });
    let (service, mut handle): (Mock, Handle) = mock::pair();
    let mut service = layer.layer(service);
    for path in ["/pay/1", "/pay/2", "/refund/9"] {
        let future = service
            .ready()
            .await
            .expect("ready")
            .call(Request::builder().uri(path).body(()).expect("request"));
        let (_, send) = handle.next_request().await.expect("request");
        send.send_response(status(500));
        drain(future.await.expect("ok").into_body())
            .await
            .expect("body");
    }
    assert_eq!(f.counts(), counts(0, 3, 0));
    assert_eq!(
        f.registry.slo("pay").expect("pay").counts(),
        counts(0, 2, 0)
    );
    assert_eq!(layer.operation_count(), 2);
    let routes: Vec<String> = f
        .registry
        .snapshot()
        .histograms
        .iter()
        .flat_map(|h| {
            h.labels
                .iter()
                .filter(|(k, _)| k == "http_route")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert_eq!(routes, ["pay", "refund"]);
}

#[test]
fn the_layer_and_service_are_clone_send_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<SliLayer>();
    assert_traits::<SliService<Mock>>();
    assert_traits::<
        SliLayer<
            tower_http::classify::SharedClassifier<tower_http::classify::GrpcErrorsAsFailures>,
        >,
    >();
}

#[tokio::test]
async fn a_panicking_classifier_never_reaches_the_host() {
    let f = Fixture::new();
    let layer = SliLayer::new(&f.registry)
        .operation("/t")
        .classify_status(|s: StatusCode| {
            assert!(s != StatusCode::IM_A_TEAPOT, "classifier bug");
            s.is_server_error()
        });
    for code in [418, 200, 418] {
        let res = respond(layer.clone(), Ok(status(code)))
            .await
            .expect("answered despite the panic");
        drain(res.into_body()).await.expect("body");
    }
    // Judged by status instead (418 is not a 5xx: good), each recorded once.
    assert_eq!(f.counts(), counts(3, 0, 0));
    assert_eq!(layer.classifier_panics(), 2);
}

#[tokio::test]
async fn an_slo_registered_after_the_layer_receives_the_requests_of_its_clones() {
    let f = Fixture::new();
    let (service, mut handle): (Mock, Handle) = mock::pair();
    let made = SliLayer::new(&f.registry).operation("/t").layer(service);
    for late in ["late", "later"] {
        let mut clone = made.clone();
        let mut clone_of_clone = clone.clone();
        f.registry
            .register(Slo::availability(late).build().expect("valid"))
            .expect("ok");
        for service in [&mut clone, &mut clone_of_clone] {
            let future = service.ready().await.expect("ready").call(Request::new(()));
            let (_, send) = handle.next_request().await.expect("request");
            send.send_response(Response::new(TestBody::data(0)));
            drain(future.await.expect("ok").into_body())
                .await
                .expect("body");
        }
    }
    assert_eq!(f.counts(), counts(4, 0, 0));
    let late = f.registry.slo("late").expect("late").counts();
    assert_eq!(late, counts(4, 0, 0), "both clones, both rounds");
    let later = f.registry.slo("later").expect("later").counts();
    assert_eq!(later, counts(2, 0, 0), "the second round");
}

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A request to `/` with the W3C `traceparent` header.
fn traced() -> Request<()> {
    Request::builder()
        .uri("/")
        .header("traceparent", TRACEPARENT)
        .body(())
        .expect("request")
}

/// The exemplars of the request series, as `(bucket, trace id)`.
fn request_exemplars(f: &Fixture) -> Vec<(usize, String)> {
    f.registry
        .snapshot()
        .histograms
        .iter()
        .filter(|h| h.name == REQUEST_DURATION)
        .flat_map(|h| h.histogram.exemplars().to_vec())
        .map(|(bucket, e)| (bucket, e.context.trace_id_hex()))
        .collect()
}

#[tokio::test]
async fn a_traced_request_leaves_its_trace_beside_its_bucket_and_its_bad_event() {
    let f = Fixture::new();
    let layer = SliLayer::new(&f.registry)
        .operation("pay")
        .exemplars(Exemplars::traceparent());
    // 80 ms of latency: the bucket whose upper bound is 0.1 s (index 5 of the HTTP advice).
    let res = respond_to(layer.clone(), traced(), Ok(status(500)))
        .await
        .expect("ok");
    f.clock.advance(Duration::from_millis(80));
    drain(res.into_body()).await.expect("body");
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    assert_eq!(request_exemplars(&f), [(5, trace.to_owned())]);
    let snapshot = f.registry.snapshot();
    let bad = snapshot.slos[0]
        .bad_event_exemplar
        .expect("a bad event's exemplar");
    assert_eq!(bad.context.span_id_hex(), "00f067aa0ba902b7");
    assert_eq!(bad.value, Duration::from_millis(80));

    // OpenMetrics carries them; the text format 0.0.4 has no place for them.
    let om = crate::expose::text::render(&snapshot, crate::expose::text::Format::OpenMetrics);
    let bucket = om
        .lines()
        .find(|l| l.contains(r#"le="0.1""#) && l.contains("http_server_request_duration"))
        .expect("bucket");
    assert!(
        bucket.ends_with(&format!(
            r#"# {{trace_id="{trace}",span_id="00f067aa0ba902b7"}} 0.08 1767225600.080"#
        )),
        "{bucket}"
    );
    let counter = om
        .lines()
        .find(|l| l.starts_with("sloguard_slo_bad_events_total{"))
        .expect("counter");
    assert!(
        counter.contains(&format!(r#"# {{trace_id="{trace}""#)),
        "{counter}"
    );
    let text = crate::expose::text::render(&snapshot, crate::expose::text::Format::Prometheus);
    assert!(!text.contains("trace_id"), "{text}");
}

#[tokio::test]
async fn exemplars_are_off_by_default_and_good_events_leave_none_on_the_bad_counter() {
    let f = Fixture::new();
    let res = respond_to(
        SliLayer::new(&f.registry).operation("pay"),
        traced(),
        Ok(status(500)),
    )
    .await
    .expect("ok");
    drain(res.into_body()).await.expect("body");
    assert_eq!(request_exemplars(&f), []);
    assert_eq!(f.registry.snapshot().slos[0].bad_event_exemplar, None);

    let layer = SliLayer::new(&f.registry)
        .operation("pay")
        .exemplars(Exemplars::traceparent());
    let res = respond_to(layer, traced(), Ok(status(200)))
        .await
        .expect("ok");
    drain(res.into_body()).await.expect("body");
    assert_eq!(request_exemplars(&f).len(), 1, "the good request's bucket");
    assert_eq!(f.registry.snapshot().slos[0].bad_event_exemplar, None);
}

#[tokio::test]
async fn a_router_404_to_a_grpc_call_is_unimplemented_and_no_operation() {
    let f = Fixture::new();
    let layer = SliLayer::grpc(&f.registry);
    for i in 0..3 {
        let path = format!("/no.Such/M{i}");
        let res = respond_to(layer.clone(), grpc_call(&path), Ok(status(404)))
            .await
            .expect("ok");
        drain(res.into_body()).await.expect("body");
    }
    assert_eq!(layer.operation_count(), 0, "no invented method became one");
    assert_eq!(f.counts(), counts(0, 0, 0), "nor an SLO event");
    assert_eq!(
        rpc_series(&f),
        [("_OTHER".to_owned(), "UNIMPLEMENTED".to_owned(), 3)]
    );
}

/// The OpenTelemetry span current when the request starts is its trace.
#[cfg(feature = "opentelemetry")]
#[tokio::test]
async fn the_current_opentelemetry_span_is_the_requests_trace() {
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    let f = Fixture::new();
    let layer = SliLayer::new(&f.registry)
        .operation("pay")
        .exemplars(Exemplars::opentelemetry());
    let span = SpanContext::new(
        TraceId::from_bytes([7; 16]),
        SpanId::from_bytes([9; 8]),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let request = Request::builder().uri("/").body(()).expect("request");
    let res = {
        // Attached on this thread, where the single-threaded test runtime calls the layer.
        let _current = opentelemetry::Context::current()
            .with_remote_span_context(span)
            .attach();
        respond_to(layer.clone(), request, Ok(status(500))).await
    }
    .expect("ok");
    drain(res.into_body()).await.expect("body");
    let trace = "07".repeat(16);
    assert_eq!(request_exemplars(&f), [(0, trace.clone())]);
    let bad = f.registry.snapshot().slos[0]
        .bad_event_exemplar
        .expect("exemplar");
    assert_eq!(bad.context.span_id_hex(), "09".repeat(8));

    // Without a current span, no trace: an 80 ms request (another bucket, whose slot is
    // free) leaves no exemplar.
    let res = respond(layer, Ok(status(200))).await.expect("ok");
    f.clock.advance(Duration::from_millis(80));
    drain(res.into_body()).await.expect("body");
    assert_eq!(request_exemplars(&f), [(0, trace)]);
}
