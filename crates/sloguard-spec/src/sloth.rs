//! Import of Sloth specs: `version: prometheus/v1` files and the Kubernetes resource
//! `sloth.slok.dev/v1` `PrometheusServiceLevel` (the same SLOs, camelCase field names).
//!
//! Service, labels, and per SLO the name, objective, description, labels, `infoLabels`
//! (added to `sloth_slo_info`), `interval` (rule group intervals) and alerting (name, labels,
//! annotations, page and ticket alerts with `disable`) are read. The SLI's `events`
//! (`error_query`, `total_query`) or `raw` (`error_ratio_query`) queries are checked
//! ([`crate::query`]) and kept, so `sloguard rules` generates rules over them instead of
//! sloguard's own counters; in process the SLO is an availability SLO fed by whatever the
//! application records. SLO plugins are read by id (the README's table says how each of
//! Sloth's own is read); SLI plugins and plugins loaded from source are refused: they run
//! Go code that sloguard does not have.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_yaml_ng::Value;
use sloguard_core::model::{Severity, Slo};

use crate::sloth_plugins::Chain;
use crate::sloth_windows::SlothPeriods;
use crate::values::scalar_map;

use super::values::{DurationText, Percent};
use super::{AlertingMeta, Intervals, Parts, Queries, SloSpec, SpecError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SlothSpec {
    version: String,
    service: String,
    #[serde(default, deserialize_with = "scalar_map")]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    slos: Vec<SlothSlo>,
    #[serde(default, alias = "sloPlugins")]
    slo_plugins: Option<Chain>,
}

/// `sloth.slok.dev/v1` `PrometheusServiceLevel` (and `ManagedPrometheusServiceLevel`, the same
/// SLOs for Google Cloud's managed Prometheus).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SlothKubernetes {
    #[allow(dead_code)]
    api_version: String,
    kind: String,
    /// Kubernetes object metadata (name, namespace, labels, ...): nothing of it is an SLO's.
    #[serde(default)]
    #[allow(dead_code)]
    metadata: Option<Value>,
    spec: KubernetesSpec,
    /// Written by the controller, not by people.
    #[serde(default)]
    #[allow(dead_code)]
    status: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KubernetesSpec {
    service: String,
    #[serde(default, deserialize_with = "scalar_map")]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    slos: Vec<SlothSlo>,
    #[serde(default, alias = "slo_plugins")]
    slo_plugins: Option<Chain>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSlo {
    name: String,
    objective: Percent,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "scalar_map")]
    labels: BTreeMap<String, String>,
    #[serde(
        default,
        rename = "infoLabels",
        alias = "info_labels",
        deserialize_with = "scalar_map"
    )]
    info_labels: BTreeMap<String, String>,
    sli: SlothSli,
    #[serde(default)]
    alerting: SlothAlerting,
    #[serde(default)]
    interval: SlothInterval,
    #[serde(default, alias = "sloPlugins", alias = "slo_plugins")]
    plugins: Option<Chain>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothInterval {
    #[serde(default)]
    all: Option<DurationText>,
    #[serde(default)]
    slierror: Option<DurationText>,
    #[serde(default)]
    metadata: Option<DurationText>,
    #[serde(default)]
    alert: Option<DurationText>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSli {
    #[serde(default)]
    events: Option<SlothEvents>,
    #[serde(default)]
    raw: Option<SlothRaw>,
    #[serde(default)]
    plugin: Option<SlothPlugin>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothEvents {
    #[serde(alias = "errorQuery")]
    error_query: String,
    #[serde(alias = "totalQuery")]
    total_query: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothRaw {
    #[serde(alias = "errorRatioQuery")]
    error_ratio_query: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothPlugin {
    id: String,
    #[serde(default)]
    options: BTreeMap<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothAlerting {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "scalar_map")]
    labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "scalar_map")]
    annotations: BTreeMap<String, String>,
    #[serde(default, alias = "pageAlert")]
    page_alert: SlothAlert,
    #[serde(default, alias = "ticketAlert")]
    ticket_alert: SlothAlert,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothAlert {
    #[serde(default)]
    disable: bool,
    /// Read only with Sloth's `alert_for` plugin, as Sloth reads it.
    #[serde(default, rename = "for")]
    pending: Option<DurationText>,
    #[serde(default, deserialize_with = "scalar_map")]
    labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "scalar_map")]
    annotations: BTreeMap<String, String>,
}

impl SlothKubernetes {
    pub(crate) fn into_slos(self, periods: &SlothPeriods) -> Result<Parts, SpecError> {
        let file = self.spec.slo_plugins.as_ref().map(|c| (c, "sloPlugins"));
        let mut parts = slos_of(
            self.spec.service,
            self.spec.labels,
            self.spec.slos,
            periods,
            file,
        )
        .map_err(|e| SpecError {
            field: format!("spec.{}", e.field),
            ..e
        })?;
        if self.kind == "ManagedPrometheusServiceLevel" {
            for slo in &mut parts.2 {
                slo.notes.push("kind: ManagedPrometheusServiceLevel is read as the same SLOs; sloguard writes Prometheus rule files and `--format prometheus-rule`, so give Google Cloud's managed Prometheus the groups of the rule file in its Rules resource".to_owned());
            }
        }
        Ok(parts)
    }
}

impl SlothSpec {
    pub(crate) fn into_slos(self, periods: &SlothPeriods) -> Result<Parts, SpecError> {
        if self.version != "prometheus/v1" {
            return Err(SpecError::new(
                "version",
                format!(
                    "Sloth spec version {:?} is not supported; expected \"prometheus/v1\"",
                    self.version
                ),
            ));
        }
        let file = self.slo_plugins.as_ref().map(|c| (c, "slo_plugins"));
        slos_of(self.service, self.labels, self.slos, periods, file)
    }
}

fn slos_of(
    service: String,
    labels: BTreeMap<String, String>,
    list: Vec<SlothSlo>,
    periods: &SlothPeriods,
    file_plugins: Option<(&Chain, &str)>,
) -> Result<Parts, SpecError> {
    let workbook = periods.policy()?;
    if list.is_empty() {
        return Err(SpecError::new(
            "slos",
            "no SLOs: a Sloth spec needs at least one entry under `slos`",
        ));
    }
    let mut slos = Vec::new();
    for (i, slo) in list.into_iter().enumerate() {
        let at = |f: &str| format!("slos[{i}].{f}");
        let plugins_field = at("plugins");
        let plugins = crate::sloth_plugins::effects(
            file_plugins,
            slo.plugins.as_ref().map(|c| (c, plugins_field.as_str())),
        )?;
        let checked = |query: String, field: &str| {
            crate::query::checked(query, field).map_err(|e| {
                if plugins.metricsql {
                    SpecError::new(e.field, format!("{}; the SLO's plugins say its queries may be MetricsQL (sloth.dev/contrib/validate_victoria_metrics/v1), which sloguard does not check or evaluate: write the SLI in PromQL, which VictoriaMetrics runs too", e.message))
                } else {
                    e
                }
            })
        };
        let queries = match (slo.sli.events, slo.sli.raw, slo.sli.plugin) {
                (_, _, Some(plugin)) => {
                    return Err(SpecError::new(
                        at("sli.plugin"),
                        format!(
                            "Sloth SLI plugin {:?}{} runs Go code that sloguard does not have: write the SLI it computes as queries, `events` (error_query and total_query, each with {{{{.window}}}}) or `raw` (error_ratio_query); the plugin's documentation shows the queries it writes",
                            plugin.id,
                            if plugin.options.is_empty() {
                                String::new()
                            } else {
                                format!(" (options {})", plugin.options.keys().cloned().collect::<Vec<_>>().join(", "))
                            }
                        ),
                    ))
                }
                (Some(e), None, None) => Queries::Events {
                    error_query: checked(e.error_query, &at("sli.events.error_query"))?,
                    total_query: checked(e.total_query, &at("sli.events.total_query"))?,
                },
                (None, Some(r), None) => Queries::Raw {
                    error_ratio_query: checked(r.error_ratio_query, &at("sli.raw.error_ratio_query"))?,
                },
                (Some(_), Some(_), None) => return Err(SpecError::new(at("sli"), "give either `events` or `raw`, not both")),
                (None, None, None) => return Err(SpecError::new(at("sli"), "missing SLI: give `events` (error_query, total_query) or `raw` (error_ratio_query)")),
            };
        let mut policy = workbook.clone();
        if slo.alerting.page_alert.disable {
            policy = policy.disable(Severity::Page);
        }
        if slo.alerting.ticket_alert.disable {
            policy = policy.disable(Severity::Ticket);
        }
        let mut notes = plugins.notes.clone();
        let mut pending = |alert: &SlothAlert, field: &str| {
            let d = alert.pending?.0;
            notes.push(if plugins.alert_for {
                format!("{}: the generated alerts wait {} before firing; sloguard's own evaluation (in the process and in `serve`) alerts as soon as both windows burn too fast", at(field), sloguard_core::duration::format_duration(d))
            } else {
                format!("{}: left out, as Sloth leaves it out without the sloth.dev/contrib/alert_for/v1 plugin", at(field))
            });
            plugins.alert_for.then_some(d)
        };
        let page_for = pending(&slo.alerting.page_alert, "alerting.page_alert.for");
        let ticket_for = pending(&slo.alerting.ticket_alert, "alerting.ticket_alert.for");
        let policy =
            crate::sloth_windows::reachable(policy, slo.objective.0, &at("objective"), &mut notes);
        let mut builder = Slo::availability(slo.name)
            .objective_percent(slo.objective.0)
            .period(periods.default_period)
            .alerting(policy);
        if let Some(d) = slo.description {
            builder = builder.description(d);
        }
        let runbook_url = slo
            .alerting
            .annotations
            .get("runbook")
            .or_else(|| slo.alerting.annotations.get("runbook_url"))
            .cloned();
        if let Some(url) = &runbook_url {
            builder = builder.runbook_url(url.clone());
        }
        if let Some(name) = slo.alerting.name {
            builder = builder.alert_name(name);
        }
        let definition = builder.build().map_err(|e| {
            SpecError::new(at(&e.field), format!("SLO {:?}: {}", e.slo, e.reason()))
        })?;
        slos.push(SloSpec {
            definition,
            labels: slo.labels,
            alerting: AlertingMeta {
                runbook_url,
                labels: slo.alerting.labels,
                annotations: slo.alerting.annotations,
                page_labels: slo.alerting.page_alert.labels,
                page_annotations: slo.alerting.page_alert.annotations,
                ticket_labels: slo.alerting.ticket_alert.labels,
                ticket_annotations: slo.alerting.ticket_alert.annotations,
                page_for,
                ticket_for,
            },
            queries: Some(queries),
            info_labels: plugins
                .info_labels
                .clone()
                .into_iter()
                .chain(slo.info_labels)
                .collect(),
            intervals: plugins.intervals_over(Intervals {
                sli: slo.interval.slierror.or(slo.interval.all).map(|d| d.0),
                meta: slo.interval.metadata.or(slo.interval.all).map(|d| d.0),
                alert: slo.interval.alert.or(slo.interval.all).map(|d| d.0),
            }),
            total_amount_records: plugins.total_amount,
            document: None,
            grouping: Vec::new(),
            notes,
        });
    }
    Ok((service, labels, slos))
}
