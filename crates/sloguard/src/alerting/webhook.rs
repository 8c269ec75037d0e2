//! The webhook sink: each transition as a JSON POST over HTTP or HTTPS, retried with
//! exponential backoff, in sloguard's own shape ([`payload`]), as a Slack-compatible message or
//! as a PagerDuty Events v2 event (see [`chat`](super::chat)).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sloguard_core::alert::AlertTransition;

use super::http::{Endpoint, HttpClient, Poster};
use super::payload::payload;
use super::queue::Deliver;
use super::SinkError;

/// What a webhook posts.
#[derive(Clone)]
enum Format {
    /// sloguard's own JSON ([`payload`]).
    Generic,
    /// A Slack-compatible incoming-webhook message.
    Slack,
    /// A PagerDuty Events v2 event for this routing key.
    PagerDuty(String),
}

/// PagerDuty's Events API v2 endpoint.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// Posts transitions to a URL. Build it with [`Webhook::new`], [`Webhook::slack`] or
/// [`Webhook::pagerduty`] and hand it to [`Queued`](super::Queued) (or use
/// [`webhook`](super::webhook), [`slack`](super::slack), [`pagerduty`](super::pagerduty)).
pub struct Webhook {
    url: Endpoint,
    poster: Poster,
    attempts: u32,
    first_backoff: Duration,
    failures: Arc<AtomicU64>,
    format: Format,
}

impl Webhook {
    /// A webhook to `url` (`http://` or `https://`): 4 attempts, 250 ms backoff doubling, 5 s
    /// timeout, through the [shared client](HttpClient::shared).
    pub fn new(url: &str) -> Result<Self, SinkError> {
        Ok(Webhook {
            url: Endpoint::parse(url, "webhook")?,
            poster: Poster::new(HttpClient::shared(), Duration::from_secs(5)),
            attempts: 4,
            first_backoff: Duration::from_millis(250),
            failures: Arc::default(),
            format: Format::Generic,
        })
    }

    /// A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat) at `url`.
    pub fn slack(url: &str) -> Result<Self, SinkError> {
        Ok(Webhook {
            format: Format::Slack,
            ..Webhook::new(url)?
        })
    }

    /// PagerDuty Events API v2 with this integration's routing key: a trigger per firing
    /// tier, a resolve when it clears, one dedup key per service, SLO and tier.
    pub fn pagerduty(routing_key: &str) -> Result<Self, SinkError> {
        if routing_key.trim().is_empty() {
            return Err(SinkError::EmptyRoutingKey);
        }
        Ok(Webhook {
            format: Format::PagerDuty(routing_key.trim().to_owned()),
            ..Webhook::new(PAGERDUTY_EVENTS_URL)?
        })
    }

    /// Posts to `url` instead (a PagerDuty region's endpoint, a proxy).
    pub fn url(mut self, url: &str) -> Result<Self, SinkError> {
        self.url = Endpoint::parse(url, "webhook")?;
        Ok(self)
    }

    /// Posts through `client` (one that trusts a private CA, say) instead of the shared one.
    pub fn client(mut self, client: HttpClient) -> Self {
        self.poster = Poster::new(client, Duration::from_secs(5));
        self
    }

    /// What is posted for `t`.
    fn body(&self, t: &AlertTransition) -> serde_json::Value {
        match &self.format {
            Format::Generic => payload(t),
            Format::Slack => super::chat::slack(t),
            Format::PagerDuty(key) => super::chat::pagerduty(t, key),
        }
    }

    /// How many times to try each notification, and the first wait between tries.
    pub fn retries(mut self, attempts: u32, first_backoff: Duration) -> Self {
        self.attempts = attempts.max(1);
        self.first_backoff = first_backoff;
        self
    }

    /// Notifications given up on after every attempt failed.
    pub fn failures(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.failures)
    }
}

impl Webhook {
    /// What it is called in diagnostics and logs: its kind and its endpoint's scheme and host,
    /// never the path, query or routing key, which may be secrets.
    fn shown(&self) -> String {
        let kind = match self.format {
            Format::Generic => "webhook",
            Format::Slack => "slack",
            Format::PagerDuty(_) => "pagerduty",
        };
        format!("{kind} {}", self.url)
    }
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Webhook").field(&self.shown()).finish()
    }
}

impl Deliver for Webhook {
    fn target(&self) -> String {
        self.shown()
    }

    fn failures(&self) -> Option<Arc<AtomicU64>> {
        Some(Arc::clone(&self.failures))
    }

    fn deliver(&mut self, t: &AlertTransition) {
        // People were told when it started; a restart is no news to them.
        if t.is_resumed() {
            return;
        }
        let body = self.body(t).to_string().into_bytes();
        let mut backoff = self.first_backoff;
        for attempt in 1..=self.attempts {
            match self.poster.post(&self.url, body.clone()) {
                Ok(_) => return,
                Err(e) if e.retryable && attempt < self.attempts => {
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
                Err(e) => {
                    self.failures.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        target: "sloguard",
                        "{} gave up on {} {} of {}: {}",
                        self.shown(),
                        t.tier_id,
                        t.state,
                        t.slo,
                        e.message
                    );
                    return;
                }
            }
        }
    }
}
