//! The registry: the SLOs and histograms of one service, their windows and their alert state.
//!
//! Register SLOs once at start-up and keep the returned [`SloRecorder`] handles; recording
//! through them never touches the registry. The evaluator samples every SLO's counters into its
//! windows and updates alert state, either on a background thread ([`Registry::start_sampler`])
//! or when stepped by hand on virtual time ([`Registry::advance_to`]).
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

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use crate::alert::{AlertSink, AlertState, AlertTransition};
use crate::clock::{duration_nanos, Clock, Timestamp};
use crate::evaluate::{evaluate, windows_for, Evaluation};
use crate::gauge::Gauge;
use crate::histogram::{Boundaries, Histogram};
use crate::model::{DefinitionError, DefinitionErrorKind, SloDefinition};
use crate::recorder::{SloRecorder, EVENT_DURATION};
use crate::snapshot::{GaugeSeries, HistogramSeries, SloSnapshot, Snapshot, TierStatus};
use crate::window::{Reading, Windows};

/// The default evaluation cadence: every 10 seconds, the finest window resolution.
pub const DEFAULT_TICK: Duration = Duration::from_secs(10);

/// Builds a [`Registry`]. Defaults: the system clock, a 10 s tick, no alert sink.
pub struct RegistryBuilder {
    service: String,
    clock: Clock,
    tick: Duration,
    sinks: Vec<Box<dyn AlertSink>>,
}

impl RegistryBuilder {
    /// The clock (default: [`Clock::system`]).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// How often the evaluator runs (default 10 s; clamped to 1 ms..=10 s, since the finest
    /// window resolution is 10 s).
    pub fn tick(mut self, tick: Duration) -> Self {
        self.tick = tick.clamp(Duration::from_millis(1), DEFAULT_TICK);
        self
    }

    /// Adds an alert sink.
    pub fn alert_sink(mut self, sink: impl AlertSink) -> Self {
        self.sinks.push(Box::new(sink));
        self
    }

    /// Builds the registry.
    pub fn build(self) -> Registry {
        let tick = duration_nanos(self.tick);
        let now = self.clock.now().as_unix_nanos();
        Registry {
            inner: Arc::new(Inner {
                service: self.service,
                clock: self.clock,
                tick,
                next_tick: Mutex::new(now.div_ceil(tick) * tick),
                last_tick: AtomicU64::new(0),
                slos: RwLock::new(Vec::new()),
                histograms: Mutex::new(BTreeMap::new()),
                gauges: Mutex::new(BTreeMap::new()),
                sinks: RwLock::new(self.sinks),
                observers: RwLock::new(Vec::new()),
                sink_panics: AtomicU64::new(0),
                sink_panic_reported: AtomicBool::new(false),
            }),
        }
    }
}

impl std::fmt::Debug for RegistryBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryBuilder")
            .field("service", &self.service)
            .field("tick", &self.tick)
            .finish_non_exhaustive()
    }
}

struct SloEntry {
    recorder: SloRecorder,
    definition: Arc<SloDefinition>,
    window_list: Vec<Duration>,
    state: Mutex<EvalState>,
}

struct EvalState {
    windows: Windows,
    tiers: Vec<(bool, Option<Timestamp>)>,
    evaluated_at: Option<Timestamp>,
}

type SeriesKey = (String, Vec<(String, String)>);
type Observer = dyn Fn(&Snapshot) + Send + Sync;

struct Inner {
    service: String,
    clock: Clock,
    tick: u64,
    next_tick: Mutex<u64>,
    /// The time of the latest evaluation, whoever ran it.
    last_tick: AtomicU64,
    slos: RwLock<Vec<Arc<SloEntry>>>,
    histograms: Mutex<BTreeMap<SeriesKey, Histogram>>,
    gauges: Mutex<BTreeMap<SeriesKey, Gauge>>,
    sinks: RwLock<Vec<Box<dyn AlertSink>>>,
    observers: RwLock<Vec<Box<Observer>>>,
    sink_panics: AtomicU64,
    sink_panic_reported: AtomicBool,
}

/// The SLOs and histograms of one service. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("service", &self.inner.service)
            .field("slos", &read(&self.inner.slos).len())
            .finish_non_exhaustive()
    }
}

// The registry never panics on a poisoned lock: the data behind each lock is valid after any
// panic (a panic can only come from a user's sink, called outside the locks).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}
fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

fn series_key(name: &str, labels: &[(&str, &str)]) -> SeriesKey {
    (
        name.to_owned(),
        labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

impl Registry {
    /// A builder for the registry of `service`.
    pub fn builder(service: impl Into<String>) -> RegistryBuilder {
        RegistryBuilder {
            service: service.into(),
            clock: Clock::system(),
            tick: DEFAULT_TICK,
            sinks: Vec::new(),
        }
    }

    /// The service name.
    pub fn service(&self) -> &str {
        &self.inner.service
    }

    /// The registry's clock, for callers that time events on the same clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The evaluation cadence.
    pub fn tick_interval(&self) -> Duration {
        Duration::from_nanos(self.inner.tick)
    }

    /// Registers an SLO and returns the handle to record into it. Names are unique.
    pub fn register(&self, definition: SloDefinition) -> Result<SloRecorder, DefinitionError> {
        let mut slos = write(&self.inner.slos);
        if slos
            .iter()
            .any(|s| s.definition.name() == definition.name())
        {
            return Err(DefinitionError {
                slo: definition.name().to_owned(),
                field: "name".into(),
                kind: DefinitionErrorKind::DuplicateName,
            });
        }
        let now = self.inner.clock.now().as_unix_nanos();
        let window_list = windows_for(&definition);
        let recorder = SloRecorder::new(definition);
        let definition = Arc::new(recorder.definition().clone());
        let tiers = vec![(false, None); definition.alerting().tiers.len()];
        slos.push(Arc::new(SloEntry {
            state: Mutex::new(EvalState {
                windows: Windows::new(definition.period(), now, Reading::default()),
                tiers,
                evaluated_at: None,
            }),
            recorder: recorder.clone(),
            definition,
            window_list,
        }));
        Ok(recorder)
    }

    /// The handle of a registered SLO.
    pub fn slo(&self, name: &str) -> Option<SloRecorder> {
        read(&self.inner.slos)
            .iter()
            .find(|s| s.definition.name() == name)
            .map(|s| s.recorder.clone())
    }

    /// The names of the registered SLOs, in registration order.
    pub fn slo_names(&self) -> Vec<String> {
        read(&self.inner.slos)
            .iter()
            .map(|s| s.definition.name().to_owned())
            .collect()
    }

    /// The fine histogram of a series (see [`Histogram::new`]), created on first use with
    /// these boundaries; later calls for the same name and labels return the same histogram
    /// and ignore `boundaries`.
    pub fn histogram(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        boundaries: Boundaries,
    ) -> Histogram {
        self.series(name, labels, || Histogram::new(boundaries))
    }

    /// Like [`Registry::histogram`], with the compact classic layout
    /// ([`Histogram::classic`]): for series that exist per route or per status code.
    pub fn classic_histogram(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        boundaries: Boundaries,
    ) -> Histogram {
        self.series(name, labels, || Histogram::classic(boundaries))
    }

    /// The histogram of a series, made by `make` on first use.
    fn series(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        make: impl FnOnce() -> Histogram,
    ) -> Histogram {
        lock(&self.inner.histograms)
            .entry(series_key(name, labels))
            .or_insert_with(make)
            .clone()
    }

    /// The gauge of a series, created on first use.
    pub fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Gauge {
        lock(&self.inner.gauges)
            .entry(series_key(name, labels))
            .or_default()
            .clone()
    }

    /// Number of histogram series registered.
    pub fn histogram_count(&self) -> usize {
        lock(&self.inner.histograms).len()
    }

    /// Adds an alert sink.
    pub fn add_alert_sink(&self, sink: impl AlertSink) {
        write(&self.inner.sinks).push(Box::new(sink));
    }

    /// Calls `observer` with a fresh snapshot after every evaluation (on the evaluator's
    /// thread): how bridges publish the SLO series to other metric systems. A panicking
    /// observer is caught and counted with the sink panics.
    pub fn on_tick(&self, observer: impl Fn(&Snapshot) + Send + Sync + 'static) {
        write(&self.inner.observers).push(Box::new(observer));
    }

    /// Alert sink panics caught since start.
    pub fn sink_panics(&self) -> u64 {
        self.inner.sink_panics.load(Ordering::Relaxed)
    }

    /// Runs the evaluator now, at the clock's time.
    pub fn tick(&self) {
        self.tick_at(self.inner.clock.now());
    }

    /// Runs the evaluator as of `now`: samples every SLO into its windows, evaluates, updates
    /// alert state and delivers transitions to the sinks.
    pub fn tick_at(&self, now: Timestamp) {
        self.inner
            .last_tick
            .fetch_max(now.as_unix_nanos(), Ordering::Relaxed);
        let slos: Vec<Arc<SloEntry>> = read(&self.inner.slos).clone();
        let mut transitions = Vec::new();
        for entry in &slos {
            let counts = entry.recorder.counts();
            let live = Reading {
                total: counts.events(),
                bad: counts.bad,
            };
            let mut state = lock(&entry.state);
            state.windows.observe(now.as_unix_nanos(), live);
            let evaluation = evaluate(
                &entry.definition,
                &entry.window_list,
                &state.windows,
                now,
                live,
            );
            state.evaluated_at = Some(now);
            for (i, holds) in evaluation.conditions.iter().enumerate() {
                let (firing, since) = &mut state.tiers[i];
                if *holds != *firing {
                    let firing_since = if *holds { now } else { since.unwrap_or(now) };
                    *firing = *holds;
                    *since = Some(now);
                    transitions.push(self.transition(entry, i, &evaluation, firing_since));
                }
            }
        }
        if !transitions.is_empty() {
            self.deliver(&transitions);
        }
        let observers = read(&self.inner.observers);
        if !observers.is_empty() {
            let snapshot = self.snapshot();
            for observer in observers.iter() {
                if catch_unwind(AssertUnwindSafe(|| observer(&snapshot))).is_err() {
                    self.inner.sink_panics.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Runs every tick due up to `t` (ticks fall on multiples of the tick interval), each at
    /// its own time, then leaves a virtual clock at `t`. This is how tests, replays and
    /// accelerated demos drive the engine on virtual time; on the system clock it only runs
    /// the ticks whose time has come.
    pub fn advance_to(&self, t: Timestamp) {
        let mut next = lock(&self.inner.next_tick);
        let t = t.as_unix_nanos();
        // Ticks run by `tick` (a sampler, a caller) move the grid on: no evaluation at a time
        // already evaluated, which could only report the past again.
        let after_last =
            (self.inner.last_tick.load(Ordering::Relaxed) / self.inner.tick + 1) * self.inner.tick;
        if self.inner.last_tick.load(Ordering::Relaxed) > 0 {
            *next = (*next).max(after_last);
        }
        while *next <= t {
            let at = Timestamp::from_unix_nanos(*next);
            self.inner.clock.set_if_virtual(at);
            self.tick_at(at);
            *next += self.inner.tick;
        }
        self.inner
            .clock
            .set_if_virtual(Timestamp::from_unix_nanos(t));
    }

    fn transition(
        &self,
        entry: &SloEntry,
        tier_index: usize,
        e: &Evaluation,
        firing_since: Timestamp,
    ) -> AlertTransition {
        let def = &entry.definition;
        let tier = &def.alerting().tiers[tier_index];
        let holds = e.conditions[tier_index];
        let long = e.window(tier.long_window);
        let short = e.window(tier.short_window);
        AlertTransition {
            service: self.inner.service.clone(),
            slo: def.name().to_owned(),
            sli: def.sli(),
            runbook_url: def.runbook_url().map(str::to_owned),
            tier_id: tier.id(),
            severity: tier.severity,
            state: if holds {
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
            objective: def.objective().ratio(),
            period: def.period(),
            budget_remaining: e.budget_remaining,
            time_to_exhaustion: e.time_to_exhaustion,
        }
    }

    fn deliver(&self, transitions: &[AlertTransition]) {
        let sinks = read(&self.inner.sinks);
        for sink in sinks.iter() {
            for t in transitions {
                if catch_unwind(AssertUnwindSafe(|| sink.notify(t))).is_err() {
                    self.inner.sink_panics.fetch_add(1, Ordering::Relaxed);
                    if !self.inner.sink_panic_reported.swap(true, Ordering::Relaxed) {
                        eprintln!(
                            "sloguard: an alert sink panicked on {} {} of SLO {:?}; the panic \
                             was caught and is counted (reported once)",
                            t.tier_id, t.state, t.slo
                        );
                    }
                }
            }
        }
    }

    /// A consistent view of every SLO and histogram, read now.
    pub fn snapshot(&self) -> Snapshot {
        let now = self.inner.clock.now();
        let slos = read(&self.inner.slos)
            .iter()
            .map(|entry| {
                let counts = entry.recorder.counts();
                let live = Reading {
                    total: counts.events(),
                    bad: counts.bad,
                };
                let state = lock(&entry.state);
                let evaluation = evaluate(
                    &entry.definition,
                    &entry.window_list,
                    &state.windows,
                    now,
                    live,
                );
                let alerts = entry
                    .definition
                    .alerting()
                    .tiers
                    .iter()
                    .zip(&state.tiers)
                    .map(|(tier, (firing, since))| TierStatus {
                        id: tier.id(),
                        tier: tier.clone(),
                        firing: *firing,
                        since: *since,
                    })
                    .collect();
                SloSnapshot {
                    definition: Arc::clone(&entry.definition),
                    counts,
                    evaluation,
                    alerts,
                    evaluated_at: state.evaluated_at,
                }
            })
            .collect();
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
                        name: EVENT_DURATION.to_owned(),
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
        Snapshot {
            service: self.inner.service.clone(),
            taken_at: now,
            slos,
            histograms,
            gauges,
            sink_panics: self.sink_panics(),
        }
    }

    /// Writes every SLO's counts and windows to `path`, atomically (see [`crate::persist`]).
    pub fn save_state(&self, path: &std::path::Path) -> std::io::Result<()> {
        use crate::persist::{put_u32, put_u64};
        let slos: Vec<Arc<SloEntry>> = read(&self.inner.slos).clone();
        let mut payload = Vec::with_capacity(slos.len() * (crate::window::WINDOW_BYTES + 256));
        put_u64(&mut payload, self.inner.clock.now().as_unix_nanos());
        put_u32(&mut payload, slos.len() as u32);
        for entry in &slos {
            let name = entry.definition.name().as_bytes();
            put_u32(&mut payload, name.len() as u32);
            payload.extend_from_slice(name);
            put_u64(&mut payload, duration_nanos(entry.definition.period()));
            // Counts and windows are read under the same lock the evaluator takes, so a tick
            // cannot slip between them.
            let state = lock(&entry.state);
            let counts = entry.recorder.counts();
            put_u64(&mut payload, counts.good);
            put_u64(&mut payload, counts.bad);
            put_u64(&mut payload, counts.cancelled);
            state.windows.encode(&mut payload);
        }
        crate::persist::write_atomically(path, &crate::persist::frame(&payload))
    }

    /// Restores counts and windows from a file written by [`Registry::save_state`], for the
    /// SLOs registered under the same names with the same period. Call it after registering
    /// and before recording. A missing, torn or corrupt file is an error and changes nothing.
    pub fn load_state(
        &self,
        path: &std::path::Path,
    ) -> Result<crate::persist::LoadReport, crate::persist::StateError> {
        use crate::persist::{Cursor, StateError};
        let bytes = std::fs::read(path).map_err(StateError::Io)?;
        let payload = crate::persist::unframe(&bytes)?;
        let mut c = Cursor::new(payload);
        let _saved_at = c.u64()?;
        let count = c.u32()?;
        // Decode everything first: a file that fails half-way changes nothing.
        let mut decoded = Vec::new();
        for _ in 0..count {
            let len = c.u32()? as usize;
            let name = String::from_utf8(c.take(len)?.to_vec())
                .map_err(|_| StateError::Malformed("an SLO name is not UTF-8"))?;
            let period = std::time::Duration::from_nanos(c.u64()?);
            let counts = crate::recorder::Counts {
                good: c.u64()?,
                bad: c.u64()?,
                cancelled: c.u64()?,
            };
            let windows = Windows::decode(period, &mut c)?;
            decoded.push((name, period, counts, windows));
        }
        if !c.is_empty() {
            return Err(StateError::Malformed("trailing bytes"));
        }
        let mut report = crate::persist::LoadReport::default();
        let slos = read(&self.inner.slos);
        for (name, period, counts, windows) in decoded {
            let entry = slos
                .iter()
                .find(|e| e.definition.name() == name && e.definition.period() == period);
            match (entry, windows) {
                (Some(entry), Some(windows)) => {
                    let mut state = lock(&entry.state);
                    entry.recorder.add_counts(counts);
                    state.windows = windows;
                    report.restored.push(name);
                }
                _ => report.skipped.push(name),
            }
        }
        Ok(report)
    }

    /// Saves the state to `path` after evaluations at most every `every` of the registry's
    /// time, and once more when the returned guard is dropped (at shutdown). Failures are
    /// reported on standard error and retried at the next save.
    pub fn persist_to(
        &self,
        path: impl Into<std::path::PathBuf>,
        every: Duration,
    ) -> crate::persist::Persistence {
        crate::persist::Persistence::start(self.clone(), path.into(), every)
    }

    /// Starts a background thread that runs the evaluator every tick until the returned guard
    /// is dropped.
    pub fn start_sampler(&self) -> crate::sampler::Sampler {
        crate::sampler::Sampler::start(self.clone())
    }
}
