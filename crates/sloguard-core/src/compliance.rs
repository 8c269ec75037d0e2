//! Calendar compliance windows and SLAs: the budget of the current week, month or quarter
//! (whole at its start), the achieved SLI of past periods, and whether the SLA is met, at risk
//! or breached.
//!
//! Exact and cheap: a calendar period's counts are the live cumulative counts minus the ones
//! taken at its first instant, so each window holds one reading and its past periods, never a
//! 30-day range. The first instant is on the sampler's grid (local midnights are whole
//! minutes), so the reading there is the one the sampler takes; a missed tick is interpolated
//! as the rolling windows do. Memory is fixed: [`HISTORY`] past periods per window.
//!
//! ```
//! use sloguard_core::{Outcome, Registry, clock::{Timestamp, VirtualClock}};
//! use sloguard_core::model::{Calendar, Sla, Slo};
//! use std::time::Duration;
//!
//! // 2026-01-31 00:00 UTC; a 99.5% SLA per calendar month.
//! let clock = VirtualClock::new(Timestamp::from_unix_secs(1_769_817_600));
//! let registry = Registry::builder("shop").clock(clock.clock()).build();
//! let sla = Sla::new(99.5, Calendar::month("UTC").unwrap()).unwrap();
//! let slo = registry.register(Slo::availability("checkout").sla(sla).build().unwrap()).unwrap();
//! for _ in 0..100 { slo.record(Outcome::Error, Duration::from_millis(5)); }
//! registry.advance_to(Timestamp::from_unix_secs(1_769_817_600 + 86_400 + 60)); // into February
//! for _ in 0..1000 { slo.record(Outcome::Success, Duration::from_millis(5)); }
//! let snapshot = registry.snapshot();
//! let month = &snapshot.slo("checkout").unwrap().compliance[0];
//! assert_eq!((month.name, month.events, month.bad_events), ("month", 1000, 0));
//! assert_eq!(month.past[0].bad_events, 100); // January: breached
//! assert_eq!(month.sla.as_ref().unwrap().past[0], sloguard_core::compliance::SlaStatus::Breached);
//! ```

use std::collections::VecDeque;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::model::{Calendar, SloDefinition};
use crate::window::{interpolate, Reading};

/// Past periods kept per calendar window: five years of months or quarters, over a year of
/// weeks.
pub const HISTORY: usize = 60;

/// Past days kept per SLO for the status page's daily bars (with today: 90 bars).
pub const DAILY_HISTORY: usize = 89;

/// UTC days: the calendar of the daily bars (kept by every SLO, beside its own calendars).
pub(crate) fn utc_days() -> &'static Calendar {
    static DAYS: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
    DAYS.get_or_init(|| {
        // UTC is always in the time-zone database jiff bundles.
        Calendar::day("UTC").unwrap_or_else(|_| unreachable!("UTC is a time zone"))
    })
}

/// The counts of one finished calendar period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PastPeriod {
    /// Its first instant.
    pub start: Timestamp,
    /// The first instant of the next period.
    pub end: Timestamp,
    /// Events judged in it.
    pub events: u64,
    /// Bad events in it.
    pub bad_events: u64,
}

impl PastPeriod {
    /// The achieved SLI (share of good events), `None` without events.
    pub fn sli(&self) -> Option<f64> {
        (self.events > 0).then(|| 1.0 - self.bad_events as f64 / self.events as f64)
    }
}

/// Where an SLA stands for one period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlaStatus {
    /// The objective holds (for the current period: at the current pace it will).
    Met,
    /// The current period: at the current pace its budget runs out before the period ends,
    /// though it can still be met.
    AtRisk,
    /// The objective cannot hold any more (or, for a past period, did not).
    Breached,
    /// No events to judge.
    NoData,
}

impl SlaStatus {
    /// The alert name of an SLA notification for this state (see
    /// [`SLA_AT_RISK_ALERT`](crate::contract::SLA_AT_RISK_ALERT)).
    pub const fn alert_name(self) -> &'static str {
        match self {
            SlaStatus::Breached => crate::contract::SLA_BREACHED_ALERT,
            _ => crate::contract::SLA_AT_RISK_ALERT,
        }
    }

    /// Every state, in the order exporters list them.
    pub const ALL: [SlaStatus; 4] = [
        SlaStatus::Met,
        SlaStatus::AtRisk,
        SlaStatus::Breached,
        SlaStatus::NoData,
    ];

    /// `met`, `at_risk`, `breached`, `no_data`: the contract's words.
    pub fn as_str(self) -> &'static str {
        match self {
            SlaStatus::Met => "met",
            SlaStatus::AtRisk => "at_risk",
            SlaStatus::Breached => "breached",
            SlaStatus::NoData => "no_data",
        }
    }
}

/// The SLA's state on a compliance window.
#[derive(Clone, Debug, PartialEq)]
pub struct SlaState {
    /// The SLA objective as a ratio.
    pub objective: f64,
    /// The current period.
    pub status: SlaStatus,
    /// Each past period's outcome, newest first (as [`ComplianceWindow::past`]).
    pub past: Vec<SlaStatus>,
}

/// One calendar compliance window of an SLO, as of a snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct ComplianceWindow {
    /// `week`, `month` or `quarter`.
    pub name: &'static str,
    /// The time zone its periods are cut in.
    pub zone: String,
    /// The current period's first instant.
    pub start: Timestamp,
    /// The next period's first instant.
    pub end: Timestamp,
    /// Events so far in the current period.
    pub events: u64,
    /// Bad events so far.
    pub bad_events: u64,
    /// Share of the period's budget left: 1 at its start; the bad events so far against the
    /// budget of the traffic the period is on pace for. Below 0 when overspent.
    pub budget_remaining: f64,
    /// At the current pace, when the budget runs out, if before the period ends.
    pub time_to_exhaustion: Option<Duration>,
    /// Past periods, newest first, at most [`HISTORY`].
    pub past: Vec<PastPeriod>,
    /// The SLA, when it is judged on this window.
    pub sla: Option<SlaState>,
}

impl ComplianceWindow {
    /// The achieved SLI so far, `None` without events.
    pub fn sli(&self) -> Option<f64> {
        (self.events > 0).then(|| 1.0 - self.bad_events as f64 / self.events as f64)
    }
}

/// Share of a budget spent so far, against the traffic the period is on pace for.
fn spent(events: u64, bad: u64, budget: f64, elapsed: f64, length: f64) -> f64 {
    if events == 0 || length <= 0.0 {
        return 0.0;
    }
    bad as f64 / events as f64 / budget * (elapsed / length).clamp(0.0, 1.0)
}

fn judge_current(events: u64, bad: u64, budget: f64, elapsed: f64, length: f64) -> SlaStatus {
    if events == 0 {
        return SlaStatus::NoData;
    }
    if spent(events, bad, budget, elapsed, length) >= 1.0 {
        SlaStatus::Breached
    } else if bad as f64 / events as f64 > budget {
        SlaStatus::AtRisk
    } else {
        SlaStatus::Met
    }
}

fn judge_past(period: &PastPeriod, budget: f64) -> SlaStatus {
    match period.sli() {
        None => SlaStatus::NoData,
        Some(_) if period.bad_events as f64 > budget * period.events as f64 => SlaStatus::Breached,
        Some(_) => SlaStatus::Met,
    }
}

/// The evaluator's state for one calendar window.
#[derive(Clone, Debug)]
pub(crate) struct CalendarTrack {
    pub(crate) start: u64,
    pub(crate) end: u64,
    /// The cumulative reading at `start`.
    pub(crate) base: Reading,
    /// Newest first.
    pub(crate) past: VecDeque<PastPeriod>,
    /// How many past periods are kept.
    pub(crate) keep: usize,
}

impl CalendarTrack {
    pub(crate) fn new(calendar: &Calendar, now: u64, reading: Reading) -> Self {
        CalendarTrack::keeping(HISTORY, calendar, now, reading)
    }

    /// A track that keeps `keep` past periods.
    pub(crate) fn keeping(keep: usize, calendar: &Calendar, now: u64, reading: Reading) -> Self {
        let (start, end) = calendar.bounds(Timestamp::from_unix_nanos(now));
        CalendarTrack {
            start: start.as_unix_nanos(),
            end: end.as_unix_nanos(),
            base: reading,
            past: VecDeque::with_capacity(keep),
            keep,
        }
    }

    /// This track keeping `keep` past periods (the newest ones).
    pub(crate) fn kept(mut self, keep: usize) -> Self {
        self.past.truncate(keep);
        self.keep = keep;
        self
    }

    /// The current period so far, then the past ones, newest first: the daily bars.
    pub(crate) fn periods(&self, live: Reading) -> Vec<PastPeriod> {
        let current = PastPeriod {
            start: Timestamp::from_unix_nanos(self.start),
            end: Timestamp::from_unix_nanos(self.end),
            events: live.total.saturating_sub(self.base.total),
            bad_events: live.bad.saturating_sub(self.base.bad),
        };
        std::iter::once(current)
            .chain(self.past.iter().copied())
            .collect()
    }

    /// Closes every period that ended by `now`, each at the reading at its end (on the line
    /// from the last sample to this one).
    pub(crate) fn observe(
        &mut self,
        calendar: &Calendar,
        last: (u64, Reading),
        now: u64,
        reading: Reading,
    ) {
        // Bounded: a gap of more than `keep` periods keeps only the newest ones anyway.
        let mut closed = 0;
        while now >= self.end && closed <= self.keep {
            let at_end = interpolate(last, (now, reading), self.end);
            if self.past.len() >= self.keep {
                self.past.pop_back();
            }
            self.past.push_front(PastPeriod {
                start: Timestamp::from_unix_nanos(self.start),
                end: Timestamp::from_unix_nanos(self.end),
                events: at_end.total.saturating_sub(self.base.total),
                bad_events: at_end.bad.saturating_sub(self.base.bad),
            });
            self.base = at_end;
            let (start, end) = calendar.bounds(Timestamp::from_unix_nanos(self.end));
            self.start = start.as_unix_nanos();
            self.end = end.as_unix_nanos().max(self.start + 1);
            closed += 1;
        }
        if closed > self.keep {
            // A gap longer than the history: start afresh in the period holding `now`.
            *self = CalendarTrack {
                past: std::mem::take(&mut self.past),
                ..CalendarTrack::keeping(self.keep, calendar, now, reading)
            };
        }
    }

    /// After restored windows replace the live ones, for a calendar the state file did not
    /// hold (added since it was written): the current period's base read from the rings (to
    /// their resolution; a period older than they reach counts from their oldest sample).
    pub(crate) fn rebase(&mut self, calendar: &Calendar, windows: &crate::window::Windows) {
        let (at, reading) = windows.last;
        *self = CalendarTrack::keeping(self.keep, calendar, at, reading);
        let since = windows.window(
            at,
            reading,
            Duration::from_nanos(at.saturating_sub(self.start)),
        );
        self.base = Reading {
            total: reading.total.saturating_sub(since.total),
            bad: reading.bad.saturating_sub(since.bad),
        };
    }

    /// The window as of `now` with the live reading.
    pub(crate) fn view(
        &self,
        definition: &SloDefinition,
        calendar: &Calendar,
        now: u64,
        live: Reading,
    ) -> ComplianceWindow {
        let events = live.total.saturating_sub(self.base.total);
        let bad = live.bad.saturating_sub(self.base.bad).min(events);
        let length = self.end.saturating_sub(self.start) as f64;
        let elapsed = now.saturating_sub(self.start) as f64;
        let budget = definition.objective().error_budget();
        let used = spent(events, bad, budget, elapsed, length);
        let time_to_exhaustion = (used > 0.0 && used < 1.0 && elapsed > 0.0)
            .then(|| (1.0 - used) / used * elapsed)
            .filter(|left| elapsed + left < length)
            .map(|nanos| Duration::from_nanos(nanos as u64));
        let sla = definition
            .sla()
            .filter(|sla| sla.calendar() == calendar)
            .map(|sla| {
                let budget = sla.objective().error_budget();
                SlaState {
                    objective: sla.objective().ratio(),
                    status: judge_current(events, bad, budget, elapsed, length),
                    past: self.past.iter().map(|p| judge_past(p, budget)).collect(),
                }
            });
        ComplianceWindow {
            name: calendar.name(),
            zone: calendar.zone().to_owned(),
            start: Timestamp::from_unix_nanos(self.start),
            end: Timestamp::from_unix_nanos(self.end),
            events,
            bad_events: bad,
            budget_remaining: 1.0 - used,
            time_to_exhaustion,
            past: self.past.iter().copied().collect(),
            sla,
        }
    }
}
