//! The pages and documents of a fleet, served as a service serves its own: `/slo`,
//! `/slo.json`, `/slo/charts.json`, `/slo/incidents.json`, `/status` and `/api/v2/*.json`, with
//! `/` showing `/slo`. `/metrics` is not served: the fleet's series are the replicas' own, and
//! a second copy scraped by the same engine would be read back as more events.
//!
//! ```
//! let registry = sloguard::Registry::builder("payments").build();
//! let paths: Vec<&str> = sloguard_cli::serve::http::routes(&registry).into_iter().map(|(p, _)| p).collect();
//! assert!(paths.contains(&"/status") && !paths.contains(&"/metrics"));
//! ```

use axum::Router;
use sloguard::expose::{self, Endpoint};
use sloguard::Registry;

/// The endpoints served, with their paths.
pub fn routes(registry: &Registry) -> Vec<(&'static str, Endpoint)> {
    expose::endpoints(registry)
        .into_iter()
        .filter(|(path, _)| *path != "/metrics")
        .collect()
}

/// The router of every endpoint.
pub fn router(registry: &Registry) -> Router {
    let mut router = Router::new().route_service("/", expose::slo_page(registry));
    for (path, endpoint) in routes(registry) {
        router = router.route_service(path, endpoint);
    }
    router
}
