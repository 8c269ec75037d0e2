//! The spec conformance suite: every file in `tests/conformance/` (one per imported feature:
//! Sloth `prometheus/v1` in several documents with events and raw SLIs, Sloth's Kubernetes
//! resource at 28 days, a 7-day period from an `AlertWindows` file, OpenSLO v1alpha, OpenSLO v1 as published with references, label lists,
//! good/total, bad/total, a histogram threshold and an alert policy, Pyrra ratio and latency,
//! and sloguard's own format) is imported and its rules generated, then run by the real
//! `promtool` beside Sloth's rules for the same SLOs (`NAME.sloth.yaml`, or the file itself
//! when Sloth reads it) on synthetic series whose traffic and error ratio change.
//!
//! Sloth's rules are written here by [`sloth_reference`], from Sloth's published rule form,
//! under the `sloth_ref:` prefix so both sets run in one Prometheus evaluation. Every SLI
//! window must agree to 1e-9 at every checked time; the period ratio must differ where the
//! README says it does (request-weighted, not averaged) and agree under `--sloth-parity`,
//! whose text `tests/conformance/sloth-form/checkout.yaml` also fixes.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use serde_yaml_ng::Value as Yaml;
use sloguard::spec::sloth_windows::SlothPeriods;
use sloguard::spec::{Queries, SloSpec, Spec};
use sloguard_cli::rules::{self, RuleOptions, RulesFormat};
use sloguard_e2e::{program, promtool, temp_dir};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conformance");

/// Sloth's alerting windows; the same for its 30- and 28-day periods.
const SLOTH_WINDOWS: [&str; 7] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"];

struct Case {
    file: &'static str,
    /// Sloth's period for the case, as Sloth names its window.
    period: &'static str,
    /// The SLOs the case defines.
    slos: usize,
}

const CASES: [Case; 7] = [
    Case {
        file: "sloth-v1",
        period: "30d",
        slos: 2,
    },
    Case {
        file: "sloth-k8s",
        period: "4w",
        slos: 1,
    },
    Case {
        file: "openslo-v1alpha",
        period: "30d",
        slos: 1,
    },
    Case {
        file: "openslo-v1",
        period: "30d",
        slos: 3,
    },
    Case {
        file: "pyrra",
        period: "4w",
        slos: 2,
    },
    Case {
        file: "native",
        period: "30d",
        slos: 1,
    },
    Case {
        file: "sloth-7d",
        period: "1w",
        slos: 1,
    },
];

/// Every series the cases read, with its increase per minute before and after the change at
/// 12 h: traffic falls and errors rise, so windows, weights and averages all differ.
const SERIES: &[(&str, f64, f64)] = &[
    (
        "http_requests_total{job=\"checkout\",code=\"200\"}",
        99.0,
        5.0,
    ),
    (
        "http_requests_total{job=\"checkout\",code=\"500\"}",
        1.0,
        5.0,
    ),
    ("jobs_total{queue=\"main\"}", 50.0, 50.0),
    ("jobs_done_total{queue=\"main\"}", 50.0, 40.0),
    (
        "http_requests_total{job=\"search\",code=\"200\"}",
        199.0,
        20.0,
    ),
    (
        "http_requests_total{job=\"search\",code=\"503\"}",
        1.0,
        10.0,
    ),
    ("exports_total", 30.0, 3.0),
    ("exports_ok_total", 30.0, 1.0),
    ("http_requests_total{job=\"web\",code=\"200\"}", 995.0, 50.0),
    ("http_requests_total{job=\"web\",code=\"500\"}", 5.0, 50.0),
    ("http_requests_total{job=\"web\",code=\"404\"}", 10.0, 0.0),
    (
        "http_request_duration_seconds_bucket{job=\"web\",le=\"0.25\"}",
        900.0,
        20.0,
    ),
    (
        "http_request_duration_seconds_count{job=\"web\"}",
        1010.0,
        100.0,
    ),
    (
        "http_requests_total{job=\"api\",code=\"200\"}",
        100.0,
        100.0,
    ),
    ("http_requests_total{job=\"api\",code=\"502\"}", 0.0, 20.0),
    (
        "http_request_duration_seconds_bucket{job=\"api\",le=\"0.5\"}",
        99.0,
        60.0,
    ),
    (
        "http_request_duration_seconds_count{job=\"api\"}",
        100.0,
        120.0,
    ),
    (
        "sloguard_slo_events_total{service=\"payments\",slo=\"availability\"}",
        1000.0,
        10.0,
    ),
    (
        "sloguard_slo_bad_events_total{service=\"payments\",slo=\"availability\"}",
        1.0,
        5.0,
    ),
];

const BEFORE_MINUTES: u32 = 720;
const AFTER_MINUTES: u32 = 120;
/// When windows are compared: young series, steady traffic, just after the change, later.
const EVAL_TIMES: [&str; 5] = ["20m", "6h", "12h3m", "13h", "14h"];

/// A counter in promtool's notation: `before` a minute for 12 h, then `after` a minute.
fn counter(before: f64, after: f64) -> String {
    let at_change = before * f64::from(BEFORE_MINUTES);
    format!(
        "0+{before}x{BEFORE_MINUTES} {}+{after}x{}",
        at_change + after,
        AFTER_MINUTES - 1
    )
}

fn window_placeholders(query: &str, window: &str) -> String {
    query
        .replace("{{.window}}", window)
        .replace("{{ .window }}", window)
}

fn text<'a>(value: &'a Yaml, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Yaml::as_str)
}

/// Sloth's recording rules for a Sloth `prometheus/v1` file, as Sloth writes them (SLI ratios
/// `(error)/(total)` per window, the period ratio as the average of the 5m ratios, the budget
/// remaining from it), named `sloth_ref:…` instead of `slo:…`.
fn sloth_reference(sloth_file: &str, period: &str) -> Value {
    let mut groups = Vec::new();
    for document in sloth_file.split("\n---") {
        let doc: Yaml = serde_yaml_ng::from_str(document).expect("YAML");
        if doc.is_null() {
            continue;
        }
        let service = text(&doc, "service").expect("service");
        for slo in doc["slos"].as_sequence().expect("slos") {
            let name = text(slo, "name").expect("name");
            let objective = slo["objective"].as_f64().expect("objective");
            let id = format!("{service}-{name}");
            let ids = format!("{{sloth_id=\"{id}\"}}");
            let sli = &slo["sli"];
            let ratio = |w: &str| match (sli.get("events"), sli.get("raw")) {
                (Some(events), None) => format!(
                    "({})\n/\n({})\n",
                    window_placeholders(text(events, "error_query").expect("error_query"), w),
                    window_placeholders(text(events, "total_query").expect("total_query"), w)
                ),
                (None, Some(raw)) => format!(
                    "({})",
                    window_placeholders(
                        text(raw, "error_ratio_query").expect("error_ratio_query"),
                        w
                    )
                ),
                _ => panic!("{id}: events or raw"),
            };
            let labels = |w: &str| json!({"sloth_id": id, "sloth_service": service, "sloth_slo": name, "sloth_window": w});
            let mut rules: Vec<Value> = SLOTH_WINDOWS
                .iter()
                .map(|w| json!({"record": format!("sloth_ref:sli_error:ratio_rate{w}"), "expr": ratio(w), "labels": labels(w)}))
                .collect();
            rules.push(json!({
                "record": format!("sloth_ref:sli_error:ratio_rate{period}"),
                "expr": format!("sum_over_time(sloth_ref:sli_error:ratio_rate5m{ids}[{period}])\n/ ignoring (sloth_window)\ncount_over_time(sloth_ref:sli_error:ratio_rate5m{ids}[{period}])\n"),
                "labels": {"sloth_window": period},
            }));
            rules.push(json!({
                "record": "sloth_ref:period_error_budget_remaining:ratio",
                "expr": format!("1 - (sloth_ref:sli_error:ratio_rate{period}{ids} / (1 - {}))", objective / 100.0),
                "labels": {"sloth_id": id},
            }));
            groups.push(json!({"name": format!("sloth-reference-{id}"), "rules": rules}));
        }
    }
    json!({ "groups": groups })
}

fn specs(case: &Case) -> Vec<Spec> {
    let text = std::fs::read_to_string(format!("{DIR}/{}.yaml", case.file)).expect("case");
    let days = match case.period {
        "4w" => 28,
        "1w" => 7,
        _ => 30,
    };
    let periods = SlothPeriods::builtin(Duration::from_secs(days * 86_400))
        .load_dir(std::path::Path::new(&format!("{DIR}/windows")))
        .expect("the windows files");
    Spec::all_from_str_with(&text, &periods).unwrap_or_else(|e| panic!("{}: {e}", case.file))
}

/// The number of SLOs whose recording `record` (`sli_error:ratio_rate5m`) over `window`
/// agrees with Sloth's within 1e-9 (or, `differ`, does not), matched on the SLO and window.
fn agreement(record: &str, window: &str, differ: bool) -> String {
    let select = format!("{{sloth_window=\"{window}\"}}");
    let op = if differ { ">" } else { "<" };
    format!(
        "count(abs(slo:{record}{select} - on (sloth_id, sloth_window) sloth_ref:{record}{select}) {op} 1e-9) or vector(0)"
    )
}

fn windows_of(slo: &SloSpec) -> Vec<String> {
    rules::windows(slo)
        .into_iter()
        .map(rules::prometheus_duration)
        .collect()
}

fn expect(expr: String, at: &str, count: usize) -> Value {
    json!({"expr": expr, "eval_time": at, "exp_samples": [{"labels": "{}", "value": count}]})
}

/// Runs one case through promtool, ours beside Sloth's: every SLI window agrees at every
/// checked time, and the period ratio agrees (`parity`) or differs after the change.
fn run_case(promtool_path: &std::path::Path, case: &Case, parity: bool) {
    let specs = specs(case);
    assert_eq!(
        specs.iter().map(|s| s.slos.len()).sum::<usize>(),
        case.slos,
        "{}",
        case.file
    );
    let options = RuleOptions {
        sloth_parity: parity,
        ..RuleOptions::default()
    };
    let ours = rules::render_all_with(&specs, RulesFormat::Prometheus, &options).expect("render");
    let sloth_file = std::fs::read_to_string(format!("{DIR}/{}.sloth.yaml", case.file))
        .or_else(|_| std::fs::read_to_string(format!("{DIR}/{}.yaml", case.file)))
        .expect("Sloth's spec of the case");
    let reference = sloth_reference(&sloth_file, case.period);

    let dir = temp_dir(&format!("conformance-{}", case.file));
    std::fs::write(dir.join("ours.yaml"), &ours).expect("write");
    std::fs::write(
        dir.join("sloth.yaml"),
        serde_yaml_ng::to_string(&reference).expect("yaml"),
    )
    .expect("write");
    let (ok, out) = promtool(
        promtool_path,
        &["check", "rules", "ours.yaml", "sloth.yaml"],
        &dir,
    );
    assert!(ok, "{}: {out}\n{ours}", case.file);

    for w in specs.iter().flat_map(|s| &s.slos).flat_map(windows_of) {
        assert!(
            SLOTH_WINDOWS.contains(&w.as_str()),
            "{}: window {w} is not one of Sloth's",
            case.file
        );
    }
    let slos: Vec<_> = specs.iter().flat_map(|s| &s.slos).collect();
    let mut checks = Vec::new();
    for at in EVAL_TIMES {
        for w in SLOTH_WINDOWS {
            let with_window = slos
                .iter()
                .filter(|slo| windows_of(slo).iter().any(|d| d == w))
                .count();
            let record = format!("sli_error:ratio_rate{w}");
            checks.push(expect(agreement(&record, w, false), at, with_window));
        }
    }
    // The period: equal under parity, and before the change (one error ratio throughout);
    // after it, the request-weighted ratio of the default form is not the average of the 5m
    // ratios, except for raw ratio SLIs, which have no counts to weigh by.
    let weighted = if parity {
        0
    } else {
        slos.iter()
            .filter(|slo| !matches!(slo.queries, Some(Queries::Raw { .. })))
            .count()
    };
    let record = format!("sli_error:ratio_rate{}", case.period);
    checks.push(expect(
        agreement(&record, case.period, false),
        "6h",
        slos.len(),
    ));
    checks.push(expect(
        agreement(&record, case.period, true),
        "14h",
        weighted,
    ));
    checks.push(expect(
        agreement(&record, case.period, false),
        "14h",
        slos.len() - weighted,
    ));
    let remaining = "count(abs(slo:period_error_budget_remaining:ratio - on (sloth_id) sloth_ref:period_error_budget_remaining:ratio) < 1e-9) or vector(0)";
    checks.push(expect(remaining.to_owned(), "14h", slos.len() - weighted));

    // Groups in the order they were written, as one Prometheus cycle runs them (promtool
    // otherwise runs them in any order, and a meta recording would read a ratio one
    // evaluation old).
    let written: Yaml = serde_yaml_ng::from_str(&ours).expect("YAML");
    let group_order: Vec<&str> = written["groups"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|g| g["name"].as_str())
        .collect();
    let tests = json!({
        "rule_files": ["ours.yaml", "sloth.yaml"],
        "evaluation_interval": "1m",
        "group_eval_order": group_order,
        "tests": [{
            "interval": "1m",
            "input_series": SERIES.iter().map(|(series, before, after)| json!({"series": series, "values": counter(*before, *after)})).collect::<Vec<_>>(),
            "promql_expr_test": checks,
        }]
    });
    std::fs::write(
        dir.join("tests.yaml"),
        serde_yaml_ng::to_string(&tests).expect("yaml"),
    )
    .expect("write");
    let (ok, out) = promtool(promtool_path, &["test", "rules", "tests.yaml"], &dir);
    assert!(ok, "{} (parity {parity}): {out}\n{ours}", case.file);
    if ok {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn every_format_computes_the_sli_sloth_computes_and_the_period_differs_only_as_documented() {
    let Some(promtool_path) = program("promtool") else {
        return;
    };
    for case in &CASES {
        run_case(&promtool_path, case, false);
    }
}

#[test]
fn with_sloth_parity_every_recording_equals_sloths() {
    let Some(promtool_path) = program("promtool") else {
        return;
    };
    for case in &CASES {
        run_case(&promtool_path, case, true);
    }
}

/// Rules compared as YAML values without what parity leaves to sloguard: annotation wording
/// and the `sloth_version` label.
fn comparable(text: &str) -> Yaml {
    let mut value: Yaml = serde_yaml_ng::from_str(text).expect("YAML");
    for group in value["groups"].as_sequence_mut().expect("groups") {
        for rule in group["rules"].as_sequence_mut().expect("rules") {
            if let Some(map) = rule.as_mapping_mut() {
                map.remove("annotations");
                if let Some(labels) = map.get_mut("labels").and_then(Yaml::as_mapping_mut) {
                    labels.remove("sloth_version");
                }
            }
        }
    }
    value
}

#[test]
fn sloth_parity_writes_sloths_rule_text() {
    let specs = specs(&CASES[0]);
    let options = RuleOptions {
        sloth_parity: true,
        ..RuleOptions::default()
    };
    let ours =
        rules::render_all_with(&specs[..1], RulesFormat::Prometheus, &options).expect("render");
    let fixture =
        std::fs::read_to_string(format!("{DIR}/sloth-form/checkout.yaml")).expect("fixture");
    let (ours, fixture) = (comparable(&ours), comparable(&fixture));
    let names = |v: &Yaml| -> BTreeMap<String, usize> {
        v["groups"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|g| {
                (
                    g["name"].as_str().unwrap_or_default().to_owned(),
                    g["rules"].as_sequence().map_or(0, Vec::len),
                )
            })
            .collect()
    };
    assert_eq!(names(&ours), names(&fixture));
    assert_eq!(ours, fixture);
}
