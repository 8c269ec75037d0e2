//! Import of Pyrra `pyrra.dev/v1alpha1` `ServiceLevelObjective` resources.
//!
//! - the SLO is `metadata.name`; its service is `metadata.namespace` (`default` without one),
//!   as Pyrra groups them; labels under `pyrra.dev/` become the SLO's labels without the
//!   prefix, as Pyrra carries them onto its rules (other labels address Kubernetes);
//! - `target` (a percentage in a string) and `window` (the period) are the objective;
//! - a `ratio` indicator gives error and total rates of its `errors` and `total` series; a
//!   `latency` indicator gives errors as total minus `success` (the histogram bucket at the
//!   threshold); each metric must be a series selector, as Pyrra requires;
//! - `alerting.name` names the alerts, `disabled: true` or `burnrates: false` disables them.
//!   Pyrra's absent alerts are not generated (`sloguard lint` says so).
//!
//! Refused by name: `latencyNative` and `bool_gauge` indicators, and `grouping` (one SLO per
//! label value), which sloguard does not do yet.
//!
//! ```
//! let text = "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: api-errors, namespace: shop}\nspec:\n  target: '99.5'\n  window: 4w\n  indicator:\n    ratio:\n      errors: {metric: 'http_requests_total{job=\"api\",code=~\"5..\"}'}\n      total: {metric: 'http_requests_total{job=\"api\"}'}\n";
//! let spec = sloguard_spec::Spec::from_str(text).unwrap();
//! assert_eq!((spec.service.as_str(), spec.slos[0].definition.name()), ("shop", "api-errors"));
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_yaml_ng::Value;
use sloguard_core::model::{AlertPolicy, Severity, Slo};

use super::values::DurationText;
use super::{AlertingMeta, Intervals, Parts, Queries, SloSpec, SpecError};
use crate::error::refuse;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct PyrraSlo {
    #[allow(dead_code)]
    api_version: String,
    #[allow(dead_code)]
    kind: String,
    metadata: PyrraMetadata,
    spec: PyrraSpec,
    #[serde(default)]
    #[allow(dead_code)]
    status: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PyrraMetadata {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PyrraSpec {
    target: String,
    window: DurationText,
    #[serde(default)]
    description: Option<String>,
    indicator: PyrraIndicator,
    #[serde(default)]
    alerting: PyrraAlerting,
    #[serde(default)]
    partial_response_strategy: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PyrraIndicator {
    #[serde(default)]
    ratio: Option<PyrraRatio>,
    #[serde(default)]
    latency: Option<PyrraLatency>,
    #[serde(default)]
    latency_native: Option<Value>,
    #[serde(default, rename = "bool_gauge", alias = "boolGauge")]
    bool_gauge: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PyrraRatio {
    errors: PyrraMetric,
    total: PyrraMetric,
    #[serde(default)]
    grouping: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PyrraLatency {
    success: PyrraMetric,
    total: PyrraMetric,
    #[serde(default)]
    grouping: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PyrraMetric {
    metric: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PyrraAlerting {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default)]
    burnrates: Option<bool>,
    #[serde(default)]
    absent: Option<bool>,
}

/// `sum(rate(<metric>[{{.window}}]))` of a series selector.
fn rate(metric: &PyrraMetric, field: &str) -> Result<String, SpecError> {
    if !crate::query::is_selector(&metric.metric) {
        return refuse(
            format!("{field}.metric"),
            format!(
                "{:?} is not a series selector (a metric name with label matchers), which Pyrra requires",
                metric.metric
            ),
        );
    }
    Ok(format!(
        "sum(rate({}[{}]))",
        metric.metric.trim(),
        crate::query::WINDOW
    ))
}

impl PyrraSlo {
    pub(crate) fn into_slos(self) -> Result<Parts, SpecError> {
        let spec = self.spec;
        if spec.partial_response_strategy.is_some() {
            return refuse(
                "spec.partial_response_strategy",
                "Thanos partial responses are not read; remove it",
            );
        }
        let queries = spec.indicator.queries()?;
        let percent: f64 = spec.target.trim().parse().map_err(|_| {
            SpecError::new("spec.target", format!("target {:?} is not a number; Pyrra writes it as a percentage in a string, such as \"99.5\"", spec.target))
        })?;
        let mut policy = AlertPolicy::for_period(spec.window.0);
        if spec.alerting.disabled == Some(true) || spec.alerting.burnrates == Some(false) {
            policy = policy.disable(Severity::Page).disable(Severity::Ticket);
        }
        let mut notes = Vec::new();
        let policy = crate::sloth_windows::reachable(policy, percent, "spec.target", &mut notes);
        let mut builder = Slo::availability(self.metadata.name)
            .objective_percent(percent)
            .period(spec.window.0)
            .alerting(policy);
        if let Some(d) = spec.description {
            builder = builder.description(d);
        }
        if let Some(name) = spec.alerting.name {
            builder = builder.alert_name(name);
        }
        let definition = builder.build().map_err(|e| {
            let field = match e.field.as_str() {
                "objective" => "spec.target".to_owned(),
                "period" => "spec.window".to_owned(),
                "alerting.name" => "spec.alerting.name".to_owned(),
                other => other.to_owned(),
            };
            SpecError::new(field, e.reason())
        })?;
        let labels = self
            .metadata
            .labels
            .into_iter()
            .filter_map(|(k, v)| k.strip_prefix("pyrra.dev/").map(|k| (k.to_owned(), v)))
            .collect();
        if spec.alerting.absent != Some(false) {
            notes.push("Pyrra's absent alert (no data for the SLO's series) is not generated: watch for missing series with an absent() rule of your own, or set alerting.absent: false".to_owned());
        }
        Ok((
            self.metadata
                .namespace
                .unwrap_or_else(|| "default".to_owned()),
            BTreeMap::new(),
            vec![SloSpec {
                definition,
                labels,
                alerting: AlertingMeta::default(),
                queries: Some(queries),
                info_labels: BTreeMap::new(),
                intervals: Intervals::default(),
                total_amount_records: false,
                notes,
            }],
        ))
    }
}

impl PyrraIndicator {
    /// The error and total queries of a ratio or latency indicator, each checked as PromQL;
    /// what sloguard does not read yet is refused by field.
    fn queries(self) -> Result<Queries, SpecError> {
        for (present, field, name) in [
            (
                self.latency_native.is_some(),
                "spec.indicator.latencyNative",
                "latencyNative (native histogram)",
            ),
            (
                self.bool_gauge.is_some(),
                "spec.indicator.bool_gauge",
                "bool_gauge",
            ),
        ] {
            if present {
                return refuse(field, format!("Pyrra's {name} indicator is not imported yet; write it as a ratio indicator (errors and total series)"));
            }
        }
        let (queries, grouping, field) = match (self.ratio, self.latency) {
            (Some(ratio), None) => (
                Queries::Events {
                    error_query: rate(&ratio.errors, "spec.indicator.ratio.errors")?,
                    total_query: rate(&ratio.total, "spec.indicator.ratio.total")?,
                },
                ratio.grouping,
                "spec.indicator.ratio.grouping",
            ),
            (None, Some(latency)) => {
                let total = rate(&latency.total, "spec.indicator.latency.total")?;
                let success = rate(&latency.success, "spec.indicator.latency.success")?;
                (
                    Queries::Events {
                        error_query: format!("({total} - {success})"),
                        total_query: total,
                    },
                    latency.grouping,
                    "spec.indicator.latency.grouping",
                )
            }
            (Some(_), Some(_)) => {
                return refuse("spec.indicator", "give one indicator: ratio or latency")
            }
            (None, None) => {
                return refuse(
                    "spec.indicator",
                    "missing indicator: give ratio (errors, total) or latency (success, total)",
                )
            }
        };
        if !grouping.is_empty() {
            return refuse(field, format!("grouping by {grouping:?} makes one SLO per label value, which sloguard does not do yet; write one SLO per value, or remove grouping"));
        }
        for (name, query) in match &queries {
            Queries::Events {
                error_query,
                total_query,
            } => vec![("errors", error_query), ("total", total_query)],
            Queries::Raw { error_ratio_query } => vec![("ratio", error_ratio_query)],
        } {
            crate::query::check(query).map_err(|why| {
                SpecError::new(format!("spec.indicator ({name})"), why.to_string())
            })?;
        }
        Ok(queries)
    }
}
