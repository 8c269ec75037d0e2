//! The `/slo/incidents.json` document: the service's incidents, oldest first, each with its
//! timeline, its cost per SLO and a plain-language summary (see
//! [`sloguard_core::incidents`]). Times are Unix seconds, as in `/slo.json`.
//!
//! ```
//! use sloguard::{Registry, expose::incidents::IncidentsDocument};
//!
//! let registry = Registry::builder("shop").build();
//! let doc = IncidentsDocument::from_snapshot(&registry.snapshot());
//! assert!(doc.incidents.is_empty());
//! ```

use serde::{Deserialize, Serialize};
use sloguard_core::incidents::Incident;
use sloguard_core::snapshot::Snapshot;

/// The whole document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentsDocument {
    /// The service.
    pub service: String,
    /// When it was read, Unix seconds.
    pub taken_at: f64,
    /// Oldest first.
    pub incidents: Vec<IncidentJson>,
}

/// One incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentJson {
    /// Its number, from 1.
    pub id: u64,
    /// `open` or `resolved`.
    pub state: String,
    /// `page` if a page fired, else `ticket`.
    pub severity: String,
    /// The first bad minute.
    pub started_at: f64,
    /// The first alert.
    pub detected_at: f64,
    /// The first page, if any.
    pub first_page_at: Option<f64>,
    /// When the last alert resolved; `null` while open.
    pub resolved_at: Option<f64>,
    /// From the first bad minute to the first page.
    pub detection_delay_seconds: Option<f64>,
    /// From the first bad minute to the end (or to now).
    pub duration_seconds: f64,
    /// The highest long-window burn rate of a firing tier.
    pub peak_burn_rate: f64,
    /// The highest bad share over a firing tier's short window.
    pub peak_error_ratio: f64,
    /// Events over the SLOs involved.
    pub events: u64,
    /// Bad events over the SLOs involved.
    pub bad_events: u64,
    /// Two sentences for people.
    pub summary: String,
    /// Per SLO involved.
    pub slos: Vec<SloImpactJson>,
    /// The alert transitions, in order.
    pub timeline: Vec<TimelineJson>,
    /// Transitions not kept (past the timeline's bound).
    pub timeline_dropped: u64,
    /// `engine` (opened on an alert) or `person` (opened through the write API).
    #[serde(default = "engine")]
    pub opened_by: String,
    /// Its title, when a person gave one.
    #[serde(default)]
    pub title: Option<String>,
    /// `none`, `minor`, `major` or `critical`, when a person set it.
    #[serde(default)]
    pub impact: Option<String>,
    /// The status page components a person named (ids).
    #[serde(default)]
    pub components: Vec<String>,
    /// What people wrote, oldest first.
    #[serde(default)]
    pub updates: Vec<UpdateJson>,
    /// For an incident people hold open: when its alerts stopped firing, Unix seconds.
    #[serde(default)]
    pub alerts_ended_at: Option<f64>,
}

/// What an incident cost one SLO.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloImpactJson {
    /// The SLO.
    pub slo: String,
    /// Its first bad minute.
    pub first_bad_at: f64,
    /// Events from then to the end.
    pub events: u64,
    /// Bad events in that time.
    pub bad_events: u64,
    /// The share of its period's error budget they cost.
    pub budget_spent: f64,
    /// The tiers that fired.
    pub tiers: Vec<String>,
}

/// One transition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineJson {
    /// When.
    pub at: f64,
    /// The SLO.
    pub slo: String,
    /// The tier.
    pub tier: String,
    /// `page` or `ticket`.
    pub severity: String,
    /// `firing` or `resolved`.
    pub state: String,
    /// The long window's burn rate then.
    pub long_burn_rate: Option<f64>,
}

fn engine() -> String {
    "engine".to_owned()
}

/// One update people posted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateJson {
    /// Its number in the incident, from 1.
    pub id: u64,
    /// When, Unix seconds.
    pub at: f64,
    /// `investigating`, `identified`, `monitoring` or `resolved`.
    pub status: String,
    /// What customers were told.
    pub message: String,
}

impl IncidentJson {
    /// The JSON of one incident, as of `now`.
    pub fn from_incident(
        i: &Incident,
        service: &str,
        now: sloguard_core::clock::Timestamp,
    ) -> Self {
        let (events, bad_events) = i.impact();
        IncidentJson {
            id: i.id,
            state: if i.resolved_at.is_some() {
                "resolved"
            } else {
                "open"
            }
            .to_owned(),
            severity: i.severity().as_str().to_owned(),
            started_at: i.started_at.as_unix_secs_f64(),
            detected_at: i.detected_at.as_unix_secs_f64(),
            first_page_at: i.first_page_at.map(|t| t.as_unix_secs_f64()),
            resolved_at: i.resolved_at.map(|t| t.as_unix_secs_f64()),
            detection_delay_seconds: i.detection_delay().map(|d| d.as_secs_f64()),
            duration_seconds: i.duration(now).as_secs_f64(),
            peak_burn_rate: i.peak_burn_rate,
            peak_error_ratio: i.peak_error_ratio,
            events,
            bad_events,
            summary: i.summary(service, now),
            slos: i
                .slos
                .iter()
                .map(|s| SloImpactJson {
                    slo: s.slo.clone(),
                    first_bad_at: s.first_bad_at.as_unix_secs_f64(),
                    events: s.events,
                    bad_events: s.bad_events,
                    budget_spent: s.budget_spent,
                    tiers: s.tiers.clone(),
                })
                .collect(),
            timeline: i
                .timeline
                .iter()
                .map(|e| TimelineJson {
                    at: e.at.as_unix_secs_f64(),
                    slo: e.slo.clone(),
                    tier: e.tier.clone(),
                    severity: e.severity.as_str().to_owned(),
                    state: e.state.as_str().to_owned(),
                    long_burn_rate: e.long_burn_rate,
                })
                .collect(),
            timeline_dropped: i.timeline_dropped,
            opened_by: match i.opened_by {
                sloguard_core::incidents::Opener::Engine => "engine",
                sloguard_core::incidents::Opener::Person => "person",
            }
            .to_owned(),
            title: i.title.clone(),
            impact: i.impact.map(|x| x.as_str().to_owned()),
            components: i.components.clone(),
            updates: i
                .updates
                .iter()
                .map(|u| UpdateJson {
                    id: u.id,
                    at: u.at.as_unix_secs_f64(),
                    status: u.status.as_str().to_owned(),
                    message: u.message.clone(),
                })
                .collect(),
            alerts_ended_at: i.alerts_ended_at.map(|t| t.as_unix_secs_f64()),
        }
    }
}

impl IncidentsDocument {
    /// The document of a snapshot.
    pub fn from_snapshot(snapshot: &Snapshot) -> Self {
        IncidentsDocument {
            service: snapshot.service.clone(),
            taken_at: snapshot.taken_at.as_unix_secs_f64(),
            incidents: snapshot
                .incidents
                .iter()
                .map(|i| IncidentJson::from_incident(i, &snapshot.service, snapshot.taken_at))
                .collect(),
        }
    }
}

/// Renders a snapshot's incidents as the `/slo/incidents.json` document.
pub fn render(snapshot: &Snapshot) -> String {
    serde_json::to_string_pretty(&IncidentsDocument::from_snapshot(snapshot))
        .unwrap_or_else(|_| "{}".to_owned())
}
