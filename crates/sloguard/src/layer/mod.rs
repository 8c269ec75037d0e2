//! The tower layer: every HTTP or gRPC request becomes an SLI event, with one line of code.
//!
//! ```
//! use sloguard::{Registry, layer::SliLayer, model::{Slo, Selector}};
//! use std::time::Duration;
//!
//! let registry = Registry::builder("payments").build();
//! registry.register(Slo::availability("availability").objective_percent(99.9).build().unwrap()).unwrap();
//! registry.register(
//!     Slo::latency("latency", Duration::from_millis(300))
//!         .objective_percent(99.0)
//!         .operations(Selector::routes(["/pay"]))
//!         .build()
//!         .unwrap(),
//! ).unwrap();
//! let layer = SliLayer::new(&registry);
//! // axum: Router::new().route("/pay", get(pay)).layer(layer)
//! // tonic: Server::builder().layer(SliLayer::grpc(&registry))
//! assert_eq!(layer.operation_count(), 0);
//! ```
//!
//! Each request is resolved to an operation (the route template, the gRPC method, or a
//! name from a function; never the raw path), judged by a tower-http classifier, and
//! recorded once when it finishes:
//!
//! | how the request ends | recorded as |
//! | --- | --- |
//! | the response body ends (or the head, with [`LatencyEnd::Head`]) | success or error, as classified (gRPC: from the trailers) |
//! | the inner service returns an error, or the body fails | error |
//! | the inner service panics (in `call` or while polled) | error, and the panic goes on |
//! | the response future or body is dropped before the end | cancelled (left out of SLIs unless an SLO counts it as bad) |
//!
//! Beside the SLOs, the layer keeps the OpenTelemetry HTTP server series:
//! `http_server_request_duration_seconds` (labels `http_request_method`, `http_route`,
//! `http_response_status_code`, which is empty when no response was produced) for every
//! finished request, cancelled ones included, and `http_server_active_requests` (label
//! `http_request_method`). A gRPC call (a request whose content type is `application/grpc`)
//! is in `rpc_server_call_duration_seconds` instead, as the OpenTelemetry RPC conventions
//! name it: labels `rpc_system_name="grpc"`, `rpc_method` (`package.Service/Method`, or
//! `_OTHER` for a method the service does not have) and `rpc_response_status_code`, the name
//! of its gRPC status code (`OK`, `NOT_FOUND`), over the same buckets.
//!
//! Per request the layer reads the clock twice and resolves the operation from a lock-free
//! table; it allocates nothing beyond what the inner service does.

mod body;
mod classify;
mod config;
mod exemplar;
mod finish;
mod future;
#[allow(clippy::module_inception)]
mod layer;
mod operation;
#[cfg(feature = "opentelemetry")]
mod otel;
mod rpc;
mod service;

pub use body::ResponseBody;
pub use classify::{grpc_classifier, DefaultClassifier, StatusClassifier, GRPC_NOT_SERVER_FAULTS};
pub use exemplar::Exemplars;
pub use future::ResponseFuture;
pub use layer::{LatencyEnd, SliLayer};
pub use operation::{
    RequestInfo, ACTIVE_REQUESTS, DEFAULT_MAX_OPERATIONS, MAX_OPERATION_NAME, OTHER,
    REQUEST_DURATION,
};
pub use service::SliService;

#[cfg(test)]
mod tests;
