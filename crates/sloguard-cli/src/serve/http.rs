//! The pages and documents of a fleet, served as a service serves its own: `/slo`,
//! `/slo.json`, `/slo/charts.json`, `/slo/incidents.json`, `/status`, `/status/incidents/{id}`
//! and `/api/v2/*.json`, with `/` showing `/slo`; and with a token in the environment, the
//! write API (`sloguard::expose::write`). `/metrics` is not served: the fleet's series are the
//! replicas' own, and a second copy scraped by the same engine would be read back as more
//! events.
//!
//! Writes are answered 503 until the history is rebuilt and the state file is kept: a write
//! acknowledged before then could not be saved at once.
//!
//! ```
//! let registry = sloguard::Registry::builder("payments").build();
//! let paths: Vec<&str> = sloguard_cli::serve::http::routes(&registry).into_iter().map(|(p, _)| p).collect();
//! assert!(paths.contains(&"/status") && !paths.contains(&"/metrics"));
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::response::IntoResponse;
use axum::Router;
use sloguard::expose::{self, Endpoint, WriteToken};
use sloguard::Registry;

/// The endpoints served, with their paths.
pub fn routes(registry: &Registry) -> Vec<(&'static str, Endpoint)> {
    expose::endpoints(registry)
        .into_iter()
        .filter(|(path, _)| *path != "/metrics")
        .collect()
}

/// The router of every endpoint, and of the write API when `token` is given; writes wait for
/// `ready`.
pub fn router(registry: &Registry, token: Option<&WriteToken>, ready: Arc<AtomicBool>) -> Router {
    let mut router = Router::new().route_service("/", expose::slo_page(registry));
    for (path, endpoint) in routes(registry) {
        router = router.route_service(path, endpoint);
    }
    for (path, api) in token.map_or_else(Vec::new, |t| expose::write_endpoints(registry, t)) {
        let ready = Arc::clone(&ready);
        let guarded = move |req: axum::extract::Request| {
            let (api, ready) = (api.clone(), ready.load(Ordering::Acquire));
            async move {
                if !ready {
                    return (
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        [(axum::http::header::RETRY_AFTER, "5")],
                        "{\"error\": \"sloguard serve is reading its history; writes are taken once it can keep them\", \"field\": null}",
                    )
                        .into_response();
                }
                api.handle::<Body>(req).await.map(Body::new)
            }
        };
        router = router.route(path, axum::routing::any(guarded));
    }
    router
}
