//! `sloguard incident open|update|resolve` and `sloguard maintenance schedule|cancel`: the
//! write API (`sloguard::expose::write`) from an on-call terminal. The token comes from
//! `SLOGUARD_WRITE_TOKEN` or the file `SLOGUARD_WRITE_TOKEN_FILE` names, never from the
//! command line (where `ps` and shell history would show it).
//!
//! ```
//! use sloguard_cli::write::{Call, Writer};
//! use sloguard::expose::WriteToken;
//! use std::time::Duration;
//!
//! let token = WriteToken::new("a-long-random-secret-for-on-call").unwrap();
//! let writer = Writer::new("http://127.0.0.1:9/", &token, None, Duration::from_secs(2)).unwrap();
//! let call = Call::cancel_maintenance("payments-maintenance-2");
//! assert_eq!(call.path, "/api/v2/scheduled-maintenances/payments-maintenance-2");
//! let error = writer.send(&call).unwrap_err().to_string();
//! assert!(error.contains("cannot connect"), "{error}");
//! ```

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use sloguard::client::{HttpClient, Method};
use sloguard::expose::WriteToken;

/// The largest answer read.
const MAX_ANSWER: usize = 1024 * 1024;

/// One write: its method, path and body.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// `POST` or `DELETE`.
    pub method: Method,
    /// The path under the service's URL.
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

/// Path segments are ids a person typed: anything but letters, digits, `-` and `_` is
/// escaped, so an id cannot reach another path.
fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl Call {
    /// Opens an incident.
    pub fn open_incident(
        name: &str,
        status: &str,
        impact: &str,
        components: &[String],
        message: &str,
    ) -> Call {
        Call {
            method: Method::POST,
            path: "/api/v2/incidents".into(),
            body: Some(json!({
                "name": name, "status": status, "impact": impact,
                "components": components, "message": message,
            })),
        }
    }

    /// Posts an update to incident `id` (`resolved` resolves it).
    pub fn post_update(id: &str, status: &str, message: &str) -> Call {
        Call {
            method: Method::POST,
            path: format!("/api/v2/incidents/{}/updates", segment(id)),
            body: Some(json!({"status": status, "message": message})),
        }
    }

    /// Schedules a maintenance window.
    pub fn schedule_maintenance(
        name: &str,
        scheduled_for: &str,
        scheduled_until: &str,
        components: &[String],
        message: &str,
    ) -> Call {
        Call {
            method: Method::POST,
            path: "/api/v2/scheduled-maintenances".into(),
            body: Some(json!({
                "name": name, "scheduled_for": scheduled_for, "scheduled_until": scheduled_until,
                "components": components, "message": message,
            })),
        }
    }

    /// Cancels maintenance window `id`.
    pub fn cancel_maintenance(id: &str) -> Call {
        Call {
            method: Method::DELETE,
            path: format!("/api/v2/scheduled-maintenances/{}", segment(id)),
            body: None,
        }
    }
}

/// Why a write did not happen.
#[derive(Debug)]
pub enum WriteFailure {
    /// The CA file cannot be used, or the token cannot be sent.
    Setup(String),
    /// No answer.
    Request(sloguard::client::RequestError),
    /// The service refused it: its status and its reason.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The service's `error`, or the answer's text.
        reason: String,
    },
}

impl std::fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteFailure::Setup(why) => f.write_str(why),
            WriteFailure::Request(e) => e.fmt(f),
            WriteFailure::Refused { status: 401, reason } => write!(
                f,
                "refused (HTTP 401): {reason}; set SLOGUARD_WRITE_TOKEN (or SLOGUARD_WRITE_TOKEN_FILE) to the service's token"
            ),
            WriteFailure::Refused { status: 404, reason } => write!(
                f,
                "refused (HTTP 404): {reason}; is the write API on (a token set where the service runs) and the id right?"
            ),
            WriteFailure::Refused { status, reason } => {
                write!(f, "refused (HTTP {status}): {reason}")
            }
        }
    }
}

impl std::error::Error for WriteFailure {}

/// A client for one service's write API.
#[derive(Clone, Debug)]
pub struct Writer {
    base: String,
    client: HttpClient,
    timeout: Duration,
}

impl Writer {
    /// A writer to the service at `url` (`http://127.0.0.1:9300`), sending `token`.
    pub fn new(
        url: &str,
        token: &WriteToken,
        ca_file: Option<&Path>,
        timeout: Duration,
    ) -> Result<Writer, WriteFailure> {
        let client = match ca_file {
            Some(path) => {
                HttpClient::with_ca_file(path).map_err(|e| WriteFailure::Setup(e.to_string()))?
            }
            None => HttpClient::shared(),
        };
        let client = client
            .with_header("authorization", &format!("Bearer {}", token.secret()))
            .map_err(|e| WriteFailure::Setup(e.to_string()))?;
        Ok(Writer {
            base: url.trim_end_matches('/').to_owned(),
            client,
            timeout,
        })
    }

    /// Sends `call`; the service's answer (the incident or the maintenance) on success.
    pub fn send(&self, call: &Call) -> Result<Value, WriteFailure> {
        let body = call
            .body
            .as_ref()
            .map(|b| ("application/json", b.to_string().into_bytes()));
        let url = format!("{}{}", self.base, call.path);
        let response = self
            .client
            .send(call.method.clone(), &url, body, self.timeout, MAX_ANSWER)
            .map_err(WriteFailure::Request)?;
        let answer: Value = serde_json::from_slice(&response.body).unwrap_or_else(|_| {
            Value::String(String::from_utf8_lossy(&response.body).trim().to_owned())
        });
        if !response.status.is_success() {
            let reason = answer
                .get("error")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| answer.as_str().unwrap_or_default().to_owned());
            return Err(WriteFailure::Refused {
                status: response.status.as_u16(),
                reason,
            });
        }
        Ok(answer)
    }
}

/// One line for a person: the id, the status and the name of what was written.
pub fn summary(answer: &Value) -> String {
    let text = |k: &str| answer.get(k).and_then(Value::as_str).unwrap_or("?");
    let mut line = format!("{} {}: {}", text("id"), text("status"), text("name"));
    if let (Some(from), Some(until)) = (
        answer.get("scheduled_for").and_then(Value::as_str),
        answer.get("scheduled_until").and_then(Value::as_str),
    ) {
        line.push_str(&format!(" ({from} to {until})"));
    }
    line
}

/// Where the write goes and how long it may take.
#[derive(clap::Args, Debug)]
pub struct Target {
    /// The service's base URL, e.g. http://127.0.0.1:9300 (a `sloguard serve` or a service
    /// that serves /status).
    #[arg(long)]
    pub url: String,
    /// Seconds to wait for an answer.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// A PEM file of CA certificates to trust besides the public roots.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<std::path::PathBuf>,
}

/// `sloguard incident ...`.
#[derive(clap::Subcommand, Debug)]
pub enum IncidentCommand {
    /// Open an incident on the status page.
    Open {
        /// Where the write goes.
        #[command(flatten)]
        target: Target,
        /// Its title for customers.
        #[arg(long)]
        name: String,
        /// none, minor, major or critical.
        #[arg(long)]
        impact: String,
        /// investigating, identified, monitoring or resolved.
        #[arg(long, default_value = "investigating")]
        status: String,
        /// A component it touches, by id or name (repeatable; none: every component).
        #[arg(long = "component")]
        components: Vec<String>,
        /// What customers are told.
        #[arg(long)]
        message: String,
    },
    /// Post an update to an incident (one the engine opened included).
    Update {
        /// Where the write goes.
        #[command(flatten)]
        target: Target,
        /// The incident's id, e.g. payments-3.
        id: String,
        /// investigating, identified, monitoring or resolved.
        #[arg(long)]
        status: String,
        /// What customers are told.
        #[arg(long)]
        message: String,
    },
    /// Resolve an incident.
    Resolve {
        /// Where the write goes.
        #[command(flatten)]
        target: Target,
        /// The incident's id, e.g. payments-3.
        id: String,
        /// What customers are told.
        #[arg(long, default_value = "This incident has been resolved.")]
        message: String,
    },
}

/// `sloguard maintenance ...`.
#[derive(clap::Subcommand, Debug)]
pub enum MaintenanceCommand {
    /// Announce a maintenance window: its SLOs' events are left out and their alerts held
    /// while it runs.
    Schedule {
        /// Where the write goes.
        #[command(flatten)]
        target: Target,
        /// Its title for customers.
        #[arg(long)]
        name: String,
        /// When it starts (RFC 3339, e.g. 2026-12-13T02:00:00Z).
        #[arg(long)]
        scheduled_for: String,
        /// When it ends (RFC 3339).
        #[arg(long)]
        scheduled_until: String,
        /// A component it covers, by id or name (repeatable; none: every component).
        #[arg(long = "component")]
        components: Vec<String>,
        /// What customers are told.
        #[arg(long)]
        message: String,
    },
    /// Cancel a maintenance window (one in progress ends now).
    Cancel {
        /// Where the write goes.
        #[command(flatten)]
        target: Target,
        /// The window's id, e.g. payments-maintenance-2.
        id: String,
    },
}

/// Sends a command's write and prints one line; the error says what to do.
pub fn run_incident(command: IncidentCommand) -> Result<String, WriteFailure> {
    let (target, call) = match command {
        IncidentCommand::Open {
            target,
            name,
            impact,
            status,
            components,
            message,
        } => (
            target,
            Call::open_incident(&name, &status, &impact, &components, &message),
        ),
        IncidentCommand::Update {
            target,
            id,
            status,
            message,
        } => (target, Call::post_update(&id, &status, &message)),
        IncidentCommand::Resolve {
            target,
            id,
            message,
        } => (target, Call::post_update(&id, "resolved", &message)),
    };
    send(&target, &call)
}

/// [`run_incident`] for `sloguard maintenance`.
pub fn run_maintenance(command: MaintenanceCommand) -> Result<String, WriteFailure> {
    let (target, call) = match command {
        MaintenanceCommand::Schedule {
            target,
            name,
            scheduled_for,
            scheduled_until,
            components,
            message,
        } => (
            target,
            Call::schedule_maintenance(
                &name,
                &scheduled_for,
                &scheduled_until,
                &components,
                &message,
            ),
        ),
        MaintenanceCommand::Cancel { target, id } => (target, Call::cancel_maintenance(&id)),
    };
    send(&target, &call)
}

fn send(target: &Target, call: &Call) -> Result<String, WriteFailure> {
    let token = WriteToken::from_env()
        .map_err(|e| WriteFailure::Setup(e.to_string()))?
        .ok_or_else(|| {
            WriteFailure::Setup(
                "no write token: set SLOGUARD_WRITE_TOKEN, or SLOGUARD_WRITE_TOKEN_FILE to a file holding it".into(),
            )
        })?;
    let writer = Writer::new(
        &target.url,
        &token,
        target.ca_file.as_deref(),
        Duration::from_secs(target.timeout.max(1)),
    )?;
    writer.send(call).map(|answer| summary(&answer))
}
