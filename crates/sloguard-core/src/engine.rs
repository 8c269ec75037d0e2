//! The evaluator: ticks on real or virtual time, alert edges, and fan-out to sinks and
//! observers; and reading the tables into a [`Snapshot`].
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

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::alert::{sla_transition, transition, AlertState, AlertTransition, SLA_TIERS};
use crate::clock::{duration_nanos, Timestamp};
use crate::compliance::utc_days;
use crate::contract;
use crate::diagnostic::{code, nearest, Diagnostic};
use crate::evaluate::{evaluate, Evaluation};
use crate::incidents::{first_bad_minute, SloFacts};
use crate::model::{Selector, OTHER_OPERATION};
use crate::recorder::Counts;
use crate::registry::{EvalState, Registry, SloEntry};
use crate::snapshot::{GaugeSeries, HistogramSeries, SloSnapshot, Snapshot, TierStatus};
use crate::sync::{lock, read};
use crate::window::Reading;

/// The cumulative reading the windows take from the counts.
fn reading(counts: &Counts) -> Reading {
    Reading {
        total: counts.events(),
        bad: counts.bad,
    }
}

/// What the windows of an SLO count, live at `now`: its events, or for a time-slice SLO the
/// slices closed by `now` (judged on a copy, so a read between ticks changes nothing).
pub(crate) fn judged(
    entry: &SloEntry,
    state: &EvalState,
    now: Timestamp,
    counts: &Counts,
) -> Reading {
    advance_slices(entry, &mut state.slices.clone(), now, counts)
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

/// The view of one SLO, from an evaluation made under its state lock.
fn slo_snapshot(
    entry: &SloEntry,
    state: &EvalState,
    counts: Counts,
    live: Reading,
    evaluation: Evaluation,
    now: Timestamp,
) -> SloSnapshot {
    let compliance = entry
        .definition
        .calendars()
        .iter()
        .zip(&state.calendars)
        .map(|(calendar, track)| {
            let now = now.as_unix_nanos();
            if now >= track.end {
                // Read between ticks, past a period's end: close it as the next tick will.
                let mut track = track.clone();
                track.observe(calendar, state.windows.last, now, live);
                track.view(&entry.definition, calendar, now, live)
            } else {
                track.view(&entry.definition, calendar, now, live)
            }
        })
        .collect();
    let alerts = entry
        .definition
        .alerting()
        .tiers
        .iter()
        .zip(&state.tiers)
        .map(|(tier, s)| TierStatus {
            id: tier.id(),
            tier: tier.clone(),
            firing: s.firing,
            since: s.since,
        })
        .collect();
    SloSnapshot {
        definition: Arc::clone(&entry.definition),
        counts,
        evaluation,
        alerts,
        evaluated_at: state.evaluated_at,
        compliance,
        days: {
            let mut days = state.days.clone();
            days.observe(utc_days(), state.windows.last, now.as_unix_nanos(), live);
            days.periods(live)
        },
    }
}

/// The diagnostics a snapshot shows by itself: SLOs without events while the service has
/// traffic (with the routes a selector most likely meant), and caught sink panics.
fn derive(
    slos: &[SloSnapshot],
    histograms: &[HistogramSeries],
    sink_panics: u64,
) -> Vec<Diagnostic> {
    let route_label = contract::HTTP_REQUEST_DURATION.labels[1];
    let mut routes: Vec<&str> = histograms
        .iter()
        .filter(|h| h.name == contract::HTTP_REQUEST_DURATION.name && h.histogram.count() > 0)
        .filter_map(|h| h.labels.iter().find(|(k, _)| k == route_label))
        .map(|(_, v)| v.as_str())
        .filter(|r| *r != OTHER_OPERATION)
        .collect();
    routes.sort_unstable();
    routes.dedup();
    let traffic = !routes.is_empty() || slos.iter().any(|s| s.evaluation.period.events > 0);
    let mut out = Vec::new();
    for slo in slos
        .iter()
        .filter(|s| traffic && s.evaluation.period.events == 0)
    {
        let name = slo.definition.name();
        let selected = match slo.definition.operations() {
            Selector::Routes(selected) => Some(selected.clone()),
            Selector::Prefix(prefix) => Some(vec![prefix.clone()]),
            _ => None,
        };
        let message = match selected {
            Some(selected) if !routes.is_empty() => {
                let mut near = Vec::new();
                for s in &selected {
                    for r in nearest(s, &routes, 3) {
                        if !near.contains(&r) {
                            near.push(r);
                        }
                    }
                }
                let syntax = if selected.iter().any(|s| s.contains(':') || s.contains('*')) {
                    " Route templates are written as the router writes them: axum 0.8 writes `/users/{id}`, not `/users/:id`."
                } else {
                    ""
                };
                out.push(Diagnostic::slo(
                    code::SELECTOR_MATCHES_NOTHING,
                    name,
                    format!(
                        "it selects {selected:?}, which no request with traffic matched; the nearest routes that had traffic are {near:?}.{syntax}"
                    ),
                ));
                continue;
            }
            _ => "it has had no events over its period while the service had traffic: check that its operations reach it (the layer inside the router, an #[sli] naming it, or records of your own)".to_owned(),
        };
        out.push(Diagnostic::slo(code::SLO_WITHOUT_EVENTS, name, message));
    }
    if sink_panics > 0 {
        out.push(Diagnostic::service(
            code::SINK_PANICKED,
            format!("{sink_panics} panic(s) in alert sinks or tick observers were caught; their notifications may be missing"),
        ));
    }
    out
}

impl Registry {
    /// The recent past of an SLO, for charts (see [`crate::history`]); `None` for an unknown
    /// name.
    pub fn history(&self, name: &str) -> Option<crate::history::SloHistory> {
        let entry = self
            .entries()
            .into_iter()
            .find(|e| e.definition.name() == name)?;
        let now = self.inner.clock.now().as_unix_nanos();
        let counts = entry.recorder.counts();
        let state = lock(&entry.state);
        let live = judged(&entry, &state, Timestamp::from_unix_nanos(now), &counts);
        Some(crate::history::history(
            &entry.definition,
            &state.windows,
            now,
            live,
        ))
    }

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

    fn evaluate_at(&self, now: Timestamp) {
        self.inner
            .last_tick
            .fetch_max(now.as_unix_nanos(), Ordering::Relaxed);
        let observed = !read(&self.inner.observers).is_empty();
        let mut transitions = Vec::new();
        let mut views = Vec::new();
        let mut facts = Vec::new();
        for entry in self.entries() {
            let counts = entry.recorder.counts();
            let mut state = lock(&entry.state);
            let state = &mut *state;
            let live = advance_slices(&entry, &mut state.slices, now, &counts);
            let last = state.windows.last;
            for (track, calendar) in state.calendars.iter_mut().zip(entry.definition.calendars()) {
                track.observe(calendar, last, now.as_unix_nanos(), live);
            }
            state
                .days
                .observe(utc_days(), last, now.as_unix_nanos(), live);
            state.windows.observe(now.as_unix_nanos(), live);
            let evaluation = evaluate_entry(&entry, state, now, live);
            state.evaluated_at = Some(now);
            let view = |state: &EvalState, index: usize| {
                state.calendars[index].view(
                    &entry.definition,
                    &entry.definition.calendars()[index],
                    now.as_unix_nanos(),
                    live,
                )
            };
            let quoted = entry
                .definition
                .alerting_window_index()
                .map(|index| view(state, index));
            let before = transitions.len();
            for (i, holds) in evaluation.conditions.iter().enumerate() {
                if let Some(firing_since) = state.tiers[i].update(*holds, now) {
                    let mut t = transition(
                        &self.inner.service,
                        &entry.definition,
                        i,
                        &evaluation,
                        firing_since,
                    );
                    if let Some(window) = &quoted {
                        t.quote_window(window);
                    }
                    transitions.push(t);
                }
            }
            let fired = transitions[before..]
                .iter()
                .any(|t| t.state == AlertState::Firing);
            let budget = entry.definition.objective().error_budget();
            let tiers = &entry.definition.alerting().tiers;
            facts.push(SloFacts {
                name: entry.definition.name().to_owned(),
                live,
                first_bad: fired.then(|| first_bad_minute(&state.windows, budget, now, live)),
                budget,
                period_events: evaluation.period.events,
                firing: state.tiers.iter().any(|t| t.firing),
                peak: tiers
                    .iter()
                    .zip(&state.tiers)
                    .filter(|(_, s)| s.firing)
                    .filter_map(|(tier, _)| evaluation.window(tier.long_window)?.burn_rate)
                    .reduce(f64::max),
                peak_error: tiers
                    .iter()
                    .zip(&state.tiers)
                    .filter(|(_, s)| s.firing)
                    .filter_map(|(tier, _)| evaluation.window(tier.short_window))
                    .filter(|w| w.events > 0)
                    .map(|w| w.bad_events as f64 / w.events as f64)
                    .reduce(f64::max),
            });
            if let Some(index) = entry.definition.sla().and_then(|sla| {
                entry
                    .definition
                    .calendars()
                    .iter()
                    .position(|c| c == sla.calendar())
            }) {
                let window = view(state, index);
                let status = window.sla.as_ref().map(|s| s.status);
                for (i, (_, _, firing_status)) in SLA_TIERS.iter().enumerate() {
                    let holds = status == Some(*firing_status);
                    if let Some(since) = state.sla_tiers[i].update(holds, now) {
                        transitions.extend(sla_transition(
                            &self.inner.service,
                            &entry.definition,
                            i,
                            &window,
                            now,
                            since,
                        ));
                    }
                }
            }
            if observed {
                views.push(slo_snapshot(&entry, state, counts, live, evaluation, now));
            }
        }
        lock(&self.inner.incidents).update(now, &transitions, &facts);
        if !transitions.is_empty() {
            self.deliver(&transitions);
        }
        if observed {
            let snapshot = self.assemble(now, views);
            for (_, observer) in read(&self.inner.observers).iter() {
                if catch_unwind(AssertUnwindSafe(|| observer(&snapshot))).is_err() {
                    self.caught_panic(format_args!("a tick observer panicked"));
                }
            }
        }
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

    fn deliver(&self, transitions: &[AlertTransition]) {
        for sink in read(&self.inner.sinks).iter() {
            for t in transitions {
                if catch_unwind(AssertUnwindSafe(|| sink.notify(t))).is_err() {
                    self.caught_panic(format_args!(
                        "an alert sink panicked on {} {} of SLO {:?}",
                        t.tier_id, t.state, t.slo
                    ));
                }
            }
        }
    }

    /// Counts a panic caught in a sink or an observer and reports the first one.
    fn caught_panic(&self, what: std::fmt::Arguments<'_>) {
        self.inner.sink_panics.fetch_add(1, Ordering::Relaxed);
        if !self.inner.panic_reported.swap(true, Ordering::Relaxed) {
            tracing::error!(
                target: "sloguard",
                service = %self.inner.service,
                "{what}; the panic was caught and is counted (reported once)"
            );
        }
    }

    /// A consistent view of every SLO and histogram, read now.
    pub fn snapshot(&self) -> Snapshot {
        let now = self.inner.clock.now();
        let views = self
            .entries()
            .iter()
            .map(|entry| {
                let counts = entry.recorder.counts();
                let state = lock(&entry.state);
                let live = judged(entry, &state, now, &counts);
                let evaluation = evaluate_entry(entry, &state, now, live);
                slo_snapshot(entry, &state, counts, live, evaluation, now)
            })
            .collect();
        self.assemble(now, views)
    }

    /// The snapshot of these SLO views with the registry's series read now.
    fn assemble(&self, taken_at: Timestamp, slos: Vec<SloSnapshot>) -> Snapshot {
        let mut histograms: Vec<HistogramSeries> = lock(&self.inner.histograms)
            .iter()
            .map(|((name, labels), h)| HistogramSeries {
                name: name.clone(),
                labels: labels.clone(),
                histogram: h.snapshot(),
            })
            .collect();
        // Each SLO's latency per outcome, once that outcome has been seen.
        for entry in read(&self.inner.slos).iter() {
            for (outcome, histogram) in entry.recorder.latencies() {
                if histogram.count() > 0 {
                    histograms.push(HistogramSeries {
                        name: contract::SLO_EVENT_DURATION.name.to_owned(),
                        labels: vec![
                            ("service".to_owned(), self.inner.service.clone()),
                            ("slo".to_owned(), entry.definition.name().to_owned()),
                            ("outcome".to_owned(), outcome.as_str().to_owned()),
                        ],
                        histogram,
                    });
                }
            }
        }
        histograms.sort_by(|a, b| (&a.name, &a.labels).cmp(&(&b.name, &b.labels)));
        let gauges = lock(&self.inner.gauges)
            .iter()
            .map(|((name, labels), g)| GaugeSeries {
                name: name.clone(),
                labels: labels.clone(),
                value: g.value(),
            })
            .collect();
        let sink_panics = self.sink_panics();
        let mut diagnostics = derive(&slos, &histograms, sink_panics);
        for problem in read(&self.inner.sinks)
            .iter()
            .filter_map(|sink| sink.problem())
        {
            diagnostics.push(Diagnostic::service(code::SINK_FAILING, problem));
        }
        for d in &diagnostics {
            self.log_once(d);
        }
        diagnostics.extend(lock(&self.inner.reported).iter().cloned());
        diagnostics.sort();
        Snapshot {
            service: self.inner.service.clone(),
            taken_at,
            slos,
            histograms,
            gauges,
            sink_panics,
            diagnostics,
            incidents: lock(&self.inner.incidents).shared(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

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
