//! `sloguard replay`: the in-process engine, on virtual time, over recorded traffic, so a team
//! sees when its alerts would have fired and can tune them.
//!
//! Input: JSON Lines, one event per line, in time order:
//! `{"ts": 1767225600.25, "ok": true, "latency_ms": 12.5, "route": "/pay"}`. `ts` is Unix
//! seconds or an RFC 3339 string; `latency_ms` is needed by latency SLOs; `route` is matched
//! against each SLO's operation selection (absent: the operation `other`, as in the layer). Other
//! fields are ignored. Blank lines are skipped.
//!
//! Output: JSON Lines. At every `step` boundary of event time, one status line per SLO:
//! `{"ts":…,"slo":"…","burn_rate":{"5m":x,…,"3d":x},"budget_remaining":x,"alerts":{"page":false,"ticket":false}}`
//! (`null` for a window without events), with `"compliance":[…]` for an SLO with calendar
//! windows: each window's current period as in `/slo.json` (window, zone, start, end, events,
//! bad_events, sli_ratio, budget_remaining, time_to_exhaustion_seconds, the SLA's `status`),
//! without the past periods, which get a line each as they close:
//! `{"ts":…,"slo":"…","window":"month","period":{"start":…,"end":…,"events":…,"bad_events":…,"sli_ratio":…,"sla":"met"}}`.
//! At each change of a severity's state: `{"ts":…,"slo":"…","alert":"page","state":"firing"}`
//! (or `"resolved"`). Lines come in time order; a transition or a closed period at a boundary
//! comes before that boundary's status.
//!
//! Maintenance windows ([`Options::maintenance`], `--maintenance FILE`: a JSON array of
//! objects as `POST /api/v2/scheduled-maintenances` takes them) are scheduled at the first
//! event, and act as they do live: their SLOs' events are left out and their alerts held, and
//! a status line during one says `"under_maintenance":true`.
//!
//! Boundaries are multiples of `step` since the epoch, from the first after the first event to
//! the first after the last event. An event at time `t` is recorded after the evaluator
//! has run for `t`, exactly as a live event arriving at `t` would be.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, Write};
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use sloguard::alert::AlertState;
use sloguard::clock::Timestamp;
use sloguard::duration::format_duration;
use sloguard::expose::json::{ComplianceJson, PastPeriodJson, Windows};
use sloguard::model::{Severity, Sli};
use sloguard::sim::Simulation;
use sloguard::spec::Spec;
use sloguard::{Outcome, SloRecorder};

/// What to do with a line that is not a valid event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Stop with an error naming the line (the default).
    Fail,
    /// Report it on standard error with its line number and go on.
    Skip,
}

impl Malformed {
    /// Stops with an error for `Fail`; for `Skip`, reports the line and what was done with it.
    fn handle(self, line: usize, message: String, done: &str) -> Result<(), ReplayError> {
        match self {
            Malformed::Fail => Err(ReplayError { line, message }),
            Malformed::Skip => {
                eprintln!("sloguard replay: line {line}: {message}; {done}");
                Ok(())
            }
        }
    }
}

/// Replay settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Output cadence in event time (default 1 minute).
    pub step: Duration,
    /// Malformed lines.
    pub malformed: Malformed,
    /// Maintenance windows, scheduled at the first event.
    pub maintenance: Vec<sloguard::maintenance::NewMaintenance>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            step: Duration::from_secs(60),
            malformed: Malformed::Fail,
            maintenance: Vec::new(),
        }
    }
}

/// The maintenance windows of a JSON document: an array of objects (or one object) as
/// `POST /api/v2/scheduled-maintenances` takes them. The error names the window and field.
pub fn maintenance_windows(
    text: &str,
) -> Result<Vec<sloguard::maintenance::NewMaintenance>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        one @ serde_json::Value::Object(_) => vec![one],
        _ => return Err("must be an array of maintenance windows".to_owned()),
    };
    items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            let object = item
                .as_object()
                .ok_or_else(|| format!("window {}: must be an object", n + 1))?;
            sloguard::expose::write::maintenance_from_json(object)
                .map_err(|e| format!("window {}: {e}", n + 1))
        })
        .collect()
}

/// Why a replay stopped.
#[derive(Debug, PartialEq, Eq)]
pub struct ReplayError {
    /// 1-based input line, 0 for errors outside the input.
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for ReplayError {}

/// What a replay did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events replayed.
    pub events: u64,
    /// Malformed lines skipped.
    pub skipped: u64,
    /// Lines written.
    pub lines_out: u64,
}

/// Unix seconds or RFC 3339, read without allocating.
struct Ts(Timestamp);

impl<'de> Deserialize<'de> for Ts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Ts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("Unix seconds or an RFC 3339 time")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ts, E> {
                Timestamp::from_unix_secs_f64(v)
                    .map(Ts)
                    .ok_or_else(|| E::custom(format!("ts {v} is not a time between 1970 and 2500")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ts, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ts, E> {
                self.visit_f64(v as f64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Ts, E> {
                let t =
                    time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
                        .map_err(|e| E::custom(format!("ts {v:?} is not RFC 3339: {e}")))?;
                u64::try_from(t.unix_timestamp_nanos())
                    .ok()
                    .map(Timestamp::from_unix_nanos)
                    .filter(|t| *t <= Timestamp::LATEST)
                    .map(Ts)
                    .ok_or_else(|| {
                        E::custom(format!("ts {v:?} is not a time between 1970 and 2500"))
                    })
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct Event<'a> {
    ts: Ts,
    ok: bool,
    #[serde(default)]
    latency_ms: Option<f64>,
    #[serde(default, borrow)]
    route: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Serialize)]
struct StatusLine<'a> {
    ts: f64,
    slo: &'a str,
    burn_rate: Windows,
    budget_remaining: f64,
    alerts: Flags,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    compliance: Vec<ComplianceJson>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    under_maintenance: bool,
}

#[derive(Serialize)]
struct PeriodLine<'a> {
    ts: f64,
    slo: &'a str,
    window: &'a str,
    period: &'a PastPeriodJson,
}

#[derive(Serialize, Clone, Copy, Default, PartialEq, Eq)]
struct Flags {
    page: bool,
    ticket: bool,
}

#[derive(Serialize)]
struct TransitionLine<'a> {
    ts: f64,
    slo: &'a str,
    alert: &'static str,
    state: &'static str,
}

struct Target {
    recorder: SloRecorder,
    needs_latency: bool,
}

struct Engine {
    sim: Simulation,
    targets: Vec<Target>,
    /// Firing tiers per SLO and severity, to report severity-level transitions.
    firing: BTreeMap<(String, Severity), usize>,
    /// Per SLO and calendar window, the start of the newest period already reported closed.
    closed: BTreeMap<(String, String), f64>,
    /// How long after an event the engine's state can still change.
    horizon: Duration,
}

impl Engine {
    fn new(spec: &Spec, start: Timestamp, options: &Options) -> Result<Self, ReplayError> {
        let sim = Simulation::new(spec.service.clone(), start);
        let recorders = spec.register(sim.registry()).map_err(|e| ReplayError {
            line: 0,
            message: e.to_string(),
        })?;
        for (n, window) in options.maintenance.iter().enumerate() {
            sim.registry()
                .schedule_maintenance(window.clone())
                .map_err(|e| ReplayError {
                    line: 0,
                    message: format!("maintenance window {}: {e}", n + 1),
                })?;
        }
        let targets = recorders
            .into_iter()
            .map(|recorder| Target {
                needs_latency: matches!(recorder.definition().sli(), Sli::Latency { .. }),
                recorder,
            })
            .collect();
        let horizon = sim.registry().horizon();
        Ok(Engine {
            sim,
            targets,
            firing: BTreeMap::new(),
            closed: BTreeMap::new(),
            horizon,
        })
    }

    /// Runs the evaluator up to `t` and writes the transitions that happened.
    fn advance(
        &mut self,
        t: Timestamp,
        out: &mut impl Write,
        stats: &mut Stats,
    ) -> std::io::Result<()> {
        self.sim.advance_to(t);
        for tr in self.sim.take_transitions() {
            let key = (tr.slo.clone(), tr.severity);
            let count = self.firing.entry(key).or_default();
            let before = *count > 0;
            match tr.state {
                AlertState::Firing => *count += 1,
                AlertState::Resolved => *count = count.saturating_sub(1),
            }
            let after = *count > 0;
            if before != after {
                let line = TransitionLine {
                    ts: tr.at.as_unix_secs_f64(),
                    slo: &tr.slo,
                    alert: tr.severity.as_str(),
                    state: if after { "firing" } else { "resolved" },
                };
                serde_json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")?;
                stats.lines_out += 1;
            }
        }
        Ok(())
    }

    fn status(
        &mut self,
        t: Timestamp,
        out: &mut impl Write,
        stats: &mut Stats,
    ) -> std::io::Result<()> {
        self.sim.clock().set(t);
        let snapshot = self.sim.registry().snapshot();
        let mut write = |value: &dyn erased::Line, out: &mut dyn Write| -> std::io::Result<()> {
            value.write_to(out)?;
            out.write_all(b"\n")?;
            stats.lines_out += 1;
            Ok(())
        };
        for slo in &snapshot.slos {
            let name = slo.definition.name();
            let mut compliance: Vec<ComplianceJson> = slo
                .compliance
                .iter()
                .map(ComplianceJson::from_window)
                .collect();
            for window in &mut compliance {
                let past = std::mem::take(&mut window.past);
                let key = (name.to_owned(), window.window.clone());
                let reported = self.closed.get(&key).copied().unwrap_or(f64::NEG_INFINITY);
                // Newest first in the snapshot: report the unreported ones oldest first.
                for period in past.iter().rev().filter(|p| p.start > reported) {
                    let line = PeriodLine {
                        ts: t.as_unix_secs_f64(),
                        slo: name,
                        window: &window.window,
                        period,
                    };
                    write(&line, out)?;
                }
                if let Some(newest) = past.first() {
                    self.closed.insert(key, newest.start);
                }
            }
            let line = StatusLine {
                ts: t.as_unix_secs_f64(),
                slo: slo.definition.name(),
                burn_rate: Windows(
                    slo.windows()
                        .iter()
                        .map(|w| (format_duration(w.window), w.burn_rate))
                        .collect(),
                ),
                budget_remaining: slo.budget_remaining(),
                alerts: Flags {
                    page: slo.firing(Severity::Page),
                    ticket: slo.firing(Severity::Ticket),
                },
                compliance,
                under_maintenance: slo.under_maintenance,
            };
            write(&line, out)?;
        }
        Ok(())
    }
}

/// Lines of different shapes written through one helper.
mod erased {
    pub(super) trait Line {
        fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()>;
    }
    impl<T: serde::Serialize> Line for T {
        fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
            serde_json::to_writer(out, self).map_err(std::io::Error::other)
        }
    }
}

fn next_boundary_after(t: Timestamp, step: u64) -> Timestamp {
    Timestamp::from_unix_nanos((t.as_unix_nanos() / step + 1) * step)
}

/// Replays `input` through the SLOs of `spec`, writing JSON Lines to `output`.
pub fn replay(
    spec: &Spec,
    input: impl BufRead,
    output: impl Write,
    options: &Options,
) -> Result<Stats, ReplayError> {
    run(spec, input, output, options).map(|(stats, _)| stats)
}

/// Replays `input` through the SLOs of `spec` and returns the incident history it made (for
/// `sloguard incident-review --events`).
pub fn replay_incidents(
    spec: &Spec,
    input: impl BufRead,
    options: &Options,
) -> Result<sloguard::expose::incidents::IncidentsDocument, ReplayError> {
    let (_, engine) = run(spec, input, std::io::sink(), options)?;
    let registry = engine
        .map(|e| e.sim.registry().clone())
        .ok_or_else(|| ReplayError {
            line: 0,
            message: "no events to replay".to_owned(),
        })?;
    Ok(sloguard::expose::incidents::IncidentsDocument::from_snapshot(&registry.snapshot()))
}

impl Engine {
    /// Writes the status lines due from `next_status` up to `ts`. Status lines a horizon after
    /// the previous event (the gap's start) would repeat one state until this one: a longer gap is reported up
    /// to the horizon, then from its last boundary on, so the output is bounded by the input
    /// whatever the gap.
    fn catch_up(
        &mut self,
        (previous, ts): (Timestamp, Timestamp),
        step: u64,
        next_status: &mut Timestamp,
        line_no: usize,
        output: &mut impl Write,
        stats: &mut Stats,
    ) -> std::io::Result<()> {
        let quiet_after = previous.saturating_add(self.horizon);
        let last_boundary = Timestamp::from_unix_nanos(ts.as_unix_nanos() / step * step);
        while *next_status <= ts {
            if *next_status > quiet_after && *next_status < last_boundary {
                eprintln!(
                    "sloguard replay: line {line_no}: no events from {previous} to {ts}; status lines from {next_status} to {last_boundary} left out (they repeat the state of the first)"
                );
                *next_status = last_boundary;
            }
            self.advance(*next_status, output, stats)?;
            self.status(*next_status, output, stats)?;
            *next_status =
                Timestamp::from_unix_nanos(next_status.as_unix_nanos().saturating_add(step));
        }
        Ok(())
    }

    /// Records one event into every SLO whose operations select its route (the layer's
    /// routing rule: an event without a route is operation `other`).
    fn record(
        &self,
        event: &Event<'_>,
        line_no: usize,
        options: &Options,
    ) -> Result<(), ReplayError> {
        let outcome = if event.ok {
            Outcome::Success
        } else {
            Outcome::Error
        };
        let latency = event
            .latency_ms
            .filter(|l| l.is_finite() && *l >= 0.0)
            .map(|ms| (ms * 1e6) as u64);
        for target in &self.targets {
            let operations = target.recorder.definition().operations();
            if !operations.selects(event.route.as_deref()) {
                continue;
            }
            match latency {
                Some(nanos) => target.recorder.record_nanos(outcome, nanos),
                None if target.needs_latency => {
                    let message = format!(
                        "latency_ms is needed by the latency SLO {:?}",
                        target.recorder.definition().name()
                    );
                    options
                        .malformed
                        .handle(line_no, message, "not counted for that SLO")?;
                }
                None => target.recorder.record_nanos(outcome, 0),
            }
        }
        Ok(())
    }
}

fn run(
    spec: &Spec,
    input: impl BufRead,
    mut output: impl Write,
    options: &Options,
) -> Result<(Stats, Option<Engine>), ReplayError> {
    let io = |e: std::io::Error| ReplayError {
        line: 0,
        message: format!("cannot write the output: {e}"),
    };
    let step = u64::try_from(options.step.as_nanos())
        .unwrap_or(u64::MAX)
        .max(1_000_000);
    let mut stats = Stats::default();
    let mut engine: Option<Engine> = None;
    let mut next_status = Timestamp::EPOCH;
    let mut last = Timestamp::EPOCH;
    let mut input = input;
    let mut text = String::new();
    let mut line_no = 0usize;
    loop {
        text.clear();
        let read = input.read_line(&mut text).map_err(|e| ReplayError {
            line: line_no + 1,
            message: format!("cannot read the input: {e}"),
        })?;
        if read == 0 {
            break;
        }
        line_no += 1;
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        let event = match serde_json::from_str::<Event<'_>>(trimmed) {
            Ok(e) => e,
            Err(e) => {
                let message = format!("not an event ({e}); expected {{\"ts\": 1767225600.25, \"ok\": true, \"latency_ms\": 12.5, \"route\": \"/pay\"}}");
                options.malformed.handle(line_no, message, "skipped")?;
                stats.skipped += 1;
                continue;
            }
        };
        let ts = event.ts.0;
        if ts < last {
            return Err(ReplayError {
                line: line_no,
                message: format!(
                    "ts {} is earlier than the line before ({}); events must be in time order",
                    ts, last
                ),
            });
        }
        let previous = last;
        last = ts;
        let engine = match &mut engine {
            Some(e) => e,
            None => {
                next_status = next_boundary_after(ts, step);
                engine.insert(Engine::new(spec, ts, options)?)
            }
        };
        engine
            .catch_up(
                (previous, ts),
                step,
                &mut next_status,
                line_no,
                &mut output,
                &mut stats,
            )
            .map_err(io)?;
        engine.advance(ts, &mut output, &mut stats).map_err(io)?;
        engine.record(&event, line_no, options)?;
        stats.events += 1;
    }
    if let Some(engine) = &mut engine {
        // The next boundary is after every event (an event exactly on a boundary was recorded
        // after that boundary's status), so it reports them all.
        engine
            .advance(next_status, &mut output, &mut stats)
            .map_err(io)?;
        engine
            .status(next_status, &mut output, &mut stats)
            .map_err(io)?;
    }
    output.flush().map_err(io)?;
    Ok((stats, engine))
}
