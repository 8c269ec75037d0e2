//! Exposition: the SLOs where their users already look.
//!
//! - [`text`]: Prometheus text 0.0.4 and OpenMetrics 1.0, chosen by the `Accept` header.
//! - [`json`]: the `/slo.json` document (objective, period, events, SLI, budget, burn rate per
//!   window, alert state per tier, time to exhaustion).
//! - [`html`]: the `/slo` status page, with [`charts`] drawn from the engine's rings and the
//!   incident history.
//! - [`incidents`]: the `/slo/incidents.json` document; [`charts`]: `/slo/charts.json`.
//! - [`status`]: the customer status page `/status`, a page per incident
//!   (`/status/incidents/ID`) and the Statuspage-shaped JSON (`/api/v2/summary.json`,
//!   `status.json`, `components.json`, `incidents.json`, `incidents/unresolved.json`,
//!   `scheduled-maintenances.json`, `scheduled-maintenances/upcoming.json`, `active.json`).
//! - [`write`](mod@write): the write API people use to open incidents, post updates and schedule
//!   maintenance, behind a bearer token ([`write_endpoints`]).
//! - [`metrics()`], [`slo_json`], [`slo_page`]: each as a tower service for any router.
//! - `serve` (feature `server`): all three on a listener of their own, 127.0.0.1:9464 by
//!   default, for workers without an HTTP server.
//!
//! ```
//! use sloguard::{Outcome, Registry, expose, model::Slo};
//! use std::time::Duration;
//!
//! let registry = Registry::builder("payments").build();
//! let slo = registry.register(Slo::availability("availability").build().unwrap()).unwrap();
//! slo.record(Outcome::Error, Duration::from_millis(4));
//! let text = expose::text::render(&registry.snapshot(), expose::text::Format::Prometheus);
//! assert!(text.contains("sloguard_slo_bad_events_total{service=\"payments\",slo=\"availability\"} 1\n"));
//! // With axum:
//! // Router::new()
//! //     .route_service("/metrics", expose::metrics(&registry))
//! //     .route_service("/slo.json", expose::slo_json(&registry))
//! //     .route_service("/slo", expose::slo_page(&registry))
//! ```

pub mod charts;
pub mod html;
pub mod incidents;
pub mod json;
pub mod protobuf;
#[cfg(feature = "server")]
mod server;
mod service;
pub mod status;
pub mod text;
pub mod write;

#[cfg(feature = "server")]
pub use server::{
    serve, serve_on, ExpositionServer, ACCEPT_BACKOFF, CONNECTION_LIFETIME, DEFAULT_ADDR,
    HEADER_TIMEOUT, MAX_CONNECTIONS,
};
pub use service::{
    charts_json, endpoint, endpoints, incidents_json, metrics, slo_json, slo_page, Endpoint,
};
pub use write::{write_endpoint, write_endpoints, TokenError, WriteApi, WriteToken};

#[cfg(test)]
mod golden;
