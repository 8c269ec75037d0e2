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
//! People write on it too ([`sloguard_core::incidents::write`]): an incident a person opened
//! shows its title, impact and updates, and puts its components in the state its impact says
//! (minor: degraded, major: partial outage, critical: major outage) while it is open; updates
//! people post to an engine incident show between the engine's own. A component under an
//! active maintenance window ([`sloguard_core::maintenance`]) is "Under maintenance" (unless
//! an open incident says worse), and windows show ahead. Each incident has a page of its own,
//! `/status/incidents/ID` ([`page`]); the JSON documents are in [`json`].
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

pub mod json;
pub mod page;

pub use json::statuspage_json;
pub use page::{render_incident_page, render_page};

use sloguard_core::clock::Timestamp;
use sloguard_core::incidents::{Impact, Incident, Opener, UpdateStatus};
use sloguard_core::maintenance::{Maintenance, MaintenanceStatus};
use sloguard_core::model::{slug, ComponentState, Sli, StatusPage};
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

/// One update as customers read it.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerUpdate {
    /// When it was posted.
    pub at: Timestamp,
    /// Where the incident stood.
    pub status: UpdateStatus,
    /// What customers are told.
    pub body: String,
    /// Whether a person wrote it (else the engine's own words).
    pub by_person: bool,
}

/// An incident in customer words.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerIncident {
    /// A stable id (see [`incident_id`]).
    pub id: String,
    /// Its number in the service's history.
    pub number: u64,
    /// Its title.
    pub name: String,
    /// How badly it hurts: set by a person, or judged from its figures.
    pub impact: Impact,
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
    /// What customers are told, newest first.
    pub updates: Vec<CustomerUpdate>,
    /// Whether a person opened it.
    pub by_person: bool,
}

impl CustomerIncident {
    /// Where it stands: its newest update's status.
    pub fn status(&self) -> UpdateStatus {
        self.updates
            .first()
            .map_or(UpdateStatus::Investigating, |u| u.status)
    }
}

/// A maintenance window as customers read it.
#[derive(Clone, Debug, PartialEq)]
pub struct MaintenanceView {
    /// A stable id (see [`maintenance_id`]).
    pub id: String,
    /// Its number in the service's schedule.
    pub number: u64,
    /// Its title.
    pub name: String,
    /// What customers are told.
    pub message: String,
    /// Where it stands.
    pub status: MaintenanceStatus,
    /// When it starts.
    pub scheduled_for: Timestamp,
    /// When it ends (at its cancellation if it was cut short).
    pub scheduled_until: Timestamp,
    /// When it was announced.
    pub created_at: Timestamp,
    /// The components it covers (ids).
    pub components: Vec<String>,
    /// What customers are told, newest first: announced, started, completed.
    pub updates: Vec<(Timestamp, MaintenanceStatus, String)>,
}

/// The public id of incident `number` of `service` (`payments-3`): what the Statuspage
/// documents and the write API use.
pub fn incident_id(service: &str, number: u64) -> String {
    format!("{}-{number}", slug(service))
}

/// The public id of maintenance window `number` of `service` (`payments-maintenance-2`).
pub fn maintenance_id(service: &str, number: u64) -> String {
    format!("{}-maintenance-{number}", slug(service))
}

/// The number in a public incident id (`payments-3`, or just `3`).
pub fn parse_incident_id(service: &str, id: &str) -> Option<u64> {
    let prefix = format!("{}-", slug(service));
    id.strip_prefix(&prefix).unwrap_or(id).parse().ok()
}

/// The number in a public maintenance id (`payments-maintenance-2`, or just `2`).
pub fn parse_maintenance_id(service: &str, id: &str) -> Option<u64> {
    let prefix = format!("{}-maintenance-", slug(service));
    id.strip_prefix(&prefix).unwrap_or(id).parse().ok()
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
    /// Maintenance windows not cancelled, soonest first.
    pub maintenances: Vec<MaintenanceView>,
    /// When it was read.
    pub updated_at: Timestamp,
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
        let page = page
            .unwrap_or_else(|| StatusPage::new(snapshot.service.clone()))
            .or_one_component_per_slo(
                snapshot
                    .slos
                    .iter()
                    .map(|s| (s.definition.name(), s.definition.description())),
            );
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
                    id: c.id(),
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
        let maintenances = maintenance_views(snapshot);
        // A day an incident touched is at least as bad as the incident was at its worst,
        // however quiet the rest of the day. Now, a component under maintenance says so, and
        // one an open incident names is at least as bad as the incident says.
        let mut components = components;
        for c in &mut components {
            let maintained = maintenances
                .iter()
                .any(|m| m.status == MaintenanceStatus::InProgress && m.components.contains(&c.id));
            if maintained {
                c.state = ComponentState::UnderMaintenance;
            }
            for i in incidents
                .iter()
                .filter(|i| i.resolved_at.is_none() && i.components.contains(&c.id))
            {
                c.state = c.state.max(i.state);
            }
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
            maintenances,
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
        .filter(|c| i.components.contains(&c.id) || i.slos.iter().any(|s| c.slos.contains(&s.slo)))
        .collect();
    let by_person = i.opened_by == Opener::Person;
    if affected.is_empty() && !by_person {
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
    let measured = if i.slos.is_empty() {
        ComponentState::Operational
    } else if slow {
        ComponentState::DegradedPerformance
    } else {
        ComponentState::of_failing_share(worst)
    };
    let state = match i.impact {
        Some(impact) => impact.component_state().max(measured),
        None => measured,
    };
    let names: Vec<String> = affected.iter().map(|c| c.name.clone()).collect();
    let list = names.join(", ");
    let mut updates: Vec<CustomerUpdate> = i
        .updates
        .iter()
        .map(|u| CustomerUpdate {
            at: u.at,
            status: u.status,
            body: u.message.clone(),
            by_person: true,
        })
        .collect();
    if !by_person {
        let problem = if slow { "slower than usual" } else { "failing" };
        updates.insert(
            0,
            CustomerUpdate {
                at: i.detected_at,
                status: UpdateStatus::Investigating,
                body: format!("We are investigating {list}: some requests are {problem}."),
                by_person: false,
            },
        );
        if let (Some(end), false) = (i.resolved_at, i.held_by_people()) {
            let what = if slow { "were slow" } else { "failed" };
            updates.push(CustomerUpdate {
                at: end,
                status: UpdateStatus::Resolved,
                body: format!(
                    "This incident has been resolved. From {} to {}, {} of requests to {list} {what} ({} at worst).",
                    utc_minute(i.started_at),
                    utc_minute(end),
                    percent(share),
                    percent(worst)
                ),
                by_person: false,
            });
        }
    }
    updates.reverse();
    Some(CustomerIncident {
        id: incident_id(&snapshot.service, i.id),
        number: i.id,
        name: i
            .title
            .clone()
            .unwrap_or_else(|| format!("{}: {list}", snapshot_words(state))),
        state,
        impact: i.impact.unwrap_or(Impact::of_state(state)),
        components: affected.iter().map(|c| c.id.clone()).collect(),
        started_at: i.started_at,
        detected_at: i.detected_at,
        resolved_at: i.resolved_at,
        updates,
        by_person,
    })
}

/// What customers are told of a window by `now`, newest first: the announcement (its own
/// message), its start, its end.
fn maintenance_updates(
    m: &Maintenance,
    now: Timestamp,
) -> Vec<(Timestamp, MaintenanceStatus, String)> {
    let mut told = vec![(
        m.created_at,
        MaintenanceStatus::Scheduled,
        m.message.clone(),
    )];
    if now >= m.scheduled_for {
        told.push((
            m.scheduled_for.max(m.created_at),
            MaintenanceStatus::InProgress,
            "Scheduled maintenance is currently in progress. We will provide updates as necessary."
                .to_owned(),
        ));
    }
    if now >= m.ends_at() {
        told.push((
            m.ends_at(),
            MaintenanceStatus::Completed,
            "The scheduled maintenance has been completed.".to_owned(),
        ));
    }
    told.reverse();
    told
}

/// A maintenance window as customers read it at the snapshot's time.
pub fn maintenance_view(snapshot: &Snapshot, m: &Maintenance) -> MaintenanceView {
    let now = snapshot.taken_at;
    MaintenanceView {
        updates: maintenance_updates(m, now),
        id: maintenance_id(&snapshot.service, m.id),
        number: m.id,
        name: m.name.clone(),
        message: m.message.clone(),
        status: m.status(now),
        scheduled_for: m.scheduled_for,
        scheduled_until: m.ends_at(),
        created_at: m.created_at,
        components: m.components.clone(),
    }
}

/// The maintenance windows not cancelled, soonest first.
fn maintenance_views(snapshot: &Snapshot) -> Vec<MaintenanceView> {
    let now = snapshot.taken_at;
    let mut views: Vec<MaintenanceView> = snapshot
        .maintenances
        .iter()
        .filter(|m| m.status(now) != MaintenanceStatus::Cancelled)
        .map(|m| maintenance_view(snapshot, m))
        .collect();
    views.sort_by_key(|m| (m.scheduled_for, m.number));
    views
}

/// The incident title's words for a state (Statuspage's own phrases).
fn snapshot_words(state: ComponentState) -> &'static str {
    match state {
        ComponentState::MajorOutage => "Major outage",
        ComponentState::PartialOutage => "Partial outage",
        _ => "Degraded performance",
    }
}
