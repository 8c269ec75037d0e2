//! OTLP users get the SLO series: collected through the OpenTelemetry SDK's in-memory exporter.

use std::time::Duration;

use opentelemetry::metrics::MeterProvider;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use sloguard::model::Slo;
use sloguard::{bridge, Outcome, Registry};

#[test]
fn slo_series_are_collected_as_observable_instruments() {
    let registry = Registry::builder("payments").build();
    let slo = registry
        .register(Slo::availability("availability").build().expect("valid"))
        .expect("ok");
    for i in 0..20 {
        slo.record(
            if i < 2 {
                Outcome::Error
            } else {
                Outcome::Success
            },
            Duration::from_millis(5),
        );
    }
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    let meter = provider.meter("payments");
    let _instruments = bridge::opentelemetry::register(&registry, &meter);
    provider.force_flush().expect("collects");

    let collected = exporter.get_finished_metrics().expect("metrics");
    let mut u64_points = Vec::new();
    let mut f64_points = Vec::new();
    for rm in &collected {
        for sm in rm.scope_metrics() {
            for metric in sm.metrics() {
                let name = metric.name().to_owned();
                let unit = metric.unit().to_owned();
                match metric.data() {
                    AggregatedMetrics::U64(MetricData::Sum(sum)) => {
                        assert!(sum.is_monotonic(), "{name} is a counter");
                        for p in sum.data_points() {
                            u64_points.push((
                                name.clone(),
                                unit.clone(),
                                attrs(p.attributes()),
                                p.value(),
                            ));
                        }
                    }
                    AggregatedMetrics::U64(MetricData::Gauge(g)) => {
                        for p in g.data_points() {
                            u64_points.push((
                                name.clone(),
                                unit.clone(),
                                attrs(p.attributes()),
                                p.value(),
                            ));
                        }
                    }
                    AggregatedMetrics::F64(MetricData::Gauge(g)) => {
                        for p in g.data_points() {
                            f64_points.push((
                                name.clone(),
                                unit.clone(),
                                attrs(p.attributes()),
                                p.value(),
                            ));
                        }
                    }
                    other => panic!("unexpected data for {name}: {other:?}"),
                }
            }
        }
    }
    let ids = "service=payments,slo=availability";
    let find_u = |n: &str, a: &str| {
        u64_points
            .iter()
            .find(|p| p.0 == n && p.2 == a)
            .map(|p| (p.1.clone(), p.3))
    };
    let find_f = |n: &str, a: &str| {
        f64_points
            .iter()
            .find(|p| p.0 == n && p.2 == a)
            .map(|p| (p.1.clone(), p.3))
    };
    assert_eq!(
        find_u("sloguard.slo.events", ids),
        Some(("{event}".to_owned(), 20))
    );
    assert_eq!(
        find_u("sloguard.slo.bad_events", ids),
        Some(("{event}".to_owned(), 2))
    );
    assert_eq!(
        find_f("sloguard.slo.objective", ids),
        Some(("1".to_owned(), 0.999))
    );
    let burn = find_f("sloguard.slo.burn_rate", &format!("{ids},window=5m")).expect("5m burn");
    assert!((burn.1 - 100.0).abs() < 1e-9);
    let budget = find_f(
        "sloguard.slo.error_budget_remaining",
        &format!("{ids},window=30d"),
    )
    .expect("budget");
    assert!((budget.1 - -99.0).abs() < 1e-9);
    // Attributes are compared sorted: `severity` sorts before `slo`.
    assert_eq!(
        find_u(
            "sloguard.slo.alert_firing",
            "service=payments,severity=page,slo=availability"
        )
        .map(|p| p.1),
        Some(0)
    );
}

fn attrs<'a>(kv: impl Iterator<Item = &'a opentelemetry::KeyValue>) -> String {
    let mut pairs: Vec<String> = kv.map(|kv| format!("{}={}", kv.key, kv.value)).collect();
    pairs.sort();
    pairs.join(",")
}

/// A layer built with `opentelemetry(&meter)` records each request into the conventions'
/// histograms too: an HTTP request into `http.server.request.duration`, a gRPC call into
/// `rpc.server.call.duration`, in seconds, with the dotted attribute names.
#[tokio::test]
async fn requests_are_recorded_into_the_conventions_histograms() {
    use tower::{Layer, Service, ServiceExt};

    let registry = Registry::builder("payments").build();
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    let meter = provider.meter("payments");
    let answer = |req: http::Request<http_body_util::Empty<bytes::Bytes>>| async move {
        let mut res = http::Response::new(http_body_util::Empty::<bytes::Bytes>::new());
        if req.uri().path().starts_with("/pay.") {
            res.headers_mut()
                .insert("grpc-status", http::HeaderValue::from_static("5"));
        }
        Ok::<_, std::convert::Infallible>(res)
    };
    let mut service = sloguard::SliLayer::new(&registry)
        .operation_fn(|r| Some(r.uri.path().to_owned().into()))
        .opentelemetry(&meter)
        .layer(tower::service_fn(answer));
    for request in [
        http::Request::get("/pay").body(http_body_util::Empty::new()),
        http::Request::post("/pay.Payments/Charge")
            .header("content-type", "application/grpc")
            .body(http_body_util::Empty::new()),
    ] {
        let res = service
            .ready()
            .await
            .expect("ready")
            .call(request.expect("request"))
            .await
            .expect("answered");
        http_body_util::BodyExt::collect(res.into_body())
            .await
            .expect("body");
    }
    provider.force_flush().expect("collects");

    let mut seen = Vec::new();
    for rm in &exporter.get_finished_metrics().expect("metrics") {
        for sm in rm.scope_metrics() {
            for metric in sm.metrics() {
                if let AggregatedMetrics::F64(MetricData::Histogram(h)) = metric.data() {
                    for p in h.data_points() {
                        seen.push((
                            metric.name().to_owned(),
                            metric.unit().to_owned(),
                            attrs(p.attributes()),
                            p.count(),
                            p.bounds().count(),
                        ));
                    }
                }
            }
        }
    }
    seen.sort();
    let point = |name: &str, attributes: &str| {
        (
            name.to_owned(),
            "s".to_owned(),
            attributes.to_owned(),
            1,
            14,
        )
    };
    assert_eq!(
        seen,
        [
            point(
                "http.server.request.duration",
                "http.request.method=GET,http.response.status_code=200,http.route=/pay"
            ),
            point(
                "rpc.server.call.duration",
                "rpc.method=pay.Payments/Charge,rpc.response.status_code=NOT_FOUND,rpc.system.name=grpc"
            ),
        ]
    );
}

/// With the `tracing-opentelemetry` feature, a `tracing` span exported through a
/// `tracing-opentelemetry` layer is a request's trace: its exemplar carries that span's
/// OpenTelemetry trace id.
#[test]
fn a_tracing_span_exported_to_opentelemetry_is_the_requests_trace() {
    use opentelemetry::trace::{TraceContextExt, TracerProvider};
    use tower::{Layer, Service, ServiceExt};
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    use tracing_subscriber::layer::SubscriberExt;

    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    let registry = Registry::builder("payments").build();
    registry
        .register(Slo::availability("availability").build().expect("valid"))
        .expect("ok");
    let answer = |_: http::Request<http_body_util::Empty<bytes::Bytes>>| async {
        let mut res = http::Response::new(http_body_util::Empty::<bytes::Bytes>::new());
        *res.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        Ok::<_, std::convert::Infallible>(res)
    };
    let mut service = sloguard::SliLayer::new(&registry)
        .operation("pay")
        .exemplars(sloguard::layer::Exemplars::opentelemetry())
        .layer(tower::service_fn(answer));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let expected = tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("request");
        let _entered = span.enter();
        runtime.block_on(async {
            let res = service
                .ready()
                .await
                .expect("ready")
                .call(http::Request::new(http_body_util::Empty::new()))
                .await
                .expect("answered");
            http_body_util::BodyExt::collect(res.into_body())
                .await
                .expect("body");
        });
        span.context().span().span_context().trace_id()
    });
    let snapshot = registry.snapshot();
    let exemplar = snapshot.slos[0]
        .bad_event_exemplar
        .expect("the bad request's exemplar");
    assert_eq!(exemplar.context.trace_id(), expected.to_bytes());
    assert_ne!(expected, opentelemetry::trace::TraceId::INVALID);
}
