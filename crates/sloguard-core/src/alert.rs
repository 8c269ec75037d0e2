//! Alert transitions and the sinks that receive them.
//!
//! The evaluator compares each tier's condition with its previous state and emits an
//! [`AlertTransition`] when it changes. Sinks are called from the evaluator (the sampler
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
use crate::model::{Severity, Sli};

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
    /// Budget remaining over the period at `at`.
    pub budget_remaining: f64,
    /// Time until the budget is spent at the current burn.
    pub time_to_exhaustion: Option<Duration>,
}

/// Receives alert transitions.
pub trait AlertSink: Send + Sync + 'static {
    /// Called once per transition, in order, from the evaluator.
    fn notify(&self, transition: &AlertTransition);
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
