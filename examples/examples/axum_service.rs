//! The "payments" service: an axum app with an availability and a latency SLO.
//!
//! Run: `cargo run -p sloguard-examples --example axum_service`, then open
//! `http://127.0.0.1:3000/slo`. Routes:
//!
//! - `GET /pay` and `GET /refund`: `?status=CODE` answers with that status, `?delay_ms=N`
//!   answers after N ms, and `?body_ms=N` streams the body in ten chunks over N ms.
//! - `GET /metrics`, `GET /slo.json`, `GET /slo`: exposition, not counted in the SLOs.
//!
//! SLOs of service `payments`: `availability` (every route, 99.9%) and `latency` (`/pay`
//! within 300 ms, 99%). Alert notifications go to the sinks that `SLOGUARD_WEBHOOK_URL`,
//! `SLOGUARD_SLACK_WEBHOOK_URL` and `SLOGUARD_PAGERDUTY_ROUTING_KEY` name, when set.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use serde::Deserialize;
use sloguard::layer::Exemplars;
use sloguard::model::{Selector, Slo};
use sloguard::{expose, Registry, SliLayer};

/// How a request asks to be answered.
#[derive(Debug, Default, Deserialize)]
struct Behaviour {
    status: Option<u16>,
    delay_ms: Option<u64>,
    body_ms: Option<u64>,
}

/// The longest a request may ask to wait or stream, so one request cannot hold the service.
const MAX_MS: u64 = 60_000;

async fn answer(what: &'static str, Query(b): Query<Behaviour>) -> Response {
    let delay = Duration::from_millis(b.delay_ms.unwrap_or(0).min(MAX_MS));
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let status = b
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let body = match b.body_ms {
        Some(ms) => {
            let step = Duration::from_millis(ms.min(MAX_MS) / 10);
            Body::from_stream(futures_util::stream::unfold(0u32, move |i| async move {
                if i == 10 {
                    return None;
                }
                tokio::time::sleep(step).await;
                Some((
                    Ok::<_, Infallible>(Bytes::from(format!("{what} chunk {i}\n"))),
                    i + 1,
                ))
            }))
        }
        None => Body::from(format!("{what}: {}\n", status.as_u16())),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
}

fn payments_registry() -> Result<Registry, Box<dyn std::error::Error>> {
    // Notifications go wherever SLOGUARD_WEBHOOK_URL, SLOGUARD_SLACK_WEBHOOK_URL and
    // SLOGUARD_PAGERDUTY_ROUTING_KEY say, when they are set.
    let registry = sloguard_examples::notify_from_env(Registry::builder("payments"))?.build();
    registry.register(
        Slo::availability("availability")
            .objective_percent(99.9)
            .description("Payment and refund requests succeed.")
            .build()?,
    )?;
    registry.register(
        Slo::latency("latency", Duration::from_millis(300))
            .objective_percent(99.0)
            .operations(Selector::routes(["/pay"]))
            .description("Payments are answered within 300 ms.")
            .build()?,
    )?;
    Ok(registry)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = payments_registry()?;
    let _sampler = registry.start_sampler();

    let mut app = Router::new()
        .route("/pay", get(|q| answer("pay", q)))
        .route("/refund", get(|q| answer("refund", q)))
        // The one line: every request to the routes above becomes an SLI event. Here it also
        // keeps the trace of a request sent with a W3C `traceparent` header as an exemplar (in
        // OpenMetrics and protobuf scrapes), and fine request series for native histograms.
        .layer(
            SliLayer::new(&registry)
                .exemplars(Exemplars::traceparent())
                .native_histograms(),
        );
    // Added after the layer, so scrapes are not counted as payments: /metrics, /slo.json,
    // /slo, /slo/incidents.json, /slo/charts.json.
    for (path, endpoint) in expose::endpoints(&registry) {
        app = app.route_service(path, endpoint);
    }
    // People write on /status when SLOGUARD_WRITE_TOKEN (or _FILE) is set.
    let (app, _kept) = sloguard_examples::people_write(app, &registry)?;

    let addr = sloguard_examples::listen_addr();
    let listener = tokio::net::TcpListener::bind(addr).await?;
    sloguard_examples::announce(listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(sloguard_examples::shutdown_signal())
        .await?;
    Ok(())
}
