//! The Alertmanager v2 sink: `POST /api/v2/alerts`, as Prometheus does it.
//!
//! A firing alert is sent with `startsAt` and an `endsAt` a few resend intervals ahead, and
//! re-sent every interval while it fires, so Alertmanager keeps it active and lets it lapse
//! on its own if this process dies. A resolved alert is sent once with `endsAt` now. Labels:
//! `alertname` (the same name the generated rules use), `service`, `slo`, `severity`,
//! `sloguard_tier`, plus any configured; annotations: `summary` (plain language),
//! `description` (the numbers) and `runbook_url`.

use sloguard_core::contract::recording;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};
use sloguard_core::alert::{AlertState, AlertTransition};
use sloguard_core::duration::format_duration;

use super::http::{rfc3339, rfc3339_at, Endpoint, HttpClient, Poster};
use super::queue::Deliver;
use super::summary::{budget_name, summary};
use super::SinkError;

/// Sends alerts to an Alertmanager. Hand it to [`Queued`](super::Queued) or use
/// [`alertmanager`](super::alertmanager).
pub struct Alertmanager {
    url: Endpoint,
    poster: Poster,
    resend: Duration,
    labels: BTreeMap<String, String>,
    firing: HashMap<(String, String), (Value, SystemTime)>,
    last_resend: Instant,
    failures: Arc<AtomicU64>,
}

impl Alertmanager {
    /// An Alertmanager at `base` (`http://host:9093`, or `https://` behind TLS); alerts
    /// re-sent every minute; through the [shared client](HttpClient::shared).
    pub fn new(base: &str) -> Result<Self, SinkError> {
        let url = Endpoint::parse(
            &format!("{}/api/v2/alerts", base.trim_end_matches('/')),
            "Alertmanager",
        )?;
        Ok(Alertmanager {
            url,
            poster: Poster::new(HttpClient::shared(), Duration::from_secs(10)),
            resend: Duration::from_secs(60),
            labels: BTreeMap::new(),
            firing: HashMap::new(),
            last_resend: Instant::now(),
            failures: Arc::default(),
        })
    }

    /// Posts through `client` (one that trusts a private CA, say) instead of the shared one.
    pub fn client(mut self, client: HttpClient) -> Self {
        self.poster = Poster::new(client, Duration::from_secs(10));
        self
    }

    /// How often firing alerts are re-sent (default 1 minute).
    pub fn resend_interval(mut self, every: Duration) -> Self {
        self.resend = every.max(Duration::from_millis(100));
        self
    }

    /// A label added to every alert (an `env` or `team`, say).
    pub fn label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(name.into(), value.into());
        self
    }

    fn alert(&self, t: &AlertTransition, starts: SystemTime, ends: SystemTime) -> Value {
        let mut labels = self.labels.clone();
        labels.insert("alertname".into(), t.alert_name.clone());
        labels.insert("service".into(), t.service.clone());
        labels.insert("slo".into(), t.slo.clone());
        labels.insert("severity".into(), t.severity.as_str().into());
        labels.insert(recording::label::TIER.into(), t.tier_id.clone());
        let burn = sloguard_core::words::burn;
        let mut annotations = BTreeMap::new();
        annotations.insert("summary".to_owned(), summary(t));
        let description = match &t.sla {
            Some(sla) => format!(
                "SLA {}% per {}: {} of {} events bad in the period from {} to {} so far; {:.1}% of what it allows is left.",
                sloguard_core::words::objective_percent(t.objective),
                sla.window,
                sla.bad_events,
                sla.events,
                rfc3339_at(sla.period_start),
                rfc3339_at(sla.period_end),
                t.budget_remaining * 100.0
            ),
            None => format!(
                "Burn rate {} over {} and {} over {} (threshold {}x); {:.1}% of {} left.",
                burn(t.long_burn_rate),
                format_duration(t.long_window),
                burn(t.short_burn_rate),
                format_duration(t.short_window),
                t.threshold,
                t.budget_remaining * 100.0,
                budget_name(t)
            ),
        };
        annotations.insert("description".to_owned(), description);
        if let Some(url) = &t.runbook_url {
            annotations.insert("runbook_url".to_owned(), url.clone());
        }
        json!({"labels": labels, "annotations": annotations, "startsAt": rfc3339(starts), "endsAt": rfc3339(ends)})
    }

    fn send(&mut self, alerts: Vec<Value>) {
        if alerts.is_empty() {
            return;
        }
        let body = Value::Array(alerts).to_string().into_bytes();
        let mut backoff = Duration::from_millis(200);
        for attempt in 1..=3 {
            match self.poster.post(&self.url, body.clone()) {
                Ok(_) => return,
                Err(e) if e.retryable && attempt < 3 => {
                    std::thread::sleep(backoff);
                    backoff *= 2;
                }
                Err(e) => {
                    // Firing alerts are re-sent at the next interval anyway, but until one
                    // gets through nobody is told: counted, so it shows as `sink_failing`.
                    self.failures.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        target: "sloguard",
                        "Alertmanager {} did not take the alerts: {}",
                        self.url,
                        e.message
                    );
                    return;
                }
            }
        }
    }
}

impl std::fmt::Debug for Alertmanager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alertmanager")
            .field("url", &self.url)
            .field("resend", &self.resend)
            .field("labels", &self.labels)
            .finish_non_exhaustive()
    }
}

impl Deliver for Alertmanager {
    fn target(&self) -> String {
        format!("Alertmanager {}", self.url)
    }

    fn failures(&self) -> Option<Arc<AtomicU64>> {
        Some(Arc::clone(&self.failures))
    }

    fn deliver(&mut self, t: &AlertTransition) {
        let key = (t.slo.clone(), t.tier_id.clone());
        let now = SystemTime::now();
        match t.state {
            AlertState::Firing => {
                let alert = self.alert(t, now, now + self.resend * 4);
                self.firing.insert(key, (alert.clone(), now));
                self.send(vec![alert]);
            }
            AlertState::Resolved => {
                let starts = self.firing.remove(&key).map_or(now, |(_, s)| s);
                let alert = self.alert(t, starts, now);
                self.send(vec![alert]);
            }
        }
    }

    fn idle(&mut self) {
        if self.last_resend.elapsed() < self.resend {
            return;
        }
        self.last_resend = Instant::now();
        let ends = rfc3339(SystemTime::now() + self.resend * 4);
        let alerts: Vec<Value> = self
            .firing
            .values()
            .map(|(alert, _)| {
                let mut alert = alert.clone();
                alert["endsAt"] = Value::String(ends.clone());
                alert
            })
            .collect();
        self.send(alerts);
    }

    fn idle_interval(&self) -> Duration {
        (self.resend / 4).clamp(Duration::from_millis(50), Duration::from_secs(1))
    }
}
