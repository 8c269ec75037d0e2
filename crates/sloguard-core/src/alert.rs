//! Alert transitions and the sinks that receive them.
//!
//! Each tier of each SLO is a two-state machine (resolved or firing); the
//! evaluator feeds it the tier's condition at every tick and, when the state changes, this
//! module builds the [`AlertTransition`] with the numbers behind it. Sinks are called from the evaluator (the sampler
//! thread or whoever calls [`Registry::tick`](crate::registry::Registry::tick)), never from
//! the hot path. A sink that panics is caught and counted; other sinks still run and the
//! evaluator goes on.
//!
//! A sink is any `Fn(&AlertTransition) + Send + Sync`, `()` (which ignores everything), or a
//! type implementing [`AlertSink`].
//!
//! ```
//! use sloguard_core::alert::{AlertSink, AlertTransition};
//! use std::sync::{Arc, Mutex};
//!
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let sink = { let seen = seen.clone(); move |t: &AlertTransition| seen.lock().unwrap().push(t.tier_id.clone()) };
//! fn takes_sink(_: impl AlertSink) {}
//! takes_sink(sink);
//! takes_sink(());
//! assert!(seen.lock().unwrap().is_empty());
//! ```

use std::fmt;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::compliance::{ComplianceWindow, SlaStatus};
use crate::evaluate::Evaluation;
use crate::model::{Severity, Sli, SloDefinition};

/// Whether an alert started or stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertState {
    /// The condition now holds.
    Firing,
    /// The condition held and no longer does.
    Resolved,
}

impl AlertState {
    /// `firing` or `resolved`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        }
    }
}

impl fmt::Display for AlertState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One tier of one SLO started or stopped firing, with the numbers behind it.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertTransition {
    /// The service.
    pub service: String,
    /// The SLO's name.
    pub slo: String,
    /// The alert's name ([`SloDefinition::alert_name`]), the same as in the generated rules.
    pub alert_name: String,
    /// What the SLO judges (availability, or latency with its threshold).
    pub sli: Sli,
    /// The SLO's runbook URL, if it has one.
    pub runbook_url: Option<String>,
    /// The tier's stable id, e.g. `page-1h`.
    pub tier_id: String,
    /// Page or ticket.
    pub severity: Severity,
    /// Firing or resolved.
    pub state: AlertState,
    /// When the transition was detected.
    pub at: Timestamp,
    /// When the alert started firing (equal to `at` for a firing transition).
    pub firing_since: Timestamp,
    /// The tier's threshold.
    pub threshold: f64,
    /// The tier's long window.
    pub long_window: Duration,
    /// The tier's short window.
    pub short_window: Duration,
    /// The burn rate over the long window at `at`.
    pub long_burn_rate: Option<f64>,
    /// The burn rate over the short window at `at`.
    pub short_burn_rate: Option<f64>,
    /// The share of events that were bad over the short window (what users feel now).
    pub short_error_ratio: Option<f64>,
    /// The objective as a ratio.
    pub objective: f64,
    /// The SLO period.
    pub period: Duration,
    /// Budget remaining at `at`: over the period, or over the current period of
    /// `budget_window`.
    pub budget_remaining: f64,
    /// Time until that budget is spent at the current burn.
    pub time_to_exhaustion: Option<Duration>,
    /// The calendar window (`month`) whose budget `budget_remaining` and
    /// `time_to_exhaustion` describe, when the SLO's alerting reads one
    /// ([`SloBuilder::alerting_window`](crate::model::SloBuilder::alerting_window));
    /// `None`: the rolling period.
    pub budget_window: Option<&'static str>,
    /// For an SLA notification (tiers `sla-at-risk`, `sla-breached`): the period and its
    /// state. The fields above then describe the period so far: windows are the period's
    /// length (long) and the time gone (short), burn rates and the error ratio are the
    /// period's against the SLA's budget, `objective` and `budget_remaining` are the SLA's.
    pub sla: Option<SlaNotice>,
}

/// Receives alert transitions.
pub trait AlertSink: Send + Sync + 'static {
    /// Called once per transition, in order, from the evaluator.
    fn notify(&self, transition: &AlertTransition);

    /// What keeps this sink from reaching people, if anything (notifications dropped or given
    /// up on): read with every snapshot and shown as a `sink_failing` diagnostic. Keep it
    /// cheap: a few counters.
    fn problem(&self) -> Option<String> {
        None
    }
}

impl<F> AlertSink for F
where
    F: Fn(&AlertTransition) + Send + Sync + 'static,
{
    fn notify(&self, transition: &AlertTransition) {
        self(transition)
    }
}

impl AlertSink for () {
    fn notify(&self, _: &AlertTransition) {}
}

/// The state of one tier: firing or not, and since when.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TierState {
    pub(crate) firing: bool,
    /// When it last changed state, `None` if it never has.
    pub(crate) since: Option<Timestamp>,
    /// Restored firing from a state file and not evaluated since: its first evaluation, if
    /// it still holds, resumes it (see [`AlertTransition::is_resumed`]).
    pub(crate) resumed: bool,
}

impl TierState {
    /// Feeds the tier's condition at `now`. On a change of state, returns when the alert
    /// started firing (`now` for a new alert, the start of the episode for a resolution).
    pub(crate) fn update(&mut self, holds: bool, now: Timestamp) -> Option<Timestamp> {
        if holds == self.firing {
            return None;
        }
        let firing_since = if holds {
            now
        } else {
            self.since.unwrap_or(now)
        };
        self.firing = holds;
        self.since = Some(now);
        Some(firing_since)
    }
}

/// The transition of tier `tier_index` of `definition`, from the evaluation that changed it.
pub(crate) fn transition(
    service: &str,
    definition: &SloDefinition,
    tier_index: usize,
    e: &Evaluation,
    firing_since: Timestamp,
) -> AlertTransition {
    let tier = &definition.alerting().tiers[tier_index];
    let long = e.window(tier.long_window);
    let short = e.window(tier.short_window);
    AlertTransition {
        service: service.to_owned(),
        slo: definition.name().to_owned(),
        alert_name: definition.alert_name(),
        sli: definition.sli(),
        runbook_url: definition.runbook_url().map(str::to_owned),
        tier_id: tier.id(),
        severity: tier.severity,
        state: if e.conditions[tier_index] {
            AlertState::Firing
        } else {
            AlertState::Resolved
        },
        at: e.at,
        firing_since,
        threshold: tier.burn_rate,
        long_window: tier.long_window,
        short_window: tier.short_window,
        long_burn_rate: long.and_then(|w| w.burn_rate),
        short_burn_rate: short.and_then(|w| w.burn_rate),
        short_error_ratio: short
            .and_then(|w| (w.events > 0).then(|| w.bad_events as f64 / w.events as f64)),
        objective: definition.objective().ratio(),
        period: definition.period(),
        budget_remaining: e.budget_remaining,
        time_to_exhaustion: e.time_to_exhaustion,
        budget_window: None,
        sla: None,
    }
}

impl AlertTransition {
    /// Whether this is a resumed alert, not a new one: a tier that was firing when the state
    /// file was saved and still holds at the first evaluation after the restart. It is
    /// `Firing` with `firing_since` before `at` (a new alert has them equal). Sinks that keep
    /// an alert alive by re-sending it (Alertmanager) take it as firing; sinks that tell people
    /// (chat, pagers, webhooks) skip it: they were told when it started. Incidents skip it too.
    pub fn is_resumed(&self) -> bool {
        self.state == AlertState::Firing && self.firing_since < self.at
    }

    /// Quotes the budget of a calendar window's current period instead of the rolling
    /// period's.
    pub(crate) fn quote_window(&mut self, window: &ComplianceWindow) {
        self.budget_remaining = window.budget_remaining;
        self.time_to_exhaustion = window.time_to_exhaustion;
        self.budget_window = Some(window.name);
    }
}

/// An SLA's state for the current period, as notifications carry it.
#[derive(Clone, Debug, PartialEq)]
pub struct SlaNotice {
    /// The calendar window the SLA is judged on (`month`).
    pub window: &'static str,
    /// Its state now: `AtRisk` or `Breached` when firing; the state it returned to (or
    /// `Met` for a period that ended) when resolved.
    pub status: SlaStatus,
    /// The period's first instant.
    pub period_start: Timestamp,
    /// The next period's first instant.
    pub period_end: Timestamp,
    /// Events so far in the period.
    pub events: u64,
    /// Bad events so far.
    pub bad_events: u64,
}

/// The SLA tiers, in the order their states are kept: at risk (a ticket), breached (a page).
pub(crate) const SLA_TIERS: [(&str, Severity, SlaStatus); 2] = [
    ("sla-at-risk", Severity::Ticket, SlaStatus::AtRisk),
    ("sla-breached", Severity::Page, SlaStatus::Breached),
];

/// The transition of SLA tier `index` from the SLA's window as of now.
pub(crate) fn sla_transition(
    service: &str,
    definition: &SloDefinition,
    index: usize,
    window: &ComplianceWindow,
    at: Timestamp,
    firing_since: Timestamp,
) -> Option<AlertTransition> {
    let sla = definition.sla()?;
    let state = window.sla.as_ref()?;
    let (id, severity, firing_status) = SLA_TIERS[index];
    let budget = sla.objective().error_budget();
    let length = window.end.saturating_duration_since(window.start);
    let elapsed = at.saturating_duration_since(window.start).min(length);
    let ratio = window.sli().map(|sli| 1.0 - sli);
    let burn = ratio.map(|r| r / budget);
    let fraction = elapsed.as_secs_f64() / length.as_secs_f64().max(1e-9);
    let used = burn.unwrap_or(0.0) * fraction;
    let time_to_exhaustion = if used >= 1.0 {
        Some(Duration::ZERO)
    } else {
        (used > 0.0)
            .then(|| elapsed.mul_f64((1.0 - used) / used))
            .filter(|left| elapsed + *left < length)
    };
    Some(AlertTransition {
        service: service.to_owned(),
        slo: definition.name().to_owned(),
        alert_name: firing_status.alert_name().to_owned(),
        sli: definition.sli(),
        runbook_url: definition.runbook_url().map(str::to_owned),
        tier_id: id.to_owned(),
        severity,
        state: if state.status == firing_status {
            AlertState::Firing
        } else {
            AlertState::Resolved
        },
        at,
        firing_since,
        threshold: 1.0,
        long_window: length,
        short_window: elapsed,
        long_burn_rate: burn,
        short_burn_rate: burn,
        short_error_ratio: ratio,
        objective: sla.objective().ratio(),
        period: length,
        budget_remaining: 1.0 - used,
        time_to_exhaustion,
        budget_window: Some(window.name),
        sla: Some(SlaNotice {
            window: window.name,
            status: state.status,
            period_start: window.start,
            period_end: window.end,
            events: window.events,
            bad_events: window.bad_events,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tier_changes_state_only_on_a_change_of_condition() {
        let (t1, t2, t3) = (
            Timestamp::from_unix_secs(1),
            Timestamp::from_unix_secs(2),
            Timestamp::from_unix_secs(3),
        );
        let mut tier = TierState::default();
        assert_eq!(tier.update(false, t1), None);
        assert_eq!(tier.update(true, t2), Some(t2));
        assert_eq!(tier.update(true, t3), None);
        // A resolution reports when the episode began.
        assert_eq!(tier.update(false, t3), Some(t2));
        assert_eq!(tier.since, Some(t3));
    }
}
