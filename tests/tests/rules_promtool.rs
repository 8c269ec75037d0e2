//! Generated rules under the real `promtool`: `check rules` accepts them, and `test rules`
//! runs the Workbook's scenarios over sloguard's counters: a total outage pages within the
//! detection time, a 0.05% error rate never alerts on a 99.9% SLO, a slow burn opens a ticket,
//! no traffic alerts nothing (and records no NaN), and the period ratio is request-weighted.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use sloguard::spec::Spec;
use sloguard_cli::rules::{self, RulesFormat};
use sloguard_e2e::{program, promtool, temp_dir};

const SPEC: &str = "service: payments\nlabels: {team: payments}\nslos:\n  - name: availability\n    objective: 99.9\n    sli: availability\n    alerting: {runbook_url: https://runbooks.example/a}\n";
const SERIES: &str = "{service=\"payments\",slo=\"availability\"}";

/// The labels and annotations an alert of `tier` carries, read from the generated rules.
fn expected_alert(spec: &Spec, tier: &str) -> Value {
    let file = rules::rule_file(spec);
    let rule = file
        .groups
        .iter()
        .flat_map(|g| &g.rules)
        .find(|r| r.labels.get("sloguard_tier").map(String::as_str) == Some(tier))
        .unwrap_or_else(|| panic!("no alert rule for {tier}"));
    json!({"exp_labels": rule.labels, "exp_annotations": rule.annotations})
}

/// A counter that grows by `per_minute` for `minutes`, as promtool's series notation.
fn counter(segments: &[(f64, u32)]) -> String {
    let mut value = 0.0;
    let mut parts = vec!["0".to_owned()];
    for (per_minute, minutes) in segments {
        parts.push(format!(
            "{}+{}x{}",
            value + per_minute,
            per_minute,
            minutes - 1
        ));
        value += per_minute * f64::from(*minutes);
    }
    parts.join(" ")
}

fn series(total: &[(f64, u32)], bad: &[(f64, u32)]) -> Value {
    json!([
        {"series": format!("sloguard_slo_events_total{SERIES}"), "values": counter(total)},
        {"series": format!("sloguard_slo_bad_events_total{SERIES}"), "values": counter(bad)},
    ])
}

fn alert_test(at_minutes: u32, name: &str, alerts: Vec<Value>) -> Value {
    json!({"eval_time": format!("{at_minutes}m"), "alertname": name, "exp_alerts": alerts})
}

/// Writes `rules` to `dir`, has promtool check them, then run `tests` (promtool's test
/// groups, evaluated every minute) over them.
fn check_and_test(
    promtool_path: &std::path::Path,
    dir: &std::path::Path,
    rules: &str,
    tests: Value,
) {
    std::fs::write(dir.join("rules.yaml"), rules).expect("write");
    let (ok, out) = promtool(promtool_path, &["check", "rules", "rules.yaml"], dir);
    assert!(ok, "{out}\n{rules}");
    let file = json!({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests});
    let text = serde_yaml_ng::to_string(&file).expect("yaml");
    std::fs::write(dir.join("tests.yaml"), text).expect("write");
    let (ok, out) = promtool(promtool_path, &["test", "rules", "tests.yaml"], dir);
    assert!(ok, "promtool test rules failed:\n{out}\n{rules}");
}

#[test]
fn generated_rules_pass_promtool_and_its_unit_tests() {
    let Some(promtool_path) = program("promtool") else {
        return;
    };
    let spec = Spec::from_str(SPEC).expect("valid");
    let dir = temp_dir("promtool");
    let text = rules::render(&spec, RulesFormat::Prometheus).expect("render");

    let name = rules::alert_name(&spec.slos[0]);
    let page = expected_alert(&spec, "page-1h");
    let page_6h = expected_alert(&spec, "page-6h");
    let ticket_1d = expected_alert(&spec, "ticket-1d");
    let ticket_3d = expected_alert(&spec, "ticket-3d");
    let day = 24 * 60;
    let tests = json!([
            // 10 req/s; after 3 good hours, a total outage. The 14.4x page needs 2% of the
            // budget gone in its hour, about 52 s of outage: it fires a minute in. The tickets
            // fire with it: with 3 hours of history their 1d and 3d windows hold 3 hours, of
            // which one bad minute is 0.55%, past 3x and 1x.
            {
                "name": "total outage pages",
                "interval": "1m",
                "input_series": series(&[(600.0, 200)], &[(0.0, 180), (600.0, 20)]),
                "alert_rule_test": [
                    alert_test(180, &name, vec![]),
                    alert_test(181, &name, vec![page.clone(), ticket_1d.clone(), ticket_3d.clone()]),
                    alert_test(190, &name, vec![page.clone(), page_6h.clone(), ticket_1d.clone(), ticket_3d.clone()]),
                ]
            },
            // A fresh process: 63 requests in its first minute, 3 of them failed (a 48x burn
            // over what little history there is), then quiet good traffic. Fewer than 10
            // failures never alert (min_bad_events), counted with increase, which does not
            // extrapolate a young series to a full hour.
            {
                "name": "a fresh process does not page on three failures",
                "interval": "1m",
                "input_series": series(&[(63.0, 1), (60.0, 30)], &[(3.0, 1), (0.0, 30)]),
                "alert_rule_test": [alert_test(1, &name, vec![]), alert_test(2, &name, vec![]), alert_test(5, &name, vec![]), alert_test(30, &name, vec![])]
            },
            // A fresh process in a total outage at 20 requests a second pages within two
            // minutes (and every tier fires: all its history is failing).
            {
                "name": "a fresh process in a total outage pages at once",
                "interval": "1m",
                "input_series": series(&[(1200.0, 3)], &[(1200.0, 3)]),
                "alert_rule_test": [alert_test(2, &name, vec![page.clone(), page_6h.clone(), ticket_1d.clone(), ticket_3d.clone()])]
            },
            // 0.05% errors (a 0.5x burn) for four days: never an alert.
            {
                "name": "a quarter of the budget rate never alerts",
                "interval": "1m",
                "input_series": series(&[(600.0, 4 * day)], &[(0.3, 4 * day)]),
                "alert_rule_test": [alert_test(60, &name, vec![]), alert_test(day + 60, &name, vec![]), alert_test(4 * day - 1, &name, vec![])]
            },
            // 0.5% errors (5x): both tickets fire, no page (6x and 14.4x are never reached).
            {
                "name": "a slow burn opens a ticket",
                "interval": "1m",
                "input_series": series(&[(600.0, 2 * day)], &[(3.0, 2 * day)]),
                "alert_rule_test": [alert_test(day + 60, &name, vec![ticket_1d.clone(), ticket_3d.clone()])]
            },
            // No traffic: no alert, and no ratio sample (absent, not NaN).
            {
                "name": "no traffic alerts nothing",
                "interval": "1m",
                "input_series": series(&[(0.0, 300)], &[(0.0, 300)]),
                "alert_rule_test": [alert_test(60, &name, vec![]), alert_test(299, &name, vec![])],
                "promql_expr_test": [
                    {"expr": "slo:sli_error:ratio_rate5m", "eval_time": "60m", "exp_samples": []},
                    {"expr": "slo:period_error_budget_remaining:ratio", "eval_time": "299m", "exp_samples": []}
                ]
            },
            // A busy good day, then a quiet night of failures: 60 failures in 864,060 requests.
            // Weighted by requests the period error ratio is 0.007%, under the 0.1% budget; an
            // average of 5m ratios would say about 4%.
            {
                "name": "the period ratio is request-weighted",
                "interval": "1m",
                "input_series": series(&[(600.0, day), (1.0, 60)], &[(0.0, day), (1.0, 60)]),
                "promql_expr_test": [
                    {"expr": "slo:sli_error:ratio_rate30d < bool 0.001", "eval_time": format!("{}m", day + 59),
                     "exp_samples": [{"labels": "{sloth_id=\"payments-availability\",sloth_service=\"payments\",sloth_slo=\"availability\",sloth_window=\"30d\",team=\"payments\"}", "value": 1}]}
                ]
            }
    ]);
    check_and_test(&promtool_path, &dir, &text, tests);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn imported_and_operator_rules_are_valid() {
    let Some(promtool_path) = program("promtool") else {
        return;
    };
    let dir = temp_dir("promtool-imports");
    let sloth =
        Spec::from_str(include_str!("../../examples/specs/sloth.yaml")).expect("sloth spec");
    std::fs::write(
        dir.join("sloth.yaml"),
        rules::render(&sloth, RulesFormat::Prometheus).expect("render"),
    )
    .expect("write");
    let (ok, out) = promtool(&promtool_path, &["check", "rules", "sloth.yaml"], &dir);
    assert!(ok, "{out}");

    let spec = Spec::from_str(SPEC).expect("valid");
    let operator: BTreeMap<String, serde_yaml_ng::Value> = serde_yaml_ng::from_str(
        &rules::render(&spec, RulesFormat::PrometheusOperator).expect("render"),
    )
    .expect("yaml");
    assert_eq!(operator["kind"].as_str(), Some("PrometheusRule"));
    assert_eq!(
        operator["apiVersion"].as_str(),
        Some("monitoring.coreos.com/v1")
    );
    std::fs::write(
        dir.join("operator.yaml"),
        serde_yaml_ng::to_string(&operator["spec"]).expect("yaml"),
    )
    .expect("write");
    let (ok, out) = promtool(&promtool_path, &["check", "rules", "operator.yaml"], &dir);
    assert!(ok, "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// One file, four formats: a Sloth Kubernetes resource (with intervals and info labels),
/// OpenSLO v1 objects referring to each other, OpenSLO v1alpha and Pyrra.
const FOREIGN: &str = r#"apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: shop, namespace: prod}
spec:
  service: shop
  slos:
    - name: requests
      objective: 99.5
      infoLabels: {tier: gold}
      interval: {all: 30s, alert: 1m}
      sli:
        events:
          errorQuery: sum(rate(http_requests_total{job="shop",code=~"5.."}[{{ .window }}]))
          totalQuery: sum(rate(http_requests_total{job="shop"}[{{.window}}]))
      alerting: {name: ShopRequests}
---
- apiVersion: openslo/v1
  kind: SLI
  metadata: {name: web-errors}
  spec:
    ratioMetric:
      counter: true
      bad: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{job="web",code=~"5.."}'}}}
      total: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{job="web"}'}}}
- apiVersion: openslo/v1
  kind: SLO
  metadata: {name: web-errors, labels: {team: [a, b]}}
  spec:
    service: web
    indicatorRef: web-errors
    timeWindow: [{duration: 28d, isRolling: true}]
    budgetingMethod: Occurrences
    objectives: [{target: 0.99}]
---
apiVersion: openslo/v1alpha
kind: SLO
metadata: {name: batch}
spec:
  service: batch
  objectives:
    - ratioMetrics:
        good: {source: prometheus, queryType: promql, query: 'sum(rate(jobs_ok_total[{{.window}}]))'}
        total: {source: prometheus, queryType: promql, query: 'sum(rate(jobs_total[{{.window}}]))'}
      target: 0.95
---
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: api-latency, namespace: api}
spec:
  target: "99"
  window: 4w
  indicator:
    latency:
      success: {metric: 'http_request_duration_seconds_bucket{job="api",le="0.5"}'}
      total: {metric: 'http_request_duration_seconds_count{job="api"}'}
"#;

#[test]
fn every_imported_format_gives_rules_promtool_accepts_and_computes_as_specified() {
    let Some(promtool_path) = program("promtool") else {
        return;
    };
    let specs = Spec::all_from_str(FOREIGN).expect("every document reads");
    let services: Vec<&str> = specs.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(services, ["shop", "web", "batch", "api"]);
    let dir = temp_dir("promtool-foreign");
    let text = rules::render_all(&specs, RulesFormat::Prometheus).expect("render");
    assert!(
        text.contains("interval: 30s") && text.contains("name: sloth-slo-alerts-shop-requests"),
        "{text}"
    );
    assert!(
        text.contains("slo:sli_error:ratio_rate4w"),
        "28 days is 4w: {text}"
    );

    // 60 requests a minute each; Pyrra: 6 of them slower than 0.5 s (10%); OpenSLO web: 3
    // errors (5%); v1alpha batch: 57 good jobs (5% bad); Sloth shop: 1 error (1/60).
    let per_minute = |n: u32| counter(&[(f64::from(n), 30)]);
    let tests = json!([{
            "interval": "1m",
            "input_series": [
                {"series": "http_request_duration_seconds_count{job=\"api\"}", "values": per_minute(60)},
                {"series": "http_request_duration_seconds_bucket{job=\"api\",le=\"0.5\"}", "values": per_minute(54)},
                {"series": "http_requests_total{job=\"web\",code=\"200\"}", "values": per_minute(57)},
                {"series": "http_requests_total{job=\"web\",code=\"500\"}", "values": per_minute(3)},
                {"series": "jobs_total", "values": per_minute(60)},
                {"series": "jobs_ok_total", "values": per_minute(57)},
                {"series": "http_requests_total{job=\"shop\",code=\"200\"}", "values": per_minute(59)},
                {"series": "http_requests_total{job=\"shop\",code=\"503\"}", "values": per_minute(1)},
            ],
            "promql_expr_test": [
                {"expr": "round(slo:sli_error:ratio_rate5m{sloth_service=\"api\"}, 0.0001)", "eval_time": "20m",
                 "exp_samples": [{"labels": "{sloth_id=\"api-api-latency\",sloth_service=\"api\",sloth_slo=\"api-latency\",sloth_window=\"5m\"}", "value": 0.1}]},
                {"expr": "round(slo:sli_error:ratio_rate5m{sloth_service=\"web\"}, 0.0001)", "eval_time": "20m",
                 "exp_samples": [{"labels": "{sloth_id=\"web-web-errors\",sloth_service=\"web\",sloth_slo=\"web-errors\",sloth_window=\"5m\",team=\"a,b\"}", "value": 0.05}]},
                {"expr": "round(slo:sli_error:ratio_rate5m{sloth_service=\"batch\"}, 0.0001)", "eval_time": "20m",
                 "exp_samples": [{"labels": "{sloth_id=\"batch-batch-0\",sloth_service=\"batch\",sloth_slo=\"batch-0\",sloth_window=\"5m\"}", "value": 0.05}]},
                {"expr": "round(slo:sli_error:ratio_rate5m{sloth_service=\"shop\"} * 60, 0.0001)", "eval_time": "20m",
                 "exp_samples": [{"labels": "{sloth_id=\"shop-requests\",sloth_service=\"shop\",sloth_slo=\"requests\",sloth_window=\"5m\"}", "value": 1}]},
                {"expr": "sloth_slo_info{sloth_service=\"shop\",tier=\"gold\"}", "eval_time": "1m",
                 "exp_samples": [{"labels": "sloth_slo_info{sloth_id=\"shop-requests\",sloth_mode=\"cli-gen-prom\",sloth_objective=\"99.5\",sloth_service=\"shop\",sloth_slo=\"requests\",sloth_spec=\"prometheus/v1\",sloth_version=\"sloguard-0.1.0\",tier=\"gold\"}", "value": 1}]},
            ]
    }]);
    check_and_test(&promtool_path, &dir, &text, tests);
}

/// Pyrra's grouping, bool_gauge and Sloth's rule plugins, read as their projects document them.
const GROUPED: &str = r#"
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: api-errors, namespace: api}
spec:
  target: "99"
  window: 4w
  alerting: {absent: false}
  indicator:
    ratio:
      errors: {metric: 'http_requests_total{job="api",code=~"5.."}'}
      total: {metric: 'http_requests_total{job="api"}'}
      grouping: [handler]
---
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: probes, namespace: probes}
spec:
  target: "95"
  window: 4w
  alerting: {absent: false}
  indicator:
    bool_gauge: {metric: 'probe_success{job="blackbox"}'}
---
version: prometheus/v1
service: shop
slo_plugins:
  chain:
    - id: sloth.dev/contrib/alert_for/v1
    - id: sloth.dev/contrib/sli_total_amount/v1
slos:
  - name: requests
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="shop",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="shop"}[{{.window}}]))
    alerting:
      name: ShopRequests
      page_alert: {for: 5m}
      ticket_alert: {disable: true}
"#;

#[test]
fn grouped_gauge_and_plugin_specs_compute_what_their_projects_document() {
    let Some(promtool_path) = program("promtool") else {
        return;
    };
    let specs = Spec::all_from_str(GROUPED).expect("every document reads");
    let dir = temp_dir("promtool-grouped");
    let text = rules::render_all(&specs, RulesFormat::Prometheus).expect("render");

    // api: /pay fails half its 60 requests a minute, /home none of its 60 (and has no error
    // series, so no ratio, as in Pyrra's own rules); only /pay alerts, on every tier.
    // probes: one probe of four fails. shop: every request fails from the start, so its page
    // is pending for its 5m `for` at 3m and firing by 10m.
    let per_minute = |n: u32| counter(&[(f64::from(n), 40)]);
    let alerts_of = |spec: &Spec, extra: &[(&str, &str)]| -> Vec<Value> {
        rules::rule_file(spec)
            .groups
            .into_iter()
            .flat_map(|g| g.rules)
            .filter(|r| r.alert.is_some())
            .map(|r| {
                let mut labels = r.labels.clone();
                for (k, v) in extra {
                    labels.insert((*k).into(), (*v).into());
                }
                json!({"exp_labels": labels, "exp_annotations": r.annotations})
            })
            .collect()
    };
    let tests = json!([{
            "interval": "1m",
            "input_series": [
                {"series": "http_requests_total{job=\"api\",handler=\"/pay\",code=\"200\"}", "values": per_minute(30)},
                {"series": "http_requests_total{job=\"api\",handler=\"/pay\",code=\"500\"}", "values": per_minute(30)},
                {"series": "http_requests_total{job=\"api\",handler=\"/home\",code=\"200\"}", "values": per_minute(60)},
                {"series": "probe_success{job=\"blackbox\",instance=\"a\"}", "values": "1x40"},
                {"series": "probe_success{job=\"blackbox\",instance=\"b\"}", "values": "1x40"},
                {"series": "probe_success{job=\"blackbox\",instance=\"c\"}", "values": "1x40"},
                {"series": "probe_success{job=\"blackbox\",instance=\"d\"}", "values": "0x40"},
                {"series": "http_requests_total{job=\"shop\",code=\"503\"}", "values": per_minute(60)},
            ],
            "promql_expr_test": [
                {"expr": "round(slo:sli_error:ratio_rate5m{sloth_service=\"api\"}, 0.0001)", "eval_time": "20m",
                 "exp_samples": [
                    {"labels": "{handler=\"/pay\",sloth_id=\"api-api-errors\",sloth_service=\"api\",sloth_slo=\"api-errors\",sloth_window=\"5m\"}", "value": 0.5},
                 ]},
                {"expr": "round(slo:sli_error:ratio_rate5m{sloth_service=\"probes\"}, 0.0001)", "eval_time": "20m",
                 "exp_samples": [{"labels": "{sloth_id=\"probes-probes\",sloth_service=\"probes\",sloth_slo=\"probes\",sloth_window=\"5m\"}", "value": 0.25}]},
                {"expr": "slo:sli_total:amount5m{sloth_service=\"shop\"}", "eval_time": "20m",
                 "exp_samples": [{"labels": "slo:sli_total:amount5m{sloth_id=\"shop-requests\",sloth_service=\"shop\",sloth_slo=\"requests\"}", "value": 1}]},
            ],
            "alert_rule_test": [
                {"eval_time": "20m", "alertname": specs[0].slos[0].definition.alert_name(), "exp_alerts": alerts_of(&specs[0], &[("handler", "/pay")])},
                {"eval_time": "3m", "alertname": "ShopRequests", "exp_alerts": []},
                {"eval_time": "10m", "alertname": "ShopRequests", "exp_alerts": alerts_of(&specs[2], &[])},
            ]
    }]);
    check_and_test(&promtool_path, &dir, &text, tests);
    assert!(text.contains("for: 5m"), "the page waits its `for`: {text}");
}
