//! The registry: the tables of one service (its SLOs, histograms and gauges) and the builder.
//!
//! Register SLOs once at start-up and keep the returned [`SloRecorder`] handles; recording
//! through them never touches the registry. What runs over these tables lives beside them:
//! the evaluator in [`engine`](crate::engine) (tick, advance, alert edges, fan-out), the
//! read-only view in [`snapshot`](crate::snapshot), the state file in
//! [`persist`](crate::persist), the background thread in [`sampler`](crate::sampler).
//!
//! ```
//! use sloguard_core::{Registry, model::Slo};
//!
//! let registry = Registry::builder("payments").build();
//! registry.register(Slo::availability("availability").build().unwrap()).unwrap();
//! assert!(registry.register(Slo::availability("availability").build().unwrap()).is_err());
//! assert_eq!(registry.slo_names(), ["availability"]);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crate::alert::{AlertSink, TierState};
use crate::clock::{duration_nanos, Clock, Timestamp};
use crate::compliance::CalendarTrack;
use crate::diagnostic::Diagnostic;
use crate::gauge::Gauge;
use crate::histogram::{Boundaries, Histogram};
use crate::model::{DefinitionError, DefinitionErrorKind, SloDefinition};
use crate::recorder::SloRecorder;
use crate::slices::SliceTrack;
use crate::snapshot::Snapshot;
use crate::sync::{lock, read, write};
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
                slo_count: AtomicUsize::new(0),
                histograms: Mutex::new(BTreeMap::new()),
                gauges: Mutex::new(BTreeMap::new()),
                sinks: RwLock::new(self.sinks),
                observers: RwLock::new(Vec::new()),
                next_observer: AtomicU64::new(0),
                sink_panics: AtomicU64::new(0),
                evaluation_panics: AtomicU64::new(0),
                incidents: Mutex::default(),
                status_page: RwLock::default(),
                maintenance: Mutex::default(),
                writes: Mutex::new(()),
                saving: Mutex::new(()),
                state_path: Mutex::new(None),
                panic_reported: AtomicBool::new(false),
                reported: Mutex::new(Vec::new()),
                logged: Mutex::new(BTreeSet::new()),
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

/// One registered SLO: its handle, its definition, and the evaluator's state for it.
pub(crate) struct SloEntry {
    pub(crate) recorder: SloRecorder,
    pub(crate) definition: Arc<SloDefinition>,
    /// The windows evaluated for it, computed once.
    pub(crate) window_list: Vec<Duration>,
    pub(crate) state: Mutex<EvalState>,
}

/// What the evaluator keeps per SLO between ticks.
pub(crate) struct EvalState {
    pub(crate) windows: Windows,
    /// One per calendar compliance window of the definition, in its order.
    pub(crate) calendars: Vec<CalendarTrack>,
    /// UTC days, for the status page's daily bars.
    pub(crate) days: CalendarTrack,
    /// For a time-slice SLO: the step from events to slices (the windows hold slices).
    pub(crate) slices: Option<SliceTrack>,
    pub(crate) tiers: Vec<TierState>,
    /// The SLA's notification states: at risk, breached (see `alert::SLA_TIERS`).
    pub(crate) sla_tiers: [TierState; 2],
    pub(crate) evaluated_at: Option<Timestamp>,
    /// Why an external source cannot see this SLO now, if it cannot (see
    /// [`Registry::set_blind`]).
    pub(crate) blind: Option<String>,
    /// What maintenance left out, and its held alerts.
    pub(crate) maintenance: crate::maintenance::MaintenanceTrack,
}

type SeriesKey = (String, Vec<(String, String)>);
/// A callback run with the snapshot of every evaluation.
pub(crate) type Observer = dyn Fn(&Snapshot) + Send + Sync;

/// Removes a tick observer added with [`Registry::on_tick`]; see [`Registry::remove_observer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObserverId(pub(crate) u64);

pub(crate) struct Inner {
    pub(crate) service: String,
    pub(crate) clock: Clock,
    pub(crate) tick: u64,
    pub(crate) next_tick: Mutex<u64>,
    /// The time of the latest evaluation, whoever ran it.
    pub(crate) last_tick: AtomicU64,
    pub(crate) slos: RwLock<Vec<Arc<SloEntry>>>,
    /// `slos.len()`, readable without the lock: SLOs are only ever added, so it tells a
    /// reader whose copy of the table is stale.
    pub(crate) slo_count: AtomicUsize,
    pub(crate) histograms: Mutex<BTreeMap<SeriesKey, Histogram>>,
    pub(crate) gauges: Mutex<BTreeMap<SeriesKey, Gauge>>,
    pub(crate) sinks: RwLock<Vec<Box<dyn AlertSink>>>,
    pub(crate) observers: RwLock<Vec<(ObserverId, Box<Observer>)>>,
    pub(crate) next_observer: AtomicU64,
    pub(crate) sink_panics: AtomicU64,
    /// Evaluations that panicked (caught in `tick_at`).
    pub(crate) evaluation_panics: AtomicU64,
    /// The service's incidents.
    pub(crate) incidents: Mutex<crate::incidents::IncidentLog>,
    /// What the customer status page shows, if configured.
    pub(crate) status_page: RwLock<Option<crate::model::StatusPage>>,
    /// Scheduled maintenance windows.
    pub(crate) maintenance: Mutex<crate::maintenance::MaintenanceLog>,
    /// Held by a person's write from its change to its save: one write at a time.
    pub(crate) writes: Mutex<()>,
    /// Held from reading the state to renaming its file: two saves never cross, so the file
    /// on disk is always the later one.
    pub(crate) saving: Mutex<()>,
    /// The state file kept by [`Registry::persist_to`], which people's writes save at once.
    pub(crate) state_path: Mutex<Option<std::path::PathBuf>>,
    /// Whether a caught panic was reported already (they are reported once).
    pub(crate) panic_reported: AtomicBool,
    /// Diagnostics reported by the parts that noticed them.
    pub(crate) reported: Mutex<Vec<Diagnostic>>,
    /// Diagnostics logged already: each is logged once.
    pub(crate) logged: Mutex<BTreeSet<(&'static str, Option<String>)>>,
}

/// The SLOs and histograms of one service. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Registry {
    pub(crate) inner: Arc<Inner>,
}

/// A registry that does not keep it alive: what a tick observer holds when it needs the
/// registry, so that the observer (owned by the registry) makes no reference cycle.
#[derive(Clone, Debug)]
pub(crate) struct WeakRegistry(std::sync::Weak<Inner>);

impl WeakRegistry {
    pub(crate) fn upgrade(&self) -> Option<Registry> {
        self.0.upgrade().map(|inner| Registry { inner })
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("service", &self.inner.service)
            .field("slos", &read(&self.inner.slos).len())
            .finish_non_exhaustive()
    }
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
    /// Whether `self` and `other` are handles of the same registry.
    pub fn is_same(&self, other: &Registry) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
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

    /// The longest span the evaluator looks back over: the longest period or alerting window
    /// of any SLO (at least 3 days, the longest default window), plus a tick. Once this much
    /// time has passed without events, further evaluations repeat one state, so a longer gap
    /// in virtual time is not evaluated tick by tick ([`Registry::advance_to`]).
    pub fn horizon(&self) -> Duration {
        let longest = self
            .entries()
            .iter()
            .flat_map(|e| {
                let d = &e.definition;
                std::iter::once(d.period())
                    .chain(d.alerting().enabled_tiers().map(|t| t.long_window))
            })
            .max()
            .unwrap_or_default()
            .max(Duration::from_secs(3 * 86_400));
        longest.saturating_add(self.tick_interval())
    }

    pub(crate) fn downgrade(&self) -> WeakRegistry {
        WeakRegistry(Arc::downgrade(&self.inner))
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
        let window_list = definition.evaluated_windows();
        let recorder = SloRecorder::new(definition);
        let definition = Arc::new(recorder.definition().clone());
        let tiers = vec![TierState::default(); definition.alerting().tiers.len()];
        slos.push(Arc::new(SloEntry {
            state: Mutex::new(EvalState {
                windows: Windows::new(definition.period(), now, Reading::default()),
                calendars: definition
                    .calendars()
                    .iter()
                    .map(|c| CalendarTrack::new(c, now, Reading::default()))
                    .collect(),
                days: CalendarTrack::keeping(
                    crate::compliance::DAILY_HISTORY,
                    crate::compliance::utc_days(),
                    now,
                    Reading::default(),
                ),
                slices: definition
                    .time_slices()
                    .map(|s| SliceTrack::new(s, now, Reading::default())),
                tiers,
                sla_tiers: Default::default(),
                evaluated_at: None,
                blind: None,
                maintenance: crate::maintenance::MaintenanceTrack::default(),
            }),
            recorder: recorder.clone(),
            definition,
            window_list,
        }));
        self.inner.slo_count.store(slos.len(), Ordering::Release);
        Ok(recorder)
    }

    /// The handle of a registered SLO.
    pub fn slo(&self, name: &str) -> Option<SloRecorder> {
        read(&self.inner.slos)
            .iter()
            .find(|s| s.definition.name() == name)
            .map(|s| s.recorder.clone())
    }

    /// How many SLOs are registered, read without a lock. SLOs are only ever added, so a
    /// change tells a component that copied the table (the layer) to read it again.
    #[inline]
    pub fn slo_count(&self) -> usize {
        self.inner.slo_count.load(Ordering::Acquire)
    }

    /// The names of the registered SLOs, in registration order.
    pub fn slo_names(&self) -> Vec<String> {
        read(&self.inner.slos)
            .iter()
            .map(|s| s.definition.name().to_owned())
            .collect()
    }

    /// The registered SLOs, in registration order: a copy of the table, so no lock is held
    /// while the caller works through it.
    pub(crate) fn entries(&self) -> Vec<Arc<SloEntry>> {
        read(&self.inner.slos).clone()
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

    /// Calls `observer` with the snapshot of every evaluation (on the evaluator's thread):
    /// how bridges publish the SLO series to other metric systems. A panicking observer is
    /// caught and counted with the sink panics. The id removes it again.
    pub fn on_tick(&self, observer: impl Fn(&Snapshot) + Send + Sync + 'static) -> ObserverId {
        let id = ObserverId(self.inner.next_observer.fetch_add(1, Ordering::Relaxed));
        write(&self.inner.observers).push((id, Box::new(observer)));
        id
    }

    /// Removes an observer added with [`Registry::on_tick`]; `false` if it was already gone.
    pub fn remove_observer(&self, id: ObserverId) -> bool {
        let mut observers = write(&self.inner.observers);
        let before = observers.len();
        observers.retain(|(o, _)| *o != id);
        observers.len() != before
    }

    /// Reports a problem a part of the service detected (the layer, a state file, a sink).
    /// It is carried by every snapshot from now on and logged once; the same code for the
    /// same SLO is reported once, with its latest message.
    pub fn report(&self, diagnostic: Diagnostic) {
        self.log_once(&diagnostic);
        let mut reported = lock(&self.inner.reported);
        match reported.iter_mut().find(|d| d.key() == diagnostic.key()) {
            Some(known) => *known = diagnostic,
            None => reported.push(diagnostic),
        }
    }

    /// Withdraws a diagnostic reported with [`Registry::report`] once its cause is gone (a
    /// metrics engine that answers again): snapshots stop carrying it, and it is logged again
    /// should it come back. Whether there was one to withdraw.
    pub fn withdraw(&self, code: &'static str, slo: Option<&str>) -> bool {
        let key = (code, slo.map(str::to_owned));
        lock(&self.inner.logged).remove(&key);
        let mut reported = lock(&self.inner.reported);
        let before = reported.len();
        reported.retain(|d| d.key() != key);
        reported.len() != before
    }

    /// For a registry fed from outside (`sloguard serve` reads a metrics engine): says that
    /// the source cannot see the SLO `slo` now, and why, or with `None` that it can again.
    /// While blind, the SLO's status is `no_data` whatever its windows hold
    /// ([`NoDataReason::SourceBlind`](crate::snapshot::NoDataReason::SourceBlind)). Whether
    /// such an SLO is registered.
    pub fn set_blind(&self, slo: &str, why: Option<String>) -> bool {
        match self
            .entries()
            .into_iter()
            .find(|e| e.definition.name() == slo)
        {
            Some(entry) => {
                lock(&entry.state).blind = why;
                true
            }
            None => false,
        }
    }

    /// Logs a diagnostic through `tracing` the first time it appears.
    pub(crate) fn log_once(&self, d: &Diagnostic) {
        if lock(&self.inner.logged).insert(d.key()) {
            tracing::warn!(
                target: "sloguard",
                service = %self.inner.service,
                code = d.code,
                slo = d.slo.as_deref().unwrap_or(""),
                "{}",
                d.message
            );
        }
    }

    /// Sets what the customer status page shows (components, words); without it, every SLO
    /// is a component.
    pub fn set_status_page(&self, page: crate::model::StatusPage) {
        *crate::sync::write(&self.inner.status_page) = Some(page);
    }

    /// What the customer status page shows, if set.
    pub fn status_page(&self) -> Option<crate::model::StatusPage> {
        read(&self.inner.status_page).clone()
    }

    /// The status page as shown: the one set, or one titled by the service; without
    /// components, one per SLO (see [`StatusPage::or_one_component_per_slo`](crate::model::StatusPage::or_one_component_per_slo)).
    pub fn effective_status_page(&self) -> crate::model::StatusPage {
        let page = self
            .status_page()
            .unwrap_or_else(|| crate::model::StatusPage::new(self.service()));
        let entries = self.entries();
        page.or_one_component_per_slo(
            entries
                .iter()
                .map(|e| (e.definition.name(), e.definition.description())),
        )
    }

    /// The service's incidents, oldest first (see [`crate::incidents`]).
    pub fn incidents(&self) -> Vec<crate::incidents::Incident> {
        lock(&self.inner.incidents)
            .incidents
            .iter()
            .cloned()
            .collect()
    }

    /// Alert sink and observer panics caught since start.
    pub fn sink_panics(&self) -> u64 {
        self.inner.sink_panics.load(Ordering::Relaxed)
    }
}
