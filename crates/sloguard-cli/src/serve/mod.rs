//! `sloguard serve`: one truth for a whole fleet. The SLOs of a spec are judged from a
//! Prometheus-compatible engine (Prometheus, VictoriaMetrics, Thanos, Mimir, Cortex), with the
//! same engine a service runs in-process, and served on the same pages and documents.
//!
//! - [`command`]: the process: one service, sinks, listener, signals.
//! - [`counts`]: which queries (all SLOs of a family in one), and how answers become events.
//! - [`source`]: the engine's HTTP query API.
//! - [`sight`]: what the engine cannot see (unreachable, no series, targets down).
//! - [`notify`]: the `--notify` file of sinks, secrets from the environment or files.
//! - [`http`]: the pages and documents, as a service serves them (no `/metrics`: the fleet's
//!   series are the replicas', and serving them again would count them twice).
//!
//! A [`Fleet`] walks time on a virtual clock that follows the engine: at start it rebuilds the
//! windows from history (`query_range`, coarse steps for the distant past and the step itself
//! for the last hour, the resolutions the windows keep), without judging the past; then each
//! step reads the new events of every SLO and evaluates once. When the engine cannot be read,
//! nothing moves and every SLO is `no_data`; when it answers again, the gap is read like
//! history, so no event is lost.
//!
//! ```
//! use sloguard_cli::serve::segments;
//! use std::time::Duration;
//!
//! // Four days back from an hour boundary, with a 30 s step: hourly, then ten-minute, then
//! // one-minute points, then the step itself for the last hour.
//! let to = 1_800_000_000 - 1_800_000_000 % 3600;
//! let s = segments(to - 4 * 86_400, to, Duration::from_secs(30), Duration::from_secs(3600));
//! let steps: Vec<u64> = s.iter().map(|(_, _, step)| step.as_secs()).collect();
//! assert_eq!(steps, [3600, 600, 60, 30]);
//! assert_eq!((s[0].0, s[3].1), (to - 4 * 86_400, to));
//! ```

pub mod command;
pub mod counts;
pub mod groups;
pub mod http;
pub mod notify;
pub mod sight;
pub mod source;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sloguard::clock::{Timestamp, VirtualClock};
use sloguard::diagnostic::{code, Diagnostic};
use sloguard::spec::Spec;
use sloguard::{Registry, SloRecorder};

use counts::{Plan, PlanError, Reader, Seen};
use source::{Source, SourceError};

/// How far back the finest resolutions reach: the windows' own rings (see the engine's
/// window notes): the step for the last hour, a minute for six hours, ten minutes for three
/// days, and coarser beyond.
const RESOLUTIONS: [(i64, i64); 3] = [(3 * 86_400, 600), (6 * 3600, 60), (3600, 0)];

/// The segments `(from, to, step)` that read `(from, to]`: each point of a segment covers
/// the step before it, so the segments cover the span without gap or overlap. `coarse` is the
/// step beyond three days; `step` (which must divide a minute) the one of the last hour.
pub fn segments(from: i64, to: i64, step: Duration, coarse: Duration) -> Vec<(i64, i64, Duration)> {
    let step_secs = step.as_secs().max(1) as i64;
    let mut out = Vec::new();
    let mut at = from;
    let tiers = [(i64::MIN, coarse.as_secs() as i64)]
        .into_iter()
        .chain(RESOLUTIONS.iter().map(|&(back, s)| (to - back, s)))
        .collect::<Vec<_>>();
    // Each tier reads up to where the next, finer one begins.
    for (i, &(_, secs)) in tiers.iter().enumerate() {
        let secs = if secs == 0 {
            step_secs
        } else {
            secs.max(step_secs)
        };
        let until = tiers.get(i + 1).map_or(to, |&(begin, _)| begin.min(to));
        if until <= at {
            continue;
        }
        let end = if i + 1 == tiers.len() {
            to
        } else {
            at + (until - at) / secs * secs
        };
        if end > at {
            out.push((at, end, Duration::from_secs(secs as u64)));
            at = end;
        }
    }
    out
}

/// What `sloguard serve` is asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// The engine's base URL.
    pub source: String,
    /// How often the fleet is read and judged (must divide a minute).
    pub step: Duration,
    /// How far behind the present each read stays, so the engine has the step's samples
    /// (scrape interval plus ingestion delay).
    pub delay: Duration,
    /// The shortest range imported SLI queries take their rate over (see
    /// [`Plan::rate_window`]).
    pub rate_window: Duration,
    /// The longest one query may take.
    pub query_timeout: Duration,
    /// A PEM file of CA certificates for an `https://` engine behind a private CA.
    pub ca_file: Option<PathBuf>,
    /// The tenant of a multi-tenant engine (Grafana Mimir, Cortex), sent as `X-Scope-OrgID`.
    pub tenant: Option<String>,
    /// A file holding a bearer token for the engine (a secret: never on the command line).
    pub bearer_token_file: Option<PathBuf>,
    /// The state file: incident history and windows across restarts.
    pub state: Option<PathBuf>,
}

/// Why `serve` cannot start.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The spec cannot be read from an engine.
    Plan(PlanError),
    /// The spec cannot be registered, or the options do not fit.
    Setup(String),
    /// The engine's URL or CA file cannot be used.
    Source(SourceError),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Plan(e) => e.fmt(f),
            ServeError::Setup(e) => f.write_str(e),
            ServeError::Source(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ServeError {}

/// What one advance did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Advance {
    /// Points read.
    pub points: usize,
    /// Queries asked.
    pub queries: u64,
}

/// A fleet's SLOs, judged from an engine on a clock that follows it.
pub struct Fleet {
    registry: Registry,
    clock: VirtualClock,
    source: Source,
    reader: Reader,
    /// The SLOs' handles, in the plan's order.
    recorders: Vec<SloRecorder>,
    options: Options,
    coarse: Duration,
    /// The last time read (Unix seconds): the next read starts after it.
    last: i64,
    /// Whether the engine could not be read at the last attempt.
    unreachable: bool,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("service", &self.registry.service())
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

/// The client the engine is asked through: its CA, tenant and token.
fn engine_client(options: &Options) -> Result<sloguard::client::HttpClient, ServeError> {
    let setup = |e: String| ServeError::Setup(e);
    let mut client = match &options.ca_file {
        Some(path) => sloguard::client::HttpClient::with_ca_file(path)
            .map_err(|e| setup(format!("--ca-file: {e}")))?,
        None => sloguard::client::HttpClient::shared(),
    };
    if let Some(tenant) = &options.tenant {
        client = client
            .with_header("X-Scope-OrgID", tenant)
            .map_err(|e| setup(format!("--tenant: {e}")))?;
    }
    if let Some(path) = &options.bearer_token_file {
        let token = std::fs::read_to_string(path).map_err(|e| {
            setup(format!(
                "--bearer-token-file {}: {}",
                path.display(),
                e.kind()
            ))
        })?;
        client = client
            .with_header("Authorization", &format!("Bearer {}", token.trim()))
            .map_err(|e| setup(format!("--bearer-token-file {}: {e}", path.display())))?;
    }
    Ok(client)
}

/// The time on the step's grid at or before `t`.
fn floor(t: i64, step: Duration) -> i64 {
    let s = step.as_secs().max(1) as i64;
    t.div_euclid(s) * s
}

impl Fleet {
    /// A fleet for `spec`, read from `options.source`, whose history will start at the
    /// horizon before `now` (Unix seconds) or where the state file ends. Nothing is read yet.
    pub fn new(spec: &Spec, options: Options, now: i64) -> Result<Fleet, ServeError> {
        let step = options.step;
        if step.is_zero() || step.subsec_nanos() != 0 || 60 % step.as_secs() != 0 {
            return Err(ServeError::Setup(format!(
                "--step {step:?}: the step must be whole seconds that divide a minute (10s, 15s, 30s, 1m)"
            )));
        }
        let plan = Plan::new(spec)
            .map_err(ServeError::Plan)?
            .rate_window(options.rate_window);
        let client = engine_client(&options)?;
        let source = Source::new(&options.source, client, options.query_timeout)
            .map_err(ServeError::Source)?;
        let to = floor(now - options.delay.as_secs() as i64, step);
        // The horizon the engine looks back over, from the definitions themselves.
        let probe = Registry::builder(spec.service.clone()).build();
        spec.register(&probe)
            .map_err(|e| ServeError::Setup(e.to_string()))?;
        let horizon = probe.horizon().as_secs() as i64;
        let coarse = Duration::from_secs((horizon as u64 / 720).div_ceil(3600).max(1) * 3600);
        let start = floor(to - horizon, coarse);
        let clock = VirtualClock::new(Timestamp::from_unix_secs(start.max(0) as u64));
        let registry = Registry::builder(spec.service.clone())
            .clock(clock.clock())
            .tick(step)
            .build();
        let recorders = spec
            .register(&registry)
            .map_err(|e| ServeError::Setup(e.to_string()))?;
        let mut last = start;
        if let Some(path) = &options.state {
            clock.set(Timestamp::from_unix_secs(to.max(0) as u64));
            match registry.load_state(path) {
                Ok(report) => {
                    if let Some(saved) = report.saved_at {
                        last = floor(saved.as_unix_secs_f64() as i64, step).clamp(start, to);
                    }
                    eprintln!(
                        "sloguard serve: state {} restored ({} SLOs, saved {})",
                        path.display(),
                        report.restored.len(),
                        report.saved_at.map_or(0, |t| t.as_unix_secs_f64() as i64)
                    );
                }
                // Reported as a diagnostic by the registry unless the file is missing.
                Err(e) => eprintln!("sloguard serve: state {} not loaded: {e}", path.display()),
            }
        }
        Ok(Fleet {
            registry,
            clock,
            source,
            reader: Reader::new(plan),
            recorders,
            options,
            coarse,
            last,
            unreachable: false,
        })
    }

    /// The registry the pages and documents read.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The engine, as messages name it.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Queries asked since start.
    pub fn queries(&self) -> u64 {
        self.reader.queries
    }

    /// The last time read, Unix seconds.
    pub fn last(&self) -> i64 {
        self.last
    }

    /// Reads everything from the last time read up to `now` minus the delay, samples it into
    /// the windows and evaluates once at the end (the past is sampled, not judged). When the
    /// engine cannot be read, nothing moves and every SLO is blind until it can.
    pub async fn advance(&mut self, now: i64) -> Advance {
        let to = floor(now - self.options.delay.as_secs() as i64, self.options.step);
        if to <= self.last {
            return Advance::default();
        }
        let before = self.reader.queries;
        match self.read(self.last, to).await {
            Ok((steps, seen, targets)) => {
                self.see_again();
                let points = steps.len();
                sight::judge(
                    &self.registry,
                    self.reader.plan(),
                    &seen,
                    targets.as_deref(),
                );
                let last_step = steps.len().saturating_sub(1);
                for (i, step) in steps.into_iter().enumerate() {
                    for (slo, counts) in self.recorders.iter().zip(step.counts) {
                        if counts.good + counts.bad > 0 {
                            slo.add_counts(counts);
                        }
                    }
                    let at = Timestamp::from_unix_secs(step.at.max(0) as u64);
                    if i < last_step {
                        self.registry
                            .backfill_at(at, Timestamp::from_unix_secs(to.max(0) as u64));
                    }
                }
                let at = Timestamp::from_unix_secs(to.max(0) as u64);
                self.clock.set(at);
                self.registry.tick_at(at);
                self.last = to;
                Advance {
                    points,
                    queries: self.reader.queries - before,
                }
            }
            Err(e) => {
                self.blind_all(&e);
                Advance {
                    points: 0,
                    queries: self.reader.queries - before,
                }
            }
        }
    }

    /// Reads `(from, to]` segment by segment, then the targets' `up` at `to`.
    async fn read(
        &mut self,
        from: i64,
        to: i64,
    ) -> Result<(Vec<counts::Step>, Seen, Option<Vec<source::Series>>), SourceError> {
        let mut steps = Vec::new();
        let mut seen = Seen::default();
        for (a, b, step) in segments(from, to, self.options.step, self.coarse) {
            let (more, saw) = self.reader.read(&self.source, a, b, step).await?;
            steps.extend(more);
            seen = saw;
        }
        self.reader.queries += 1;
        let targets = self.source.instant("up", to).await?;
        Ok((steps, seen, Some(targets)))
    }

    /// The engine answers: its diagnostic goes, and the SLOs it blinded see again (those the
    /// answer itself does not see are judged right after).
    fn see_again(&mut self) {
        if std::mem::take(&mut self.unreachable) {
            self.registry.withdraw(code::SOURCE_UNREACHABLE, None);
            eprintln!("sloguard serve: {} answers again", self.source.shown());
        }
    }

    /// The engine cannot be read: every SLO is blind, and the diagnostic says why (it is
    /// logged once, when it appears).
    fn blind_all(&mut self, e: &SourceError) {
        self.unreachable = true;
        self.registry.report(Diagnostic::service(
            code::SOURCE_UNREACHABLE,
            format!(
                "the metrics engine cannot be read ({e}); every SLO shows no data until it answers, and the events of the gap are read then"
            ),
        ));
        for name in self.reader.plan().names() {
            self.registry.set_blind(
                name,
                Some(format!("the metrics engine cannot be read ({e})")),
            );
        }
    }

    /// Runs until `shutdown` completes: an advance at every step, on the wall clock. `ready`
    /// is set once the history is rebuilt and the state file kept (people's writes wait for
    /// it).
    pub async fn run(
        mut self,
        shutdown: impl std::future::Future<Output = ()>,
        ready: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) {
        tokio::pin!(shutdown);
        let started = Instant::now();
        let rebuilt = self.advance(unix_now()).await;
        eprintln!(
            "sloguard serve: {} SLOs of {} read from {}: {} points of history in {:.1} s, {} queries",
            self.reader.plan().names().len(),
            self.registry.service(),
            self.source.shown(),
            rebuilt.points,
            started.elapsed().as_secs_f64(),
            rebuilt.queries
        );
        let _saving = self
            .options
            .state
            .clone()
            .map(|path| self.registry.persist_to(path, Duration::from_secs(60)));
        ready.store(true, std::sync::atomic::Ordering::Release);
        let step = self.options.step.as_secs().max(1) as i64;
        loop {
            // The next step boundary past the delay.
            let next = floor(
                unix_now() - self.options.delay.as_secs() as i64,
                self.options.step,
            ) + step
                + self.options.delay.as_secs() as i64;
            let wait = Duration::from_secs_f64(
                (next as f64 - unix_now_f64()).clamp(0.0, step as f64 * 2.0),
            );
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut shutdown => break,
            }
            self.advance(unix_now()).await;
        }
    }
}

fn unix_now_f64() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Now, in whole Unix seconds.
pub fn unix_now() -> i64 {
    unix_now_f64() as i64
}
