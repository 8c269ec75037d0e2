//! A consistent, read-only view of a registry for exporters.
//!
//! Each SLO's events, bad events, burn rates and budget come from one reading of its counters
//! at [`Snapshot::taken_at`], so they agree with each other; alert state is as of the last
//! evaluation (`evaluated_at`), because alert transitions happen only when the evaluator runs.
//!
//! ```
//! use sloguard_core::{Outcome, Registry, model::{Slo, Severity}, snapshot::{Health, NoDataReason}};
//! use std::time::Duration;
//!
//! let registry = Registry::builder("payments").build();
//! let slo = registry.register(Slo::availability("availability").build().unwrap()).unwrap();
//! slo.record(Outcome::Error, Duration::from_millis(3));
//! let snap = registry.snapshot();
//! let s = snap.slo("availability").unwrap();
//! assert_eq!((s.counts.events(), s.counts.bad), (1, 1));
//! assert_eq!(s.burn_rate(Duration::from_secs(300)).map(f64::round), Some(1000.0));
//! assert!(!s.firing(Severity::Page)); // nothing evaluated yet
//! // Not evaluated yet: nothing is judged before the first evaluation, never green.
//! assert_eq!(s.health(), Health::NoData);
//! assert_eq!(s.no_data_reason(), Some(NoDataReason::NotEvaluatedYet));
//! ```
//!
//! [`SloSnapshot::health`] is the one place that decides whether an SLO is healthy, needs a
//! ticket or a page, or cannot be judged (`no_data`): the page, the JSON, the terminal demo
//! and `sloguard check` all ask it.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::diagnostic::Diagnostic;
pub use crate::evaluate::{Evaluation, WindowBurn};
use crate::histogram::HistogramSnapshot;
use crate::model::{AlertTier, Severity, SloDefinition};
use crate::recorder::Counts;

/// Every SLO and histogram of a registry at one moment.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The service the registry measures.
    pub service: String,
    /// When the counters were read.
    pub taken_at: Timestamp,
    /// The SLOs, in registration order.
    pub slos: Vec<SloSnapshot>,
    /// The histograms, sorted by name then labels.
    pub histograms: Vec<HistogramSeries>,
    /// The gauges, sorted by name then labels.
    pub gauges: Vec<GaugeSeries>,
    /// Panics caught in alert sinks since start.
    pub sink_panics: u64,
    /// Problems the engine detected, sorted by code then SLO (see [`crate::diagnostic`]).
    pub diagnostics: Vec<Diagnostic>,
    /// The service's incidents, oldest first (see [`crate::incidents`]); shared between
    /// snapshots until the history changes.
    pub incidents: std::sync::Arc<[crate::incidents::Incident]>,
    /// The maintenance windows kept, oldest first (see [`crate::maintenance`]).
    pub maintenances: Vec<crate::maintenance::Maintenance>,
}

impl Snapshot {
    /// The SLO with this name.
    pub fn slo(&self, name: &str) -> Option<&SloSnapshot> {
        self.slos.iter().find(|s| s.definition.name() == name)
    }
}

/// One SLO at one moment.
#[derive(Clone, Debug)]
pub struct SloSnapshot {
    /// The definition.
    pub definition: Arc<SloDefinition>,
    /// Cumulative counts since start (or since restored state).
    pub counts: Counts,
    /// Burn rates, budget and tier conditions from the same reading as `counts`.
    pub evaluation: Evaluation,
    /// Alert state per tier, as of the last evaluation.
    pub alerts: Vec<TierStatus>,
    /// When the evaluator last ran, `None` before the first tick.
    pub evaluated_at: Option<Timestamp>,
    /// The calendar compliance windows (and the SLA), in the definition's order.
    pub compliance: Vec<crate::compliance::ComplianceWindow>,
    /// UTC days, today so far first, then up to
    /// [`DAILY_HISTORY`](crate::compliance::DAILY_HISTORY) past days: the status page's bars.
    pub days: Vec<crate::compliance::PastPeriod>,
    /// Why the source of its counts cannot see it now (a registry fed from a metrics engine,
    /// as `sloguard serve` is); `None` when it can, and always for a service's own registry.
    pub blind: Option<String>,
    /// Whether a maintenance leaves its events out and holds its alerts now.
    pub under_maintenance: bool,
    /// The events maintenance has left out of it so far.
    pub excluded: Counts,
    /// The exemplar of a recent bad event (a trace to look at), when the layer or the code
    /// that records offers them (see [`crate::exemplar`]).
    pub bad_event_exemplar: Option<crate::exemplar::Exemplar>,
}

impl SloSnapshot {
    /// The burn rate over `window`, `None` if it holds no events or is not evaluated.
    pub fn burn_rate(&self, window: Duration) -> Option<f64> {
        self.evaluation.window(window).and_then(|w| w.burn_rate)
    }

    /// The share of good events over the period, `None` without events.
    pub fn sli(&self) -> Option<f64> {
        let p = &self.evaluation.period;
        (p.events > 0).then(|| 1.0 - p.bad_events as f64 / p.events as f64)
    }

    /// Burn per window, shortest first.
    pub fn windows(&self) -> &[WindowBurn] {
        &self.evaluation.windows
    }

    /// Budget remaining over the period.
    pub fn budget_remaining(&self) -> f64 {
        self.evaluation.budget_remaining
    }

    /// The budget left in each compliance window, under its `window` label: the rolling
    /// period first (`30d`), then each calendar window (`week`, `month`, `quarter`).
    pub fn budgets(&self) -> Vec<(String, f64)> {
        let rolling = crate::duration::format_duration(self.definition.period());
        std::iter::once((rolling, self.budget_remaining()))
            .chain(
                self.compliance
                    .iter()
                    .map(|c| (c.name.to_owned(), c.budget_remaining)),
            )
            .collect()
    }

    /// Whether any tier of this severity is firing.
    pub fn firing(&self, severity: Severity) -> bool {
        self.alerts
            .iter()
            .any(|a| a.firing && a.tier.severity == severity)
    }

    /// Page, ticket, ok, or no data: see [`Health`]. Judged from the alert tiers' state, so
    /// before the evaluator's first run there is nothing to judge yet: [`Health::NoData`],
    /// never a colour (see [`SloSnapshot::no_data_reason`]).
    pub fn health(&self) -> Health {
        match self.no_data_reason() {
            Some(NoDataReason::NotEvaluatedYet | NoDataReason::SourceBlind) => Health::NoData,
            _ => Health::judge(
                self.has_data(),
                self.firing(Severity::Page),
                self.firing(Severity::Ticket),
            ),
        }
    }

    /// Why the SLO cannot be judged, `None` when it can. A blind source wins (whatever the
    /// windows held before it went blind is not the present), then not evaluated yet: the
    /// tiers' state does not exist before the first evaluation.
    pub fn no_data_reason(&self) -> Option<NoDataReason> {
        if self.blind.is_some() {
            Some(NoDataReason::SourceBlind)
        } else if self.evaluated_at.is_none() {
            Some(NoDataReason::NotEvaluatedYet)
        } else if !self.has_data() && !self.alerts.iter().any(|a| a.firing) {
            Some(NoDataReason::NoEvents)
        } else {
            None
        }
    }

    /// Whether the longest alerting window (the longest enabled tier's long window, or the
    /// period for an SLO without tiers) holds any event.
    pub fn has_data(&self) -> bool {
        let longest = self
            .definition
            .alerting()
            .enabled_tiers()
            .map(|t| t.long_window)
            .max();
        let burn = longest
            .and_then(|w| self.evaluation.window(w))
            .unwrap_or(&self.evaluation.period);
        burn.events > 0
    }

    /// How much of the period the figures cover: less than the period while the history
    /// (since start, or since the restored state began) is younger than it.
    pub fn coverage(&self) -> Duration {
        self.evaluation
            .at
            .saturating_duration_since(self.evaluation.period.since)
            .min(self.definition.period())
    }

    /// How much of the error budget is left, in bands.
    pub fn budget_level(&self) -> BudgetLevel {
        BudgetLevel::of(self.budget_remaining())
    }

    /// Whether the burn over `window` reaches the lowest threshold of an enabled tier that
    /// reads that window: the windows a person should look at first.
    pub fn past_threshold(&self, burn: &WindowBurn) -> bool {
        let threshold = self
            .alerts
            .iter()
            .filter(|a| {
                a.tier.enabled
                    && (a.tier.long_window == burn.window || a.tier.short_window == burn.window)
            })
            .map(|a| a.tier.burn_rate)
            .fold(f64::INFINITY, f64::min);
        burn.burn_rate.is_some_and(|r| r >= threshold)
    }
}

/// What an SLO needs from people now: the `status` of `/slo.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    /// It cannot be judged: no event in its longest alerting window. Never shown as healthy.
    NoData,
    /// No alert fires and there is traffic to judge.
    Ok,
    /// A ticket alert fires (and no page).
    Ticket,
    /// A page alert fires.
    Page,
}

impl Health {
    /// The decision. A firing alert wins; otherwise an SLO whose longest alerting window
    /// holds no event has no data.
    pub const fn judge(has_data: bool, page: bool, ticket: bool) -> Health {
        match (has_data, page, ticket) {
            (_, true, _) => Health::Page,
            (_, false, true) => Health::Ticket,
            (true, false, false) => Health::Ok,
            (false, false, false) => Health::NoData,
        }
    }

    /// `no_data`, `ok`, `ticket` or `page`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Health::NoData => "no_data",
            Health::Ok => "ok",
            Health::Ticket => "ticket",
            Health::Page => "page",
        }
    }

    /// Reads [`Health::as_str`] back (as tools reading `/slo.json` do).
    pub fn parse(status: &str) -> Option<Health> {
        [Health::NoData, Health::Ok, Health::Ticket, Health::Page]
            .into_iter()
            .find(|h| h.as_str() == status)
    }
}

/// Why an SLO's status is `no_data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoDataReason {
    /// The evaluator has not run yet (the first run is one tick after start).
    NotEvaluatedYet,
    /// Its longest alerting window holds no event.
    NoEvents,
    /// The metrics engine its counts come from cannot be read, or has nothing for it (the
    /// diagnostics say which); only a registry fed from outside, as `sloguard serve`, is.
    SourceBlind,
}

impl NoDataReason {
    /// The reason in words, for `sloguard check`, the pages and logs: the one home of them.
    pub const fn phrase(self) -> &'static str {
        match self {
            NoDataReason::NotEvaluatedYet => {
                "not evaluated yet (the first evaluation runs one tick after start)"
            }
            NoDataReason::NoEvents => "nothing to judge in its longest alerting window",
            NoDataReason::SourceBlind => {
                "its metrics source cannot be read or has no series for it (see the diagnostics)"
            }
        }
    }

    /// The reason's stable code, as `/slo.json`'s `no_data_reason` carries it.
    pub const fn as_str(self) -> &'static str {
        match self {
            NoDataReason::NotEvaluatedYet => "not_evaluated_yet",
            NoDataReason::NoEvents => "no_events",
            NoDataReason::SourceBlind => "source_blind",
        }
    }

    /// Reads [`NoDataReason::as_str`] back.
    pub fn parse(code: &str) -> Option<NoDataReason> {
        [
            NoDataReason::NotEvaluatedYet,
            NoDataReason::NoEvents,
            NoDataReason::SourceBlind,
        ]
        .into_iter()
        .find(|r| r.as_str() == code)
    }

    /// The reason of a `/slo.json` entry: not evaluated while its `evaluated_at` is null.
    pub const fn of_document(evaluated: bool) -> NoDataReason {
        if evaluated {
            NoDataReason::NoEvents
        } else {
            NoDataReason::NotEvaluatedYet
        }
    }
}

/// Budget remaining in bands, for colours and words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BudgetLevel {
    /// More than half left.
    Comfortable,
    /// More than a fifth left.
    Low,
    /// A fifth or less left, or overspent.
    Critical,
}

impl BudgetLevel {
    /// The band of a budget-remaining ratio.
    pub fn of(remaining: f64) -> BudgetLevel {
        if remaining > 0.5 {
            BudgetLevel::Comfortable
        } else if remaining > 0.2 {
            BudgetLevel::Low
        } else {
            BudgetLevel::Critical
        }
    }
}

/// The alert state of one tier.
#[derive(Clone, Debug, PartialEq)]
pub struct TierStatus {
    /// The tier's stable id, e.g. `page-1h`.
    pub id: String,
    /// The tier.
    pub tier: AlertTier,
    /// Whether it is firing.
    pub firing: bool,
    /// When it last changed state, `None` if it never has.
    pub since: Option<Timestamp>,
}

/// A histogram and the series it belongs to.
#[derive(Clone, Debug)]
pub struct HistogramSeries {
    /// The metric name, e.g. `http_server_request_duration_seconds`.
    pub name: String,
    /// Label pairs, in the order given at registration.
    pub labels: Vec<(String, String)>,
    /// The counts.
    pub histogram: HistogramSnapshot,
}

/// A gauge and the series it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GaugeSeries {
    /// The metric name, e.g. `http_server_active_requests`.
    pub name: String,
    /// Label pairs, in the order given at registration.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: i64,
}
