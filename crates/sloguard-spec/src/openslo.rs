//! Import of an OpenSLO v1 subset: `kind: SLO` documents with an inline `ratioMetric`
//! indicator, one rolling time window, `Occurrences` budgeting and one objective with
//! `target` or `targetPercent`. Everything else (other kinds, `indicatorRef`, threshold
//! metrics, calendar windows, time-slice budgeting, alert policies) is refused with a message
//! that says so. Prometheus queries of the ratio metric are kept for rule generation.

use std::collections::BTreeMap;

use serde::Deserialize;
use sloguard_core::duration::parse_duration;
use sloguard_core::model::Slo;

use super::{AlertingMeta, Queries, SloSpec, SpecError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct OpenSloDoc {
    api_version: String,
    kind: String,
    metadata: Metadata,
    spec: SloBody,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Metadata {
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

type Unsupported = Option<serde_yaml_ng::Value>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SloBody {
    #[serde(default)]
    description: Option<String>,
    service: String,
    #[serde(default)]
    indicator: Option<Indicator>,
    #[serde(default)]
    indicator_ref: Unsupported,
    time_window: Vec<TimeWindow>,
    budgeting_method: String,
    objectives: Vec<ObjectiveSpec>,
    #[serde(default)]
    alert_policies: Unsupported,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Indicator {
    #[serde(default)]
    metadata: Option<serde_yaml_ng::Value>,
    spec: IndicatorSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IndicatorSpec {
    #[serde(default)]
    ratio_metric: Option<RatioMetric>,
    #[serde(default)]
    threshold_metric: Unsupported,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RatioMetric {
    counter: bool,
    #[serde(default)]
    good: Option<MetricSourceHolder>,
    #[serde(default)]
    bad: Option<MetricSourceHolder>,
    total: MetricSourceHolder,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MetricSourceHolder {
    metric_source: MetricSource,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MetricSource {
    #[serde(default)]
    metric_source_ref: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    spec: BTreeMap<String, serde_yaml_ng::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TimeWindow {
    duration: String,
    is_rolling: bool,
    #[serde(default)]
    calendar: Unsupported,
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
    op: Unsupported,
    #[serde(default)]
    value: Unsupported,
    #[serde(default)]
    time_slice_target: Unsupported,
    #[serde(default)]
    time_slice_window: Unsupported,
}

fn prometheus_query(m: &MetricSourceHolder) -> Option<String> {
    let source = &m.metric_source;
    if !source.kind.eq_ignore_ascii_case("prometheus") {
        return None;
    }
    source
        .spec
        .get("query")
        .and_then(|q| q.as_str())
        .map(str::to_owned)
}

impl OpenSloDoc {
    /// The service and the SLO of document number `doc`.
    pub(crate) fn into_slo(self, doc: usize) -> Result<(String, SloSpec), SpecError> {
        let at = |f: &str| {
            if doc == 0 {
                f.to_owned()
            } else {
                format!("document {}: {f}", doc + 1)
            }
        };
        let refuse = |field: &str, why: &str| Err(SpecError::new(at(field), why.to_owned()));
        if self.api_version != "openslo/v1" {
            return refuse("apiVersion", "only \"openslo/v1\" is supported");
        }
        if self.kind != "SLO" {
            return Err(SpecError::new(
                at("kind"),
                format!(
                    "kind {:?} is not supported; only `kind: SLO` with an inline indicator is",
                    self.kind
                ),
            ));
        }
        let spec = self.spec;
        if spec.indicator_ref.is_some() {
            return refuse(
                "spec.indicatorRef",
                "indicatorRef is not supported; inline the indicator under `spec.indicator`",
            );
        }
        if spec.alert_policies.is_some() {
            return refuse("spec.alertPolicies", "alertPolicies are not supported; sloguard alerts with its multiwindow multi-burn-rate tiers");
        }
        if spec.budgeting_method != "Occurrences" {
            return Err(SpecError::new(
                at("spec.budgetingMethod"),
                format!("budgeting method {:?} is not supported; only Occurrences (request-weighted) is", spec.budgeting_method),
            ));
        }
        let Some(indicator) = spec.indicator else {
            return refuse(
                "spec.indicator",
                "missing indicator: give an inline `indicator` with a `ratioMetric`",
            );
        };
        let _ = (&indicator.metadata, &indicator.spec.description);
        if indicator.spec.threshold_metric.is_some() {
            return refuse(
                "spec.indicator.spec.thresholdMetric",
                "threshold metrics are not supported; use a ratioMetric",
            );
        }
        let Some(ratio) = indicator.spec.ratio_metric else {
            return refuse("spec.indicator.spec.ratioMetric", "missing ratioMetric");
        };
        if !ratio.counter {
            return refuse(
                "spec.indicator.spec.ratioMetric.counter",
                "only counter ratio metrics (counter: true) are supported",
            );
        }
        let total = prometheus_query(&ratio.total);
        let queries = match (&ratio.good, &ratio.bad, total) {
            (Some(_), Some(_), _) => {
                return refuse(
                    "spec.indicator.spec.ratioMetric",
                    "give `good` or `bad`, not both",
                )
            }
            (None, None, _) => {
                return refuse(
                    "spec.indicator.spec.ratioMetric",
                    "give `good` or `bad` beside `total`",
                )
            }
            (_, Some(bad), Some(total)) => {
                prometheus_query(bad).map(|error_query| Queries::Events {
                    error_query,
                    total_query: total,
                })
            }
            (Some(good), None, Some(total)) => prometheus_query(good).map(|good| Queries::Events {
                error_query: format!("(({total}) - ({good}))"),
                total_query: total,
            }),
            _ => None,
        };
        let _ = ratio.total.metric_source.metric_source_ref;
        let [window] = spec.time_window.as_slice() else {
            return refuse("spec.timeWindow", "exactly one time window is supported");
        };
        if !window.is_rolling || window.calendar.is_some() {
            return refuse(
                "spec.timeWindow[0]",
                "calendar windows are not supported; use a rolling window (isRolling: true)",
            );
        }
        let period = parse_duration(&window.duration)
            .map_err(|e| SpecError::new(at("spec.timeWindow[0].duration"), e.to_string()))?;
        let [objective] = spec.objectives.as_slice() else {
            return refuse("spec.objectives", "exactly one objective is supported");
        };
        if objective.op.is_some() || objective.value.is_some() {
            return refuse(
                "spec.objectives[0]",
                "threshold objectives (op, value) are not supported; give target or targetPercent",
            );
        }
        if objective.time_slice_target.is_some() || objective.time_slice_window.is_some() {
            return refuse(
                "spec.objectives[0]",
                "time-slice objectives are not supported; budgeting is by occurrences",
            );
        }
        let builder = match (objective.target, objective.target_percent) {
            (Some(t), None) => Slo::availability(self.metadata.name).objective_ratio(t),
            (None, Some(p)) => Slo::availability(self.metadata.name).objective_percent(p),
            _ => {
                return refuse(
                    "spec.objectives[0]",
                    "give exactly one of target (0.999) or targetPercent (99.9)",
                )
            }
        };
        let description = spec
            .description
            .or(self.metadata.display_name)
            .or(objective.display_name.clone());
        let builder = builder.period(period);
        let builder = match description {
            Some(d) => builder.description(d),
            None => builder,
        };
        let definition = builder.build().map_err(|e| {
            let field = match e.field.as_str() {
                "objective" => "spec.objectives[0]".to_owned(),
                "period" => "spec.timeWindow[0].duration".to_owned(),
                other => other.to_owned(),
            };
            SpecError::new(at(&field), format!("SLO {:?}: {}", e.slo, e.reason()))
        })?;
        Ok((
            spec.service,
            SloSpec {
                definition,
                labels: self.metadata.labels,
                alerting: AlertingMeta {
                    annotations: self.metadata.annotations,
                    ..AlertingMeta::default()
                },
                queries,
            },
        ))
    }
}
