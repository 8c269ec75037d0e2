//! Import of Sloth specs: `version: prometheus/v1` files and the Kubernetes resource
//! `sloth.slok.dev/v1` `PrometheusServiceLevel` (the same SLOs, camelCase field names).
//!
//! Service, labels, and per SLO the name, objective, description, labels, `infoLabels`
//! (added to `sloth_slo_info`), `interval` (rule group intervals) and alerting (name, labels,
//! annotations, page and ticket alerts with `disable`) are read. The SLI's `events`
//! (`error_query`, `total_query`) or `raw` (`error_ratio_query`) queries are checked
//! ([`crate::query`]) and kept, so `sloguard rules` generates rules over them instead of
//! sloguard's own counters; in process the SLO is an availability SLO fed by whatever the
//! application records. SLI and SLO plugins are refused by id: they run Go code that
//! sloguard does not have.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_yaml_ng::Value;
use sloguard_core::model::{Severity, Slo};

use crate::sloth_windows::SlothPeriods;

use super::values::{DurationText, Percent};
use super::{AlertingMeta, Intervals, Parts, Queries, SloSpec, SpecError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SlothSpec {
    version: String,
    service: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    slos: Vec<SlothSlo>,
    #[serde(default, alias = "sloPlugins")]
    slo_plugins: Option<Value>,
}

/// `sloth.slok.dev/v1` `PrometheusServiceLevel`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SlothKubernetes {
    #[allow(dead_code)]
    api_version: String,
    #[allow(dead_code)]
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
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    slos: Vec<SlothSlo>,
    #[serde(default, alias = "slo_plugins")]
    slo_plugins: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSlo {
    name: String,
    objective: Percent,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default, rename = "infoLabels", alias = "info_labels")]
    info_labels: BTreeMap<String, String>,
    sli: SlothSli,
    #[serde(default)]
    alerting: SlothAlerting,
    #[serde(default)]
    interval: SlothInterval,
    #[serde(default, alias = "sloPlugins")]
    slo_plugins: Option<Value>,
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
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
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
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// Refuses SLO plugins, naming the ones the chain holds.
fn refuse_slo_plugins(plugins: Option<&Value>, field: &str) -> Result<(), SpecError> {
    let Some(plugins) = plugins else {
        return Ok(());
    };
    let ids: Vec<&str> = plugins
        .get("chain")
        .and_then(Value::as_sequence)
        .map(|chain| {
            chain
                .iter()
                .filter_map(|p| p.get("id").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    Err(SpecError::new(
        field,
        format!(
            "Sloth SLO plugins ({}) run Go code that sloguard does not have; remove them and write what they change in the spec (objective, alerting labels and annotations)",
            if ids.is_empty() { "none named".to_owned() } else { ids.join(", ") }
        ),
    ))
}

impl SlothKubernetes {
    pub(crate) fn into_slos(self, periods: &SlothPeriods) -> Result<Parts, SpecError> {
        refuse_slo_plugins(self.spec.slo_plugins.as_ref(), "spec.sloPlugins")?;
        slos_of(self.spec.service, self.spec.labels, self.spec.slos, periods).map_err(|e| {
            SpecError {
                field: format!("spec.{}", e.field),
                ..e
            }
        })
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
        refuse_slo_plugins(self.slo_plugins.as_ref(), "slo_plugins")?;
        slos_of(self.service, self.labels, self.slos, periods)
    }
}

fn slos_of(
    service: String,
    labels: BTreeMap<String, String>,
    list: Vec<SlothSlo>,
    periods: &SlothPeriods,
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
        refuse_slo_plugins(slo.slo_plugins.as_ref(), &at("slo_plugins"))?;
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
                    error_query: crate::query::checked(e.error_query, &at("sli.events.error_query"))?,
                    total_query: crate::query::checked(e.total_query, &at("sli.events.total_query"))?,
                },
                (None, Some(r), None) => Queries::Raw {
                    error_ratio_query: crate::query::checked(r.error_ratio_query, &at("sli.raw.error_ratio_query"))?,
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
        let mut notes = Vec::new();
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
            },
            queries: Some(queries),
            info_labels: slo.info_labels,
            intervals: Intervals {
                sli: slo.interval.slierror.or(slo.interval.all).map(|d| d.0),
                meta: slo.interval.metadata.or(slo.interval.all).map(|d| d.0),
                alert: slo.interval.alert.or(slo.interval.all).map(|d| d.0),
            },
            notes,
        });
    }
    Ok((service, labels, slos))
}
