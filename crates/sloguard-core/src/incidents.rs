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

    fn open(&mut self) -> Option<&mut Incident> {
        self.incidents
            .back_mut()
            .filter(|i| i.resolved_at.is_none())
    }

    /// Takes one tick's burn-rate transitions and the SLOs' facts.
    pub(crate) fn update(
        &mut self,
        now: Timestamp,
        transitions: &[AlertTransition],
        slos: &[SloFacts],
    ) {
        if !transitions.is_empty() || self.open().is_some() {
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
            if self.open().is_none() && t.state == AlertState::Firing {
                self.open_incident(t.at);
            }
            if let Some(incident) = self.open() {
                incident.take(t, facts, now);
            }
        }
        if let Some(incident) = self.open() {
            incident.measure(slos, now);
        }
    }

    /// Opens an incident at `at`, forgetting the oldest past [`MAX_INCIDENTS`].
    fn open_incident(&mut self, at: Timestamp) {
        self.next_id += 1;
        if self.incidents.len() >= MAX_INCIDENTS {
            self.incidents.pop_front();
        }
        self.incidents.push_back(Incident {
            id: self.next_id,
            started_at: at,
            detected_at: at,
            first_page_at: None,
            resolved_at: None,
            peak_burn_rate: 0.0,
            peak_error_ratio: 0.0,
            slos: Vec::new(),
            timeline: Vec::new(),
            timeline_dropped: 0,
        });
    }
}

impl Incident {
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

    /// Brings the open incident's figures up to this tick, and resolves it when no burn-rate
    /// alert fires any more.
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
        for f in slos {
            if let Some(peak) = f.peak {
                self.peak_burn_rate = self.peak_burn_rate.max(peak);
            }
            if let Some(peak) = f.peak_error {
                self.peak_error_ratio = self.peak_error_ratio.max(peak);
            }
        }
        if !slos.iter().any(|f| f.firing) {
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
