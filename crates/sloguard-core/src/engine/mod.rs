//! The evaluator: ticks on real or virtual time and alert edges. Fan-out to sinks and
//! observers is in `fanout`, reading the tables into a [`Snapshot`](crate::snapshot::Snapshot)
//! in `read`.
//!
//! A tick reads every SLO's counters once, samples them into its windows, evaluates burn
//! rates, budget and tier conditions, feeds each tier's state machine, delivers the
//! transitions to the sinks, and hands the same evaluations, as one snapshot, to the tick
//! observers. Sinks and observers are users' code: each call is guarded, a panic is caught,
//! counted and reported once.
//!
//! ```
//! use sloguard_core::{Outcome, Registry, clock::{Timestamp, VirtualClock}, model::{Slo, Severity}};
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//!
//! let clock = VirtualClock::new(Timestamp::from_unix_secs(1_767_225_600));
//! let pages = Arc::new(Mutex::new(Vec::new()));
//! let sink = { let pages = pages.clone(); move |t: &sloguard_core::alert::AlertTransition| pages.lock().unwrap().push(t.clone()) };
//! let registry = Registry::builder("payments").clock(clock.clock()).alert_sink(sink).build();
//! let slo = registry.register(Slo::availability("availability").build().unwrap()).unwrap();
//!
//! // A total outage: every request fails for two minutes.
//! let start = clock.now();
//! for second in 1..=120 {
//!     registry.advance_to(start.saturating_add(Duration::from_secs(second)));
//!     slo.record(Outcome::Error, Duration::from_millis(20));
//! }
//! registry.advance_to(start.saturating_add(Duration::from_secs(130)));
//! assert!(registry.snapshot().slo("availability").unwrap().firing(Severity::Page));
//! assert_eq!(pages.lock().unwrap()[0].tier_id, "page-1h");
//! ```

mod fanout;
mod read;

use read::slo_snapshot;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;

use crate::alert::{sla_transition, transition, AlertState, AlertTransition, SLA_TIERS};
use crate::clock::{duration_nanos, Timestamp};
use crate::compliance::utc_days;
use crate::compliance::ComplianceWindow;
use crate::diagnostic::{code, Diagnostic};
use crate::evaluate::{evaluate, Evaluation};
use crate::incidents::{first_bad_minute, SloFacts};
use crate::recorder::Counts;
use crate::registry::{EvalState, Registry, SloEntry};
use crate::sync::{lock, read};
use crate::window::Reading;

/// The cumulative reading the windows take from the counts.
fn reading(counts: &Counts) -> Reading {
    Reading {
        total: counts.events(),
        bad: counts.bad,
    }
}

/// What the windows of an SLO count, live at `now`: its events (those left out for a
/// maintenance aside), or for a time-slice SLO the slices closed by `now` (judged on a copy,
/// so a read between ticks changes nothing).
pub(crate) fn judged(
    entry: &SloEntry,
    state: &EvalState,
    now: Timestamp,
    counts: &Counts,
    under: bool,
) -> Reading {
    let kept = state.maintenance.kept(counts, under);
    advance_slices(entry, &mut state.slices.clone(), now, &kept)
}

/// Moves a time-slice SLO's slice state to `now` and returns what its windows count; for
/// other SLOs, the event reading itself.
fn advance_slices(
    entry: &SloEntry,
    slices: &mut Option<crate::slices::SliceTrack>,
    now: Timestamp,
    counts: &Counts,
) -> Reading {
    match (slices, entry.definition.time_slices()) {
        (Some(track), Some(rule)) => track.observe(rule, now.as_unix_nanos(), reading(counts)),
        _ => reading(counts),
    }
}

/// One SLO evaluated at `now` from its state and the live reading of what its windows count.
fn evaluate_entry(
    entry: &SloEntry,
    state: &EvalState,
    now: Timestamp,
    live: Reading,
) -> Evaluation {
    evaluate(
        &entry.definition,
        &entry.window_list,
        &state.windows,
        now,
        live,
    )
}

/// Samples an SLO's live reading into its slices, calendar periods, daily bars and windows
/// (while `under` a maintenance, without the events since the last sample), and returns what
/// its windows count.
fn sample(
    entry: &SloEntry,
    state: &mut EvalState,
    now: Timestamp,
    counts: &Counts,
    under: bool,
) -> Reading {
    sample_before(entry, state, now, counts, now, under)
}

/// [`sample`] of a past reading in a rebuild that goes on to `until` (see
/// [`Registry::backfill_at`]).
fn sample_before(
    entry: &SloEntry,
    state: &mut EvalState,
    now: Timestamp,
    counts: &Counts,
    until: Timestamp,
    under: bool,
) -> Reading {
    let counts = &state.maintenance.sample(counts, under);
    let live = advance_slices(entry, &mut state.slices, now, counts);
    let last = state.windows.last;
    for (track, calendar) in state.calendars.iter_mut().zip(entry.definition.calendars()) {
        track.observe(calendar, last, now.as_unix_nanos(), live);
    }
    state
        .days
        .observe(utc_days(), last, now.as_unix_nanos(), live);
    state
        .windows
        .observe_before(now.as_unix_nanos(), live, until.as_unix_nanos());
    live
}

/// The state of one of an SLO's calendar windows at `now`.
fn calendar_view(
    entry: &SloEntry,
    state: &EvalState,
    index: usize,
    now: Timestamp,
    live: Reading,
) -> ComplianceWindow {
    state.calendars[index].view(
        &entry.definition,
        &entry.definition.calendars()[index],
        now.as_unix_nanos(),
        live,
    )
}

/// What the incident log needs of an SLO after this evaluation: whether it fires, its peak
/// burn and error ratio, and when it started to go bad if a tier fired now.
fn slo_facts(
    entry: &SloEntry,
    state: &EvalState,
    evaluation: &Evaluation,
    live: Reading,
    fired: bool,
    now: Timestamp,
) -> SloFacts {
    let budget = entry.definition.objective().error_budget();
    let firing_tiers = || {
        entry
            .definition
            .alerting()
            .tiers
            .iter()
            .zip(&state.tiers)
            .filter(|(_, s)| s.firing)
            .map(|(tier, _)| tier)
    };
    SloFacts {
        name: entry.definition.name().to_owned(),
        live,
        first_bad: fired.then(|| first_bad_minute(&state.windows, budget, now, live)),
        budget,
        period_events: evaluation.period.events,
        firing: state.tiers.iter().any(|t| t.firing),
        peak: firing_tiers()
            .filter_map(|tier| evaluation.window(tier.long_window)?.burn_rate)
            .reduce(f64::max),
        peak_error: firing_tiers()
            .filter_map(|tier| evaluation.window(tier.short_window))
            .filter(|w| w.events > 0)
            .map(|w| w.bad_events as f64 / w.events as f64)
            .reduce(f64::max),
    }
}

/// Whether `entry` leaves its events out at `now`: a window covering it is active and it does
/// not count maintenance.
pub(crate) fn leaves_out(
    entry: &SloEntry,
    schedule: &crate::maintenance::MaintenanceLog,
    now: Timestamp,
) -> bool {
    entry.definition.maintenance() == crate::model::MaintenancePolicy::Exclude
        && schedule.active(entry.definition.name(), now)
}

impl Registry {
    /// Runs the evaluator now, at the clock's time.
    pub fn tick(&self) {
        self.tick_at(self.inner.clock.now());
    }

    /// Runs the evaluator as of `now`: samples every SLO into its windows, evaluates, updates
    /// alert state, delivers transitions to the sinks and the snapshot to the observers.
    ///
    /// A panic inside (a bug, or state no check foresaw) is caught, counted and reported as an
    /// `evaluation_panicked` diagnostic: the caller (the sampler thread, a virtual-time loop)
    /// goes on, and so does the next evaluation, instead of silently stopping for good.
    pub fn tick_at(&self, now: Timestamp) {
        if catch_unwind(AssertUnwindSafe(|| self.evaluate_at(now))).is_err() {
            let count = self.inner.evaluation_panics.fetch_add(1, Ordering::Relaxed) + 1;
            self.report(Diagnostic::service(
                code::EVALUATION_PANICKED,
                format!("{count} evaluation(s) panicked and were caught; the figures of those ticks are missing (please report this bug)"),
            ));
        }
    }

    /// Samples every SLO's counts into its windows, calendar periods and daily bars as of
    /// `now`, without evaluating: how a registry fed from history (`sloguard serve` reading a
    /// metrics engine's past at start) rebuilds its windows. No alert state changes, no sink
    /// hears of the past, no incident opens; the next [`Registry::tick_at`] judges it all.
    /// Times must not go backwards (an earlier `now` samples nothing).
    ///
    /// `until` is the time the rebuild goes on to (its last sample or the evaluation after
    /// it, never earlier): windows too short to reach back from `until` to `now` are left for
    /// later samples to write, so a rebuild costs what its windows keep, not its length times
    /// the finest window. With `until == now` every window is written.
    pub fn backfill_at(&self, now: Timestamp, until: Timestamp) {
        let until = until.max(now);
        let schedule = lock(&self.inner.maintenance).clone();
        for entry in self.entries() {
            let counts = entry.recorder.counts();
            let under = leaves_out(&entry, &schedule, now);
            let mut state = lock(&entry.state);
            sample_before(&entry, &mut state, now, &counts, until, under);
        }
    }

    fn evaluate_at(&self, now: Timestamp) {
        self.inner
            .last_tick
            .fetch_max(now.as_unix_nanos(), Ordering::Relaxed);
        let observed = !read(&self.inner.observers).is_empty();
        let mut transitions = Vec::new();
        let mut views = Vec::new();
        let mut facts = Vec::new();
        let schedule = lock(&self.inner.maintenance).clone();
        for entry in self.entries() {
            let counts = entry.recorder.counts();
            let under = leaves_out(&entry, &schedule, now);
            let mut state = lock(&entry.state);
            let state = &mut *state;
            let live = sample(&entry, state, now, &counts, under);
            let evaluation = evaluate_entry(&entry, state, now, live);
            state.evaluated_at = Some(now);
            // A source that cannot see the SLO is no news: its alerts hold as they were
            // (never resolved by an absence of events), until the source sees again.
            let blind = state.blind.is_some();
            let heard: Vec<bool> = state.tiers.iter().map(|t| t.firing).collect();
            let edges = if blind {
                Vec::new()
            } else {
                self.tier_edges(&entry, state, &evaluation, now, live)
            };
            let edges = self.held(&entry, state, &evaluation, heard, edges, under, now);
            let fired = edges
                .iter()
                .any(|t| t.state == AlertState::Firing && !t.is_resumed());
            facts.push(slo_facts(&entry, state, &evaluation, live, fired, now));
            transitions.extend(edges);
            if !blind {
                transitions.extend(self.sla_edges(&entry, state, now, live));
            }
            if observed {
                views.push(slo_snapshot(
                    &entry,
                    state,
                    (counts, under),
                    live,
                    evaluation,
                    now,
                ));
            }
        }
        lock(&self.inner.incidents).update(now, &transitions, &facts);
        if !transitions.is_empty() {
            self.deliver(&transitions);
        }
        if observed {
            let snapshot = self.assemble(now, views);
            self.notify_observers(&snapshot);
        }
    }

    /// The burn-rate tiers' state machines fed with this evaluation: their transitions,
    /// quoting the alerting calendar window's budget where the SLO names one.
    fn tier_edges(
        &self,
        entry: &SloEntry,
        state: &mut EvalState,
        evaluation: &Evaluation,
        now: Timestamp,
        live: Reading,
    ) -> Vec<AlertTransition> {
        let quoted = entry
            .definition
            .alerting_window_index()
            .map(|index| calendar_view(entry, state, index, now, live));
        let mut edges = Vec::new();
        for (i, holds) in evaluation.conditions.iter().enumerate() {
            let resumed = std::mem::take(&mut state.tiers[i].resumed);
            let edge = state.tiers[i].update(*holds, now).or_else(|| {
                // Restored firing and still holding: resumed, since it started.
                (resumed && state.tiers[i].firing).then(|| state.tiers[i].since.unwrap_or(now))
            });
            if let Some(firing_since) = edge {
                let mut t = transition(
                    &self.inner.service,
                    &entry.definition,
                    i,
                    evaluation,
                    firing_since,
                );
                if let Some(window) = &quoted {
                    t.quote_window(window);
                }
                edges.push(t);
            }
        }
        edges
    }

    /// The burn-rate edges the sinks and the incident log hear, under maintenance holding
    /// (see [`crate::maintenance`]): none while it holds; when it ends, one per tier whose
    /// state differs from what they last heard (`heard`: the tiers before this evaluation).
    #[allow(clippy::too_many_arguments)]
    fn held(
        &self,
        entry: &SloEntry,
        state: &mut EvalState,
        evaluation: &Evaluation,
        heard: Vec<bool>,
        edges: Vec<AlertTransition>,
        under: bool,
        now: Timestamp,
    ) -> Vec<AlertTransition> {
        if under {
            state.maintenance.held.get_or_insert(heard);
            return Vec::new();
        }
        let Some(heard) = state.maintenance.held.take() else {
            return edges;
        };
        let mut told = Vec::new();
        for (i, (tier, was)) in state.tiers.iter().zip(heard).enumerate() {
            if tier.firing != was && i < evaluation.conditions.len() {
                // A page that still holds is a new page now; a resolution ends the episode
                // the sinks knew.
                let since = if tier.firing {
                    now
                } else {
                    tier.since.unwrap_or(now)
                };
                told.push(transition(
                    &self.inner.service,
                    &entry.definition,
                    i,
                    evaluation,
                    since,
                ));
            }
        }
        told
    }

    /// The SLA's state machines (at risk, breached) fed with its calendar window's state.
    fn sla_edges(
        &self,
        entry: &SloEntry,
        state: &mut EvalState,
        now: Timestamp,
        live: Reading,
    ) -> Vec<AlertTransition> {
        let definition = &entry.definition;
        let Some(index) = definition.sla().and_then(|sla| {
            definition
                .calendars()
                .iter()
                .position(|c| c == sla.calendar())
        }) else {
            return Vec::new();
        };
        let window = calendar_view(entry, state, index, now, live);
        let status = window.sla.as_ref().map(|s| s.status);
        let mut edges = Vec::new();
        for (i, (_, _, firing_status)) in SLA_TIERS.iter().enumerate() {
            let holds = status == Some(*firing_status);
            let resumed = std::mem::take(&mut state.sla_tiers[i].resumed);
            let tier = &mut state.sla_tiers[i];
            let edge = tier
                .update(holds, now)
                .or_else(|| (resumed && tier.firing).then(|| tier.since.unwrap_or(now)));
            if let Some(since) = edge {
                edges.extend(sla_transition(
                    &self.inner.service,
                    definition,
                    i,
                    &window,
                    now,
                    since,
                ));
            }
        }
        edges
    }

    /// Runs every tick due up to `t` (ticks fall on multiples of the tick interval), each at
    /// its own time, then leaves a virtual clock at `t`. This is how tests, replays and
    /// accelerated demos drive the engine on virtual time; on the system clock it only runs
    /// the ticks whose time has come.
    pub fn advance_to(&self, t: Timestamp) {
        let inner = &self.inner;
        let mut next = lock(&inner.next_tick);
        let t = t.as_unix_nanos();
        // Ticks run by `tick` (a sampler, a caller) move the grid on: no evaluation at a time
        // already evaluated, which could only report the past again.
        let last = inner.last_tick.load(Ordering::Relaxed);
        if last > 0 {
            *next = (*next).max(
                (last / inner.tick)
                    .saturating_add(1)
                    .saturating_mul(inner.tick),
            );
        }
        // Past the horizon after where this advance starts, every window and period has left
        // the events recorded so far behind, and further ticks would repeat one state: a
        // longer gap jumps to its last grid point (windows and calendars interpolate a gap, as
        // they do for a suspended process), so its cost is bounded whatever its length.
        // (The horizon is at least three days: shorter advances, the usual ones, skip it.)
        let through = if t.saturating_sub(*next) > 3 * 86_400 * 1_000_000_000 {
            next.saturating_add(duration_nanos(self.horizon()))
        } else {
            u64::MAX
        };
        let last_grid_point = t / inner.tick * inner.tick;
        while *next <= t {
            if *next > through && *next < last_grid_point {
                *next = last_grid_point;
            }
            let at = Timestamp::from_unix_nanos(*next);
            inner.clock.set_if_virtual(at);
            self.tick_at(at);
            match next.checked_add(inner.tick) {
                Some(following) => *next = following,
                None => break,
            }
        }
        inner.clock.set_if_virtual(Timestamp::from_unix_nanos(t));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

    use std::sync::Arc;

    use super::*;
    use crate::model::Slo;

    #[test]
    fn a_failing_sink_is_a_diagnostic() {
        struct Failing;
        impl crate::alert::AlertSink for Failing {
            fn notify(&self, _: &AlertTransition) {}
            fn problem(&self) -> Option<String> {
                Some("2 notifications dropped".into())
            }
        }
        let registry = Registry::builder("payments")
            .alert_sink(Failing)
            .alert_sink(())
            .build();
        let snapshot = registry.snapshot();
        assert_eq!(snapshot.diagnostics.len(), 1, "{:?}", snapshot.diagnostics);
        assert_eq!(snapshot.diagnostics[0].code, code::SINK_FAILING);
        assert_eq!(snapshot.diagnostics[0].message, "2 notifications dropped");
    }

    #[test]
    fn observers_get_each_tick_until_removed() {
        let registry = Registry::builder("payments").build();
        registry
            .register(Slo::availability("availability").build().expect("valid"))
            .expect("registered");
        let seen = Arc::new(AtomicU64::new(0));
        let id = {
            let seen = Arc::clone(&seen);
            registry.on_tick(move |s| {
                assert!(
                    s.slos[0].evaluated_at.is_some(),
                    "the tick's own evaluation"
                );
                seen.fetch_add(1, Ordering::Relaxed);
            })
        };
        registry.tick();
        registry.tick();
        assert!(registry.remove_observer(id));
        assert!(!registry.remove_observer(id));
        registry.tick();
        assert_eq!(seen.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_panicking_evaluation_is_caught_reported_and_the_next_one_runs() {
        let clock = crate::clock::VirtualClock::new(Timestamp::from_unix_secs(1_800_000_000));
        let registry = Registry::builder("payments").clock(clock.clock()).build();
        registry
            .register(Slo::availability("availability").build().expect("valid"))
            .expect("registered");
        registry.tick();
        // Break the rings' invariant (no loaded file can, since loading checks them): an
        // evaluation at the same time reads them as they are, and panics.
        let entry = Arc::clone(&registry.entries()[0]);
        let lengths: Vec<u64> = lock(&entry.state)
            .windows
            .rings
            .iter_mut()
            .map(|ring| std::mem::replace(&mut ring.len, 0))
            .collect();
        registry.tick();
        // (The snapshot reads the rings too: they are made sound again before it is taken.)
        for (ring, len) in lock(&entry.state).windows.rings.iter_mut().zip(lengths) {
            ring.len = len;
        }
        let snapshot = registry.snapshot();
        let caught = snapshot
            .diagnostics
            .iter()
            .find(|d| d.code == code::EVALUATION_PANICKED)
            .expect("the panic is a diagnostic");
        assert!(
            caught.message.starts_with("1 evaluation(s) panicked"),
            "{}",
            caught.message
        );
        // Evaluation goes on.
        clock.advance(std::time::Duration::from_secs(10));
        registry.tick();
        assert_eq!(registry.snapshot().slos[0].evaluated_at, Some(clock.now()));
    }
}
