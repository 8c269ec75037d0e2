//! The `/slo.json` document: every SLO's numbers in one stable JSON shape.
//!
//! The same types deserialize, so tools (`sloguard check`, tests, dashboards) read the
//! document with the definitions that wrote it. Windows keep their natural order (`5m` first)
//! and a window without events is `null`.

use std::fmt;
use std::time::Duration;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sloguard_core::duration::format_duration;
use sloguard_core::model::{Severity, Sli};
use sloguard_core::snapshot::{SloSnapshot, Snapshot};

/// The whole document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloDocument {
    /// The service.
    pub service: String,
    /// When the numbers were read, Unix seconds.
    pub taken_at: f64,
    /// Every SLO, in registration order.
    pub slos: Vec<SloJson>,
    /// Problems the engine detected: it is not seeing everything it should (see
    /// `sloguard_core::diagnostic`). Empty when all is well.
    #[serde(default)]
    pub diagnostics: Vec<DiagnosticJson>,
    /// Maintenance windows kept (cancelled ones included), oldest first: during one, its
    /// SLOs' events are left out and their alerts held.
    #[serde(default)]
    pub maintenances: Vec<MaintenanceJson>,
}

/// One maintenance window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceJson {
    /// Its number.
    pub id: u64,
    /// Its title.
    pub name: String,
    /// `scheduled`, `in_progress`, `completed` or `cancelled`.
    pub status: String,
    /// When it starts, RFC 3339.
    pub scheduled_for: String,
    /// When it ends (at its cancellation if that was earlier), RFC 3339.
    pub ends_at: String,
    /// The SLOs it covers.
    pub slos: Vec<String>,
    /// Whole minutes it has left out so far (from its start, or its scheduling if later).
    pub excluded_minutes: u64,
}

/// One diagnostic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnosticJson {
    /// A stable code, e.g. `selector_matches_nothing`.
    pub code: String,
    /// The SLO it concerns, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// One SLO.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloJson {
    /// The SLO's name.
    pub name: String,
    /// `ok`, `ticket`, `page`, or `no_data` (nothing to judge in the longest alerting
    /// window): never `ok` while the engine cannot see.
    pub status: String,
    /// Why the status is `no_data`: `not_evaluated_yet`, `no_events` or `source_blind` (a
    /// fleet's metrics engine cannot be read or has no series for it); `null` otherwise.
    #[serde(default)]
    pub no_data_reason: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// `availability` or `latency`.
    pub sli: String,
    /// For latency SLOs: the slowest good latency, seconds.
    pub latency_threshold_seconds: Option<f64>,
    /// The objective as a ratio, e.g. 0.999.
    pub objective: f64,
    /// The objective as a percentage, e.g. 99.9.
    pub objective_percent: f64,
    /// The period, e.g. `30d`.
    pub period: String,
    /// The period in seconds.
    pub period_seconds: f64,
    /// How much of the period the figures cover, in seconds: less than the period while the
    /// history (since start or since the restored state) is younger than it.
    pub period_covered_seconds: f64,
    /// Events judged since start.
    pub events: u64,
    /// Bad events since start.
    pub bad_events: u64,
    /// Cancelled events left out of the SLI since start.
    pub cancelled_events: u64,
    /// Events within the period.
    pub period_events: u64,
    /// Bad events within the period.
    pub period_bad_events: u64,
    /// Good share within the period; `null` without events.
    pub sli_ratio: Option<f64>,
    /// Budget remaining over the period (1 = untouched, below 0 = overspent).
    pub budget_remaining: f64,
    /// Burn rate per window, `null` for a window without events.
    pub burn_rate: Windows,
    /// Whether any tier of each severity fires.
    pub alerts: AlertFlags,
    /// Every tier of the policy.
    pub tiers: Vec<TierJson>,
    /// Seconds until the budget is spent at the 1h burn rate; `null` while nothing burns.
    pub time_to_exhaustion_seconds: Option<f64>,
    /// When the evaluator last ran, Unix seconds; `null` before it first ran.
    pub evaluated_at: Option<f64>,
    /// Calendar compliance windows (week, month, quarter) beside the rolling period, each with
    /// its own budget and past periods, and the SLA where one is judged.
    #[serde(default)]
    pub compliance: Vec<ComplianceJson>,
    /// Whether a maintenance window leaves its events out and holds its alerts now.
    #[serde(default)]
    pub under_maintenance: bool,
    /// `exclude` (events in maintenance windows are left out) or `count`.
    #[serde(default = "exclude")]
    pub maintenance: String,
    /// Events left out by maintenance windows since start (not in `events`' budget figures).
    #[serde(default)]
    pub maintenance_excluded_events: u64,
    /// Bad events among them.
    #[serde(default)]
    pub maintenance_excluded_bad_events: u64,
}

fn exclude() -> String {
    "exclude".to_owned()
}

/// One calendar compliance window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplianceJson {
    /// `week`, `month` or `quarter`.
    pub window: String,
    /// The time zone periods are cut in (`UTC`, `Europe/Paris`).
    pub zone: String,
    /// The current period's first instant, Unix seconds.
    pub start: f64,
    /// The next period's first instant, Unix seconds.
    pub end: f64,
    /// Events so far in the current period.
    pub events: u64,
    /// Bad events so far.
    pub bad_events: u64,
    /// Good share so far; `null` without events.
    pub sli_ratio: Option<f64>,
    /// Budget left of the current period (1 at its start; below 0 when overspent).
    pub budget_remaining: f64,
    /// Seconds until the budget runs out at the current pace, if before the period ends.
    pub time_to_exhaustion_seconds: Option<f64>,
    /// The SLA's state for the current period, when the SLA is judged on this window.
    pub sla: Option<SlaJson>,
    /// Whether alert notifications quote this window's budget (the SLO's alerting window);
    /// otherwise they quote the rolling period's.
    #[serde(default)]
    pub alerting: bool,
    /// Past periods, newest first.
    pub past: Vec<PastPeriodJson>,
}

/// The SLA on a compliance window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaJson {
    /// The SLA objective as a ratio.
    pub objective: f64,
    /// `met`, `at_risk`, `breached` or `no_data`.
    pub status: String,
}

/// A finished calendar period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PastPeriodJson {
    /// Its first instant, Unix seconds.
    pub start: f64,
    /// The next period's first instant, Unix seconds.
    pub end: f64,
    /// Events judged in it.
    pub events: u64,
    /// Bad events in it.
    pub bad_events: u64,
    /// Achieved good share; `null` without events.
    pub sli_ratio: Option<f64>,
    /// The SLA's outcome (`met`, `breached`, `no_data`), when the SLA is judged here.
    pub sla: Option<String>,
}

impl ComplianceJson {
    /// The JSON of one compliance window of a snapshot.
    pub fn from_window(w: &sloguard_core::compliance::ComplianceWindow) -> Self {
        let sla_past = w.sla.as_ref().map(|s| &s.past);
        ComplianceJson {
            window: w.name.to_owned(),
            zone: w.zone.clone(),
            start: w.start.as_unix_secs_f64(),
            end: w.end.as_unix_secs_f64(),
            events: w.events,
            bad_events: w.bad_events,
            sli_ratio: w.sli(),
            budget_remaining: w.budget_remaining,
            time_to_exhaustion_seconds: w.time_to_exhaustion.map(|d| d.as_secs_f64()),
            sla: w.sla.as_ref().map(|s| SlaJson {
                objective: s.objective,
                status: s.status.as_str().to_owned(),
            }),
            alerting: false,
            past: w
                .past
                .iter()
                .enumerate()
                .map(|(i, p)| PastPeriodJson {
                    start: p.start.as_unix_secs_f64(),
                    end: p.end.as_unix_secs_f64(),
                    events: p.events,
                    bad_events: p.bad_events,
                    sli_ratio: p.sli(),
                    sla: sla_past
                        .and_then(|past| past.get(i))
                        .map(|s| s.as_str().to_owned()),
                })
                .collect(),
        }
    }
}

/// Firing state per severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertFlags {
    /// A page tier fires.
    pub page: bool,
    /// A ticket tier fires.
    pub ticket: bool,
}

/// One alert tier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierJson {
    /// Stable id, e.g. `page-1h`.
    pub id: String,
    /// `page` or `ticket`.
    pub severity: String,
    /// The burn-rate threshold.
    pub burn_rate_threshold: f64,
    /// The long window, e.g. `1h`.
    pub long_window: String,
    /// The short window, e.g. `5m`.
    pub short_window: String,
    /// Disabled tiers never fire.
    pub enabled: bool,
    /// Whether it fires.
    pub firing: bool,
    /// When it last changed state, Unix seconds.
    pub since: Option<f64>,
}

/// Burn rate per window label, in window order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Windows(pub Vec<(String, Option<f64>)>);

impl Windows {
    /// The burn rate of a window label (`"5m"`), if the window is listed.
    pub fn get(&self, window: &str) -> Option<Option<f64>> {
        self.0.iter().find(|(w, _)| w == window).map(|(_, v)| *v)
    }
}

impl Serialize for Windows {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Windows {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Windows;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from window (\"5m\") to burn rate or null")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Windows, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(Windows(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl SloJson {
    /// The status of one SLO snapshot.
    pub fn from_snapshot(slo: &SloSnapshot) -> Self {
        let def = &slo.definition;
        let tiers = slo
            .alerts
            .iter()
            .map(|a| TierJson {
                id: a.id.clone(),
                severity: a.tier.severity.as_str().to_owned(),
                burn_rate_threshold: a.tier.burn_rate,
                long_window: format_duration(a.tier.long_window),
                short_window: format_duration(a.tier.short_window),
                enabled: a.tier.enabled,
                firing: a.firing,
                since: a.since.map(|t| t.as_unix_secs_f64()),
            })
            .collect();
        let period = slo.evaluation.period;
        SloJson {
            name: def.name().to_owned(),
            status: slo.health().as_str().to_owned(),
            no_data_reason: slo.no_data_reason().map(|r| r.as_str().to_owned()),
            description: def.description().map(str::to_owned),
            sli: def.sli().kind().to_owned(),
            latency_threshold_seconds: match def.sli() {
                Sli::Latency { threshold, .. } => Some(secs(threshold)),
                Sli::Availability => None,
            },
            objective: def.objective().ratio(),
            objective_percent: def.objective().percent(),
            period: format_duration(def.period()),
            period_seconds: secs(def.period()),
            period_covered_seconds: secs(slo.coverage()),
            events: slo.counts.events(),
            bad_events: slo.counts.bad,
            cancelled_events: slo.counts.cancelled,
            period_events: period.events,
            period_bad_events: period.bad_events,
            sli_ratio: slo.sli(),
            budget_remaining: slo.budget_remaining(),
            burn_rate: Windows(
                slo.windows()
                    .iter()
                    .map(|w| (format_duration(w.window), w.burn_rate))
                    .collect(),
            ),
            alerts: AlertFlags {
                page: slo.firing(Severity::Page),
                ticket: slo.firing(Severity::Ticket),
            },
            tiers,
            time_to_exhaustion_seconds: slo.evaluation.time_to_exhaustion.map(secs),
            evaluated_at: slo.evaluated_at.map(|t| t.as_unix_secs_f64()),
            compliance: slo
                .compliance
                .iter()
                .map(|w| ComplianceJson {
                    alerting: def.alerting_window().map(|c| c.name()) == Some(w.name),
                    ..ComplianceJson::from_window(w)
                })
                .collect(),
            under_maintenance: slo.under_maintenance,
            maintenance: match def.maintenance() {
                sloguard_core::model::MaintenancePolicy::Exclude => "exclude",
                sloguard_core::model::MaintenancePolicy::Count => "count",
            }
            .to_owned(),
            maintenance_excluded_events: slo.excluded.events(),
            maintenance_excluded_bad_events: slo.excluded.bad,
        }
    }
}

impl SloDocument {
    /// The document of a snapshot.
    pub fn from_snapshot(snapshot: &Snapshot) -> Self {
        SloDocument {
            service: snapshot.service.clone(),
            taken_at: snapshot.taken_at.as_unix_secs_f64(),
            slos: snapshot.slos.iter().map(SloJson::from_snapshot).collect(),
            diagnostics: snapshot
                .diagnostics
                .iter()
                .map(|d| DiagnosticJson {
                    code: d.code.to_owned(),
                    slo: d.slo.clone(),
                    message: d.message.clone(),
                })
                .collect(),
            maintenances: snapshot
                .maintenances
                .iter()
                .map(|m| MaintenanceJson {
                    id: m.id,
                    name: m.name.clone(),
                    status: m.status(snapshot.taken_at).as_str().to_owned(),
                    scheduled_for: sloguard_core::words::rfc3339(m.scheduled_for),
                    ends_at: sloguard_core::words::rfc3339(m.ends_at()),
                    slos: m.slos.clone(),
                    excluded_minutes: m.excluded(snapshot.taken_at).as_secs() / 60,
                })
                .collect(),
        }
    }

    /// The SLO with this name.
    pub fn slo(&self, name: &str) -> Option<&SloJson> {
        self.slos.iter().find(|s| s.name == name)
    }
}

/// Renders a snapshot as the `/slo.json` document.
pub fn render(snapshot: &Snapshot) -> String {
    // Every value is finite or null by construction, so serialisation cannot fail; an empty
    // object would still be valid JSON if it ever did.
    serde_json::to_string_pretty(&SloDocument::from_snapshot(snapshot))
        .unwrap_or_else(|_| "{}".to_owned())
}
