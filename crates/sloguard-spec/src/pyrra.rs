//! Import of Pyrra `pyrra.dev/v1alpha1` `ServiceLevelObjective` resources.
//!
//! - the SLO is `metadata.name`; its service is `metadata.namespace` (`default` without one),
//!   as Pyrra groups them; labels under `pyrra.dev/` become the SLO's labels without the
//!   prefix, as Pyrra carries them onto its rules (other labels address Kubernetes);
//! - `target` (a percentage in a string) and `window` (the period) are the objective;
//! - a `ratio` indicator gives error and total rates of its `errors` and `total` series; a
//!   `latency` indicator gives errors as total minus `success` (the histogram bucket at the
//!   threshold); each metric must be a series selector, as Pyrra requires;
//! - a `latencyNative` indicator reads a native histogram: total is its count, errors the share
//!   above `latency` (`histogram_fraction`);
//! - a `bool_gauge` indicator (a gauge that is 1 when things are good, such as `probe_success`)
//!   is an error ratio, `1 - good samples / samples` over each window, as Pyrra computes it;
//!   `sloguard serve` refuses it, as it refuses every SLI without event counts;
//! - `grouping` makes one SLO per value of its labels: the queries sum `by` them, so every
//!   generated series and alert carries the group's labels, and an alert's traffic guards
//!   count each group's own events. `sloguard serve` judges one SLO per group
//!   ([`crate::groups`]), never the groups' sum, which would hide one failing group;
//! - a metric may end in `offset <duration>`, kept after each window's range;
//! - `alerting.name` names the alerts, `disabled: true` or `burnrates: false` disables them;
//!   `burnRateType: static` is read, `dynamic` (thresholds weighted by traffic) is refused.
//!   Pyrra's absent alerts are not generated (`sloguard lint` says so).
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
    /// Not a field of Pyrra's resource (one of Pyrra's examples writes it); Kubernetes prunes
    /// it before Pyrra sees it.
    #[serde(default)]
    latency: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PyrraIndicator {
    #[serde(default)]
    ratio: Option<PyrraRatio>,
    #[serde(default)]
    latency: Option<PyrraLatency>,
    #[serde(default)]
    latency_native: Option<PyrraLatencyNative>,
    #[serde(default, rename = "bool_gauge", alias = "boolGauge")]
    bool_gauge: Option<PyrraBoolGauge>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PyrraLatencyNative {
    latency: DurationText,
    total: PyrraMetric,
    #[serde(default)]
    grouping: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PyrraBoolGauge {
    metric: String,
    #[serde(default)]
    grouping: Vec<String>,
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
    #[serde(default, rename = "burnRateType")]
    burn_rate_type: Option<String>,
}

/// `sum(<func>(<metric>[{{.window}}]))` of a series selector, `by` the grouping labels.
fn over_window(
    func: &str,
    metric: &str,
    grouping: &[String],
    field: &str,
) -> Result<String, SpecError> {
    // Pyrra lets a metric carry an `offset`, which PromQL writes after the range.
    let (selector, offset) = match metric.trim().rsplit_once(" offset ") {
        Some((selector, offset)) => (selector.trim(), format!(" offset {}", offset.trim())),
        None => (metric.trim(), String::new()),
    };
    if !crate::query::is_selector(selector) {
        return refuse(
            format!("{field}.metric"),
            format!(
                "{metric:?} is not a series selector (a metric name with label matchers), which Pyrra requires"
            ),
        );
    }
    Ok(format!(
        "{}({func}({selector}[{}]{offset}))",
        crate::sum_by(grouping),
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
        let Read {
            queries,
            grouping,
            notes: mut indicator_notes,
        } = spec.indicator.read()?;
        let percent: f64 = spec.target.trim().parse().map_err(|_| {
            SpecError::new("spec.target", format!("target {:?} is not a number; Pyrra writes it as a percentage in a string, such as \"99.5\"", spec.target))
        })?;
        match spec.alerting.burn_rate_type.as_deref() {
            None | Some("static") => {}
            Some("dynamic") => return refuse("spec.alerting.burnRateType", "dynamic burn rates scale each threshold with the window's share of the period's traffic; sloguard's burn rates are not weighted by traffic, so its alerts would not be the ones asked for: use static (the default), or raise min_events for quiet hours"),
            Some(other) => return refuse("spec.alerting.burnRateType", format!("{other:?}: Pyrra's burn rate types are static and dynamic")),
        }
        let mut policy = AlertPolicy::for_period(spec.window.0);
        if spec.alerting.disabled == Some(true) || spec.alerting.burnrates == Some(false) {
            policy = policy.disable(Severity::Page).disable(Severity::Ticket);
        }
        let mut notes = Vec::new();
        notes.append(&mut indicator_notes);
        if spec.latency.is_some() {
            notes.push("spec.latency: not a field of Pyrra's ServiceLevelObjective (Kubernetes drops it before Pyrra sees it), so it is left out; the latency indicator's success bucket (`le`) is the threshold".to_owned());
        }
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
                document: None,
                grouping,
                notes,
            }],
        ))
    }
}

/// What an indicator reads: its queries, the labels it groups by, and what `lint` says.
struct Read {
    queries: Queries,
    grouping: Vec<String>,
    notes: Vec<String>,
}

impl PyrraIndicator {
    /// The queries of the indicator, each checked as PromQL.
    fn read(self) -> Result<Read, SpecError> {
        let given = [
            self.ratio.is_some(),
            self.latency.is_some(),
            self.latency_native.is_some(),
            self.bool_gauge.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return refuse(
                "spec.indicator",
                "give exactly one indicator: ratio (errors, total), latency (success, total), latencyNative (latency, total) or bool_gauge (metric)",
            );
        }
        let mut notes = Vec::new();
        let (queries, grouping, field) = if let Some(ratio) = self.ratio {
            let g = &ratio.grouping;
            (
                Queries::Events {
                    error_query: over_window(
                        "rate",
                        &ratio.errors.metric,
                        g,
                        "spec.indicator.ratio.errors",
                    )?,
                    total_query: over_window(
                        "rate",
                        &ratio.total.metric,
                        g,
                        "spec.indicator.ratio.total",
                    )?,
                },
                ratio.grouping,
                "spec.indicator.ratio.grouping",
            )
        } else if let Some(latency) = self.latency {
            let g = &latency.grouping;
            let total = over_window(
                "rate",
                &latency.total.metric,
                g,
                "spec.indicator.latency.total",
            )?;
            let success = over_window(
                "rate",
                &latency.success.metric,
                g,
                "spec.indicator.latency.success",
            )?;
            (
                Queries::Events {
                    error_query: format!("({total} - {success})"),
                    total_query: total,
                },
                latency.grouping,
                "spec.indicator.latency.grouping",
            )
        } else if let Some(native) = self.latency_native {
            // Checked as a selector the way the other indicators' metrics are.
            over_window(
                "rate",
                &native.total.metric,
                &[],
                "spec.indicator.latencyNative.total",
            )?;
            (
                Queries::native_latency_by(
                    native.total.metric.trim(),
                    native.latency.0,
                    &native.grouping,
                ),
                native.grouping,
                "spec.indicator.latencyNative.grouping",
            )
        } else if let Some(gauge) = self.bool_gauge {
            let g = &gauge.grouping;
            let good = over_window(
                "sum_over_time",
                &gauge.metric,
                g,
                "spec.indicator.bool_gauge",
            )?;
            let samples = over_window(
                "count_over_time",
                &gauge.metric,
                g,
                "spec.indicator.bool_gauge",
            )?;
            notes.push("spec.indicator.bool_gauge: read as an error ratio, 1 - good samples / samples over each window, as Pyrra computes it; `sloguard serve` cannot judge it (it has no event counts)".to_owned());
            (
                Queries::Raw {
                    error_ratio_query: format!("1 - ({good} / {samples})"),
                },
                gauge.grouping,
                "spec.indicator.bool_gauge.grouping",
            )
        } else {
            unreachable!("exactly one indicator is given")
        };
        if let Some(bad) = grouping.iter().find(|l| !crate::names::is_label_name(l)) {
            return refuse(field, format!("{bad:?} is not a label name to group by"));
        }
        if !grouping.is_empty() {
            notes.push(format!("{field}: one SLO per value of {}: every generated series and alert carries them, and `sloguard serve` judges each value it finds at start, and every later one together, as SLOs of their own", grouping.join(", ")));
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
        Ok(Read {
            queries,
            grouping,
            notes,
        })
    }
}
