//! The status page's JSON in the shape of Atlassian Statuspage's public API v2: `summary`,
//! `status`, `components`, `incidents` (with their `incident_updates`), `unresolved`, and the
//! scheduled maintenances (`scheduled-maintenances`, `upcoming`, `active`).
//!
//! ```
//! use sloguard::{Registry, expose::status::{StatusView, statuspage_json}, model::Slo};
//!
//! let registry = Registry::builder("payments").build();
//! registry.register(Slo::availability("availability").build().unwrap()).unwrap();
//! let view = StatusView::of(&registry.snapshot(), registry.status_page());
//! let summary = statuspage_json(&view, "summary").unwrap();
//! assert_eq!(summary["scheduled_maintenances"], serde_json::json!([]));
//! assert!(statuspage_json(&view, "upcoming").is_some());
//! ```

use serde_json::{json, Value};
use sloguard_core::maintenance::MaintenanceStatus;
use sloguard_core::model::{slug, ComponentState};
use sloguard_core::words::rfc3339;

use super::{CustomerIncident, MaintenanceView, StatusView};

/// The documents [`statuspage_json`] answers, with the paths they are served at.
pub const DOCUMENTS: [(&str, &str); 8] = [
    ("summary", "/api/v2/summary.json"),
    ("status", "/api/v2/status.json"),
    ("components", "/api/v2/components.json"),
    ("incidents", "/api/v2/incidents.json"),
    ("unresolved", "/api/v2/incidents/unresolved.json"),
    (
        "scheduled-maintenances",
        "/api/v2/scheduled-maintenances.json",
    ),
    ("upcoming", "/api/v2/scheduled-maintenances/upcoming.json"),
    ("active", "/api/v2/scheduled-maintenances/active.json"),
];

/// The page's URL in the Statuspage documents: the configured one, or `/status`.
pub(super) fn page_url(view: &StatusView) -> &str {
    view.page.url.as_deref().unwrap_or("/status")
}

/// The Statuspage page object.
fn page_json(view: &StatusView) -> Value {
    let url = page_url(view);
    json!({
        "id": slug(&view.page.title),
        "name": view.page.title,
        "url": url,
        "time_zone": "Etc/UTC",
        "updated_at": rfc3339(view.updated_at),
    })
}

fn status_json(view: &StatusView) -> Value {
    let overall = view.overall();
    let indicator = match overall {
        ComponentState::Operational => "none",
        ComponentState::UnderMaintenance => "maintenance",
        ComponentState::NoData | ComponentState::DegradedPerformance => "minor",
        ComponentState::PartialOutage => "major",
        ComponentState::MajorOutage => "critical",
    };
    json!({"indicator": indicator, "description": view.page.words.of(overall)})
}

fn components_json(view: &StatusView) -> Vec<Value> {
    let page_id = slug(&view.page.title);
    view.components
        .iter()
        .enumerate()
        .map(|(position, c)| {
            json!({
                "id": c.id,
                "name": c.name,
                "status": c.state.statuspage(),
                "created_at": rfc3339(view.updated_at),
                "updated_at": rfc3339(view.updated_at),
                "position": position + 1,
                "description": c.description,
                "showcase": true,
                "start_date": c.days.first().map(|(date, _)| date.clone()),
                "group_id": null,
                "page_id": page_id,
                "group": false,
                "only_show_if_degraded": false,
            })
        })
        .collect()
}

/// The components of `ids`, as `components.json` shows them.
fn affected(view: &StatusView, ids: &[String]) -> Vec<Value> {
    components_json(view)
        .into_iter()
        .filter(|c| ids.iter().any(|id| c["id"] == json!(id)))
        .collect()
}

/// One entry of `incident_updates`.
fn update_json(incident: &str, n: usize, at: &str, status: &str, body: &str) -> Value {
    json!({
        "id": format!("{incident}-{n}"),
        "status": status,
        "body": body,
        "incident_id": incident,
        "created_at": at,
        "updated_at": at,
        "display_at": at,
        "affected_components": null,
        "deliver_notifications": true,
        "custom_tweet": null,
        "tweet_id": null,
    })
}

/// An incident as Statuspage shows it.
pub fn incident_json(view: &StatusView, i: &CustomerIncident) -> Value {
    let page_id = slug(&view.page.title);
    let updated = i.updates.first().map_or(i.detected_at, |u| u.at);
    let monitoring = i
        .updates
        .iter()
        .rev()
        .find(|u| u.status == sloguard_core::incidents::UpdateStatus::Monitoring)
        .map(|u| rfc3339(u.at));
    let count = i.updates.len();
    json!({
        "id": i.id,
        "name": i.name,
        "status": i.status().as_str(),
        "created_at": rfc3339(i.detected_at),
        "updated_at": rfc3339(updated),
        "monitoring_at": monitoring,
        "resolved_at": i.resolved_at.map(rfc3339),
        "impact": i.impact.as_str(),
        "shortlink": format!("{}/incidents/{}", page_url(view), i.id),
        "started_at": rfc3339(i.started_at),
        "page_id": page_id,
        "incident_updates": i.updates.iter().enumerate().map(|(n, u)| {
            update_json(&i.id, count - n, &rfc3339(u.at), u.status.as_str(), &u.body)
        }).collect::<Vec<_>>(),
        "components": affected(view, &i.components),
    })
}

/// A scheduled maintenance as Statuspage shows it.
pub fn maintenance_json(view: &StatusView, m: &MaintenanceView) -> Value {
    let updated = m.updates.first().map_or(m.created_at, |u| u.0);
    let count = m.updates.len();
    json!({
        "id": m.id,
        "name": m.name,
        "status": m.status.as_str(),
        "created_at": rfc3339(m.created_at),
        "updated_at": rfc3339(updated),
        "monitoring_at": null,
        "resolved_at": (m.status == MaintenanceStatus::Completed).then(|| rfc3339(m.scheduled_until)),
        "impact": "maintenance",
        "shortlink": format!("{}#maintenance-{}", page_url(view), m.id),
        "started_at": rfc3339(m.scheduled_for),
        "page_id": slug(&view.page.title),
        "incident_updates": m.updates.iter().enumerate().map(|(n, (at, status, body))| {
            update_json(&m.id, count - n, &rfc3339(*at), status.as_str(), body)
        }).collect::<Vec<_>>(),
        "components": affected(view, &m.components),
        "scheduled_for": rfc3339(m.scheduled_for),
        "scheduled_until": rfc3339(m.scheduled_until),
    })
}

/// One of the Statuspage documents, by its name in [`DOCUMENTS`].
pub fn statuspage_json(view: &StatusView, document: &str) -> Option<Value> {
    let page = page_json(view);
    let incidents = |open_only: bool| -> Vec<Value> {
        view.incidents
            .iter()
            .filter(|i| !open_only || i.resolved_at.is_none())
            .map(|i| incident_json(view, i))
            .collect()
    };
    let maintenances = |pick: &dyn Fn(MaintenanceStatus) -> bool| -> Vec<Value> {
        view.maintenances
            .iter()
            .filter(|m| pick(m.status))
            .map(|m| maintenance_json(view, m))
            .collect()
    };
    let upcoming_or_active = |s: MaintenanceStatus| {
        matches!(
            s,
            MaintenanceStatus::Scheduled | MaintenanceStatus::InProgress
        )
    };
    Some(match document {
        "summary" => json!({
            "page": page,
            "components": components_json(view),
            "incidents": incidents(true),
            "scheduled_maintenances": maintenances(&upcoming_or_active),
            "status": status_json(view),
        }),
        "status" => json!({"page": page, "status": status_json(view)}),
        "components" => json!({"page": page, "components": components_json(view)}),
        "incidents" => json!({"page": page, "incidents": incidents(false)}),
        "unresolved" => json!({"page": page, "incidents": incidents(true)}),
        "scheduled-maintenances" => {
            json!({"page": page, "scheduled_maintenances": maintenances(&|_| true)})
        }
        "upcoming" => json!({
            "page": page,
            "scheduled_maintenances": maintenances(&|s| s == MaintenanceStatus::Scheduled),
        }),
        "active" => json!({
            "page": page,
            "scheduled_maintenances": maintenances(&|s| s == MaintenanceStatus::InProgress),
        }),
        _ => return None,
    })
}
