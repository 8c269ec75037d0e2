//! Scheduled maintenance: a window (start, end, components, message) announced ahead.
//!
//! While a window is active, for each SLO of its components (unless the SLO says
//! `maintenance: count`, [`MaintenancePolicy::Count`](crate::model::MaintenancePolicy::Count)):
//! - its events are left out of the windows, budgets, burn rates, calendar periods and SLA
//!   (counted in the SLO's excluded events, never lost);
//! - its alerts are held: the tiers still change state (the engineers' page shows them) but no
//!   sink hears of it and no incident opens. When the window ends, each tier whose state
//!   differs from what the sinks last heard is told once: a page that still holds then fires.
//!
//! A window is kept from when it is scheduled; events before that were counted as they came.
//! A cancelled window ends at its cancellation. Events are judged at the evaluation that
//! samples them: scheduling a window already under way and cancelling one evaluate first, so
//! each side of the write is judged as it was; a window's natural start and end are judged to
//! the tick. At most [`MAX_MAINTENANCES`] are kept (the
//! oldest finished first); the schedule is kept in the state file.
//!
//! ```
//! use sloguard_core::maintenance::NewMaintenance;
//! use sloguard_core::{Registry, clock::{Timestamp, VirtualClock}, model::Slo};
//! use std::time::Duration;
//!
//! let clock = VirtualClock::new(Timestamp::from_unix_secs(1_800_000_000));
//! let registry = Registry::builder("payments").clock(clock.clock()).build();
//! registry.register(Slo::availability("cards").build().unwrap()).unwrap();
//! let start = clock.now().saturating_add(Duration::from_secs(3_600));
//! let window = registry.schedule_maintenance(NewMaintenance {
//!     name: "Database upgrade".into(),
//!     scheduled_for: start,
//!     scheduled_until: start.saturating_add(Duration::from_secs(7_200)),
//!     components: vec![],
//!     message: "Payments may be slow.".into(),
//! }).unwrap();
//! assert!(!registry.under_maintenance("cards", clock.now()));
//! assert!(registry.under_maintenance("cards", start));
//! registry.cancel_maintenance(window.id).unwrap();
//! assert!(!registry.under_maintenance("cards", start));
//! ```

use std::collections::VecDeque;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::recorder::Counts;

/// Windows kept; past that the oldest finished one is forgotten.
pub const MAX_MAINTENANCES: usize = 100;
/// The longest window.
pub const MAX_LENGTH: Duration = Duration::from_secs(14 * 86_400);
/// How far ahead a window may start.
pub const MAX_AHEAD: Duration = Duration::from_secs(366 * 86_400);

/// One scheduled maintenance window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Maintenance {
    /// Its number in this service's schedule, from 1.
    pub id: u64,
    /// Its title.
    pub name: String,
    /// What customers are told.
    pub message: String,
    /// When it starts.
    pub scheduled_for: Timestamp,
    /// When it ends.
    pub scheduled_until: Timestamp,
    /// The status page components it covers (ids); empty: the whole service.
    pub components: Vec<String>,
    /// The SLOs of those components.
    pub slos: Vec<String>,
    /// When it was scheduled: nothing before is left out.
    pub created_at: Timestamp,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<Timestamp>,
}

/// Where a window stands, in Statuspage's words (plus `cancelled`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MaintenanceStatus {
    /// Announced, not started.
    Scheduled,
    /// Active now.
    InProgress,
    /// Over.
    Completed,
    /// Cancelled before it ran its course.
    Cancelled,
}

impl MaintenanceStatus {
    /// Its name in the Statuspage documents (`in_progress`).
    pub const fn as_str(self) -> &'static str {
        match self {
            MaintenanceStatus::Scheduled => "scheduled",
            MaintenanceStatus::InProgress => "in_progress",
            MaintenanceStatus::Completed => "completed",
            MaintenanceStatus::Cancelled => "cancelled",
        }
    }
}

impl Maintenance {
    /// When it ends: as scheduled, or at its cancellation if that is earlier.
    pub fn ends_at(&self) -> Timestamp {
        match self.cancelled_at {
            Some(c) => c.min(self.scheduled_until),
            None => self.scheduled_until,
        }
    }

    /// Whether it is active at `t`.
    pub fn active_at(&self, t: Timestamp) -> bool {
        self.scheduled_for <= t && t < self.ends_at()
    }

    /// Where it stands at `now`.
    pub fn status(&self, now: Timestamp) -> MaintenanceStatus {
        match self.cancelled_at {
            Some(c) if c <= self.scheduled_for || c < self.scheduled_until && now >= c => {
                MaintenanceStatus::Cancelled
            }
            _ if now < self.scheduled_for => MaintenanceStatus::Scheduled,
            _ if now < self.ends_at() => MaintenanceStatus::InProgress,
            _ => MaintenanceStatus::Completed,
        }
    }

    /// Whether it covers `slo`.
    pub fn covers(&self, slo: &str) -> bool {
        self.slos.iter().any(|s| s == slo)
    }

    /// The time it has left out as of `now`: from its start (or its scheduling, if later) to
    /// its end (or `now`).
    pub fn excluded(&self, now: Timestamp) -> Duration {
        let from = self.scheduled_for.max(self.created_at);
        self.ends_at().min(now).saturating_duration_since(from)
    }
}

/// A window a person schedules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMaintenance {
    /// Its title.
    pub name: String,
    /// When it starts.
    pub scheduled_for: Timestamp,
    /// When it ends.
    pub scheduled_until: Timestamp,
    /// The status page components it covers, by id or name (none: the whole service).
    pub components: Vec<String>,
    /// What customers are told.
    pub message: String,
}

/// The service's maintenance windows, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MaintenanceLog {
    pub(crate) windows: VecDeque<Maintenance>,
    pub(crate) next_id: u64,
}

impl MaintenanceLog {
    /// Whether a window covering `slo` is active at `t`.
    pub(crate) fn active(&self, slo: &str, t: Timestamp) -> bool {
        self.windows.iter().any(|m| m.covers(slo) && m.active_at(t))
    }
}

/// Per SLO, what maintenance has left out and what the sinks last heard while its alerts are
/// held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MaintenanceTrack {
    /// The counts at the last sample.
    pub(crate) seen: Counts,
    /// The events left out so far.
    pub(crate) excluded: Counts,
    /// While alerts are held: each burn-rate tier's state as the sinks last heard it.
    pub(crate) held: Option<Vec<bool>>,
}

fn minus(a: &Counts, b: &Counts) -> Counts {
    Counts {
        good: a.good.saturating_sub(b.good),
        bad: a.bad.saturating_sub(b.bad),
        cancelled: a.cancelled.saturating_sub(b.cancelled),
    }
}

fn plus(a: &Counts, b: &Counts) -> Counts {
    Counts {
        good: a.good.saturating_add(b.good),
        bad: a.bad.saturating_add(b.bad),
        cancelled: a.cancelled.saturating_add(b.cancelled),
    }
}

impl MaintenanceTrack {
    /// What the windows count of `counts`, read between samples: everything but what was left
    /// out, and while `under` a maintenance, but what has come since the last sample too.
    pub(crate) fn kept(&self, counts: &Counts, under: bool) -> Counts {
        let mut excluded = self.excluded;
        if under {
            excluded = plus(&excluded, &minus(counts, &self.seen));
        }
        minus(counts, &excluded)
    }

    /// What has been left out of `counts`, read between samples.
    pub(crate) fn left_out(&self, counts: &Counts, under: bool) -> Counts {
        minus(counts, &self.kept(counts, under))
    }

    /// Samples `counts`: the events since the last sample are left out while `under` a
    /// maintenance. Returns what the windows count.
    pub(crate) fn sample(&mut self, counts: &Counts, under: bool) -> Counts {
        let kept = self.kept(counts, under);
        self.excluded = minus(counts, &kept);
        self.seen = *counts;
        kept
    }
}
