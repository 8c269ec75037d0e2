//! The JSON a generic webhook receives, which PagerDuty events carry as their details too.

use serde_json::json;
use sloguard_core::alert::AlertTransition;
use sloguard_core::duration::format_duration;

use super::http::rfc3339_at;
use super::summary::summary;

/// The JSON a webhook receives.
pub fn payload(t: &AlertTransition) -> serde_json::Value {
    json!({
        "service": t.service,
        "slo": t.slo,
        "tier": t.tier_id,
        "severity": t.severity.as_str(),
        "state": t.state.as_str(),
        "at": rfc3339_at(t.at),
        "firing_since": rfc3339_at(t.firing_since),
        "summary": summary(t),
        "runbook_url": t.runbook_url,
        "objective": t.objective,
        "period": format_duration(t.period),
        "burn_rate": {
            "threshold": t.threshold,
            "long_window": format_duration(t.long_window),
            "long": t.long_burn_rate,
            "short_window": format_duration(t.short_window),
            "short": t.short_burn_rate,
        },
        "error_ratio": t.short_error_ratio,
        "budget_remaining": t.budget_remaining,
        // The window label the exposition gives the same budget: `month`, or `30d`.
        "budget_window": t.budget_window.map_or_else(|| format_duration(t.period), str::to_owned),
        "time_to_exhaustion_seconds": t.time_to_exhaustion.map(|d| d.as_secs_f64()),
        "sla": t.sla.as_ref().map(|sla| json!({
            "window": sla.window,
            "status": sla.status.as_str(),
            "period_start": rfc3339_at(sla.period_start),
            "period_end": rfc3339_at(sla.period_end),
            "events": sla.events,
            "bad_events": sla.bad_events,
        })),
    })
}
