//! The customer-facing status page: `/status`, and its JSON in the shape of Atlassian
//! Statuspage's public API v2 (`/api/v2/summary.json`, `status.json`, `components.json`,
//! `incidents.json`), so status widgets and aggregators that read Statuspage read it unchanged.
//!
//! Components are those of the [`StatusPage`] set on the registry (or one per SLO, named by its
//! description). A component's state is its worst SLO's: operational when no alert fires;
//! while one fires, degraded performance (a latency SLO, or under 10% of requests failing over
//! the firing tier's short window), partial outage (10% to 50%) or major outage (half or
//! more). A component whose SLOs have no events is *not* operational: Statuspage has no
//! unknown state, so its JSON says `degraded_performance` and the page says "Status unknown"
//! (configurable). Each component has a bar per UTC day for 90 days, judged the same way on
//! the day's counts against the SLO's objective (a day over the objective with fewer bad
//! events than the alert policy needs to fire is degraded, not an outage), and at least as bad
//! as the worst state of an incident that touched the day. Incidents are the engine's, told in customer
//! words: what was affected, from when to when, what share of requests failed or were slow;
//! never burn rates, tiers or runbooks.
//!
//! ```
//! use sloguard::{Registry, expose::status::StatusView, model::Slo};
//!
//! let registry = Registry::builder("payments").build();
//! registry.register(Slo::availability("availability").description("Card payments").build().unwrap()).unwrap();
//! let view = StatusView::of(&registry.snapshot(), registry.status_page());
//! assert_eq!(view.components[0].name, "Card payments");
//! assert_eq!(view.components[0].state.as_str(), "no_data"); // nothing seen yet: never green
//! ```

use super::html::Escaped;
use std::fmt::Write;

use serde_json::{json, Value};
use sloguard_core::clock::Timestamp;
use sloguard_core::incidents::Incident;
use sloguard_core::model::{ComponentState, Sli, StatusComponent, StatusPage};
use sloguard_core::snapshot::{Health, SloSnapshot, Snapshot};
use sloguard_core::words::{percent, rfc3339, utc_minute};

/// Days of bars per component.
pub const DAYS: usize = 90;
const DAY_NANOS: u64 = 86_400_000_000_000;

/// One component as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentView {
    /// A stable id: its name in lowercase letters, digits and dashes.
    pub id: String,
    /// Its name for customers.
    pub name: String,
    /// Its description for customers.
    pub description: Option<String>,
    /// Its state now.
    pub state: ComponentState,
    /// One state per UTC day, oldest first, today last: `(date, state)`.
    pub days: Vec<(String, ComponentState)>,
    /// The SLOs it is judged by.
    pub slos: Vec<String>,
}

/// An incident in customer words.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerIncident {
    /// A stable id.
    pub id: String,
    /// Its title.
    pub name: String,
    /// `minor`, `major` or `critical`.
    pub impact: &'static str,
    /// The state it put its components in, at its worst.
    pub state: ComponentState,
    /// The components affected.
    pub components: Vec<String>,
    /// When customers were first affected.
    pub started_at: Timestamp,
    /// When it was detected.
    pub detected_at: Timestamp,
    /// When it ended, if it has.
    pub resolved_at: Option<Timestamp>,
    /// What customers are told, newest first: `(time, status, text)`.
    pub updates: Vec<(Timestamp, &'static str, String)>,
}

/// Everything the page and its JSON show.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusView {
    /// The page's title and words.
    pub page: StatusPage,
    /// The components.
    pub components: Vec<ComponentView>,
    /// Incidents, newest first.
    pub incidents: Vec<CustomerIncident>,
    /// When it was read.
    pub updated_at: Timestamp,
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// A share of requests going wrong, judged for customers.
fn judged(sli: Sli, share: f64) -> ComponentState {
    match sli {
        Sli::Latency { .. } => ComponentState::DegradedPerformance,
        Sli::Availability => ComponentState::of_failing_share(share),
    }
}

/// An SLO's state now.
fn slo_state(slo: &SloSnapshot) -> ComponentState {
    if slo.health() == Health::NoData {
        return ComponentState::NoData;
    }
    let firing: Vec<_> = slo.alerts.iter().filter(|a| a.firing).collect();
    if firing.is_empty() {
        return ComponentState::Operational;
    }
    let share = firing
        .iter()
        .filter_map(|a| slo.evaluation.window(a.tier.short_window))
        .filter(|w| w.events > 0)
        .map(|w| w.bad_events as f64 / w.events as f64)
        .fold(0.0, f64::max);
    judged(slo.definition.sli(), share)
}

/// An SLO's state on a day, from the day's counts.
fn day_state(slo: &SloSnapshot, events: u64, bad: u64) -> ComponentState {
    if events == 0 {
        return ComponentState::NoData;
    }
    let share = bad as f64 / events as f64;
    let policy = slo.definition.alerting();
    if share <= slo.definition.objective().error_budget() * (1.0 + 1e-9) {
        ComponentState::Operational
    } else if bad < policy.min_bad_events || events < policy.min_events {
        // Too few events for the alert policy to call it an outage: not green either.
        ComponentState::DegradedPerformance
    } else {
        judged(slo.definition.sli(), share)
    }
}

impl StatusView {
    /// The view of a snapshot with the registry's status page (or the default one).
    pub fn of(snapshot: &Snapshot, page: Option<StatusPage>) -> Self {
        let mut page = page.unwrap_or_else(|| StatusPage::new(snapshot.service.clone()));
        if page.components.is_empty() {
            page.components = snapshot
                .slos
                .iter()
                .map(|s| {
                    let def = &s.definition;
                    StatusComponent::new(def.description().unwrap_or(def.name()), [def.name()])
                })
                .collect();
        }
        let today = snapshot.taken_at.as_unix_nanos() / DAY_NANOS;
        let components = page
            .components
            .iter()
            .map(|c| {
                let slos: Vec<&SloSnapshot> =
                    c.slos.iter().filter_map(|n| snapshot.slo(n)).collect();
                let state = if slos.len() < c.slos.len() {
                    // A component naming an SLO this service does not have cannot be judged.
                    ComponentState::NoData
                } else {
                    slos.iter()
                        .map(|s| slo_state(s))
                        .max()
                        .unwrap_or(ComponentState::NoData)
                };
                let days = (0..DAYS as u64)
                    .rev()
                    .map(|back| {
                        let day = today.saturating_sub(back);
                        let date = Timestamp::from_unix_secs(day * 86_400);
                        let worst = slos
                            .iter()
                            .map(|s| {
                                s.days
                                    .iter()
                                    .find(|d| d.start.as_unix_nanos() / DAY_NANOS == day)
                                    .map_or(ComponentState::NoData, |d| {
                                        day_state(s, d.events, d.bad_events)
                                    })
                            })
                            .max()
                            .unwrap_or(ComponentState::NoData);
                        (rfc3339(date)[..10].to_owned(), worst)
                    })
                    .collect();
                ComponentView {
                    id: slug(&c.name),
                    name: c.name.clone(),
                    description: c.description.clone(),
                    state,
                    days,
                    slos: c.slos.clone(),
                }
            })
            .collect::<Vec<_>>();
        let incidents: Vec<CustomerIncident> = snapshot
            .incidents
            .iter()
            .rev()
            .filter_map(|i| customer_incident(snapshot, &components, i))
            .collect();
        // A day an incident touched is at least as bad as the incident was at its worst,
        // however quiet the rest of the day.
        let mut components = components;
        for c in &mut components {
            for i in incidents.iter().filter(|i| i.components.contains(&c.id)) {
                let first = i.started_at.as_unix_nanos() / DAY_NANOS;
                let last = i.resolved_at.unwrap_or(snapshot.taken_at).as_unix_nanos() / DAY_NANOS;
                for (k, (_, state)) in c.days.iter_mut().enumerate() {
                    let day = (today + 1 + k as u64).saturating_sub(DAYS as u64);
                    if (first..=last).contains(&day) {
                        *state = (*state).max(i.state);
                    }
                }
            }
        }
        StatusView {
            page,
            components,
            incidents,
            updated_at: snapshot.taken_at,
        }
    }

    /// The worst component state.
    pub fn overall(&self) -> ComponentState {
        self.components
            .iter()
            .map(|c| c.state)
            .max()
            .unwrap_or(ComponentState::NoData)
    }
}

fn customer_incident(
    snapshot: &Snapshot,
    components: &[ComponentView],
    i: &Incident,
) -> Option<CustomerIncident> {
    let affected: Vec<&ComponentView> = components
        .iter()
        .filter(|c| i.slos.iter().any(|s| c.slos.contains(&s.slo)))
        .collect();
    if affected.is_empty() {
        return None;
    }
    let (events, bad) = i.impact();
    let share = if events > 0 {
        bad as f64 / events as f64
    } else {
        0.0
    };
    let worst = i.peak_error_ratio.max(share);
    let slow = i.slos.iter().all(|s| {
        snapshot
            .slo(&s.slo)
            .is_some_and(|slo| matches!(slo.definition.sli(), Sli::Latency { .. }))
    });
    let state = if slow {
        ComponentState::DegradedPerformance
    } else {
        ComponentState::of_failing_share(worst)
    };
    let names: Vec<String> = affected.iter().map(|c| c.name.clone()).collect();
    let list = names.join(", ");
    let problem = if slow { "slower than usual" } else { "failing" };
    let mut updates = vec![(
        i.detected_at,
        "investigating",
        format!("We are investigating {list}: some requests are {problem}."),
    )];
    if let Some(end) = i.resolved_at {
        let what = if slow { "were slow" } else { "failed" };
        updates.push((
            end,
            "resolved",
            format!(
                "This incident has been resolved. From {} to {}, {} of requests to {list} {what} ({} at worst).",
                utc_minute(i.started_at),
                utc_minute(end),
                percent(share),
                percent(worst)
            ),
        ));
    }
    updates.reverse();
    Some(CustomerIncident {
        id: format!("{}-{}", slug(&snapshot.service), i.id),
        name: format!("{}: {list}", snapshot_words(state)),
        state,
        impact: match state {
            ComponentState::MajorOutage => "critical",
            ComponentState::PartialOutage => "major",
            _ => "minor",
        },
        components: affected.iter().map(|c| c.id.clone()).collect(),
        started_at: i.started_at,
        detected_at: i.detected_at,
        resolved_at: i.resolved_at,
        updates,
    })
}

/// The incident title's words for a state (Statuspage's own phrases).
fn snapshot_words(state: ComponentState) -> &'static str {
    match state {
        ComponentState::MajorOutage => "Major outage",
        ComponentState::PartialOutage => "Partial outage",
        _ => "Degraded performance",
    }
}

/// The Statuspage page object.
/// The page's URL in the Statuspage documents: the configured one, or `/status`.
fn page_url(view: &StatusView) -> &str {
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

fn incident_json(view: &StatusView, i: &CustomerIncident, url: &str) -> Value {
    let page_id = slug(&view.page.title);
    let status = i.updates.first().map_or("investigating", |u| u.1);
    let updated = i.updates.first().map_or(i.detected_at, |u| u.0);
    let affected: Vec<Value> = components_json(view)
        .into_iter()
        .filter(|c| i.components.iter().any(|id| c["id"] == json!(id)))
        .collect();
    json!({
        "id": i.id,
        "name": i.name,
        "status": status,
        "created_at": rfc3339(i.detected_at),
        "updated_at": rfc3339(updated),
        "monitoring_at": null,
        "resolved_at": i.resolved_at.map(rfc3339),
        "impact": i.impact,
        "shortlink": format!("{url}#incident-{}", i.id),
        "started_at": rfc3339(i.started_at),
        "page_id": page_id,
        "incident_updates": i.updates.iter().enumerate().map(|(n, (at, status, body))| json!({
            "id": format!("{}-{}", i.id, i.updates.len() - n),
            "status": status,
            "body": body,
            "incident_id": i.id,
            "created_at": rfc3339(*at),
            "updated_at": rfc3339(*at),
            "display_at": rfc3339(*at),
            "affected_components": null,
            "deliver_notifications": true,
            "custom_tweet": null,
            "tweet_id": null,
        })).collect::<Vec<_>>(),
        "components": affected,
    })
}

/// One of the Statuspage documents: `summary`, `status`, `components` or `incidents`.
pub fn statuspage_json(view: &StatusView, document: &str) -> Option<Value> {
    let page = page_json(view);
    let url = page_url(view);
    let incidents = |open_only: bool| -> Vec<Value> {
        view.incidents
            .iter()
            .filter(|i| !open_only || i.resolved_at.is_none())
            .map(|i| incident_json(view, i, url))
            .collect()
    };
    Some(match document {
        "summary" => json!({
            "page": page,
            "components": components_json(view),
            "incidents": incidents(true),
            "scheduled_maintenances": [],
            "status": status_json(view),
        }),
        "status" => json!({"page": page, "status": status_json(view)}),
        "components" => json!({"page": page, "components": components_json(view)}),
        "incidents" => json!({"page": page, "incidents": incidents(false)}),
        _ => return None,
    })
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f7f8fa;color:#1d2330}\
main{max-width:860px;margin:0 auto;padding:16px}h1{font-size:1.5em;margin:8px 0 16px}\
.banner{padding:14px 16px;border-radius:8px;color:#fff;font-weight:600;margin-bottom:16px}\
.operational{background:#1f8b4c}.no_data{background:#6b7280}.degraded_performance{background:#c77700}\
.partial_outage{background:#d9480f}.major_outage{background:#c62828}\
.component{background:#fff;border-radius:8px;padding:12px 16px;margin-bottom:10px;box-shadow:0 1px 2px rgba(0,0,0,.1)}\
.component h2{font-size:1em;margin:0;display:flex;justify-content:space-between;gap:8px}\
.state{font-weight:500;font-size:.9em}.state.operational,.state.no_data,.state.degraded_performance,\
.state.partial_outage,.state.major_outage{background:none}.state.operational{color:#1f8b4c}\
.state.no_data{color:#6b7280}.state.degraded_performance{color:#c77700}.state.partial_outage{color:#d9480f}\
.state.major_outage{color:#c62828}.desc{color:#5b6475;font-size:.85em;margin:4px 0 0}\
.bars{display:flex;gap:1px;height:28px;margin-top:10px}.bar{flex:1;border-radius:2px;min-width:1px}\
.legend{display:flex;justify-content:space-between;font-size:.75em;color:#6b7280;margin-top:4px}\
.incident{background:#fff;border-radius:8px;padding:12px 16px;margin-bottom:10px;border-left:4px solid #c77700}\
.incident.resolved{border-left-color:#9ca3af}.incident h3{margin:0 0 6px;font-size:1em}\
.update{font-size:.9em;margin:6px 0}.update b{text-transform:capitalize}.when{color:#6b7280;font-size:.85em}";

fn escaped(text: &str) -> String {
    Escaped(text).to_string()
}

/// The `/status` page.
pub fn render_page(view: &StatusView) -> String {
    let words = &view.page.words;
    let overall = view.overall();
    let mut out = String::with_capacity(8192 + view.components.len() * 6000);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta http-equiv=\"refresh\" content=\"30\"><title>{title} status</title><style>{STYLE}</style></head><body><main><h1>{title} status</h1><div class=\"banner {class}\" data-state=\"{class}\">{banner}</div>",
        title = escaped(&view.page.title),
        class = overall.as_str(),
        banner = escaped(words.of(overall)),
    );
    for c in &view.components {
        let _ = write!(
            out,
            "<section class=\"component\" data-component=\"{id}\" data-state=\"{state}\"><h2><span>{name}</span><span class=\"state {state}\">{words}</span></h2>",
            id = c.id,
            state = c.state.as_str(),
            name = escaped(&c.name),
            words = escaped(words.of(c.state)),
        );
        if let Some(d) = &c.description {
            let _ = write!(out, "<p class=\"desc\">{}</p>", escaped(d));
        }
        out.push_str(
            "<div class=\"bars\" role=\"img\" aria-label=\"the last 90 days, one bar per day\">",
        );
        for (date, state) in &c.days {
            let _ = write!(
                out,
                "<span class=\"bar {s}\" data-day=\"{date}\" data-state=\"{s}\" title=\"{date}: {w}\"></span>",
                s = state.as_str(),
                w = escaped(words.of(*state)),
            );
        }
        out.push_str("</div><div class=\"legend\"><span>90 days ago</span><span>today</span></div></section>");
    }
    out.push_str("<h2>Incidents</h2>");
    if view.incidents.is_empty() {
        out.push_str("<p class=\"when\">No incidents reported.</p>");
    }
    for i in &view.incidents {
        let class = if i.resolved_at.is_some() {
            "resolved"
        } else {
            "open"
        };
        let _ = write!(
            out,
            "<section class=\"incident {class}\" id=\"incident-{id}\" data-incident=\"{id}\"><h3>{name}</h3>",
            id = i.id,
            name = escaped(&i.name)
        );
        for (at, status, body) in &i.updates {
            let _ = write!(
                out,
                "<p class=\"update\"><b>{status}</b> - {}<br><span class=\"when\">{}</span></p>",
                escaped(body),
                utc_minute(*at)
            );
        }
        out.push_str("</section>");
    }
    let _ = writeln!(
        out,
        "<p class=\"when\">Updated {}.</p></main></body></html>",
        utc_minute(view.updated_at)
    );
    out
}
