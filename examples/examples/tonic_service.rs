//! A gRPC service (the standard health service from tonic-health, which needs no protoc) under
//! the layer's gRPC preset, with the exposition endpoints on the same port.
//!
//! Run: `cargo run -p sloguard-examples --example tonic_service`. gRPC clients (HTTP/2) call
//! `/grpc.health.v1.Health/Check`; `GET /metrics`, `/slo.json` and `/slo` answer over HTTP/1.
//! Operations are gRPC methods; failures are read from `grpc-status` (NotFound, for a service
//! the health checker does not know, is the client's doing and stays good).

use sloguard::layer::SliLayer;
use sloguard::model::Slo;
use sloguard::{expose, Registry};
use tonic::service::Routes;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::builder("health").build();
    registry.register(
        Slo::availability("availability")
            .objective_percent(99.9)
            .build()?,
    )?;
    let _sampler = registry.start_sampler();

    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("payments", tonic_health::ServingStatus::Serving)
        .await;

    let mut app = Routes::new(health)
        .into_axum_router()
        .layer(SliLayer::grpc(&registry));
    for (path, endpoint) in expose::endpoints(&registry) {
        app = app.route_service(path, endpoint);
    }
    let (app, _kept) = sloguard_examples::people_write(app, &registry)?;

    let addr = sloguard_examples::listen_addr();
    let listener = tokio::net::TcpListener::bind(addr).await?;
    sloguard_examples::announce(listener.local_addr()?);
    // axum serves HTTP/1 and HTTP/2 (h2c, as gRPC clients speak it) on one port.
    axum::serve(listener, app)
        .with_graceful_shutdown(sloguard_examples::shutdown_signal())
        .await?;
    Ok(())
}
