//! Payloads for where people are: Slack-compatible incoming webhooks (Slack, Mattermost,
//! Rocket.Chat read the same `text` and `blocks`) and PagerDuty Events API v2 (a trigger per
//! firing tier and a resolve when it clears, with one dedup key per service, SLO and tier, so
//! PagerDuty keeps one incident per alert).
//!
//! ```
//! use sloguard::alerting::chat;
//! # use sloguard::alert::{AlertState, AlertTransition};
//! # use sloguard::clock::Timestamp;
//! # use sloguard::model::{Severity, Sli};
//! # use std::time::Duration;
//! # let t = AlertTransition {
//! #     service: "checkout".into(), slo: "availability".into(), alert_name: "AvailabilityBudgetBurn".into(), sli: Sli::Availability,
//! #     runbook_url: Some("https://runbooks.example/checkout".into()), tier_id: "page-1h".into(), severity: Severity::Page,
//! #     state: AlertState::Firing, at: Timestamp::EPOCH, firing_since: Timestamp::EPOCH,
//! #     threshold: 14.4, long_window: Duration::from_secs(3600), short_window: Duration::from_secs(300),
//! #     long_burn_rate: Some(21.0), short_burn_rate: Some(21.0), short_error_ratio: Some(0.021),
//! #     objective: 0.999, period: Duration::from_secs(30 * 86_400), budget_remaining: 0.8,
//! #     time_to_exhaustion: Some(Duration::from_secs(3 * 3600)), budget_window: None, sla: None,
//! # };
//! let event = chat::pagerduty(&t, "R0UTINGKEY");
//! assert_eq!(event["event_action"], "trigger");
//! assert_eq!(event["dedup_key"], "checkout/availability/page-1h");
//! assert_eq!(event["payload"]["severity"], "critical");
//! assert!(chat::slack(&t)["text"].as_str().unwrap().contains("2.1% of checkout requests are failing"));
//! ```

use serde_json::{json, Value};
use sloguard_core::alert::{AlertState, AlertTransition};
use sloguard_core::duration::format_duration;
use sloguard_core::model::Severity;

use super::http::rfc3339_at;
use super::summary::summary;

/// The one-line headline both payloads start with.
fn headline(t: &AlertTransition) -> String {
    let state = match t.state {
        AlertState::Firing => "FIRING",
        AlertState::Resolved => "RESOLVED",
    };
    format!(
        "[{state}] {} {} ({} {})",
        t.service,
        t.slo,
        t.severity.as_str(),
        t.tier_id
    )
}

/// Text for Slack's mrkdwn, shown as written: `&`, `<` and `>` escaped as Slack documents, so
/// a name cannot become a mention (`<!channel>`), a link or a user.
fn mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A URL inside Slack's `<url|label>`: the characters that would end it are percent-encoded.
fn mrkdwn_link(url: &str) -> String {
    url.replace('|', "%7C")
        .replace('>', "%3E")
        .replace('<', "%3C")
        .replace(' ', "%20")
}

/// A Slack-compatible incoming-webhook message: `text` (shown in notifications and by
/// clients without blocks) and `blocks` with the summary and the runbook link.
///
/// ```
/// # use sloguard::alert::{AlertState, AlertTransition};
/// # use sloguard::clock::Timestamp;
/// # use sloguard::model::{Severity, Sli};
/// # use std::time::Duration;
/// # let t = AlertTransition {
/// #     service: "checkout <!channel>".into(), slo: "a&b".into(), alert_name: "X".into(), sli: Sli::Availability,
/// #     runbook_url: Some("https://runbooks.example/a|b>".into()), tier_id: "page-1h".into(), severity: Severity::Page,
/// #     state: AlertState::Firing, at: Timestamp::EPOCH, firing_since: Timestamp::EPOCH,
/// #     threshold: 14.4, long_window: Duration::from_secs(3600), short_window: Duration::from_secs(300),
/// #     long_burn_rate: Some(21.0), short_burn_rate: Some(21.0), short_error_ratio: Some(0.021),
/// #     objective: 0.999, period: Duration::from_secs(30 * 86_400), budget_remaining: 0.8,
/// #     time_to_exhaustion: None, budget_window: None, sla: None,
/// # };
/// let message = sloguard::alerting::chat::slack(&t);
/// let text = message["text"].as_str().unwrap();
/// assert!(text.starts_with("[FIRING] checkout &lt;!channel&gt; a&amp;b (page page-1h)"), "{text}");
/// let detail = message["blocks"][0]["text"]["text"].as_str().unwrap();
/// assert!(!detail.contains("<!channel>") && detail.ends_with("<https://runbooks.example/a%7Cb%3E|Runbook>"));
/// ```
pub fn slack(t: &AlertTransition) -> Value {
    let (summary, headline) = (mrkdwn(&summary(t)), mrkdwn(&headline(t)));
    let mut detail = format!("*{headline}*\n{summary}");
    if let Some(url) = &t.runbook_url {
        detail.push_str(&format!("\n<{}|Runbook>", mrkdwn_link(url)));
    }
    json!({
        "text": format!("{headline}: {summary}"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": detail}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": format!(
                "{} burn over {} · {} of the error budget left · {}",
                sloguard_core::words::burn(t.long_burn_rate),
                format_duration(t.long_window),
                sloguard_core::words::percent(t.budget_remaining.max(0.0)),
                rfc3339_at(t.at)
            )}]}
        ],
    })
}

/// The PagerDuty dedup key of a transition: one per service, SLO and tier.
pub fn dedup_key(t: &AlertTransition) -> String {
    format!("{}/{}/{}", t.service, t.slo, t.tier_id)
}

/// A PagerDuty Events API v2 event: `trigger` for a firing tier, `resolve` when it clears.
pub fn pagerduty(t: &AlertTransition, routing_key: &str) -> Value {
    match t.state {
        AlertState::Resolved => json!({
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": dedup_key(t),
        }),
        AlertState::Firing => {
            // PagerDuty truncates summaries past 1024 characters; cut on a character boundary.
            let summary: String = summary(t).chars().take(1024).collect();
            let mut event = json!({
                "routing_key": routing_key,
                "event_action": "trigger",
                "dedup_key": dedup_key(t),
                "payload": {
                    "summary": summary,
                    "source": t.service,
                    "severity": match t.severity {
                        Severity::Page => "critical",
                        Severity::Ticket => "warning",
                    },
                    "timestamp": rfc3339_at(t.at),
                    "component": t.slo,
                    "group": t.service,
                    "class": t.alert_name,
                    "custom_details": super::payload::payload(t),
                },
            });
            if let Some(url) = &t.runbook_url {
                event["links"] = json!([{"href": url, "text": "Runbook"}]);
            }
            event
        }
    }
}
