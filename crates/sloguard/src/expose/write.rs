//! The write API: people open incidents, post updates, schedule and cancel maintenance.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `POST /api/v2/incidents` | `{"name", "status", "impact", "components", "message"}` | 201, the incident as `incidents.json` shows it |
//! | `POST /api/v2/incidents/{id}/updates` | `{"status", "message"}` | 201, the incident; `resolved` resolves it |
//! | `POST /api/v2/scheduled-maintenances` | `{"name", "scheduled_for", "scheduled_until", "components", "message"}` | 201, the maintenance as `scheduled-maintenances.json` shows it |
//! | `DELETE /api/v2/scheduled-maintenances/{id}` | none | 200, the maintenance, cancelled |
//!
//! Every request carries `Authorization: Bearer TOKEN`, the token read from
//! `SLOGUARD_WRITE_TOKEN` or from the file `SLOGUARD_WRITE_TOKEN_FILE` names
//! ([`WriteToken::from_env`]) and compared in constant time. Without it, or with another, the
//! answer is 401 and nothing changes. With neither variable set the write API is off: not
//! mounted, so 404. Reads stay public.
//!
//! A body is at most [`MAX_BODY`] bytes of JSON (413 past it); every field is checked before
//! anything changes, and a refusal is a 400 that names the field
//! (`{"error": "...", "field": "status"}`). Ids are those of the documents (`payments-3`) or
//! their number. A write is answered once it is kept: with a state file
//! ([`Registry::persist_to`](sloguard_core::Registry::persist_to)) it is on disk first, and
//! one that cannot be saved is undone and answered 500. Each accepted write is logged
//! (`tracing`, target `sloguard`).
//!
//! ```
//! use sloguard::{Registry, expose::{self, WriteToken}, model::Slo};
//!
//! let registry = Registry::builder("payments").build();
//! registry.register(Slo::availability("availability").build().unwrap()).unwrap();
//! let token = WriteToken::new("a-long-random-secret-for-on-call").unwrap();
//! let paths: Vec<&str> = expose::write_endpoints(&registry, &token).into_iter().map(|(p, _)| p).collect();
//! assert_eq!(paths[0], "/api/v2/incidents");
//! assert!(WriteToken::new("short").is_err());
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use serde_json::{json, Value};
use sloguard_core::clock::Timestamp;
use sloguard_core::incidents::{Impact, NewIncident, UpdateStatus, WriteError};
use sloguard_core::maintenance::NewMaintenance;
use sloguard_core::words::parse_rfc3339;
use sloguard_core::Registry;
use tower_service::Service;

use super::status::{self, StatusView};

/// The largest request body read.
pub const MAX_BODY: usize = 64 * 1024;
/// The shortest token accepted: a guessable token is no lock.
pub const MIN_TOKEN: usize = 16;
/// The variable holding the token.
pub const TOKEN_ENV: &str = "SLOGUARD_WRITE_TOKEN";
/// The variable naming a file that holds the token.
pub const TOKEN_FILE_ENV: &str = "SLOGUARD_WRITE_TOKEN_FILE";

/// The write API's bearer token. Its `Debug` never shows it.
#[derive(Clone)]
pub struct WriteToken(Arc<str>);

impl std::fmt::Debug for WriteToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteToken(..)")
    }
}

/// Why a token cannot be used.
#[derive(Debug)]
pub enum TokenError {
    /// Shorter than [`MIN_TOKEN`], or holding spaces or control characters.
    Weak(String),
    /// The token file could not be read.
    File(std::path::PathBuf, std::io::Error),
    /// Both variables are set: which one is meant is not clear.
    Both,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::Weak(why) => write!(f, "the write token {why}"),
            TokenError::File(path, e) => {
                write!(
                    f,
                    "cannot read the write token file {}: {e}",
                    path.display()
                )
            }
            TokenError::Both => write!(f, "both {TOKEN_ENV} and {TOKEN_FILE_ENV} are set; set one"),
        }
    }
}

impl std::error::Error for TokenError {}

impl WriteToken {
    /// A token, refused when shorter than [`MIN_TOKEN`] bytes or holding whitespace or
    /// control characters.
    pub fn new(token: impl Into<String>) -> Result<WriteToken, TokenError> {
        let token = token.into();
        if token.len() < MIN_TOKEN {
            return Err(TokenError::Weak(format!(
                "is {} bytes long; use at least {MIN_TOKEN} random ones",
                token.len()
            )));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TokenError::Weak(
                "holds whitespace or control characters".into(),
            ));
        }
        Ok(WriteToken(token.into()))
    }

    /// The token from `SLOGUARD_WRITE_TOKEN`, or from the file `SLOGUARD_WRITE_TOKEN_FILE`
    /// names (one trailing newline ignored); `None` when neither is set (the API is off).
    pub fn from_env() -> Result<Option<WriteToken>, TokenError> {
        let set = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        match (set(TOKEN_ENV), set(TOKEN_FILE_ENV)) {
            (None, None) => Ok(None),
            (Some(_), Some(_)) => Err(TokenError::Both),
            (Some(token), None) => WriteToken::new(token.to_string_lossy().into_owned()).map(Some),
            (None, Some(path)) => {
                let path = std::path::PathBuf::from(path);
                let text = std::fs::read_to_string(&path).map_err(|e| TokenError::File(path, e))?;
                let text = text.strip_suffix('\n').unwrap_or(&text);
                WriteToken::new(text.strip_suffix('\r').unwrap_or(text)).map(Some)
            }
        }
    }

    /// The token itself, for a client to send (never log it).
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// Whether an `Authorization` header value carries this token, compared in constant time.
    pub fn admits(&self, authorization: Option<&[u8]>) -> bool {
        use subtle::ConstantTimeEq;
        let Some(given) = authorization.and_then(|v| v.strip_prefix(b"Bearer ")) else {
            return false;
        };
        // Lengths differ only between tokens of another length: that much is not secret.
        given.ct_eq(self.0.as_bytes()).into()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    OpenIncident,
    PostUpdate,
    ScheduleMaintenance,
    CancelMaintenance,
}

/// One route of the write API as a tower service (see [`write_endpoints`]). Cheap to clone.
#[derive(Clone, Debug)]
pub struct WriteApi {
    registry: Registry,
    token: WriteToken,
    route: Route,
}

/// The write API's routes, with their paths in axum's syntax: mount each with
/// `router.route_service(path, api)`, only when a token is configured.
pub fn write_endpoints(registry: &Registry, token: &WriteToken) -> Vec<(&'static str, WriteApi)> {
    [
        ("/api/v2/incidents", Route::OpenIncident),
        ("/api/v2/incidents/{id}/updates", Route::PostUpdate),
        ("/api/v2/scheduled-maintenances", Route::ScheduleMaintenance),
        (
            "/api/v2/scheduled-maintenances/{id}",
            Route::CancelMaintenance,
        ),
    ]
    .into_iter()
    .map(|(path, route)| {
        (
            path,
            WriteApi {
                registry: registry.clone(),
                token: token.clone(),
                route,
            },
        )
    })
    .collect()
}

/// The write route serving `path`, if any, for routers that match paths themselves.
pub fn write_endpoint(registry: &Registry, token: &WriteToken, path: &str) -> Option<WriteApi> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let route = match segments.as_slice() {
        ["", "api", "v2", "incidents"] => Route::OpenIncident,
        ["", "api", "v2", "incidents", _, "updates"] => Route::PostUpdate,
        ["", "api", "v2", "scheduled-maintenances"] => Route::ScheduleMaintenance,
        ["", "api", "v2", "scheduled-maintenances", id] if !id.ends_with(".json") => {
            Route::CancelMaintenance
        }
        _ => return None,
    };
    Some(WriteApi {
        registry: registry.clone(),
        token: token.clone(),
        route,
    })
}

/// A JSON answer.
fn answer(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(
        serde_json::to_string_pretty(body).unwrap_or_default(),
    )));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// A refusal: `{"error": ..., "field": ...}`.
fn refusal(status: StatusCode, error: &str, field: Option<&str>) -> Response<Full<Bytes>> {
    answer(status, &json!({"error": error, "field": field}))
}

fn refused(e: &WriteError) -> Response<Full<Bytes>> {
    match e {
        WriteError::Invalid { field, .. } => {
            refusal(StatusCode::BAD_REQUEST, &e.to_string(), Some(field))
        }
        WriteError::NotFound { .. } => refusal(StatusCode::NOT_FOUND, &e.to_string(), None),
        WriteError::Conflict(_) => refusal(StatusCode::CONFLICT, &e.to_string(), None),
        WriteError::NotSaved(_) => {
            tracing::error!(target: "sloguard", "{e}");
            refusal(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string(), None)
        }
    }
}

/// A field of a JSON object, checked.
struct Fields<'a>(&'a serde_json::Map<String, Value>);

type Checked<T> = Result<T, WriteError>;

fn invalid(field: &'static str, reason: impl Into<String>) -> WriteError {
    WriteError::Invalid {
        field,
        reason: reason.into(),
    }
}

impl Fields<'_> {
    fn only(&self, known: &[&str]) -> Checked<()> {
        match self.0.keys().find(|k| !known.contains(&k.as_str())) {
            Some(unknown) => Err(WriteError::Invalid {
                field: "body",
                reason: format!(
                    "unknown field {unknown:?}; the fields are {}",
                    known.join(", ")
                ),
            }),
            None => Ok(()),
        }
    }

    fn text(&self, field: &'static str) -> Checked<String> {
        match self.0.get(field) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(invalid(field, "must be a string")),
            None => Err(invalid(field, "is required")),
        }
    }

    fn choice<T: Copy>(
        &self,
        field: &'static str,
        parse: fn(&str) -> Option<T>,
        names: &[&str],
        default: Option<T>,
    ) -> Checked<T> {
        match (self.0.get(field), default) {
            (None, Some(d)) => Ok(d),
            (Some(Value::String(s)), _) => parse(s)
                .ok_or_else(|| invalid(field, format!("{s:?} is not one of {}", names.join(", ")))),
            (Some(_), _) => Err(invalid(field, "must be a string")),
            (None, None) => Err(invalid(field, "is required")),
        }
    }

    fn components(&self) -> Checked<Vec<String>> {
        match self.0.get("components") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) if items.len() <= 100 => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(invalid(
                        "components",
                        "must be component ids or names (strings)",
                    )),
                })
                .collect(),
            Some(Value::Array(_)) => Err(invalid("components", "names more than 100")),
            Some(_) => Err(invalid("components", "must be a list")),
        }
    }

    fn time(&self, field: &'static str) -> Checked<Timestamp> {
        let text = self.text(field)?;
        parse_rfc3339(&text).ok_or_else(|| {
            invalid(
                field,
                format!("{text:?} is not an RFC 3339 time such as 2026-12-13T02:00:00Z"),
            )
        })
    }
}

fn statuses() -> Vec<&'static str> {
    UpdateStatus::ALL.iter().map(|s| s.as_str()).collect()
}

/// The maintenance window a JSON object describes, as `POST /api/v2/scheduled-maintenances`
/// takes it (how `sloguard replay --maintenance` reads its file too).
pub fn maintenance_from_json(
    body: &serde_json::Map<String, Value>,
) -> Result<NewMaintenance, WriteError> {
    let fields = Fields(body);
    fields.only(&[
        "name",
        "scheduled_for",
        "scheduled_until",
        "components",
        "message",
    ])?;
    Ok(NewMaintenance {
        name: fields.text("name")?,
        scheduled_for: fields.time("scheduled_for")?,
        scheduled_until: fields.time("scheduled_until")?,
        components: fields.components()?,
        message: fields.text("message")?,
    })
}

/// The incident a JSON object describes, as `POST /api/v2/incidents` takes it.
pub fn incident_from_json(
    body: &serde_json::Map<String, Value>,
) -> Result<NewIncident, WriteError> {
    let fields = Fields(body);
    fields.only(&["name", "status", "impact", "components", "message"])?;
    let names: Vec<&str> = Impact::ALL.iter().map(|i| i.as_str()).collect();
    Ok(NewIncident {
        name: fields.text("name")?,
        status: fields.choice(
            "status",
            UpdateStatus::parse,
            &statuses(),
            Some(UpdateStatus::Investigating),
        )?,
        impact: fields.choice("impact", Impact::parse, &names, None)?,
        components: fields.components()?,
        message: fields.text("message")?,
    })
}

impl WriteApi {
    /// The answer to `req`: authorized, bounded, checked, applied and kept, or refused.
    pub async fn handle<B>(&self, req: Request<B>) -> Response<Full<Bytes>>
    where
        B: http_body::Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let allowed = match self.route {
            Route::CancelMaintenance => Method::DELETE,
            _ => Method::POST,
        };
        if req.method() != allowed {
            let mut response = refusal(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("use {allowed}"),
                None,
            );
            if let Ok(v) = header::HeaderValue::from_str(allowed.as_str()) {
                response.headers_mut().insert(header::ALLOW, v);
            }
            return response;
        }
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        if !self.token.admits(authorization) {
            let mut response = refusal(
                StatusCode::UNAUTHORIZED,
                "a valid Authorization: Bearer token is required",
                None,
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
            return response;
        }
        let id = req
            .uri()
            .path()
            .trim_end_matches('/')
            .split('/')
            .nth(4)
            .unwrap_or_default()
            .to_owned();
        let body = if self.route == Route::CancelMaintenance {
            Value::Null
        } else {
            let bytes = match Limited::new(req.into_body(), MAX_BODY).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => {
                    return refusal(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        &format!("the body is larger than {MAX_BODY} bytes, or was cut off"),
                        Some("body"),
                    )
                }
            };
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => Value::Object(map),
                Ok(_) => {
                    return refusal(
                        StatusCode::BAD_REQUEST,
                        "body: must be a JSON object",
                        Some("body"),
                    )
                }
                Err(e) => {
                    return refusal(
                        StatusCode::BAD_REQUEST,
                        &format!("body: not JSON ({e})"),
                        Some("body"),
                    )
                }
            }
        };
        let empty = serde_json::Map::new();
        let fields = Fields(body.as_object().unwrap_or(&empty));
        match self.apply(&fields, &id) {
            Ok(done) => done,
            Err(e) => refused(&e),
        }
    }

    fn apply(&self, fields: &Fields<'_>, id: &str) -> Checked<Response<Full<Bytes>>> {
        let service = self.registry.service().to_owned();
        let view = || StatusView::of(&self.registry.snapshot(), self.registry.status_page());
        let incident_answer = |number: u64, status: StatusCode| {
            let view = view();
            let shown = view.incidents.iter().find(|i| i.number == number);
            let body = shown.map_or_else(
                || json!({"id": status::incident_id(&service, number)}),
                |i| status::json::incident_json(&view, i),
            );
            answer(status, &body)
        };
        match self.route {
            Route::OpenIncident => {
                let opened = self.registry.open_incident(incident_from_json(fields.0)?)?;
                tracing::info!(target: "sloguard", incident = %status::incident_id(&service, opened.id), "an incident was opened by a person");
                Ok(incident_answer(opened.id, StatusCode::CREATED))
            }
            Route::PostUpdate => {
                fields.only(&["status", "message"])?;
                let number = status::parse_incident_id(&service, id).ok_or_else(|| {
                    WriteError::NotFound {
                        what: "incident",
                        id: id.to_owned(),
                    }
                })?;
                let status = fields.choice("status", UpdateStatus::parse, &statuses(), None)?;
                let message = fields.text("message")?;
                self.registry.post_update(number, status, &message)?;
                tracing::info!(target: "sloguard", incident = %status::incident_id(&service, number), status = status.as_str(), "an incident update was posted");
                Ok(incident_answer(number, StatusCode::CREATED))
            }
            Route::ScheduleMaintenance => {
                let m = self
                    .registry
                    .schedule_maintenance(maintenance_from_json(fields.0)?)?;
                tracing::info!(target: "sloguard", maintenance = %status::maintenance_id(&service, m.id), "a maintenance was scheduled");
                let snapshot = self.registry.snapshot();
                let view = view();
                let shown = status::maintenance_view(&snapshot, &m);
                Ok(answer(
                    StatusCode::CREATED,
                    &status::json::maintenance_json(&view, &shown),
                ))
            }
            Route::CancelMaintenance => {
                let number = status::parse_maintenance_id(&service, id).ok_or_else(|| {
                    WriteError::NotFound {
                        what: "maintenance",
                        id: id.to_owned(),
                    }
                })?;
                let m = self.registry.cancel_maintenance(number)?;
                tracing::info!(target: "sloguard", maintenance = %status::maintenance_id(&service, m.id), "a maintenance was cancelled");
                let snapshot = self.registry.snapshot();
                let shown = status::maintenance_view(&snapshot, &m);
                Ok(answer(
                    StatusCode::OK,
                    &status::json::maintenance_json(&view(), &shown),
                ))
            }
        }
    }
}

impl<B> Service<Request<B>> for WriteApi
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let api = self.clone();
        Box::pin(async move { Ok(api.handle(req).await) })
    }
}
