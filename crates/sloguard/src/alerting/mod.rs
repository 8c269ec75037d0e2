//! Proactive alerting: alert transitions delivered to people and systems, without ever
//! slowing the service.
//!
//! Sinks: [`webhook`] (sloguard's JSON), [`slack`] (Slack-compatible incoming webhooks),
//! [`pagerduty`] (Events API v2), [`alertmanager`], [`tracing()`] and [`callback`]. The HTTP
//! ones speak `http://` and `https://` through one [`HttpClient`](crate::client::HttpClient)
//! (one TLS configuration, one runtime thread) shared by every sink; give a sink
//! [`HttpClient::with_ca_file`](crate::client::HttpClient::with_ca_file) to trust a private CA.
//!
//! Every sink here sits behind a bounded queue with a thread of its own ([`Queued`]): the
//! evaluator only tries to enqueue, a full queue drops and counts, and a panicking sink is
//! caught. Each notification carries the numbers, a plain-language [`summary`] a support or
//! communications person can pass on, and the SLO's runbook URL.
//!
//! ```
//! use sloguard::{alerting, model::Slo, Registry};
//!
//! let hook = alerting::webhook("http://127.0.0.1:9/hooks/slo").unwrap();
//! let dropped = hook.stats();
//! let registry = Registry::builder("checkout")
//!     .alert_sink(alerting::tracing())
//!     .alert_sink(hook)
//!     .build();
//! registry.register(Slo::availability("availability").runbook_url("https://runbooks.example/checkout").build().unwrap()).unwrap();
//! assert_eq!(dropped.dropped.load(std::sync::atomic::Ordering::Relaxed), 0);
//! ```

mod alertmanager;
pub mod chat;
mod http;
mod payload;
mod queue;
mod summary;
mod tracing_sink;
mod webhook;

use crate::client::RequestError;

pub use alertmanager::Alertmanager;
pub use payload::payload;
pub use queue::{Callback, Deliver, QueueStats, Queued, DEFAULT_CAPACITY};
pub use summary::{default_alert_name, summary};
pub use tracing_sink::TracingSink;
pub use webhook::{Webhook, PAGERDUTY_EVENTS_URL};

/// Why a sink could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SinkError {
    /// Its URL cannot be used (see [`RequestError::InvalidUrl`]).
    Url(RequestError),
    /// The PagerDuty routing key is empty.
    EmptyRoutingKey,
}

impl From<RequestError> for SinkError {
    fn from(e: RequestError) -> Self {
        SinkError::Url(e)
    }
}

impl std::fmt::Display for SinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SinkError::Url(e) => e.fmt(f),
            SinkError::EmptyRoutingKey => f.write_str("the PagerDuty routing key is empty"),
        }
    }
}

impl std::error::Error for SinkError {}

/// A queued `tracing` sink.
pub fn tracing() -> Queued {
    Queued::new(TracingSink, DEFAULT_CAPACITY)
}

/// A queued webhook sink posting sloguard's JSON to `url` (`http://` or `https://`).
pub fn webhook(url: &str) -> Result<Queued, SinkError> {
    Ok(Queued::new(Webhook::new(url)?, DEFAULT_CAPACITY))
}

/// A queued Slack-compatible incoming-webhook sink posting to `url`.
pub fn slack(url: &str) -> Result<Queued, SinkError> {
    Ok(Queued::new(Webhook::slack(url)?, DEFAULT_CAPACITY))
}

/// A queued PagerDuty Events v2 sink for this integration's routing key.
pub fn pagerduty(routing_key: &str) -> Result<Queued, SinkError> {
    Ok(Queued::new(
        Webhook::pagerduty(routing_key)?,
        DEFAULT_CAPACITY,
    ))
}

/// A queued Alertmanager sink for the Alertmanager at `base` (`http://host:9093`).
pub fn alertmanager(base: &str) -> Result<Queued, SinkError> {
    Ok(Queued::new(Alertmanager::new(base)?, DEFAULT_CAPACITY))
}

/// A queued closure: for callbacks that may block (a chat API client, a pager library).
pub fn callback(f: impl FnMut(&sloguard_core::alert::AlertTransition) + Send + 'static) -> Queued {
    Queued::new(Callback(f), DEFAULT_CAPACITY)
}
