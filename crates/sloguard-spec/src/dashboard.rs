//! `sloguard dashboard`: a Grafana dashboard over the recording rules of `sloguard rules`.
//!
//! One row per SLO: error budget remaining over the period, burn rate per window, alert state
//! per tier, SLI over time, and request rate. Every panel reads the Sloth-named recording
//! rules (or sloguard's counters for the request rate), from a `datasource` variable.

use crate::{SloSpec, Spec};
use serde_json::{json, Value};
use sloguard_core::contract;
use sloguard_core::contract::recording::label::TIER;
use sloguard_core::contract::recording::{
    ERROR_BUDGET, EVENTS_RATE5M, OBJECTIVE, PERIOD_BUDGET_REMAINING, SLI_ERROR_PREFIX,
};
use sloguard_core::duration::format_duration;

use crate::rules::{promql_string, sloth_id};

fn target(expr: String, legend: &str) -> Value {
    json!({"datasource": {"type": "prometheus", "uid": "${datasource}"}, "expr": expr, "legendFormat": legend, "refId": "A"})
}

fn panel(
    id: u32,
    title: &str,
    kind: &str,
    pos: (u32, u32, u32, u32),
    targets: Vec<Value>,
    unit: &str,
) -> Value {
    let (x, y, w, h) = pos;
    let targets: Vec<Value> = targets
        .into_iter()
        .enumerate()
        .map(|(i, mut t)| {
            t["refId"] = json!(((b'A' + i as u8) as char).to_string());
            t
        })
        .collect();
    json!({
        "id": id,
        "title": title,
        "type": kind,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {}
    })
}

/// The dashboard JSON of a spec.
pub fn render(spec: &Spec) -> String {
    let mut panels = Vec::new();
    for (i, slo) in (0u32..).zip(&spec.slos) {
        panels.extend(slo_panels(
            spec,
            slo,
            1 + i * PANELS_PER_SLO,
            i * ROWS_PER_SLO,
        ));
    }
    let dashboard = json!({
        "title": format!("SLOs: {}", spec.service),
        "uid": format!("sloguard-{}", spec.service.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).take(30).collect::<String>()),
        "tags": ["slo", "sloguard", "sloth"],
        "timezone": "browser",
        "schemaVersion": 39,
        "time": {"from": "now-7d", "to": "now"},
        "refresh": "1m",
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}]},
        "panels": panels
    });
    serde_json::to_string_pretty(&dashboard).unwrap_or_default()
}

/// Panels per SLO: a row, then budget, burn rates, alerts, SLI and request rate.
const PANELS_PER_SLO: u32 = 6;
/// Grid rows per SLO: the row's title, then two rows of charts 8 high.
const ROWS_PER_SLO: u32 = 17;

/// The panels of one SLO, numbered from `first_id`, from grid row `top`.
fn slo_panels(spec: &Spec, slo: &SloSpec, first_id: u32, top: u32) -> Vec<Value> {
    let mut panels = Vec::new();
    let mut id = first_id;
    let mut y = top;
    let def = &slo.definition;
    let sid = promql_string(&sloth_id(&spec.service, def.name()));
    let sel = format!("{{sloth_id={sid}}}");
    panels.push(json!({"id": id, "type": "row", "title": format!("SLO {} ({}% over {})", def.name(), def.objective().percent(), format_duration(def.period())), "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "collapsed": false, "panels": []}));
    id += 1;
    y += 1;
    panels.push(panel(
        id,
        "Error budget remaining",
        "stat",
        (0, y, 6, 8),
        vec![target(
            format!("{PERIOD_BUDGET_REMAINING}{sel}"),
            "remaining",
        )],
        "percentunit",
    ));
    id += 1;
    let burn_targets = crate::rules::windows(slo)
        .into_iter()
        .map(|w| {
            let w = crate::rules::prometheus_duration(w);
            target(
                format!(
                    "{SLI_ERROR_PREFIX}{w}{sel} / on (sloth_id) group_left {ERROR_BUDGET}{sel}"
                ),
                &format!("burn {w}"),
            )
        })
        .collect();
    panels.push(panel(
        id,
        "Burn rate per window",
        "timeseries",
        (6, y, 10, 8),
        burn_targets,
        "x",
    ));
    id += 1;
    panels.push(panel(
        id,
        "Alerts firing",
        "timeseries",
        (16, y, 8, 8),
        vec![target(
            format!("count by ({TIER}) (ALERTS{{sloth_id={sid},alertstate=\"firing\"}})"),
            &format!("{{{{{TIER}}}}}"),
        )],
        "short",
    ));
    id += 1;
    y += 8;
    panels.push(panel(
        id,
        "SLI (good share, 5m)",
        "timeseries",
        (0, y, 12, 8),
        vec![
            target(format!("1 - {SLI_ERROR_PREFIX}5m{sel}"), "SLI"),
            target(format!("{OBJECTIVE}{sel}"), "objective"),
        ],
        "percentunit",
    ));
    id += 1;
    let requests = match &slo.queries {
        None => format!(
            "sum(rate({}{{{}={},{}={}}}[5m]))",
            contract::SLO_EVENTS.name,
            contract::label::SERVICE,
            promql_string(&spec.service),
            contract::label::SLO,
            promql_string(def.name())
        ),
        Some(_) => format!("{EVENTS_RATE5M}{sel}"),
    };
    panels.push(panel(
        id,
        "Request rate",
        "timeseries",
        (12, y, 12, 8),
        vec![target(requests, "events/s")],
        "reqps",
    ));
    debug_assert_eq!(
        (id + 1 - first_id, y + 8 - top),
        (PANELS_PER_SLO, ROWS_PER_SLO)
    );
    panels
}
