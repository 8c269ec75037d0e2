//! Reading the tables into a [`Snapshot`]: each SLO's view from one reading of its counters,
//! the registry's series, and the diagnostics a snapshot shows by itself.

use std::sync::Arc;

use crate::clock::Timestamp;
use crate::compliance::utc_days;
use crate::contract::{self, Family};
use crate::diagnostic::{code, nearest, Diagnostic};
use crate::evaluate::Evaluation;
use crate::model::{Selector, OTHER_OPERATION};
use crate::recorder::Counts;
use crate::registry::{EvalState, Registry, SloEntry};
use crate::snapshot::{GaugeSeries, HistogramSeries, SloSnapshot, Snapshot, TierStatus};
use crate::sync::{lock, read};
use crate::window::Reading;

use super::{evaluate_entry, judged};

/// The view of one SLO, from an evaluation made under its state lock.
pub(super) fn slo_snapshot(
    entry: &SloEntry,
    state: &EvalState,
    (counts, under): (Counts, bool),
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
        blind: state.blind.clone(),
        under_maintenance: under,
        excluded: state.maintenance.left_out(&counts, under),
        bad_event_exemplar: entry.recorder.bad_exemplar(),
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
    // Operations with traffic: HTTP routes as they are, gRPC methods with the `/` their
    // operation names start with (the RPC conventions' `rpc_method` leaves it out).
    let route_of = |h: &'_ HistogramSeries| -> Option<String> {
        let label = |family: &Family, i: usize| {
            (h.name == family.name)
                .then(|| h.labels.iter().find(|(k, _)| k == family.labels[i]))
                .flatten()
                .map(|(_, v)| v.as_str())
        };
        if let Some(route) = label(&contract::HTTP_REQUEST_DURATION, 1) {
            return (route != OTHER_OPERATION).then(|| route.to_owned());
        }
        label(&contract::RPC_SERVER_CALL_DURATION, 1)
            .filter(|method| *method != "_OTHER")
            .map(|method| format!("/{method}"))
    };
    let mut routes: Vec<String> = histograms
        .iter()
        .filter(|h| h.histogram.count() > 0)
        .filter_map(route_of)
        .collect();
    routes.sort_unstable();
    routes.dedup();
    let routes: Vec<&str> = routes.iter().map(String::as_str).collect();
    let traffic = !routes.is_empty() || slos.iter().any(|s| s.evaluation.period.events > 0);
    let mut out = Vec::new();
    for slo in slos
        .iter()
        .filter(|s| traffic && s.evaluation.period.events == 0)
        .filter(|s| !s.definition.is_quiet_normal())
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
        let under = super::leaves_out(
            &entry,
            &lock(&self.inner.maintenance),
            Timestamp::from_unix_nanos(now),
        );
        let state = lock(&entry.state);
        let live = judged(
            &entry,
            &state,
            Timestamp::from_unix_nanos(now),
            &counts,
            under,
        );
        Some(crate::history::history(
            &entry.definition,
            &state.windows,
            now,
            live,
        ))
    }

    /// A consistent view of every SLO and histogram, read now.
    pub fn snapshot(&self) -> Snapshot {
        let now = self.inner.clock.now();
        let schedule = lock(&self.inner.maintenance).clone();
        let views = self
            .entries()
            .iter()
            .map(|entry| {
                let counts = entry.recorder.counts();
                let under = super::leaves_out(entry, &schedule, now);
                let state = lock(&entry.state);
                let live = judged(entry, &state, now, &counts, under);
                let evaluation = evaluate_entry(entry, &state, now, live);
                slo_snapshot(entry, &state, (counts, under), live, evaluation, now)
            })
            .collect();
        self.assemble(now, views)
    }

    /// The snapshot of these SLO views with the registry's series read now.
    pub(super) fn assemble(&self, taken_at: Timestamp, slos: Vec<SloSnapshot>) -> Snapshot {
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
            maintenances: self.maintenances(),
        }
    }
}
