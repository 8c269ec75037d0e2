//! Import of OpenSLO `v1alpha` `SLO` documents, read as Sloth reads them: each objective is an
//! SLO named `<name>-<index>` over the service, its `ratioMetrics` (`good` and `total`
//! Prometheus queries, `source: prometheus` or `sloth`, `queryType: promql`) become the error
//! ratio `1 - good / total`, `target` is the objective as a ratio, the one time window counts
//! days (30 when none is given), and no alert is generated (Sloth disables both alerts of
//! these SLOs; `sloguard lint` says so).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_yaml_ng::Value;
use sloguard_core::model::{AlertPolicy, Severity, Slo};

use super::{AlertingMeta, Intervals, Parts, Queries, SloSpec, SpecError};
use crate::error::refuse;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AlphaSlo {
    #[allow(dead_code)]
    api_version: String,
    #[allow(dead_code)]
    kind: String,
    metadata: AlphaMetadata,
    spec: AlphaSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlphaMetadata {
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    display_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlphaSpec {
    service: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    budgeting_method: Option<String>,
    #[serde(default)]
    time_windows: Vec<AlphaWindow>,
    objectives: Vec<AlphaObjective>,
    #[serde(default)]
    indicator: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlphaWindow {
    count: u32,
    unit: String,
    #[serde(default)]
    #[allow(dead_code)]
    is_rolling: Option<bool>,
    #[serde(default)]
    calendar: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlphaObjective {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    op: Option<String>,
    target: f64,
    #[serde(default)]
    ratio_metrics: Option<AlphaRatio>,
    #[serde(default)]
    time_slice_target: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlphaRatio {
    good: AlphaQuery,
    total: AlphaQuery,
    #[serde(default)]
    #[allow(dead_code)]
    incremental: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlphaQuery {
    source: String,
    query_type: String,
    query: String,
}

fn checked(q: &AlphaQuery, field: &str) -> Result<String, SpecError> {
    if q.source != "prometheus" && q.source != "sloth" {
        return refuse(
            format!("{field}.source"),
            format!("source {:?}: the query runs in Prometheus, so the source must be `prometheus` (or `sloth`)", q.source),
        );
    }
    if q.query_type != "promql" {
        return refuse(
            format!("{field}.queryType"),
            format!("query type {:?}: only `promql` is read", q.query_type),
        );
    }
    crate::query::checked(q.query.clone(), &format!("{field}.query"))
}

impl AlphaSlo {
    pub(crate) fn into_slos(self) -> Result<Parts, SpecError> {
        let spec = self.spec;
        if spec.indicator.is_some() {
            return refuse("spec.indicator", "an SLO-level indicator is not read in v1alpha; give ratioMetrics in each objective");
        }
        if let Some(method) = spec
            .budgeting_method
            .as_deref()
            .filter(|m| *m != "Occurrences")
        {
            return refuse(
                "spec.budgetingMethod",
                format!("budgeting method {method:?} is not supported yet; only Occurrences is"),
            );
        }
        let period = match spec.time_windows.as_slice() {
            [] => Duration::from_secs(30 * 86_400),
            [window] => {
                if !window.unit.eq_ignore_ascii_case("day") {
                    return refuse(
                        "spec.timeWindows[0].unit",
                        format!("unit {:?}: only days are read (as Sloth does)", window.unit),
                    );
                }
                if window.calendar.is_some() {
                    return refuse(
                        "spec.timeWindows[0].calendar",
                        "calendar windows are not supported yet; give a rolling count of days",
                    );
                }
                Duration::from_secs(u64::from(window.count) * 86_400)
            }
            _ => {
                return refuse(
                    "spec.timeWindows",
                    "only one time window is read (as Sloth does)",
                )
            }
        };
        if spec.objectives.is_empty() {
            return refuse("spec.objectives", "no objectives: each objective is an SLO");
        }
        let mut slos = Vec::new();
        for (i, objective) in spec.objectives.into_iter().enumerate() {
            let at = |f: &str| format!("spec.objectives[{i}].{f}");
            if objective.op.is_some()
                || objective.value.is_some() && objective.ratio_metrics.is_none()
            {
                return refuse(
                    at("op"),
                    "threshold objectives (op, value) are not supported; give ratioMetrics",
                );
            }
            if objective.time_slice_target.is_some() {
                return refuse(
                    at("timeSliceTarget"),
                    "time-slice objectives are not supported yet",
                );
            }
            let Some(ratio) = &objective.ratio_metrics else {
                return refuse(
                    at("ratioMetrics"),
                    "missing ratioMetrics (good and total queries)",
                );
            };
            let good = checked(&ratio.good, &at("ratioMetrics.good"))?;
            let total = checked(&ratio.total, &at("ratioMetrics.total"))?;
            let policy = AlertPolicy::for_period(period)
                .disable(Severity::Page)
                .disable(Severity::Ticket);
            let mut builder = Slo::availability(format!("{}-{i}", self.metadata.name))
                .objective_ratio(objective.target)
                .period(period)
                .alerting(policy);
            if let Some(d) = spec.description.clone().or(objective.display_name.clone()) {
                builder = builder.description(d);
            }
            let definition = builder.build().map_err(|e| {
                let field = match e.field.as_str() {
                    "objective" => at("target"),
                    "period" => "spec.timeWindows[0].count".to_owned(),
                    other => other.to_owned(),
                };
                SpecError::new(field, e.reason())
            })?;
            slos.push(SloSpec {
                definition,
                labels: BTreeMap::new(),
                alerting: AlertingMeta::default(),
                queries: Some(Queries::Raw {
                    error_ratio_query: format!("(1 - (({good}) / ({total})))"),
                }),
                info_labels: BTreeMap::new(),
                intervals: Intervals::default(),
                total_amount_records: false,
                document: None,
                grouping: Vec::new(),
                notes: vec!["imported from OpenSLO v1alpha as Sloth reads it: no alert is generated (Sloth disables both of its alerts for these SLOs)".to_owned()],
            });
        }
        Ok((spec.service, BTreeMap::new(), slos))
    }
}
