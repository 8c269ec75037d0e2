//! Incident history: the service's alert transitions grouped into incidents, so that after an
//! alert resolves the page, the JSON and a post-incident review still show what happened.
//!
//! An incident opens with the first burn-rate alert that fires while none is open, gathers
//! every alert of any SLO that fires while it is open, and closes at the first evaluation where
//! no burn-rate alert of the service fires (read from the tiers' own state, so an incident
//! restored from a state file closes by itself if nothing fires after the restart). SLA
//! notifications are not incidents: they describe a whole calendar period.
//!
//! Per incident: when customers were first affected (the first of the contiguous minutes
//! before the alert whose bad share exceeded the SLO's budget, read from the one-minute ring,
//! at most six hours back), when it was detected (the first alert) and paged (the first page),
//! when it ended, the peak burn rate of a firing tier's long window, and per SLO involved the
//! events and bad events from its first bad minute to the end and the share of its period's
//! budget they cost. Memory is fixed: [`MAX_INCIDENTS`] incidents, each with at most
//! [`MAX_TIMELINE`] transitions. The log is kept in the state file.
//!
//! People write too ([`write`](mod@write)): a person opens an incident (a title, the components it
//! touches, an impact), and posts updates to any incident, the engine's included. An incident
//! a person opened or wrote to is theirs to resolve: the engine never closes it, it only notes
//! when its alerts ended. An alert joins the open incident that already names its SLO, else
//! the engine's own open incident, else it opens one.
//!
//! ```
//! use sloguard_core::{Outcome, Registry, clock::{Timestamp, VirtualClock}, model::Slo};
//! use std::time::Duration;
//!
//! let clock = VirtualClock::new(Timestamp::from_unix_secs(1_800_000_000));
//! let registry = Registry::builder("shop").clock(clock.clock()).build();
//! let slo = registry.register(Slo::availability("checkout").build().unwrap()).unwrap();
//! // Eight hours: the slowest tier (a ticket over 3 days and 6 hours) clears once the bad hour
//! // leaves its 6-hour window.
//! for minute in 0..480u64 {
//!     registry.advance_to(Timestamp::from_unix_secs(1_800_000_000 + minute * 60));
//!     let failing = (60..120).contains(&minute); // an hour of 20% errors
//!     for i in 0..50 {
//!         let outcome = if failing && i % 5 == 0 { Outcome::Error } else { Outcome::Success };
//!         slo.record(outcome, Duration::from_millis(5));
//!     }
//! }
//! let incidents = registry.incidents();
//! let first = &incidents[0];
//! assert!(first.resolved_at.is_some() && first.first_page_at.is_some());
//! // Customers were hit from minute 60; the page came within minutes.
//! assert_eq!(first.started_at, Timestamp::from_unix_secs(1_800_000_000 + 60 * 60));
//! assert!(first.detection_delay().unwrap() <= Duration::from_secs(5 * 60));
//! assert_eq!(first.slos[0].bad_events, 600);
//! ```

use std::collections::VecDeque;
use std::time::Duration;

use crate::alert::{AlertState, AlertTransition};
use crate::clock::Timestamp;
use crate::duration::human_duration;
use crate::model::Severity;
use crate::window::{Reading, Windows};
use crate::words::percent;

pub mod write;
pub use write::{Impact, IncidentUpdate, NewIncident, UpdateStatus, WriteError};

/// Incidents kept, newest last; the oldest is dropped first.
pub const MAX_INCIDENTS: usize = 50;
/// Transitions kept per incident; later ones are counted, not kept.
pub const MAX_TIMELINE: usize = 64;
/// How far back the first bad minute is looked for.
const LOOKBACK: u64 = 6 * 3_600 * 1_000_000_000;
const MINUTE: u64 = 60 * 1_000_000_000;

/// One incident.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    /// Its number in this service's history, from 1.
    pub id: u64,
    /// When customers were first affected: the first bad minute of its first SLO.
    pub started_at: Timestamp,
    /// The first alert.
    pub detected_at: Timestamp,
    /// The first page, if one fired.
    pub first_page_at: Option<Timestamp>,
    /// When the last alert resolved; `None` while it is open.
    pub resolved_at: Option<Timestamp>,
    /// The highest long-window burn rate of a firing tier while it was open.
    pub peak_burn_rate: f64,
    /// The highest share of bad events over a firing tier's short window while it was open:
    /// how bad it was at its worst, for customers.
    pub peak_error_ratio: f64,
    /// Each SLO involved, in the order they joined.
    pub slos: Vec<SloImpact>,
    /// The alert transitions, in order (at most [`MAX_TIMELINE`]).
    pub timeline: Vec<TimelineEntry>,
    /// Transitions past [`MAX_TIMELINE`], counted only.
    pub timeline_dropped: u64,
    /// Who opened it.
    pub opened_by: Opener,
    /// Its title, when a person gave one (else the pages name it by its state and components).
    pub title: Option<String>,
    /// Its impact, when a person set one (else the pages judge it from its figures).
    pub impact: Option<Impact>,
    /// The status page components a person named (their ids), with the SLOs they are
    /// judged by in `declared_slos`.
    pub components: Vec<String>,
    /// The SLOs of the components a person named: alerts of these join this incident.
    pub declared_slos: Vec<String>,
    /// What people wrote, oldest first (at most [`write::MAX_UPDATES`]).
    pub updates: Vec<IncidentUpdate>,
    /// For an incident people hold open: when its alerts last stopped firing, while none
    /// fires.
    pub alerts_ended_at: Option<Timestamp>,
}

/// Who opened an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opener {
    /// The engine, on an alert.
    Engine,
    /// A person, through the write API.
    Person,
}

/// What an incident cost one SLO.
#[derive(Clone, Debug, PartialEq)]
pub struct SloImpact {
    /// The SLO.
    pub slo: String,
    /// Its first bad minute.
    pub first_bad_at: Timestamp,
    /// Events from its first bad minute to the incident's end (or now).
    pub events: u64,
    /// Bad events in that time.
    pub bad_events: u64,
    /// The share of the SLO's period budget those bad events cost.
    pub budget_spent: f64,
    /// The tiers that fired (`page-1h`), in order.
    pub tiers: Vec<String>,
    /// The cumulative reading at its first bad minute.
    pub(crate) base: (u64, u64),
}

/// One alert transition in an incident's timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineEntry {
    /// When.
    pub at: Timestamp,
    /// The SLO.
    pub slo: String,
    /// The tier (`page-1h`).
    pub tier: String,
    /// Page or ticket.
    pub severity: Severity,
    /// Firing or resolved.
    pub state: AlertState,
    /// The long window's burn rate then.
    pub long_burn_rate: Option<f64>,
}

impl Incident {
    /// Whether people hold it: a person opened it or wrote to it. Only a person resolves it.
    pub fn held_by_people(&self) -> bool {
        self.opened_by == Opener::Person || !self.updates.is_empty()
    }

    /// The status of its latest update, if people wrote any.
    pub fn written_status(&self) -> Option<UpdateStatus> {
        self.updates.last().map(|u| u.status)
    }

    /// Whether alerts of `slo` join it: it names the SLO, or the SLO already joined it.
    fn concerns(&self, slo: &str) -> bool {
        self.declared_slos.iter().any(|s| s == slo) || self.slos.iter().any(|s| s.slo == slo)
    }

    /// From the first bad minute to the first page.
    pub fn detection_delay(&self) -> Option<Duration> {
        self.first_page_at
            .map(|p| p.saturating_duration_since(self.started_at))
    }

    /// From the first bad minute to the end (or to `now` while open).
    pub fn duration(&self, now: Timestamp) -> Duration {
        self.resolved_at
            .unwrap_or(now)
            .saturating_duration_since(self.started_at)
    }

    /// The worst severity that fired.
    pub fn severity(&self) -> Severity {
        if self.first_page_at.is_some() {
            Severity::Page
        } else {
            Severity::Ticket
        }
    }

    /// Events and bad events over every SLO involved (an event judged by two SLOs counts in
    /// both).
    pub fn impact(&self) -> (u64, u64) {
        self.slos
            .iter()
            .fold((0, 0), |(e, b), s| (e + s.events, b + s.bad_events))
    }

    /// Two sentences a support or communications person can pass on.
    pub fn summary(&self, service: &str, now: Timestamp) -> String {
        if self.slos.is_empty() {
            let lasted = human_duration(self.duration(now));
            let title = self.title.as_deref().unwrap_or("An incident");
            return format!(
                "{title} was opened by a person and has lasted {lasted}{}; no alert of {service} joined it, so it has no measured figures.",
                if self.resolved_at.is_some() { "" } else { " so far" }
            );
        }
        let (events, bad) = self.impact();
        let share = if events > 0 {
            percent(bad as f64 / events as f64)
        } else {
            "none".to_owned()
        };
        let names: Vec<&str> = self.slos.iter().map(|s| s.slo.as_str()).collect();
        let lasted = human_duration(self.duration(now));
        let when = match self.resolved_at {
            Some(_) => format!("For {lasted}"),
            None => format!("For {lasted} so far"),
        };
        let detected = match self.detection_delay() {
            Some(d) => format!(
                "the first page came {} after the first bad minute",
                human_duration(d)
            ),
            None => "no page fired (tickets only)".to_owned(),
        };
        let spent = self
            .slos
            .iter()
            .map(|s| format!("{} of the {} error budget", percent(s.budget_spent), s.slo))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "{when}, {share} of {service} requests judged by {} went wrong ({bad} of {events}); {detected}. It cost {spent}.",
            names.join(" and ")
        )
    }
}

/// What one SLO's evaluation tells the incident log at a tick.
pub(crate) struct SloFacts {
    pub(crate) name: String,
    pub(crate) live: Reading,
    /// Its first bad minute and the reading there, when one of its tiers fired this tick.
    pub(crate) first_bad: Option<(Timestamp, Reading)>,
    /// The SLO's error budget (1 − objective).
    pub(crate) budget: f64,
    /// Events over the period, for the budget share.
    pub(crate) period_events: u64,
    /// Whether any of its burn-rate tiers fires after this tick.
    pub(crate) firing: bool,
    /// The highest long-window burn rate of its firing tiers.
    pub(crate) peak: Option<f64>,
    /// The highest bad share over its firing tiers' short windows.
    pub(crate) peak_error: Option<f64>,
}

/// The service's incidents.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct IncidentLog {
    pub(crate) incidents: VecDeque<Incident>,
    pub(crate) next_id: u64,
    /// What snapshots share, rebuilt only after a change: a snapshot taken every tick or
    /// scrape copies a pointer, not the history.
    shared: Option<std::sync::Arc<[Incident]>>,
}

impl IncidentLog {
    /// The log as of now, shared.
    pub(crate) fn shared(&mut self) -> std::sync::Arc<[Incident]> {
        match &self.shared {
            Some(shared) => std::sync::Arc::clone(shared),
            None => {
                let shared: std::sync::Arc<[Incident]> = self.incidents.iter().cloned().collect();
                self.shared = Some(std::sync::Arc::clone(&shared));
                shared
            }
        }
    }

    /// Forgets the shared copy after a change.
    pub(crate) fn changed(&mut self) {
        self.shared = None;
    }

    pub(crate) fn from_parts(incidents: VecDeque<Incident>, next_id: u64) -> Self {
        IncidentLog {
            incidents,
            next_id,
            shared: None,
        }
    }

    /// Whether any incident is open.
    fn any_open(&self) -> bool {
        self.incidents.iter().any(|i| i.resolved_at.is_none())
    }

    /// The open incident an alert of `slo` joins: the newest that concerns it, else the
    /// newest the engine opened.
    fn open_for(&mut self, slo: &str) -> Option<usize> {
        let open = |i: &&Incident| i.resolved_at.is_none();
        let newest = |pick: &dyn Fn(&Incident) -> bool| {
            self.incidents
                .iter()
                .enumerate()
                .rev()
                .find(|(_, i)| open(i) && pick(i))
                .map(|(n, _)| n)
        };
        newest(&|i| i.concerns(slo)).or_else(|| newest(&|i| i.opened_by == Opener::Engine))
    }

    /// Takes one tick's burn-rate transitions and the SLOs' facts.
    pub(crate) fn update(
        &mut self,
        now: Timestamp,
        transitions: &[AlertTransition],
        slos: &[SloFacts],
    ) {
        if !transitions.is_empty() || self.any_open() {
            self.changed();
        }
        // A resumed alert (after a restart) is the alert the incident already holds.
        for t in transitions
            .iter()
            .filter(|t| t.sla.is_none() && !t.is_resumed())
        {
            let Some(facts) = slos.iter().find(|f| f.name == t.slo) else {
                continue;
            };
            let joined = match self.open_for(&t.slo) {
                Some(n) => Some(n),
                None if t.state == AlertState::Firing => Some(self.open_incident(t.at)),
                None => None,
            };
            if let Some(n) = joined {
                self.incidents[n].take(t, facts, now);
            }
        }
        for incident in self
            .incidents
            .iter_mut()
            .filter(|i| i.resolved_at.is_none())
        {
            incident.measure(slos, now);
        }
    }

    /// Opens an engine incident at `at` and returns its index.
    fn open_incident(&mut self, at: Timestamp) -> usize {
        self.push(Incident::opened(0, at, Opener::Engine))
    }

    /// Adds `incident` under the next number, forgetting the oldest past [`MAX_INCIDENTS`]
    /// (a resolved one when there is one), and returns its index.
    pub(crate) fn push(&mut self, mut incident: Incident) -> usize {
        self.next_id += 1;
        incident.id = self.next_id;
        if self.incidents.len() >= MAX_INCIDENTS {
            let oldest = self
                .incidents
                .iter()
                .position(|i| i.resolved_at.is_some())
                .unwrap_or(0);
            self.incidents.remove(oldest);
        }
        self.incidents.push_back(incident);
        self.changed();
        self.incidents.len() - 1
    }
}

impl Incident {
    /// A new incident opened at `at`, without figures yet.
    pub(crate) fn opened(id: u64, at: Timestamp, opened_by: Opener) -> Incident {
        Incident {
            id,
            started_at: at,
            detected_at: at,
            first_page_at: None,
            resolved_at: None,
            peak_burn_rate: 0.0,
            peak_error_ratio: 0.0,
            slos: Vec::new(),
            timeline: Vec::new(),
            timeline_dropped: 0,
            opened_by,
            title: None,
            impact: None,
            components: Vec::new(),
            declared_slos: Vec::new(),
            updates: Vec::new(),
            alerts_ended_at: None,
        }
    }

    /// Adds a transition: the SLO it hurts (from its first bad minute), its tier, and its
    /// line in the timeline.
    fn take(&mut self, t: &AlertTransition, facts: &SloFacts, now: Timestamp) {
        if t.state == AlertState::Firing {
            if t.severity == Severity::Page && self.first_page_at.is_none() {
                self.first_page_at = Some(t.at);
            }
            let impact = match self.slos.iter().position(|s| s.slo == t.slo) {
                Some(i) => &mut self.slos[i],
                None => {
                    let (first_bad, base) = facts.first_bad.unwrap_or((now, facts.live));
                    self.started_at = self.started_at.min(first_bad);
                    self.slos.push(SloImpact {
                        slo: t.slo.clone(),
                        first_bad_at: first_bad,
                        events: 0,
                        bad_events: 0,
                        budget_spent: 0.0,
                        tiers: Vec::new(),
                        base: (base.total, base.bad),
                    });
                    let last = self.slos.len() - 1;
                    &mut self.slos[last]
                }
            };
            if !impact.tiers.contains(&t.tier_id) {
                impact.tiers.push(t.tier_id.clone());
            }
        }
        if self.timeline.len() < MAX_TIMELINE {
            self.timeline.push(TimelineEntry {
                at: t.at,
                slo: t.slo.clone(),
                tier: t.tier_id.clone(),
                severity: t.severity,
                state: t.state,
                long_burn_rate: t.long_burn_rate,
            });
        } else {
            self.timeline_dropped += 1;
        }
    }

    /// Brings the open incident's figures up to this tick. When none of its SLOs' burn-rate
    /// alerts fires any more, the engine resolves it, or for one people hold, notes when.
    fn measure(&mut self, slos: &[SloFacts], now: Timestamp) {
        for impact in &mut self.slos {
            let Some(facts) = slos.iter().find(|f| f.name == impact.slo) else {
                continue;
            };
            impact.events = facts.live.total.saturating_sub(impact.base.0);
            impact.bad_events = facts
                .live
                .bad
                .saturating_sub(impact.base.1)
                .min(impact.events);
            impact.budget_spent = if facts.period_events > 0 && facts.budget > 0.0 {
                impact.bad_events as f64 / (facts.budget * facts.period_events as f64)
            } else {
                0.0
            };
        }
        let mine = || {
            slos.iter()
                .filter(|f| self.slos.iter().any(|s| s.slo == f.name))
        };
        let (peak, peak_error) =
            mine().fold((None, None), |(p, e): (Option<f64>, Option<f64>), f| {
                (
                    f.peak.map_or(p, |x| Some(p.map_or(x, |p| p.max(x)))),
                    f.peak_error.map_or(e, |x| Some(e.map_or(x, |e| e.max(x)))),
                )
            });
        if let Some(peak) = peak {
            self.peak_burn_rate = self.peak_burn_rate.max(peak);
        }
        if let Some(peak) = peak_error {
            self.peak_error_ratio = self.peak_error_ratio.max(peak);
        }
        let firing = mine().any(|f| f.firing);
        if self.held_by_people() {
            // Theirs to resolve: the engine only notes when the alerts stopped.
            if self.slos.is_empty() || firing {
                self.alerts_ended_at = None;
            } else if self.alerts_ended_at.is_none() {
                self.alerts_ended_at = Some(now);
            }
        } else if !firing {
            self.resolved_at = Some(now);
        }
    }
}

/// The first of the contiguous bad minutes before `now` (a minute whose bad share exceeds
/// `budget`), and the reading there; `now` when the minute before it was not bad.
pub(crate) fn first_bad_minute(
    windows: &Windows,
    budget: f64,
    now: Timestamp,
    live: Reading,
) -> (Timestamp, Reading) {
    let now = now.as_unix_nanos();
    let mut end = (now, live);
    let mut first = end;
    while now.saturating_sub(end.0) < LOOKBACK && end.0 > 0 {
        let start = windows.reading_at((end.0 - 1) / MINUTE * MINUTE);
        if start.0 >= end.0 {
            break;
        }
        let total = end.1.total.saturating_sub(start.1.total);
        let bad = end.1.bad.saturating_sub(start.1.bad);
        if total == 0 || bad as f64 <= budget * total as f64 {
            break;
        }
        first = start;
        end = start;
    }
    (Timestamp::from_unix_nanos(first.0), first.1)
}
