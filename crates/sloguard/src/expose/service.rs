//! The endpoints as tower services, to mount in any router.

use std::convert::Infallible;
use std::future::{ready, Ready};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use sloguard_core::Registry;
use tower_service::Service;

use super::text::Format;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Metrics,
    Json,
    Page,
    Incidents,
    Charts,
    Status,
    IncidentPage,
    Statuspage(&'static str),
}

/// One exposition endpoint (`/metrics`, `/slo.json` or `/slo`) as a tower service. Answers
/// `GET` and `HEAD`, `405` to anything else. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Endpoint {
    registry: Registry,
    kind: Kind,
}

/// The `/metrics` endpoint: Prometheus text, or OpenMetrics when the scraper asks for it.
pub fn metrics(registry: &Registry) -> Endpoint {
    Endpoint {
        registry: registry.clone(),
        kind: Kind::Metrics,
    }
}

/// The `/slo.json` endpoint.
pub fn slo_json(registry: &Registry) -> Endpoint {
    Endpoint {
        registry: registry.clone(),
        kind: Kind::Json,
    }
}

/// The `/slo` status page.
pub fn slo_page(registry: &Registry) -> Endpoint {
    Endpoint {
        registry: registry.clone(),
        kind: Kind::Page,
    }
}

/// The `/slo/incidents.json` document.
pub fn incidents_json(registry: &Registry) -> Endpoint {
    Endpoint {
        registry: registry.clone(),
        kind: Kind::Incidents,
    }
}

/// The `/slo/charts.json` document: the data the page's charts draw.
pub fn charts_json(registry: &Registry) -> Endpoint {
    Endpoint {
        registry: registry.clone(),
        kind: Kind::Charts,
    }
}

/// Every endpoint with the path it is served at (in axum's syntax): `/metrics`, `/slo.json`,
/// `/slo`, `/slo/incidents.json`, `/slo/charts.json`, the customer page `/status`, a page per
/// incident `/status/incidents/{id}`, and the Statuspage-shaped JSON of
/// [`status::json::DOCUMENTS`](super::status::json::DOCUMENTS). To mount them all:
/// `for (path, e) in expose::endpoints(&registry) { router = router.route_service(path, e) }`.
pub fn endpoints(registry: &Registry) -> Vec<(&'static str, Endpoint)> {
    [
        ("/metrics", Kind::Metrics),
        ("/slo.json", Kind::Json),
        ("/slo", Kind::Page),
        ("/slo/incidents.json", Kind::Incidents),
        ("/slo/charts.json", Kind::Charts),
        ("/status", Kind::Status),
        ("/status/incidents/{id}", Kind::IncidentPage),
    ]
    .into_iter()
    .chain(
        super::status::json::DOCUMENTS
            .iter()
            .map(|(document, path)| (*path, Kind::Statuspage(document))),
    )
    .map(|(path, kind)| {
        (
            path,
            Endpoint {
                registry: registry.clone(),
                kind,
            },
        )
    })
    .collect()
}

/// The endpoint served at `path`, if any (see [`endpoints`]), for routers that match paths
/// themselves.
pub fn endpoint(registry: &Registry, path: &str) -> Option<Endpoint> {
    let pattern = match path.strip_prefix("/status/incidents/") {
        Some(id) if !id.is_empty() && !id.contains('/') => "/status/incidents/{id}",
        _ => path,
    };
    endpoints(registry)
        .into_iter()
        .find(|(p, _)| *p == pattern)
        .map(|(_, e)| e)
}

impl Endpoint {
    /// The response to `req`, from its method, its `Accept` header and (for an incident's
    /// page) the id at the end of its path. Nothing else of the request is read: the
    /// Statuspage documents' page URL comes from the configuration
    /// ([`StatusPage::url`](sloguard_core::model::StatusPage#structfield.url)), never from a
    /// client's `Host` header.
    pub fn respond_to<B>(&self, req: &Request<B>) -> Response<Full<Bytes>> {
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        if self.kind == Kind::IncidentPage {
            let id = req.uri().path().rsplit('/').next().unwrap_or_default();
            return self.incident_page(req.method(), id);
        }
        self.respond(req.method(), accept)
    }

    /// The page of incident `id` (`payments-3` or `3`); 404 for an unknown one.
    fn incident_page(&self, method: &Method, id: &str) -> Response<Full<Bytes>> {
        if method != Method::GET && method != Method::HEAD {
            return plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "use GET or HEAD\n",
                Some("GET, HEAD"),
            );
        }
        let view =
            super::status::StatusView::of(&self.registry.snapshot(), self.registry.status_page());
        let number = super::status::parse_incident_id(self.registry.service(), id);
        match view.incidents.iter().find(|i| Some(i.number) == number) {
            Some(incident) => {
                let html = super::status::render_incident_page(&view, incident);
                page_response(method, "text/html; charset=utf-8", html)
            }
            None => plain(StatusCode::NOT_FOUND, "no such incident\n", None),
        }
    }

    /// The response to a request with this method and `Accept` header.
    pub fn respond(&self, method: &Method, accept: Option<&str>) -> Response<Full<Bytes>> {
        if method != Method::GET && method != Method::HEAD {
            return plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "use GET or HEAD\n",
                Some("GET, HEAD"),
            );
        }
        let snapshot = self.registry.snapshot();
        if matches!(self.kind, Kind::Metrics) && super::protobuf::wanted(accept) {
            let body = super::protobuf::render(&snapshot);
            return bytes_response(method, super::protobuf::CONTENT_TYPE, Bytes::from(body));
        }
        let (content_type, body) = match self.kind {
            Kind::Metrics => {
                let format = Format::from_accept(accept);
                (
                    format.content_type(),
                    super::text::render(&snapshot, format),
                )
            }
            Kind::Json => ("application/json", super::json::render(&snapshot)),
            Kind::Page => {
                let charts =
                    super::charts::ChartsDocument::from_registry(&self.registry, &snapshot);
                (
                    "text/html; charset=utf-8",
                    super::html::render(&snapshot, &charts),
                )
            }
            Kind::Incidents => ("application/json", super::incidents::render(&snapshot)),
            Kind::Charts => (
                "application/json",
                super::charts::render(&self.registry, &snapshot),
            ),
            Kind::Status => (
                "text/html; charset=utf-8",
                super::status::render_page(&super::status::StatusView::of(
                    &snapshot,
                    self.registry.status_page(),
                )),
            ),
            Kind::IncidentPage => return plain(StatusCode::NOT_FOUND, "no such incident\n", None),
            Kind::Statuspage(document) => {
                let view = super::status::StatusView::of(&snapshot, self.registry.status_page());
                (
                    "application/json",
                    super::status::statuspage_json(&view, document)
                        .map(|v| serde_json::to_string_pretty(&v).unwrap_or_default())
                        .unwrap_or_default(),
                )
            }
        };
        page_response(method, content_type, body)
    }
}

/// A `200` with `body` (empty for `HEAD`), never cached.
fn page_response(
    method: &Method,
    content_type: &'static str,
    body: String,
) -> Response<Full<Bytes>> {
    bytes_response(method, content_type, Bytes::from(body))
}

/// A `200` with `body` (empty for `HEAD`), never cached.
fn bytes_response(
    method: &Method,
    content_type: &'static str,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        body
    };
    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// A `404` for paths that are not an endpoint.
#[cfg(feature = "server")]
pub(crate) fn not_found() -> Response<Full<Bytes>> {
    plain(
        StatusCode::NOT_FOUND,
        "not found: try /metrics, /slo.json, /slo, /slo/incidents.json, /slo/charts.json, /status or /api/v2/summary.json\n",
        None,
    )
}

fn plain(
    status: StatusCode,
    text: &'static str,
    allow: Option<&'static str>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if let Some(allow) = allow {
        headers.insert(header::ALLOW, header::HeaderValue::from_static(allow));
    }
    response
}

impl<B> Service<Request<B>> for Endpoint {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        ready(Ok(self.respond_to(&req)))
    }
}
