//! Import of Sloth `prometheus/v1` specs.
//!
//! Service, labels, and per SLO the name, objective, description, labels and alerting (name,
//! labels, annotations, page and ticket alerts with `disable`) are read. The SLI's `events`
//! (`error_query`, `total_query`) or `raw` (`error_ratio_query`) queries are kept so that
//! `sloguard rules` generates rules over them instead of sloguard's own counters; in process
//! the SLO is an availability SLO fed by whatever the application records. SLI plugins are
//! refused: they run Go code sloguard does not have.

use std::collections::BTreeMap;

use serde::Deserialize;
use sloguard_core::model::{AlertPolicy, Severity, Slo};

use super::values::Percent;
use super::{AlertingMeta, Parts, Queries, SloSpec, SpecError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SlothSpec {
    version: String,
    service: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    slos: Vec<SlothSlo>,
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
    sli: SlothSli,
    #[serde(default)]
    alerting: SlothAlerting,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSli {
    #[serde(default)]
    events: Option<SlothEvents>,
    #[serde(default)]
    raw: Option<SlothRaw>,
    #[serde(default)]
    plugin: Option<serde_yaml_ng::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothEvents {
    error_query: String,
    total_query: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothRaw {
    error_ratio_query: String,
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
    #[serde(default)]
    page_alert: SlothAlert,
    #[serde(default)]
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

impl SlothSpec {
    pub(crate) fn into_slos(self) -> Result<Parts, SpecError> {
        if self.version != "prometheus/v1" {
            return Err(SpecError::new(
                "version",
                format!(
                    "Sloth spec version {:?} is not supported; expected \"prometheus/v1\"",
                    self.version
                ),
            ));
        }
        let mut slos = Vec::new();
        for (i, slo) in self.slos.into_iter().enumerate() {
            let at = |f: &str| format!("slos[{i}].{f}");
            let queries = match (slo.sli.events, slo.sli.raw, slo.sli.plugin) {
                (_, _, Some(_)) => {
                    return Err(SpecError::new(
                        at("sli.plugin"),
                        "Sloth SLI plugins are not supported; write the SLI as `events` or `raw` queries",
                    ))
                }
                (Some(e), None, None) => Queries::Events {
                    error_query: e.error_query,
                    total_query: e.total_query,
                },
                (None, Some(r), None) => Queries::Raw {
                    error_ratio_query: r.error_ratio_query,
                },
                (Some(_), Some(_), None) => return Err(SpecError::new(at("sli"), "give either `events` or `raw`, not both")),
                (None, None, None) => return Err(SpecError::new(at("sli"), "missing SLI: give `events` (error_query, total_query) or `raw` (error_ratio_query)")),
            };
            let mut policy = AlertPolicy::workbook();
            if slo.alerting.page_alert.disable {
                policy = policy.disable(Severity::Page);
            }
            if slo.alerting.ticket_alert.disable {
                policy = policy.disable(Severity::Ticket);
            }
            let mut builder = Slo::availability(slo.name)
                .objective_percent(slo.objective.0)
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
            });
        }
        Ok((self.service, self.labels, slos))
    }
}
