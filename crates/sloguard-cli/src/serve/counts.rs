//! A fleet's events, read from a metrics engine: which queries (all SLOs of a family in one),
//! and how their answers become each SLO's good and bad events per step.
//!
//! - **Native specs** read the counters every replica exposes
//!   (`sloguard_slo_events_total` and `sloguard_slo_bad_events_total`), series by series: a
//!   step's events are each series' increase since the previous step, a counter that went down
//!   (a restarted replica) counts from zero, and a series that appears after the first step
//!   (a new replica) counts whole. Nothing is extrapolated, so the fleet's counts are the sum
//!   of the replicas' counts exactly, whatever the scrape interval.
//! - **Sloth, OpenSLO and Pyrra specs** read their own error and total queries with the
//!   window set to the step: a rate, times the step, is the step's events. All SLOs of a spec
//!   go in one query per family, each tagged with a `sloguard_slo` label.
//!
//! Counts are kept as running sums and handed to the engine as whole events: a fraction
//! (rates are fractional) waits for the next step instead of being lost or rounded up.
//!
//! ```
//! use sloguard_cli::serve::counts::Plan;
//!
//! let spec = sloguard::spec::Spec::from_str("service: payments\nslos:\n  - name: availability\n    objective: 99.9\n    sli: availability\n").unwrap();
//! let plan = Plan::new(&spec).unwrap();
//! let queries = plan.queries(std::time::Duration::from_secs(30));
//! assert_eq!(queries[0], "sloguard_slo_events_total{service=\"payments\"}");
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use sloguard::contract;
use sloguard::spec::{Queries, Spec};
use sloguard::Counts;
use sloguard_spec::query::{jobs, with_window};
use sloguard_spec::rules::{prometheus_duration, promql_string};

use super::source::{Series, Source, SourceError};

/// The label a batched query tags each SLO's series with.
pub const SLO_TAG: &str = "sloguard_slo";

/// The most points asked of one query per series: keeps each answer (and the memory it takes)
/// small when history is read.
pub const MAX_POINTS_PER_QUERY: i64 = 250;

/// How one SLO's events are read.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Sli {
    /// sloguard's own counters, exposed by every replica.
    Counters,
    /// An imported SLI's error and total rate queries (`{{.window}}` is the step).
    Rates { error: String, total: String },
}

/// The queries of a spec's SLOs.
#[derive(Clone, Debug)]
pub struct Plan {
    service: String,
    names: Vec<String>,
    slis: Vec<Sli>,
    /// The jobs each imported SLI's queries name (`job="…"`).
    named_jobs: Vec<Vec<String>>,
    /// Per SLO: whether no series is normal for it (the later groups of a split SLO).
    quiet: Vec<bool>,
    /// The shortest range an imported query's rate is taken over (see
    /// [`Plan::rate_window`]).
    rate_window: Duration,
}

/// Why `serve` cannot read a spec's SLOs from an engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError(pub String);

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlanError {}

impl Plan {
    /// The plan for `spec`; an SLI with no event counts (a raw error-ratio query) is refused,
    /// since the engine runs on events.
    pub fn new(spec: &Spec) -> Result<Plan, PlanError> {
        let mut plan = Plan {
            service: spec.service.clone(),
            names: Vec::new(),
            slis: Vec::new(),
            named_jobs: Vec::new(),
            quiet: Vec::new(),
            rate_window: Duration::ZERO,
        };
        for slo in &spec.slos {
            let name = slo.definition.name().to_owned();
            if !slo.grouping.is_empty() {
                // Summing the groups would let one failing group hide among healthy ones.
                return Err(PlanError(format!(
                    "SLO {name:?} is one SLO per value of {} (Pyrra's grouping) and was not \
                     split into its groups (`serve::groups::split_groups` does, at start): the \
                     groups' sum would hide one failing group",
                    slo.grouping.join(", ")
                )));
            }
            let sli = match &slo.queries {
                None => Sli::Counters,
                Some(Queries::Events {
                    error_query,
                    total_query,
                }) => Sli::Rates {
                    error: error_query.clone(),
                    total: total_query.clone(),
                },
                Some(_) => {
                    return Err(PlanError(format!(
                        "SLO {name:?}: its SLI is an error ratio without event counts (Sloth's `raw`); \
                         `sloguard serve` judges events: write it as `events` (errorQuery and totalQuery)"
                    )))
                }
            };
            plan.named_jobs.push(match &sli {
                Sli::Counters => Vec::new(),
                Sli::Rates { error, total } => {
                    let mut named = jobs(error);
                    for job in jobs(total) {
                        if !named.contains(&job) {
                            named.push(job);
                        }
                    }
                    named
                }
            });
            plan.names.push(name);
            plan.slis.push(sli);
            plan.quiet.push(slo.definition.is_quiet_normal());
        }
        Ok(plan)
    }

    /// Imported queries take their rate over at least `window` (and over the step when it is
    /// longer): a rate needs two samples in its range, so a range shorter than two scrape
    /// intervals answers nothing. A rate over a range longer than the step, times the step,
    /// still adds up to every event once (each event is in `window / step` ranges, each
    /// weighted `step / window`): the events are only smoothed over `window`.
    pub fn rate_window(mut self, window: Duration) -> Plan {
        self.rate_window = window;
        self
    }

    /// The SLOs' names, in the spec's order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether the `i`-th SLO may well have no series (the later groups of a split SLO).
    pub fn quiet_is_normal(&self, i: usize) -> bool {
        self.quiet.get(i).copied().unwrap_or(false)
    }

    /// The queries of one step of length `step`: the events and the bad events of every SLO
    /// fed by counters (two, if any), then the totals and the errors of every imported SLI
    /// (two, if any), their rates over the step or the rate window, the longer.
    pub fn queries(&self, step: Duration) -> Vec<String> {
        self.families(step).into_iter().map(|(_, q)| q).collect()
    }

    fn families(&self, step: Duration) -> Vec<(Family, String)> {
        let mut out = Vec::new();
        if self.slis.contains(&Sli::Counters) {
            let selector = format!(
                "{{{}={}}}",
                contract::label::SERVICE,
                promql_string(&self.service)
            );
            out.push((
                Family::CounterTotal,
                format!("{}{selector}", contract::SLO_EVENTS.name),
            ));
            out.push((
                Family::CounterBad,
                format!("{}{selector}", contract::SLO_BAD_EVENTS.name),
            ));
        }
        let window = prometheus_duration(step.max(self.rate_window));
        let batch = |pick: fn(&Sli) -> Option<&String>| {
            let parts: Vec<String> = self
                .names
                .iter()
                .zip(&self.slis)
                .filter_map(|(name, sli)| {
                    let query = with_window(pick(sli)?, &window);
                    Some(format!(
                        "label_replace(sum({query}), {}, {}, \"\", \"\")",
                        promql_string(SLO_TAG),
                        promql_string(name)
                    ))
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join(" or "))
        };
        fn total(sli: &Sli) -> Option<&String> {
            match sli {
                Sli::Rates { total, .. } => Some(total),
                Sli::Counters => None,
            }
        }
        fn error(sli: &Sli) -> Option<&String> {
            match sli {
                Sli::Rates { error, .. } => Some(error),
                Sli::Counters => None,
            }
        }
        out.extend(batch(total).map(|q| (Family::RateTotal, q)));
        out.extend(batch(error).map(|q| (Family::RateBad, q)));
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    CounterTotal,
    CounterBad,
    RateTotal,
    RateBad,
}

impl Family {
    fn bad(self) -> bool {
        matches!(self, Family::CounterBad | Family::RateBad)
    }
}

/// One step read: its time (Unix seconds) and each SLO's new events, in the plan's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The step's end, Unix seconds.
    pub at: i64,
    /// Each SLO's events in the step, whole.
    pub counts: Vec<Counts>,
}

/// What the latest read saw of each SLO.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// Per SLO: whether any series of it answered at the last step.
    pub present: Vec<bool>,
    /// Per SLO: the jobs its series come from (every job seen so far, and the jobs its
    /// queries name).
    pub jobs: Vec<BTreeSet<String>>,
}

/// Reads steps of a plan, keeping what it needs between reads: each counter series' last
/// value, and each SLO's running sums.
#[derive(Debug)]
pub struct Reader {
    plan: Plan,
    index: HashMap<String, usize>,
    /// Each counter series' last value, by its labels.
    last: HashMap<String, f64>,
    /// The first step ever read: what a series holds there is its past, not new events.
    origin: Option<i64>,
    /// Per SLO: (events, bad events) so far, as the engine answered them.
    sums: Vec<(f64, f64)>,
    /// Per SLO: (good, bad) handed to the engine so far.
    handed: Vec<(u64, u64)>,
    jobs: Vec<BTreeSet<String>>,
    /// Queries asked since start.
    pub queries: u64,
}

impl Reader {
    /// A reader of `plan`, with nothing read yet.
    pub fn new(plan: Plan) -> Reader {
        let n = plan.names.len();
        Reader {
            index: plan
                .names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), i))
                .collect(),
            jobs: plan
                .named_jobs
                .iter()
                .map(|j| j.iter().cloned().collect())
                .collect(),
            plan,
            last: HashMap::new(),
            origin: None,
            sums: vec![(0.0, 0.0); n],
            handed: vec![(0, 0); n],
            queries: 0,
        }
    }

    /// The plan read.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The steps `from + step`, …, `to` (Unix seconds, on the step's grid), each SLO's new
    /// events in each, and what the last of them saw. The very first read starts at `from`
    /// itself, the origin: what the series hold there is the past and counts as none.
    pub async fn read(
        &mut self,
        source: &Source,
        from: i64,
        to: i64,
        step: Duration,
    ) -> Result<(Vec<Step>, Seen), SourceError> {
        let secs = step.as_secs().max(1) as i64;
        let mut answers: Vec<(Family, Vec<Series>)> = Vec::new();
        // The very first read also reads `from` itself: the origin, whose values are the
        // past every later step counts from.
        let first = if self.origin.is_none() {
            from
        } else {
            from + secs
        };
        let mut start = first;
        while start <= to {
            let end = (start + secs * (MAX_POINTS_PER_QUERY - 1)).min(to);
            for (family, query) in self.plan.families(step) {
                self.queries += 1;
                answers.push((family, source.range(&query, start, end, step).await?));
            }
            start = end + secs;
        }
        Ok(self.fold(answers, first, to, secs))
    }

    /// Turns the answers for the points `first`, …, `to` into steps (all answers first, so
    /// a failed query changes nothing).
    fn fold(
        &mut self,
        answers: Vec<(Family, Vec<Series>)>,
        first: i64,
        to: i64,
        secs: i64,
    ) -> (Vec<Step>, Seen) {
        let n = self.plan.names.len();
        let origin = *self.origin.get_or_insert(first);
        // Per step time: per SLO, (events, bad events) read. Every point of the grid is a
        // step, with events or without: the windows must see a quiet stretch as quiet, not
        // as a gap to draw a line across.
        let mut read: BTreeMap<i64, Vec<(f64, f64)>> = (0..)
            .map(|k| first + k * secs)
            .take_while(|at| *at <= to)
            .map(|at| (at, vec![(0.0, 0.0); n]))
            .collect();
        let mut present = vec![false; n];
        for (family, answer) in answers {
            for series in answer {
                let tag = match family {
                    Family::CounterTotal | Family::CounterBad => contract::label::SLO,
                    Family::RateTotal | Family::RateBad => SLO_TAG,
                };
                let Some(&slo) = series.labels.get(tag).and_then(|n| self.index.get(n)) else {
                    continue;
                };
                if let Some(job) = series.labels.get("job") {
                    self.jobs[slo].insert(job.clone());
                }
                let key = matches!(family, Family::CounterTotal | Family::CounterBad)
                    .then(|| format!("{family:?}{:?}", series.labels));
                for (at, value) in series.points {
                    if !value.is_finite() || at < first || at > to {
                        continue;
                    }
                    if at == to {
                        present[slo] = true;
                    }
                    let new = match &key {
                        Some(key) => {
                            let before = self.last.insert(key.clone(), value);
                            match before {
                                Some(before) if value >= before => value - before,
                                // A counter that went down started again from zero.
                                Some(_) => value,
                                None if at == origin => 0.0,
                                None => value,
                            }
                        }
                        None if at == origin => 0.0,
                        None => value.max(0.0) * secs as f64,
                    };
                    let cell = &mut read.entry(at).or_insert_with(|| vec![(0.0, 0.0); n])[slo];
                    if family.bad() {
                        cell.1 += new;
                    } else {
                        cell.0 += new;
                    }
                }
            }
        }
        let steps = read
            .into_iter()
            .map(|(at, cells)| Step {
                at,
                counts: cells
                    .into_iter()
                    .enumerate()
                    .map(|(slo, (events, bad))| self.hand(slo, events, bad))
                    .collect(),
            })
            .collect();
        let seen = Seen {
            present,
            jobs: self.jobs.clone(),
        };
        (steps, seen)
    }

    /// Adds a step's events to an SLO's running sums and returns the whole events not handed
    /// to the engine yet: good and bad each only ever grow (bad events are at most the
    /// events read).
    fn hand(&mut self, slo: usize, events: f64, bad: f64) -> Counts {
        let sums = &mut self.sums[slo];
        sums.0 += events;
        sums.1 += bad;
        let bad_total = sums.1.min(sums.0).max(0.0).floor() as u64;
        let good_total = (sums.0 - sums.1).max(0.0).floor() as u64;
        let handed = &mut self.handed[slo];
        let counts = Counts {
            good: good_total.saturating_sub(handed.0),
            bad: bad_total.saturating_sub(handed.1),
            cancelled: 0,
        };
        handed.0 = handed.0.max(good_total);
        handed.1 = handed.1.max(bad_total);
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(
        slo: &str,
        instance: &str,
        bad: bool,
        points: &[(i64, f64)],
    ) -> (Family, Vec<Series>) {
        let family = if bad {
            Family::CounterBad
        } else {
            Family::CounterTotal
        };
        let labels = [("slo", slo), ("instance", instance), ("job", "payments")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        (
            family,
            vec![Series {
                labels,
                points: points.to_vec(),
            }],
        )
    }

    fn reader() -> Reader {
        let spec = sloguard::spec::Spec::from_str(
            "service: payments\nslos:\n  - name: availability\n    objective: 99.9\n    sli: availability\n",
        )
        .expect("a spec");
        Reader::new(Plan::new(&spec).expect("a plan"))
    }

    fn events(steps: &[Step]) -> (u64, u64) {
        steps.iter().fold((0, 0), |(g, b), s| {
            (g + s.counts[0].good, b + s.counts[0].bad)
        })
    }

    #[test]
    fn replicas_add_up_exactly_through_restarts_and_new_replicas() {
        let mut reader = reader();
        // Replica a: 100 events before the origin, then 50 more, restarts, counts 7.
        // Replica b appears after the origin with 20 events (5 bad).
        let answers = vec![
            counters(
                "availability",
                "a",
                false,
                &[(30, 100.0), (60, 150.0), (90, 7.0)],
            ),
            counters(
                "availability",
                "a",
                true,
                &[(30, 10.0), (60, 10.0), (90, 1.0)],
            ),
            counters("availability", "b", false, &[(90, 20.0)]),
            counters("availability", "b", true, &[(90, 5.0)]),
        ];
        let (steps, seen) = reader.fold(answers, 30, 90, 30);
        assert_eq!(steps.len(), 3);
        // 50 + 7 + 20 events, 0 + 1 + 5 bad; and a step at every point, quiet or not.
        assert_eq!(events(&steps), (77 - 6, 6));
        assert_eq!(seen.present, [true]);
        assert_eq!(seen.jobs[0].iter().collect::<Vec<_>>(), ["payments"]);
        // The next read goes on from the last values.
        let answers = vec![counters("availability", "a", false, &[(120, 17.0)])];
        let (steps, seen) = reader.fold(answers, 120, 120, 30);
        assert_eq!(events(&steps), (10, 0));
        assert_eq!(seen.present, [true]);
    }

    #[test]
    fn imported_slis_are_one_query_per_family_with_the_step_as_window() {
        let spec = sloguard::spec::Spec::from_str(
            "version: prometheus/v1\nservice: s\nslos:\n  - name: a\n    objective: 99\n    sli:\n      events:\n        error_query: sum(rate(e{job=\"api\"}[{{.window}}]))\n        total_query: sum(rate(t{job=\"api\"}[{{.window}}]))\n  - name: b\n    objective: 99\n    sli:\n      events:\n        error_query: sum(rate(e2[{{.window}}]))\n        total_query: sum(rate(t2[{{.window}}]))\n",
        )
        .expect("a Sloth spec");
        let plan = Plan::new(&spec).expect("a plan");
        let queries = plan.queries(Duration::from_secs(30));
        assert_eq!(queries.len(), 2, "{queries:?}");
        assert_eq!(
            queries[0],
            "label_replace(sum(sum(rate(t{job=\"api\"}[30s]))), \"sloguard_slo\", \"a\", \"\", \"\") or label_replace(sum(sum(rate(t2[30s]))), \"sloguard_slo\", \"b\", \"\", \"\")"
        );
        assert!(queries[1].contains("rate(e{job=\"api\"}[30s])"));
        let smoothed = plan.clone().rate_window(Duration::from_secs(120));
        assert!(smoothed.queries(Duration::from_secs(30))[1].contains("rate(e{job=\"api\"}[2m])"));
        assert!(smoothed.queries(Duration::from_secs(3600))[1].contains("[1h]"));
        let reader = Reader::new(plan);
        assert_eq!(reader.jobs[0].iter().collect::<Vec<_>>(), ["api"]);
        assert!(reader.jobs[1].is_empty());
        // A rate times the step is the step's events; the origin is the past.
        let mut reader = reader;
        let tagged = |slo: &str, family: Family, points: &[(i64, f64)]| {
            (
                family,
                vec![Series {
                    labels: [(SLO_TAG.to_owned(), slo.to_owned())].into(),
                    points: points.to_vec(),
                }],
            )
        };
        let (steps, seen) = reader.fold(
            vec![
                tagged("a", Family::RateTotal, &[(0, 5.0), (30, 2.0), (60, 1.0)]),
                tagged("a", Family::RateBad, &[(0, 1.0), (30, 0.1), (60, 0.0)]),
            ],
            0,
            60,
            30,
        );
        let a: (u64, u64) = steps.iter().fold((0, 0), |(g, b), s| {
            (g + s.counts[0].good, b + s.counts[0].bad)
        });
        assert_eq!(a, (87, 3), "90 events, 3 bad");
        assert_eq!(seen.present, [true, false]);
    }

    #[test]
    fn grouped_slos_are_refused_rather_than_summed() {
        let spec = sloguard::spec::Spec::from_str(
            "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: api, namespace: s}\nspec:\n  target: '99'\n  window: 4w\n  indicator:\n    ratio:\n      errors: {metric: 'e{code=\"500\"}'}\n      total: {metric: 'e'}\n      grouping: [handler]\n",
        )
        .expect("a Pyrra spec");
        let error = Plan::new(&spec).expect_err("refused").to_string();
        assert!(
            error.contains("\"api\"")
                && error.contains("handler")
                && error.contains("hide one failing group"),
            "{error}"
        );
    }

    #[test]
    fn raw_ratio_slis_are_refused_by_name() {
        let spec = sloguard::spec::Spec::from_str(
            "version: prometheus/v1\nservice: s\nslos:\n  - name: r\n    objective: 99\n    sli:\n      raw:\n        error_ratio_query: sum(rate(e[{{.window}}])) / sum(rate(t[{{.window}}]))\n",
        )
        .expect("a Sloth spec");
        let error = Plan::new(&spec).expect_err("refused").to_string();
        assert!(
            error.contains("\"r\"") && error.contains("errorQuery"),
            "{error}"
        );
    }

    #[test]
    fn fractional_rates_are_handed_whole_and_never_lost() {
        let mut reader = reader();
        let mut handed = (0, 0);
        for step in 0..10 {
            let c = reader.hand(0, 0.75, 0.25);
            handed.0 += c.good;
            handed.1 += c.bad;
            let _ = step;
        }
        // 7.5 events, 2.5 bad: 5 good and 2 bad handed, the halves wait.
        assert_eq!(handed, (5, 2));
    }
}
