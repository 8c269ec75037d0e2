//! Import of OpenSLO v1, as the specification publishes it: objects in YAML lists or in the
//! documents of a multi-document file, referring to each other by name.
//!
//! Read: `SLO` (with an inline `indicator` or an `indicatorRef` to an `SLI` object, one
//! `timeWindow`, a budgeting method, one objective with `target` or `targetPercent`),
//! `SLI` objects with a `ratioMetric` (`good`/`total`, `bad`/`total`, or `raw` with `rawType`)
//! over `Prometheus` metric sources, and `Service` objects (an SLO's `service` must name one
//! when the file has any). `metadata.labels` may be strings or lists of strings (a list
//! becomes one label value, joined with commas). A counter source written without
//! `{{.window}}` is taken as the counter it is and rated over each window.
//!
//! Alert policies (inline, or `AlertPolicy` objects by `alertPolicyRef`) become the SLO's
//! tiers: each `burnrate` condition (inline, or an `AlertCondition` by `conditionRef`) is a
//! tier with its severity (`page`/`critical`, `ticket`/`warning`) and threshold, its
//! `lookbackWindow` as the long window and a twelfth of it as the short one, as the SRE
//! Workbook pairs them. `notificationTargets` and `alertWhenNoData` are noted by `lint`
//! (alerts reach people through Alertmanager; missing data is the `no_data` status).
//!
//! A `thresholdMetric` SLI over a classic histogram's series, with an objective `op: lte` (or
//! `lt`) and `value` (the bound, in the histogram's unit), is a latency SLI: good events are
//! the bucket at the bound, total events the histogram's count.
//!
//! Calendar-aligned windows (`1w`, `1M`, `1Q`) and the `Timeslices` and `RatioTimeslices`
//! budgeting methods are read as the module `openslo_periods` describes: the calendar becomes
//! a compliance window that notifications quote, slices are sloguard's time slices.
//!
//! What OpenSLO allows and sloguard does not do yet is refused with the object's kind, name
//! and field: other metric source types, thresholds on computed values (quantiles, gauges),
//! other comparisons, other calendar periods, `alertAfter`. A `metricSourceRef` takes the
//! `type` of the `DataSource` object it names.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_yaml_ng::Value;
use sloguard_core::duration::parse_duration;
use sloguard_core::model::{AlertPolicy, AlertTier, Severity, Slo};

use super::{AlertingMeta, Intervals, Parts, Queries, SloSpec, SpecError};
use crate::error::refuse;
use crate::openslo_periods as periods;

/// Any OpenSLO object, before its kind is known.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Object {
    api_version: String,
    kind: String,
    metadata: Metadata,
    #[serde(default)]
    spec: Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Metadata {
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, LabelValue>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// OpenSLO label values: a string or a list of strings.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum LabelValue {
    One(String),
    Many(Vec<String>),
}

impl LabelValue {
    fn joined(self) -> String {
        match self {
            LabelValue::One(v) => v,
            LabelValue::Many(v) => v.join(","),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SloBody {
    #[serde(default)]
    description: Option<String>,
    service: String,
    #[serde(default)]
    indicator: Option<InlineIndicator>,
    #[serde(default)]
    indicator_ref: Option<String>,
    time_window: Vec<periods::TimeWindow>,
    budgeting_method: String,
    objectives: Vec<ObjectiveSpec>,
    #[serde(default)]
    alert_policies: Vec<Value>,
}

/// An `AlertPolicy` spec.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PolicyBody {
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    alert_when_no_data: bool,
    #[serde(default)]
    #[allow(dead_code)]
    alert_when_resolved: bool,
    #[serde(default = "yes")]
    alert_when_breaching: bool,
    conditions: Vec<Value>,
    #[serde(default)]
    notification_targets: Vec<Value>,
}

fn yes() -> bool {
    true
}

/// An `AlertCondition` spec.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ConditionBody {
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    severity: String,
    condition: BurnRate,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct BurnRate {
    kind: String,
    op: String,
    threshold: f64,
    lookback_window: String,
    #[serde(default)]
    alert_after: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InlineIndicator {
    #[serde(default)]
    metadata: Option<Metadata>,
    spec: SliBody,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SliBody {
    #[serde(default)]
    ratio_metric: Option<RatioMetric>,
    #[serde(default)]
    threshold_metric: Option<Value>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RatioMetric {
    /// OpenSLO's examples leave it out; a source without `{{.window}}` is then used as it is.
    #[serde(default)]
    counter: bool,
    #[serde(default)]
    good: Option<MetricSourceHolder>,
    #[serde(default)]
    bad: Option<MetricSourceHolder>,
    #[serde(default)]
    total: Option<MetricSourceHolder>,
    #[serde(default)]
    raw: Option<MetricSourceHolder>,
    #[serde(default)]
    raw_type: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MetricSourceHolder {
    metric_source: MetricSource,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MetricSource {
    #[serde(default)]
    metric_source_ref: Option<String>,
    /// Given, or taken from the `DataSource` the reference names.
    #[serde(rename = "type", default)]
    kind: String,
    spec: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ObjectiveSpec {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    target: Option<f64>,
    #[serde(default)]
    target_percent: Option<f64>,
    #[serde(default)]
    op: Option<Value>,
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    time_slice_target: Option<Value>,
    #[serde(default)]
    time_slice_window: Option<Value>,
    #[serde(default)]
    indicator: Option<Value>,
    #[serde(default)]
    indicator_ref: Option<String>,
    #[serde(default)]
    composite_weight: Option<Value>,
}

/// One SLO object read: its document and its parts (or why it was refused).
pub(crate) type Resolved = (usize, Result<Parts, SpecError>);

/// The objects of a file, gathered over all its documents, resolved once all are read.
#[derive(Debug, Default)]
pub(crate) struct Objects {
    objects: Vec<(usize, Object)>,
}

impl Objects {
    pub(crate) fn add(&mut self, document: usize, object: Object) {
        self.objects.push((document, object));
    }

    pub(crate) fn add_list(&mut self, document: usize, objects: Vec<Object>) {
        self.objects
            .extend(objects.into_iter().map(|o| (document, o)));
    }

    /// One result per SLO object, with the document it came from.
    pub(crate) fn resolve(self) -> Result<Vec<Resolved>, SpecError> {
        let mut slis: BTreeMap<String, Value> = BTreeMap::new();
        let mut policies: BTreeMap<String, Value> = BTreeMap::new();
        let mut conditions: BTreeMap<String, Value> = BTreeMap::new();
        let mut services: Vec<String> = Vec::new();
        let mut data_sources: BTreeMap<String, Value> = BTreeMap::new();
        let mut slos = Vec::new();
        for (document, object) in self.objects {
            let name = object.metadata.name.clone();
            let refuse = |field: &str, why: String| {
                Err(SpecError::new(field, why).in_object(format!("{} {name:?}", object.kind)))
            };
            if object.api_version != "openslo/v1" {
                return refuse(
                    "apiVersion",
                    format!(
                        "{:?} in a list of OpenSLO v1 objects; every object of the list needs apiVersion openslo/v1",
                        object.api_version
                    ),
                )
                .map_err(|e: SpecError| SpecError {
                    document: Some(document + 1),
                    ..e
                });
            }
            match object.kind.as_str() {
                "SLO" => slos.push((document, object)),
                "SLI" => {
                    slis.insert(name, object.spec);
                }
                "AlertPolicy" => {
                    policies.insert(name, object.spec);
                }
                "AlertCondition" => {
                    conditions.insert(name, object.spec);
                }
                // Where notifications go: sloguard's alerts route through Alertmanager, so a
                // target is read only to be named when a policy refers to it.
                "AlertNotificationTarget" => {}
                // Where metrics come from: its `type` is what a `metricSourceRef` takes;
                // `connectionDetails` are the engine's business, which loads the rules.
                "DataSource" => {
                    // Only a named type is taken: a reference to a DataSource without one is
                    // refused where it is used, naming it.
                    if let Some(kind) = object.spec.get("type").filter(|t| t.is_string()) {
                        data_sources.insert(name, kind.clone());
                    }
                }
                "Service" => services.push(name),
                other => {
                    return refuse(
                        "kind",
                        format!(
                            "OpenSLO kind {other} is not imported yet; sloguard reads SLO, SLI and Service objects (alerting is sloguard's multiwindow multi-burn-rate tiers)"
                        ),
                    )
                    .map_err(|e: SpecError| SpecError {
                        document: Some(document + 1),
                        ..e
                    })
                }
            }
        }
        for value in slis.values_mut() {
            fill_source_types(value, &data_sources);
        }
        Ok(slos
            .into_iter()
            .map(|(document, mut object)| {
                fill_source_types(&mut object.spec, &data_sources);
                let name = format!("SLO {:?}", object.metadata.name);
                (
                    document,
                    slo(
                        object,
                        &Named {
                            slis: &slis,
                            services: &services,
                            policies: &policies,
                            conditions: &conditions,
                        },
                    )
                    .map_err(|e| e.in_object(name)),
                )
            })
            .collect())
    }
}

/// Gives every `metricSource` that refers to a `DataSource` by `metricSourceRef` (and names no
/// `type` of its own) the type of that data source, as OpenSLO reads the reference.
fn fill_source_types(value: &mut Value, data_sources: &BTreeMap<String, Value>) {
    match value {
        Value::Mapping(map) => {
            if let Some(kind) = map
                .get("metricSourceRef")
                .and_then(Value::as_str)
                .and_then(|r| data_sources.get(r))
            {
                if !map.contains_key("type") {
                    map.insert(Value::from("type"), kind.clone());
                }
            }
            for (_, inner) in map.iter_mut() {
                fill_source_types(inner, data_sources);
            }
        }
        Value::Sequence(items) => {
            for inner in items {
                fill_source_types(inner, data_sources);
            }
        }
        _ => {}
    }
}

/// `value` read as `T`; an error names the field under `prefix`.
fn typed<T: DeserializeOwned>(value: Value, prefix: &str) -> Result<T, SpecError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            prefix.to_owned()
        } else {
            format!("{prefix}.{path}")
        };
        SpecError::new(field, e.into_inner().to_string())
    })
}

fn labels(metadata: BTreeMap<String, LabelValue>) -> BTreeMap<String, String> {
    metadata.into_iter().map(|(k, v)| (k, v.joined())).collect()
}

/// The objects an SLO may refer to by name.
struct Named<'a> {
    slis: &'a BTreeMap<String, Value>,
    services: &'a [String],
    policies: &'a BTreeMap<String, Value>,
    conditions: &'a BTreeMap<String, Value>,
}

/// The SLO's indicator, inline or named by `indicatorRef` among the file's SLI objects, and
/// the field it was read from.
fn resolve_indicator(
    indicator: Option<InlineIndicator>,
    reference: Option<String>,
    slis: &BTreeMap<String, Value>,
) -> Result<(SliBody, String), SpecError> {
    match (indicator, reference) {
        (Some(inline), None) => {
            let _ = inline.metadata;
            Ok((inline.spec, "spec.indicator.spec".to_owned()))
        }
        (None, Some(reference)) => {
            let Some(sli) = slis.get(&reference) else {
                return refuse(
                    "spec.indicatorRef",
                    format!(
                        "no SLI object is named {reference:?} (the file has: {})",
                        slis.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                );
            };
            let body: SliBody = typed(sli.clone(), &format!("SLI {reference:?} spec"))?;
            Ok((body, format!("SLI {reference:?} spec")))
        }
        (Some(_), Some(_)) => refuse("spec", "give `indicator` or `indicatorRef`, not both"),
        (None, None) => refuse(
            "spec.indicator",
            "missing indicator: give `indicator` or `indicatorRef`",
        ),
    }
}

fn slo(object: Object, named: &Named<'_>) -> Result<Parts, SpecError> {
    let (slis, services) = (named.slis, named.services);
    let spec: SloBody = typed(object.spec, "spec")?;
    if !services.is_empty() && !services.contains(&spec.service) {
        return refuse(
            "spec.service",
            format!(
                "no Service object is named {:?} (the file has: {})",
                spec.service,
                services.join(", ")
            ),
        );
    }
    let mut notes = Vec::new();
    let policy = alert_policy(&spec.alert_policies, named, &mut notes)?;
    let (indicator, at) = resolve_indicator(spec.indicator, spec.indicator_ref, slis)?;
    if spec.objectives.is_empty() {
        return refuse(
            "spec.objectives",
            "no objective: give one, with target or targetPercent",
        );
    }
    let [window] = spec.time_window.as_slice() else {
        return refuse("spec.timeWindow", "exactly one time window is supported");
    };
    let several = spec.objectives.len() > 1;
    let mut slos = Vec::new();
    for (i, objective) in spec.objectives.iter().enumerate() {
        // Several objectives are several SLOs, named as Sloth names them: `<name>-<index>`.
        let name = if several {
            format!("{}-{i}", object.metadata.name)
        } else {
            object.metadata.name.clone()
        };
        let mut notes = notes.clone();
        if several {
            notes.push(format!(
                "spec.objectives[{i}]: one of {} objectives, read as the SLO {name:?}",
                spec.objectives.len()
            ));
        }
        let description = spec
            .description
            .clone()
            .or(object.metadata.display_name.clone())
            .or(objective.display_name.clone());
        let definition = objective_definition(
            &Objective {
                index: i,
                name,
                objective,
                indicator: indicator.clone(),
                at: &at,
                window,
                budgeting_method: &spec.budgeting_method,
                policy: policy.clone(),
                description,
            },
            &mut notes,
        )?;
        slos.push(SloSpec {
            definition: definition.0,
            labels: labels(object.metadata.labels.clone()),
            alerting: AlertingMeta {
                annotations: object.metadata.annotations.clone(),
                ..AlertingMeta::default()
            },
            queries: Some(definition.1),
            info_labels: BTreeMap::new(),
            intervals: Intervals::default(),
            total_amount_records: false,
            document: None,
            grouping: Vec::new(),
            notes,
        });
    }
    Ok((spec.service, BTreeMap::new(), slos))
}

/// One objective of an SLO object, with what it shares with the others.
struct Objective<'a> {
    index: usize,
    name: String,
    objective: &'a ObjectiveSpec,
    indicator: SliBody,
    at: &'a str,
    window: &'a periods::TimeWindow,
    budgeting_method: &'a str,
    policy: Option<AlertPolicy>,
    description: Option<String>,
}

/// The definition and queries of one objective.
fn objective_definition(
    o: &Objective<'_>,
    notes: &mut Vec<String>,
) -> Result<(sloguard_core::model::SloDefinition, Queries), SpecError> {
    let (objective, i) = (o.objective, o.index);
    let field = |rest: &str| format!("spec.objectives[{i}]{rest}");
    if objective.composite_weight.is_some() {
        notes.push(format!("{}: this objective is judged as an SLO of its own; sloguard does not weigh objectives into a composite SLO", field(".compositeWeight")));
    }
    // OpenSLO's own examples give a ratio objective an `op` without a `value`: the spec says
    // `op` only matters for a threshold metric, so a ratio SLO reads without it, with a note.
    let threshold = if objective.op.is_some()
        && objective.value.is_none()
        && o.indicator.threshold_metric.is_none()
    {
        notes.push(format!("{}: op only matters for a thresholdMetric SLI (OpenSLO's words); this ratioMetric SLO is read without it", field(".op")));
        None
    } else {
        latency_threshold(objective)?
    };
    let queries = indicator_queries(o.indicator.clone(), o.at, threshold)?;
    let window = periods::time_window(o.window)?;
    let slices = periods::budgeting(
        o.budgeting_method,
        &periods::SliceFields {
            target: objective.time_slice_target.as_ref(),
            window: objective.time_slice_window.as_ref(),
        },
    )?;
    if objective.indicator.is_some() || objective.indicator_ref.is_some() {
        return refuse(
            field(".indicator"),
            "an indicator per objective is not supported; give the SLO's indicator",
        );
    }
    let named = match threshold {
        // A latency SLI judges latency alone: OpenSLO's threshold says nothing of status.
        Some(seconds) => Slo::latency(o.name.clone(), Duration::from_secs_f64(seconds))
            .latency_requires_success(false),
        None => Slo::availability(o.name.clone()),
    };
    let builder = match (objective.target, objective.target_percent) {
        (Some(t), None) => named.objective_ratio(t),
        (None, Some(p)) => named.objective_percent(p),
        _ => {
            return refuse(
                field(""),
                "give exactly one of target (0.999) or targetPercent (99.9)",
            )
        }
    };
    let mut builder = builder.period(window.period);
    if let Some(calendar) = window.calendar {
        builder = builder.alerting_window(calendar.name()).calendar(calendar);
    }
    notes.extend(window.note);
    if let Some((slices, note)) = slices {
        builder = builder.time_slices(slices);
        notes.push(note);
    }
    let policy = o.policy.clone().unwrap_or_else(|| {
        // No policy named: the default tiers for this period, less those the objective can
        // never reach (each noted), as every format reads them.
        let percent = objective
            .target
            .map_or(objective.target_percent.unwrap_or(100.0), |t| t * 100.0);
        crate::sloth_windows::reachable(
            AlertPolicy::for_period(window.period),
            percent,
            &field(".target"),
            notes,
        )
    });
    builder = builder.alerting(policy);
    if let Some(d) = &o.description {
        builder = builder.description(d.clone());
    }
    let definition = builder.build().map_err(|e| {
        let at = match e.field.as_str() {
            "objective" => field(""),
            "period" => "spec.timeWindow[0].duration".to_owned(),
            other => other.to_owned(),
        };
        SpecError::new(at, e.reason())
    })?;
    Ok((definition, queries))
}

/// The latency bound of a threshold objective (`op: lte`, `value: 0.5`, in the metric's unit),
/// `None` for a ratio objective.
/// The largest latency bound read (in seconds, a year): anything above is a mistake, and
/// bounds far above cannot be a duration at all.
const MAX_LATENCY_BOUND: f64 = 365.0 * 86_400.0;

fn latency_threshold(objective: &ObjectiveSpec) -> Result<Option<f64>, SpecError> {
    let field = "spec.objectives[0]";
    let (op, value) = match (&objective.op, &objective.value) {
        (None, None) => return Ok(None),
        (Some(op), Some(value)) => (op, value),
        _ => {
            return refuse(
                field,
                "give op and value together (for latency: op: lte, value: 0.5)",
            )
        }
    };
    match op.as_str() {
        Some("lte" | "lt") => {}
        _ => {
            return refuse(
                format!("{field}.op"),
                format!("op {op:?}: a threshold SLI is imported as a latency SLI, good when at or under the value (lte, or lt); other comparisons are not supported"),
            )
        }
    }
    match value.as_f64() {
        Some(v) if v.is_finite() && v > 0.0 && v <= MAX_LATENCY_BOUND => Ok(Some(v)),
        _ => refuse(
            format!("{field}.value"),
            format!("value {value:?} must be a positive number no larger than {MAX_LATENCY_BOUND} (the latency bound, in the histogram's unit)"),
        ),
    }
}

/// A `thresholdMetric` over a classic histogram: good events are the bucket at the bound,
/// total events its count. A threshold on any other query (a quantile, a gauge) judges time,
/// not events, which is a time-slice SLI: refused.
fn threshold_queries(metric: Value, bound: f64, at: &str) -> Result<Queries, SpecError> {
    let field = format!("{at}.thresholdMetric");
    let holder: MetricSourceHolder = typed(metric, &field)?;
    let query = source_query(&holder, &format!("{field}.metricSource"))?;
    let Some((bucket, count)) = crate::query::histogram_at(&query, bound) else {
        return refuse(
            format!("{field}.metricSource.spec.query"),
            format!("{query:?} is not a histogram's series selector: a threshold on a computed value (a quantile, a gauge) judges time slices, which are not imported yet; give the histogram (http_request_duration_seconds_bucket{{job=\"api\"}}) so each request is judged"),
        );
    };
    let window = crate::query::WINDOW;
    let total_query = format!("sum(rate({count}[{window}]))");
    Ok(Queries::Events {
        error_query: format!("(({total_query}) - (sum(rate({bucket}[{window}]))))"),
        total_query,
    })
}

fn indicator_queries(
    indicator: SliBody,
    at: &str,
    threshold: Option<f64>,
) -> Result<Queries, SpecError> {
    match (indicator.threshold_metric, threshold) {
        (Some(metric), Some(bound)) => return threshold_queries(metric, bound, at),
        (Some(_), None) => {
            return refuse(
                "spec.objectives[0]",
                "a thresholdMetric needs the objective's op and value (for latency: op: lte, value: 0.5)",
            )
        }
        (None, Some(_)) => {
            return refuse(
                "spec.objectives[0].op",
                "op and value belong to a thresholdMetric SLI; a ratioMetric's objective gives target or targetPercent only",
            )
        }
        (None, None) => {}
    }
    let Some(ratio) = indicator.ratio_metric else {
        return refuse(format!("{at}.ratioMetric"), "missing ratioMetric");
    };
    let at = format!("{at}.ratioMetric");
    let query = |holder: &MetricSourceHolder, name: &str| {
        prometheus_query(holder, ratio.counter, &format!("{at}.{name}.metricSource"))
    };
    if let Some(raw) = &ratio.raw {
        let q = query(raw, "raw")?;
        return Ok(Queries::Raw {
            error_ratio_query: match ratio.raw_type.as_deref() {
                Some("failure") => q,
                Some("success") => format!("(1 - ({q}))"),
                other => {
                    return refuse(
                        format!("{at}.rawType"),
                        format!("rawType {other:?}: give `success` or `failure`"),
                    )
                }
            },
        });
    }
    let Some(total) = &ratio.total else {
        return refuse(format!("{at}.total"), "missing total beside good or bad");
    };
    let total_query = query(total, "total")?;
    match (&ratio.good, &ratio.bad) {
        (Some(_), Some(_)) => refuse(&at, "give `good` or `bad`, not both"),
        (None, None) => refuse(&at, "give `good` or `bad` beside `total`"),
        (None, Some(bad)) => Ok(Queries::Events {
            error_query: query(bad, "bad")?,
            total_query,
        }),
        (Some(good), None) => Ok(Queries::Events {
            error_query: format!("(({total_query}) - ({}))", query(good, "good")?),
            total_query,
        }),
    }
}

/// The checked PromQL of a Prometheus metric source. A counter written as a bare selector is
/// rated over the window; anything else must carry `{{.window}}` itself.
fn prometheus_query(
    holder: &MetricSourceHolder,
    counter: bool,
    field: &str,
) -> Result<String, SpecError> {
    let query = source_query(holder, field)?;
    let query = if !query.contains(crate::query::WINDOW) && counter {
        if !crate::query::is_selector(&query) {
            return refuse(
                format!("{field}.spec.query"),
                format!("a counter query that is not a bare series selector must say where the window goes with {}", crate::query::WINDOW),
            );
        }
        format!("sum(rate({}[{}]))", query.trim(), crate::query::WINDOW)
    } else {
        query
    };
    crate::query::checked(query, &format!("{field}.spec.query"))
}

/// The PromQL of a `Prometheus` metric source, window placeholders normalized.
fn source_query(holder: &MetricSourceHolder, field: &str) -> Result<String, SpecError> {
    let source = &holder.metric_source;
    if let Some(reference) = source
        .metric_source_ref
        .as_ref()
        .filter(|_| source.kind.is_empty())
    {
        return refuse(
            format!("{field}.metricSourceRef"),
            format!("{reference:?} names no DataSource of the file (with a `type`); add the DataSource object, or give `type: Prometheus` here"),
        );
    }
    if !source.kind.eq_ignore_ascii_case("prometheus") {
        return refuse(
            format!("{field}.type"),
            format!(
                "metric source type {:?} is not one sloguard can query: its rules run in Prometheus, so the source must be `type: Prometheus` with a PromQL query",
                source.kind
            ),
        );
    }
    let Some(query) = source.spec.get("query").and_then(Value::as_str) else {
        return refuse(format!("{field}.spec.query"), "missing query (PromQL)");
    };
    Ok(crate::query::normalize(query).into_owned())
}

/// The tiers of an SLO's alert policies: each `burnrate` condition is a tier (its lookback
/// window is the long window, a twelfth of it the short one, as the SRE Workbook pairs them);
/// `None` when the SLO names no policy (sloguard's default tiers).
fn alert_policy(
    entries: &[Value],
    named: &Named<'_>,
    notes: &mut Vec<String>,
) -> Result<Option<AlertPolicy>, SpecError> {
    if entries.is_empty() {
        return Ok(None);
    }
    let mut policy = AlertPolicy::none();
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("spec.alertPolicies[{i}]");
        let (body, at) =
            inline_or_named(entry, "alertPolicyRef", "AlertPolicy", named.policies, &at)?;
        let body: PolicyBody = typed(body, &at)?;
        if body.alert_when_no_data {
            notes.push("alertWhenNoData: sloguard does not alert on missing data; its status is no_data on /slo.json and `sloguard check` exits UNKNOWN".to_owned());
        }
        if !body.notification_targets.is_empty() {
            notes.push("notificationTargets are not used: the generated alerts reach people through Alertmanager's routes".to_owned());
        }
        if !body.alert_when_breaching {
            continue;
        }
        for (j, condition) in body.conditions.iter().enumerate() {
            let at = format!("{at}.conditions[{j}]");
            let (spec, at) = inline_or_named(
                condition,
                "conditionRef",
                "AlertCondition",
                named.conditions,
                &at,
            )?;
            let c: ConditionBody = typed(spec, &at)?;
            policy = policy.tier(tier(&c, &at)?);
        }
    }
    Ok(Some(policy))
}

/// The spec of an entry written inline (`spec:`) or by reference (`<reference>: name`), with
/// the path errors inside it name.
fn inline_or_named(
    entry: &Value,
    reference: &str,
    kind: &str,
    objects: &BTreeMap<String, Value>,
    at: &str,
) -> Result<(Value, String), SpecError> {
    match entry.get(reference).and_then(Value::as_str) {
        Some(name) => match objects.get(name) {
            Some(spec) => Ok((spec.clone(), format!("{kind} {name:?} spec"))),
            None => refuse(
                format!("{at}.{reference}"),
                format!("no {kind} object is named {name:?}"),
            ),
        },
        None => Ok((
            entry.get("spec").cloned().unwrap_or(Value::Null),
            format!("{at}.spec"),
        )),
    }
}

fn tier(c: &ConditionBody, at: &str) -> Result<AlertTier, SpecError> {
    let b = &c.condition;
    if b.kind != "burnrate" {
        return refuse(
            format!("{at}.condition.kind"),
            format!(
                "condition kind {:?}: only burnrate conditions are imported",
                b.kind
            ),
        );
    }
    if b.op != "gte" && b.op != "gt" {
        return refuse(
            format!("{at}.condition.op"),
            format!(
                "op {:?}: a burn-rate alert fires at or above its threshold (gte, or gt)",
                b.op
            ),
        );
    }
    if let Some(after) = b
        .alert_after
        .as_deref()
        .filter(|a| parse_duration(a).map_or(true, |d| !d.is_zero()))
    {
        return refuse(format!("{at}.condition.alertAfter"), format!("alertAfter {after} is not supported yet: sloguard's short window (a twelfth of the lookback) keeps a blip from alerting; remove alertAfter"));
    }
    let severity = match c.severity.to_ascii_lowercase().as_str() {
        "page" | "critical" => Severity::Page,
        "ticket" | "warning" => Severity::Ticket,
        other => {
            return refuse(
                format!("{at}.severity"),
                format!("severity {other:?}: give page (or critical) or ticket (or warning)"),
            )
        }
    };
    let long = parse_duration(&b.lookback_window)
        .map_err(|e| SpecError::new(format!("{at}.condition.lookbackWindow"), e.to_string()))?;
    Ok(AlertTier::new(severity, b.threshold, long, long / 12))
}
