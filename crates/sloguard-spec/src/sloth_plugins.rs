//! Sloth's SLO plugins, read by id: what each of Sloth's own plugins does to the generated
//! rules, carried into the same model; a plugin sloguard does not know (Go code loaded from
//! source) is refused with what to do instead.
//!
//! A chain is given for the whole file (`slo_plugins`, `sloPlugins` in the Kubernetes
//! resource) and for each SLO (`plugins`); the SLO's follows the file's, and
//! `overridePrevious` drops what came before it, Sloth's default plugins among it. Within a
//! chain, plugins run by `priority`, lowest first, then in the order written.
//!
//! The README's table (Sloth) says what becomes of each id.
//!
//! ```
//! let spec = sloguard_spec::Spec::from_str(r#"
//! version: prometheus/v1
//! service: shop
//! slos:
//!   - name: checkout
//!     objective: 99.9
//!     plugins:
//!       chain:
//!         - id: sloth.dev/contrib/info_labels/v1
//!           config: {labels: {team: payments}}
//!     sli:
//!       events:
//!         error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
//!         total_query: sum(rate(http_requests_total[{{.window}}]))
//! "#).unwrap();
//! assert_eq!(spec.slos[0].info_labels["team"], "payments");
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_yaml_ng::Value;

use crate::values::{scalar_map, DurationText};
use crate::SpecError;

/// A plugin chain as Sloth writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Chain {
    #[serde(default, rename = "overridePrevious", alias = "override_previous")]
    override_previous: bool,
    #[serde(default)]
    chain: Vec<Plugin>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Plugin {
    id: String,
    #[serde(default)]
    priority: i64,
    #[serde(default)]
    config: Option<Value>,
}

/// What the chains make of one SLO.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    /// Labels for `sloth_slo_info`.
    pub(crate) info_labels: BTreeMap<String, String>,
    /// Rule group intervals: default, SLI, metadata, alerts.
    pub(crate) intervals: [Option<Duration>; 4],
    /// Whether the total query is recorded as `slo:sli_total:amount<window>`.
    pub(crate) total_amount: bool,
    /// Whether the queries may be MetricsQL (said when one is not PromQL).
    pub(crate) metricsql: bool,
    /// Whether the alerts' `for` is written (Sloth ignores it otherwise).
    pub(crate) alert_for: bool,
    /// What `lint` says of the chain.
    pub(crate) notes: Vec<String>,
}

const DEFAULTS: [&str; 4] = [
    "sloth.dev/core/validate/v1",
    "sloth.dev/core/sli_rules/v1",
    "sloth.dev/core/metadata_rules/v1",
    "sloth.dev/core/alert_rules/v1",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct InfoLabels {
    #[serde(deserialize_with = "scalar_map")]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    metric_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleIntervals {
    interval: IntervalConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IntervalConfig {
    default: DurationText,
    #[serde(default)]
    sli_error: Option<DurationText>,
    #[serde(default)]
    metadata: Option<DurationText>,
    #[serde(default)]
    alert: Option<DurationText>,
}

/// Reads the file's chain and the SLO's (each with the field it is at) into their effects.
pub(crate) fn effects(
    file: Option<(&Chain, &str)>,
    slo: Option<(&Chain, &str)>,
) -> Result<Effects, SpecError> {
    // The plugins that run, with the field each is at: Sloth's defaults first, unless a chain
    // overrides what came before it.
    let mut running: Vec<(&str, Option<&Value>, String)> = DEFAULTS
        .iter()
        .map(|id| (*id, None, String::new()))
        .collect();
    for (chain, field) in [file, slo].into_iter().flatten() {
        if chain.override_previous {
            running.clear();
        }
        let mut ordered: Vec<(usize, &Plugin)> = chain.chain.iter().enumerate().collect();
        ordered.sort_by_key(|(i, p)| (p.priority, *i));
        running.extend(ordered.into_iter().map(|(i, p)| {
            (
                p.id.as_str(),
                p.config.as_ref(),
                format!("{field}.chain[{i}]"),
            )
        }));
    }
    let ran = |id: &str| running.iter().any(|(r, _, _)| *r == id);
    if let Some(missing) = DEFAULTS[1..].iter().find(|id| !ran(id)) {
        let field = [file, slo]
            .into_iter()
            .flatten()
            .rfind(|(c, _)| c.override_previous)
            .map_or("", |(_, f)| f);
        return Err(SpecError::new(
            format!("{field}.overridePrevious"),
            format!("the chain replaces Sloth's default plugins and leaves out {missing}, so Sloth would write no such rules; sloguard always writes the SLI, metadata and alert rules (`sloguard rules --disable-alerts` or `--disable-recordings` leave some out): put {missing} back in the chain"),
        ));
    }
    let mut effects = Effects::default();
    for (id, config, field) in running {
        apply(id, config, &field, &mut effects)?;
    }
    Ok(effects)
}

fn apply(
    id: &str,
    config: Option<&Value>,
    field: &str,
    effects: &mut Effects,
) -> Result<(), SpecError> {
    match id {
        _ if DEFAULTS.contains(&id) => {}
        "sloth.dev/core/debug/v1" | "sloth.dev/core/noop/v1" => effects.notes.push(format!(
            "{field}: {id} only logs while Sloth generates, so it changes nothing here"
        )),
        "sloth.dev/contrib/info_labels/v1" => {
            let c: InfoLabels = typed(config, field, id)?;
            if let Some(name) = c.metric_name.filter(|n| n != "sloth_slo_info") {
                effects.notes.push(format!("{field}.config.metricName: the labels go on sloth_slo_info, the info series sloguard writes, not on {name:?}"));
            }
            effects.info_labels.extend(c.labels);
        }
        "sloth.dev/contrib/rule_intervals/v1" => {
            let c: RuleIntervals = typed(config, field, id)?;
            let i = c.interval;
            let d = |t: Option<DurationText>| t.map(|t| t.0);
            effects.intervals = [
                Some(i.default.0),
                d(i.sli_error),
                d(i.metadata),
                d(i.alert),
            ];
        }
        "sloth.dev/contrib/sli_total_amount/v1" | "sloth.dev/contrib/sli_total_amount_rules/v1" => {
            effects.total_amount = true;
        }
        "sloth.dev/contrib/validate_victoria_metrics/v1" => effects.metricsql = true,
        "sloth.dev/contrib/alert_for/v1" => effects.alert_for = true,
        "sloth.dev/contrib/denominator_corrected_rules/v1" => {
            return Err(SpecError::new(
                format!("{field}.id"),
                format!("{id} divides each window's errors by the period's traffic instead of the window's, so a quiet hour burns less; sloguard's burn rates (in the process, in `serve` and in its rules) are not weighted that way, so its alerts would not be the ones this plugin asks for: remove it, or raise the alerts' min_events for quiet hours"),
            ))
        }
        _ if id.starts_with("sloth.dev/") => {
            return Err(SpecError::new(
                format!("{field}.id"),
                format!("Sloth plugin {id} is not read by sloguard: it changes the rules in a way sloguard's model does not carry; remove it (the rules are then Sloth's defaults) or write what it does as queries in the spec"),
            ))
        }
        _ => {
            return Err(SpecError::new(
                format!("{field}.id"),
                format!("plugin {id:?} is Go code that Sloth loads from source, which sloguard does not run: remove it and write what it changes in the spec (objective, queries, alerting labels and annotations)"),
            ))
        }
    }
    Ok(())
}

/// A plugin's `config`, read into its documented shape.
fn typed<T: serde::de::DeserializeOwned>(
    config: Option<&Value>,
    field: &str,
    id: &str,
) -> Result<T, SpecError> {
    let config = config.cloned().unwrap_or(Value::Null);
    serde_yaml_ng::from_value(config)
        .map_err(|e| SpecError::new(format!("{field}.config"), format!("{id}: {e}")))
}

impl Effects {
    /// The intervals of an SLO: the plugin's, which runs after the rules are generated and so
    /// sets every group (its `default` is required), or else the SLO's own `interval`.
    pub(crate) fn intervals_over(&self, own: crate::Intervals) -> crate::Intervals {
        match self.intervals {
            [Some(default), sli, meta, alert] => crate::Intervals {
                sli: sli.or(Some(default)),
                meta: meta.or(Some(default)),
                alert: alert.or(Some(default)),
            },
            _ => own,
        }
    }
}
